// The explorer's pct and dfs strategies: PCT's priorities and change points, dfs's preemption-bounded enumeration with and without sleep sets, its sharding, and both on the real machine.

import { describe, expect, it } from 'vitest';
import { Rng } from '../src/machine/chooser.js';
import { PctStrategy, pctDecider } from '../src/explore/pct.js';
import { DfsOverBackgrounds, DfsStrategy } from '../src/explore/dfs.js';
import { dependent, type Footprint } from '../src/explore/footprint.js';
import { DEFAULT_DECIDER, GateChooser, SPIN, type Decider, type RelevantPoint } from '../src/explore/gate.js';
import type { Strategy } from '../src/explore/strategy.js';
import { dfsCheck } from './helpers/table.js';


// ---- PCT on fabricated decisions ------------------------------------------------------------

describe('pct', () => {
  const cpuCtx = { candidates: [0, 1, 2] };

  it('runs the highest-priority CPU and lowers the chosen one at each change point', () => {
    const plan = { priorities: [3, 5, 4], changePoints: [2, 4], k: 10 };
    const d = pctDecider(plan, 3, new Rng(1));
    const picks = Array.from({ length: 6 }, (_, i) => d.decide(i, 'cpu', 3, 0, cpuCtx));
    // 1 (prio 5) runs; after decision 2 it drops to 3-1 = 2: then 2 (prio 4); after decision 4 it drops to 1: then 0 (prio 3)
    expect(picks).toEqual([1, 1, 2, 2, 0, 0]);
  });

  it('picks among the candidates only, and a CPU first seen mid-run gets a fresh priority above the others', () => {
    const d = pctDecider({ priorities: [2, 3], changePoints: [], k: 5 }, 2, new Rng(1));
    expect(d.decide(0, 'cpu', 2, 0, { candidates: [0, 2] })).toBe(1); // CPU 2 gets 4 > 2
    expect(d.decide(1, 'cpu', 2, 0, { candidates: [0, 1] })).toBe(1);
  });

  it('answers other decisions by their default 7 times in 8, otherwise with another answer', () => {
    const d = pctDecider({ priorities: [], changePoints: [], k: 0 }, 1, new Rng(7));
    let dev = 0;
    for (let i = 0; i < 8000; i++) {
      const a = d.decide(i, 'irq', 2, 0, { cpu: 1 });
      if (a !== 0) { dev++; expect(a).toBe(1); }
    }
    expect(dev).toBeGreaterThan(800);
    expect(dev).toBeLessThan(1200);
  });

  it('plans distinct priorities d..d+n-1 and d-1 change points within the estimated k; the first run is the default', () => {
    const s = new PctStrategy(5, 100, 3);
    expect(s.plan(0).plan.changePoints).toEqual([]);
    const pts: RelevantPoint[] = Array.from({ length: 40 }, (_, i) => ({ at: i, kind: 'cpu', n: 2, dflt: 0, answer: 0, cpu: 0, candidates: [0, 1] }));
    s.record({ index: 0, points: pts, violation: false });
    for (let i = 1; i < 50; i++) {
      const { plan } = s.plan(i);
      expect([...plan.priorities].sort()).toEqual([3, 4]);
      expect(plan.changePoints).toHaveLength(2);
      for (const c of plan.changePoints) { expect(c).toBeGreaterThanOrEqual(1); expect(c).toBeLessThanOrEqual(40); }
    }
    // negative control: depth 1 has no change point, so a run never switches away from its first CPU
    const one = new PctStrategy(5, 10, 1);
    one.record({ index: 0, points: pts, violation: false });
    const run = one.next()!;
    const picks = new Set(Array.from({ length: 40 }, (_, i) => run.decider.decide(i, 'cpu', 2, i % 2, { candidates: [0, 1] })));
    expect(picks.size).toBe(1);
  });
});

// ---- dfs on a toy machine -------------------------------------------------------------------

/**
 * Two CPUs with fixed slices: CPU 0 runs `a` host steps, CPU 1 `b` guest slices; a 'cpu' decision
 * whenever both can run (round robin default), and an 'irq' decision before guest slices in `irqs`.
 */
interface Toy {
  a: number;
  b: number;
  irqs: number[];
  fp: (cpu: number, step: number) => Footprint;
}

const quiet = (cpu: number, host: boolean): Footprint => ({
  cpu, host, other: false, writes: [], wildWrite: false, siteExecs: [], fetchChoices: 0, serialized: false, delivered: 0, sent: 0, hypercalls: 0,
});

