// Per-ops trampolines: a copy of ftrace_caller or ftrace_regs_caller whose call goes straight to one ops' function and whose ops pointer is that ops (create_trampoline in arch/x86/kernel/ftrace.c).
//
// Layout of a trampoline (the kernel's, with our ending):
//   [copy of the caller from its start up to ftrace_caller_end / ftrace_regs_caller_end]
//   jmp <that end label in the shared caller>     (RET_SIZE in the kernel: see below)
//   .align 8; .quad <ops id>                       (the kernel stores the ops pointer here)
// In the copy, `movq function_trace_op(%rip), %rdx` is retargeted at the trailing word, and the call
// at ftrace_call / ftrace_regs_call is fixed to ftrace_ops_get_func(ops).
//
// The ending: kernels 3.19-5.x ended a trampoline with `jmp ftrace_epilogue` (ftrace_return before),
// whose first instruction is the patchable graph jmp, so that sites calling a trampoline are graph
// traced like the others; since the graph tracer became an ops of its own (6.x, WITH_ARGS), the
// trampoline ends with a plain `ret`. Our callers still carry the graph jmp at ftrace_caller_end (the
// 4.x/5.x shape), so a trampoline jumps back there: to the graph jmp for ftrace_caller's copy, to the
// shared tail (popfq is already done; the `ret` that follows) for ftrace_regs_caller's.

import { hex } from '../../machine/memory.js';
import type { FtraceCallersText } from './ftrace_64.js';

const CALL_INSN_OPCODE = 0xe8;
const JMP32_INSN_OPCODE = 0xe9;
/** `movq disp32(%rip), %rdx`: what op_ref checks before retargeting. */
const OP_REF = [0x48, 0x8b, 0x15];
const OP_REF_SIZE = 7;

export interface TrampolineText {
  code: Uint8Array;
  /** Where the copy's patchable call is (calc_trampoline_call_offset). */
  callAt: bigint;
  /** The word holding the ops id. */
  opsSlot: bigint;
}

function putRel32(code: Uint8Array, off: number, opcode: number, at: bigint, target: bigint): void {
  const disp = BigInt.asIntN(64, target - (at + 5n));
  if (disp < -(1n << 31n) || disp >= 1n << 31n) throw new RangeError(`ftrace trampoline: ${hex(target)} is out of reach of ${hex(at)}`);
  code[off] = opcode;
  new DataView(code.buffer, code.byteOffset).setInt32(off + 1, Number(disp), true);
}

/** Bytes a trampoline needs for the regs caller (`regs`) or the plain one. */
export function trampolineSize(callers: FtraceCallersText, regs: boolean): number {
  const start = regs ? callers.ftraceRegsCaller : callers.ftraceCaller;
  const end = regs ? callers.ftraceRegsCallerEnd : callers.ftraceCallerEnd;
  const body = Number(end - start) + 5;
  return ((body + 7) & ~7) + 8;
}

/**
 * create_trampoline: the bytes of a trampoline at `at` for an ops whose id is `opsId` and whose
 * function's entry is `func`. `callersCode` is the shared callers' text as it stands (its call and jmp
 * targets do not matter: the call is replaced, the jmp is not copied).
 */
export function buildTrampoline(callers: FtraceCallersText, callersCode: Uint8Array, regs: boolean, at: bigint, opsId: bigint, func: bigint): TrampolineText {
  const base = callers.base;
  const start = regs ? callers.ftraceRegsCaller : callers.ftraceCaller;
  const end = regs ? callers.ftraceRegsCallerEnd : callers.ftraceCallerEnd;
  const opPtr = regs ? callers.ftraceRegsCallerOpPtr : callers.ftraceCallerOpPtr;
  const call = regs ? callers.ftraceRegsCall : callers.ftraceCall;
  const from = Number(start - base);
  const size = Number(end - start);
  const code = new Uint8Array(trampolineSize(callers, regs)).fill(0xcc);
  code.set(callersCode.subarray(from, from + size), 0);
  // the ending: back to the shared caller's tail
  putRel32(code, size, JMP32_INSN_OPCODE, at + BigInt(size), end);
  const slotOff = code.length - 8;
  const opsSlot = at + BigInt(slotOff);
  new DataView(code.buffer).setBigUint64(slotOff, opsId, true);
  // the ops pointer: movq <slot>(%rip), %rdx
  const o = Number(opPtr - start);
  if (!OP_REF.every((b, i) => code[o + i] === b)) {
    throw new Error(`ftrace trampoline: no movq function_trace_op(%rip), %rdx at ${hex(opPtr)} (the callers changed shape)`);
  }
  new DataView(code.buffer).setInt32(o + 3, Number(opsSlot - (at + BigInt(o + OP_REF_SIZE))), true);
  // the call: straight to the ops' function
  const c = Number(call - start);
  if (code[c] !== CALL_INSN_OPCODE) throw new Error(`ftrace trampoline: no call at ${hex(call)} (the callers changed shape)`);
  putRel32(code, c, CALL_INSN_OPCODE, at + BigInt(c), func);
  return { code, callAt: at + BigInt(c), opsSlot };
}
