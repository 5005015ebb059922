// explore-table.test.ts (acceptance) — the explorer's table in full: every row at 2 and 4 CPUs, each violation found by random exploration within its budget and its shrunk schedule replaying to the same violation; the clean cells clean over longer random explorations at 2 sites and on every site.

import { describe, expect, it } from 'vitest';
import { Explorer, type CheckConfig } from '../../src/explore/engine.js';
import { explore, type ExploreOptions } from '../../src/explore/check.js';
import { forcedDecider } from '../../src/explore/shrink.js';
import { MUST_FIND, MUST_STAY_CLEAN, cellConfig } from '../helpers/table.js';

const cfgOf = (scenario: string, protocol: string, cpus: number, sites: number | undefined, mutate?: string): CheckConfig => cellConfig(scenario, protocol, cpus, sites, mutate);

const random = (runs: number, seed = 1): ExploreOptions => ({ strategy: 'random', runs, depth: 3, preemptions: 2, seed, shard: { index: 0, count: 1 }, shrinkBudget: 300 });


for (const cpus of [2, 4]) {
  describe(`must find, ${cpus} CPUs, 2 sites, random within 400 runs`, () => {
    for (const [scenario, protocol, mutate, invariant] of MUST_FIND) {
      it(`${protocol}${mutate ? ` --mutate ${mutate}` : ''} in ${scenario}`, () => {
        const cfg = cfgOf(scenario, protocol, cpus, 2, mutate);
        const x = new Explorer(cfg);
        const s = explore(cfg, random(400), x);
        const v = s.violation;
        expect(v, `no violation in ${s.runs} runs`).toBeDefined();
        expect(v!.invariant, v!.summary).toBe(invariant);
        const a = x.run(v!.seed, forcedDecider(v!.forced));
        expect(a.violation?.summary).toBe(v!.summary);
        console.log(`${cpus} CPUs: ${protocol}${mutate ? `/${mutate}` : ''} in ${scenario}: run ${v!.run + 1}, invariant ${v!.invariant} ${v!.kind}; shrunk ${v!.originalPreemptions} -> ${v!.forced.length} preemptions in ${v!.length} decisions (${s.wallMs.toFixed(0)} ms)`);
      });
    }
  });

  describe(`must stay clean, ${cpus} CPUs`, () => {
    for (const [scenario, protocol] of MUST_STAY_CLEAN) {
      it(`${protocol} in ${scenario}: ${cpus === 2 ? 100 : 40} random runs at 2 sites, 6 on every site`, () => {
        for (const [sites, runs] of [[2, cpus === 2 ? 100 : 40], [undefined, 6]] as const) {
          const s = explore(cfgOf(scenario, protocol, cpus, sites), random(runs));
          expect(s.violation?.summary ?? '', `sites ${sites ?? 'all'}`).toBe('');
          expect(s.runs).toBe(runs);
          expect(s.incomplete).toBe(0);
          console.log(`${cpus} CPUs: ${protocol} in ${scenario}, sites ${sites ?? 'all'}: clean over ${s.runs} runs, ${s.schedules.length} schedules, ${s.points} decisions (${s.wallMs.toFixed(0)} ms)`);
        }
      });
    }
  });
}
