// scheduler-resume.test.ts — a run divided into several Kernel.run(limit) calls is the run one call makes: a slice the step limit cuts goes on in the next call (src/machine/scheduler.ts), and Cpu.run(a), Cpu.run(b, resume) is Cpu.run(a + b).

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, memoryHash } from '../src/runner.js';
import { TraceArray } from '../src/trace/trace_functions.js';
import { runLive, isProblem } from './helpers/live.js';
import { tinyKernel } from './helpers/tiny.js';
import { RDX } from '../src/machine/x86/encoder.js';
import { LOCAL_TIMER_VECTOR } from '../src/kernel/layout.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

interface Config { cpus: number; seed: number; nmiRate: number; live: boolean }

/** How a run is divided: chunk sizes used in turn, and a stretch of steps run one step per call. */
interface Division { sizes: number[]; onesFrom: number; onesFor: number }

interface Outcome { reason: string; steps: number; console: string; hash: string; log: string; trace: string; calls: number }

/** Where the live switch to the function tracer starts (the writer task on CPU 0), and the run's end. */
const SWITCH_AT = 300_000;
const END = 4_000_000;
/** Steps the run goes on after the live switch at least (a division's chunks are at most 400,000). */
const AFTER = 500_000;

/**
 * Boot the bundled kernel (timer on, NMIs at `nmiRate`), run to SWITCH_AT, switch the function tracer
 * on live, run to the end (every CPU halted, or END). `div` null: each phase in one run() call.
 */
function scenario(cfg: Config, div: Division | null, carry = true): Outcome {
  let con = '';
  const b = boot(image, 'vmlinux', {
    cpus: cfg.cpus, seed: cfg.seed, nmiRate: cfg.nmiRate, pokeSymbols: { workload_iterations: 1n, smp_workload_iterations: 100n },
  }, (c) => { con += String.fromCharCode(c); });
  const k = b.kernel;
  k.scheduler.carryCutSlices = carry;
  const tr = new TraceArray(k, b.ftrace!.core, b.ftrace!.arch, { sizeKb: 256 });
  let calls = 0;
  let turn = 0;
  const advance = (limit: number): string => {
    for (;;) {
      let to = limit;
      if (div !== null) {
        const s = k.steps;
        const size = s >= div.onesFrom && s < div.onesFrom + div.onesFor ? 1 : div.sizes[turn++ % div.sizes.length];
        to = Math.min(limit, s + size);
      }
      calls++;
      const o = k.run(to);
      if (o.reason !== 'max-steps' || k.steps >= limit) return o.reason;
    }
  };
  let reason = advance(SWITCH_AT);
  if (cfg.live && reason === 'max-steps') {
    const r = runLive(b, 0, tr.setTracer('function'));
    expect(isProblem(r) ? r.what : r).toBe(0);
  }
  // at least AFTER steps after the switch, so that a division always has a second phase to divide
  // (on 4 CPUs the live switch can end past END)
  reason = advance(Math.max(END, k.steps + AFTER));
  return { reason, steps: k.steps, console: con, hash: memoryHash(b.machine), log: JSON.stringify(k.choices), trace: tr.traceText(), calls };
}

const division: fc.Arbitrary<Division> = fc.record({
  sizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 5_000 }), fc.integer({ min: 5_001, max: 400_000 })), { minLength: 1, maxLength: 12 }),
  onesFrom: fc.integer({ min: 0, max: 3_000_000 }),
  onesFor: fc.integer({ min: 1, max: 3_000 }),
});

function sameRun(got: Outcome, want: Outcome): void {
  expect(got.reason).toBe(want.reason);
  expect(got.steps).toBe(want.steps);
  expect(got.console).toBe(want.console);
  expect(got.hash).toBe(want.hash);
  expect(got.log === want.log, 'the chooser\'s decision logs are equal').toBe(true);
  expect(got.trace === want.trace, 'the trace texts are equal').toBe(true);
}

