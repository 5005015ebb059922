// livepatch-monitor.test.ts — the invariant-9 monitor: a live-patched function stays patched while other tracers move its site, and the monitor fires when it does not.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, type Booted, type FtraceBootOptions } from '../src/runner.js';
import { parseElf } from '../src/loader/elf.js';
import { Livepatch, klpImageResolver } from '../src/livepatch/patch.js';
import { KlpMonitor } from '../src/livepatch/monitor.js';
import { TraceArray } from '../src/trace/trace_functions.js';
import { runLive, runFor, runUntilSmp, isProblem, type LiveProblem } from './helpers/live.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));
const resolver = klpImageResolver(parseElf(image, 'vmlinux'));

interface Outcome { problem: string | null; checked: number; claims: number; switches: number }

/**
 * crc32_le live-patched to crc32_le_v2 on 4 busy CPUs with NMIs, then the function tracer (and
 * function_graph) switched on and off around it: each switch moves crc32_le's site between the patch's
 * own trampoline and the shared regs caller with the list function, while the CPUs keep calling it.
 */
function run(seed: number, ftrace: FtraceBootOptions, sabotage?: (b: Booted, lp: Livepatch) => void): Outcome {
  const b = boot(image, 'vmlinux', {
    cpus: 4, seed, nmiRate: 20, maxQuantum: 200, ftrace,
    pokeSymbols: { workload_iterations: 50n, smp_workload_iterations: 100_000n },
  });
  const ft = b.ftrace!;
  const lp = new Livepatch(ft.core, resolver);
  const mon = new KlpMonitor(lp, { currentTask: (c) => b.kernel.sched.current[c], symbolize: (a) => b.symbols.format(a) });
  mon.install(b.kernel.cpus);
  const tr = new TraceArray(b.kernel, ft.core, ft.arch, { sizeKb: 32 });
  const out: Outcome = { problem: null, checked: 0, claims: 0, switches: 0 };
  const fail = (p: LiveProblem | null): boolean => {
    if (p !== null) out.problem = p.what;
    return p !== null;
  };
  const done = (): Outcome => ({ ...out, checked: mon.checked, claims: b.kernel.poke.int3Claims });
  if (fail(runUntilSmp(b)) || fail(runFor(b, 150_000))) return done();
  if (sabotage) sabotage(b, lp);
  else {
    const r = runLive(b, seed % 4, lp.klpEnable('crc32_le', 'crc32_le_v2'));
    if (isProblem(r)) return (fail(r), done());
    expect(r.err).toBe(0);
  }
  for (const [i, t] of ['function', 'nop', 'function_graph', 'function', 'nop', 'function', 'nop'].entries()) {
    const r = runLive(b, (seed + i) % 4, tr.setTracer(t));
    if (isProblem(r)) return (fail(r), done());
    expect(r).toBe(0);
    out.switches++;
    if (fail(runFor(b, 80_000))) return done();
  }
  return done();
}

describe('invariant 9: a live-patched function is never briefly unpatched', () => {
  it('tracers switched on and off around a patched crc32_le on 4 busy CPUs: every call that began patched ran crc32_le_v2, the site was hit mid-move', () => {
    let checked = 0;
    for (const seed of [1, 2]) {
      const o = run(seed, {});
      expect(o.problem, `seed ${seed}`).toBeNull();
      expect(o.switches).toBe(7);
      expect(o.claims).toBeGreaterThan(0);
      checked += o.checked;
    }
    expect(checked).toBeGreaterThan(200);
    console.log(`invariant 9: ${checked} calls of the patched crc32_le checked over 2 seeds`);
  });

  it('negative control: with the pre-2019 #BP handler (int3_skip), a call that hits the int3 while crc32_le\'s site moves runs the old body, and the monitor fires', () => {
    const found: string[] = [];
    for (let seed = 1; seed <= 6 && found.length === 0; seed++) {
      const o = run(seed, { protocol: 'int3_skip' });
      if (o.problem !== null && o.problem.includes('ran crc32_le unpatched')) found.push(o.problem);
      else expect(o.problem, `seed ${seed}`).toBeNull();
    }
    expect(found.length).toBe(1);
    expect(found[0]).toMatch(/^violation: CPU \d ran crc32_le unpatched: a call that began while it was live-patched to crc32_le_v2 returned to \S+ without being redirected/);
  });

  it('negative control: a patch marked in force whose ops was never registered fires on the first call', () => {
    const o = run(1, {}, (_b, lp) => {
      const f = lp.prepare('crc32_le', 'crc32_le_v2');
      if (!('ops' in f)) throw new Error(f.message);
      f.patched = true;
      lp.funcs.set('crc32_le', f);
    });
    expect(o.problem).toMatch(/^violation: CPU \d ran crc32_le unpatched/);
    expect(o.checked).toBe(1);
  });
});
