// ftrace_caller, ftrace_regs_caller, ftrace_stub and the TraceFunc entry stubs as guest code from the encoder (arch/x86/kernel/ftrace_64.S).
//
// Both callers are entered by the 5-byte `call` at a traced function's fentry site, so on entry
//   [rsp]     = the return address into the traced function (site + 5)
//   [rsp + 8] = the traced function's own return address (the parent ip)
// They build a struct pt_regs-sized frame (kernel layout, src/kernel/ptregs.ts), pass
//   rdi = site (the return address - MCOUNT_INSN_SIZE), rsi = parent ip, rdx = the ops, loaded with
//   `movq function_trace_op(%rip), %rdx` (in the shared callers that word is 0: function_trace_op is
//   a host object and the host reads it; a per-ops trampoline's copy loads its own ops' id), rcx = &regs
// and reach the patchable 5-byte `call` at ftrace_call / ftrace_regs_call, whose target is ftrace_stub
// (a bare `ret`) or one TraceFunc's entry stub: `mov $index, %r11d; mov $HC_FTRACE_FUNC, %eax;
// vmcall; ret`. ftrace_caller saves only the argument registers (plus rax, rbp) and marks its regs
// partial with cs = 0 (ftrace_get_regs() gives NULL); ftrace_regs_caller saves every register, flags,
// cs/ss and the stack pointer as at function entry, and returns to regs->ip, so an IPMODIFY callback
// redirects the traced call. Both end at the patchable `jmp` at ftrace_graph_call (ftrace_caller falls
// into it, ftrace_regs_caller jumps to it, as the kernel's callers both end at ftrace_epilogue).

import { Asm, RAX, RBP, RCX, RDI, RDX, RSI, RSP, R8, R9, R11 } from '../../machine/x86/encoder.js';
import { PT, PT_REGS_SIZE, PUSH_ORDER, PT_REGNUM } from '../../kernel/ptregs.js';
import { HC_FTRACE_FUNC, HC_FTRACE_GRAPH_ENTRY, HC_FTRACE_GRAPH_RETURN, HC_FTRACE_LIVE, HC_YIELD } from '../../kernel/hypercalls.js';
import { KERNEL_CS } from '../../machine/x86/cpu.js';

export const MCOUNT_INSN_SIZE = 5;
/** The kernel data segment selector the regs caller stores in regs->ss. */
const KERNEL_DS = 0x18;

export interface FtraceCallersText {
  code: Uint8Array;
  /** Where `code` starts. */
  base: bigint;
  ftraceCaller: bigint;
  /** ftrace_caller_op_ptr / ftrace_regs_caller_op_ptr: the `movq function_trace_op(%rip), %rdx` a trampoline retargets. */
  ftraceCallerOpPtr: bigint;
  ftraceRegsCallerOpPtr: bigint;
  /**
   * ftrace_caller_end / ftrace_regs_caller_end: where a trampoline's copy of the caller stops; the
   * trampoline then jumps back here (ftrace_caller_end is the graph jmp: the kernel's `jmp ftrace_epilogue`;
   * ftrace_regs_caller_end is the regs caller's own jmp to it, so functions on it get function_graph too).
   */
  ftraceCallerEnd: bigint;
  ftraceRegsCallerEnd: bigint;
  /** The word the shared callers load as the ops (0: the host's function_trace_op). */
  functionTraceOpSlot: bigint;
  /** The patchable call inside ftrace_caller. */
  ftraceCall: bigint;
  /** The patchable jmp at the end of ftrace_caller. */
  ftraceGraphCall: bigint;
  ftraceRegsCaller: bigint;
  /** The patchable call inside ftrace_regs_caller. */
  ftraceRegsCall: bigint;
  /** A bare `ret`: what ftrace_call and ftrace_graph_call target when nothing is traced. */
  ftraceStub: bigint;
  /** The graph hook's target once enabled. */
  ftraceGraphCaller: bigint;
  /** Where a graph-traced function's replaced return address points. */
  returnToHandler: bigint;
  symbols: { name: string; value: bigint; size: number }[];
}

/** ftrace_caller's ABI-visible saves (the kernel's save_mcount_regs without frame pointers). */
const CALLER_SAVED: readonly (keyof typeof PT)[] = ['ax', 'cx', 'dx', 'si', 'di', 'r8', 'r9', 'bp'];
const CALLER_REGS: Record<string, number> = { ax: RAX, cx: RCX, dx: RDX, si: RSI, di: RDI, r8: R8, r9: R9, bp: RBP };

