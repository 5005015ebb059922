// live.ts — test helpers that run live ftrace updates on a booted machine while every CPU keeps running.

import type { Booted } from '../../src/runner.js';
import type { FtraceCall } from '../../src/ftrace/ftrace.js';
import { driveLiveCall } from '../../src/live_call.js';

/** What a live run found: the first violation or error, if any. */
export interface LiveProblem { what: string }

export const isProblem = (x: unknown): x is LiveProblem => typeof x === 'object' && x !== null && 'what' in x;

/** Run a live ftrace call from a writer task on `cpu` while every CPU keeps running; returns its result or the problem that stopped the run. */
export function runLive<T>(b: Booted, cpu: number, call: FtraceCall<T>): T | LiveProblem {
  const k = b.kernel;
  const r = driveLiveCall(b, call, { cpu, run: (steps) => k.run(k.steps + steps), budget: 40_000_000 });
  if (r.done) return r.value;
  const o = r.outcome;
  if (o?.violation) return { what: `violation: ${o.violation.summary}\n${o.violation.details.join('\n')}` };
  if (o?.error) return { what: `error: ${o.error}` };
  const where = k.cpus.map((c) => `cpu${c.id}: ${b.symbols.format(c.getRip())} halted=${c.halted} host=${k.hostThreadRunning(c.id)}`).join('; ');
  return { what: `the live call did not finish (${r.why}, ${o?.reason ?? 'no run'} at step ${k.steps}; ${where})` };
}

export function runFor(b: Booted, steps: number): LiveProblem | null {
  const o = b.kernel.run(b.kernel.steps + steps);
  if (o.violation) return { what: `violation: ${o.violation.summary}\n${o.violation.details.join('\n')}` };
  if (o.error) return { what: `error: ${o.error}` };
  return null;
}

/** Run until the secondary CPUs are up (the bundled kernel's SMP workload has begun). */
export function runUntilSmp(b: Booted): LiveProblem | null {
  for (let i = 0; i < 400; i++) {
    if (b.kernel.cpus.every((c) => !c.halted)) return null;
    const p = runFor(b, 100_000);
    if (p) return p;
  }
  return { what: 'the secondary CPUs never started' };
}
