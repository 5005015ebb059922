// tracefs trace events: events/ with enable, format, filter and trigger per event, set_event, available_events (kernel/trace/trace_events.c, trace_events_filter.c, trace_events_trigger.c).

import type { TraceArray } from '../trace_functions.js';
import type { StaticDir } from './fs.js';
import type { TracefsContext } from './index.js';

export function registerEventFiles(_dir: StaticDir, _ctx: TracefsContext, _tr: TraceArray, _top: boolean): void {
  // filled in by the trace-events work
}
