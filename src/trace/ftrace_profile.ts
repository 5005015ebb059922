// The function profiler: per-CPU hit counts and times of every traced function, measured through the function-return tracer as the kernel does with CONFIG_FUNCTION_GRAPH_TRACER, and the trace_stat/function<cpu> text (kernel/trace/ftrace.c function profiler, kernel/trace/trace_stat.c).

import type { Kernel } from '../kernel/kernel.js';
import type { FtraceCore, FtraceCall } from '../ftrace/ftrace.js';
import type { FtraceOps } from '../ftrace/ops.js';
import type { FgraphEntryCtx, FgraphOps, FgraphReturnCtx, FtraceGraphEnt, FtraceGraphRet } from '../ftrace/fgraph.js';
import type { X86Ftrace } from '../arch/x86/ftrace.js';
import { formatGraphDuration } from './trace_output_graph.js';

/** struct ftrace_profile: one function's record on one CPU. */
export interface FtraceProfile {
  /** The function's site (its start), as the ring buffer stores addresses (addrToNum). */
  readonly ip: number;
  counter: number;
  /** Nanoseconds, summed over the calls that returned on this CPU. */
  time: number;
  timeSquared: bigint;
}

/** struct profile_fgraph_data: what the profiler keeps with each frame. */
interface ProfileFgraphData {
  calltime: number;
  subtime: number;
  sleeptime: number;
}

/** struct ftrace_profile_stat: a CPU's records, in the order they were allocated (first hit). */
interface ProfileStat {
  records: Map<number, FtraceProfile>;
}

/** function_stat_headers with CONFIG_FUNCTION_GRAPH_TRACER. */
export const FUNCTION_STAT_HEADER =
  '  Function                               Hit    Time            Avg             s^2\n' +
  '  --------                               ---    ----            ---             ---\n';

/**
 * The profiler of one machine. `enabled` is ftrace_profile_enabled: hits count only while it is set,
 * which happens after the graph hook is registered and is cleared before it is removed. Enabling
 * again resets every CPU's records (ftrace_profile_init); disabling keeps them for reading.
 *
 * The profiler is one fgraph user among others (the function_graph tracers of the top array and of
 * instances run beside it); the graph filters (set_graph_function, set_graph_notrace, max_graph_depth)
 * are the graph tracer's and do not restrict it; the global set_ftrace_filter / set_ftrace_notrace do. Times include the children's unless graph-time is
 * off, and the time the task slept unless sleep-time is off (fgraph_graph_time, fgraph_sleep_time).
 */
export class FunctionProfiler {
  enabled = false;
  /** Per CPU; null until the profiler was first enabled (stat->hash / stat->start). */
  private stats: (ProfileStat | null)[];
  private readonly gops: FgraphOps;
  /**
   * The global filter's ops (the top array's set_ftrace_filter / set_ftrace_notrace): the profiler's
   * fgraph_ops.ops follows it (ftrace_ops_set_global_filter). Null: every function.
   */
  filterOps: FtraceOps | null = null;

  constructor(readonly kernel: Kernel, readonly core: FtraceCore, readonly arch: X86Ftrace) {
    this.stats = kernel.cpus.map(() => null);
    this.gops = {
      entryfunc: (trace, c) => this.graphEntry(trace, c),
      retfunc: (trace, c) => this.graphReturn(trace, c),
    };
  }

  /** profile_graph_entry: count the hit (function_profile_call), keep the call's times with its frame, ask for the return. */
  private graphEntry(trace: FtraceGraphEnt, c: FgraphEntryCtx): boolean {
    const cpu = this.arch.current;
    if (cpu === null) return false;
    const stat = this.enabled ? this.stats[cpu.id] : null;
    if (stat !== null) {
      let rec = stat.records.get(trace.func);
      if (rec === undefined) {
        rec = { ip: trace.func, counter: 0, time: 0, timeSquared: 0n };
        stat.records.set(trace.func, rec);
      }
      rec.counter++;
    }
    const data: ProfileFgraphData = { calltime: cpu.now(), subtime: 0, sleeptime: c.sleeptime };
    c.reserveData(data);
    return true;
  }

