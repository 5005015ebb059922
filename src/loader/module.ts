// Module linker: lays out a relocatable object at a base address and applies its RELA relocations; mirrors kernel/module/main.c (layout_sections, simplify_symbols, apply_relocations) and arch/x86/kernel/module.c apply_relocate_add.

import {
  ElfError,
  hx,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_NULL,
  SHT_REL,
  SHT_RELA,
  SHT_SYMTAB,
  type ElfImage,
  type ElfSection,
  type ElfSymbol,
} from './elf.js';

export interface LinkedModule {
  /** From the file name, as the kernel names modules: directory and .o/.ko dropped, '-' turned into '_'. */
  name: string;
  base: bigint;
  size: number;
  /** The laid-out image: allocatable sections placed at base with their alignment (text first, then rodata, data, bss), bytes for the whole range. */
  bytes: Uint8Array;
  sections: { name: string; addr: bigint; size: number; flags: bigint }[];
  /** Defined symbols (not the null, file or unplaced ones) with final absolute addresses in value; shndx stays the object's section index. */
  symbols: ElfSymbol[];
  /** The module's __mcount_loc entries after relocation: absolute addresses of its __fentry__ call sites, in section order. */
  mcountLoc: bigint[];
  /** Text ranges (executable sections, adjacent ones merged), to make them read-only+exec in the machine. */
  textRanges: { addr: bigint; size: number }[];
}

export const R_X86_64_NONE = 0;
export const R_X86_64_64 = 1;
export const R_X86_64_PC32 = 2;
export const R_X86_64_PLT32 = 4;
export const R_X86_64_32 = 10;
export const R_X86_64_32S = 11;

const RELOC_NAMES: readonly string[] = [
  'R_X86_64_NONE', 'R_X86_64_64', 'R_X86_64_PC32', 'R_X86_64_GOT32', 'R_X86_64_PLT32', 'R_X86_64_COPY',
  'R_X86_64_GLOB_DAT', 'R_X86_64_JUMP_SLOT', 'R_X86_64_RELATIVE', 'R_X86_64_GOTPCREL', 'R_X86_64_32',
  'R_X86_64_32S', 'R_X86_64_16', 'R_X86_64_PC16', 'R_X86_64_8', 'R_X86_64_PC8', 'R_X86_64_DTPMOD64',
  'R_X86_64_DTPOFF64', 'R_X86_64_TPOFF64', 'R_X86_64_TLSGD', 'R_X86_64_TLSLD', 'R_X86_64_DTPOFF32',
  'R_X86_64_GOTTPOFF', 'R_X86_64_TPOFF32', 'R_X86_64_PC64', 'R_X86_64_GOTOFF64', 'R_X86_64_GOTPC32',
  'R_X86_64_GOT64', 'R_X86_64_GOTPCREL64', 'R_X86_64_GOTPC64', 'R_X86_64_GOTPLT64', 'R_X86_64_PLTOFF64',
  'R_X86_64_SIZE32', 'R_X86_64_SIZE64', 'R_X86_64_GOTPC32_TLSDESC', 'R_X86_64_TLSDESC_CALL',
  'R_X86_64_TLSDESC', 'R_X86_64_IRELATIVE', 'R_X86_64_RELATIVE64', 'R_X86_64_PC32_BND', 'R_X86_64_PLT32_BND',
  'R_X86_64_GOTPCRELX', 'R_X86_64_REX_GOTPCRELX',
];

export function relocName(type: number): string {
  return RELOC_NAMES[type] ?? 'unknown';
}

/** Largest module image we lay out (the kernel's module area is 1.5 GiB, but a simulated module this big is a mistake). */
export const MAX_MODULE_SIZE = 64 * 1024 * 1024;
const PAGE = 4096n;
const RELA_SIZE = 24;
const TWO64 = 1n << 64n;

function alignUp(v: bigint, a: bigint): bigint {
  return a <= 1n ? v : ((v + a - 1n) / a) * a;
}

export function moduleName(file: string): string {
  const base = file.replace(/^.*[\\/]/, '');
  return base.replace(/\.(ko|o)$/, '').replace(/-/g, '_');
}

