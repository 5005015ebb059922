// tiers.test.ts — the interpreter alone and the interpreter with the compiler give the same runs: per-CPU instructions and cycles, every memory region, console, trace text, the chooser's decisions, explorer violations and their replay files across tiers.

import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { jitConfig } from '../src/machine/x86/jit.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boot, bootAndRun, type Booted, type RunOptions } from '../src/runner.js';
import { RandomChooser, RecordingChooser, ReplayChooser, type Choice } from '../src/machine/chooser.js';
import { TIERS, type Tier } from '../src/machine/tier.js';
import type { Machine } from '../src/machine/machine.js';
import { startBootTracing, type TraceArray } from '../src/trace/trace_functions.js';
import { liveDriver, type LiveReport } from '../src/cli/live.js';
import { Explorer, type CheckConfig } from '../src/explore/engine.js';
import { explore, type ExploreOptions } from '../src/explore/check.js';
import { accountOf } from '../src/explore/account.js';
import { checkReplayOf, replayDivergence } from '../src/explore/check_replay.js';

const root = join(__dirname, '..');
const image = new Uint8Array(readFileSync(join(root, 'fixtures', 'vmlinux')));
const expectedConsole = readFileSync(join(root, 'fixtures', 'vmlinux.console'), 'latin1');

/** What a run must agree on under every tier. */
interface Fingerprint {
  exitReason: string;
  instructions: number[];
  cycles: number[];
  /** SHA-256 over every mapped region (text included: patching rewrites it), with its name and address. */
  memory: string;
  console: string;
  trace: string;
  choices: Choice[];
  /** The tier every CPU ran under (not compared: the one thing allowed to differ). */
  tiers: Tier[];
}

function allMemory(m: Machine): string {
  const h = createHash('sha256');
  for (const r of m.mem.regions) {
    h.update(`${r.name}@${r.start}+${r.size}:${r.perm};`);
    h.update(r.bytes);
  }
  return h.digest('hex');
}

interface Workload {
  name: string;
  cpus: number;
  options?: RunOptions;
  /** Start this tracer on every function at boot. */
  tracer?: 'function' | 'function_graph';
  /** Switch the function tracer on live once every CPU runs, for this many steps (text patched under running CPUs). */
  liveSteps?: number;
}

function runUnder(tier: Tier, w: Workload, extra: RunOptions = {}): Fingerprint {
  let tracing: TraceArray | undefined;
  let memory = '';
  let tiers: Tier[] = [];
  const live: LiveReport = { switches: [] };
  const r = bootAndRun(image, 'fixtures/vmlinux', {
    cpus: w.cpus, seed: 1, ...w.options, ...extra, tier,
    onBoot: (b: Booted) => {
      if (w.tracer !== undefined) tracing = startBootTracing(b.kernel, b.ftrace!.core, b.ftrace!.arch, { tracer: w.tracer }, (e, what) => { if (e) throw new Error(what); });
    },
    drive: w.liveSteps === undefined ? undefined : liveDriver({ tracer: 'function', steps: w.liveSteps, excerpt: 0 }, live, () => {}),
    onStop: (b: Booted) => {
      memory = allMemory(b.machine);
      tiers = b.machine.cpus.map((c) => c.tier);
    },
  });
  return {
    exitReason: r.exitReason, instructions: r.instructions, cycles: r.cycles, memory, console: r.console,
    trace: tracing?.traceText() ?? live.traceText ?? '', choices: r.choices.slice(), tiers,
  };
}

