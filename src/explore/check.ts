// `ftsim check` without the CLI: explore a scenario under a protocol with a strategy, stop at the first violation, shrink it, and summarize (runs, distinct schedules, decisions, violations by invariant).

import { createHash } from 'node:crypto';
import { Explorer, type CheckConfig, type Exploration, type RunRecord } from './engine.js';
import { RandomStrategy, WHOLE, type Shard, type Strategy } from './strategy.js';
import { shrink, type Forced } from './shrink.js';
import type { Violation } from '../kernel/kernel.js';
import { CheckInputError } from './mutants.js';
import { sha256 } from './replay.js';
import { PctStrategy } from './pct.js';
import { DfsOverBackgrounds } from './dfs.js';
import { DEFAULT_POLICIES, type DefaultPolicy } from './gate.js';

export type StrategyName = 'random' | 'pct' | 'dfs';

export interface ExploreOptions {
  strategy: StrategyName;
  /** random and pct: how many runs (in all shards together). */
  runs: number;
  /** pct: the bug depth d. */
  depth: number;
  /** dfs: the preemption bound K. */
  preemptions: number;
  /** dfs: how many background schedules (seed, seed+1, ...) to exhaust the bounded tree for (default 1). */
  backgrounds?: number;
  /** dfs: the default policies whose bounded trees it explores (default both, 'fair' then 'lazy'; gate.ts). */
  defaults?: readonly DefaultPolicy[];
  seed: number;
  shard: Shard;
  /** Go on after the first violation (counting violations by invariant) instead of stopping. */
  keepGoing?: boolean;
  /** Runs shrinking may try (default 600). */
  shrinkBudget?: number;
  /** Asked before each run: true ends the exploration there (another worker found a violation). */
  shouldStop?: () => boolean;
  /** Called after each run (progress bars). */
  onRun?: (done: number, total: number | undefined, violations: number) => void;
}

/** The first violation found, shrunk. */
export interface FoundViolation {
  invariant: number;
  kind: string;
  cpu: number;
  summary: string;
  details: string[];
  /** Which run found it (its number in the whole exploration) and its background seed. */
  run: number;
  seed: number;
  /** The defaults its forced decisions depart from (gate.ts). */
  policy: DefaultPolicy;
  /** The shrunk schedule: the decisions forced away from their default. */
  forced: Forced[];
  /** Relevant decisions the shrunk run made up to the violation, and all decisions it made. */
  length: number;
  decisions: number;
  /** The same before shrinking. */
  originalPreemptions: number;
  originalLength: number;
  shrinkRuns: number;
}

/** What an exploration (or one shard of it) found; shards merge into the same shape (merge.ts). */
export interface CheckSummary extends Exploration {
  /** The kernel explored (shards of one exploration must share it). */
  kernelSha256: string;
  strategy: StrategyName;
  seed: number;
  /** The budget (random, pct) or bound (dfs) asked for. */
  budget: { runs?: number; depth?: number; preemptions?: number; backgrounds?: number; defaults?: DefaultPolicy[] };
  shard: Shard;
  runs: number;
  /** Distinct schedules among the runs (by the hash of every decision a run made). */
  schedules: string[];
  /** Relevant decisions over all runs. */
  points: number;
  /** Runs that stopped without finishing and without a violation (a hang, its step budget). */
  incomplete: number;
  violations: Record<string, number>;
  violation?: FoundViolation;
  exhausted: boolean;
  wallMs: number;
  /** Sites the scenario patched (function names; empty: every site). */
  sitesPatched: string[];
}

export function makeStrategy(o: ExploreOptions): Strategy {
  switch (o.strategy) {
    case 'random': return new RandomStrategy(o.seed, o.runs, o.shard);
    case 'pct': return new PctStrategy(o.seed, o.runs, o.depth, o.shard);
    case 'dfs': return new DfsOverBackgrounds(o.preemptions, o.shard, o.seed, o.backgrounds ?? 1, o.defaults ?? DEFAULT_POLICIES);
    default: throw new CheckInputError(`--strategy: unknown strategy '${String(o.strategy)}'; known: random, pct, dfs`);
  }
}