/** Build the callers at `base` (module text, within a rel32 of kernel text). */
export function buildFtraceCallers(base: bigint): FtraceCallersText {
  const a = new Asm(base);
  const symbols: { name: string; value: bigint; size: number }[] = [];
  const F = PT_REGS_SIZE;

  // ---- function_trace_op: 0, the host's (a trampoline holds its own ops' id instead)
  const functionTraceOpSlot = a.here;
  a.bytes(0, 0, 0, 0, 0, 0, 0, 0);
  symbols.push({ name: 'function_trace_op', value: functionTraceOpSlot, size: 8 });

  // ---- ftrace_caller
  a.align(16);
  const ftraceCaller = a.here;
  a.subImm(RSP, F);
  for (const r of CALLER_SAVED) a.store(RSP, PT[r], CALLER_REGS[r]);
  a.load(RDI, RSP, F); // the return address into the traced function
  a.store(RSP, PT.ip, RDI);
  a.subImm(RDI, MCOUNT_INSN_SIZE);
  a.load(RSI, RSP, F + 8); // parent ip
  a.movImm32(RDX, 0);
  a.store(RSP, PT.cs, RDX); // cs = 0: partial regs
  const ftraceCallerOpPtr = a.here;
  a.loadRip(RDX, functionTraceOpSlot);
  a.mov(RCX, RSP);
  const ftraceCall = a.here;
  a.bytes(0xe8, 0, 0, 0, 0); // call ftrace_stub, filled in below
  a.load(RAX, RSP, PT.ip); // the WITH_ARGS caller copies regs->ip back to its return slot
  a.store(RSP, F, RAX);
  for (const r of CALLER_SAVED) a.load(CALLER_REGS[r], RSP, PT[r]);
  a.addImm(RSP, F);
  const ftraceGraphCall = a.here;
  a.bytes(0xe9, 0, 0, 0, 0); // jmp ftrace_stub, filled in below
  const ftraceStub = a.here;
  a.ret();
  symbols.push({ name: 'ftrace_caller', value: ftraceCaller, size: Number(ftraceStub - ftraceCaller) });
  symbols.push({ name: 'ftrace_stub', value: ftraceStub, size: 1 });

  // ---- ftrace_regs_caller
  a.align(16);
  const ftraceRegsCaller = a.here;
  a.bytes(0x9c); // pushfq
  a.subImm(RSP, F); // [rsp+F] = flags, [rsp+F+8] = return into the function, [rsp+F+16] = parent
  for (const r of PUSH_ORDER) a.store(RSP, PT[r], PT_REGNUM[r]);
  a.load(RAX, RSP, F);
  a.store(RSP, PT.flags, RAX);
  a.load(RDI, RSP, F + 8);
  a.store(RSP, PT.ip, RDI);
  a.subImm(RDI, MCOUNT_INSN_SIZE);
  a.load(RSI, RSP, F + 16);
  a.movImm32(RDX, KERNEL_CS);
  a.store(RSP, PT.cs, RDX);
  a.movImm32(RDX, KERNEL_DS);
  a.store(RSP, PT.ss, RDX);
  a.mov(RCX, RSP);
  a.addImm(RCX, F + 16); // the stack pointer at function entry: the parent slot
  a.store(RSP, PT.sp, RCX);
  a.movImm32(RDX, 0);
  a.store(RSP, PT.orig_ax, RDX);
  const ftraceRegsCallerOpPtr = a.here;
  a.loadRip(RDX, functionTraceOpSlot);
  a.mov(RCX, RSP);
  const ftraceRegsCall = a.here;
  a.bytes(0xe8, 0, 0, 0, 0); // call ftrace_stub, filled in below
  a.load(RAX, RSP, PT.ip); // a callback may have moved regs->ip (livepatch)
  a.store(RSP, F + 8, RAX);
  a.load(RAX, RSP, PT.flags);
  a.store(RSP, F, RAX);
  for (const r of PUSH_ORDER) a.load(PT_REGNUM[r], RSP, PT[r]);
  a.addImm(RSP, F);
  a.bytes(0x9d); // popfq
  // ftrace_regs_caller_end: like ftrace_caller, leave through the graph hook at ftrace_graph_call
  // (ftrace_epilogue in the kernel), so that functions on the regs caller get function_graph too;
  // the stack is as there: [rsp] = the return into the function (regs->ip), [rsp + 8] = the parent slot
  const ftraceRegsCallerEnd = a.here;
  a.jmp(ftraceGraphCall);
  symbols.push({ name: 'ftrace_regs_caller', value: ftraceRegsCaller, size: Number(a.here - ftraceRegsCaller) });

  // ---- ftrace_graph_caller (reached by the jmp at ftrace_graph_call, after ftrace_caller restored its
  // frame): [rsp] = the return address into the traced function, [rsp + 8] = the parent slot. The host's
  // prepare_ftrace_return(self_addr = site, parent = &slot) may replace the slot with return_to_handler.
  a.align(16);
  const ftraceGraphCaller = a.here;
  a.subImm(RSP, 24);
  a.store(RSP, 0, RAX);
  a.store(RSP, 8, RDI);
  a.store(RSP, 16, RSI);
  a.load(RDI, RSP, 24);
  a.subImm(RDI, MCOUNT_INSN_SIZE);
  a.mov(RSI, RSP);
  a.addImm(RSI, 32);
  a.movImm32(RAX, HC_FTRACE_GRAPH_ENTRY);
  a.vmcall();
  a.load(RSI, RSP, 16);
  a.load(RDI, RSP, 8);
  a.load(RAX, RSP, 0);
  a.addImm(RSP, 24);
  a.ret();
  symbols.push({ name: 'ftrace_graph_caller', value: ftraceGraphCaller, size: Number(a.here - ftraceGraphCaller) });

  // ---- return_to_handler: a traced function's ret lands here; save the return value registers, ask
  // the host (ftrace_return_to_handler, which reads rax at [rsp]) for the original return address in
  // rdi, restore and jump there.
  a.align(16);
  const returnToHandler = a.here;
  a.subImm(RSP, 16);
  a.store(RSP, 0, RAX);
  a.store(RSP, 8, RDX);
  a.movImm32(RAX, HC_FTRACE_GRAPH_RETURN);
  a.vmcall();
  a.load(RDX, RSP, 8);
  a.load(RAX, RSP, 0);
  a.addImm(RSP, 16);
  a.bytes(0xff, 0xe7); // jmp *%rdi
  symbols.push({ name: 'return_to_handler', value: returnToHandler, size: Number(a.here - returnToHandler) });

  const code = a.finish();
  // the patchable instructions start as a call / jmp to ftrace_stub
  const put = (at: bigint, opcode: number, target: bigint): void => {
    const o = Number(at - base);
    code[o] = opcode;
    new DataView(code.buffer).setInt32(o + 1, Number(target - (at + 5n)), true);
  };
  put(ftraceCall, 0xe8, ftraceStub);
  put(ftraceRegsCall, 0xe8, ftraceStub);
  put(ftraceGraphCall, 0xe9, ftraceStub);
  return {
    code, base, functionTraceOpSlot, ftraceCallerOpPtr, ftraceRegsCallerOpPtr, ftraceCallerEnd: ftraceGraphCall, ftraceRegsCallerEnd, ftraceCaller, ftraceCall, ftraceGraphCall, ftraceRegsCaller, ftraceRegsCall, ftraceStub, ftraceGraphCaller, returnToHandler, symbols };
}

