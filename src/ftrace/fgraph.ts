// The function-return tracer's core: the fgraph_ops array, the per-task return stack (current->ret_stack) whose frames record which ops took the call, function_graph_enter and ftrace_return_to_handler (kernel/trace/fgraph.c).

import type { SlotKey } from '../kernel/task_slots.js';
import { FtraceOps, FTRACE_OPS_FL_STUB, hashContainsIp, type FtraceHash } from './ops.js';
import { EBUSY, ENOSPC, type ArchThread } from './arch.js';
/** -ENOSPC: every fgraph_array slot is taken. */
export { ENOSPC } from './arch.js';
import { FTRACE_START_FUNC_RET, FTRACE_STOP_FUNC_RET, type FtraceCore } from './ftrace.js';
import { FgraphFilter } from './fgraph_filter.js';
import { numToAddr } from '../machine/memory.js';

/** FTRACE_RETFUNC_DEPTH: entries one task's return stack holds. */
export const FTRACE_RETFUNC_DEPTH = 50;
/** FGRAPH_ARRAY_SIZE: fgraph_ops registered at once. */
export const FGRAPH_ARRAY_SIZE = 16;

/** One saved return (struct ftrace_ret_stack with its bitmap word); addresses as the ring buffer stores them (addrToNum). */
export interface RetStackEntry {
  /** The traced function's site. */
  func: number;
  /** The original return address the slot held. */
  ret: number;
  calltime: number;
  depth: number;
  /** Bit i: fgraph_array[i] took this call, and its return callback runs. */
  bitmap: number;
  /** fgraph_reserve_data: what each ops stored with the frame, by ops index. */
  data: (object | undefined)[];
}

/**
 * The per-task word each fgraph_ops owns (fgraph_get_task_var): TRACE_GRAPH_BIT with its depth (the
 * set_graph_function root being traced, or -1), TRACE_GRAPH_NOTRACE (here: the depth of the
 * set_graph_notrace function that set it, or -1) and TRACE_IRQ_BIT (the root was entered in hardirq).
 */
export interface GraphTaskVar {
  /** The registration it belongs to (init_task_vars clears every task's word when an ops takes the index). */
  gen: number;
  graphDepth: number;
  notraceAt: number;
  irqBit: boolean;
}

export function newTaskVar(): GraphTaskVar {
  return { gen: 0, graphDepth: -1, notraceAt: -1, irqBit: false };
}

/** current->ret_stack, curr_ret_stack (its length), trace_overrun, the ops' task vars. Plain data (snapshots copy it). */
export interface RetStack {
  entries: RetStackEntry[];
  overrun: number;
  /** Returns popped so far, and what the last one left in its slot (the slot's memory after the pop). */
  pops: number;
  lastPopped: RetStackEntry | null;
  /** Per fgraph_ops index. */
  vars: GraphTaskVar[];
  /** current->ftrace_sleeptime / ftrace_timestamp: time scheduled out, counted while sleep-time is off. */
  sleeptime: number;
  timestamp: number;
}

/** A task's empty return stack. */
export function newRetStack(): RetStack {
  return { entries: [], overrun: 0, pops: 0, lastPopped: null, vars: [], sleeptime: 0, timestamp: 0 };
}

