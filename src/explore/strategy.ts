// How the explorer picks its runs: the strategy interface, the shard a strategy works on, and the `random` strategy (pct.ts and dfs.ts hold the others).

import { Rng } from '../machine/chooser.js';
import type { Decider, DefaultPolicy, RelevantPoint } from './gate.js';

/** A deterministic share of the work: this is shard `index` (0-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

/** One run a strategy asks for. */
export interface PlannedRun {
  /** The run's number in the whole (unsharded) exploration. */
  index: number;
  /** Seed of the run's background schedule (see gate.ts). */
  seed: number;
  decider: Decider;
  /** The defaults of its relevant decisions (gate.ts; default 'fair'). */
  policy?: DefaultPolicy;
}

/** What a strategy learns from a run it planned. */
export interface RunFeedback {
  index: number;
  points: readonly RelevantPoint[];
  violation: boolean;
}

export interface Strategy {
  readonly name: 'random' | 'pct' | 'dfs';
  /** The next run, or null when there is nothing more to run (the budget is spent, or dfs exhausted its space). */
  next(): PlannedRun | null;
  /** Told about each run next() planned, in the order they were planned. */
  record(run: RunFeedback): void;
  /** dfs: every schedule within the bound was run (in this shard). Others: false. */
  readonly exhausted: boolean;
}

/** The background seed of run `index` of an exploration seeded with `seed` (the same in every shard). */
export function runSeed(seed: number, index: number): number {
  const r = new Rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  return r.next();
}

/** Runs `index` with index % count === shard index: a deterministic share of a budget of `runs`. */
export function* shardIndices(runs: number, shard: Shard): Generator<number> {
  for (let i = shard.index; i < runs; i += shard.count) yield i;
}

/**
 * How rarely `random` lets an NMI strike at a slice start where the scenario allows one anywhere
 * ('nmi-strike'): one in STRIKE. Uniform (one in two) would be an NMI storm that starves the patching
 * CPU's host thread until the run hits its decision limit.
 */
const STRIKE = 8;

/** `random`: every relevant decision uniformly at random (an NMI strike: one in STRIKE), from a seed per run. */
export class RandomStrategy implements Strategy {
  readonly name = 'random';
  readonly exhausted = false;
  private readonly indices: Generator<number>;

  constructor(private readonly seed: number, runs: number, shard: Shard = WHOLE) {
    this.indices = shardIndices(runs, shard);
  }

  next(): PlannedRun | null {
    const it = this.indices.next();
    if (it.done) return null;
    const index = it.value;
    const seed = runSeed(this.seed, index);
    const rng = new Rng(seed ^ 0x5bd1e995);
    return { index, seed, decider: { decide: (_i, kind, n) => (kind === 'nmi-strike' ? (rng.below(STRIKE) === 0 ? 1 : 0) : rng.below(n)) } };
  }

  record(): void {}
}