/** The runs this shard of a random or pct exploration makes (dfs: unknown until its tree is explored). */
export function plannedRuns(o: ExploreOptions): number | undefined {
  return o.strategy === 'dfs' ? undefined : Math.ceil((o.runs - o.shard.index) / o.shard.count);
}

/** Runs and relevant decisions per second of wall time. */
export function rates(s: CheckSummary): { runs: number; points: number } {
  const secs = Math.max(s.wallMs / 1000, 1e-3);
  return { runs: s.runs / secs, points: s.points / secs };
}

/** A run's schedule as a short hash of every decision it made. */
export function scheduleHash(r: RunRecord): string {
  const h = createHash('sha1');
  h.update(String(r.seed));
  for (const c of r.choices) h.update(`${c[0]}${c[1]}:${c[2]};`);
  return h.digest('hex').slice(0, 16);
}

/** Run the exploration on an Explorer built for `cfg` (reused when given). */
export function explore(cfg: CheckConfig, o: ExploreOptions, x: Explorer = new Explorer(cfg)): CheckSummary {
  const t0 = performance.now();
  const strategy = makeStrategy(o);
  const schedules = new Set<string>();
  const violations: Record<string, number> = {};
  let runs = 0;
  let points = 0;
  let incomplete = 0;
  let first: { run: RunRecord; index: number } | undefined;
  const total = plannedRuns(o);
  for (let p = strategy.next(); p !== null && !(o.shouldStop?.() ?? false); p = strategy.next()) {
    const r = x.run(p.seed, p.decider, p.policy);
    runs++;
    points += r.points.length;
    schedules.add(scheduleHash(r));
    if (r.incomplete !== undefined) incomplete++;
    strategy.record({ index: p.index, points: r.points, violation: r.violation !== undefined });
    if (r.violation !== undefined) {
      violations[r.violation.invariant] = (violations[r.violation.invariant] ?? 0) + 1;
      if (first === undefined) first = { run: r, index: p.index };
    }
    o.onRun?.(runs, total, Object.values(violations).reduce((a, b) => a + b, 0));
    if (first !== undefined && !o.keepGoing) break;
  }
  const summary: CheckSummary = {
    scenario: cfg.scenario, protocol: cfg.protocol, mutate: cfg.mutate, cpus: cfg.cpus, sites: cfg.sites,
    nmiRate: cfg.nmiRate, kernelSha256: sha256(cfg.kernel.bytes), strategy: o.strategy, seed: o.seed,
    budget: o.strategy === 'dfs' ? { preemptions: o.preemptions, backgrounds: o.backgrounds ?? 1, defaults: [...(o.defaults ?? DEFAULT_POLICIES)] } : o.strategy === 'pct' ? { runs: o.runs, depth: o.depth } : { runs: o.runs },
    shard: o.shard, runs, schedules: [...schedules], points, incomplete, violations,
    exhausted: strategy.exhausted && first === undefined, wallMs: 0, sitesPatched: [...x.sites],
  };
  if (first !== undefined) summary.violation = shrunk(x, first.run, first.index, o.shrinkBudget);
  summary.wallMs = performance.now() - t0;
  return summary;
}

/** Shrink a violating run and describe the result. */
export function shrunk(x: Explorer, run: RunRecord, index: number, budget?: number): FoundViolation {
  const s = shrink(run, (seed, d) => x.run(seed, d, run.policy), budget);
  const v = s.run.violation as Violation;
  return {
    invariant: v.invariant, kind: v.kind, cpu: v.cpu, summary: v.summary, details: v.details,
    run: index, seed: run.seed, policy: run.policy, forced: s.forced,
    length: s.run.points.length, decisions: s.run.choices.length,
    originalPreemptions: run.preemptions, originalLength: run.points.length, shrinkRuns: s.tries,
  };
}

export { WHOLE };
