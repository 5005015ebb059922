// Run a live ftrace update to its end on a booted machine, as a write(2) to tracefs runs the kernel's handler in the writer's task: the one loop the tracefs writes, `ftsim run --live` and the tests share.

import type { Booted } from './runner.js';
import type { RunOutcome } from './kernel/kernel.js';
import type { FtraceCall } from './ftrace/ftrace.js';

export interface LiveCallOptions {
  /** Let the machine run `steps` more steps (all CPUs together). */
  run(steps: number): RunOutcome;
  /** The CPU the writer task (or the early host thread) runs on; 0 by default. */
  cpu?: number;
  /** Steps between looks at whether the call returned (20,000 by default; 1 before the entry point). */
  chunk?: number;
  /** Steps after which a call that has not returned is given up (200M by default). */
  budget?: number;
}

/** How a live call ended: its value, or why it did not return (with the last run's outcome). */
export type LiveCallResult<T> =
  | { done: true; value: T }
  | { done: false; why: 'no-ftrace' | 'stopped' | 'budget' | 'no-progress'; outcome?: RunOutcome };

const CHUNK = 20_000;
const BUDGET = 200_000_000;

/**
 * Before any CPU has run, the call runs as a host thread on the CPU, one step at a time, so no guest
 * instruction runs once it returned (the kernel's early boot: nothing else executes); once the
 * machine runs, from a writer task while every CPU keeps running; once every CPU has halted for good,
 * directly (no CPU can be executing the text it changes). A run that ends (a violation, a fault, the
 * workload's end) or makes no progress (a step limit of the caller) before the call returned is
 * reported with its outcome.
 */
export function driveLiveCall<T>(b: Booted, call: FtraceCall<T>, o: LiveCallOptions): LiveCallResult<T> {
  const k = b.kernel;
  const ft = b.ftrace;
  const budget = o.budget ?? BUDGET;
  if (ft === undefined) return { done: false, why: 'no-ftrace' };
  if (k.cpus.every((c) => c.halted) && k.cpus.some((c) => c.retired > 0)) {
    for (let i = 0; i < budget; i++) {
      const r = call.next();
      if (r.done) return { done: true, value: r.value };
    }
    return { done: false, why: 'budget' };
  }
  let out: { r: T } | null = null;
  const early = k.cpus.every((c) => c.retired === 0);
  const cpu = o.cpu ?? 0;
  if (early) ft.arch.startLive(cpu, call, (r) => { out = { r }; });
  else ft.arch.startLiveTask(cpu, call, (r) => { out = { r }; });
  const start = k.steps;
  const chunk = early ? 1 : o.chunk ?? CHUNK;
  while (out === null) {
    if (k.steps - start > budget) return { done: false, why: 'budget' };
    const before = k.steps;
    const outcome = o.run(chunk);
    if (out !== null) break;
    if (outcome.reason !== 'max-steps') return { done: false, why: 'stopped', outcome };
    if (k.steps === before) return { done: false, why: 'no-progress', outcome };
  }
  return { done: true, value: (out as { r: T }).r };
}