/** struct ftrace_graph_ent, with the caller's address (ftrace_graph_top_ret_addr). */
export interface FtraceGraphEnt {
  func: number;
  depth: number;
  retaddr: number;
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

/** What an entry callback may use: its task var, the task's sleep time, and fgraph_reserve_data. */
export interface FgraphEntryCtx {
  readonly var: GraphTaskVar;
  readonly sleeptime: number;
  reserveData(d: object): void;
}

/** What a return callback may use: its task var, the task's sleep time, fgraph_retrieve_data and fgraph_retrieve_parent_data. */
export interface FgraphReturnCtx {
  readonly var: GraphTaskVar;
  readonly sleeptime: number;
  readonly data: object | undefined;
  parentData(depth: number): object | undefined;
}

/**
 * struct fgraph_ops: the user's entry (returns whether it wants this call's return) and return
 * callbacks, and `ops` (fgraph_ops.ops): the ftrace_ops whose filter and notrace hashes decide which
 * functions call this user's entry (fgraph_init_ops shares them with another ops: the function_graph
 * tracer's with its trace array's set_ftrace_filter, the profiler's with the global filter). Absent
 * or null: every function.
 */
export interface FgraphOps {
  entryfunc(trace: FtraceGraphEnt, ctx: FgraphEntryCtx): boolean;
  retfunc(trace: FtraceGraphRet, ctx: FgraphReturnCtx): void;
  ops?: FtraceOps | null;
}

/** ftrace_ops_test(&gops->ops, func, NULL) as function_graph_enter_regs asks it: the user's hashes select the site. */
export function fgraphOpsWants(gops: FgraphOps, func: number): boolean {
  const ops = gops.ops;
  return ops === undefined || ops === null || hashContainsIp(ops, numToAddr(func));
}

/** Where the core runs: the current task's return stack and the clock of the CPU running the traced call. */
export interface FgraphEnv {
  retStack(): RetStack;
  now(): number;
}

export class Fgraph {
  /** graph_ops: registered with the graph hook; its function is the stub (the callers' jmp does the work). */
  readonly ops = new FtraceOps('ftrace_stub', () => {}, FTRACE_OPS_FL_STUB);
  /** fgraph_array: the registered users by index (null: a free slot). */
  readonly array: (FgraphOps | null)[] = new Array<FgraphOps | null>(FGRAPH_ARRAY_SIZE).fill(null);
  /** Calls that pushed an entry / popped one; pushes refused because a return stack was full. */
  readonly stats = { entries: 0, returns: 0, overruns: 0, declined: 0, notraced: 0 };
  /** set_graph_function, set_graph_notrace and max_graph_depth (the graph tracer's filters; other users ignore them). */
  readonly filter: FgraphFilter;
  /** return_to_handler's address (addrToNum): a frame whose saved return is it was a tail call (ftrace_graph_top_ret_addr skips it). */
  returnHandler = 0;
  /** fgraph_sleep_time (the sleep-time option): off = time scheduled out is taken off the callers' times. */
  sleepTime = true;
  /** fgraph_graph_time (the graph-time option, read by the profiler): off = a function's time excludes its children's. */
  graphTime = true;

  constructor(readonly core: FtraceCore, readonly key: SlotKey<RetStack>) {
    this.filter = new FgraphFilter(() => core.allRecords(), () => core.disabled);
    core.subopsListeners.push((ops) => (this.array.some((g) => g !== null && g.ops === ops) ? this.updateHookHashes() : null));
  }

  /**
   * The hashes graph_ops patches with, from its users' (ftrace_startup_subops: append_hashes /
   * intersect_hashes): the union of their filters (empty, i.e. every function, when one user has none)
   * and the intersection of their notrace hashes (empty when one user has none).
   */
  private hookHashes(): { filter: FtraceHash; notrace: FtraceHash } {
    const users = this.array.filter((g): g is FgraphOps => g !== null);
    const filters = users.map((g) => g.ops?.filterHash ?? new Set<bigint>());
    const notraces = users.map((g) => g.ops?.notraceHash ?? new Set<bigint>());
    const filter = filters.some((h) => h.size === 0) ? new Set<bigint>() : new Set(filters.flatMap((h) => [...h]));
    const notrace = notraces.some((h) => h.size === 0) ? new Set<bigint>()
      : new Set([...notraces[0]].filter((a) => notraces.every((h) => h.has(a))));
    return { filter, notrace };
  }

  /** ftrace_hash_move_and_update_subops: graph_ops takes its users' hashes again and the sites follow. */
  private *updateHookHashes(): ArchThread<number> {
    const { filter, notrace } = this.hookHashes();
    if (this.users === 0) return 0;
    const r = yield* this.core.ftraceInstallHash(this.ops, filter, true);
    if (r < 0) return r;
    return yield* this.core.ftraceInstallHash(this.ops, notrace, false);
  }

  /** max_graph_depth: 0 = no limit. */
  get maxDepth(): number {
    return this.filter.maxDepth;
  }

  set maxDepth(n: number) {
    this.filter.maxDepth = n;
  }

