// tracefs control files of a trace array: tracers, the buffer and its per-CPU views, options, snapshot, trace_marker, error_log, instances/ (kernel/trace/trace.c).

import type { TraceArray } from '../trace_functions.js';
import type { StaticDir } from './fs.js';
import type { InstanceRegistrar, TracefsContext } from './index.js';

export function registerControlFiles(_dir: StaticDir, _ctx: TracefsContext, _tr: TraceArray, _top: boolean): void {
  // filled in by the tracefs control-files work
}

export function registerInstances(_root: StaticDir, _ctx: TracefsContext, _files: readonly InstanceRegistrar[]): void {
  // filled in by the tracefs control-files work
}
