// smp-kernel.test.ts: the bundled kernel on 4 CPUs keeps every CPU busy, repeats itself exactly for a
// seed, and prints the same console however its CPUs interleave: more preemption, NMIs in the middle of
// irq-off sections and lock holders.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootAndRun, type RunOptions, type RunResult } from '../src/runner.js';
import { ReplayChooser } from '../src/machine/chooser.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const image = new Uint8Array(readFileSync(join(root, 'fixtures', 'vmlinux')));
/** The native build's output for 4 CPUs (see guest/build.sh). */
const expectedConsole = readFileSync(join(root, 'fixtures', 'vmlinux.console'), 'latin1');

const CPUS = 4;

function boot(options: RunOptions): RunResult {
  const r = bootAndRun(image, 'fixtures/vmlinux', { cpus: CPUS, ...options });
  // A violation may be a machine or host-kernel bug: show all of it.
  if (r.violation) console.error('violation:', r.violation);
  if (r.error) console.error('error:', r.error);
  return r;
}

function expectCleanHalt(r: RunResult): void {
  expect(r.violation).toBeUndefined();
  expect(r.error).toBeUndefined();
  expect(r.exitReason).toBe('halted');
  expect(r.halted).toEqual(Array(CPUS).fill(true));
}

describe(`the bundled kernel on ${CPUS} CPUs`, () => {
  it('keeps every CPU busy, and the same seed repeats the run exactly', () => {
    const a = boot({ seed: 5 });
    expectCleanHalt(a);
    expect(a.console).toBe(expectedConsole);
    expect(a.instructions).toHaveLength(CPUS);
    for (const [cpu, n] of a.instructions.entries()) {
      expect(n / a.steps, `CPU ${cpu}: ${n} of ${a.steps} instructions`).toBeGreaterThanOrEqual(0.1);
    }

    const b = boot({ seed: 5 });
    expect(b.instructions).toEqual(a.instructions);
    expect(b.cycles).toEqual(a.cycles);
    expect(b.console).toBe(a.console);
    expect(b.memoryHash).toBe(a.memoryHash);

    // the recorded decisions replay the run bit for bit, and another seed really is another run
    const c = boot({ chooser: new ReplayChooser(a.choices, 'seed 5') });
    expect(c.instructions).toEqual(a.instructions);
    expect(c.cycles).toEqual(a.cycles);
    expect(c.memoryHash).toBe(a.memoryHash);
    const d = boot({ seed: 6 });
    expect(d.console).toBe(a.console);
    expect(d.cycles).not.toEqual(a.cycles);
  }, 60_000);

  it('prints the same console with NMIs striking anywhere, irq-off sections and lock holders included', () => {
    const r = boot({ seed: 6, nmiRate: 20 });
    expectCleanHalt(r);
    expect(r.console).toBe(expectedConsole);
  }, 60_000);

  it('finishes without a timer too: the last task to exit wakes the idle CPUs', () => {
    const r = boot({ seed: 2, timerHz: 0 });
    expectCleanHalt(r);
    expect(r.console).toBe(expectedConsole);
  });

  it('prints the same console with ten times as many ticks (and preemptions)', () => {
    const r = boot({ seed: 7, timerHz: 10_000 });
    expectCleanHalt(r);
    expect(r.console).toBe(expectedConsole);
  }, 60_000);

  it('prints the same console with short scheduling quanta (finer interleaving)', () => {
    const r = boot({ seed: 8, maxQuantum: 50 });
    expectCleanHalt(r);
    expect(r.console).toBe(expectedConsole);
  }, 60_000);
});
