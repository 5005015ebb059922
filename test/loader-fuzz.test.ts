// Loader fuzzing: mutated executables and objects either load or are refused with an ElfError — never another exception, never a hang.

import { afterAll, describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ElfError, parseElf, SHT_RELA, SHT_SYMTAB, type ElfImage } from '../src/loader/elf.js';
import { linkModule } from '../src/loader/module.js';
import { SymbolTable } from '../src/loader/symbols.js';
import { tinyExec, tinyObj, type BuiltElf } from './fixtures/loader/elf-builder.js';
import { buildFixtures, removeTempDirs, toolchainMissing } from './fixtures/loader/toolchain.js';

interface Seed {
  name: string;
  bytes: Uint8Array;
  /** [offset, size] of every header field, table entry field and relocation field worth overwriting. */
  fields: [number, 1 | 2 | 4 | 8][];
}

function seedOf(name: string, bytes: Uint8Array): Seed {
  const img = parseElf(bytes, name); // a seed must be valid
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: [number, 1 | 2 | 4 | 8][] = [];
  // ELF header: e_ident class/data/version, then every field.
  fields.push([4, 1], [5, 1], [6, 1], [16, 2], [18, 2], [20, 4], [24, 8], [32, 8], [40, 8], [48, 4], [52, 2], [54, 2], [56, 2], [58, 2], [60, 2], [62, 2]);
  const shoff = Number(dv.getBigUint64(40, true));
  const phoff = Number(dv.getBigUint64(32, true));
  img.sections.forEach((_, i) => {
    const o = shoff + i * 64;
    for (const [f, s] of [[0, 4], [4, 4], [8, 8], [16, 8], [24, 8], [32, 8], [40, 4], [44, 4], [48, 8], [56, 8]] as const) fields.push([o + f, s]);
  });
  img.segments.forEach((_, i) => {
    const o = phoff + i * 56;
    for (const [f, s] of [[0, 4], [4, 4], [8, 8], [16, 8], [32, 8], [40, 8], [48, 8]] as const) fields.push([o + f, s]);
  });
  for (const sec of img.sections) {
    if (sec.type === SHT_SYMTAB) {
      for (let k = 0; k < Math.min(40, sec.size / 24); k++) {
        const o = sec.offset + k * 24;
        for (const [f, s] of [[0, 4], [4, 1], [6, 2], [8, 8], [16, 8]] as const) fields.push([o + f, s]);
      }
    } else if (sec.type === SHT_RELA) {
      for (let k = 0; k < Math.min(40, sec.size / 24); k++) {
        const o = sec.offset + k * 24;
        for (const [f, s] of [[0, 8], [8, 4], [12, 4], [16, 8]] as const) fields.push([o + f, s]);
      }
    } else if (sec.name === '__mcount_loc' && img.kind === 'exec') {
      for (let k = 0; k < sec.size / 8; k++) fields.push([sec.offset + k * 8, 8]);
    }
  }
  return { name, bytes, fields };
}

type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'byte'; pos: number; val: number }
  | { kind: 'field'; field: number; val: bigint }
  | { kind: 'delta'; field: number; delta: number }
  | { kind: 'truncate'; len: number };

function apply(seed: Seed, muts: Mutation[]): Uint8Array {
  let b = seed.bytes.slice();
  for (const m of muts) {
    if (b.length === 0) break;
    switch (m.kind) {
      case 'flip':
        b[m.pos % b.length] ^= 1 << m.bit;
        break;
      case 'byte':
        b[m.pos % b.length] = m.val;
        break;
      case 'field': {
        const [off, size] = seed.fields[m.field % seed.fields.length];
        if (off + size > b.length) break;
        const dv = new DataView(b.buffer);
        const v = BigInt.asUintN(size * 8, m.val);
        if (size === 1) dv.setUint8(off, Number(v));
        else if (size === 2) dv.setUint16(off, Number(v), true);
        else if (size === 4) dv.setUint32(off, Number(v), true);
        else dv.setBigUint64(off, v, true);
        break;
      }
      case 'delta': {
        const [off, size] = seed.fields[m.field % seed.fields.length];
        if (off + size > b.length) break;
        const dv = new DataView(b.buffer);
        if (size === 1) dv.setUint8(off, (dv.getUint8(off) + m.delta) & 0xff);
        else if (size === 2) dv.setUint16(off, (dv.getUint16(off, true) + m.delta) & 0xffff, true);
        else if (size === 4) dv.setUint32(off, (dv.getUint32(off, true) + m.delta) >>> 0, true);
        else dv.setBigUint64(off, BigInt.asUintN(64, dv.getBigUint64(off, true) + BigInt(m.delta)), true);
        break;
      }
      case 'truncate':
        b = b.slice(0, m.len % (b.length + 1));
        break;
    }
  }
  return b;
}

/** Values that break parsers: boundaries of every width, file-size neighbours, reserved section indices. */
function valueArb(fileLen: number): fc.Arbitrary<bigint> {
  const L = BigInt(fileLen);
  return fc.oneof(
    fc.constantFrom(0n, 1n, 2n, 3n, 8n, 24n, 56n, 64n, L - 1n, L, L + 1n, L - 24n, L - 64n, 0x7fn, 0xffn, 0x7fffn, 0xff00n, 0xfff1n, 0xfff2n, 0xffffn,
      0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 8n,
      0xffffffff81000000n, 0xffffffffa0000000n),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    fc.bigInt({ min: 0n, max: L + 64n }),
  );
}