/** Bytes of one TraceFunc entry stub at `addr`: `mov $index, %r11d; mov $HC_FTRACE_FUNC, %eax; vmcall; ret`. */
export function buildFuncStub(addr: bigint, index: number): Uint8Array {
  const a = new Asm(addr);
  a.movImm32(R11, index);
  a.movImm32(RAX, HC_FTRACE_FUNC);
  a.vmcall();
  a.ret();
  return a.finish();
}

/** Room one stub takes (rounded, with alignment). */
export const FUNC_STUB_SIZE = 32;

/**
 * A writer task's body (rdi = the live call's id; returning ends the task):
 *   1: mov $HC_FTRACE_LIVE, %eax; vmcall; test %rax, %rax; jz 2f; cmp $2, %rax; jne 1b
 *      mov $HC_YIELD, %eax; vmcall; jmp 1b
 *   2: ret
 * The host answers rax = 1 (call again: its work is under way, the guest context waits meanwhile),
 * 2 (it sleeps, waiting for other tasks, e.g. an RCU-tasks grace period: enter the scheduler first)
 * or 0 (done).
 */
export function buildLiveTaskStub(addr: bigint): Uint8Array {
  const a = new Asm(addr);
  a.label('again');
  a.movImm32(RAX, HC_FTRACE_LIVE);
  a.vmcall();
  a.test(RAX, RAX);
  a.jccLabel(0x4, 'done'); // jz
  a.cmpImm(RAX, 2);
  a.jccLabel(0x5, 'again'); // jne
  a.movImm32(RAX, HC_YIELD);
  a.vmcall();
  a.jmpLabel('again');
  a.label('done');
  a.ret();
  return a.finish();
}
