// ELF64 x86-64 reader for kernel images (ET_EXEC) and modules (ET_REL); validates like kernel/module/main.c elf_validity_check.

/** A malformed or unsupported ELF file. The message is `${file}: ${detail}`. */
export class ElfError extends Error {
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ElfError';
  }
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** A view into the file bytes; empty for SHT_NOBITS and SHT_NULL. */
  data: Uint8Array;
}

export interface ElfSegment {
  type: number;
  /** PF_X=1 PF_W=2 PF_R=4 */
  flags: number;
  vaddr: bigint;
  offset: number;
  filesz: number;
  memsz: number;
  align: number;
  /** The filesz bytes of the file that the segment loads (a view). */
  data: Uint8Array;
}

export type ElfSymbolType = 'notype' | 'object' | 'func' | 'section' | 'file' | 'other';
export type ElfSymbolBind = 'local' | 'global' | 'weak' | 'other';

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: number;
  type: ElfSymbolType;
  bind: ElfSymbolBind;
  /** Section index (extended indices resolved through SHT_SYMTAB_SHNDX); SHN_UNDEF, SHN_ABS, SHN_COMMON as in the file. */
  shndx: number;
}

export interface ElfImage {
  file: string;
  kind: 'exec' | 'rel';
  entry: bigint;
  sections: ElfSection[];
  segments: ElfSegment[];
  /** The symbol table in file order: symbols[i] is entry i (entry 0 is the null symbol). Empty when there is no SHT_SYMTAB. */
  symbols: ElfSymbol[];
  /**
   * Addresses of the __fentry__ call sites recorded by -mrecord-mcount (the __mcount_loc section, or the
   * range __start_mcount_loc..__stop_mcount_loc of a kernel-style link), in file order, for an executable;
   * empty for objects (see module.ts).
   */
  mcountLoc: bigint[];
  section(name: string): ElfSection | undefined;
  /** First defined global/weak symbol with that name, else first global/weak, else first local. */
  symbol(name: string): ElfSymbol | undefined;
}

// e_ident
const EI_CLASS = 4;
const EI_DATA = 5;
const EI_VERSION = 6;
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
const EV_CURRENT = 1;

// e_type
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const EM_X86_64 = 62;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_SYMTAB_SHNDX = 18;

export const SHF_WRITE = 0x1n;
export const SHF_ALLOC = 0x2n;
export const SHF_EXECINSTR = 0x4n;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
const PN_XNUM = 0xffff;

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;

const TWO64 = 1n << 64n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const MACHINES: Record<number, string> = {
  0: 'EM_NONE',
  2: 'SPARC',
  3: 'Intel 80386',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 'IBM S/390',
  40: 'ARM',
  43: 'SPARC v9',
  50: 'IA-64',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
  258: 'LoongArch',
};

const SEGMENT_TYPES: Record<number, string> = {
  0: 'PT_NULL',
  1: 'PT_LOAD',
  2: 'PT_DYNAMIC',
  3: 'PT_INTERP',
  4: 'PT_NOTE',
  5: 'PT_SHLIB',
  6: 'PT_PHDR',
  7: 'PT_TLS',
  0x6474e550: 'PT_GNU_EH_FRAME',
  0x6474e551: 'PT_GNU_STACK',
  0x6474e552: 'PT_GNU_RELRO',
  0x6474e553: 'PT_GNU_PROPERTY',
};

/** "0x1f" */
export function hx(v: number | bigint): string {
  return '0x' + v.toString(16);
}

function segmentTypeName(t: number): string {
  return SEGMENT_TYPES[t] ?? `type ${hx(t)}`;
}

const utf8 = new TextDecoder('utf-8');

/** Bounds-checked little-endian reads; every caller checks ranges first, this is the backstop. */
class Reader {
  private readonly dv: DataView;
  constructor(private readonly bytes: Uint8Array, private readonly file: string) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(off: number, n: number): void {
    if (!Number.isSafeInteger(off) || off < 0 || off + n > this.bytes.length) {
      throw new ElfError(this.file, `internal error: unchecked read of ${n} bytes at offset ${hx(off)} past the end (${hx(this.bytes.length)} bytes)`);
    }
  }
  u8(off: number): number {
    this.check(off, 1);
    return this.dv.getUint8(off);
  }
  u16(off: number): number {
    this.check(off, 2);
    return this.dv.getUint16(off, true);
  }
  u32(off: number): number {
    this.check(off, 4);
    return this.dv.getUint32(off, true);
  }
  u64(off: number): bigint {
    this.check(off, 8);
    return this.dv.getBigUint64(off, true);
  }
}

