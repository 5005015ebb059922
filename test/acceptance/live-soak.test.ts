// live-soak.test.ts — acceptance: the tracers switched live (nop, function, function_graph, in every order) on 4 busy CPUs with NMIs, over many seeds.
//
// `npm run acceptance` runs this; `npm test` runs the same check on 3 seeds (test/ftrace-x86.test.ts).
// FTSIM_SOAK_SEEDS sets how many seeds (default 24).

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boot } from '../../src/runner.js';
import { TraceArray, FunctionTracer } from '../../src/trace/trace_functions.js';
import { GraphTracer } from '../../src/trace/trace_functions_graph.js';
import { checkX86Records } from '../../src/arch/x86/ftrace.js';
import { runLive, runFor, runUntilSmp, isProblem } from '../helpers/live.js';

const image = readFileSync(join(__dirname, '..', '..', 'fixtures', 'vmlinux'));
const SEEDS = Number(process.env.FTSIM_SOAK_SEEDS ?? 24);
/** Every ordered switch between the three tracers, then back to nop. */
const SCHEDULE = ['function', 'function_graph', 'nop', 'function_graph', 'function', 'nop', 'function', 'nop', 'function_graph', 'nop'];

describe(`live tracer switches on 4 busy CPUs with NMIs, ${SEEDS} seeds`, () => {
  let claims = 0;
  let switches = 0;
  const perSeed: string[] = [];
  // one test per seed: a test is one synchronous run, and a very long one starves the test runner's own messages
  for (let seed = 100; seed < 100 + SEEDS; seed++) {
    it(`seed ${seed}: no monitor fires, records agree with text after each switch, every event written was in the buffer or overrun when a switch cleared it`, () => {
      const b = boot(image, 'vmlinux', {
        cpus: 4, seed, nmiRate: 20 + (seed % 3) * 20, maxQuantum: seed % 2 ? 200 : 1000,
        pokeSymbols: { workload_iterations: 50n, smp_workload_iterations: 100_000n },
      });
      const ft = b.ftrace!;
      const tr = new TraceArray(b.kernel, ft.core, ft.arch, { sizeKb: 32 });
      expect(runUntilSmp(b)).toBeNull();
      expect(runFor(b, 100_000 + (seed % 5) * 37_000)).toBeNull();
      for (const [i, name] of SCHEDULE.entries()) {
        const err = runLive(b, (seed + i) % 4, tr.setTracer(name));
        expect(isProblem(err) ? err.what : err, `switch ${i} -> ${name}`).toBe(0);
        switches++;
        expect(checkX86Records(ft.core, ft.arch), `after -> ${name}`).toEqual([]);
        expect(runFor(b, 60_000), `after -> ${name}`).toBeNull();
      }
      const fn = tr.tracers.get('function') as FunctionTracer;
      const graph = tr.tracers.get('function_graph') as GraphTracer;
      // each switch clears the buffer (tracer_init): what it cleared, plus what is left (nothing, after
      // the last switch to nop), is every event the tracers wrote
      const written = fn.calls + graph.entries + graph.returns;
      expect(written).toBeGreaterThan(1000);
      expect(tr.buffer.totalEntries().written).toBe(0);
      expect(tr.eventsCleared).toBe(written);
      claims += b.kernel.poke.int3Claims;
      perSeed.push(`${seed}:${b.kernel.poke.int3Claims}`);
    });
  }

  it('the #BP handler was hit during the switches', () => {
    expect(switches).toBe(SEEDS * SCHEDULE.length);
    expect(claims).toBeGreaterThan(0);
    console.log(`live soak: ${SEEDS} seeds, ${switches} switches, ${claims} int3 claims (per seed ${perSeed.join(' ')})`);
  });
});
