// `ftsim disasm` on a relocatable object: the listing objdump -d prints (section-relative targets), and data symbols refused.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { disasmCommand } from '../src/cli/disasm.js';
import { hasGcc, hasObjdump, objdump } from './helpers/gcc.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'test', 'fixtures', 'disasm', 'module.c');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TOOLS = hasGcc() && hasObjdump();
const SKIP = !hasGcc() ? ' (skipped: gcc not installed)' : !hasObjdump() ? ' (skipped: objdump not installed)' : '';

describe.skipIf(!TOOLS)(`ftsim disasm on a relocatable object${SKIP}`, () => {
  const dir = TOOLS ? mkdtempSync(join(tmpdir(), 'ftsim-disasm-')) : '';
  const obj = join(dir, 'module.o');
  if (TOOLS) {
    execFileSync('gcc', ['-O2', '-pg', '-mfentry', '-mrecord-mcount', '-mcmodel=kernel', '-fno-pic', '-ffreestanding',
      '-fno-asynchronous-unwind-tables', '-fcf-protection=none', '-fno-inline', '-c', SRC, '-o', obj]);
  }
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('prints the listing objdump -d prints: section-relative targets named by the section\'s symbols, no foreign labels', () => {
    const ours = disasmCommand(readFileSync(obj), obj);
    const theirs = objdump(obj);
    expect(ours.split('\n')).toEqual(theirs.split('\n'));
    // the calls really go through relocations (rel32 = 0) and name the next instruction
    expect(ours).toMatch(/e8 00 00 00 00\s+\tcall\s+[0-9a-f]+ <foo\+0x[0-9a-f]+>/);
  });

  it('lists one function of an object as objdump --disassemble=SYMBOL does', () => {
    const lines = (t: string): string[] => t.split('\n').filter((l) => /^\s*[0-9a-f]+:\t/.test(l));
    for (const fn of ['bar', 'init_fn']) {
      expect(lines(disasmCommand(readFileSync(obj), obj, fn))).toEqual(lines(objdump(obj, [`--disassemble=${fn}`])));
    }
  });

  it('refuses a data symbol with a precise error and exit status 1', () => {
    expect(() => disasmCommand(readFileSync(obj), obj, 'table')).toThrow(/'table' is a data symbol in section \.rodata, not code/);
    const r = spawnSync(process.execPath, [CLI, 'disasm', obj, 'counter'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/'counter' is a data symbol in section \.bss, not code/);
  });
});
