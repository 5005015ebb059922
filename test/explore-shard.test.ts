// explore-shard.test.ts — `ftsim check --shard I/N --out` and `--merge`: N shards together cover exactly what one unsharded run covers; precise errors for bad shard sets and bad --shard values, auto/N from Slurm's and Kubernetes' index variables.
//
// The real Slurm array job is in test/acceptance/slurm-shard.test.ts.

import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noStackTrace, type Ran } from './helpers/cli.js';
import { CLEAN, coverageOf, ftsimEnv, readShardFile, summaryFields, type ShardFile } from './helpers/shards.js';
import { parseShard } from '../src/cli/check.js';

const dir = mkdtempSync(join(tmpdir(), 'ftsim-shard-'));
const ftsim = (...args: string[]): Ran => ftsimEnv(dir, {}, ...args);
const at = (f: string): string => join(dir, f);

/** A failure of bad input: exit 1, exactly this message on stderr, nothing on stdout, no stack trace. */
function badInput(r: Ran, message: string): void {
  expect(r.stderr.trim()).toBe(`ftsim: ${message}`);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  noStackTrace(r.stderr);
}

let whole: Ran;
let wholeFile: ShardFile;
let shards: ShardFile[];

beforeAll(() => {
  // the unsharded run on two worker threads (their sub-shards merge inside), the shards on one each
  whole = ftsim('check', ...CLEAN, '--workers', '2', '--out', 'whole.json', '--json');
  expect(whole.code, whole.stderr).toBe(0);
  wholeFile = readShardFile(at('whole.json'));
  shards = [];
  for (const i of [1, 2, 3]) {
    const r = ftsim('check', ...CLEAN, '--workers', '1', '--shard', `${i}/3`, '--out', `s${i}.json`, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(summaryFields(r.stdout).shard).toBe(`${i}/3`);
    shards.push(readShardFile(at(`s${i}.json`)));
  }
}, 120_000);

describe('three shards merged cover what one unsharded run covers (random, enable-function-tracer, int3_emulate, 2 sites)', () => {
  it('the unsharded run is whole: shard 1/1, 6 runs, 6 distinct schedules, clean', () => {
    const w = summaryFields(whole.stdout);
    expect(w).toMatchObject({ verdict: 'clean', shard: '1/1', runs: 6, schedules: 6, incomplete: 0 });
    expect(w.points).toBeGreaterThan(6 * 50);
    expect(wholeFile.shard).toEqual({ index: 0, count: 1 });
    expect(wholeFile.schedules).toHaveLength(6);
  });

  it('each shard ran its share (2 runs) and no schedule appears in two shards', () => {
    expect(shards.map((s) => s.runs)).toEqual([2, 2, 2]);
    expect(shards.map((s) => s.shard)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));
    const all = shards.flatMap((s) => s.schedules);
    expect(new Set(all).size).toBe(all.length);
  });

  it('the shards together: the same runs, the same set of schedules, the same relevant decisions and verdicts', () => {
    expect(coverageOf(shards)).toEqual(coverageOf([wholeFile]));
  });

  it('--merge prints the unsharded summary: runs, schedules, points, incomplete, violations, verdict; exit 0', () => {
    const m = ftsim('check', '--merge', 's1.json', 's2.json', 's3.json', '--json');
    expect(m.code, m.stderr).toBe(0);
    expect(summaryFields(m.stdout)).toEqual(summaryFields(whole.stdout));
    // in any order, and in words
    const words = ftsim('check', '--merge', 's3.json', 's1.json', 's2.json');
    expect(words.code).toBe(0);
    expect(words.stdout).toContain('runs 6, distinct schedules 6');
    expect(words.stdout).toContain('clean: no violation in 6 runs');
  });

  it('negative control: shard 1 relabelled as shard 3 merges (merge trusts the label) but the comparison sees the coverage differ', () => {
    const fake = JSON.parse(readFileSync(at('s1.json'), 'utf8')) as ShardFile;
    fake.shard = { index: 2, count: 3 };
    writeFileSync(at('s3-fake.json'), JSON.stringify(fake));
    const m = ftsim('check', '--merge', 's1.json', 's2.json', 's3-fake.json', '--json');
    expect(m.code).toBe(0);
    const merged = summaryFields(m.stdout);
    expect(merged.runs).toBe(6);
    expect(merged.schedules).toBe(4);
    expect(merged).not.toEqual(summaryFields(whole.stdout));
    expect(coverageOf([shards[0], shards[1], fake])).not.toEqual(coverageOf([wholeFile]));
  });
});