describe('a run divided into several run() calls is the run one call makes', () => {
  const configs: Config[] = [
    { cpus: 1, seed: 1, nmiRate: 20, live: true },
    { cpus: 2, seed: 1, nmiRate: 20, live: true },
    { cpus: 2, seed: 2, nmiRate: 50, live: true },
    { cpus: 4, seed: 3, nmiRate: 20, live: true },
  ];
  for (const cfg of configs) {
    it(`${cfg.cpus} CPU(s), seed ${cfg.seed}, NMIs at ${cfg.nmiRate}, function tracer switched on live: random chunks give the same run`, () => {
      const want = scenario(cfg, null);
      // the run did something worth comparing: it traced, and (on several CPUs) made choices
      expect(want.trace.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length).toBeGreaterThan(100);
      if (cfg.cpus > 1) expect(want.log.length).toBeGreaterThan(1000);
      fc.assert(fc.property(division, (div) => {
        const got = scenario(cfg, div);
        expect(got.calls).toBeGreaterThan(want.calls);
        sameRun(got, want);
      }), { numRuns: 1, examples: [[{ sizes: [300_000, 1], onesFrom: 1, onesFor: 1 }]] });
    }, 60_000);
  }

  it('negative control: without carrying a cut slice over (the old behaviour), chunks change the run', () => {
    // no live switch (its writer is waited for in chunks): the reference is one run() call per phase
    const cfg: Config = { cpus: 2, seed: 1, nmiRate: 20, live: false };
    const div: Division = { sizes: [997], onesFrom: 0, onesFor: 0 };
    const want = scenario(cfg, null, false);
    // in one call per phase the flag changes nothing: the only cut is at the phase's end
    expect(scenario(cfg, null, true).log === want.log).toBe(true);
    const old = scenario(cfg, div, false);
    expect(old.log === want.log).toBe(false);
    expect(old.steps === want.steps && old.hash === want.hash).toBe(false);
    sameRun(scenario(cfg, div, true), want);
  }, 60_000);

  it('a snapshot taken between two parts of a cut slice restores the slice: the restored run goes on as the unbroken one', () => {
    const cfg: Config = { cpus: 2, seed: 4, nmiRate: 20, live: false };
    const b = boot(image, 'vmlinux', { cpus: cfg.cpus, seed: cfg.seed, nmiRate: cfg.nmiRate, pokeSymbols: { workload_iterations: 1n, smp_workload_iterations: 100n } });
    const k = b.kernel;
    // stop in the middle of slices until one is cut (a carry pending), then snapshot there
    let snap = null;
    for (let at = 700_001; snap === null && at < 900_000; at += 7) {
      k.run(at);
      if (k.scheduler.save().carry !== null) snap = k.snapshot();
    }
    expect(snap).not.toBeNull();
    const mid = k.steps;
    k.run(3_000_000);
    const want = { steps: k.steps, hash: memoryHash(b.machine), log: JSON.stringify(k.choices) };
    k.restore(snap!);
    expect(k.steps).toBe(mid);
    k.run(3_000_000);
    expect({ steps: k.steps, hash: memoryHash(b.machine), log: JSON.stringify(k.choices) }).toEqual(want);
  }, 30_000);
});

describe('Cpu.run(a), Cpu.run(b, resume) is Cpu.run(a + b)', () => {
  /** cli; sti; then a long loop: an interrupt made pending in the STI shadow. Returns the cycles at which its handler ran. */
  function shadow(parts: number[]): number[] {
    const bed = tinyKernel((a) => {
      a.label('start');
      a.cli();
      a.sti();
      a.movImm32(RDX, 100_000);
      a.label('loop');
      a.subImm(RDX, 1);
      a.jccLabel(5, 'loop');
      a.cli().hlt();
    });
    const cpu = bed.kernel.cpus[0];
    const seen: number[] = [];
    bed.kernel.traps.observers.push((c, _r, v) => { if (v === LOCAL_TIMER_VECTOR) seen.push(c.cycles); });
    expect(cpu.run(2)).toBe(2); // cli, sti: the next instruction still runs with interrupts held off
    cpu.raiseIrq(LOCAL_TIMER_VECTOR);
    parts.forEach((n, i) => cpu.run(n, i > 0));
    return seen;
  }

  it('an interrupt pending behind the STI shadow is taken right after it, in one run or in parts', () => {
    const one = shadow([500]);
    expect(one.length).toBe(1);
    // the shadow ends after the instruction that follows sti (cycle 3): taken there (the observer sees
    // it a few instructions into the handler's stub), not at the budget's end (cycle 502)
    expect(one[0]).toBeLessThan(50);
    for (const parts of [[1, 499], [2, 498], [1, 1, 1, 497], [250, 250]]) expect(shadow(parts)).toEqual(one);
  });
});
