// exec-diff.test.ts — differential execution: every test/c program built natively and as a guest image must print exactly the same.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootAndRun } from '../src/runner.js';
import {
  buildGuest,
  buildNative,
  canRunNativeX86,
  corpusFiles,
  cpuFeatureDefines,
  hasGcc,
  hasObjdump,
  objdump,
  runNative,
} from './helpers/gcc.js';

/** Native output bound per program: keeps the corpus quick to run in the guest. */
const MAX_OUTPUT_BYTES = 200 * 1024;
/** Guest instruction budget per program; the largest needs a few tens of millions. */
const MAX_GUEST_STEPS = 1_000_000_000;
const TIMEOUT_MS = 300_000;

const skipReason = !hasGcc()
  ? 'gcc not found on PATH'
  : !canRunNativeX86()
    ? `native reference runs need an x86-64 Linux host (this is ${process.platform}/${process.arch})`
    : '';

/** Describes where two outputs first differ, line by line, or returns undefined when equal. */
function firstDifference(expected: string, actual: string): string | undefined {
  if (expected === actual) return undefined;
  const want = expected.split('\n');
  const got = actual.split('\n');
  const n = Math.max(want.length, got.length);
  for (let i = 0; i < n; i++) {
    const w = want[i];
    const g = got[i];
    if (w === g) continue;
    const lineNo = i + 1;
    const before = i > 0 ? `  previous line (same on both): ${JSON.stringify(want[i - 1])}\n` : '';
    if (g === undefined) {
      return `guest output stops after line ${i} of ${want.length - 1}; the next native line ${lineNo} is:\n` +
        `${before}  native: ${JSON.stringify(w)}`;
    }
    if (w === undefined) {
      return `guest prints more than native; extra line ${lineNo}:\n${before}  guest:  ${JSON.stringify(g)}`;
    }
    let col = 0;
    while (col < w.length && col < g.length && w[col] === g[col]) col++;
    const wantTokens = w.split(' ');
    const gotTokens = g.split(' ');
    let tok = 0;
    while (tok < wantTokens.length && wantTokens[tok] === gotTokens[tok]) tok++;
    return `first difference at line ${lineNo}, column ${col + 1} (field ${tok + 1}: native ` +
      `${JSON.stringify(wantTokens[tok] ?? '')}, guest ${JSON.stringify(gotTokens[tok] ?? '')}):\n` +
      `${before}  native: ${JSON.stringify(w)}\n  guest:  ${JSON.stringify(g)}`;
  }
  return 'outputs differ only in a trailing newline';
}

describe.skipIf(skipReason !== '')(`differential execution, native vs guest${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
  const work = skipReason === '' ? mkdtempSync(join(tmpdir(), 'ftsim-exec-diff-')) : '';
  const defines = skipReason === '' ? cpuFeatureDefines() : [];
  const nativeOutputs = new Map<string, string>();
  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  function nativeOutput(src: string): string {
    let out = nativeOutputs.get(src);
    if (out === undefined) {
      const name = basename(src, '.c');
      const exe = buildNative([src], join(work, `${name}.native`), defines);
      out = runNative(exe);
      nativeOutputs.set(src, out);
    }
    return out;
  }

  for (const src of corpusFiles()) {
    const name = basename(src, '.c');

    describe(name, () => {
      it('native build prints deterministic, bounded output', () => {
        const first = nativeOutput(src);
        const exe = join(work, `${name}.native`);
        const second = runNative(exe);
        expect(second === first, `${name}: two native runs printed different output`).toBe(true);
        expect(first.endsWith('END\n'), `${name}: native output does not end with END`).toBe(true);
        expect(first.length, `${name}: native output too large`).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
        expect(first.length).toBeGreaterThan(100);
      }, TIMEOUT_MS);

      it.skipIf(!hasObjdump())('guest build uses general-purpose integer instructions only', () => {
        const elf = buildGuest([src], join(work, `${name}.elf`), defines);
        const listing = objdump(elf);
        const vector = listing.split('\n').filter((l) => /%[xyz]mm\d|%st\b|%st\(|%mm\d/.test(l));
        expect(vector.slice(0, 5), `${name}: SSE/x87/MMX instructions in the guest build`).toEqual([]);
        expect(listing).toContain('<__fentry__>');
      }, TIMEOUT_MS);

      it('guest prints exactly what the native build prints', () => {
        const expected = nativeOutput(src);
        const elfPath = buildGuest([src], join(work, `${name}.elf`), defines);
        const image = new Uint8Array(readFileSync(elfPath));
        const result = bootAndRun(image, elfPath, { maxSteps: MAX_GUEST_STEPS });
        const diff = firstDifference(expected, result.console);
        if (result.exitReason !== 'halted') {
          const what = result.exitReason === 'fault' ? `faulted: ${result.error ?? '(no description)'}` : 'ran out of steps';
          expect.fail(`${name}: guest ${what} after ${result.steps} instructions\n` +
            `output so far: ${diff ?? 'identical to native'}`);
        }
        if (diff !== undefined) expect.fail(`${name}: ${diff}`);
      }, TIMEOUT_MS);
    });
  }
});
