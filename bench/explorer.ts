// The explorer's figures for bench/run.ts: runs and relevant decisions per second (random with one worker and two, dfs), the time random exploration takes to find the first violation of each broken protocol with the shrunk counterexample's size, and the same for dfs with one preemption around its two default schedules.

import { readFileSync } from 'node:fs';
import { Explorer, type CheckConfig } from '../src/explore/engine.js';
import { explore, makeStrategy, type ExploreOptions } from '../src/explore/check.js';
import { exploreParallel } from '../src/explore/workers.js';

const ms = (t: number): number => Math.round(t);
const per = (n: number, t: number): number => Math.round((n / Math.max(t / 1000, 1e-3)) * 10) / 10;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Throughput {
  sites: number | 'all';
  runs: number;
  oneWorker: { runsPerSecond: number; decisionsPerSecond: number; wallMs: number; bootMs: number };
  twoWorkers: { runsPerSecond: number; decisionsPerSecond: number; wallMs: number; endToEndMs: number };
  /** Two workers' runs per second over one worker's (the exploring time; each worker also boots its own machine). */
  ratio: number;
}

function options(runs: number, seed: number): ExploreOptions {
  return { strategy: 'random', runs, depth: 3, preemptions: 2, seed, shard: { index: 0, count: 1 } };
}

/** Random exploration of enable-function-tracer under int3_emulate (clean): how fast runs and decisions go. */
async function throughput(kernel: CheckConfig['kernel'], sites: number | undefined, runs: number): Promise<Throughput> {
  const cfg: CheckConfig = { kernel, scenario: 'enable-function-tracer', protocol: 'int3_emulate', cpus: 2, sites };
  const t0 = performance.now();
  const x = new Explorer(cfg);
  const bootMs = performance.now() - t0;
  const one = explore(cfg, options(runs, 1), x);
  const t1 = performance.now();
  const two = await exploreParallel(cfg, options(runs, 1), 2);
  const endToEndMs = performance.now() - t1;
  if (one.violation !== undefined || two.violation !== undefined) throw new Error('bench: the clean scenario found a violation');
  return {
    sites: sites ?? 'all',
    runs,
    oneWorker: { runsPerSecond: per(one.runs, one.wallMs), decisionsPerSecond: Math.round(per(one.points, one.wallMs)), wallMs: ms(one.wallMs), bootMs: ms(bootMs) },
    twoWorkers: { runsPerSecond: per(two.runs, two.wallMs), decisionsPerSecond: Math.round(per(two.points, two.wallMs)), wallMs: ms(two.wallMs), endToEndMs: ms(endToEndMs) },
    ratio: Math.round((one.wallMs / two.wallMs) * 100) / 100,
  };
}

interface ToViolation {
  scenario: string;
  protocol: string;
  mutate?: string;
  seeds: number[];
  /** Per seed: runs and milliseconds until the first violating run ended (boot excluded), null when none in the budget. */
  runsToFirst: (number | null)[];
  msToFirst: (number | null)[];
  medianMsToFirst: number | null;
  kinds: string[];
  /** `ftsim check --json` of the median seed: violation.preemptions and violation.length after shrinking. */
  shrunk?: { seed: number; preemptions: number; length: number; originalPreemptions: number; originalLength: number; shrinkRuns: number; shrinkMs: number };
}

/** Random exploration of a broken protocol from 5 seeds: time to the first violation; the median seed's violation shrunk as the CLI shrinks it. */
function toViolation(kernel: CheckConfig['kernel'], scenario: string, protocol: string, mutate: string | undefined, budget: number): ToViolation {
  const cfg: CheckConfig = { kernel, scenario, protocol, mutate, cpus: 2, sites: 2 };
  const x = new Explorer(cfg);
  const seeds = [1, 2, 3, 4, 5];
  const found = seeds.map((seed) => {
    const s = makeStrategy(options(budget, seed));
    const t0 = performance.now();
    let runs = 0;
    for (let p = s.next(); p !== null; p = s.next()) {
      const r = x.run(p.seed, p.decider);
      runs++;
      if (r.violation !== undefined) return { seed, runs, ms: performance.now() - t0, kind: r.violation.kind };
    }
    return { seed, runs: null, ms: null, kind: 'none' };
  });
  const hit = found.filter((f) => f.ms !== null) as { seed: number; runs: number; ms: number; kind: string }[];
  const out: ToViolation = {
    scenario, protocol, mutate, seeds,
    runsToFirst: found.map((f) => f.runs), msToFirst: found.map((f) => (f.ms === null ? null : ms(f.ms))),
    medianMsToFirst: hit.length * 2 > seeds.length ? ms(median(found.map((f) => f.ms ?? Infinity))) : null,
    kinds: [...new Set(found.map((f) => f.kind))],
  };
  if (hit.length > 0) {
    const mid = [...hit].sort((a, b) => a.ms - b.ms)[Math.floor((hit.length - 1) / 2)];
    const t0 = performance.now();
    const s = explore(cfg, options(budget, mid.seed), x);
    const v = s.violation;
    if (v !== undefined) {
      out.shrunk = {
        seed: mid.seed, preemptions: v.forced.length, length: v.length, originalPreemptions: v.originalPreemptions,
        originalLength: v.originalLength, shrinkRuns: v.shrinkRuns, shrinkMs: ms(performance.now() - t0 - mid.ms),
      };
    }
  }
  return out;
}

