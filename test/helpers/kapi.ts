// kapi.ts — helpers for the kernel API tests: a #BP entry stub without the stack gap (a negative control), guest register snapshots.

import { Asm, RCX } from '../../src/machine/x86/encoder.js';
import { buildEntryText, buildIdt } from '../../src/kernel/entry.js';
import { IDT_BASE } from '../../src/kernel/layout.js';
import type { Kernel } from '../../src/kernel/kernel.js';

/**
 * Point the IDT's #BP gate at a copy of the int3 entry stub built without create_gap, placed in
 * fresh module text: what the kernel's entry looked like before 2019. Returns the stub's address.
 */
export function installInt3StubWithoutGap(k: Kernel): bigint {
  const base = k.vm.moduleAlloc(4096, 'asm_exc_int3 without gap');
  const text = buildEntryText(base, [{ vector: 3, name: 'asm_exc_int3_nogap', errorCode: false }]);
  k.machine.mem.write(base, text.code); // not yet executable by anyone: text_poke_early's role
  const gate = buildIdt(new Map([[3, text.stubs.get(3)!]])).subarray(3 * 16, 4 * 16);
  k.machine.mem.write(IDT_BASE + 3n * 16n, gate);
  return text.stubs.get(3)!;
}

/** Store each register in `regs` to consecutive words at `at` (clobbers rcx, which must not be in the list). */
export function storeRegs(a: Asm, at: bigint, regs: number[]): void {
  a.movImm64(RCX, at);
  regs.forEach((r, i) => a.store(RCX, i * 8, r));
}