  /** The registered users. */
  get users(): number {
    return this.array.filter((g) => g !== null).length;
  }

  /** Whether `gops` is registered. */
  has(gops: FgraphOps): boolean {
    return this.array.includes(gops);
  }

  /**
   * register_ftrace_graph: the ops takes the first free fgraph_array slot (-ENOSPC when all
   * FGRAPH_ARRAY_SIZE are taken; -EBUSY for an ops already there); the first user starts the graph
   * hook (ftrace_caller's jmp to ftrace_graph_caller), later ones share it.
   */
  *registerFtraceGraph(gops: FgraphOps): ArchThread<number> {
    if (this.has(gops)) return -EBUSY;
    const idx = this.array.indexOf(null);
    if (idx < 0) return -ENOSPC;
    const first = this.users === 0;
    this.array[idx] = gops;
    this.gens[idx]++;
    if (!first) return yield* this.updateHookHashes();
    const { filter, notrace } = this.hookHashes();
    this.ops.filterHash = filter;
    this.ops.notraceHash = notrace;
    const err = yield* this.core.ftraceStartup(this.ops, FTRACE_START_FUNC_RET);
    if (err) this.array[idx] = null;
    return err;
  }

  /** unregister_ftrace_graph: frees the slot; the last user stops the hook. Calls already hooked keep returning through return_to_handler. */
  *unregisterFtraceGraph(gops: FgraphOps): ArchThread<number> {
    const idx = this.array.indexOf(gops);
    if (idx < 0) return 0;
    this.array[idx] = null;
    if (this.users > 0) return yield* this.updateHookHashes();
    return yield* this.core.ftraceShutdown(this.ops, FTRACE_STOP_FUNC_RET);
  }

  /** Registrations so far, by index (a task var of an older one is stale). */
  private readonly gens: number[] = new Array<number>(FGRAPH_ARRAY_SIZE).fill(0);

  private taskVar(rs: RetStack, i: number): GraphTaskVar {
    let v = rs.vars[i];
    if (v === undefined || v.gen !== this.gens[i]) { v = { ...newTaskVar(), gen: this.gens[i] }; rs.vars[i] = v; }
    return v;
  }

  /**
   * ftrace_push_return_trace's first half: reserve the current task's next return stack slot (the
   * kernel's curr_ret_stack++ before barrier()). Returns its index, or -1 when nothing is to be pushed
   * (no user, or the stack is full: trace_overrun). An interrupt that strikes before fill() pushes and
   * pops above the reserved slot.
   */
  reserve(env: FgraphEnv): number {
    if (this.users === 0) return -1;
    const rs = env.retStack();
    const depth = rs.entries.length;
    if (depth >= FTRACE_RETFUNC_DEPTH) {
      rs.overrun++;
      this.stats.overruns++;
      return -1;
    }
    rs.entries.push({ func: 0, ret: 0, calltime: 0, depth, bitmap: 0, data: [] });
    return depth;
  }

  /**
   * ftrace_graph_top_ret_addr: the saved return of the innermost frame, going down past frames that
   * saved return_to_handler (a tail call from a traced function: its slot already held the handler).
   */
  topRetAddr(rs: RetStack): number {
    for (let d = rs.entries.length - 1; d >= 0; d--) {
      const ret = rs.entries[d].ret;
      if (ret !== this.returnHandler) return ret;
    }
    return 0;
  }

  /**
   * function_graph_enter_regs' loop: ask every registered ops whose own hashes select the function
   * (ftrace_ops_test on gops->ops); those that take the call get their bit.
   */
  private callEntries(rs: RetStack, slot: RetStackEntry): void {
    const trace: FtraceGraphEnt = { func: slot.func, depth: slot.depth, retaddr: this.topRetAddr(rs) };
    for (let i = 0; i < FGRAPH_ARRAY_SIZE; i++) {
      const gops = this.array[i];
      if (gops === null) continue;
      const ctx: FgraphEntryCtx = {
        var: this.taskVar(rs, i), sleeptime: rs.sleeptime,
        reserveData: (d) => { slot.data[i] = d; },
      };
      if (fgraphOpsWants(gops, slot.func) && gops.entryfunc(trace, ctx)) slot.bitmap |= 1 << i;
      else slot.data[i] = undefined;
    }
  }