/** The fields on which two runs differ (the tier aside). */
function differences(a: Fingerprint, b: Fingerprint): string[] {
  return (Object.keys(a) as (keyof Fingerprint)[]).filter((k) => k !== 'tiers' && JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/** A shorter workload for the traced runs (tracing every function multiplies the host's work). */
const SHORT = { pokeSymbols: { workload_iterations: 500n, smp_workload_iterations: 100n } };

const WORKLOADS: Workload[] = [
  { name: 'the bundled kernel on 1 CPU', cpus: 1 },
  { name: 'the bundled kernel on 1 CPU, the function tracer on every function from boot', cpus: 1, tracer: 'function', options: SHORT },
  { name: 'the SMP workload on 4 CPUs with NMIs, the function tracer on every function from boot', cpus: 4, tracer: 'function', options: { ...SHORT, nmiRate: 20 } },
  { name: 'the SMP workload on 4 CPUs, function_graph on every function from boot', cpus: 4, tracer: 'function_graph', options: { pokeSymbols: { workload_iterations: 200n, smp_workload_iterations: 40n }, seed: 3 } },
  { name: 'the SMP workload on 4 CPUs, the function tracer switched on and off live (every site patched under running CPUs)', cpus: 4, liveSteps: 1_000_000 },
];

// compile early, so that most of what these workloads run under 'jit' is compiled code
const defaultHot = jitConfig.hot;
beforeAll(() => { jitConfig.hot = 64; });
afterAll(() => { jitConfig.hot = defaultHot; });

describe('interp and jit: the same run', () => {
  for (const w of WORKLOADS) {
    it(w.name, () => {
      const interp = runUnder('interp', w);
      const jit = runUnder('jit', w);
      expect(interp.tiers).toEqual(Array(w.cpus).fill('interp'));
      expect(jit.tiers).toEqual(Array(w.cpus).fill('jit'));
      expect(interp.exitReason).toBe('halted');
      // the native build's console (4 CPUs, the default workload), or at least a clean end
      if (w.cpus === 4 && w.options === undefined) expect(interp.console).toBe(expectedConsole);
      else expect(interp.console).toMatch(/smp: workload checksum [0-9a-f]+\n.*reboot: System halted\n$/);
      if (w.tracer !== undefined || w.liveSteps !== undefined) expect(interp.trace.split('\n').length).toBeGreaterThan(100);
      if (w.cpus > 1) expect(interp.choices.length).toBeGreaterThan(100);
      expect(differences(interp, jit)).toEqual([]);
    }, 60_000);
  }

  it('a run recorded under one tier replays decision for decision under the other', () => {
    const w = WORKLOADS[2];
    for (const [from, to] of [['interp', 'jit'], ['jit', 'interp']] as const) {
      const rec = new RecordingChooser(new RandomChooser(5));
      const a = runUnder(from, w, { chooser: rec });
      const b = runUnder(to, w, { chooser: new ReplayChooser(rec.log, `recorded under ${from}`) });
      expect(differences(a, b)).toEqual([]);
    }
  }, 60_000);

  it('negative control: the comparison sees one poke changed, another seed, another tracer', () => {
    const w = WORKLOADS[2];
    const base = runUnder('interp', w);
    // one variable of the image changed: every figure moves
    const poked = runUnder('jit', w, { pokeSymbols: { ...SHORT.pokeSymbols, workload_iterations: 499n } });
    expect(differences(base, poked)).toEqual(expect.arrayContaining(['instructions', 'cycles', 'memory', 'trace', 'choices']));
    // another seed: the same work (console) interleaved otherwise
    const seeded = runUnder('jit', w, { seed: 2 });
    expect(differences(base, seeded)).toEqual(expect.arrayContaining(['cycles', 'choices', 'trace']));
    expect(differences(base, seeded)).not.toContain('console');
    // a single-CPU run whose trace alone would differ is caught too: the trace of another tracer
    const one = runUnder('interp', WORKLOADS[1]);
    const graph = runUnder('jit', { ...WORKLOADS[1], tracer: 'function_graph' });
    expect(differences(one, graph)).toContain('trace');
  }, 60_000);
});

describe('the test suite\'s tier mode', () => {
  it('a machine booted without a tier runs under FTSIM_TIER (npm run test:interp), else jit; a tier given wins', () => {
    const tiersOf = (o: RunOptions): Tier[] => boot(image, 'fixtures/vmlinux', { cpus: 2, ...o }).machine.cpus.map((c) => c.tier);
    const suite = (process.env.FTSIM_TIER || 'jit') as Tier;
    expect(tiersOf({})).toEqual([suite, suite]);
    for (const t of TIERS) expect(tiersOf({ tier: t })).toEqual([t, t]);
    // negative control: the environment really is what decides (the check above is not true of any tier)
    const saved = process.env.FTSIM_TIER;
    try {
      for (const t of TIERS) {
        process.env.FTSIM_TIER = t;
        expect(tiersOf({})).toEqual([t, t]);
      }
    } finally {
      if (saved === undefined) delete process.env.FTSIM_TIER;
      else process.env.FTSIM_TIER = saved;
    }
  });
});

// ---- the explorer: `ftsim check`-style runs, violations and their replay files across tiers ----------------

const cfgOf = (tier: Tier, protocol: string): CheckConfig => ({
  kernel: { file: 'vmlinux', bytes: image }, scenario: 'enable-function-tracer', protocol, cpus: 2, sites: 2, tier,
});
const random = (runs: number, seed = 1): ExploreOptions => ({ strategy: 'random', runs, depth: 3, preemptions: 2, seed, shard: { index: 0, count: 1 }, shrinkBudget: 20 });

describe('interp and jit: the same explorations', () => {
  it('a violation found, shrunk and replayed: the same under both tiers, and its replay file replays under the other tier', () => {
    const x: Record<string, Explorer> = {};
    const found: Record<string, ReturnType<typeof explore>> = {};
    for (const t of TIERS) {
      x[t] = new Explorer(cfgOf(t, 'naive'));
      expect(x[t].b.machine.cpus.map((c) => c.tier)).toEqual([t, t]);
      found[t] = explore(cfgOf(t, 'naive'), random(40), x[t]);
    }
    const { wallMs: _a, ...interp } = found.interp;
    const { wallMs: _b, ...jit } = found.jit;
    expect(interp.violation).toBeDefined();
    expect({ ...jit, tier: undefined }).toEqual({ ...interp, tier: undefined });
    const v = interp.violation!;
    // the replay file of each tier's counterexample, replayed under the other: every decision as recorded, the same violation
    for (const [from, to] of [['interp', 'jit'], ['jit', 'interp']] as const) {
      const rec = accountOf(x[from], v.seed, v.forced, v.policy);
      const file = checkReplayOf(x[from].cfg, rec.run, v.forced);
      const again = accountOf(x[to], file.seed, file.forced, file.policy ?? 'fair');
      expect(replayDivergence(file.choices, again.run)).toBeNull();
      expect(again.run.violation?.summary).toBe(v.summary);
      expect(again.run.choices).toEqual(rec.run.choices);
      expect(again.text).toBe(rec.text);
    }
    // negative control: the replay check notices a recording of another schedule
    const other = x.jit.run(v.seed + 1, { decide: (_i, _k, _n, d) => d });
    expect(replayDivergence(other.choices, accountOf(x.interp, v.seed, v.forced, v.policy).run)).not.toBeNull();
  }, 90_000);

  it('a clean exploration: the same runs, schedules and decisions under both tiers (and another seed differs)', () => {
    const s = TIERS.map((t) => explore(cfgOf(t, 'int3_emulate'), random(3)));
    const strip = (c: ReturnType<typeof explore>): unknown => ({ ...c, wallMs: 0, tier: undefined });
    expect(s[0].violation).toBeUndefined();
    expect(s[0].runs).toBe(3);
    expect(strip(s[1])).toEqual(strip(s[0]));
    const reseeded = explore(cfgOf('jit', 'int3_emulate'), random(3, 2));
    expect(reseeded.schedules).not.toEqual(s[0].schedules);
  }, 90_000);
});
