// explore-dfs-clean.test.ts (acceptance) — every clean cell of the explorer's table exhausted clean by dfs at 2 CPUs and 2 sites with at most one preemption, around both default schedules (fair and lazy); K=2 (thousands of runs a cell) is left to ftsim check --strategy dfs --preemptions 2.

import { describe, expect, it } from 'vitest';
import type { ExploreOptions } from '../../src/explore/check.js';
import { exploreParallel } from '../../src/explore/workers.js';
import { MUST_STAY_CLEAN, cellConfig } from '../helpers/table.js';

const opts = (o: Partial<ExploreOptions>): ExploreOptions =>
  ({ strategy: 'dfs', runs: 1, depth: 3, preemptions: 1, seed: 1, shard: { index: 0, count: 1 }, ...o });

describe('dfs exhausts the clean cells clean, 2 CPUs, 2 sites', () => {
  for (const [scenario, protocol] of MUST_STAY_CLEAN) {
    // on two worker threads: a cell takes up to two minutes, and a test thread that blocked that long
    // would leave vitest's own messages unanswered ("Timeout calling onTaskUpdate")
    it(`${protocol} in ${scenario}, at most 1 preemption, around fair and lazy`, async () => {
      const s = await exploreParallel(cellConfig(scenario, protocol, 2, 2), opts({}), 2);
      expect(s.violation?.summary ?? '').toBe('');
      expect(s.exhausted).toBe(true);
      expect(s.incomplete).toBe(0);
      console.log(`dfs K=1: ${protocol} in ${scenario}: exhausted clean in ${s.runs} runs, ${s.points} decisions (${(s.wallMs / 1000).toFixed(1)} s)`);
    });
  }

});
