// The `pct` strategy: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010) over the explorer's relevant decisions.
//
// Per run (its randomness seeded from runSeed(seed, index)):
//   - every CPU gets a distinct random priority among d .. d+n-1 (n: CPUs seen in the candidates of
//     earlier runs; a CPU first seen during the run gets the next value up, d+n, d+n+1, ...);
//   - d-1 change points are drawn uniformly among 1..k, k the estimated number of relevant 'cpu'
//     decisions of a run: the most any recorded run had. Before any run was recorded (the shard's
//     first run) the run is the default schedule, which measures k;
//   - at a 'cpu' decision the highest-priority candidate runs; when the decision is change point i
//     (counting 'cpu' decisions from 1), the CPU that was just chosen drops to priority d-i, below
//     every initial priority (it runs this slice, then yields to the others, as in the paper);
//   - the other relevant decisions ('irq', 'nmi', 'fetch', 'preempt') are not scheduling steps PCT
//     knows about: each takes its default with probability 7/8 and a uniformly random other answer
//     otherwise. 1/8 keeps the expected number of such deviations per run small (a run has ~10 of
//     them), so they perturb a PCT schedule rather than replace it with a random one.
//   - a CPU chosen SPIN times in a row at 'cpu' decisions is taken to be spinning (a host thread waiting
//     for a sync's IPI to be taken, a CPU spinning in stop_machine): it drops below every other CPU,
//     as the paper's implementation lowers a thread that yields. Without this the highest-priority
//     CPU may wait forever for a lower one: PCT assumes threads that block, and spinning ones never do.
// Sharding: runs with index % count === shard index. The estimate k is each shard's own, so a
// sharded exploration runs PCT schedules drawn from the same distribution, not the same runs.

import { Rng, type ChoiceContext, type ChoiceKind } from '../machine/chooser.js';
import { runSeed, shardIndices, WHOLE, type PlannedRun, type RunFeedback, type Shard, type Strategy } from './strategy.js';
import type { Decider } from './gate.js';

/** One run's PCT parameters, drawn before it starts. */
export interface PctPlan {
  /** Priority by CPU id, for the CPUs known when the run was planned. */
  priorities: number[];
  /** Change points, 1-based counts of 'cpu' decisions (sorted; may repeat). */
  changePoints: number[];
  /** The estimate of k the change points were drawn from (0: default schedule). */
  k: number;
}

/** Probability that a non-'cpu' relevant decision deviates from its default is 1/DEVIATE. */
const DEVIATE = 8;

/** 'cpu' decisions in a row after which the CPU chosen is taken to be spinning. */
const SPIN = 64;

export class PctStrategy implements Strategy {
  readonly name = 'pct';
  readonly exhausted = false;
  private readonly indices: Generator<number>;
  /** The most relevant 'cpu' decisions a recorded run had (0: none recorded yet). */
  private k = 0;
  /** CPUs seen as candidates so far. */
  private cpus = 0;

  constructor(private readonly seed: number, runs: number, private readonly depth: number, shard: Shard = WHOLE) {
    if (!(depth >= 1)) throw new Error('pct: depth must be at least 1');
    this.indices = shardIndices(runs, shard);
  }

  /** The PCT parameters of run `index` given what has been recorded so far, and the Rng the run goes on with. */
  plan(index: number): { plan: PctPlan; rng: Rng } {
    const rng = new Rng(runSeed(this.seed, index) ^ 0x2c1b3c6d);
    const n = this.cpus;
    const prio = Array.from({ length: n }, (_, i) => this.depth + i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      [prio[i], prio[j]] = [prio[j], prio[i]];
    }
    const changePoints: number[] = [];
    if (this.k > 0) for (let i = 1; i < this.depth; i++) changePoints.push(1 + rng.below(this.k));
    return { plan: { priorities: prio, changePoints, k: this.k }, rng };
  }

  next(): PlannedRun | null {
    const it = this.indices.next();
    if (it.done) return null;
    const index = it.value;
    const { plan, rng } = this.plan(index);
    return { index, seed: runSeed(this.seed, index), decider: pctDecider(plan, this.depth, rng) };
  }

  record(run: RunFeedback): void {
    let cpuPoints = 0;
    for (const p of run.points) {
      if (p.kind !== 'cpu') continue;
      cpuPoints++;
      for (const c of p.candidates ?? []) if (c + 1 > this.cpus) this.cpus = c + 1;
    }
    if (cpuPoints > this.k) this.k = cpuPoints;
  }
}

/** The decider of one PCT run (exported for the tests: it needs no machine). */
export function pctDecider(plan: PctPlan, depth: number, rng: Rng): Decider {
  const prio = [...plan.priorities];
  // change point number i (1-based) lowers to depth - i; several may fall on the same decision
  const changes = plan.changePoints.map((at, i) => ({ at, to: depth - (i + 1) }));
  let step = 0;
  let next = prio.length === 0 ? depth : depth + prio.length;
  let last = -1;
  let streak = 0;
  /** Below every priority given so far (spinning CPUs go there, the latest lowest). */
  let floor = 0;
  const priorityOf = (cpu: number): number => {
    while (prio.length <= cpu) prio.push(Number.NaN);
    if (Number.isNaN(prio[cpu])) prio[cpu] = next++;
    return prio[cpu];
  };
  return {
    decide(_i: number, kind: ChoiceKind, n: number, dflt: number, ctx: ChoiceContext): number {
      if (kind !== 'cpu') {
        if (n <= 1 || rng.below(DEVIATE) !== 0) return dflt;
        const other = rng.below(n - 1);
        return other >= dflt ? other + 1 : other;
      }
      const cands = ctx.candidates;
      if (cands === undefined) return dflt;
      let best = 0;
      for (let j = 1; j < cands.length; j++) if (priorityOf(cands[j]) > priorityOf(cands[best])) best = j;
      priorityOf(cands[0]);
      step++;
      for (const c of changes) if (c.at === step) prio[cands[best]] = c.to;
      const chosen = cands[best];
      streak = chosen === last ? streak + 1 : 1;
      last = chosen;
      if (streak >= SPIN && cands.length > 1) { prio[chosen] = --floor; streak = 0; }
      return best;
    },
  };
}
