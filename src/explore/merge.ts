// Shard results of `ftsim check`: the JSON a shard writes (--out), and the merge of several into the summary one unsharded run gives (--merge).

import { readFileSync, writeFileSync } from 'node:fs';
import type { CheckSummary } from './check.js';
import { describeFsError, unwritableReason } from './replay.js';

export const SHARD_FORMAT = 'ftsim-check-shard';
export const SHARD_VERSION = 1;

export class MergeError extends Error {}

/** The fields every shard of one exploration must agree on. */
const SAME: readonly (keyof CheckSummary)[] = ['scenario', 'protocol', 'mutate', 'cpus', 'sites', 'nmiRate', 'kernelSha256', 'strategy', 'seed'];

export function writeShard(path: string, s: CheckSummary): void {
  try {
    writeFileSync(path, JSON.stringify({ format: SHARD_FORMAT, version: SHARD_VERSION, ...s }) + '\n');
  } catch (e) {
    throw new MergeError(`${path}: cannot write: ${unwritableReason(path) ?? describeFsError(e)}`);
  }
}

export function readShard(path: string): CheckSummary {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MergeError(`${path}: ${code === 'ENOENT' ? 'no such file' : code !== undefined ? describeFsError(e) : `not a shard result: ${(e as Error).message}`}`);
  }
  const d = data as Partial<CheckSummary> & { format?: string; version?: number };
  if (typeof d !== 'object' || d === null || d.format !== SHARD_FORMAT) throw new MergeError(`${path}: not a shard result of ftsim check --out (format is not '${SHARD_FORMAT}')`);
  if (d.version !== SHARD_VERSION) throw new MergeError(`${path}: shard format version ${String(d.version)} is not supported (expected ${SHARD_VERSION})`);
  if (typeof d.shard !== 'object' || d.shard === null || !Number.isInteger(d.shard.index) || !Number.isInteger(d.shard.count)) throw new MergeError(`${path}: field 'shard' is missing or malformed`);
  if (!Array.isArray(d.schedules) || typeof d.runs !== 'number' || typeof d.violations !== 'object') throw new MergeError(`${path}: fields 'runs', 'schedules' or 'violations' are missing`);
  const { format: _f, version: _v, ...rest } = d;
  return rest as CheckSummary;
}

/**
 * Combine shard results of one exploration: every shard 0..N-1 of the same N exactly once, all of the
 * same scenario, protocol, machine and strategy. The first violation is the one of the lowest run
 * number (what an unsharded run stopping at its first violation would have found first).
 */
export function mergeShards(parts: readonly { path: string; s: CheckSummary }[]): CheckSummary {
  if (parts.length === 0) throw new MergeError('nothing to merge');
  const first = parts[0].s;
  const count = first.shard.count;
  const seen = new Map<number, string>();
  for (const { path, s } of parts) {
    for (const k of SAME) {
      if (JSON.stringify(s[k]) !== JSON.stringify(first[k])) {
        throw new MergeError(`${path}: ${k} is ${JSON.stringify(s[k])}, ${parts[0].path} has ${JSON.stringify(first[k])}: not shards of one exploration`);
      }
    }
    if (JSON.stringify(s.budget) !== JSON.stringify(first.budget)) throw new MergeError(`${path}: its budget differs from ${parts[0].path}'s: not shards of one exploration`);
    if (s.shard.count !== count) throw new MergeError(`${path}: shard ${s.shard.index + 1}/${s.shard.count}, but ${parts[0].path} is one of ${count}`);
    const dup = seen.get(s.shard.index);
    if (dup !== undefined) throw new MergeError(`${path}: shard ${s.shard.index + 1}/${count} is also ${dup}`);
    seen.set(s.shard.index, path);
  }
  const missing = [...Array(count).keys()].filter((i) => !seen.has(i)).map((i) => `${i + 1}/${count}`);
  if (missing.length > 0) throw new MergeError(`missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const violations: Record<string, number> = {};
  for (const { s } of parts) for (const [inv, n] of Object.entries(s.violations)) violations[inv] = (violations[inv] ?? 0) + n;
  const found = parts.map((p) => p.s.violation).filter((v) => v !== undefined).sort((a, b) => a.run - b.run);
  return {
    ...first,
    shard: { index: 0, count: 1 },
    runs: parts.reduce((a, p) => a + p.s.runs, 0),
    schedules: [...new Set(parts.flatMap((p) => p.s.schedules))],
    points: parts.reduce((a, p) => a + p.s.points, 0),
    incomplete: parts.reduce((a, p) => a + p.s.incomplete, 0),
    violations,
    violation: found[0],
    exhausted: parts.every((p) => p.s.exhausted),
    wallMs: Math.max(...parts.map((p) => p.s.wallMs)),
  };
}
