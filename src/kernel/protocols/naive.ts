// The `naive` patching protocol: each site rewritten with one plain multi-byte text_poke while the other CPUs run, no synchronization at all (what arch/x86/kernel/ftrace.c never did; the negative control of SDM 8.1.3).
//
// History: no kernel shipped this for live text. It is the baseline every x86 scheme was built to
// avoid: Intel's SDM (vol. 3, 8.1.3 "Handling self- and cross-modifying code") requires the writer to
// make other CPUs stop executing the code, or the executing CPUs to serialize after the change; the
// "unsynchronized cross-modifying code" errata (e.g. W108) show what a CPU may fetch otherwise (a mix
// of old and new bytes). The first dynamic ftrace (d61f82d06672, 2008) already patched under
// kstop_machine for this reason; arm64 gets away with a plain store only because NOP<->BL is one
// single-copy-atomic 32-bit word on the CMODX list. Here: a CPU that fetches a site while its write is
// in flight sees a torn instruction, one that fetches it later without serializing a stale one.

import type { PatchProtocol } from '../patch_protocol.js';

export const naive: PatchProtocol = {
  name: 'naive',
  summary: 'one plain multi-byte write of each site while the other CPUs run, no sync (negative control: torn or stale fetches)',
  negativeControl: true,
  *apply(kernel, self, sites) {
    for (const s of sites) yield* kernel.poke.textPoke(self, s.addr, s.bytes, 'byte', { addr: s.addr, len: s.bytes.length });
  },
};