describe('--merge errors: one precise line, exit 1', () => {
  it('a missing shard, and several', () => {
    badInput(ftsim('check', '--merge', 's1.json', 's3.json'), 'missing shard 2/3');
    badInput(ftsim('check', '--merge', 's2.json'), 'missing shards 1/3, 3/3');
  });

  it('a duplicate shard (the same shard in two files)', () => {
    writeFileSync(at('s1-copy.json'), readFileSync(at('s1.json')));
    badInput(ftsim('check', '--merge', 's1.json', 's2.json', 's1-copy.json', 's3.json'), 's1-copy.json: shard 1/3 is also s1.json');
  });

  it('shards of different explorations: another seed, another budget, another protocol, another count', () => {
    const edit = (name: string, f: (j: Record<string, unknown>) => void): void => {
      const j = JSON.parse(readFileSync(at('s3.json'), 'utf8')) as Record<string, unknown>;
      f(j);
      writeFileSync(at(name), JSON.stringify(j));
    };
    edit('seed2.json', (j) => { j.seed = 2; });
    badInput(ftsim('check', '--merge', 's1.json', 's2.json', 'seed2.json'), 'seed2.json: seed is 2, s1.json has 1: not shards of one exploration');
    edit('runs9.json', (j) => { j.budget = { runs: 9 }; });
    badInput(ftsim('check', '--merge', 's1.json', 's2.json', 'runs9.json'), "runs9.json: its budget differs from s1.json's: not shards of one exploration");
    edit('naive.json', (j) => { j.protocol = 'naive'; });
    badInput(ftsim('check', '--merge', 's1.json', 's2.json', 'naive.json'), 'naive.json: protocol is "naive", s1.json has "int3_emulate": not shards of one exploration');
    edit('nmi500.json', (j) => { j.nmiRate = 500; });
    badInput(ftsim('check', '--merge', 's1.json', 's2.json', 'nmi500.json'), 'nmi500.json: nmiRate is 500, s1.json has undefined: not shards of one exploration');
    edit('kernel.json', (j) => { j.kernelSha256 = '0'.repeat(64); });
    const k = ftsim('check', '--merge', 's1.json', 's2.json', 'kernel.json');
    expect(k.code).toBe(1);
    expect(k.stderr.trim()).toMatch(new RegExp(`^ftsim: kernel.json: kernelSha256 is "${'0'.repeat(64)}", s1.json has "[0-9a-f]{64}": not shards of one exploration$`));
    edit('of4.json', (j) => { j.shard = { index: 2, count: 4 }; });
    badInput(ftsim('check', '--merge', 's1.json', 's2.json', 'of4.json'), 'of4.json: shard 3/4, but s1.json is one of 3');
  });

  it('not a shard file: another JSON object, text that is not JSON, a shard of an unknown format version', () => {
    writeFileSync(at('other.json'), JSON.stringify({ verdict: 'clean', runs: 6 }));
    badInput(ftsim('check', '--merge', 's1.json', 'other.json'), "other.json: not a shard result of ftsim check --out (format is not 'ftsim-check-shard')");
    writeFileSync(at('text.json'), 'runs 6, distinct schedules 6\n');
    const t = ftsim('check', '--merge', 'text.json');
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/^ftsim: text\.json: not a shard result: .*JSON/);
    noStackTrace(t.stderr);
    const v = JSON.parse(readFileSync(at('s1.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(at('v2.json'), JSON.stringify({ ...v, version: 2 }));
    badInput(ftsim('check', '--merge', 'v2.json'), 'v2.json: shard format version 2 is not supported (expected 1)');
  });

  it('no such file; no file named at all', () => {
    badInput(ftsim('check', '--merge', 's1.json', 'nope.json'), 'nope.json: no such file');
    badInput(ftsim('check', '--merge'), 'check --merge: name the shard result files (written with --out)');
  });

  it('negative control: the same files, complete and each once, merge with exit 0', () => {
    expect(ftsim('check', '--merge', 's2.json', 's3.json', 's1.json').code).toBe(0);
  });
});

describe('--shard values', () => {
  it('parse errors: 0/2, 3/2, x/2, 1/0, auto/2 with neither index variable; exit 1', () => {
    const base = ['check', ...CLEAN, '--workers', '1'];
    badInput(ftsim(...base, '--shard', '0/2'), '--shard: I must be from 1 to 2, got 0');
    badInput(ftsim(...base, '--shard', '3/2'), '--shard: I must be from 1 to 2, got 3');
    badInput(ftsim(...base, '--shard', 'x/2'), "--shard: expected I/N (1 <= I <= N) or auto/N, got 'x/2'");
    badInput(ftsim(...base, '--shard', '1/0'), '--shard: N must be from 1 to 100000, got 0');
    badInput(ftsim(...base, '--shard', 'auto/2'), '--shard auto/2: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set');
  });

  it('auto/N out of range of the index variable', () => {
    const base = ['check', ...CLEAN, '--workers', '1', '--shard', 'auto/3'];
    badInput(ftsimEnv(dir, { SLURM_ARRAY_TASK_ID: '3' }, ...base), '--shard auto/3: SLURM_ARRAY_TASK_ID=3 (array from 0) is not one of 3 shards');
    badInput(ftsimEnv(dir, { JOB_COMPLETION_INDEX: '3' }, ...base), '--shard auto/3: JOB_COMPLETION_INDEX=3 is not one of 3 shards (0..2)');
  });

  it('auto/N from SLURM_ARRAY_TASK_ID (less SLURM_ARRAY_TASK_MIN) and from JOB_COMPLETION_INDEX runs that shard: the same file as I/N', () => {
    const base = ['check', ...CLEAN, '--workers', '1', '--shard', 'auto/3', '--json'];
    const slurm = ftsimEnv(dir, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '4' }, ...base, '--out', 'slurm.json');
    expect(slurm.code, slurm.stderr).toBe(0);
    expect(summaryFields(slurm.stdout).shard).toBe('2/3');
    expect(readShardFile(at('slurm.json')).schedules).toEqual(shards[1].schedules);
    const k8s = ftsimEnv(dir, { JOB_COMPLETION_INDEX: '2' }, ...base, '--out', 'k8s.json');
    expect(k8s.code, k8s.stderr).toBe(0);
    expect(summaryFields(k8s.stdout).shard).toBe('3/3');
    expect(readShardFile(at('k8s.json')).schedules).toEqual(shards[2].schedules);
    // negative control: a different shard's file is not the same
    expect(readShardFile(at('k8s.json')).schedules).not.toEqual(shards[1].schedules);
  }, 60_000);

  it('parseShard: I/N is 1-based, auto/N 0-based from the variables; Slurm first when both are set', () => {
    expect(parseShard('1/1', {})).toEqual({ index: 0, count: 1 });
    expect(parseShard('3/3', {})).toEqual({ index: 2, count: 3 });
    expect(parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1' })).toEqual({ index: 0, count: 4 });
    expect(parseShard('auto/4', { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 0, count: 4 });
    expect(parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '3', JOB_COMPLETION_INDEX: '1' })).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '1' })).toThrow('SLURM_ARRAY_TASK_ID=0 (array from 1) is not one of 4 shards');
    expect(() => parseShard('-1/2', {})).toThrow("got '-1/2'");
  });
});
