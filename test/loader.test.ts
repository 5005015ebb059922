// Loader tests: ELF parsing (checked against readelf/objdump on gcc builds), module linking (checked against GNU ld), and refusal of malformed files.

import { afterAll, describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { ElfError, parseElf, SHN_ABS, type ElfImage } from '../src/loader/elf.js';
import { linkModule, type LinkedModule } from '../src/loader/module.js';
import { SymbolTable } from '../src/loader/symbols.js';
import { buildElf, OBJ_SYM, SHF, SHT, STB, STT, symtab, TEXT_BASE, tinyExec, tinyObj } from './fixtures/loader/elf-builder.js';
import {
  buildFixtures, KFLAGS, ldAt, LINK_FLAGS, objdumpFentryCalls, objdumpFentryRelocs, readelfEntry, readelfSections, readelfSegments,
  readelfSymbols, run, sectionBytes, tempDir, toolchainMissing, FIXTURES, removeTempDirs,
} from './fixtures/loader/toolchain.js';

afterAll(removeTempDirs);

const hx = (v: number | bigint): string => '0x' + v.toString(16);

function elfError(fn: () => unknown): ElfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ElfError) return e;
    throw new Error(`expected an ElfError, got ${String(e)}`);
  }
  throw new Error('expected an ElfError, nothing was thrown');
}

/** A copy of b with `size` bytes at `off` set to v (little endian). */
function patched(b: Uint8Array, off: number, size: 1 | 2 | 4 | 8, v: number | bigint): Uint8Array {
  const c = b.slice();
  const dv = new DataView(c.buffer);
  if (size === 1) dv.setUint8(off, Number(v));
  else if (size === 2) dv.setUint16(off, Number(v), true);
  else if (size === 4) dv.setUint32(off, Number(v), true);
  else dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
  return c;
}

const u64 = (b: Uint8Array, off: number): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
const i32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getInt32(off, true);
const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

const SEG_TYPES: Record<string, number> = { NULL: 0, LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4, PHDR: 6, TLS: 7, GNU_STACK: 0x6474e551, GNU_PROPERTY: 0x6474e553, GNU_RELRO: 0x6474e552 };
const SEC_TYPES: Record<string, number> = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOTE: 7, NOBITS: 8, REL: 9 };
const SEC_FLAGS: Record<string, bigint> = { W: 1n, A: 2n, X: 4n, M: 0x10n, S: 0x20n, I: 0x40n, L: 0x80n, G: 0x200n, T: 0x400n };

