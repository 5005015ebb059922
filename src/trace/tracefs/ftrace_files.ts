// tracefs files of dynamic ftrace: set_ftrace_filter/notrace with function commands, available_filter_functions, enabled_functions, pid filters, graph filters (kernel/trace/ftrace.c ftrace_init_tracefs, ftrace_regex_*).

import type { TraceArray } from '../trace_functions.js';
import type { StaticDir } from './fs.js';
import type { TracefsContext } from './index.js';

export function registerFtraceFiles(_dir: StaticDir, _ctx: TracefsContext, _tr: TraceArray, _top: boolean): void {
  // filled in by the tracefs ftrace-files work
}
