// The function-return tracer's core: the graph ops, the per-task return stack (current->ret_stack), function_graph_enter and ftrace_return_to_handler (kernel/trace/fgraph.c).

import type { SlotKey } from '../kernel/task_slots.js';
import { FtraceOps, FTRACE_OPS_FL_STUB } from './ops.js';
import { EBUSY, type ArchThread } from './arch.js';
import { FTRACE_START_FUNC_RET, FTRACE_STOP_FUNC_RET, type FtraceCore } from './ftrace.js';
import { FgraphFilter } from './fgraph_filter.js';

/** FTRACE_RETFUNC_DEPTH: entries one task's return stack holds. */
export const FTRACE_RETFUNC_DEPTH = 50;

/** One saved return (struct ftrace_ret_stack); addresses as the ring buffer stores them (addrToNum). */
export interface RetStackEntry {
  /** The traced function's site. */
  func: number;
  /** The original return address the slot held. */
  ret: number;
  calltime: number;
  depth: number;
}

/** current->ret_stack, curr_ret_stack (its length), trace_overrun. Plain data (snapshots copy it). */
export interface RetStack {
  entries: RetStackEntry[];
  overrun: number;
  /** Returns popped so far, and what the last one left in its slot (the slot's memory after the pop). */
  pops: number;
  lastPopped: RetStackEntry | null;
  /** TRACE_GRAPH_BIT and its depth (current->trace_recursion): the depth of the graph root being traced, or -1. */
  graphDepth: number;
  /**
   * The notrace depth trick: while a set_graph_notrace function runs, the kernel keeps curr_ret_stack
   * negative (minus FTRACE_NOTRACE_DEPTH) so that every push is refused until it returns. Here: the
   * index of that function's entry, or -1.
   */
  notraceAt: number;
}

/** A task's empty return stack. */
export function newRetStack(): RetStack {
  return { entries: [], overrun: 0, pops: 0, lastPopped: null, graphDepth: -1, notraceAt: -1 };
}

/** struct ftrace_graph_ent. */
export interface FtraceGraphEnt {
  func: number;
  depth: number;
}

/** struct ftrace_graph_ret. */
export interface FtraceGraphRet {
  func: number;
  depth: number;
  calltime: number;
  rettime: number;
  overrun: number;
  retval: number;
}

/** struct fgraph_ops: the tracer's entry (returns whether to trace this call) and return callbacks. */
export interface FgraphOps {
  entryfunc(trace: FtraceGraphEnt): boolean;
  retfunc(trace: FtraceGraphRet): void;
}

/** Where the core runs: the current task's return stack and the clock of the CPU running the traced call. */
export interface FgraphEnv {
  retStack(): RetStack;
  now(): number;
}

export class Fgraph {
  /** graph_ops: registered with the graph hook; its function is the stub (the callers' jmp does the work). */
  readonly ops = new FtraceOps('ftrace_stub', () => {}, FTRACE_OPS_FL_STUB);
  /** The registered fgraph_ops, or null (ftrace_graph_entry / ftrace_graph_return are the stubs). */
  gops: FgraphOps | null = null;
  /** Calls that pushed an entry / popped one; pushes refused because a return stack was full. */
  readonly stats = { entries: 0, returns: 0, overruns: 0, declined: 0, notraced: 0 };
  /** set_graph_function, set_graph_notrace and max_graph_depth. */
  readonly filter: FgraphFilter;

  constructor(readonly core: FtraceCore, readonly key: SlotKey<RetStack>) {
    this.filter = new FgraphFilter(() => core.allRecords(), () => core.disabled);
  }

  /** max_graph_depth: 0 = no limit. */
  get maxDepth(): number {
    return this.filter.maxDepth;
  }

  set maxDepth(n: number) {
    this.filter.maxDepth = n;
  }

  /** register_ftrace_graph: at most one fgraph_ops; the sites its ops wants call ftrace_caller, whose jmp goes to ftrace_graph_caller. */
  *registerFtraceGraph(gops: FgraphOps): ArchThread<number> {
    if (this.gops !== null) return -EBUSY;
    this.gops = gops;
    const err = yield* this.core.ftraceStartup(this.ops, FTRACE_START_FUNC_RET);
    if (err) this.gops = null;
    return err;
  }

  /** unregister_ftrace_graph: calls already hooked keep returning through return_to_handler, which pops without tracing. */
  *unregisterFtraceGraph(gops: FgraphOps): ArchThread<number> {
    if (this.gops !== gops) return 0;
    const err = yield* this.core.ftraceShutdown(this.ops, FTRACE_STOP_FUNC_RET);
    this.gops = null;
    return err;
  }