interface DfsRate {
  sites: number | 'all';
  runs: number;
  runsPerSecond: number;
  decisionsPerSecond: number;
  /** Of the runs made, around each default: the trees are explored fair first, then lazy. */
  policies: Record<string, number>;
}

/** dfs (one preemption, around fair then lazy) over enable-function-tracer under int3_emulate: the first `runs` runs, one worker. */
function dfsThroughput(kernel: CheckConfig['kernel'], sites: number | undefined, runs: number): DfsRate {
  const cfg: CheckConfig = { kernel, scenario: 'enable-function-tracer', protocol: 'int3_emulate', cpus: 2, sites };
  const x = new Explorer(cfg);
  const s = makeStrategy({ ...options(0, 1), strategy: 'dfs', preemptions: 1 });
  const policies: Record<string, number> = {};
  let n = 0;
  let points = 0;
  const t0 = performance.now();
  for (let p = s.next(); p !== null && n < runs; p = s.next()) {
    const r = x.run(p.seed, p.decider, p.policy);
    s.record({ index: p.index, points: r.points, violation: r.violation !== undefined });
    if (r.violation !== undefined) throw new Error('bench: the clean scenario found a violation');
    n++;
    points += r.points.length;
    policies[r.policy] = (policies[r.policy] ?? 0) + 1;
  }
  const t = performance.now() - t0;
  return { sites: sites ?? 'all', runs: n, runsPerSecond: per(n, t), decisionsPerSecond: Math.round(per(points, t)), policies };
}

interface DfsToViolation {
  scenario: string;
  protocol: string;
  mutate?: string;
  /** Runs and milliseconds (boot excluded) until the first violation, null when the bounded trees hold none. */
  runsToFirst: number | null;
  msToFirst: number | null;
  /** The default schedule around which it was found, and the counterexample: forced decisions, relevant decisions up to the violation. */
  policy?: string;
  forced?: number;
  length?: number;
  kind?: string;
}

/** dfs with one preemption around fair then lazy, background seed 1: how long until the first violation, and how short it is. */
function dfsToViolation(kernel: CheckConfig['kernel'], scenario: string, protocol: string, mutate: string | undefined): DfsToViolation {
  const cfg: CheckConfig = { kernel, scenario, protocol, mutate, cpus: 2, sites: 2 };
  const x = new Explorer(cfg);
  const t0 = performance.now();
  const s = explore(cfg, { ...options(0, 1), strategy: 'dfs', preemptions: 1, shrinkBudget: 0 }, x);
  const t = performance.now() - t0;
  const v = s.violation;
  if (v === undefined) return { scenario, protocol, mutate, runsToFirst: null, msToFirst: null };
  return { scenario, protocol, mutate, runsToFirst: s.runs, msToFirst: ms(t), policy: v.policy, forced: v.forced.length, length: v.length, kind: v.kind };
}

export async function explorerBench(kernelPath: string): Promise<Record<string, unknown>> {
  const kernel = { file: 'vmlinux', bytes: readFileSync(kernelPath) };
  const t0 = performance.now();
  const budget = Number(process.env.FTSIM_BENCH_EXPLORER_BUDGET ?? 400);
  const sites4 = await throughput(kernel, 4, Number(process.env.FTSIM_BENCH_EXPLORER_RUNS ?? 24));
  const allSites = await throughput(kernel, undefined, Number(process.env.FTSIM_BENCH_EXPLORER_RUNS_ALL ?? 10));
  const cases: [string, string, string | undefined][] = [
    ['enable-function-tracer', 'naive', undefined],
    ['enable-function-tracer', 'int3_emulate', 'no-sync-1'],
    ['enable-function-tracer', 'int3_emulate', 'no-sync-2'],
    ['enable-function-tracer', 'int3_emulate', 'no-sync-3'],
    ['preempt-mid-nop', 'two_part_nop', undefined],
    ['nmi-during-patch', 'stop_machine', undefined],
    ['livepatch-then-trace', 'int3_skip', undefined],
  ];
  const firstViolation = cases.map(([s, p, m]) => toViolation(kernel, s, p, m, budget));
  const dfsRuns = Number(process.env.FTSIM_BENCH_EXPLORER_DFS_RUNS ?? 40);
  const dfs = {
    preemptions: 1, defaults: ['fair', 'lazy'],
    throughput: { sites4: dfsThroughput(kernel, 4, dfsRuns), allSites: dfsThroughput(kernel, undefined, Math.ceil(dfsRuns / 2)) },
    firstViolation: { cpus: 2, sites: 2, cases: [...cases, ['module-load', 'naive', undefined] as [string, string, undefined]].map(([s, p, m]) => dfsToViolation(kernel, s, p, m)) },
  };
  return {
    strategy: 'random',
    throughput: { scenario: 'enable-function-tracer', protocol: 'int3_emulate', cpus: 2, sites4, allSites },
    firstViolation: { cpus: 2, sites: 2, runBudget: budget, cases: firstViolation },
    dfs,
    benchMs: ms(performance.now() - t0),
  };
}