function runToy(t: Toy, d: Decider): { points: RelevantPoint[]; trace: [number, number][] } {
  const points: RelevantPoint[] = [];
  const trace: [number, number][] = [];
  const done = [0, 0];
  let last = -1;
  while (done[0] < t.a || done[1] < t.b) {
    let cpu: number;
    if (done[0] < t.a && done[1] < t.b) {
      const dflt = last < 0 ? 0 : last === 0 ? 1 : 0;
      const ans = d.decide(points.length, 'cpu', 2, dflt, { candidates: [0, 1] });
      cpu = ans;
      points.push({ at: points.length, kind: 'cpu', n: 2, dflt, answer: ans, cpu, candidates: [0, 1], footprint: t.fp(cpu, done[cpu]) });
    } else cpu = done[0] < t.a ? 0 : 1;
    if (cpu === 1 && t.irqs.includes(done[1])) {
      const ans = d.decide(points.length, 'irq', 2, 0, { cpu: 1 });
      points.push({ at: points.length, kind: 'irq', n: 2, dflt: 0, answer: ans, cpu: 1 });
      trace.push([2 + ans, done[1]]);
    }
    trace.push([cpu, done[cpu]++]);
    last = cpu;
  }
  return { points, trace };
}

function explore(s: Strategy, t: Toy): { keys: string[]; traces: [number, number][][] } {
  const keys: string[] = [];
  const traces: [number, number][][] = [];
  for (let p = s.next(); p !== null; p = s.next()) {
    const r = runToy(t, p.decider);
    s.record({ index: p.index, points: r.points, violation: false });
    traces.push(r.trace);
  }
  expect(s.exhausted).toBe(true);
  if (s instanceof DfsStrategy) { keys.push(...s.schedules); expect(s.divergences).toBe(0); }
  return { keys, traces };
}

/** Every schedule of the toy with at most k preemptions, named by its answers up to its last preemption. */
function expected(t: Toy, k: number): string[] {
  const out: string[] = [];
  const walk = (forced: number[]): void => {
    // run with `forced` then defaults, to learn the decisions that follow
    const r = runToy(t, { decide: (i, _k, _n, dflt) => (i < forced.length ? forced[i] : dflt) });
    const pre = r.points.slice(0, forced.length).filter((p) => p.answer !== p.dflt).length;
    out.push(r.points.slice(0, forced.length).map((p) => `${p.kind[0]}${p.answer}`).join(''));
    if (pre >= k) return;
    for (let j = forced.length; j < r.points.length; j++) {
      const p = r.points[j];
      walk([...r.points.slice(0, j).map((q) => q.answer), 1 - p.dflt]);
    }
  };
  walk([]);
  return out.sort();
}

/** Canonical form of a trace's Mazurkiewicz class: repeatedly take the smallest event none of whose dependent predecessors is left. */
function canonical(trace: [number, number][], t: Toy, dep: (x: Footprint, y: Footprint) => boolean): string {
  const ev = trace.filter(([c]) => c < 2).map(([c, s]) => ({ c, s, f: t.fp(c, s) }));
  const left = [...ev];
  const out: string[] = [];
  while (left.length > 0) {
    let pick = -1;
    for (let i = 0; i < left.length; i++) {
      const blocked = left.slice(0, i).some((e) => dep(e.f, left[i].f));
      if (!blocked && (pick < 0 || left[i].c < left[pick].c)) pick = i;
    }
    out.push(`${left[pick].c}.${left[pick].s}`);
    left.splice(pick, 1);
  }
  return out.join(' ');
}

/** A toy where host step 1 writes text at 0x100 and guest slice 2 executes it; everything else is quiet. */
const TOY: Toy = {
  a: 4, b: 4, irqs: [],
  fp: (cpu, step) => {
    const f = quiet(cpu, cpu === 0);
    if (cpu === 0 && step === 1) f.writes = [0x100, 1];
    if (cpu === 1 && step === 2) f.siteExecs = [0x100];
    if (cpu === 1 && step === 3) f.hypercalls = 1;
    return f;
  },
};

