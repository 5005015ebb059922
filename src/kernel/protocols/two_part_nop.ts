// The `two_part_nop` patching protocol: the early x86 ftrace whose disabled site was the CPU's "ideal" 5-byte nop, which on many CPUs was two instructions (K8_NOP5 = a 3-byte and a 2-byte nop), patched under stop_machine (arch/x86/kernel/ftrace.c and include/asm-x86/nops.h, 2.6.26).
//
// History: ftrace_dyn_arch_init took the 5-byte nop from the alternatives' nop table, and only the P6
// table's NOP5 (0f 1f 44 00 00) is one instruction; K8_NOP5 is `66 66 90` + `66 90`, K7_NOP5 and
// GENERIC_NOP5 are 4+1 and 1+4. Mathieu Desnoyers pointed out (LKML, August 2008, during the
// 2.6.27 ftrace review) that a task preempted between the two nops resumes at byte 3 of what has
// meanwhile become `call ftrace_caller`, in the middle of its displacement. Steven Rostedt's fix
// ("ftrace: use only 5 byte nops for x86", 2.6.27) probes at boot for a single-instruction 5-byte nop
// (P6_NOP5, then `66 66 66 66 90`, then `jmp .+5`). The machine's patch-site check catches the resume
// (invariant 1, mid-instruction). The writes themselves are those of stop_machine.ts.

import type { PatchProtocol } from '../patch_protocol.js';
import { stopMachineWrites } from './stop_machine.js';

/** K8_NOP5 (include/asm-x86/nops.h, 2008): K8_NOP3 `66 66 90` followed by K8_NOP2 `66 90`. */
export const K8_NOP5 = Uint8Array.of(0x66, 0x66, 0x90, 0x66, 0x90);

export const twoPartNop: PatchProtocol = {
  name: 'two_part_nop',
  summary: 'stop_machine over sites whose nop is two instructions (K8_NOP5, 3+2 bytes): a task stopped between them resumes inside the call (2008)',
  negativeControl: true,
  siteNop: K8_NOP5,
  apply: stopMachineWrites,
};
