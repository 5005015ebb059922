// Differential test of the full decoder against objdump: SSE/AVX/x87 code gcc emits, and seeded random byte strings.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decode } from '../src/machine/x86/decode.js';
import { formatInsn, isExecutable, isInvalid } from '../src/machine/x86/format.js';
import { hasGcc, hasObjdump } from './helpers/gcc.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'test', 'corpus-simd', 'simd.c');
const TOOLS = hasGcc() && hasObjdump();
const SKIP = !hasGcc() ? ' (skipped: gcc not installed)' : !hasObjdump() ? ' (skipped: objdump not installed)' : '';
const LINE = /^\s*([0-9a-f]+):\t([0-9a-f]{2}(?: [0-9a-f]{2})*)\s*(?:\t(.*))?$/;
const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Flag sets whose code exercises SSE2..SSE4.2, AVX/AVX2/FMA and x87. */
const BUILDS = ['-O3 -msse4.2', '-O3 -mavx2', '-O2 -mavx2 -mfma', '-O2 -mfpmath=387', '-O3'];

interface Tally { insns: number; nonExec: number; diffs: string[] }

/** objdump -d of the object's .text against decode()+formatInsn() at every address objdump prints. */
function compareObject(obj: string, bin: string, label: string, t: Tally): void {
  const out = execFileSync('objdump', ['-d', '-w', obj], { encoding: 'utf8', maxBuffer: 1 << 26 });
  execFileSync('objcopy', ['-O', 'binary', '--only-section=.text', obj, bin]);
  const buf = readFileSync(bin);
  let inText = false;
  for (const line of out.split('\n')) {
    if (line.startsWith('Disassembly of section')) inText = line === 'Disassembly of section .text:';
    const m = LINE.exec(line);
    if (!m || !inText) continue;
    const a = parseInt(m[1], 16);
    const d = decode(buf, a, buf.length - a, a);
    t.insns++;
    if (!isExecutable(d)) t.nonExec++;
    // objdump names targets by the nearest symbol; compare the addresses with a fixed name
    const od = norm((m[3] ?? '').replace(/<[^>]*>/g, '<S>'));
    const ours = norm(formatInsn(d, () => 'S'));
    const len = m[2].split(' ').length;
    if (d.len !== len || ours !== od) t.diffs.push(`${label} ${m[1]}: ${m[2]}\n    objdump: ${od} [${len}]\n    ours:    ${ours} [${d.len}]`);
  }
}

describe.skipIf(!TOOLS)(`full decoder matches objdump on gcc's SSE/AVX/x87 code${SKIP}`, () => {
  const dir = TOOLS ? mkdtempSync(join(tmpdir(), 'ftsim-simd-')) : '';
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('every instruction has objdump\'s length and text', () => {
    const t: Tally = { insns: 0, nonExec: 0, diffs: [] };
    BUILDS.forEach((flags, i) => {
      const obj = join(dir, `simd${i}.o`);
      execFileSync('gcc', [...flags.split(' '), '-ffreestanding', '-fno-pic', '-fno-asynchronous-unwind-tables', '-fcf-protection=none', '-w', '-c', SRC, '-o', obj]);
      compareObject(obj, join(dir, `simd${i}.bin`), flags, t);
    });
    expect(t.diffs.slice(0, 20)).toEqual([]);
    // the corpus really exercises the non-executable families
    expect(t.insns).toBeGreaterThan(2500);
    expect(t.nonExec).toBeGreaterThan(1000);
  }, 60_000);

  it('names a non-executable instruction in its error', () => {
    const d = decode(Uint8Array.from([0x0f, 0x29, 0x04, 0x24]), 0, 4, 0x1000);
    expect(isExecutable(d) || isInvalid(d)).toBe(false);
    expect(d.len).toBe(4);
    expect(d.error).toBe('movaps %xmm0,(%rsp) is not implemented by the interpreter (SSE)');
    const v = decode(Uint8Array.from([0xc5, 0xfd, 0x6f, 0x07, 0x90]), 0, 5, 0x1000);
    expect(v.len).toBe(4);
    expect(v.error).toBe('vmovdqa (%rdi),%ymm0 is not implemented by the interpreter (AVX)');
    const x = decode(Uint8Array.from([0xdb, 0x2f]), 0, 2, 0x1000);
    expect(x.error).toBe('fldt (%rdi) is not implemented by the interpreter (x87)');
  });
});

