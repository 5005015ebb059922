// fetch-model.test.ts — the three textbook cases of cross-modifying code against the instruction-fetch model.

import { describe, it, expect } from 'vitest';
import { patchBed, runUntilReaders, writer, skipSiteHandler, type Protocol } from './helpers/tiny.js';

interface Outcome {
  violation?: { kind: string; invariant: number; summary: string; details: string[] };
  reason: string;
  /** fetches where some byte had more than one observable value, and int3 traps taken at the site */
  choices: number;
  int3Hits: number;
}

function trial(protocol: Protocol, seed: number, granularity: 'byte' | 'word' = 'byte', rounds = 12): Outcome {
  const bed = patchBed({ cpus: 4, seed, loops: 1_000_000 });
  runUntilReaders(bed);
  const skip = skipSiteHandler(bed);
  let int3Hits = 0;
  bed.kernel.int3Handlers.push((cpu, regs) => { const h = skip(cpu, regs); if (h) int3Hits++; return h; });
  bed.kernel.startHostThread(0, writer(bed, protocol, rounds, granularity));
  let o = bed.kernel.run(bed.kernel.steps + 200_000);
  // keep going until the writer is done (or a violation stops the run)
  while (o.reason === 'max-steps' && bed.kernel.hostThreadRunning(0)) o = bed.kernel.run(bed.kernel.steps + 200_000);
  return { reason: o.reason, violation: o.violation, choices: bed.kernel.fetch!.choices, int3Hits };
}

/** Seeds tried until the first violation; undefined when none in `max`. */
function firstViolation(protocol: Protocol, max: number, granularity: 'byte' | 'word' = 'byte', kind?: string): { seed: number; o: Outcome } | undefined {
  for (let seed = 1; seed <= max; seed++) {
    const o = trial(protocol, seed, granularity);
    if (o.violation && (kind === undefined || o.violation.kind === kind)) return { seed, o };
  }
  return undefined;
}

describe('instruction fetch under cross-modifying code', () => {
  it('case 1: a plain multi-byte text_poke of nop -> call while others execute it is caught as torn', () => {
    const found = firstViolation('naive', 20, 'byte', 'torn');
    expect(found, 'no seed in 1..20 found a torn execution').toBeDefined();
    expect(found!.o.violation!.invariant).toBe(1);
    expect(found!.o.violation!.kind).toBe('torn');
    expect(found!.o.violation!.summary).toMatch(/torn instruction at 0xffffffff81/);
    // the report shows when each byte was written
    expect(found!.o.violation!.details.join('\n')).toMatch(/by CPU 0/);
    console.log(`naive text_poke: torn execution found with seed ${found!.seed}`);
  });

  it('case 1 with aligned word stores is still torn (a fetch is not atomic against the write)', () => {
    const found = firstViolation('naive', 20, 'word');
    expect(found).toBeDefined();
    expect(['torn', 'stale']).toContain(found!.o.violation!.kind);
  });

  it('case 2: int3, sync, tail, sync, head, sync never lets a CPU execute a torn or stale instruction', () => {
    let choices = 0, hits = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const o = trial('int3', seed, 'byte', 24);
      expect(o.violation, `seed ${seed}: ${o.violation?.summary}\n${o.violation?.details.join('\n')}`).toBeUndefined();
      expect(o.reason).toBe('max-steps');
      choices += o.choices;
      hits += o.int3Hits;
    }
    // not vacuous: CPUs did observe bytes in flux, and did trap on the int3
    expect(choices).toBeGreaterThan(100);
    expect(hits).toBeGreaterThan(100);
  });

  it('case 3a: without the sync after writing int3, a violation is found', () => {
    const found = firstViolation('int3-no-sync1', 20);
    expect(found).toBeDefined();
    console.log(`int3 without the first sync: ${found!.o.violation!.kind} execution found with seed ${found!.seed}`);
    expect(found!.o.violation!.invariant).toBe(1);
  });

  it('case 3b: without the sync after writing the tail, a violation is found', () => {
    const found = firstViolation('int3-no-sync2', 20);
    expect(found).toBeDefined();
    console.log(`int3 without the second sync: ${found!.o.violation!.kind} execution found with seed ${found!.seed}`);
    expect(found!.o.violation!.invariant).toBe(1);
  });
});
