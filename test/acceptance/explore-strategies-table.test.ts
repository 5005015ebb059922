// explore-strategies-table.test.ts (acceptance) — the table under pct and dfs: every must-find row found by pct within 2,000 runs at 2 and 4 CPUs (its shrunk schedule replaying to the same violation), every row found by dfs with one preemption around its two default schedules (the clean cells under dfs: explore-dfs-clean.test.ts).

import { describe, expect, it } from 'vitest';
import { Explorer, type CheckConfig } from '../../src/explore/engine.js';
import { explore, type ExploreOptions } from '../../src/explore/check.js';
import { forcedDecider } from '../../src/explore/shrink.js';
import { MUST_FIND, cellConfig } from '../helpers/table.js';

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

/**
 * Every row is found by dfs with at most one preemption over one background (seed 1), 2 CPUs, around
 * the two default schedules in turn (fair, then lazy; gate.ts): fair finds every row but no-sync-3 (its
 * #BP handler must be overtaken by the rest of the batch: one preemption per step of the patching CPU),
 * lazy every row but no-sync-2 (a fetch must see the new first byte over the old tail: newest bytes).
 */
describe('dfs finds every row with one preemption, 2 CPUs', () => {
  for (const [scenario, protocol, mutate, invariant] of MUST_FIND) {
    it(`${protocol}${mutate ? ` --mutate ${mutate}` : ''} in ${scenario}, around fair and lazy`, () => {
      const cfg = cfgOf(scenario, protocol, 2, mutate);
      const x = new Explorer(cfg);
      const s = explore(cfg, opts({ strategy: 'dfs', preemptions: 1 }), x);
      const v = s.violation;
      expect(v, `no violation in ${s.runs} runs`).toBeDefined();
      expect(v!.invariant, v!.summary).toBe(invariant);
      expect(v!.forced.length).toBeLessThanOrEqual(1);
      // the shrunk schedule replays to the same violation around the default it was found with
      expect(x.run(v!.seed, forcedDecider(v!.forced), v!.policy).violation?.summary).toBe(v!.summary);
      console.log(`dfs K=1: ${protocol}${mutate ? `/${mutate}` : ''} in ${scenario}: run ${v!.run + 1} (around ${v!.policy}), ${v!.kind}; shrunk to ${v!.forced.length} in ${v!.length}`);
    });
  }

  it('negative control: around fair alone, no-sync-3 is not found with one preemption (the tree is exhausted clean)', () => {
    const cfg = cfgOf('enable-function-tracer', 'int3_emulate', 2, 'no-sync-3');
    const s = explore(cfg, opts({ strategy: 'dfs', preemptions: 1, defaults: ['fair'] }));
    expect(s.violation).toBeUndefined();
    expect(s.exhausted).toBe(true);
  });
});

/**
 * At 4 CPUs the trees are larger (no-sync-3's fair tree alone takes minutes): each row is searched around
 * the one default that finds it with one preemption, over one background. no-sync-2's fair trees of
 * backgrounds 1 and 2 are exhausted clean (3,148 runs) and that of background 3 holds it: the test
 * starts there.
 */
const DFS_4: Record<string, { defaults: ('fair' | 'lazy')[]; seed: number }> = {
  'int3_emulate/no-sync-3': { defaults: ['lazy'], seed: 1 },
  'int3_emulate/no-sync-2': { defaults: ['fair'], seed: 3 },
};

describe('dfs finds every row with one preemption, 4 CPUs', () => {
  for (const [scenario, protocol, mutate, invariant] of MUST_FIND) {
    const o = DFS_4[`${protocol}/${mutate}`] ?? { defaults: ['fair'], seed: 1 };
    it(`${protocol}${mutate ? ` --mutate ${mutate}` : ''} in ${scenario}, around ${o.defaults.join(' and ')}, background ${o.seed}`, () => {
      const cfg = cfgOf(scenario, protocol, 4, mutate);
      const x = new Explorer(cfg);
      const s = explore(cfg, opts({ strategy: 'dfs', preemptions: 1, ...o }), x);
      const v = s.violation;
      expect(v, `no violation in ${s.runs} runs`).toBeDefined();
      expect(v!.invariant, v!.summary).toBe(invariant);
      expect(x.run(v!.seed, forcedDecider(v!.forced), v!.policy).violation?.summary).toBe(v!.summary);
      console.log(`dfs K=1, 4 CPUs: ${protocol}${mutate ? `/${mutate}` : ''} in ${scenario}: run ${v!.run + 1} (around ${v!.policy}, background ${v!.seed}), ${v!.kind}; shrunk to ${v!.forced.length} in ${v!.length}`);
    });
  }
});
