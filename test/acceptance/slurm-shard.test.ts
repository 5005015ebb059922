// slurm-shard.test.ts — acceptance: the README's Slurm recipe on a real one-node cluster (test/helpers/slurm-cluster.sh): `sbatch --wait --array=0-2` runs `ftsim check --shard auto/3 --out`, `--merge` of the three equals the unsharded run.
//
// Needs Slurm, or root and apt-get to install it; otherwise the test is skipped with the reason printed.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin } from '../helpers/cli.js';
import { CLEAN, coverageOf, ftsimEnv, readShardFile, summaryFields } from '../helpers/shards.js';

const script = join(__dirname, '..', 'helpers', 'slurm-cluster.sh');
const dir = mkdtempSync(join(tmpdir(), 'ftsim-slurm-'));
const cluster = join(dir, 'cluster');
const work = join(dir, 'work');
let unavailable: string | undefined;
let started = false;
let env: NodeJS.ProcessEnv = {};

function sh(cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...extra }, timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

beforeAll(() => {
  mkdirSync(cluster);
  mkdirSync(work);
  // slurmd runs the job as the submitting user; the munge user needs to enter the cluster folder
  chmodSync(dir, 0o755);
  chmodSync(cluster, 0o755);
  const r = sh('bash', [script, 'start', cluster]);
  if (r.code === 77) { unavailable = r.err.trim(); return; }
  expect(r.code, `${r.out}${r.err}`).toBe(0);
  started = true;
  const conf = /SLURM_CONF=(.*)/.exec(r.out)?.[1];
  expect(conf).toBeDefined();
  env = { SLURM_CONF: conf };
}, 300_000);

afterAll(() => {
  if (started) {
    const r = sh('bash', [script, 'stop', cluster]);
    expect(r.code, r.err).toBe(0);
    // every daemon this test started is gone: its pid file names no live process
    for (const f of ['slurmd.pid', 'slurmctld.pid', 'munged.pid']) {
      const p = join(cluster, f);
      if (!existsSync(p)) continue;
      const pid = Number(readFileSync(p, 'utf8').trim());
      expect(sh('kill', ['-0', String(pid)]).code, `${f}: process ${pid} still runs`).not.toBe(0);
    }
  }
}, 60_000);

describe('a Slurm array job of three shards (one-node cluster)', () => {
  it('sbatch --wait --array=0-2 with --shard auto/3, then --merge: the unsharded summary and schedules', (ctx) => {
    if (unavailable !== undefined) {
      process.stdout.write(`SKIPPED: no Slurm cluster: ${unavailable}\n`);
      ctx.skip();
      return;
    }
    const quoted = [process.execPath, bin, 'check', ...CLEAN, '--workers', '1', '--shard', 'auto/3', '--json'].map((a) => `'${a}'`).join(' ');
    const job = sh('sbatch', ['--wait', '--array=0-2', `--chdir=${work}`, '--output=task.%a.log', '--wrap', `${quoted} --out shard.$SLURM_ARRAY_TASK_ID.json`], env);
    const logs = [0, 1, 2].map((i) => (existsSync(join(work, `task.${i}.log`)) ? readFileSync(join(work, `task.${i}.log`), 'utf8') : '(no log)')).join('\n');
    expect(job.code, `${job.out}${job.err}\n${logs}`).toBe(0);
    expect(job.out).toMatch(/^Submitted batch job \d+/);
    // each task ran the shard its array index names
    const files = [0, 1, 2].map((i) => readShardFile(join(work, `shard.${i}.json`)));
    expect(files.map((f) => f.shard)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));

    const whole = ftsimEnv(work, {}, 'check', ...CLEAN, '--workers', '1', '--out', 'whole.json', '--json');
    expect(whole.code, whole.stderr).toBe(0);
    const merged = ftsimEnv(work, {}, 'check', '--merge', 'shard.0.json', 'shard.1.json', 'shard.2.json', '--json');
    expect(merged.code, merged.stderr).toBe(0);
    expect(summaryFields(merged.stdout)).toEqual(summaryFields(whole.stdout));
    expect(coverageOf(files)).toEqual(coverageOf([readShardFile(join(work, 'whole.json'))]));
    // negative control: two of the three tasks' files do not cover the unsharded run
    expect(coverageOf(files.slice(0, 2))).not.toEqual(coverageOf([readShardFile(join(work, 'whole.json'))]));
  }, 300_000);

  it('a failing array task fails sbatch --wait (the array exit code passes through)', (ctx) => {
    if (unavailable !== undefined) {
      process.stdout.write(`SKIPPED: no Slurm cluster: ${unavailable}\n`);
      ctx.skip();
      return;
    }
    // auto/2 on an array of three: task 2 is not one of 2 shards and exits 1
    const quoted = [process.execPath, bin, 'check', ...CLEAN, '--runs', '2', '--workers', '1', '--shard', 'auto/2', '--json'].map((a) => `'${a}'`).join(' ');
    const job = sh('sbatch', ['--wait', '--array=0-2', `--chdir=${work}`, '--output=bad.%a.log', '--wrap', quoted], env);
    expect(job.code).not.toBe(0);
    expect(readFileSync(join(work, 'bad.2.log'), 'utf8')).toContain('--shard auto/2: SLURM_ARRAY_TASK_ID=2 (array from 0) is not one of 2 shards');
    // negative control: tasks 0 and 1 were fine
    expect(readFileSync(join(work, 'bad.0.log'), 'utf8')).toContain('"verdict":"clean"');
  }, 300_000);
});