/** Chunk heads that steer random bytes into every opcode map and encoding (EVEX aside: see below). */
const HEADS: number[][] = [[], [0x0f], [0x66, 0x0f], [0xf3, 0x0f], [0xf2, 0x0f], [0x0f, 0x38], [0x66, 0x0f, 0x38], [0x66, 0x0f, 0x3a],
  [0x0f, 0x3a], [0xc5], [0xc4], [0xc4, 0xe2], [0xc4, 0xe3], [0xc4, 0xe1], [0xc4, 0xc1], [0xd8], [0xd9], [0xda], [0xdb], [0xdc],
  [0xdd], [0xde], [0xdf], [0x8f], [0x0f, 0x0f], [0x48], [0x66], [0x67], [0xf0], [0x0f, 0x01], [0x0f, 0xae], [0x0f, 0xc7],
  [0x66, 0x48, 0x0f], [0xf2, 0x48, 0x0f], [0x41, 0x0f]];

describe.skipIf(!hasObjdump())(`random byte strings decode to objdump's lengths${hasObjdump() ? '' : ' (skipped: objdump not installed)'}`, () => {
  const dir = hasObjdump() ? mkdtempSync(join(tmpdir(), 'ftsim-rand-')) : '';
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('a seeded sweep: the decoder\'s length equals objdump\'s at every instruction start objdump prints', () => {
    const seed0 = Number(process.env.FTSIM_RANDOM_SEED ?? 20240601);
    let seed = seed0;
    const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff; return (seed >> 8) & 255; };
    // 16-byte chunks: a head, then random bytes; every instruction ends inside its chunk (at most 15 bytes)
    const chunks: number[][] = [];
    for (let i = 0; i < 6000; i++) {
      const c = [...HEADS[rnd() % HEADS.length]];
      while (c.length < 16) c.push(rnd());
      // EVEX (62) lengths of invalid encodings depend on the whole AVX-512 table, which the decoder does not have
      for (let j = 0; j < c.length; j++) if (c[j] === 0x62) c[j] = 0x63;
      chunks.push(c);
    }
    const all = Uint8Array.from(chunks.flat());
    const bin = join(dir, 'rand.bin');
    writeFileSync(bin, all);
    const out = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', '-w', bin], { encoding: 'utf8', maxBuffer: 1 << 27 });
    let checked = 0;
    let quirks = 0;
    const diffs: string[] = [];
    for (const line of out.split('\n')) {
      const m = LINE.exec(line);
      if (!m) continue;
      const a = parseInt(m[1], 16);
      const odText = norm(m[3] ?? '');
      if (odText.startsWith('.byte')) continue;
      // objdump's "bad operand" quirk: an instruction it names but whose operand it cannot decode ("movntq %mm6,(bad)")
      // resumes one byte after the opcode's first byte; the decoder follows that rule only for memory-only operands
      if (/\S.*\(bad\)/.test(odText.replace(/^((data16|addr32|lock|rep\w*|[c-gs]s|rex\S*) )*\(bad\)/, ''))) { quirks++; continue; }
      const d = decode(all, a, all.length - a, a);
      checked++;
      const len = m[2].split(' ').length;
      if (d.len !== len) diffs.push(`${m[2]} | objdump: ${odText} [${len}] | ours: ${norm(formatInsn(d))} [${d.len}]`);
    }
    if (diffs.length > 0) {
      throw new Error(`${diffs.length} of ${checked} lengths differ from objdump (FTSIM_RANDOM_SEED=${seed0}):\n  ${diffs.slice(0, 25).join('\n  ')}`);
    }
    expect(checked).toBeGreaterThan(20000);
    expect(quirks).toBeLessThan(checked / 200);
  }, 60_000);
});
