// explore-dfs.test.ts (acceptance) — dfs on the real machine: int3_emulate exhausted at K=1 with no violation and no divergence, and two shards running exactly the unsharded schedules (npm test keeps the quick naive control in test/explore-strategies.test.ts).

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DfsStrategy } from '../../src/explore/dfs.js';
import { Explorer } from '../../src/explore/engine.js';

const root = join(import.meta.dirname, '..', '..');
const vmlinux = readFileSync(join(root, 'fixtures', 'vmlinux'));

// ---- dfs on the machine ---------------------------------------------------------------------

const explorers = new Map<string, Explorer>();

/** dfs over enable-function-tracer on 2 CPUs until exhausted or a violation; the event loop turns between runs. */
async function check(protocol: string, sites: number, k: number, shard = { index: 0, count: 1 }, maxRuns = 2000) {
  const key = `${protocol}:${sites}`;
  let x = explorers.get(key);
  if (x === undefined) {
    x = new Explorer({ kernel: { file: 'vmlinux', bytes: vmlinux }, scenario: 'enable-function-tracer', protocol, cpus: 2, sites });
    explorers.set(key, x);
  }
  const s = new DfsStrategy(k, shard, { seed: 1 });
  let runs = 0;
  let violation: string | undefined;
  for (let p = s.next(); p !== null && runs < maxRuns; p = s.next()) {
    const r = x.run(p.seed, p.decider);
    runs++;
    s.record({ index: p.index, points: r.points, violation: r.violation !== undefined });
    if (r.violation !== undefined) { violation = r.violation.summary; break; }
    if (runs % 8 === 0) await new Promise((res) => setImmediate(res));
  }
  return { s, runs, violation };
}

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
