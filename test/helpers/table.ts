// table.ts — the explorer's acceptance table as data (issue 9): the rows that must find a violation and the cells that must stay clean, shared by the npm-test and acceptance versions; and the dfs loop the strategy tests share.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Explorer, type CheckConfig } from '../../src/explore/engine.js';
import { DfsStrategy } from '../../src/explore/dfs.js';

export const vmlinux = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'vmlinux'));

/** The configuration of one cell of the table. */
export const cellConfig = (scenario: string, protocol: string, cpus: number, sites: number | undefined, mutate?: string): CheckConfig =>
  ({ kernel: { file: 'vmlinux', bytes: vmlinux }, scenario, protocol, mutate, cpus, sites });

/** The rows that must find a violation: scenario, protocol, mutant, the invariant, the kinds accepted. */
export const MUST_FIND: readonly [string, string, string | undefined, number, string[]][] = [
  ['enable-function-tracer', 'naive', undefined, 1, ['torn', 'stale']],
  ['preempt-mid-nop', 'two_part_nop', undefined, 1, ['mid-instruction']],
  ['nmi-during-patch', 'stop_machine', undefined, 1, ['torn', 'stale', 'mid-instruction']],
  ['livepatch-then-trace', 'int3_skip', undefined, 9, ['unpatched-call']],
  ['enable-function-tracer', 'int3_emulate', 'no-sync-1', 1, ['torn', 'stale']],
  ['enable-function-tracer', 'int3_emulate', 'no-sync-2', 1, ['torn', 'stale']],
  // the int3 left in place past the batch: executed after the batch ended (invariant 2), or fetched stale
  ['enable-function-tracer', 'int3_emulate', 'no-sync-3', 2, ['bad-opcode-or-fault', 'stale-int3']],
  ['module-load', 'naive', undefined, 1, ['torn', 'stale']],
];

/** The cells that must stay clean: scenario, protocol. */
export const MUST_STAY_CLEAN: readonly [string, string][] = [
  ['enable-function-tracer', 'stop_machine'], ['preempt-mid-nop', 'stop_machine'],
  ['enable-function-tracer', 'nmi_safe'], ['nmi-during-patch', 'nmi_safe'],
  ['enable-function-tracer', 'int3_skip'], ['switch-tracer', 'int3_skip'],
  ...['enable-function-tracer', 'switch-tracer', 'nmi-during-patch', 'preempt-mid-nop', 'livepatch-then-trace', 'module-load'].map((s): [string, string] => [s, 'int3_emulate']),
];

const explorers = new Map<string, Explorer>();

/** dfs over enable-function-tracer on 2 CPUs until exhausted or a violation; the event loop turns between runs. */
export async function dfsCheck(protocol: string, sites: number, k: number, shard = { index: 0, count: 1 }, maxRuns = 2000) {
  const key = `${protocol}:${sites}`;
  let x = explorers.get(key);
  if (x === undefined) {
    x = new Explorer(cellConfig('enable-function-tracer', protocol, 2, sites));
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
