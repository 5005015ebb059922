// The tracefs tree of one machine: the top-level trace array's files, and what each instance gets (kernel/trace/trace.c init_tracer_tracefs, ftrace_init_tracefs, event_trace_init, trace_stat.c, trace_stack.c).

import type { Booted } from '../../runner.js';
import type { RunOutcome } from '../../kernel/kernel.js';
import type { TraceArray } from '../trace_functions.js';
import type { FtraceCall } from '../../ftrace/ftrace.js';
import { EIO, ENODEV, StaticDir, TRACEFS_ROOT_MODE, Tracefs } from './fs.js';
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
  registerInstances(root, ctx, INSTANCE_FILES);
  return new Tracefs(root);
}

/** Steps between checks while a kernel call started by a write runs. */
const CALL_CHUNK = 20_000;
/** A kernel call that has not returned after this many steps is reported as -EIO (the machine is stuck). */
const CALL_BUDGET = 200_000_000;

/**
 * Run a kernel call (a live ftrace update: register an ops, set a filter, switch tracer) to its end, as
 * a write(2) to a tracefs file does: the writer blocks until the kernel returns. Before any CPU has run,
 * the call runs as a host thread on CPU 0 (nothing else can execute: the kernel's early boot); once the
 * machine runs, from a writer task on CPU 0 while every CPU keeps running; once every CPU has halted for
 * good, directly (no CPU can be executing the text it changes). Returns the call's result, or -EIO when
 * the machine stopped (a violation, a fault) or the call never returned, -ENODEV without ftrace.
 */
export function runKernelCall<T>(ctx: TracefsContext, call: FtraceCall<T>): T | number {
  const k = ctx.b.kernel;
  const ft = ctx.b.ftrace;
  if (ft === undefined) return -ENODEV;
  if (k.cpus.every((c) => c.halted) && k.cpus.some((c) => c.retired > 0)) {
    for (let i = 0; i < CALL_BUDGET; i++) {
      const r = call.next();
      if (r.done) return r.value;
    }
    return -EIO;
  }
  let out: { r: T } | null = null;
  // before the entry point: step by step, so that no guest instruction runs once the call returned
  const early = k.cpus.every((c) => c.retired === 0);
  if (early) ft.arch.startLive(0, call, (r) => { out = { r }; });
  else ft.arch.startLiveTask(0, call, (r) => { out = { r }; });
  const start = k.steps;
  while (out === null) {
    if (k.steps - start > CALL_BUDGET) return -EIO;
    const before = k.steps;
    const o = ctx.run(early ? 1 : CALL_CHUNK);
    if (out !== null) break;
    // the run ended, or cannot go on (a step limit of the caller's run): the call will not return
    if (o.reason !== 'max-steps' || k.steps === before) return -EIO;
  }
  return (out as { r: T }).r;
}
