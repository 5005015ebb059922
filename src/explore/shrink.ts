// Counterexample shrinking: a violating run's relevant decisions reduced to the fewest preemptions that still break the same invariant, kept as a sparse list of forced answers.
//
// A run is a deterministic function of its background seed and its relevant answers (gate.ts), and an
// answer equal to the decision's default is no preemption. So a schedule is written as the few
// decisions that differ from their default: [index among the relevant decisions, kind, options,
// answer]. Shrinking first keeps only the non-default answers of the violating run, then removes them
// one at a time (last first, then again until nothing more can go) while the run still ends in the
// same invariant and kind; what remains is 1-minimal: dropping any one forced answer loses the bug.

import type { ChoiceKind } from '../machine/chooser.js';
import type { Decider } from './gate.js';
import type { RunRecord } from './engine.js';

/** A decision forced away from its default: [relevant decision index, kind, options, answer]. */
export type Forced = [number, ChoiceKind, number, number];

/** Answers the forced decisions (while their kind and option count still match) and the default elsewhere. */
export function forcedDecider(forced: readonly Forced[]): Decider & { diverged: number } {
  const at = new Map<number, Forced>();
  for (const f of forced) at.set(f[0], f);
  const d = {
    diverged: 0,
    decide(i: number, kind: ChoiceKind, n: number, dflt: number): number {
      const f = at.get(i);
      if (f === undefined) return dflt;
      if (f[1] !== kind || f[2] !== n || f[3] >= n) { d.diverged++; return dflt; }
      return f[3];
    },
  };
  return d;
}

/** The non-default answers of a run. */
export function forcedOf(run: RunRecord): Forced[] {
  return run.points.flatMap((p, i): Forced[] => (p.answer !== p.dflt ? [[i, p.kind, p.n, p.answer]] : []));
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
export function shrink(original: RunRecord, replay: (seed: number, d: Decider) => RunRecord, budget = 400): ShrinkResult {
  let forced = forcedOf(original);
  let best = original;
  let tries = 0;
  const attempt = (f: Forced[]): RunRecord | null => {
    if (tries >= budget) return null;
    tries++;
    const r = replay(original.seed, forcedDecider(f));
    return same(r, original) ? r : null;
  };
  // the non-default answers alone must reproduce it (they do: the rest were defaults already)
  const base = attempt(forced);
  if (base === null) return { forced: forcedOf(original), run: original, tries };
  best = base;
  forced = forcedOf(base);
  for (let changed = true; changed && tries < budget;) {
    changed = false;
    for (let j = forced.length - 1; j >= 0 && tries < budget; j--) {
      const f = [...forced.slice(0, j), ...forced.slice(j + 1)];
      const r = attempt(f);
      if (r === null) continue;
      best = r;
      // indices may have moved: what the run made is the schedule now
      forced = forcedOf(r);
      changed = true;
      j = Math.min(j, forced.length);
    }
  }
  return { forced, run: best, tries };
}
