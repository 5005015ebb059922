// struct ftrace_ops, its filter/notrace hashes, the functions ftrace_caller calls, and the per-context recursion protection (include/linux/ftrace.h, kernel/trace/ftrace.c, include/linux/trace_recursion.h).

/** Ops flags (the kernel's FTRACE_OPS_FL_*; only their identity matters here, not their values). */
export const FTRACE_OPS_FL_ENABLED = 1 << 0;
export const FTRACE_OPS_FL_DYNAMIC = 1 << 1;
export const FTRACE_OPS_FL_SAVE_REGS = 1 << 2;
export const FTRACE_OPS_FL_SAVE_REGS_IF_SUPPORTED = 1 << 3;
export const FTRACE_OPS_FL_RECURSION = 1 << 4;
export const FTRACE_OPS_FL_STUB = 1 << 5;
export const FTRACE_OPS_FL_INITIALIZED = 1 << 6;
export const FTRACE_OPS_FL_DELETED = 1 << 7;
export const FTRACE_OPS_FL_ADDING = 1 << 8;
export const FTRACE_OPS_FL_REMOVING = 1 << 9;
export const FTRACE_OPS_FL_MODIFYING = 1 << 10;
export const FTRACE_OPS_FL_ALLOC_TRAMP = 1 << 11;
export const FTRACE_OPS_FL_IPMODIFY = 1 << 12;
export const FTRACE_OPS_FL_PID = 1 << 13;
export const FTRACE_OPS_FL_RCU = 1 << 14;
export const FTRACE_OPS_FL_TRACE_ARRAY = 1 << 15;
export const FTRACE_OPS_FL_PERMANENT = 1 << 16;
export const FTRACE_OPS_FL_DIRECT = 1 << 17;

/** What a callback may see of the traced function's registers (the arch's pt_regs; x86's PtRegs fits). */
export interface FtraceRegs {
  ip: bigint;
}

/** An ops callback: ftrace_func_t (ip = the traced function's site, parentIp = its return address). */
export type FtraceCallback = (ip: bigint, parentIp: bigint, op: FtraceOps, regs: FtraceRegs | null) => void;

/** A set of site addresses (struct ftrace_hash). 0n marks an entry whose module went away. */
export type FtraceHash = Set<bigint>;

/** One client of function tracing (struct ftrace_ops). */
export class FtraceOps {
  flags: number;
  filterHash: FtraceHash = new Set();
  notraceHash: FtraceHash = new Set();
  /** The ops' own trampoline (0n: none), set by the arch's ftraceUpdateTrampoline. */
  trampoline = 0n;
  trampolineSize = 0;
  /** Free for the owner (the kernel's ops->private). */
  private: unknown = undefined;

  constructor(
    /** Shown where the kernel prints ops->func with %pS (e.g. `function_trace_call`). */
    readonly name: string,
    readonly func: FtraceCallback,
    flags = 0,
  ) {
    this.flags = flags;
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }
}

/** ftrace_ops_test's hash part: the filter is empty or holds ip, and the notrace hash does not. */
export function hashContainsIp(ops: FtraceOps, ip: bigint): boolean {
  return (ops.filterHash.size === 0 || ops.filterHash.has(ip)) && !ops.notraceHash.has(ip);
}

/** ftrace_ops_test: the hashes match, and a SAVE_REGS ops is never called without full regs. */
export function ftraceOpsTest(ops: FtraceOps, ip: bigint, regs: FtraceRegs | null): boolean {
  if (regs === null && ops.has(FTRACE_OPS_FL_SAVE_REGS)) return false;
  return hashContainsIp(ops, ip);
}

/** The context a traced call runs in (interrupt_context_level). */
export type TraceContextLevel = 'normal' | 'softirq' | 'irq' | 'nmi';

/** TRACE_CTX_*: the bit each context uses within a group of recursion bits. */
const CTX_BIT: Record<TraceContextLevel, number> = { nmi: 0, irq: 1, softirq: 2, normal: 3 };
const TRACE_CTX_TRANSITION = 4;
/** Groups of recursion bits: the ops assist wrapper's and the list function's. */
export const TRACE_FTRACE_START = 0;
export const TRACE_LIST_START = 5;

/** Per-task recursion state (current->trace_recursion), owned by the caller of the dispatch. */
export interface TraceRecursion {
  bits: number;
}

/** Where a traced call comes from: the running task's recursion word and the CPU's current context. */
export interface TraceCtx {
  recursion: TraceRecursion;
  context: TraceContextLevel;
}

/**
 * trace_test_and_set_recursion: take the context's bit in the group starting at `start`; if it is
 * taken, allow one more level through the transition bit (an interrupt that struck before the
 * context changed); else refuse with -1. Returns the bit to clear.
 */
export function traceTestAndSetRecursion(ctx: TraceCtx, start: number): number {
  const val = ctx.recursion.bits;
  let bit = CTX_BIT[ctx.context] + start;
  if (val & (1 << bit)) {
    bit = TRACE_CTX_TRANSITION + start;
    if (val & (1 << bit)) return -1;
  }
  ctx.recursion.bits = val | (1 << bit);
  return bit;
}

export function traceClearRecursion(ctx: TraceCtx, bit: number): void {
  ctx.recursion.bits &= ~(1 << bit);
}

/**
 * A function the callers' patchable call (or an ops trampoline's) can target: ftrace_stub,
 * ftrace_ops_list_func, ftrace_ops_assist_func or an ops' own callback. `op` is what the caller
 * passes as the third argument (function_trace_op, or the trampoline's ops).
 */
export interface TraceFunc {
  readonly name: string;
  readonly call: (ip: bigint, parentIp: bigint, op: FtraceOps, regs: FtraceRegs | null, ctx: TraceCtx) => void;
}