/**
 * Link a relocatable object at `base`. Allocatable sections are grouped as the kernel's layout_sections does:
 * text, then read-only data, then writable data, then bss; each of the first three groups starts on a page
 * boundary (STRICT_MODULE_RWX style), sections inside a group follow their sh_addralign. Undefined symbols come from
 * `resolveExternal` (an undefined weak symbol may stay unresolved and is 0).
 */
export function linkModule(obj: ElfImage, base: bigint, resolveExternal: (name: string) => bigint | undefined): LinkedModule {
  let fromResolver: { error: unknown } | undefined;
  const resolve = (name: string): bigint | undefined => {
    try {
      return resolveExternal(name);
    } catch (error) {
      fromResolver = { error };
      throw error;
    }
  };
  try {
    return link(obj, base, resolve);
  } catch (e) {
    if (e instanceof ElfError || (fromResolver && fromResolver.error === e)) throw e;
    // A bug in this linker, not in the input alone: still an ElfError naming the file, flagged for reporting.
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new ElfError(obj.file, `internal error while linking (please report): ${what}`);
  }
}

function link(obj: ElfImage, base: bigint, resolveExternal: (name: string) => bigint | undefined): LinkedModule {
  const file = obj.file;
  function fail(detail: string): never {
    throw new ElfError(file, detail);
  }
  if (obj.kind !== 'rel') fail('not a relocatable object (ET_REL): a module must be built with gcc -c');
  if (base < 0n || base >= TWO64) fail(`module base ${base < 0n ? '-' + hx(-base) : hx(base)} is not a 64-bit address`);

  const secLabel = (s: ElfSection): string => (s.name ? s.name : `section ${s.index}`);

  // --- layout ---
  const isAlloc = (s: ElfSection): boolean => s.type !== SHT_NULL && (s.flags & SHF_ALLOC) !== 0n;
  const groups: ElfSection[][] = [[], [], [], []];
  for (const s of obj.sections) {
    if (s.index === 0 || !isAlloc(s)) continue;
    if (s.type === SHT_RELA || s.type === SHT_REL || s.type === SHT_SYMTAB) fail(`${secLabel(s)}: a relocation or symbol section must not be SHF_ALLOC`);
    if ((s.flags & SHF_EXECINSTR) !== 0n) groups[0].push(s);
    else if (s.type === SHT_NOBITS) groups[3].push(s);
    else if ((s.flags & SHF_WRITE) !== 0n) groups[2].push(s);
    else groups[1].push(s);
  }
  const placed = new Map<number, bigint>(); // section index -> address
  const laid: { sec: ElfSection; addr: bigint }[] = [];
  let cur = base;
  let first = true;
  for (let g = 0; g < groups.length; g++) {
    if (groups[g].length === 0) continue;
    // bss follows data in its page; without data it starts a page, so writable memory never shares one with text or rodata
    if (!first && (g !== 3 || groups[2].length === 0)) cur = alignUp(cur, PAGE);
    for (const s of groups[g]) {
      cur = alignUp(cur, BigInt(Math.max(1, s.addralign)));
      placed.set(s.index, cur);
      laid.push({ sec: s, addr: cur });
      cur += BigInt(s.size);
      if (cur - base > BigInt(MAX_MODULE_SIZE)) {
        fail(`module image would need more than ${MAX_MODULE_SIZE / (1024 * 1024)} MiB (at ${secLabel(s)}, size ${hx(s.size)}, align ${hx(s.addralign)})`);
      }
    }
    first = false;
  }
  const size = Number(cur - base);
  if (cur > TWO64) fail(`module at ${hx(base)} (${hx(size)} bytes) runs past the end of the 64-bit address space`);
  const bytes = new Uint8Array(size);
  for (const { sec, addr } of laid) {
    if (sec.type !== SHT_NOBITS) bytes.set(sec.data, Number(addr - base));
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  // --- symbols (simplify_symbols) ---
  const symAddr: (bigint | undefined)[] = new Array<bigint | undefined>(obj.symbols.length);
  const unknown: string[] = [];
  for (let i = 0; i < obj.symbols.length; i++) {
    const s = obj.symbols[i];
    if (i === 0) {
      symAddr[i] = 0n;
    } else if (s.shndx === SHN_UNDEF) {
      if (s.bind === 'local') {
        symAddr[i] = 0n; // an undefined local is only ever the null-like filler some assemblers emit
        continue;
      }
      const v = resolveExternal(s.name);
      if (v !== undefined) symAddr[i] = BigInt.asUintN(64, v);
      else if (s.bind === 'weak') symAddr[i] = 0n;
      else if (!unknown.includes(s.name)) unknown.push(s.name);
    } else if (s.shndx === SHN_ABS) {
      symAddr[i] = s.value;
    } else if (s.shndx === SHN_COMMON) {
      fail(`symbol ${s.name} is a common symbol (SHN_COMMON): compile the module with -fno-common`);
    } else if (s.shndx >= obj.sections.length) {
      fail(`symbol ${s.name || i}: unsupported special section index ${hx(s.shndx)}`);
    } else {
      const at = placed.get(s.shndx);
      symAddr[i] = at === undefined ? undefined : BigInt.asUintN(64, at + s.value); // undefined: lives in an unplaced section
    }
  }
  if (unknown.length > 0) fail(`unknown symbol${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);

  // --- relocations (apply_relocate_add) ---
  const symtab = obj.sections.find((s) => s.type === SHT_SYMTAB);
  for (const rs of obj.sections) {
    if (rs.type !== SHT_RELA && rs.type !== SHT_REL) continue;
    const rl = secLabel(rs);
    if (rs.info === 0 || rs.info >= obj.sections.length) fail(`relocation section ${rl}: sh_info ${rs.info} does not name a section`);
    const target = obj.sections[rs.info];
    const tAddr = placed.get(target.index);
    if (tAddr === undefined) continue; // relocations of debug info, .comment, ...: not loaded, not applied
    const tl = secLabel(target);
    if (rs.type === SHT_REL) fail(`relocation section ${rl}: SHT_REL is not used on x86-64 (expected SHT_RELA)`);
    if (!symtab || rs.link !== symtab.index) fail(`relocation section ${rl}: sh_link ${rs.link} is not the symbol table`);
    if (rs.entsize !== RELA_SIZE) fail(`relocation section ${rl}: sh_entsize is ${rs.entsize}, expected ${RELA_SIZE}`);
    if (rs.size % RELA_SIZE !== 0) fail(`relocation section ${rl}: size ${hx(rs.size)} is not a multiple of ${RELA_SIZE}`);
    if (target.type === SHT_NOBITS && rs.size > 0) fail(`relocation section ${rl} relocates ${tl}, which is SHT_NOBITS`);
    const rdv = new DataView(rs.data.buffer, rs.data.byteOffset, rs.data.byteLength);
    const n = rs.size / RELA_SIZE;
    for (let k = 0; k < n; k++) {
      const rOffset = rdv.getBigUint64(k * RELA_SIZE, true);
      const rInfo = rdv.getBigUint64(k * RELA_SIZE + 8, true);
      const addend = rdv.getBigInt64(k * RELA_SIZE + 16, true);
      const type = Number(rInfo & 0xffffffffn);
      const symIdx = rInfo >> 32n;
      const where = `${tl}+${hx(rOffset)}`;
      if (type === R_X86_64_NONE) continue;
      if (symIdx >= BigInt(obj.symbols.length)) {
        fail(`relocation ${k} in ${rl} (at ${where}): symbol index ${symIdx} is past the ${obj.symbols.length} symbols`);
      }
      const sym = obj.symbols[Number(symIdx)];
      const symName = sym.name || (sym.type === 'section' && sym.shndx < obj.sections.length ? secLabel(obj.sections[sym.shndx]) : `symbol ${symIdx}`);
      let width: number;
      switch (type) {
        case R_X86_64_64:
          width = 8;
          break;
        case R_X86_64_PC32:
        case R_X86_64_PLT32:
        case R_X86_64_32:
        case R_X86_64_32S:
          width = 4;
          break;
        default:
          fail(`unsupported relocation type ${type} (${relocName(type)}) at ${where} against ${symName}`);
      }
      if (rOffset + BigInt(width) > BigInt(target.size)) {
        fail(`relocation ${relocName(type)} at ${where} against ${symName}: ${width} bytes at offset ${hx(rOffset)} run past the end of ${tl} (${hx(target.size)} bytes)`);
      }
      const S = symAddr[Number(symIdx)];
      if (S === undefined) {
        const home = sym.shndx < obj.sections.length ? secLabel(obj.sections[sym.shndx]) : hx(sym.shndx);
        fail(`relocation ${relocName(type)} at ${where} refers to ${symName} in ${home}, a section that is not loaded`);
      }
      const off = Number(tAddr - base + rOffset);
      for (let b = 0; b < width; b++) {
        if (bytes[off + b] !== 0) {
          fail(`relocation ${relocName(type)} at ${where} against ${symName}: the target bytes are not zero (relocated twice?)`);
        }
      }
      const P = tAddr + rOffset;
      const overflow = (v: bigint, field: string): never =>
        fail(`relocation ${relocName(type)} at ${where} against ${symName} overflows: value ${v < 0n ? '-' + hx(-v) : hx(v)} does not fit in ${field}`);
      switch (type) {
        case R_X86_64_64:
          dv.setBigUint64(off, BigInt.asUintN(64, S + addend), true);
          break;
        case R_X86_64_32: {
          const v = BigInt.asUintN(64, S + addend);
          if (v > 0xffffffffn) overflow(v, 'a zero-extended 32-bit field');
          dv.setUint32(off, Number(v), true);
          break;
        }
        case R_X86_64_32S: {
          const v = BigInt.asIntN(64, S + addend);
          if (v < -(1n << 31n) || v >= 1n << 31n) overflow(BigInt.asUintN(64, v), 'a sign-extended 32-bit field');
          dv.setInt32(off, Number(v), true);
          break;
        }
        default: {
          // PC32 and PLT32: the module calls the image directly, as the kernel's modules do within +-2 GiB.
          const v = BigInt.asIntN(64, S + addend - P);
          if (v < -(1n << 31n) || v >= 1n << 31n) overflow(v, `a signed 32-bit displacement from ${hx(P)}`);
          dv.setInt32(off, Number(v), true);
        }
      }
    }
  }

  // --- text ranges ---
  const textRanges: { addr: bigint; size: number }[] = [];
  for (const { sec, addr } of laid) {
    if ((sec.flags & SHF_EXECINSTR) === 0n || sec.size === 0) continue;
    const last = textRanges[textRanges.length - 1];
    if (last && last.addr + BigInt(last.size) === addr) last.size += sec.size;
    else textRanges.push({ addr, size: sec.size });
  }

  // --- __mcount_loc (ftrace_module_init reads mod->ftrace_callsites) ---
  const mcountLoc: bigint[] = [];
  const ms = obj.section('__mcount_loc');
  if (ms) {
    const at = placed.get(ms.index);
    if (at === undefined) fail('__mcount_loc is not an allocated (SHF_ALLOC) section with contents');
    if (ms.type === SHT_NOBITS) fail('__mcount_loc: section is SHT_NOBITS (has no contents)');
    if (ms.size % 8 !== 0) fail(`__mcount_loc: size ${hx(ms.size)} is not a multiple of 8`);
    for (let i = 0; i < ms.size / 8; i++) {
      const a = dv.getBigUint64(Number(at - base) + i * 8, true);
      if (!textRanges.some((t) => a >= t.addr && a < t.addr + BigInt(t.size))) {
        fail(`__mcount_loc: entry ${i} is ${hx(a)}, which is not inside the module's text`);
      }
      mcountLoc.push(a);
    }
  }

  // --- exported view of symbols ---
  const symbols: ElfSymbol[] = [];
  for (let i = 1; i < obj.symbols.length; i++) {
    const s = obj.symbols[i];
    const v = symAddr[i];
    if (s.type === 'file' || s.shndx === SHN_UNDEF || v === undefined) continue;
    symbols.push({ ...s, value: v });
  }

  return {
    name: moduleName(file),
    base,
    size,
    bytes,
    sections: laid.map(({ sec, addr }) => ({ name: sec.name, addr, size: sec.size, flags: sec.flags })),
    symbols,
    mcountLoc,
    textRanges,
  };
}
