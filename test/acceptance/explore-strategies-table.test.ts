// explore-strategies-table.test.ts (acceptance) — the table under pct and dfs: every must-find row found by pct within 2,000 runs at 2 and 4 CPUs (its shrunk schedule replaying to the same violation), the rows dfs finds within its bound, and every clean cell exhausted clean by dfs at 2 CPUs and 2 sites with at most one preemption (K=2 takes about 12,000 runs and 7 minutes a cell: run it with ftsim check --strategy dfs --preemptions 2).

import { describe, expect, it } from 'vitest';
import { Explorer, type CheckConfig } from '../../src/explore/engine.js';
import { explore, type ExploreOptions } from '../../src/explore/check.js';
import { forcedDecider } from '../../src/explore/shrink.js';
import { MUST_FIND, MUST_STAY_CLEAN, cellConfig } from '../helpers/table.js';

const cfgOf = (scenario: string, protocol: string, cpus: number, mutate?: string): CheckConfig => cellConfig(scenario, protocol, cpus, 2, mutate);

const opts = (o: Partial<ExploreOptions>): ExploreOptions =>
  ({ strategy: 'random', runs: 1, depth: 3, preemptions: 2, seed: 1, shard: { index: 0, count: 1 }, shrinkBudget: 100, ...o });


for (const cpus of [2, 4]) {
  describe(`pct (depth 3) finds every row within 2,000 runs, ${cpus} CPUs`, () => {
    for (const [scenario, protocol, mutate, invariant] of MUST_FIND) {
      it(`${protocol}${mutate ? ` --mutate ${mutate}` : ''} in ${scenario}`, () => {
        const cfg = cfgOf(scenario, protocol, cpus, mutate);
        const x = new Explorer(cfg);
        const s = explore(cfg, opts({ strategy: 'pct', runs: 2000 }), x);
        const v = s.violation;
        expect(v, `no violation in ${s.runs} runs`).toBeDefined();
        expect(v!.invariant, v!.summary).toBe(invariant);
        expect(x.run(v!.seed, forcedDecider(v!.forced)).violation?.summary).toBe(v!.summary);
        console.log(`pct, ${cpus} CPUs: ${protocol}${mutate ? `/${mutate}` : ''} in ${scenario}: run ${v!.run + 1}, invariant ${v!.invariant} ${v!.kind}; shrunk ${v!.originalPreemptions} -> ${v!.forced.length} in ${v!.length} decisions (${(s.wallMs / 1000).toFixed(1)} s)`);
      });
    }
  });
}

/** Rows dfs finds within its bound (K preemptions over B backgrounds from seed S), 2 CPUs. */
const DFS_FINDS: [string, string, string | undefined, number, number, number, number][] = [
  ['enable-function-tracer', 'naive', undefined, 1, 0, 1, 1],
  ['livepatch-then-trace', 'int3_skip', undefined, 9, 2, 1, 3],
  ['preempt-mid-nop', 'two_part_nop', undefined, 1, 1, 1, 1],
  ['enable-function-tracer', 'int3_emulate', 'no-sync-2', 1, 1, 6, 1],
  ['module-load', 'naive', undefined, 1, 1, 1, 1],
];

describe('dfs finds, 2 CPUs', () => {
  for (const [scenario, protocol, mutate, invariant, k, b, seed] of DFS_FINDS) {
    it(`${protocol}${mutate ? ` --mutate ${mutate}` : ''} in ${scenario} with at most ${k} preemptions over ${b} background${b === 1 ? '' : 's'} from seed ${seed}`, () => {
      const cfg = cfgOf(scenario, protocol, 2, mutate);
      const s = explore(cfg, opts({ strategy: 'dfs', preemptions: k, backgrounds: b, seed }));
      expect(s.violation, `no violation in ${s.runs} runs`).toBeDefined();
      expect(s.violation!.invariant).toBe(invariant);
      console.log(`dfs K=${k} B=${b}: ${protocol}${mutate ? `/${mutate}` : ''} in ${scenario}: run ${s.violation!.run + 1}, ${s.violation!.kind}; shrunk to ${s.violation!.forced.length} in ${s.violation!.length}`);
    });
  }
});

describe('dfs exhausts the clean cells clean, 2 CPUs, 2 sites', () => {
  for (const [scenario, protocol] of MUST_STAY_CLEAN) {
    it(`${protocol} in ${scenario}, at most 1 preemption`, () => {
      const s = explore(cfgOf(scenario, protocol, 2), opts({ strategy: 'dfs', preemptions: 1 }));
      expect(s.violation?.summary ?? '').toBe('');
      expect(s.exhausted).toBe(true);
      expect(s.incomplete).toBe(0);
      console.log(`dfs K=1: ${protocol} in ${scenario}: exhausted clean in ${s.runs} runs, ${s.points} decisions (${(s.wallMs / 1000).toFixed(1)} s)`);
    });
  }

});
