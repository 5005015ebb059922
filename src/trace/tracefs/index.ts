// The tracefs tree of one machine: the top-level trace array's files, and what each instance gets (kernel/trace/trace.c init_tracer_tracefs, ftrace_init_tracefs, event_trace_init, trace_stat.c, trace_stack.c).

import type { Booted } from '../../runner.js';
import type { RunOutcome } from '../../kernel/kernel.js';
import type { TraceArray } from '../trace_functions.js';
import type { FtraceCall } from '../../ftrace/ftrace.js';
import { EIO, ENODEV, StaticDir, TRACEFS_ROOT_MODE, Tracefs } from './fs.js';
import { driveLiveCall } from '../../live_call.js';
import { registerControlFiles, registerInstances } from './control.js';
import { registerFtraceFiles } from './ftrace_files.js';
import { registerEventFiles } from './events.js';
import { registerStatFiles } from './stat.js';

/** What the files act on: the booted machine, and a way to let it run (blocking reads, `run` in the shell). */
export interface TracefsContext {
  b: Booted;
  /** Let every CPU run `steps` more steps (all CPUs together); the outcome says whether the run ended. */
  run(steps: number): RunOutcome;
}

/**
 * Adds the files one trace array has (the top level, or an instance under instances/): `top` is true
 * for the top level, where some files exist only once (available_filter_functions, the stack tracer...).
 */
export type InstanceRegistrar = (dir: StaticDir, ctx: TracefsContext, tr: TraceArray, top: boolean) => void;

/** The registrars every trace array gets, in the order their files appear. */
export const INSTANCE_FILES: readonly InstanceRegistrar[] = [registerControlFiles, registerFtraceFiles, registerEventFiles];

/** Build the whole tree over the top-level trace array `top`. */
export function buildTracefs(ctx: TracefsContext, top: TraceArray): Tracefs {
  const root = new StaticDir(TRACEFS_ROOT_MODE);
  for (const r of INSTANCE_FILES) r(root, ctx, top, true);
  registerStatFiles(root, ctx, top);
  registerInstances(root, ctx, INSTANCE_FILES, top);
  return new Tracefs(root);
}

/**
 * Run a kernel call (a live ftrace update: register an ops, set a filter, switch tracer) to its end, as
 * a write(2) to a tracefs file does: the writer blocks until the kernel returns (driveLiveCall says
 * where the call runs). Returns the call's result, or -EIO when the machine stopped (a violation, a
 * fault), made no progress or the call never returned, -ENODEV without ftrace.
 */
export function runKernelCall<T>(ctx: TracefsContext, call: FtraceCall<T>): T | number {
  const r = driveLiveCall(ctx.b, call, { run: (steps) => ctx.run(steps) });
  if (r.done) return r.value;
  return r.why === 'no-ftrace' ? -ENODEV : -EIO;
}
