// trace_options and options/: the generic trace flags and the tracers' own options that ftsim's output honours (kernel/trace/trace.c trace_options[], tracing_trace_options_show/write, trace_options_core_read/write; trace_functions_graph.c trace_opts).

import type { TraceArray } from '../trace_functions.js';
import { DEFAULT_GRAPH_OPTIONS, DEFAULT_TRACE_OPTIONS, type GraphOptions, type TraceTextOptions } from '../trace_output.js';
import { EINVAL, kstrtoul, roFile, rwFile, type StaticDir } from './fs.js';
import type { TracefsContext } from './index.js';
import { controlState } from './control_state.js';
import { FuncRepeats } from '../trace_func_repeats.js';

/** One option: its name, and how to read and set it on a trace array. */
export interface TraceOption {
  name: string;
  get(tr: TraceArray): boolean;
  set(tr: TraceArray, on: boolean): number;
}

function textOpt(name: string, key: keyof TraceTextOptions): TraceOption {
  return {
    name,
    get: (tr) => tr.textOptions[key] ?? DEFAULT_TRACE_OPTIONS[key],
    set: (tr, on) => { tr.textOptions[key] = on; return 0; },
  };
}

function graphOpt(name: string, key: keyof GraphOptions): TraceOption {
  return {
    name,
    get: (tr) => tr.graphOptions[key] ?? DEFAULT_GRAPH_OPTIONS[key],
    set: (tr, on) => { tr.graphOptions[key] = on; return 0; },
  };
}

/**
 * sleep-time / graph-time: func_graph_set_flag sets the fgraph core's globals (ftrace_graph_sleep_time_control,
 * ftrace_graph_graph_time_control), so every trace array and the profiler see the same value.
 */
function fgraphOpt(name: string, key: 'sleepTime' | 'graphTime'): TraceOption {
  return {
    name,
    get: (tr) => tr.arch.fgraph(tr.core)[key],
    set: (tr, on) => { tr.arch.fgraph(tr.core)[key] = on; return 0; },
  };
}

/** A generic flag ftsim keeps but whose effect lives elsewhere or is vacuous here (see TraceArray.optionFlags). */
function flagOpt(name: string): TraceOption {
  return {
    name,
    get: (tr) => tr.optionFlag(name),
    set: (tr, on) => { tr.optionFlags.set(name, on); return 0; },
  };
}

/** The generic options, in the kernel's TRACE_FLAGS order (6.18's trace_options). */
export const GENERIC_OPTIONS: readonly TraceOption[] = [
  textOpt('print-parent', 'printParent'),
  textOpt('sym-offset', 'symOffset'),
  textOpt('sym-addr', 'symAddr'),
  textOpt('verbose', 'verbose'),
  textOpt('raw', 'raw'),
  textOpt('hex', 'hex'),
  textOpt('bin', 'bin'),
  flagOpt('block'),
  textOpt('fields', 'fields'),
  textOpt('trace_printk', 'printk'),
  textOpt('annotate', 'annotate'),
  flagOpt('userstacktrace'),
  flagOpt('sym-userobj'),
  textOpt('printk-msg-only', 'printkMsgOnly'),
  textOpt('context-info', 'contextInfo'),
  textOpt('latency-format', 'latencyFormat'),
  {
    name: 'record-cmd',
    get: (tr) => tr.recordCmd,
    set: (tr, on) => { tr.recordCmd = on; return 0; },
  },
  textOpt('record-tgid', 'recordTgid'),
  {
    name: 'overwrite',
    get: (tr) => tr.buffer.overwrite,
    set: (tr, on) => {
      tr.buffer.overwrite = on;
      const snap = controlState(tr).snapshot;
      if (snap !== null) snap.overwrite = on;
      return 0;
    },
  },
  flagOpt('disable_on_free'),
  textOpt('irq-info', 'irqInfo'),
  {
    name: 'markers',
    get: (tr) => controlState(tr).markers,
    set: (tr, on) => { controlState(tr).markers = on; return 0; },
  },
  flagOpt('event-fork'),
  flagOpt('trace_printk_dest'),
  flagOpt('copy_trace_marker'),
  flagOpt('pause-on-trace'),
  flagOpt('hash-ptr'),
  flagOpt('function-trace'),
  {
    // set_tracer_flag(TRACE_ITER_FUNC_FORK) -> ftrace_pid_follow_fork
    name: 'function-fork',
    get: (tr) => tr.functionFork,
    set: (tr, on) => { tr.setFunctionFork(on); return 0; },
  },
  flagOpt('stacktrace'),
];

/**
 * Each tracer's own options, in its trace_opts order. function_graph's funcgraph-args (between
 * funcgraph-retaddr and sleep-time) is left out: the output does not honour it (it needs BTF).
 */