  /**
   * ftrace_push_return_trace's first half: reserve the current task's next return stack slot (the
   * kernel's curr_ret_stack++ before barrier()). Returns its index, or -1 when nothing is to be pushed
   * (no tracer, the stack is full: trace_overrun; a set_graph_notrace function is running: the kernel's
   * negative curr_ret_stack). A notrace function itself is pushed, and its slot puts the stack in
   * that state at once, as the kernel subtracts FTRACE_NOTRACE_DEPTH before barrier(). An interrupt
   * that strikes before fill() pushes and pops above the reserved slot (or, in the notrace state, not at all).
   */
  reserve(env: FgraphEnv, func = 0): number {
    if (this.gops === null) return -1;
    const rs = env.retStack();
    const depth = rs.entries.length;
    if (depth >= FTRACE_RETFUNC_DEPTH) {
      rs.overrun++;
      this.stats.overruns++;
      return -1;
    }
    if (rs.notraceAt >= 0) {
      this.stats.notraced++;
      return -1;
    }
    rs.entries.push({ func: 0, ret: 0, calltime: 0, depth });
    if (this.filter.isNotrace(func)) rs.notraceAt = depth;
    return depth;
  }

  /**
   * The tracer's entry callback behind the filters (trace_graph_entry): a notrace function is hooked
   * without an event (its return must restore the stack); set_graph_function and max_graph_depth
   * decline calls (ftrace_graph_ignore_func); the rest go to the tracer.
   */
  private entryFunc(rs: RetStack, gops: FgraphOps, func: number, depth: number): boolean {
    if (rs.notraceAt === depth) return true;
    if (this.filter.ignoreFunc(rs, { func, depth })) return false;
    return gops.entryfunc({ func, depth });
  }

  /**
   * The second half: fill the reserved slot and ask the tracer's entry callback; true when the caller
   * must replace the return address. A declined call gives its slot back (it is the innermost again:
   * whatever an interrupt pushed meanwhile was popped before the interrupt returned).
   */
  fill(env: FgraphEnv, index: number, func: number, ret: number): boolean {
    const rs = env.retStack();
    if (rs.entries.length !== index + 1) throw new Error(`ftrace: return stack slot ${index} is not the innermost (${rs.entries.length} entries)`);
    const gops = this.gops;
    const calltime = env.now();
    rs.entries[index] = { func, ret, calltime, depth: index };
    if (gops === null || !this.entryFunc(rs, gops, func, index)) {
      rs.entries.pop();
      if (rs.notraceAt === index) rs.notraceAt = -1;
      this.stats.declined++;
      return false;
    }
    this.stats.entries++;
    return true;
  }

  /**
   * Negative control: the order the kernel warns against, filling the next slot before reserving it.
   * Returns the filled slot (not yet counted) and the pops seen so far, or null.
   */
  fillUnreserved(env: FgraphEnv, func: number, ret: number): { entry: RetStackEntry; pops: number } | null {
    if (this.gops === null) return null;
    const rs = env.retStack();
    const depth = rs.entries.length;
    if (depth >= FTRACE_RETFUNC_DEPTH) { rs.overrun++; this.stats.overruns++; return null; }
    if (rs.notraceAt >= 0) { this.stats.notraced++; return null; }
    return { entry: { func, ret, calltime: env.now(), depth }, pops: rs.pops };
  }

  /**
   * ...then reserving it: an interrupt that pushed and popped in between wrote its own entry into that
   * slot, and the reservation now holds the interrupt's entry (its function, its return address).
   */
  reserveFilled(env: FgraphEnv, filled: { entry: RetStackEntry; pops: number }): boolean {
    const rs = env.retStack();
    const clobbered = rs.pops !== filled.pops && rs.lastPopped !== null && rs.lastPopped.depth === filled.entry.depth;
    const slot = clobbered ? rs.lastPopped! : filled.entry;
    rs.entries.push(slot);
    if (this.filter.isNotrace(slot.func)) rs.notraceAt = slot.depth;
    if (this.gops === null || !this.entryFunc(rs, this.gops, slot.func, slot.depth)) {
      rs.entries.pop();
      if (rs.notraceAt === slot.depth) rs.notraceAt = -1;
      this.stats.declined++;
      return false;
    }
    this.stats.entries++;
    return true;
  }

  /** function_graph_enter(ret, func) as one atomic step: reserve and fill. */
  enter(env: FgraphEnv, func: number, ret: number): boolean {
    const index = this.reserve(env, func);
    return index >= 0 && this.fill(env, index, func, ret);
  }

  /** ftrace_return_to_handler: pop the current task's innermost entry, trace the return, give back the original return address. */
  returnToHandler(env: FgraphEnv, retval: number): number {
    const rs = env.retStack();
    const e = rs.entries.pop();
    if (e === undefined) throw new Error('ftrace: return_to_handler with an empty return stack (bad ret_stack)');
    rs.pops++;
    rs.lastPopped = e;
    this.stats.returns++;
    if (rs.notraceAt === e.depth) {
      // the notrace function returns: the stack leaves the notrace state, and nothing is traced
      rs.notraceAt = -1;
      return e.ret;
    }
    this.filter.addrFinish(rs, e);
    this.gops?.retfunc({ func: e.func, depth: e.depth, calltime: e.calltime, rettime: env.now(), overrun: rs.overrun, retval });
    return e.ret;
  }
}