  /**
   * The second half: fill the reserved slot and ask every user's entry callback; true when the caller
   * must replace the return address (some user took it). A call no user took gives its slot back (it
   * is the innermost again: whatever an interrupt pushed meanwhile was popped before the interrupt returned).
   */
  fill(env: FgraphEnv, index: number, func: number, ret: number): boolean {
    const rs = env.retStack();
    if (rs.entries.length !== index + 1) throw new Error(`ftrace: return stack slot ${index} is not the innermost (${rs.entries.length} entries)`);
    const slot: RetStackEntry = { func, ret, calltime: env.now(), depth: index, bitmap: 0, data: [] };
    rs.entries[index] = slot;
    return this.decide(rs, slot);
  }

  private decide(rs: RetStack, slot: RetStackEntry): boolean {
    this.callEntries(rs, slot);
    if (slot.bitmap === 0) {
      rs.entries.pop();
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
    if (this.users === 0) return null;
    const rs = env.retStack();
    const depth = rs.entries.length;
    if (depth >= FTRACE_RETFUNC_DEPTH) { rs.overrun++; this.stats.overruns++; return null; }
    return { entry: { func, ret, calltime: env.now(), depth, bitmap: 0, data: [] }, pops: rs.pops };
  }

  /**
   * ...then reserving it: an interrupt that pushed and popped in between wrote its own entry into that
   * slot, and the reservation now holds the interrupt's entry (its function, its return address).
   */
  reserveFilled(env: FgraphEnv, filled: { entry: RetStackEntry; pops: number }): boolean {
    const rs = env.retStack();
    const clobbered = rs.pops !== filled.pops && rs.lastPopped !== null && rs.lastPopped.depth === filled.entry.depth;
    const slot = clobbered ? { ...rs.lastPopped!, bitmap: 0, data: [] } : filled.entry;
    rs.entries.push(slot);
    return this.decide(rs, slot);
  }

  /** function_graph_enter(ret, func) as one atomic step: reserve and fill. */
  enter(env: FgraphEnv, func: number, ret: number): boolean {
    const index = this.reserve(env);
    return index >= 0 && this.fill(env, index, func, ret);
  }

  /**
   * ftrace_return_to_handler: pop the current task's innermost entry, run the return callback of every
   * ops whose bit the frame holds (still registered), give back the original return address.
   */
  returnToHandler(env: FgraphEnv, retval: number): number {
    const rs = env.retStack();
    const e = rs.entries.at(-1);
    if (e === undefined) throw new Error('ftrace: return_to_handler with an empty return stack (bad ret_stack)');
    const trace: FtraceGraphRet = { func: e.func, depth: e.depth, calltime: e.calltime, rettime: env.now(), overrun: rs.overrun, retval };
    for (let i = 0; i < FGRAPH_ARRAY_SIZE; i++) {
      if ((e.bitmap & (1 << i)) === 0) continue;
      const gops = this.array[i];
      if (gops === null) continue;
      gops.retfunc(trace, {
        var: this.taskVar(rs, i), sleeptime: rs.sleeptime, data: e.data[i],
        parentData: (n) => {
          // fgraph_retrieve_parent_data: the n-th enclosing frame that holds this ops' data
          for (let d = e.depth - 1; d >= 0; d--) {
            const pd = rs.entries[d]?.data[i];
            if (pd !== undefined && --n === 0) return pd;
          }
          return undefined;
        },
      });
    }
    rs.entries.pop();
    rs.pops++;
    rs.lastPopped = e;
    this.stats.returns++;
    return e.ret;
  }

  /**
   * ftrace_graph_probe_sched_switch: with sleep-time off, a task switched out is stamped, and the time
   * until it runs again is added to its ftrace_sleeptime (only for tasks stamped before).
   */
  schedSwitch(prev: RetStack, next: RetStack, now: number): void {
    if (this.sleepTime || this.users === 0) return;
    prev.timestamp = now;
    if (!next.timestamp) return;
    next.sleeptime += now - next.timestamp;
  }
}