export const TRACER_OPTIONS: ReadonlyMap<string, readonly TraceOption[]> = new Map([
  ['function', [
    {
      // func_set_flag(TRACE_FUNC_OPT_STACK): the callback also records a stack trace
      name: 'func_stack_trace',
      get: (tr) => tr.funcStackTrace,
      set: (tr, on) => { tr.funcStackTrace = on; return 0; },
    },
    {
      // func_set_flag(TRACE_FUNC_OPT_NO_REPEATS): the callback folds repeated calls (state fresh when turned on)
      name: 'func-no-repeats',
      get: (tr) => tr.funcRepeats !== null,
      set: (tr, on) => {
        if (on && tr.funcRepeats === null) tr.funcRepeats = new FuncRepeats(tr.kernel.cpus.length);
        if (!on) tr.funcRepeats = null;
        return 0;
      },
    },
  ]],
  ['function_graph', [
    graphOpt('funcgraph-overrun', 'overrun'),
    graphOpt('funcgraph-cpu', 'cpu'),
    graphOpt('funcgraph-overhead', 'overhead'),
    graphOpt('funcgraph-proc', 'proc'),
    graphOpt('funcgraph-duration', 'duration'),
    graphOpt('funcgraph-abstime', 'abstime'),
    graphOpt('funcgraph-irqs', 'irqs'),
    graphOpt('funcgraph-tail', 'tail'),
    graphOpt('funcgraph-retval', 'retval'),
    graphOpt('funcgraph-retval-hex', 'retvalHex'),
    graphOpt('funcgraph-retaddr', 'retaddr'),
    fgraphOpt('sleep-time', 'sleepTime'),
    fgraphOpt('graph-time', 'graphTime'),
  ]],
]);

/** TOP_LEVEL_TRACE_FLAGS: the flags only the global trace array has an options/ file for. */
export const TOP_LEVEL_OPTIONS: ReadonlySet<string> = new Set(['trace_printk', 'printk-msg-only', 'record-cmd']);

/** tracing_trace_options_show: every generic option, then the current tracer's, `no` before those off. */
export function showTraceOptions(tr: TraceArray): string {
  const opts = [...GENERIC_OPTIONS, ...(TRACER_OPTIONS.get(tr.current.name) ?? [])];
  return opts.map((o) => (o.get(tr) ? o.name : 'no' + o.name) + '\n').join('');
}

/**
 * trace_set_options: strip, a leading `no` clears, then a generic option or one of the current tracer's;
 * anything else is -EINVAL. Writes of 64 bytes or more are -EINVAL.
 */
export function writeTraceOptions(tr: TraceArray, text: string): number {
  if (text.length >= 64) return -EINVAL;
  let cmp = text.trim();
  let on = true;
  if (cmp.startsWith('no')) {
    on = false;
    cmp = cmp.slice(2);
  }
  const o = GENERIC_OPTIONS.find((x) => x.name === cmp) ?? (TRACER_OPTIONS.get(tr.current.name) ?? []).find((x) => x.name === cmp);
  if (o === undefined) return -EINVAL;
  return o.set(tr, on);
}

/** options/<name>: reads `1` or `0`; takes 0 or 1 (kstrtoul), anything else -EINVAL. */
function optionFile(tr: TraceArray, o: TraceOption): ReturnType<typeof rwFile> {
  return rwFile(() => (o.get(tr) ? '1\n' : '0\n'), (t) => {
    const v = kstrtoul(t);
    if (v < 0) return v;
    if (v !== 0 && v !== 1) return -EINVAL;
    return o.set(tr, v === 1);
  });
}

/** __tracing_open under pause-on-trace: tracing_stop_tr (the buffer stops taking events; tracing_on still reads 1). */
export function pauseOnTraceOpen(tr: TraceArray): void {
  if (!tr.optionFlag('pause-on-trace')) return;
  tr.stopCount++;
  tr.buffer.recordDisable();
}

/** tracing_release: tracing_start_tr when the array is stopped (whether or not this open stopped it). */
export function pauseOnTraceRelease(tr: TraceArray): void {
  if (tr.stopCount === 0) return;
  tr.stopCount--;
  tr.buffer.recordEnable();
}

/** saved_tgids: `pid tgid` for every pid recorded under record-tgid (saved_tgids_show). */
export function showSavedTgids(tr: TraceArray): string {
  return [...tr.savedTgids].sort((a, b) => a[0] - b[0]).map(([p, t]) => `${p} ${t}\n`).join('');
}

/**
 * trace_options and the options/ directory (generic options and every tracer's); the top level also
 * gets saved_tgids. With `ctx`, the array's %pS (sym-offset) takes its symbol sizes from the loader's table.
 */
export function registerOptionFiles(dir: StaticDir, tr: TraceArray, ctx?: TracefsContext, top = false): void {
  if (ctx !== undefined && tr.symbolSize === null) {
    const syms = ctx.b.symbols;
    tr.symbolSize = (a) => syms.sizeOf(a);
  }
  if (top) dir.add('saved_tgids', roFile(() => showSavedTgids(tr)));
  dir.add('trace_options', rwFile(() => showTraceOptions(tr), (t) => writeTraceOptions(tr, t)));
  const od = dir.dir('options');
  // create_trace_options_dir: an instance gets no file for the top-level-only flags (TOP_LEVEL_TRACE_FLAGS)
  for (const o of GENERIC_OPTIONS) if (top || !TOP_LEVEL_OPTIONS.has(o.name)) od.add(o.name, optionFile(tr, o));
  for (const opts of TRACER_OPTIONS.values()) for (const o of opts) od.add(o.name, optionFile(tr, o));
}

/**
 * A new instance starts with the top level's generic flags (trace_array_create: global_trace's
 * trace_flags), except those ZEROED_TRACE_FLAGS clears: event-fork, function-fork, trace_printk_dest
 * (TRACE_ITER_TRACE_PRINTK) and copy_trace_marker.
 */
const ZEROED_TRACE_FLAGS: ReadonlySet<string> = new Set(['event-fork', 'function-fork', 'trace_printk_dest', 'copy_trace_marker']);

export function inheritTraceFlags(top: TraceArray, tr: TraceArray): void {
  for (const o of GENERIC_OPTIONS) o.set(tr, ZEROED_TRACE_FLAGS.has(o.name) ? false : o.get(top));
}