describe('dfs on a toy tree', () => {
  const small: Toy = { ...TOY, a: 3, b: 3, irqs: [1] };

  for (const k of [0, 1, 2]) {
    it(`enumerates exactly the schedules with at most ${k} preemptions, once each (no POR)`, () => {
      const { keys } = explore(new DfsStrategy(k, undefined, { seed: 1, por: false }), small);
      expect([...keys].sort()).toEqual(expected(small, k));
      expect(new Set(keys).size).toBe(keys.length);
    });

    it(`with sleep sets explores a subset of those (K=${k}); with every slice dependent, all of them`, () => {
      const por = explore(new DfsStrategy(k, undefined, { seed: 1 }), small).keys;
      const all = expected(small, k);
      for (const key of por) expect(all).toContain(key);
      const dep: Toy = { ...small, fp: (c, s) => ({ ...small.fp(c, s), other: true }) };
      expect([...explore(new DfsStrategy(k, undefined, { seed: 1 }), dep).keys].sort()).toEqual(expected(dep, k));
    });
  }

  it('negative control: the expected set differs from a search with a smaller bound', () => {
    const { keys } = explore(new DfsStrategy(1, undefined, { seed: 1, por: false }), small);
    expect([...keys].sort()).not.toEqual(expected(small, 2));
  });

  it('unbounded, sleep sets reach every Mazurkiewicz class with fewer runs', () => {
    const full = explore(new DfsStrategy(99, undefined, { seed: 1, por: false }), TOY);
    const por = explore(new DfsStrategy(99, undefined, { seed: 1 }), TOY);
    const classes = (tr: [number, number][][]): Set<string> => new Set(tr.map((x) => canonical(x, TOY, dependent)));
    expect(classes(por.traces)).toEqual(classes(full.traces));
    expect(por.traces.length).toBeLessThan(full.traces.length);
    expect(classes(full.traces).size).toBeGreaterThan(1);
    // negative control: a relation that calls everything independent loses classes the real one has
    const blind = explore(new DfsStrategy(99, undefined, { seed: 1 }), { ...TOY, fp: (c) => ({ ...quiet(c, c === 0) }) });
    const blindClasses = new Set(blind.traces.map((x) => canonical(x, TOY, dependent)));
    expect(blindClasses.size).toBeLessThan(classes(full.traces).size);
  });

  it('two shards together run exactly the unsharded schedules, sharing only the default run', () => {
    for (const por of [false, true]) {
      const one = explore(new DfsStrategy(2, undefined, { seed: 1, por }), TOY).keys;
      const s0 = explore(new DfsStrategy(2, { index: 0, count: 2 }, { seed: 1, por }), TOY).keys;
      const s1 = explore(new DfsStrategy(2, { index: 1, count: 2 }, { seed: 1, por }), TOY).keys;
      expect(s0.filter((k) => s1.includes(k))).toEqual(['']);
      expect([...new Set([...s0, ...s1])].sort()).toEqual([...one].sort());
      expect(s0.length).toBeGreaterThan(1);
      expect(s1.length).toBeGreaterThan(1);
    }
  });
});

// ---- the default policies -------------------------------------------------------------------

describe("the gate's default policies", () => {
  /** The defaults a gate gives to `n` CPU decisions over candidates 0 and 1 (`waiting`: CPU 0's host thread waits). */
  const cpuDefaults = (policy: 'fair' | 'lazy', n: number, waiting: (i: number) => boolean = () => false): number[] => {
    const g = new GateChooser(() => true, 1);
    g.begin(1, DEFAULT_DECIDER, policy);
    return Array.from({ length: n }, (_v, i) => g.choose('cpu', 2, { candidates: [0, 1], waiting: [waiting(i), false] }));
  };

  it('fair: round robin, the newest byte', () => {
    expect(cpuDefaults('fair', 6)).toEqual([0, 1, 0, 1, 0, 1]);
    const g = new GateChooser(() => true, 1);
    g.begin(1, DEFAULT_DECIDER, 'fair');
    expect(g.choose('fetch', 3, { cpu: 1, addr: 0 })).toBe(2);
  });

  it('lazy: the last CPU runs on for SPIN slices, then the next; a waiting host thread gives way at once; the oldest byte', () => {
    const run = cpuDefaults('lazy', 2 * SPIN + 2);
    expect(run.slice(0, SPIN)).toEqual(new Array(SPIN).fill(0));
    expect(run.slice(SPIN, 2 * SPIN)).toEqual(new Array(SPIN).fill(1));
    expect(run[2 * SPIN]).toBe(0);
    // CPU 0 (a host thread) waits from its 3rd step on: CPU 1 runs after that step
    const waits = cpuDefaults('lazy', 6, (i) => i >= 3);
    expect(waits.slice(0, 4)).toEqual([0, 0, 0, 1]);
    const g = new GateChooser(() => true, 1);
    g.begin(1, DEFAULT_DECIDER, 'lazy');
    expect(g.choose('fetch', 3, { cpu: 1, addr: 0 })).toBe(0);
  });

  it('dfs explores the tree around each policy, for each background in turn', () => {
    const d = new DfsOverBackgrounds(0, { index: 0, count: 1 }, 5, 2, ['fair', 'lazy']);
    const seen: string[] = [];
    for (let p = d.next(); p !== null; p = d.next()) {
      seen.push(`${p.seed}:${p.policy}`);
      d.record({ index: p.index, points: [], violation: false });
    }
    expect(seen).toEqual(['5:fair', '5:lazy', '6:fair', '6:lazy']);
    expect(d.exhausted).toBe(true);
  });
});

// ---- dfs on the machine ---------------------------------------------------------------------

const check = dfsCheck;

describe('dfs on the machine (enable-function-tracer, 2 CPUs)', () => {
  it('negative control: naive, 2 sites, K=2 finds a violation of invariant 1', async () => {
    const { violation } = await check('naive', 2, 2);
    expect(violation).toBeDefined();
    expect(violation).toMatch(/torn|stale/);
  });
});