function mutationArb(seed: Seed): fc.Arbitrary<Mutation[]> {
  const pos = fc.nat({ max: seed.bytes.length * 2 });
  const m: fc.Arbitrary<Mutation> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('flip' as const), pos, bit: fc.integer({ min: 0, max: 7 }) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('byte' as const), pos, val: fc.integer({ min: 0, max: 255 }) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('field' as const), field: fc.nat(), val: valueArb(seed.bytes.length) }), weight: 5 },
    { arbitrary: fc.record({ kind: fc.constant('delta' as const), field: fc.nat(), delta: fc.integer({ min: -64, max: 64 }) }), weight: 5 },
    { arbitrary: fc.record({ kind: fc.constant('truncate' as const), len: pos }), weight: 1 },
  );
  return fc.array(m, { minLength: 1, maxLength: 4 });
}

/** Runs fn; an ElfError is fine, anything else (or an ElfError that reports an internal error) fails the property. */
function onlyElfError<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    if (e.message.includes('internal error')) throw new Error(`parser bug surfaced as ElfError: ${e.message}`);
    expect(e.message.startsWith(`${e.file}: `)).toBe(true);
    return undefined;
  }
}

function exercise(bytes: Uint8Array, name: string): void {
  const img: ElfImage | undefined = onlyElfError(() => parseElf(bytes, name));
  if (!img) return;
  // What parsed is consistent: views have the sizes the headers claim.
  for (const sec of img.sections) if (sec.type !== 8 && sec.type !== 0) expect(sec.data.length).toBe(sec.size);
  for (const seg of img.segments) expect([seg.data.length, seg.filesz <= seg.memsz]).toEqual([seg.filesz, true]);
  // Use what was parsed the way the machine and tools will.
  const st = SymbolTable.fromImage(img);
  st.format(img.entry);
  for (const a of img.mcountLoc.slice(0, 8)) st.format(a);
  if (img.kind === 'rel') {
    const permissive = (): bigint => 0xffffffff81000000n;
    const m = onlyElfError(() => linkModule(img, 0xffffffffa0000000n, permissive));
    if (m) {
      expect(m.bytes.length).toBe(m.size);
      for (const a of m.mcountLoc) expect(m.textRanges.some((t) => a >= t.addr && a < t.addr + BigInt(t.size))).toBe(true);
    }
    onlyElfError(() => linkModule(img, 0x1000n, () => 0x2000n));
  }
}

/** The same image with e_shnum, e_shstrndx and e_phnum moved into section 0 (extended numbering). */
function extendedNumbering(e: BuiltElf): Uint8Array {
  const b = e.bytes.slice();
  const dv = new DataView(b.buffer);
  const nsec = dv.getUint16(60, true);
  dv.setBigUint64(e.shoff + 32, BigInt(nsec), true);
  dv.setUint32(e.shoff + 40, dv.getUint16(62, true), true);
  dv.setUint32(e.shoff + 44, dv.getUint16(56, true), true);
  dv.setUint16(60, 0, true);
  dv.setUint16(62, 0xffff, true);
  dv.setUint16(56, 0xffff, true);
  return b;
}

afterAll(removeTempDirs);

const RUNS_PER_SEED = Number(process.env.FTSIM_FUZZ_RUNS ?? 0) || (toolchainMissing ? 2500 : 1500);

describe('loader fuzzing', () => {
  const seeds: Seed[] = [seedOf('tiny', tinyExec().bytes), seedOf('tiny-xnum', extendedNumbering(tinyExec())), seedOf('tiny-mod.o', tinyObj().bytes)];
  if (!toolchainMissing) {
    const fx = buildFixtures();
    seeds.push(seedOf('kernel', fx.bytes(fx.kernel)), seedOf('module.o', fx.bytes(fx.module)), seedOf('reloc32.o', fx.bytes(fx.reloc32)));
  }

  for (const seed of seeds) {
    it(`mutated ${seed.name}: loads or is refused with an ElfError`, () => {
      exercise(seed.bytes, seed.name); // the unmutated seed loads
      fc.assert(
        fc.property(mutationArb(seed), (muts) => {
          exercise(apply(seed, muts), seed.name);
        }),
        { numRuns: RUNS_PER_SEED },
      );
    }, 30_000);
  }

  it('random bytes, and random headers behind a valid ELF64 x86-64 identification', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        exercise(b, 'random');
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 48, maxLength: 1200 }),
        fc.constantFrom(1, 2),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 12 }),
        (rest, type, shoff, phoff, shnum, phnum) => {
          const b = new Uint8Array(16 + rest.length);
          b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
          b.set(rest, 16);
          const dv = new DataView(b.buffer);
          dv.setUint16(16, type, true);
          dv.setUint16(18, 62, true);
          dv.setUint32(20, 1, true);
          dv.setBigUint64(32, BigInt(phoff % Math.max(1, b.length - phnum * 56)), true);
          dv.setBigUint64(40, BigInt(shoff % Math.max(1, b.length - shnum * 64)), true);
          dv.setUint16(52, 64, true);
          dv.setUint16(54, 56, true);
          dv.setUint16(56, phnum, true);
          dv.setUint16(58, 64, true);
          dv.setUint16(60, shnum, true);
          dv.setUint16(62, shnum === 0 ? 0 : rest[0] % shnum, true);
          exercise(b, 'header');
        },
      ),
      { numRuns: 1000 },
    );
  }, 30_000);
});
