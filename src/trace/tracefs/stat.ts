// tracefs statistics: the function profiler (function_profile_enabled, trace_stat/function<cpu>) and the stack tracer (stack_trace, stack_max_size, stack_trace_filter, ftsim/stack_tracer_enabled) (kernel/trace/ftrace.c function profiler, trace_stat.c, trace_stack.c).

import type { TraceArray } from '../trace_functions.js';
import { FunctionProfiler } from '../ftrace_profile.js';
import { StackTracer } from '../trace_stack.js';
import { showHash } from '../../ftrace/show.js';
import { matchRecords } from '../../ftrace/filter.js';
import { numToAddr } from '../../machine/memory.js';
import type { Booted } from '../../runner.js';
import { EINVAL, ENODEV, kstrtoul, roFile, rwFile, textReader, text, type FileNode, type OpenFile, type StaticDir } from './fs.js';
import { runKernelCall, type TracefsContext } from './index.js';
import { functionOpsOf } from './ftrace_files.js';


/** proc_dointvec's write of one int: leading blanks, an optional '-', digits, then a blank or the end (the rest is ignored). */
export function procDointvec(s: string): number {
  const m = /^\s*(-?[0-9]+)(?:\s|$)/.exec(s);
  if (m === null) return Number.NaN;
  const v = Number(m[1]);
  return v >= -0x8000_0000 && v <= 0x7fff_ffff ? v : Number.NaN;
}

/** The profiler and the stack tracer of one machine: one of each, whatever number of trees is built over it. */
export interface StatState {
  profiler: FunctionProfiler;
  stack: StackTracer;
}

const states = new WeakMap<Booted, StatState>();

/** The machine's profiler and stack tracer (null without dynamic ftrace). */
export function statStateOf(b: Booted): StatState | null {
  const ft = b.ftrace;
  if (ft === undefined) return null;
  let s = states.get(b);
  if (s === undefined) {
    s = {
      profiler: new FunctionProfiler(b.kernel, ft.core, ft.arch),
      stack: new StackTracer(b.kernel, ft.core, ft.arch, b.symbols),
    };
    states.set(b, s);
  }
  return s;
}

/** kallsyms_lookup's name for a profiled site (no offset, no module). */
function bareName(b: Booted, ip: number): string {
  const s = b.symbols.nearest(numToAddr(ip));
  return s === undefined ? `0x${numToAddr(ip).toString(16)}` : s.name;
}

/** The longest pattern the kernel's trace_parser takes (FTRACE_BUFF_MAX, KSYM_SYMBOL_LEN + 4 room for wildcards). */
const FTRACE_BUFF_MAX = 128 + 4;

/**
 * stack_trace_filter: set_ftrace_filter's semantics on the stack tracer's ops (ftrace_regex_open /
 * write / release with trace_get_user's parser). An O_TRUNC open starts from an empty filter, else from
 * the current one. A word ended by whitespace is matched at once: one that matches nothing makes that
 * write -EINVAL, and the words before it stay; a word the write leaves unfinished waits for the next
 * write, or for release, where its error is ignored (`echo -n bad` succeeds). The result is installed
 * at release whatever the writes returned, as the kernel moves the iterator's hash in then. Function
 * commands (`func:cmd`) other than `:mod:` are -EINVAL here.
 */
function stackTraceFilterFile(ctx: TracefsContext, st: StackTracer): FileNode {
  const core = st.core;
  return {
    kind: 'file', mode: 0o640,
    open: (f): OpenFile | number => {
      if (core.disabled) return -ENODEV;
      const of: OpenFile = {};
      if (f.read) of.read = textReader(() => showHash(core, st.ops.filterHash, false));
      if (!f.write) return of;
      const reset = f.trunc;
      const hash = new Set(reset ? [] : st.ops.filterHash);
      const words: string[] = [];
      let pending = '';
      const take = (w: string): boolean => {
        if (matchRecords(core.allRecords(), hash, w) <= 0) return false;
        words.push(w);
        return true;
      };
      of.write = (data) => {
        const all = pending + text(data);
        const tokens = all.split(/\s+/);
        // the last token is unfinished unless whitespace ended the write (trace_parser_cont)
        pending = tokens.pop() ?? '';
        for (const w of tokens) {
          if (w.length === 0) continue;
          if (w.length > FTRACE_BUFF_MAX || !take(w)) {
            pending = '';
            return -EINVAL;
          }
        }
        if (pending.length > FTRACE_BUFF_MAX) {
          pending = '';
          return -EINVAL;
        }
        return data.length;
      };
      of.release = () => {
        if (pending.length > 0) take(pending);
        pending = '';
        if (!reset && words.length === 0) return 0;
        const r = runKernelCall(ctx, core.ftraceSetFilter(st.ops, words.join(' '), reset));
        return r === -ENODEV ? r : 0;
      };
      return of;
    },
  };
}

/** Adds the statistics files at the top level (they exist once, for the global trace array). */
export function registerStatFiles(root: StaticDir, ctx: TracefsContext, _top: TraceArray): void {
  const state = statStateOf(ctx.b);
  if (state === null) return;
  const { profiler, stack } = state;
  const b = ctx.b;
  profiler.filterOps ??= functionOpsOf(_top); // the profiler's fgraph ops follows the global filter

  // ---- the function profiler
  root.add('function_profile_enabled', rwFile(
    () => `${profiler.enabled ? 1 : 0}\n`,
    (s) => {
      const v = kstrtoul(s);
      if (v < 0) return v;
      const r = runKernelCall(ctx, profiler.setEnabled(v !== 0));
      return r < 0 ? r : 0;
    },
  ));
  const statDir = root.dir('trace_stat');
  for (let cpu = 0; cpu < b.kernel.cpus.length; cpu++) {
    statDir.add(`function${cpu}`, roFile(() => profiler.statText(cpu, (ip) => bareName(b, ip))));
  }

  // ---- the stack tracer
  root.add('stack_max_size', rwFile(
    () => `${stack.maxSize}\n`,
    (s) => {
      const v = kstrtoul(s);
      if (v < 0) return v;
      stack.setMaxSize(v);
      return 0;
    },
  ));
  root.add('stack_trace', roFile(() => stack.text()));
  root.add('stack_trace_filter', stackTraceFilterFile(ctx, stack));
  // /proc/sys/kernel/stack_tracer_enabled: procfs is not tracefs, so ftsim serves the sysctl here
  root.dir('ftsim').add('stack_tracer_enabled', rwFile(
    () => `${stack.sysctl}\n`,
    (s) => {
      const v = procDointvec(s);
      if (Number.isNaN(v)) return -EINVAL;
      const r = runKernelCall(ctx, stack.setSysctl(v));
      return r < 0 ? r : 0;
    },
  ));
}
