// shards.ts — test helpers for sharded `ftsim check`: run the CLI with a chosen environment, read --out files, and compare what a set of shards covered with what one unsharded run covered.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, plainEnv, type Ran } from './cli.js';

export const vmlinux = join(__dirname, '..', '..', 'fixtures', 'vmlinux');

/** The exploration every sharding test runs: a clean scenario under the upstream protocol, small. */
export const CLEAN = ['--kernel', vmlinux, '--scenario', 'enable-function-tracer', '--protocol', 'int3_emulate', '--sites', '2', '--cpus', '2', '--strategy', 'random', '--runs', '6'];

/** Run `ftsim ARGS` in `cwd` without any Slurm or Kubernetes index variables, plus `env`. */
export function ftsimEnv(cwd: string, env: Record<string, string>, ...args: string[]): Ran {
  const e = plainEnv();
  for (const k of ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_MIN', 'JOB_COMPLETION_INDEX']) delete e[k];
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, maxBuffer: 64 * 1024 * 1024, env: { ...e, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The fields of an --out file the tests read. */
export interface ShardFile {
  format: string;
  shard: { index: number; count: number };
  runs: number;
  schedules: string[];
  points: number;
  incomplete: number;
  violations: Record<string, number>;
}

export function readShardFile(path: string): ShardFile {
  return JSON.parse(readFileSync(path, 'utf8')) as ShardFile;
}

/** What an exploration covered: its runs, the set of schedules (sorted), its relevant decisions, its verdicts. */
export interface Coverage {
  runs: number;
  schedules: string[];
  points: number;
  incomplete: number;
  violations: Record<string, number>;
}

/** The coverage of a set of shard files together (the schedule sets united, the counts added). */
export function coverageOf(files: readonly ShardFile[]): Coverage {
  const violations: Record<string, number> = {};
  for (const f of files) for (const [k, n] of Object.entries(f.violations)) violations[k] = (violations[k] ?? 0) + n;
  return {
    runs: files.reduce((a, f) => a + f.runs, 0),
    schedules: [...new Set(files.flatMap((f) => f.schedules))].sort(),
    points: files.reduce((a, f) => a + f.points, 0),
    incomplete: files.reduce((a, f) => a + f.incomplete, 0),
    violations,
  };
}

/** The --json summary of `check` and of `check --merge`, the fields compared. */
export function summaryFields(stdout: string): { verdict: string; runs: number; schedules: number; points: number; incomplete: number; violations: Record<string, number>; shard: string } {
  const j = JSON.parse(stdout) as Record<string, unknown>;
  return {
    verdict: j.verdict as string, runs: j.runs as number, schedules: j.schedules as number, points: j.points as number,
    incomplete: j.incomplete as number, violations: j.violations as Record<string, number>, shard: j.shard as string,
  };
}