interface RawSection {
  name: number;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: bigint;
  size: bigint;
  link: number;
  info: number;
  addralign: bigint;
  entsize: bigint;
}

/** Is v zero or a power of two? */
function isPow2OrZero(v: bigint): boolean {
  return (v & (v - 1n)) === 0n;
}

/** Parse and validate an ELF64 x86-64 executable or relocatable object. Throws ElfError, and nothing else, on any input. */
export function parseElf(bytes: Uint8Array, file: string): ElfImage {
  try {
    return parse(bytes, file);
  } catch (e) {
    if (e instanceof ElfError) throw e;
    // A bug in this parser, never the input's fault alone: still report it as the input's error, with the cause.
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new ElfError(file, `internal error while parsing (please report): ${what}`);
  }
}

function parse(bytes: Uint8Array, file: string): ElfImage {
  const len = bytes.length;
  function fail(detail: string): never {
    throw new ElfError(file, detail);
  }
  const r = new Reader(bytes, file);
  const eof = `end of file (${hx(len)} bytes)`;

  // --- identification ---
  if (len === 0) fail('not an ELF file: the file is empty');
  const magic = [0x7f, 0x45, 0x4c, 0x46];
  for (let i = 0; i < 4; i++) {
    if (i >= len || bytes[i] !== magic[i]) {
      const shown = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      fail(`not an ELF file: bad magic ${shown} (expected 7f 45 4c 46)`);
    }
  }
  if (len < 16) fail(`truncated: ELF identification needs 16 bytes, file has ${len}`);
  const cls = bytes[EI_CLASS];
  if (cls !== ELFCLASS64) {
    if (cls === ELFCLASS32) fail('not a 64-bit ELF: EI_CLASS is 1 (ELFCLASS32); only ELFCLASS64 x86-64 files are supported');
    fail(`not a 64-bit ELF: EI_CLASS is ${cls} (invalid), expected 2 (ELFCLASS64)`);
  }
  const data = bytes[EI_DATA];
  if (data !== ELFDATA2LSB) {
    if (data === ELFDATA2MSB) fail('not a little-endian ELF: EI_DATA is 2 (ELFDATA2MSB, big endian), expected 1 (ELFDATA2LSB)');
    fail(`not a little-endian ELF: EI_DATA is ${data} (invalid), expected 1 (ELFDATA2LSB)`);
  }
  if (bytes[EI_VERSION] !== EV_CURRENT) fail(`unsupported ELF version: EI_VERSION is ${bytes[EI_VERSION]}, expected 1 (EV_CURRENT)`);
  if (len < EHDR_SIZE) fail(`truncated: the ELF header needs ${EHDR_SIZE} bytes, file has ${len}`);

  // --- ELF header ---
  const eType = r.u16(16);
  const eMachine = r.u16(18);
  const eVersion = r.u32(20);
  const eEntry = r.u64(24);
  const ePhoff = r.u64(32);
  const eShoff = r.u64(40);
  const eEhsize = r.u16(52);
  const ePhentsize = r.u16(54);
  const ePhnum = r.u16(56);
  const eShentsize = r.u16(58);
  const eShnum = r.u16(60);
  const eShstrndx = r.u16(62);

  if (eMachine !== EM_X86_64) {
    const m = MACHINES[eMachine];
    fail(`not an x86-64 ELF: e_machine is ${eMachine}${m ? ` (${m})` : ''}, expected 62 (x86-64)`);
  }
  let kind: 'exec' | 'rel';
  if (eType === ET_EXEC) kind = 'exec';
  else if (eType === ET_REL) kind = 'rel';
  else if (eType === ET_DYN) {
    fail('e_type is ET_DYN (3): PIE executables and shared objects are not supported; link the image with -no-pie -static');
  } else if (eType === ET_CORE) {
    fail('e_type is ET_CORE (4): a core dump, expected ET_EXEC (2) or ET_REL (1)');
  } else {
    fail(`e_type is ${eType}, expected ET_EXEC (2) or ET_REL (1)`);
  }
  if (eVersion !== EV_CURRENT) fail(`unsupported ELF version: e_version is ${eVersion}, expected 1 (EV_CURRENT)`);
  if (eEhsize !== EHDR_SIZE) fail(`e_ehsize is ${eEhsize}, expected ${EHDR_SIZE}`);

  // --- section header table (read first: extended numbering lives in section 0) ---
  let shnum = 0n;
  let sh0: RawSection | undefined;
  const readShdr = (off: number): RawSection => ({
    name: r.u32(off),
    type: r.u32(off + 4),
    flags: r.u64(off + 8),
    addr: r.u64(off + 16),
    offset: r.u64(off + 24),
    size: r.u64(off + 32),
    link: r.u32(off + 40),
    info: r.u32(off + 44),
    addralign: r.u64(off + 48),
    entsize: r.u64(off + 56),
  });
  if (eShoff === 0n) {
    if (eShnum !== 0) fail(`e_shnum is ${eShnum} but e_shoff is 0 (no section header table)`);
  } else {
    if (eShentsize !== SHDR_SIZE) fail(`e_shentsize is ${eShentsize}, expected ${SHDR_SIZE}`);
    if (eShoff + BigInt(SHDR_SIZE) > BigInt(len)) {
      fail(`truncated: section header table at offset ${hx(eShoff)} (${eShnum} entries x ${SHDR_SIZE} bytes) runs past ${eof}`);
    }
    sh0 = readShdr(Number(eShoff));
    shnum = eShnum !== 0 ? BigInt(eShnum) : sh0.size; // extended section numbering
    if (eShoff + shnum * BigInt(SHDR_SIZE) > BigInt(len)) {
      fail(`truncated: section header table at offset ${hx(eShoff)} (${shnum} entries x ${SHDR_SIZE} bytes) runs past ${eof}`);
    }
  }
  const nsec = Number(shnum);

  // --- program header table ---
  let phnum = ePhnum;
  if (ePhnum === PN_XNUM) {
    if (!sh0) fail(`e_phnum is ${PN_XNUM} (PN_XNUM) but there is no section 0 to hold the real count`);
    phnum = sh0.info;
  }
  if (phnum !== 0) {
    if (ePhentsize !== PHDR_SIZE) fail(`e_phentsize is ${ePhentsize}, expected ${PHDR_SIZE}`);
    if (ePhoff === 0n) fail(`e_phnum is ${phnum} but e_phoff is 0 (no program header table)`);
    if (ePhoff + BigInt(phnum) * BigInt(PHDR_SIZE) > BigInt(len)) {
      fail(`truncated: program header table at offset ${hx(ePhoff)} (${phnum} entries x ${PHDR_SIZE} bytes) runs past ${eof}`);
    }
  }

  // --- sections ---
  const raws: RawSection[] = [];
  for (let i = 0; i < nsec; i++) raws.push(i === 0 && sh0 ? sh0 : readShdr(Number(eShoff) + i * SHDR_SIZE));

  const inFile = (off: bigint, size: bigint): boolean => off + size <= BigInt(len);

  // The section name string table.
  let shstrndx = eShstrndx;
  if (eShstrndx === SHN_XINDEX) {
    if (!sh0) fail(`e_shstrndx is ${SHN_XINDEX} (SHN_XINDEX) but there is no section 0 to hold the real index`);
    shstrndx = sh0.link;
  }
  let shstrtab: Uint8Array | undefined;
  if (shstrndx !== SHN_UNDEF) {
    if (shstrndx >= nsec) fail(`bad e_shstrndx: ${shstrndx}, but there are only ${nsec} sections`);
    const s = raws[shstrndx];
    if (s.type !== SHT_STRTAB) fail(`bad e_shstrndx: section ${shstrndx} has type ${s.type}, expected SHT_STRTAB (3)`);
    if (!inFile(s.offset, s.size)) {
      fail(`section header string table (section ${shstrndx}) at offset ${hx(s.offset)} size ${hx(s.size)} runs past ${eof}`);
    }
    shstrtab = bytes.subarray(Number(s.offset), Number(s.offset + s.size));
  }

  const readString = (table: Uint8Array, index: number, tableName: string, what: string): string => {
    if (index >= table.length) {
      fail(`${what}: string index ${hx(index)} is past the end of ${tableName} (${hx(table.length)} bytes)`);
    }
    const end = table.indexOf(0, index);
    if (end < 0) fail(`${what}: string at index ${hx(index)} in ${tableName} is not NUL-terminated`);
    return utf8.decode(table.subarray(index, end));
  };

  const sections: ElfSection[] = [];
  for (let i = 0; i < nsec; i++) {
    const s = raws[i];
    let name = '';
    if (shstrtab) {
      if (i === 0 && s.type === SHT_NULL) name = '';
      else name = readString(shstrtab, s.name, 'the section header string table', `section ${i} name (sh_name)`);
    }
    const label = `section ${i}${name ? ` (${name})` : ''}`;
    const hasBytes = s.type !== SHT_NOBITS && s.type !== SHT_NULL;
    if (hasBytes && !inFile(s.offset, s.size)) {
      fail(`${label} at offset ${hx(s.offset)} size ${hx(s.size)} runs past ${eof}`);
    }
    if (s.size > MAX_SAFE) fail(`${label}: sh_size ${hx(s.size)} is too large`);
    if (s.offset > MAX_SAFE) fail(`${label}: sh_offset ${hx(s.offset)} is too large`);
    if ((s.flags & SHF_ALLOC) !== 0n && s.addr + s.size > TWO64) {
      fail(`${label}: address range ${hx(s.addr)}+${hx(s.size)} wraps past the end of the 64-bit address space`);
    }
    if (!isPow2OrZero(s.addralign)) fail(`${label}: sh_addralign ${hx(s.addralign)} is not a power of two`);
    if (s.addralign > 1n << 32n) fail(`${label}: sh_addralign ${hx(s.addralign)} is too large`);
    if (s.entsize > 0xffffffffn) fail(`${label}: sh_entsize ${hx(s.entsize)} is too large`);
    if (i !== 0 && (s.type === SHT_SYMTAB || s.type === SHT_RELA || s.type === SHT_REL || s.type === SHT_SYMTAB_SHNDX)) {
      if (s.link >= nsec) fail(`${label}: sh_link ${s.link} is not a section index (${nsec} sections)`);
    }
    sections.push({
      index: i,
      name,
      type: s.type,
      flags: s.flags,
      addr: s.addr,
      offset: Number(s.offset),
      size: Number(s.size),
      link: s.link,
      info: s.info,
      addralign: Number(s.addralign),
      entsize: Number(s.entsize),
      data: hasBytes ? bytes.subarray(Number(s.offset), Number(s.offset + s.size)) : new Uint8Array(0),
    });
  }
  const secLabel = (s: ElfSection): string => (s.name ? s.name : `section ${s.index}`);

  // --- symbols ---
  const symtabs = sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length > 1) fail(`more than one symbol table: sections ${symtabs.map((s) => s.index).join(', ')} are all SHT_SYMTAB`);
  const symbols: ElfSymbol[] = [];
  if (symtabs.length === 1) {
    const st = symtabs[0];
    const stName = `symbol table ${secLabel(st)}`;
    if (st.entsize !== SYM_SIZE) fail(`${stName}: sh_entsize is ${st.entsize}, expected ${SYM_SIZE}`);
    if (st.size % SYM_SIZE !== 0) fail(`${stName}: size ${hx(st.size)} is not a multiple of ${SYM_SIZE}`);
    const strtab = sections[st.link];
    if (st.link === 0 || strtab.type !== SHT_STRTAB) {
      fail(`${stName}: sh_link ${st.link} does not name a string table (section ${st.link} has type ${strtab.type}, expected SHT_STRTAB (3))`);
    }
    const count = st.size / SYM_SIZE;
    if (st.info > count) fail(`${stName}: sh_info ${st.info} (first global symbol) is past the ${count} symbols`);
    // Extended section indices, if any.
    const xsec = sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === st.index);
    if (xsec && xsec.size < count * 4) fail(`extended section index table ${secLabel(xsec)} has ${xsec.size / 4} entries, the symbol table ${count}`);
    const xr = xsec ? new Reader(xsec.data, file) : undefined;
    const strName = `string table ${secLabel(strtab)}`;
    for (let i = 0; i < count; i++) {
      const off = st.offset + i * SYM_SIZE;
      const stNameIdx = r.u32(off);
      const info = r.u8(off + 4);
      let shndx = r.u16(off + 6);
      const value = r.u64(off + 8);
      const size = r.u64(off + 16);
      const name = readString(strtab.data, stNameIdx, strName, `symbol ${i} name (st_name)`);
      const label = `symbol ${i}${name ? ` (${name})` : ''}`;
      if (shndx === SHN_XINDEX) {
        if (!xr) fail(`${label}: st_shndx is SHN_XINDEX but there is no SHT_SYMTAB_SHNDX section`);
        shndx = xr.u32(i * 4);
        if (shndx >= nsec) fail(`${label}: extended section index ${shndx} is not a valid section index (${nsec} sections)`);
      } else if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= nsec) {
        fail(`${label}: st_shndx ${shndx} is not a valid section index (${nsec} sections)`);
      }
      if (size > MAX_SAFE) fail(`${label}: st_size ${hx(size)} is too large`);
      const t = info & 0xf;
      const b = info >> 4;
      symbols.push({
        name,
        value,
        size: Number(size),
        type: t === 0 ? 'notype' : t === 1 ? 'object' : t === 2 ? 'func' : t === 3 ? 'section' : t === 4 ? 'file' : 'other',
        bind: b === 0 ? 'local' : b === 1 ? 'global' : b === 2 ? 'weak' : 'other',
        shndx,
      });
    }
  }

  // --- segments ---
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const off = Number(ePhoff) + i * PHDR_SIZE;
    const type = r.u32(off);
    const flags = r.u32(off + 4);
    const offset = r.u64(off + 8);
    const vaddr = r.u64(off + 16);
    const filesz = r.u64(off + 32);
    const memsz = r.u64(off + 40);
    const align = r.u64(off + 48);
    const label = `segment ${i} (${segmentTypeName(type)})`;
    if (!inFile(offset, filesz)) fail(`${label} at offset ${hx(offset)} filesz ${hx(filesz)} runs past ${eof}`);
    if (filesz > memsz) fail(`${label}: p_filesz ${hx(filesz)} is larger than p_memsz ${hx(memsz)}`);
    if (memsz > MAX_SAFE) fail(`${label}: p_memsz ${hx(memsz)} is too large`);
    if (vaddr + memsz > TWO64) fail(`${label}: address range ${hx(vaddr)}+${hx(memsz)} wraps past the end of the 64-bit address space`);
    if (!isPow2OrZero(align)) fail(`${label}: p_align ${hx(align)} is not a power of two`);
    if (align > MAX_SAFE) fail(`${label}: p_align ${hx(align)} is too large`);
    segments.push({
      type,
      flags,
      vaddr,
      offset: Number(offset),
      filesz: Number(filesz),
      memsz: Number(memsz),
      align: Number(align),
      data: bytes.subarray(Number(offset), Number(offset + filesz)),
    });
  }
  const loads = segments.map((s, i) => ({ s, i })).filter(({ s }) => s.type === PT_LOAD && s.memsz > 0);
  const sorted = [...loads].sort((a, b) => (a.s.vaddr < b.s.vaddr ? -1 : a.s.vaddr > b.s.vaddr ? 1 : a.i - b.i));
  for (let k = 1; k < sorted.length; k++) {
    const p = sorted[k - 1];
    const c = sorted[k];
    const pEnd = p.s.vaddr + BigInt(p.s.memsz);
    if (pEnd > c.s.vaddr) {
      const cEnd = c.s.vaddr + BigInt(c.s.memsz);
      fail(`PT_LOAD segments ${p.i} [${hx(p.s.vaddr)}-${hx(pEnd)}) and ${c.i} [${hx(c.s.vaddr)}-${hx(cEnd)}) overlap`);
    }
  }

  /** The executable PT_LOAD whose file-backed bytes hold [addr, addr+n), if any. */
  const execLoadHolding = (addr: bigint, n: number): ElfSegment | undefined =>
    segments.find((s) => s.type === PT_LOAD && (s.flags & PF_X) !== 0 && addr >= s.vaddr && addr + BigInt(n) <= s.vaddr + BigInt(s.filesz));

  if (kind === 'exec') {
    if (loads.length === 0) fail('executable has no PT_LOAD segment with contents');
    if (!execLoadHolding(eEntry, 1)) fail(`entry point ${hx(eEntry)} is not inside an executable PT_LOAD segment`);
  }

  // --- __mcount_loc ---
  const mcountLoc: bigint[] = [];
  if (kind === 'exec') {
    const collect = (where: string, dataBytes: Uint8Array, baseAddr: bigint | undefined): void => {
      if (dataBytes.length % 8 !== 0) fail(`${where}: size ${hx(dataBytes.length)} is not a multiple of 8`);
      const mr = new Reader(dataBytes, file);
      for (let i = 0; i < dataBytes.length / 8; i++) {
        const a = mr.u64(i * 8);
        if (!execLoadHolding(a, 1)) {
          const at = baseAddr === undefined ? '' : ` at ${hx(baseAddr + BigInt(i * 8))}`;
          fail(`${where}: entry ${i}${at} is ${hx(a)}, which is not inside an executable segment`);
        }
        mcountLoc.push(a);
      }
    };
    const ms = sections.find((s) => s.name === '__mcount_loc');
    if (ms) {
      if (ms.type === SHT_NOBITS) fail('__mcount_loc: section is SHT_NOBITS (has no contents)');
      collect('__mcount_loc', ms.data, (ms.flags & SHF_ALLOC) !== 0n ? ms.addr : undefined);
    } else {
      // A kernel-style link folds __mcount_loc into .init.data between __start_mcount_loc and __stop_mcount_loc.
      const start = symbols.find((s) => s.name === '__start_mcount_loc' && s.shndx !== SHN_UNDEF);
      const stop = symbols.find((s) => s.name === '__stop_mcount_loc' && s.shndx !== SHN_UNDEF);
      if (start && stop) {
        if (stop.value < start.value) fail(`__stop_mcount_loc ${hx(stop.value)} is below __start_mcount_loc ${hx(start.value)}`);
        const n = stop.value - start.value;
        const seg = segments.find((s) => s.type === PT_LOAD && start.value >= s.vaddr && stop.value <= s.vaddr + BigInt(s.filesz));
        if (!seg) fail(`__start_mcount_loc..__stop_mcount_loc [${hx(start.value)}-${hx(stop.value)}) is not inside the file bytes of one PT_LOAD segment`);
        const from = Number(start.value - seg.vaddr);
        collect('__start_mcount_loc..__stop_mcount_loc', seg.data.subarray(from, from + Number(n)), start.value);
      }
    }
  }

  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (s.name && !byName.has(s.name)) byName.set(s.name, s);
  let symIndex: Map<string, ElfSymbol> | undefined;
  const rank = (s: ElfSymbol): number =>
    s.bind === 'global' || s.bind === 'weak' ? (s.shndx !== SHN_UNDEF ? 0 : 1) : s.bind === 'local' ? 2 : 3;

  return {
    file,
    kind,
    entry: eEntry,
    sections,
    segments,
    symbols,
    mcountLoc,
    section(name: string): ElfSection | undefined {
      return byName.get(name);
    },
    symbol(name: string): ElfSymbol | undefined {
      if (!symIndex) {
        symIndex = new Map();
        for (const s of symbols) {
          if (!s.name || s.type === 'file' || s.type === 'section') continue;
          const prev = symIndex.get(s.name);
          if (!prev || rank(s) < rank(prev)) symIndex.set(s.name, s);
        }
      }
      return symIndex.get(name);
    },
  };
}
