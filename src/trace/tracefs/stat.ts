// tracefs statistics: the function profiler (function_profile_enabled, trace_stat/function<cpu>) and the stack tracer (stack_trace, stack_max_size, stack_trace_filter) (kernel/trace/ftrace.c function profiler, trace_stat.c, trace_stack.c).

import type { TraceArray } from '../trace_functions.js';
import type { StaticDir } from './fs.js';
import type { TracefsContext } from './index.js';

export function registerStatFiles(_root: StaticDir, _ctx: TracefsContext, _top: TraceArray): void {
  // filled in by the profiler and stack-tracer work
}
