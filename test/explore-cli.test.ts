// explore-cli.test.ts — `ftsim check` as a user runs it: --list, a violation found, shrunk, written to a replay file and replayed exactly (exit 3), a clean exploration (exit 0) with --json, and precise errors (exit 1) for bad input.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ftsimIn, noStackTrace } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ftsim-check-'));
const check = (...args: string[]): ReturnType<typeof ftsimIn> => ftsimIn(dir, 'check', ...args);

describe('ftsim check', () => {
  it('--list prints every scenario, protocol and mutant of the table, a line each', () => {
    const r = check('--list');
    expect(r.code).toBe(0);
    for (const n of ['enable-function-tracer', 'switch-tracer', 'nmi-during-patch', 'preempt-mid-nop', 'livepatch-then-trace',
      'naive', 'two_part_nop', 'stop_machine', 'nmi_safe', 'int3_skip', 'int3_emulate', 'no-sync-1', 'no-sync-2', 'no-sync-3']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${n} +\\S`, 'm'));
    }
  });

  it('naive: a violation (exit 3), its shrunk replay file, and --replay reproducing it decision for decision with the account', () => {
    const r = check('--scenario', 'enable-function-tracer', '--protocol', 'naive', '--sites', '2', '--runs', '40', '--workers', '1', '--json', '--record', 'naive.replay');
    expect(r.code, r.stderr).toBe(3);
    const j = JSON.parse(r.stdout) as { verdict: string; strategy: string; runs: number; violation: { invariant: number; kind: string; length: number; preemptions: number; replay: string } };
    expect(j.verdict).toBe('violation');
    expect(j.strategy).toBe('random');
    expect(j.violation.invariant).toBe(1);
    expect(['torn', 'stale']).toContain(j.violation.kind);
    expect(j.violation.replay).toBe('naive.replay');
    expect(j.violation.length).toBeGreaterThan(0);
    const p = check('--replay', 'naive.replay');
    expect(p.code, p.stderr).toBe(3);
    expect(p.stdout).toMatch(/every one as recorded/);
    expect(p.stdout).toMatch(/^ +# +CPU 0 +\| CPU 1 +decision$/m);
    expect(p.stdout).toMatch(/^invariant 1 broken .*: (torn|stale)$/m);
    expect(p.stdout).toMatch(/CPU 1 executed a (torn|stale) instruction at 0xffffffff81[0-9a-f]+ </);
    // a replay file whose decisions were edited no longer matches the run: a precise error, not a wrong story
    const f = JSON.parse(readFileSync(join(dir, 'naive.replay'), 'utf8')) as { choices: [string, number, number][] };
    const i = f.choices.findIndex((c) => c[0] === 'cpu');
    f.choices[i][2] = 1 - f.choices[i][2];
    writeFileSync(join(dir, 'edited.replay'), JSON.stringify(f));
    const e = check('--replay', 'edited.replay');
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(new RegExp(`^ftsim: --replay edited.replay: the run no longer follows the recording: decision #${i + 1} was cpu`));
    noStackTrace(e.stderr);
  }, 120_000);

  it('int3_emulate: clean (exit 0) with the summary a person reads', () => {
    const r = check('--scenario', 'enable-function-tracer', '--protocol', 'int3_emulate', '--sites', '1', '--runs', '4', '--workers', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^enable-function-tracer \/ int3_emulate on 2 CPUs, 1 site \(\w+\); random, 4 runs, seed 1$/m);
    expect(r.stdout).toMatch(/^  runs 4, distinct schedules 4, relevant decisions \d+, /m);
    expect(r.stdout).toMatch(/^clean: no violation in 4 runs$/m);
  }, 120_000);

  it('bad input: one line naming what was wrong, exit 1', () => {
    const cases: [string[], RegExp][] = [
      [['--scenario', 'enable-function-tracer'], /^ftsim: check: --protocol NAME is required/],
      [['--protocol', 'naive'], /^ftsim: check: --scenario NAME is required/],
      [['--scenario', 'nope', '--protocol', 'naive'], /^ftsim: --scenario: unknown scenario 'nope'; known scenarios: enable-function-tracer, /],
      [['--scenario', 'enable-function-tracer', '--protocol', 'int3'], /^ftsim: --protocol: unknown protocol 'int3'; known protocols: /],
      [['--scenario', 'enable-function-tracer', '--protocol', 'naive', '--mutate', 'no-sync-1'], /^ftsim: --mutate no-sync-1: protocol 'naive' has no such sync/],
      [['--scenario', 'enable-function-tracer', '--protocol', 'int3_emulate', '--mutate', 'no-sync-4'], /^ftsim: --mutate: unknown mutant 'no-sync-4'; known mutants: no-sync-1, no-sync-2, no-sync-3$/],
      [['--scenario', 'enable-function-tracer', '--protocol', 'naive', '--shard', '3/2'], /^ftsim: --shard: I must be from 1 to 2, got 3$/],
      [['--scenario', 'enable-function-tracer', '--protocol', 'naive', '--cpus', '1'], /--cpus: expected an integer from 2 to 64, got '1'/],
      [['--replay', 'missing.replay'], /^ftsim: missing.replay: cannot read: no such file$/],
      [['--merge'], /^ftsim: check --merge: name the shard result files/],
    ];
    for (const [args, want] of cases) {
      const r = check(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim(), args.join(' ')).toMatch(want);
      noStackTrace(r.stderr);
    }
    // a kernel that is no image: the same one line whether the machine boots here or in a worker thread
    writeFileSync(join(dir, 'notelf'), 'not an ELF image\n');
    for (const w of ['1', '2']) {
      const r = check('--scenario', 'enable-function-tracer', '--protocol', 'naive', '--kernel', 'notelf', '--workers', w, '--runs', '2');
      expect(r.code, `--workers ${w}`).toBe(1);
      expect(r.stderr.trim(), `--workers ${w}`).toMatch(/^ftsim: notelf: /);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      noStackTrace(r.stderr);
    }
    writeFileSync(join(dir, 'bad.replay'), JSON.stringify({ format: 'ftsim-check-replay', version: 1, kernel: 'k', kernelSha256: 'x', scenario: 's', protocol: 'p', cpus: 2, seed: 1, forced: [[0, 'cpu', 1, 0]], choices: [], outcome: { invariant: 1, kind: 'torn', summary: '' } }));
    const b = check('--replay', 'bad.replay');
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^ftsim: bad.replay: forced decision #1 is \[0,"cpu",1,0\], expected \[ordinal, kind, options, answer < options\]$/m);
  }, 120_000);
});