// ---------------------------------------------------------------------------------------------------------------
describe('parseElf on a hand-made image', () => {
  const e = tinyExec();
  const img = parseElf(e.bytes, 'tiny');

  it('reads kind, entry, segments and sections', () => {
    expect(img.kind).toBe('exec');
    expect(img.entry).toBe(TEXT_BASE + 0x30n);
    expect(img.segments.map((s) => [s.type, s.flags, hx(s.vaddr), s.filesz, s.memsz])).toEqual([
      [1, 5, hx(TEXT_BASE), 0x38, 0x38],
      [1, 4, hx(TEXT_BASE + 0x1000n), 16, 16],
      [1, 6, hx(TEXT_BASE + 0x2000n), 16, 48],
    ]);
    expect(img.segments[0].data[0]).toBe(0xe8);
    expect(img.sections.map((s) => s.name)).toEqual(['', '.text', '__mcount_loc', '.data', '.bss', '.symtab', '.strtab', '.shstrtab']);
    expect(img.section('.bss')?.data.length).toBe(0);
    expect(img.section('.bss')?.size).toBe(0x20);
    expect(img.section('.text')?.data.length).toBe(0x38);
    expect(img.section('nope')).toBeUndefined();
  });

  it('reads symbols, preferring globals by name', () => {
    expect(img.symbols.length).toBe(8);
    expect(img.symbols[0]).toEqual({ name: '', value: 0n, size: 0, type: 'notype', bind: 'local', shndx: 0 });
    expect(img.symbols[1]).toMatchObject({ name: 'tiny.c', type: 'file', shndx: SHN_ABS });
    expect(img.symbol('g')).toMatchObject({ value: TEXT_BASE + 0x10n, bind: 'local', type: 'func', size: 6 });
    expect(img.symbol('counter')).toMatchObject({ value: TEXT_BASE + 0x2010n, bind: 'global', type: 'object', shndx: 4 });
    expect(img.symbol('missing')).toBeUndefined();
  });

  it('collects __mcount_loc', () => {
    expect(img.mcountLoc).toEqual([TEXT_BASE, TEXT_BASE + 0x10n]);
  });

  it('finds __mcount_loc through __start_mcount_loc/__stop_mcount_loc when the section was folded away', () => {
    const text = new Uint8Array(0x20).fill(0xc3);
    const data = new Uint8Array(0x28);
    new DataView(data.buffer).setBigUint64(8, TEXT_BASE + 4n, true);
    new DataView(data.buffer).setBigUint64(16, TEXT_BASE + 0x10n, true);
    const sym = symtab([
      { name: '__start_mcount_loc', value: TEXT_BASE + 0x1008n, type: STT.NOTYPE, bind: STB.GLOBAL, shndx: 2 },
      { name: '__stop_mcount_loc', value: TEXT_BASE + 0x1018n, type: STT.NOTYPE, bind: STB.GLOBAL, shndx: 2 },
    ]);
    const b = buildElf({
      type: 2,
      entry: TEXT_BASE,
      sections: [
        { name: '.text', type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXEC, addr: TEXT_BASE, data: text },
        { name: '.init.data', type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.WRITE, addr: TEXT_BASE + 0x1000n, data },
        { name: '.symtab', type: SHT.SYMTAB, data: sym.symtab, link: '.strtab', info: 1, entsize: 24, align: 8 },
        { name: '.strtab', type: SHT.STRTAB, data: sym.strtab },
      ],
      segments: [
        { type: 1, flags: 5, sections: ['.text'] },
        { type: 1, flags: 6, sections: ['.init.data'] },
      ],
    });
    expect(parseElf(b.bytes, 'vmlinux').mcountLoc).toEqual([TEXT_BASE + 4n, TEXT_BASE + 0x10n]);
  });

  it('reads extended section numbering (e_shnum, e_shstrndx, e_phnum in section 0)', () => {
    let x = patched(e.bytes, 60, 2, 0); // e_shnum = 0: the count is in section 0's sh_size
    x = patched(x, e.shoff + 32, 8, img.sections.length);
    x = patched(x, 62, 2, 0xffff); // SHN_XINDEX: the index is in section 0's sh_link
    x = patched(x, e.shoff + 40, 4, img.sections.length - 1);
    x = patched(x, 56, 2, 0xffff); // PN_XNUM: the count is in section 0's sh_info
    x = patched(x, e.shoff + 44, 4, 3);
    const xi = parseElf(x, 'xnum');
    expect(xi.sections.map((s) => s.name)).toEqual(img.sections.map((s) => s.name));
    expect(xi.segments.length).toBe(3);
    expect(xi.mcountLoc).toEqual(img.mcountLoc);
  });

  it('resolves SHN_XINDEX symbols through SHT_SYMTAB_SHNDX', () => {
    const sym = symtab([{ name: 'far', value: TEXT_BASE + 4n, size: 4, type: STT.FUNC, bind: STB.GLOBAL, shndx: 0xffff }]);
    const b = buildElf({
      type: 2,
      entry: TEXT_BASE,
      sections: [
        { name: '.text', type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXEC, addr: TEXT_BASE, data: new Uint8Array(16) },
        { name: '.symtab', type: SHT.SYMTAB, data: sym.symtab, link: '.strtab', info: 1, entsize: 24, align: 8 },
        { name: '.strtab', type: SHT.STRTAB, data: sym.strtab },
        { name: '.symtab_shndx', type: 18, data: Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0]), link: '.symtab', entsize: 4, align: 4 },
      ],
      segments: [{ type: 1, flags: 5, sections: ['.text'] }],
    });
    expect(parseElf(b.bytes, 'x').symbol('far')?.shndx).toBe(1);
    const bad = patched(b.bytes, b.contents('.symtab_shndx') + 4, 4, 77);
    expect(elfError(() => parseElf(bad, 'x')).message).toBe('x: symbol 1 (far): extended section index 77 is not a valid section index (6 sections)');
  });

  it('SymbolTable: nearest, format, lookup, add', () => {
    const st = SymbolTable.fromImage(img);
    expect(st.lookup('f')).toBe(TEXT_BASE);
    expect(st.lookup('tiny.c')).toBeUndefined();
    expect(st.format(TEXT_BASE)).toBe('f');
    expect(st.format(TEXT_BASE + 3n)).toBe('f+0x3');
    expect(st.format(TEXT_BASE + 0x13n)).toBe('g+0x3');
    expect(st.format(TEXT_BASE + 0x2018n)).toBe('counter+0x8');
    expect(st.format(0x1234n)).toBe('0x1234');
    expect(st.nearest(TEXT_BASE + 0x31n)).toEqual({ name: '_start', value: TEXT_BASE + 0x30n, offset: 1n });
    // Past the end of every sized symbol: still the closest one below, as kallsyms does.
    expect(st.format(TEXT_BASE + 0x100000n)).toBe('counter+0xfdff0');
    st.add([{ name: 'mod_fn', value: 0xffffffffa0000000n, size: 0x20, type: 'func', module: 'mymod' }]);
    expect(st.format(0xffffffffa0000005n)).toBe('mod_fn+0x5 [mymod]');
    st.removeRange(0xffffffffa0000000n, 0xffffffffa0001000n);
    expect(st.lookup('mod_fn')).toBeUndefined();
  });

  it('SymbolTable: a symbol that contains the address wins over a closer one that does not', () => {
    const st = new SymbolTable([
      { name: 'big', value: 0x1000n, size: 0x100, type: 'func' },
      { name: 'label', value: 0x1010n, size: 0, type: 'notype' },
      { name: 'small', value: 0x1020n, size: 4, type: 'object' },
      { name: 'alias', value: 0x1000n, size: 0x100, type: 'notype' },
      { name: 'zero', value: 0n, size: 4, type: 'func' },
    ]);
    expect(st.format(0x1030n)).toBe('big+0x30');
    expect(st.format(0x1022n)).toBe('small+0x2');
    expect(st.format(0x1000n)).toBe('big');
    expect(st.format(0x2000n)).toBe('small+0xfe0');
    expect(st.nearest(0xfffn)).toBeUndefined();
    expect(st.lookup('zero')).toBeUndefined();
    expect(st.size).toBe(4);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('linkModule on a hand-made object', () => {
  const o = tinyObj();
  const obj = parseElf(o.bytes, 'dir/tiny-mod.o');
  const BASE = 0xffffffffa0000000n;
  const ext: Record<string, bigint> = { __fentry__: TEXT_BASE + 0x20n, printk: TEXT_BASE + 0x40n, counter: TEXT_BASE + 0x2010n };
  const resolve = (n: string): bigint | undefined => ext[n];
  const m = linkModule(obj, BASE, resolve);
  const at = (addr: bigint): number => Number(addr - BASE);

  it('parses as a relocatable object', () => {
    expect(obj.kind).toBe('rel');
    expect(obj.segments).toEqual([]);
    expect(obj.mcountLoc).toEqual([]);
    expect(obj.symbol('printk')).toMatchObject({ shndx: 0, bind: 'global' });
  });

  it('lays out text, rodata, data, bss on page-aligned groups', () => {
    expect(m.name).toBe('tiny_mod');
    expect(m.sections.map((s) => [s.name, hx(s.addr), s.size])).toEqual([
      ['.text', hx(BASE), 0x2b],
      ['.rodata', hx(BASE + 0x1000n), 6],
      ['__mcount_loc', hx(BASE + 0x1006n), 16], // align 1, right after the 6 bytes of .rodata
      ['.data', hx(BASE + 0x2000n), 16],
      ['.bss', hx(BASE + 0x2010n), 8],
    ]);
    expect(m.size).toBe(0x2018);
    expect(m.bytes.length).toBe(m.size);
    expect(m.textRanges).toEqual([{ addr: BASE, size: 0x2b }]);
    expect(new TextDecoder().decode(m.bytes.subarray(0x1000, 0x1005))).toBe('hello');
  });

  it('applies PLT32, 32S, PC32 and 64 relocations', () => {
    const b = m.bytes;
    expect(i32(b, 0x01)).toBe(Number(BigInt.asIntN(64, ext.__fentry__ - 4n - (BASE + 1n)))); // PLT32 __fentry__-4
    expect(i32(b, 0x08)).toBe(Number(BigInt.asIntN(64, BASE + 0x1000n))); // 32S .rodata
    expect(i32(b, 0x0d)).toBe(Number(BigInt.asIntN(64, ext.printk - 4n - (BASE + 0xdn))));
    expect(i32(b, 0x13)).toBe(Number(BigInt.asIntN(64, ext.counter - 4n - (BASE + 0x13n)))); // PC32 counter-4
    expect(i32(b, 0x21)).toBe(Number(BigInt.asIntN(64, ext.__fentry__ - 4n - (BASE + 0x21n))));
    expect(i32(b, 0x26)).toBe(Number(0n - 4n - 0x26n)); // call mod_fn, in the module
    expect(u64(b, at(BASE + 0x2000n))).toBe(ext.counter);
    expect(u64(b, at(BASE + 0x2008n))).toBe(BASE);
    // call targets decode back to the right place
    const target = (site: number): bigint => BASE + BigInt(site + 5 + i32(b, site + 1));
    expect(target(0x00)).toBe(ext.__fentry__);
    expect(target(0x25)).toBe(BASE);
  });

  it('collects mcountLoc and final symbol addresses; skips relocations of unloaded sections', () => {
    expect(m.mcountLoc).toEqual([BASE, BASE + 0x20n]);
    expect(m.sections.some((s) => s.name === '.debug_info')).toBe(false);
    const sy = new Map(m.symbols.filter((s) => s.name).map((s) => [s.name, s.value]));
    expect(sy.get('mod_fn')).toBe(BASE);
    expect(sy.get('mod_init')).toBe(BASE + 0x20n);
    expect(sy.get('state')).toBe(BASE + 0x2010n);
    expect(sy.has('printk')).toBe(false);
    expect(sy.has('mod.c')).toBe(false);
    const st = SymbolTable.fromImage(parseElf(tinyExec().bytes, 'tiny'));
    st.add(m.symbols.map((s) => ({ ...s, module: m.name })));
    expect(st.format(BASE + 0x21n)).toBe('mod_init+0x1 [tiny_mod]');
  });

  it('refuses an unknown symbol, naming it', () => {
    expect(elfError(() => linkModule(obj, BASE, (n) => (n === 'printk' ? undefined : ext[n]))).message).toBe('dir/tiny-mod.o: unknown symbol printk');
    expect(elfError(() => linkModule(obj, BASE, () => undefined)).message).toBe('dir/tiny-mod.o: unknown symbols __fentry__, printk, counter');
  });

  it('lets an exception from the resolver through unchanged', () => {
    const boom = new Error('resolver exploded');
    expect(() => linkModule(obj, BASE, () => { throw boom; })).toThrow(boom);
  });

  it('refuses a 32S overflow', () => {
    const far = 0x100000000000n;
    const e = elfError(() => linkModule(obj, far, (n) => far + 0x10000n + BigInt(n.length)));
    expect(e.message).toBe(`dir/tiny-mod.o: relocation R_X86_64_32S at .text+0x8 against .rodata overflows: value ${hx(far + 0x1000n)} does not fit in a sign-extended 32-bit field`);
  });

  it('refuses a PC32 overflow', () => {
    // A low address is within 2 GiB of the top of the address space (the displacement wraps); user-space heights are not.
    expect(() => linkModule(obj, BASE, (n) => (n === 'counter' ? 0x1000n : ext[n]))).not.toThrow();
    const e = elfError(() => linkModule(obj, BASE, (n) => (n === 'counter' ? 0x7fff00000000n : ext[n])));
    expect(e.message).toBe(`dir/tiny-mod.o: relocation R_X86_64_PC32 at .text+0x13 against counter overflows: value ${hx(0x7fff00000000n - 4n - (BASE + 0x13n) + (1n << 64n))} does not fit in a signed 32-bit displacement from ${hx(BASE + 0x13n)}`);
  });

  it('refuses an R_X86_64_32 overflow (zero-extended field, kernel address)', () => {
    const relaText = o.contents('.rela.text');
    const bytes = patched(o.bytes, relaText + 24 + 8, 4, 10); // second entry (32S .rodata) becomes R_X86_64_32
    const e = elfError(() => linkModule(parseElf(bytes, 'm.o'), BASE, resolve));
    expect(e.message).toBe(`m.o: relocation R_X86_64_32 at .text+0x8 against .rodata overflows: value ${hx(BASE + 0x1000n)} does not fit in a zero-extended 32-bit field`);
    // and fits at a low base
    const low = linkModule(parseElf(bytes, 'm.o'), 0x400000n, (n) => 0x800000n + BigInt(n.length));
    expect(u32(low.bytes, 0x08)).toBe(0x401000);
  });

  it('refuses an unsupported relocation type, naming it and where', () => {
    const relaText = o.contents('.rela.text');
    const e = elfError(() => linkModule(parseElf(patched(o.bytes, relaText + 8, 4, 24), 'm.o'), BASE, resolve));
    expect(e.message).toBe('m.o: unsupported relocation type 24 (R_X86_64_PC64) at .text+0x1 against __fentry__');
    const e2 = elfError(() => linkModule(parseElf(patched(o.bytes, relaText + 3 * 24 + 8, 4, 9), 'm.o'), BASE, resolve));
    expect(e2.message).toBe('m.o: unsupported relocation type 9 (R_X86_64_GOTPCREL) at .text+0x13 against counter');
    const e3 = elfError(() => linkModule(parseElf(patched(o.bytes, relaText + 8, 4, 200), 'm.o'), BASE, resolve));
    expect(e3.message).toBe('m.o: unsupported relocation type 200 (unknown) at .text+0x1 against __fentry__');
  });

  it('refuses a relocation past its section, a bad symbol index, a non-zero target', () => {
    const relaText = o.contents('.rela.text');
    expect(elfError(() => linkModule(parseElf(patched(o.bytes, relaText, 8, 0x29), 'm.o'), BASE, resolve)).message).toBe(
      'm.o: relocation R_X86_64_PLT32 at .text+0x29 against __fentry__: 4 bytes at offset 0x29 run past the end of .text (0x2b bytes)',
    );
    expect(elfError(() => linkModule(parseElf(patched(o.bytes, relaText + 12, 4, 99), 'm.o'), BASE, resolve)).message).toBe(
      'm.o: relocation 0 in .rela.text (at .text+0x1): symbol index 99 is past the 11 symbols',
    );
    expect(elfError(() => linkModule(parseElf(patched(o.bytes, o.contents('.text') + 1, 1, 0xff), 'm.o'), BASE, resolve)).message).toBe(
      'm.o: relocation R_X86_64_PLT32 at .text+0x1 against __fentry__: the target bytes are not zero (relocated twice?)',
    );
  });

  it('refuses common symbols, an executable, and __mcount_loc entries outside text', () => {
    const symOff = o.contents('.symtab') + OBJ_SYM.counter * 24;
    expect(elfError(() => linkModule(parseElf(patched(o.bytes, symOff + 6, 2, 0xfff2), 'm.o'), BASE, resolve)).message).toBe(
      'm.o: symbol counter is a common symbol (SHN_COMMON): compile the module with -fno-common',
    );
    expect(elfError(() => linkModule(parseElf(tinyExec().bytes, 'vmlinux'), BASE, resolve)).message).toBe(
      'vmlinux: not a relocatable object (ET_REL): a module must be built with gcc -c',
    );
    const relaM = o.contents('.rela__mcount_loc');
    expect(elfError(() => linkModule(parseElf(patched(o.bytes, relaM + 24 + 16, 8, 0x100), 'm.o'), BASE, resolve)).message).toBe(
      `m.o: __mcount_loc: entry 1 is ${hx(BASE + 0x100n)}, which is not inside the module's text`,
    );
  });

  it('resolves an undefined weak symbol to 0', () => {
    const symOff = o.contents('.symtab') + OBJ_SYM.printk * 24;
    const bytes = patched(o.bytes, symOff + 4, 1, (STB.WEAK << 4) | STT.NOTYPE);
    const lm = linkModule(parseElf(bytes, 'm.o'), 0x1000n, (n) => (n === 'printk' ? undefined : 0x2000n + BigInt(n.length)));
    expect(i32(lm.bytes, 0x0d)).toBe(0 - 4 - (0x1000 + 0xd));
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('malformed files are refused with a precise message', () => {
  const e = tinyExec();
  const b = e.bytes;
  const len = hx(b.length);
  const msg = (bytes: Uint8Array, file = 'img'): string => elfError(() => parseElf(bytes, file)).message;
  const SH = (name: string, field: number): number => e.shdr(name) + field;

  it('empty file', () => {
    expect(msg(new Uint8Array(0), 'empty.bin')).toBe('empty.bin: not an ELF file: the file is empty');
  });
  it('bad magic', () => {
    expect(msg(patched(b, 3, 1, 0x47), 'foo')).toBe('foo: not an ELF file: bad magic 7f 45 4c 47 (expected 7f 45 4c 46)');
    expect(msg(new TextEncoder().encode('#!/bin/sh\n'), 'script')).toBe('script: not an ELF file: bad magic 23 21 2f 62 (expected 7f 45 4c 46)');
    expect(msg(b.slice(0, 3))).toBe('img: not an ELF file: bad magic 7f 45 4c (expected 7f 45 4c 46)');
  });
  it('truncated identification and header', () => {
    expect(msg(b.slice(0, 10))).toBe('img: truncated: ELF identification needs 16 bytes, file has 10');
    expect(msg(b.slice(0, 40))).toBe('img: truncated: the ELF header needs 64 bytes, file has 40');
  });
  it('ELFCLASS32', () => {
    expect(msg(patched(b, 4, 1, 1))).toBe('img: not a 64-bit ELF: EI_CLASS is 1 (ELFCLASS32); only ELFCLASS64 x86-64 files are supported');
    expect(msg(patched(b, 4, 1, 7))).toBe('img: not a 64-bit ELF: EI_CLASS is 7 (invalid), expected 2 (ELFCLASS64)');
  });
  it('big endian', () => {
    expect(msg(patched(b, 5, 1, 2))).toBe('img: not a little-endian ELF: EI_DATA is 2 (ELFDATA2MSB, big endian), expected 1 (ELFDATA2LSB)');
  });
  it('ELF version', () => {
    expect(msg(patched(b, 6, 1, 0))).toBe('img: unsupported ELF version: EI_VERSION is 0, expected 1 (EV_CURRENT)');
    expect(msg(patched(b, 20, 4, 2))).toBe('img: unsupported ELF version: e_version is 2, expected 1 (EV_CURRENT)');
  });
  it('wrong machine', () => {
    expect(msg(patched(b, 18, 2, 40), 'prog.o')).toBe('prog.o: not an x86-64 ELF: e_machine is 40 (ARM), expected 62 (x86-64)');
    expect(msg(patched(b, 18, 2, 183))).toBe('img: not an x86-64 ELF: e_machine is 183 (AArch64), expected 62 (x86-64)');
    expect(msg(patched(b, 18, 2, 999))).toBe('img: not an x86-64 ELF: e_machine is 999, expected 62 (x86-64)');
  });
  it('ET_DYN, ET_CORE, unknown type', () => {
    expect(msg(patched(b, 16, 2, 3))).toBe('img: e_type is ET_DYN (3): PIE executables and shared objects are not supported; link the image with -no-pie -static');
    expect(msg(patched(b, 16, 2, 4))).toBe('img: e_type is ET_CORE (4): a core dump, expected ET_EXEC (2) or ET_REL (1)');
    expect(msg(patched(b, 16, 2, 0))).toBe('img: e_type is 0, expected ET_EXEC (2) or ET_REL (1)');
  });
  it('header sizes', () => {
    expect(msg(patched(b, 52, 2, 52))).toBe('img: e_ehsize is 52, expected 64');
    expect(msg(patched(b, 54, 2, 32))).toBe('img: e_phentsize is 32, expected 56');
    expect(msg(patched(b, 58, 2, 40))).toBe('img: e_shentsize is 40, expected 64');
  });
  it('truncated program header table', () => {
    const off = b.length - 100;
    expect(msg(patched(b, 32, 8, off))).toBe(`img: truncated: program header table at offset ${hx(off)} (3 entries x 56 bytes) runs past end of file (${len} bytes)`);
    expect(msg(patched(b, 32, 8, 0))).toBe('img: e_phnum is 3 but e_phoff is 0 (no program header table)');
  });
  it('truncated section header table', () => {
    const cut = b.slice(0, b.length - 10);
    expect(msg(cut, 'vmlinux')).toBe(`vmlinux: truncated: section header table at offset ${hx(e.shoff)} (8 entries x 64 bytes) runs past end of file (${hx(cut.length)} bytes)`);
    expect(msg(patched(b, 40, 8, 0xffffffffffffff00n))).toBe(`img: truncated: section header table at offset 0xffffffffffffff00 (8 entries x 64 bytes) runs past end of file (${len} bytes)`);
    expect(msg(patched(b, 40, 8, 0))).toBe('img: e_shnum is 8 but e_shoff is 0 (no section header table)');
  });
  it('section contents past end of file', () => {
    expect(msg(patched(b, SH('.data', 24), 8, b.length - 8))).toBe(`img: section 3 (.data) at offset ${hx(b.length - 8)} size 0x10 runs past end of file (${len} bytes)`);
    expect(msg(patched(b, SH('.text', 32), 8, 0xffffffffffffffffn))).toBe(`img: section 1 (.text) at offset 0x1000 size 0xffffffffffffffff runs past end of file (${len} bytes)`);
  });
  it('bad e_shstrndx', () => {
    expect(msg(patched(b, 62, 2, 99))).toBe('img: bad e_shstrndx: 99, but there are only 8 sections');
    expect(msg(patched(b, 62, 2, 1))).toBe('img: bad e_shstrndx: section 1 has type 1, expected SHT_STRTAB (3)');
  });
  it('bad string index', () => {
    const shstrSize = Number(u64(b, SH('.shstrtab', 32)));
    expect(msg(patched(b, SH('.text', 0), 4, 0x1000))).toBe(`img: section 1 name (sh_name): string index 0x1000 is past the end of the section header string table (${hx(shstrSize)} bytes)`);
    const sym = e.contents('.symtab') + 3 * 24;
    expect(msg(patched(b, sym, 4, 0x7777))).toBe('img: symbol 3 name (st_name): string index 0x7777 is past the end of string table .strtab (0x2c bytes)');
    // Cut the string table one byte short: the last name ("counter", symbol 7) loses its NUL.
    expect(msg(patched(b, SH('.strtab', 32), 8, 0x2b))).toBe('img: symbol 7 name (st_name): string at index 0x24 in string table .strtab is not NUL-terminated');
  });
  it('symbol table sh_entsize, size, link, section index', () => {
    expect(msg(patched(b, SH('.symtab', 56), 8, 16))).toBe('img: symbol table .symtab: sh_entsize is 16, expected 24');
    expect(msg(patched(b, SH('.symtab', 32), 8, 24 * 8 - 4))).toBe('img: symbol table .symtab: size 0xbc is not a multiple of 24');
    expect(msg(patched(b, SH('.symtab', 40), 4, 1))).toBe('img: symbol table .symtab: sh_link 1 does not name a string table (section 1 has type 1, expected SHT_STRTAB (3))');
    expect(msg(patched(b, SH('.symtab', 40), 4, 70))).toBe('img: section 5 (.symtab): sh_link 70 is not a section index (8 sections)');
    expect(msg(patched(b, e.contents('.symtab') + 3 * 24 + 6, 2, 200))).toBe('img: symbol 3 (f): st_shndx 200 is not a valid section index (8 sections)');
  });
  it('section alignment not a power of two', () => {
    expect(msg(patched(b, SH('.data', 48), 8, 24))).toBe('img: section 3 (.data): sh_addralign 0x18 is not a power of two');
  });
  it('segment filesz > memsz, past end of file, wrapping', () => {
    expect(msg(patched(b, e.phdr(2) + 32, 8, 0x40))).toBe('img: segment 2 (PT_LOAD): p_filesz 0x40 is larger than p_memsz 0x30');
    expect(msg(patched(b, e.phdr(1) + 8, 8, b.length - 4))).toBe(`img: segment 1 (PT_LOAD) at offset ${hx(b.length - 4)} filesz 0x10 runs past end of file (${len} bytes)`);
    expect(msg(patched(b, e.phdr(2) + 16, 8, 0xfffffffffffffff0n))).toBe('img: segment 2 (PT_LOAD): address range 0xfffffffffffffff0+0x30 wraps past the end of the 64-bit address space');
  });
  it('overlapping PT_LOAD', () => {
    expect(msg(patched(b, e.phdr(1) + 16, 8, TEXT_BASE + 0x30n), 'vmlinux')).toBe(
      `vmlinux: PT_LOAD segments 0 [${hx(TEXT_BASE)}-${hx(TEXT_BASE + 0x38n)}) and 1 [${hx(TEXT_BASE + 0x30n)}-${hx(TEXT_BASE + 0x40n)}) overlap`,
    );
  });
  it('entry point outside executable segments, no PT_LOAD', () => {
    expect(msg(patched(b, 24, 8, TEXT_BASE + 0x2000n))).toBe(`img: entry point ${hx(TEXT_BASE + 0x2000n)} is not inside an executable PT_LOAD segment`);
    expect(msg(patched(b, 56, 2, 0))).toBe('img: executable has no PT_LOAD segment with contents');
  });
  it('__mcount_loc: size and entries', () => {
    expect(msg(patched(b, SH('__mcount_loc', 32), 8, 12))).toBe('img: __mcount_loc: size 0xc is not a multiple of 8');
    expect(msg(patched(b, e.contents('__mcount_loc') + 8, 8, TEXT_BASE + 0x2000n))).toBe(
      `img: __mcount_loc: entry 1 at ${hx(TEXT_BASE + 0x1008n)} is ${hx(TEXT_BASE + 0x2000n)}, which is not inside an executable segment`,
    );
    expect(msg(patched(b, SH('__mcount_loc', 4), 4, SHT.NOBITS))).toBe('img: __mcount_loc: section is SHT_NOBITS (has no contents)');
  });
  it('never throws anything but ElfError on a spread of truncations', () => {
    for (let n = 0; n < b.length; n += 7) {
      try {
        parseElf(b.slice(0, n), 'cut');
      } catch (err) {
        expect(err).toBeInstanceOf(ElfError);
        expect((err as Error).message).not.toContain('internal error');
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe.skipIf(toolchainMissing !== '')(`against gcc and binutils${toolchainMissing ? ` (${toolchainMissing})` : ''}`, () => {
  // Built lazily inside the tests so that a missing toolchain skips instead of failing at collection.
  const fx = (): ReturnType<typeof buildFixtures> => buildFixtures();
  let kernelImg: ElfImage | undefined;
  const kernel = (): ElfImage => (kernelImg ??= parseElf(fx().bytes(fx().kernel), 'kernel'));

  it('executable: entry and segments match readelf -h/-l', () => {
    const img = kernel();
    expect(img.entry).toBe(readelfEntry(fx().kernel));
    expect(img.entry).toBe(img.symbol('_start')?.value);
    const ref = readelfSegments(fx().kernel);
    expect(ref.length).toBeGreaterThan(1);
    expect(img.segments.map((s) => ({ type: s.type, offset: s.offset, vaddr: s.vaddr, filesz: s.filesz, memsz: s.memsz, flags: s.flags, align: s.align }))).toEqual(
      ref.map((r) => ({ ...r, type: SEG_TYPES[r.type] ?? -1 })),
    );
  });

  it('executable: sections match readelf -S', () => {
    const img = kernel();
    const ref = readelfSections(fx().kernel);
    expect(img.sections.length).toBe(ref.length);
    for (const r of ref) {
      const s = img.sections[r.index];
      const flags = [...r.flags].reduce((f, c) => f | (SEC_FLAGS[c] ?? 0n), 0n);
      expect({ name: s.name, type: s.type, addr: s.addr, offset: s.offset, size: s.size, entsize: s.entsize, flags: s.flags, link: s.link, info: s.info, align: s.addralign }).toEqual({
        name: r.name, type: SEC_TYPES[r.type] ?? -1, addr: r.addr, offset: r.offset, size: r.size, entsize: r.entsize, flags, link: r.link, info: r.info, align: r.align,
      });
    }
  });

  it('executable: symbols match readelf -s', () => {
    const img = kernel();
    const ref = readelfSymbols(fx().kernel);
    expect(img.symbols.length).toBe(ref.length);
    const ndx = (n: number): string => (n === 0 ? 'UND' : n === SHN_ABS ? 'ABS' : n === 0xfff2 ? 'COM' : String(n));
    for (const r of ref) {
      const s = img.symbols[r.num];
      expect({ value: s.value, size: s.size, type: s.type.toUpperCase(), bind: s.bind.toUpperCase(), ndx: ndx(s.shndx) }).toEqual({
        value: r.value, size: r.size, type: r.type, bind: r.bind, ndx: r.ndx,
      });
      if (s.type !== 'section') expect(s.name).toBe(r.name);
    }
    for (const f of ['vfs_read', 'do_sys_open', 'printk', '__fentry__', 'counter', 'table']) expect(img.symbol(f)?.bind).toBe('global');
    // gcc clones the static hash_32 for its constant argument: the traced function is hash_32.constprop.0.
    expect(img.symbol('hash_32.constprop.0')).toMatchObject({ bind: 'local', type: 'func' });
  });

  it('executable: mcountLoc equals the `call __fentry__` sites of objdump -d', () => {
    const img = kernel();
    const sites = objdumpFentryCalls(fx().kernel);
    expect(sites.length).toBeGreaterThanOrEqual(4); // printk, hash_32, vfs_read, do_sys_open (not the notrace ones)
    expect([...img.mcountLoc].sort((a, b) => (a < b ? -1 : 1))).toEqual(sites);
    const st = SymbolTable.fromImage(img);
    expect(img.mcountLoc.map((a) => st.nearest(a)?.offset)).toEqual(img.mcountLoc.map(() => 0n));
    expect(img.mcountLoc.map((a) => st.format(a)).sort()).toEqual(['do_sys_open', 'hash_32.constprop.0', 'printk', 'vfs_read']);
  });

  function linkAgainstLd(objPath: string, base: bigint, defs: Record<string, bigint>, entry: string): { m: LinkedModule; ld: string } {
    const obj = parseElf(fx().bytes(objPath), objPath);
    const m = linkModule(obj, base, (n) => defs[n]);
    const ld = ldAt(fx().dir, objPath, m.sections, defs, entry);
    // ld placed each section where linkModule did ...
    const ldSecs = new Map(readelfSections(ld).map((s) => [s.name, s]));
    for (const s of m.sections) if (s.size > 0) expect([s.name, hx(ldSecs.get(s.name)?.addr ?? -1n)]).toEqual([s.name, hx(s.addr)]); // ld drops empty sections
    // ... and produced the same bytes in every loaded section.
    for (const s of m.sections) {
      if (s.size === 0 || ldSecs.get(s.name)?.type === 'NOBITS') continue;
      const mine = m.bytes.subarray(Number(s.addr - base), Number(s.addr - base) + s.size);
      expect([s.name, Buffer.from(mine).toString('hex')]).toEqual([s.name, Buffer.from(sectionBytes(ld, s.name)).toString('hex')]);
    }
    return { m, ld };
  }

  it('module: relocations give the same bytes as GNU ld, against the image built from kernel.c', () => {
    const st = SymbolTable.fromImage(kernel());
    const obj = parseElf(fx().bytes(fx().module), 'module.o');
    const defs: Record<string, bigint> = {};
    for (const s of obj.symbols) {
      if (s.shndx === 0 && s.name) {
        const v = st.lookup(s.name);
        expect(v, s.name).toBeDefined();
        defs[s.name] = v as bigint;
      }
    }
    expect(Object.keys(defs).sort()).toEqual(['__fentry__', 'counter', 'do_sys_open', 'printk', 'table']);
    const base = 0xffffffffa0000000n;
    const { m } = linkAgainstLd(fx().module, base, defs, 'mod_init');
    // Every relocation kind gcc emitted for a -mcmodel=kernel module was exercised.
    const kinds = new Set(run('readelf', ['-rW', fx().module]).match(/R_X86_64_\w+/g));
    expect([...kinds].sort()).toEqual(['R_X86_64_32S', 'R_X86_64_64', 'R_X86_64_PC32', 'R_X86_64_PLT32']);
    // mcountLoc: the `call __fentry__` sites objdump -dr shows, at their final addresses
    const sites = objdumpFentryRelocs(fx().module);
    const expected: bigint[] = [];
    for (const [sec, offs] of sites) {
      const placed = m.sections.find((s) => s.name === sec);
      expect(placed, sec).toBeDefined();
      for (const off of offs) expected.push((placed as { addr: bigint }).addr + BigInt(off));
    }
    expect(m.mcountLoc).toEqual(expected);
    expect(m.mcountLoc.length).toBe(3);
    for (const a of m.mcountLoc) {
      const off = Number(a - base);
      expect(m.bytes[off]).toBe(0xe8);
      expect(a + 5n + BigInt(i32(m.bytes, off + 1))).toBe(defs.__fentry__);
    }
    expect(m.textRanges.length).toBe(1);
    expect(m.symbols.find((s) => s.name === 'mod_init')?.value).toBe(m.sections[0].addr + (obj.symbol('mod_init')?.value ?? -1n));
  });

  it('module: R_X86_64_32/32S/64/PC32/PLT32 from assembly at a low base give the same bytes as GNU ld', () => {
    const defs = { __fentry__: 0x401000n, ext_low: 0x12345678n, ext_far: 0xffffffff81234567n, ext_fn: 0x7fff0000n };
    const { m } = linkAgainstLd(fx().reloc32, 0x400000n, defs, 'low_fn');
    const kinds = new Set(run('readelf', ['-rW', fx().reloc32]).match(/R_X86_64_\w+/g));
    expect([...kinds].sort()).toEqual(['R_X86_64_32', 'R_X86_64_32S', 'R_X86_64_64', 'R_X86_64_PC32', 'R_X86_64_PLT32']);
    expect(m.mcountLoc).toEqual([0x400000n]);
    // R_X86_64_32 with a kernel address is refused
    const obj = parseElf(fx().bytes(fx().reloc32), 'reloc32.o');
    expect(elfError(() => linkModule(obj, 0x400000n, (n) => (n === 'ext_low' ? 0xffffffff81000000n : (defs as Record<string, bigint>)[n]))).message).toBe(
      'reloc32.o: relocation R_X86_64_32 at .text+0x6 against ext_low overflows: value 0xffffffff81000000 does not fit in a zero-extended 32-bit field',
    );
  });

  it('module: unknown symbol, 32S overflow, unsupported type on the gcc-built object', () => {
    const bytes = fx().bytes(fx().module);
    const obj = parseElf(bytes, 'module.o');
    const st = SymbolTable.fromImage(kernel());
    expect(elfError(() => linkModule(obj, 0xffffffffa0000000n, (n) => (n === 'printk' ? undefined : st.lookup(n)))).message).toBe('module.o: unknown symbol printk');
    // Far from the kernel's top 2 GiB: the sign-extended absolute reference to .rodata cannot be encoded.
    const far = 0x7f0000000000n;
    const e = elfError(() => linkModule(obj, far, () => far + 0x100000n));
    expect(e.message).toMatch(/^module\.o: relocation R_X86_64_32S at \.text\+0x[0-9a-f]+ against \.rodata overflows: value 0x7f000000[0-9a-f]{4} does not fit in a sign-extended 32-bit field$/);
    // Hand-made unsupported type in the first .rela.text entry.
    const rt = obj.section('.rela.text');
    expect(rt).toBeDefined();
    const bad = patched(bytes, (rt as { offset: number }).offset + 8, 4, 41); // R_X86_64_GOTPCRELX
    const e2 = elfError(() => linkModule(parseElf(bad, 'module.o'), 0xffffffffa0000000n, (n) => st.lookup(n)));
    const first = /^\s*([0-9a-f]+)\s+[0-9a-f]+\s+R_X86_64_\w+\s+[0-9a-f]+\s+(\S+)/m.exec(run('readelf', ['-rW', fx().module]).split("Relocation section '.rela.text'")[1]);
    expect(e2.message).toBe(`module.o: unsupported relocation type 41 (R_X86_64_GOTPCRELX) at .text+0x${parseInt(first?.[1] ?? '', 16).toString(16)} against ${first?.[2]}`);
  });

  it('refuses a PIE (ET_DYN) and a 32-bit object built by gcc', () => {
    const dir = tempDir();
    const pie = join(dir, 'pie');
    run('gcc', ['-O2', '-fPIE', '-pie', '-nostdlib', '-ffreestanding', '-e', '_start', '-o', pie, join(FIXTURES, 'kernel.c')]);
    expect(elfError(() => parseElf(fx().bytes(pie), 'pie')).message).toBe(
      'pie: e_type is ET_DYN (3): PIE executables and shared objects are not supported; link the image with -no-pie -static',
    );
    const o32 = join(dir, 'k32.o');
    try {
      run('gcc', ['-m32', '-O2', '-ffreestanding', '-c', '-o', o32, join(FIXTURES, 'kernel.c')]);
    } catch {
      return; // no 32-bit support in this gcc; the hand-made ELFCLASS32 test covers the message
    }
    expect(elfError(() => parseElf(fx().bytes(o32), 'k32.o')).message).toBe(
      'k32.o: not a 64-bit ELF: EI_CLASS is 1 (ELFCLASS32); only ELFCLASS64 x86-64 files are supported',
    );
  });

  it('the flags in use are the kernel tracing flags of issue 2', () => {
    expect(KFLAGS).toEqual(expect.arrayContaining(['-pg', '-mfentry', '-mrecord-mcount', '-mcmodel=kernel']));
    expect(LINK_FLAGS).toContain('-Wl,-Ttext=0xffffffff81000000');
  });
});
