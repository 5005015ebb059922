// explore-dfs.test.ts (acceptance) — dfs on the real machine: int3_emulate exhausted at K=1 with no violation and no divergence, and two shards running exactly the unsharded schedules (npm test keeps the quick naive control in test/explore-strategies.test.ts).

import { describe, expect, it } from 'vitest';
import { dfsCheck } from '../helpers/table.js';


// ---- dfs on the machine ---------------------------------------------------------------------

const check = dfsCheck;

describe('dfs on the machine (enable-function-tracer, 2 CPUs)', () => {
  let whole: string[] = [];

  it('int3_emulate, 2 sites, K=1: exhausted with no violation and no divergence', async () => {
    const { s, violation } = await check('int3_emulate', 2, 1);
    expect(violation).toBeUndefined();
    expect(s.exhausted).toBe(true);
    expect(s.divergences).toBe(0);
    whole = s.schedules;
  });

  it('two shards run exactly the unsharded schedules (int3_emulate, 2 sites, K=1)', async () => {
    expect(whole.length).toBeGreaterThan(2);
    const a = await check('int3_emulate', 2, 1, { index: 0, count: 2 });
    const b = await check('int3_emulate', 2, 1, { index: 1, count: 2 });
    expect(a.s.exhausted && b.s.exhausted).toBe(true);
    expect([...new Set([...a.s.schedules, ...b.s.schedules])].sort()).toEqual([...whole].sort());
    expect(a.runs + b.runs).toBe(whole.length + 1);
    // negative control: one shard alone is not the whole
    expect([...a.s.schedules].sort()).not.toEqual([...whole].sort());
  });
});
