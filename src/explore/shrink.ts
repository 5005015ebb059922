// Counterexample shrinking: a violating run's relevant decisions reduced to the fewest preemptions that still break the same invariant, kept as a sparse list of forced answers.
//
// A run is a deterministic function of its background seed and its relevant answers (gate.ts), and an
// answer equal to the decision's default is no preemption. So a schedule is written as the few
// decisions that differ from their default: [index among the relevant decisions, kind, options,
// answer]. Shrinking keeps only the non-default answers of the violating run and removes as many as it
// can while the run still ends in the same invariant and kind: first all of them, then every answer
// after the shortest prefix that still breaks it (bisection), then all of one kind (every CPU switch,
// every held-back interrupt, ...), then Zeller's delta debugging (ddmin:
// chunks of halves, quarters, ... down to single answers). Within its budget
// what remains is 1-minimal: dropping any one forced answer loses the bug.

import type { ChoiceKind } from '../machine/chooser.js';
import type { Decider } from './gate.js';
import type { RunRecord } from './engine.js';

/**
 * A decision forced away from its default: [ordinal, kind, options, answer], where the ordinal counts
 * the relevant decisions of that kind only (the 3rd fetch decision, the 12th CPU choice), so that
 * dropping a forced decision of one kind leaves the others where they were.
 */
export type Forced = [number, ChoiceKind, number, number];

/** Answers the forced decisions (while their option count still matches) and the default elsewhere. */
export function forcedDecider(forced: readonly Forced[]): Decider & { diverged: number } {
  const at = new Map<string, Forced>();
  for (const f of forced) at.set(`${f[1]}${f[0]}`, f);
  const seen = new Map<ChoiceKind, number>();
  const d = {
    diverged: 0,
    decide(_i: number, kind: ChoiceKind, n: number, dflt: number): number {
      const k = seen.get(kind) ?? 0;
      seen.set(kind, k + 1);
      const f = at.get(`${kind}${k}`);
      if (f === undefined) return dflt;
      if (f[2] !== n || f[3] >= n) { d.diverged++; return dflt; }
      return f[3];
    },
  };
  return d;
}

/** The non-default answers of a run. */
export function forcedOf(run: RunRecord): Forced[] {
  const seen = new Map<ChoiceKind, number>();
  const out: Forced[] = [];
  for (const p of run.points) {
    const k = seen.get(p.kind) ?? 0;
    seen.set(p.kind, k + 1);
    if (p.answer !== p.dflt) out.push([k, p.kind, p.n, p.answer]);
  }
  return out;
}

export interface ShrinkResult {
  forced: Forced[];
  /** The run the shrunk schedule makes (it violates as the original did). */
  run: RunRecord;
  /** Runs tried while shrinking. */
  tries: number;
}

/** Same invariant and kind: the violation shrinking must keep. */
function same(a: RunRecord, b: RunRecord): boolean {
  return a.violation !== undefined && b.violation !== undefined && a.violation.invariant === b.violation.invariant && a.violation.kind === b.violation.kind;
}

/**
 * Shrink `original` (a violating run of background seed `seed`). `replay` runs a schedule from the
 * snapshot. At most `budget` runs are tried.
 */
export function shrink(original: RunRecord, replay: (seed: number, d: Decider) => RunRecord, budget = 600): ShrinkResult {
  let best = original;
  let tries = 0;
  const attempt = (f: Forced[]): RunRecord | null => {
    if (tries >= budget) return null;
    tries++;
    const r = replay(original.seed, forcedDecider(f));
    return same(r, original) ? r : null;
  };
  let forced = forcedOf(original);
  const none = forced.length > 0 ? attempt([]) : null;
  if (none !== null) return { forced: [], run: none, tries };
  // the shortest prefix of the forced answers (in run order) that still breaks it, by bisection:
  // what a random run forced after the decisive ones is mostly noise
  let lo = 0;
  let hi = forced.length;
  while (hi - lo > 1 && tries < budget) {
    const mid = (lo + hi) >> 1;
    const r = attempt(forced.slice(0, mid));
    if (r !== null) { hi = mid; best = r; } else lo = mid;
  }
  if (hi < forced.length) forced = forcedOf(best);
  // whole kinds at once: often the CPU switches were noise and one stale fetch is the bug
  for (const kind of ['cpu', 'irq', 'nmi', 'nmi-strike', 'preempt', 'fetch'] as const) {
    if (tries >= budget || !forced.some((f) => f[1] === kind) || forced.every((f) => f[1] === kind)) continue;
    const r = attempt(forced.filter((f) => f[1] !== kind));
    if (r !== null) { best = r; forced = forcedOf(r); }
  }
  // ddmin over the forced answers; after each success the schedule is what that run made
  let n = 2;
  while (forced.length >= 2 && tries < budget) {
    const size = Math.ceil(forced.length / n);
    let reduced = false;
    for (let start = 0; start < forced.length && tries < budget; start += size) {
      const rest = [...forced.slice(0, start), ...forced.slice(start + size)];
      const r = attempt(rest);
      if (r === null) continue;
      best = r;
      forced = forcedOf(r);
      n = Math.max(n - 1, 2);
      reduced = true;
      break;
    }
    if (reduced) continue;
    if (size === 1) break;
    n = Math.min(n * 2, forced.length);
  }
  return { forced, run: best, tries };
}