  /**
   * profile_graph_return: the call's time (less the sleep under nosleep-time; under nograph-time it is
   * added to the parent's subtime and its own children's subtime is taken off, a call without any
   * counting 0, as the kernel does) goes to the record of the CPU it returns on, if that CPU has one.
   */
  private graphReturn(trace: FtraceGraphRet, c: FgraphReturnCtx): void {
    const cpu = this.arch.current;
    if (cpu === null || !this.enabled) return;
    const stat = this.stats[cpu.id];
    const data = c.data as ProfileFgraphData | undefined;
    if (stat === null || data === undefined || !data.calltime) return;
    const g = this.arch.fgraph(this.core);
    let calltime = trace.rettime - data.calltime;
    if (!g.sleepTime && c.sleeptime) calltime -= c.sleeptime - data.sleeptime;
    if (!g.graphTime) {
      const parent = c.parentData(1) as ProfileFgraphData | undefined;
      if (parent !== undefined) parent.subtime += calltime;
      calltime = data.subtime && data.subtime < calltime ? calltime - data.subtime : 0;
    }
    calltime = Math.max(0, calltime);
    const rec = stat.records.get(trace.func);
    if (rec === undefined) return;
    rec.time += calltime;
    rec.timeSquared += BigInt(calltime) * BigInt(calltime);
  }

  /**
   * ftrace_profile_write: 0 or 1 (any nonzero is 1). Enabling resets the records and registers the
   * graph hook (beside any function_graph tracer); disabling clears the flag first.
   */
  *setEnabled(on: boolean): FtraceCall<number> {
    if (on === this.enabled) return 0;
    if (on) {
      this.stats = this.kernel.cpus.map(() => ({ records: new Map() }));
      this.gops.ops = this.filterOps;
      const err = yield* this.arch.fgraph(this.core).registerFtraceGraph(this.gops);
      if (err) return err;
      this.enabled = true;
      return 0;
    }
    this.enabled = false;
    return yield* this.arch.fgraph(this.core).unregisterFtraceGraph(this.gops);
  }

  /**
   * The records of a CPU as trace_stat lists them: by total time, largest first (function_stat_cmp with
   * the stat tree's order: an equal time goes before the records inserted earlier).
   */
  sorted(cpu: number): FtraceProfile[] {
    const stat = this.stats[cpu];
    if (stat === undefined || stat === null) return [];
    const recs = [...stat.records.values()].filter((r) => r.counter > 0);
    const order = new Map(recs.map((r, i) => [r, i]));
    return recs.sort((a, b) => (b.time - a.time) || (order.get(b)! - order.get(a)!));
  }

  /** trace_stat/function<cpu>: the header, then one function_stat_show line per record. */
  statText(cpu: number, name: (ip: number) => string): string {
    let out = FUNCTION_STAT_HEADER;
    for (const rec of this.sorted(cpu)) out += functionStatLine(rec, name(rec.ip));
    return out;
  }
}

/** function_stat_show: `  %-30.30s  %10lu`, then total, average and s^2 as graph durations. */
export function functionStatLine(rec: FtraceProfile, name: string): string {
  const n = rec.counter;
  const avg = Math.floor(rec.time / n);
  // s^2 = (n * sum(x^2) - (sum x)^2) / (n * (n - 1)), divided by 1000 here and once more when printed (ns^2 -> us^2)
  let stddev = 0n;
  const denom = BigInt(n) * BigInt(n - 1) * 1000n;
  if (denom !== 0n) {
    const t = BigInt(rec.time);
    const num = BigInt(n) * rec.timeSquared - t * t;
    stddev = num > 0n ? num / denom : 0n;
  }
  return `  ${name.slice(0, 30).padEnd(30)}  ${String(n).padStart(10)}    ` +
    `${formatGraphDuration(rec.time)}    ${formatGraphDuration(avg)}    ${formatGraphDuration(Number(stddev))}\n`;
}
