// The interface between the generic ftrace core and an architecture's byte-level backend: the hooks kernel/trace/ftrace.c calls and arch/x86/kernel/ftrace.c implements.

import type { HostThread, HostYield } from '../machine/scheduler.js';
import type { DynFtrace } from './record.js';
import type { FtraceOps, TraceFunc } from './ops.js';

/** The kernel's error numbers, returned negated. */
export const EPERM = 1;
export const ENOENT = 2;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const ENODEV = 19;
export const EINVAL = 22;
export const EEXIST = 17;
export const ENOSPC = 28;

/** Why a site could not be changed: -EFAULT unreadable, -EINVAL unexpected bytes, -EPERM the write did not stick. */
export interface FtraceFault {
  err: number;
  /** The bytes the arch expected to find (the kernel's ftrace_expected), for the -EINVAL report. */
  expected?: Uint8Array;
}

/** One site of a batch: from what it calls now (null = the nop) to what it must call (null = the nop). */
export interface SiteChange {
  rec: DynFtrace;
  from: bigint | null;
  to: bigint | null;
}

/** A batch that failed: which record, why, and which changes were already written (none if the check failed first). */
export interface BatchFault extends FtraceFault {
  rec: DynFtrace;
  written: readonly SiteChange[];
}

/** Live work the arch does while other CPUs run: a host thread (each yield is one step) with a result. */
export type ArchThread<T> = Generator<HostYield, T, void>;

/**
 * What the core needs from an architecture. Addresses are guest addresses. Every operation that
 * changes text first reads the site and compares it with what the record says it holds.
 *
 * Synchronous operations are for text no CPU can be executing (boot before SMP, a module before its
 * code runs: text_poke_early); the ArchThread ones run live, on one CPU, while the others execute.
 */
export interface FtraceArch {
  /** MCOUNT_INSN_SIZE: bytes of one site. */
  readonly mcountInsnSize: number;
  /** MCOUNT_ADDR: what the compiler's call at each site targets (__fentry__). */
  readonly mcountAddr: bigint;
  /** FTRACE_ADDR and FTRACE_REGS_ADDR: the shared callers. */
  readonly ftraceCaller: bigint;
  readonly ftraceRegsCaller: bigint;

  /** ftrace_make_nop(mod, rec, addr): the site calls `addr` (MCOUNT_ADDR at boot); make it the nop. Null on success. */
  ftraceMakeNop(mod: string | null, rec: DynFtrace, addr: bigint): FtraceFault | null;
  /** ftrace_make_call(rec, addr): the site is the nop; make it call `addr`. */
  ftraceMakeCall(rec: DynFtrace, addr: bigint): FtraceFault | null;
  /** ftrace_modify_call(rec, old_addr, addr): the site calls `oldAddr`; make it call `addr`. */
  ftraceModifyCall(rec: DynFtrace, oldAddr: bigint, addr: bigint): FtraceFault | null;

  /**
   * ftrace_replace_code, x86 style: check every site of the batch against its `from` first (nothing is
   * written if one differs), then change them all as one text_poke_bp batch. Null on success.
   */
  replaceCode(changes: readonly SiteChange[]): ArchThread<BatchFault | null>;
  /** ftrace_update_ftrace_func: point the call at ftrace_call (and ftrace_regs_call) at `func`. 0 or -errno. */
  ftraceUpdateFtraceFunc(func: TraceFunc): ArchThread<number>;
  /** ftrace_enable_ftrace_graph_caller / ftrace_disable_ftrace_graph_caller: the jmp at ftrace_graph_call. */
  ftraceEnableGraphCaller(): ArchThread<number>;
  ftraceDisableGraphCaller(): ArchThread<number>;

  /** smp_call_function(ftrace_sync_ipi, NULL, 1): every other CPU serializes; returns when all did. */
  ftraceSyncIpi(): HostThread;
  /** synchronize_rcu_tasks_rude + synchronize_rcu_tasks: no task is still inside a trampoline being freed. */
  synchronizeRcuTasks(): HostThread;

  /**
   * arch_ftrace_update_trampoline(ops): give the ops its own trampoline calling `func`
   * (ftrace_ops_get_func(ops)): set ops.trampoline and ops.trampolineSize, and
   * FTRACE_OPS_FL_ALLOC_TRAMP, or leave it 0 when the arch will not.
   */
  ftraceUpdateTrampoline(ops: FtraceOps, func: TraceFunc): void;
  /** arch_ftrace_trampoline_free(ops): release ops.trampoline (called after synchronizeRcuTasks). */
  ftraceTrampolineFree(ops: FtraceOps): void;

  /** copy_from_kernel_nofault of the site's MCOUNT_INSN_SIZE bytes; null when unreadable. */
  readSite(ip: bigint): Uint8Array | null;
  /** The bytes a site holds when it calls `target` (ftrace_call_replace) or is the nop (null: ftrace_nop_replace). */
  siteBytes(ip: bigint, target: bigint | null): Uint8Array;
  /** The guest address that enters a host TraceFunc (what %pS of a function pointer resolves). */
  funcAddr(func: TraceFunc): bigint;
  /** %pS of a guest address: `sym+0xoff/0xsize [mod]`, or `0x...` when no symbol covers it. */
  formatSym(addr: bigint): string;
}
