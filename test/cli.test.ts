// cli.test.ts — the ftsim command as a user meets it: output, --json, exit codes, precise errors, replay files, disasm.

import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasGcc, hasObjdump, buildGuest, objdump } from './helpers/gcc.js';

const root = join(__dirname, '..');
const bin = join(root, 'bin', 'ftsim.js');
const src = join(root, 'test', 'fixtures', 'cli', 'hello.c');
const dir = mkdtempSync(join(tmpdir(), 'ftsim-cli-'));

function ftsim(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function noStackTrace(s: string): void {
  expect(s).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
}

const gcc = hasGcc();
const images: Record<string, string> = {};

beforeAll(() => {
  if (!gcc) return;
  for (const [k, flags] of [['ok', []], ['sse', ['-DDO_SSE']], ['int3', ['-DDO_INT3']], ['spin', ['-DDO_SPIN']]] as const) {
    images[k] = buildGuest([src], join(dir, `${k}.elf`), [...flags]);
  }
});

describe.skipIf(!gcc)('ftsim run', () => {
  it('prints the guest console and exits 0 when every CPU halted', () => {
    const r = ftsim('run', '--kernel', images.ok);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello from the guest\n6765\n');
    expect(r.stderr).toMatch(/all CPUs halted after \d+ instructions/);
  });

  it('--json prints one summary object with per-CPU figures', () => {
    const r = ftsim('run', '--kernel', images.ok, '--json', '--cpus', '2');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.exitReason).toBe('halted');
    expect(j.console).toBe('hello from the guest\n6765\n');
    expect(j.cpus).toHaveLength(2);
    expect(j.cpus[0].instructions).toBeGreaterThan(1000);
    expect(j.cpus[0].halted).toBe(true);
    expect(typeof j.wallMs).toBe('number');
    expect(j.memorySha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('--console writes the console to a file', () => {
    const out = join(dir, 'console.txt');
    const r = ftsim('run', '--kernel', images.ok, '--console', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe('hello from the guest\n6765\n');
  });

  it('an instruction outside the interpreter stops the CPU with address, bytes and symbol (exit 2), keeping the output', () => {
    const r = ftsim('run', '--kernel', images.sse);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('hello from the guest\n6765\n');
    expect(r.stderr).toMatch(/CPU 0: unsupported instruction at 0xffffffff81[0-9a-f]+ <bad_sse\+0x[0-9a-f]+>, bytes 0f 28 c1/);
    noStackTrace(r.stderr);
  });

  it('an int3 nobody handles is an invariant-2 violation (exit 3) with a replay that reproduces it', () => {
    const r = ftsim('run', '--kernel', images.int3);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/VIOLATION of invariant 2/);
    expect(r.stderr).toMatch(/unexpected int3 at 0xffffffff81[0-9a-f]+ <bad_sse\+0x[0-9a-f]+>/);
    expect(r.stderr).toMatch(/last \d+ instructions on CPU 0/);
    expect(r.stderr).toMatch(/replay: ftsim run --replay ftsim-violation\.replay/);
    expect(existsSync(join(dir, 'ftsim-violation.replay'))).toBe(true);
    const again = ftsim('run', '--replay', 'ftsim-violation.replay', '--kernel', images.int3);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/unexpected int3/);
  });

  it('--max-steps stops the run (exit 4)', () => {
    const r = ftsim('run', '--kernel', images.spin, '--max-steps', '100000');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/--max-steps/);
  });

  it('--record then --replay gives the same run', () => {
    const a = ftsim('run', '--kernel', images.ok, '--cpus', '3', '--seed', '9', '--record', 'ok.replay', '--json');
    const b = ftsim('run', '--kernel', images.ok, '--replay', 'ok.replay', '--json');
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ja = JSON.parse(a.stdout), jb = JSON.parse(b.stdout);
    expect(jb.cpus).toEqual(ja.cpus);
    expect(jb.memorySha256).toBe(ja.memorySha256);
  });

  it('bad input gets a precise message and exit 1, never a stack trace', () => {
    const trunc = join(dir, 'trunc.elf');
    writeFileSync(trunc, readFileSync(images.ok).subarray(0, 100));
    const cases: [string[], RegExp][] = [
      [['run', '--kernel', trunc], /trunc\.elf: truncated/],
      [['run', '--kernel', join(dir, 'missing.elf')], /missing\.elf: cannot read: no such file/],
      [['run', '--kernel', src], /not an ELF file: bad magic/],
      [['run', '--kernel', images.ok, '--cpus', '0'], /--cpus: expected an integer from 1 to 64, got '0'/],
      [['run', '--kernel', images.ok, '--seed', 'x'], /--seed: expected an integer/],
      [['run', '--kernel', images.ok, '--replay', src], /not a replay file/],
      [['run', '--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, msg] of cases) {
      const r = ftsim(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      noStackTrace(r.stderr);
    }
  });
});

describe.skipIf(!gcc || !hasObjdump())('ftsim disasm', () => {
  it('lists a function as objdump does and marks the __fentry__ site', () => {
    const r = ftsim('disasm', images.ok, 'fib');
    expect(r.code).toBe(0);
    const ours = r.stdout.split('\n').filter((l) => /^\s*[0-9a-f]+:\t/.test(l));
    const theirs = objdump(images.ok, ['--disassemble=fib']).split('\n').filter((l) => /^\s*[0-9a-f]+:\t/.test(l));
    const norm = (l: string): string => l.replace(/# __mcount_loc/, '').replace(/\s+/g, ' ').trim();
    expect(ours.map(norm)).toEqual(theirs.map(norm));
    expect(ours[0]).toMatch(/call\s+ffffffff81[0-9a-f]+ <__fentry__>\s+# __mcount_loc/);
  });

  it('refuses an unknown symbol', () => {
    const r = ftsim('disasm', images.ok, 'no_such_fn');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no symbol named 'no_such_fn'/);
  });
});
