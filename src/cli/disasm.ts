// `ftsim disasm`: objdump -d style listing of executable sections, with __mcount_loc call sites marked.

import { parseElf, ElfError, type ElfImage, type ElfSection, type ElfSymbol } from '../loader/elf.js';
import { SymbolTable } from '../loader/symbols.js';
import { decode } from '../machine/x86/decode.js';
import { formatInsn } from '../machine/x86/format.js';
import { addrToNum, numToAddr } from '../machine/memory.js';

const SHF_ALLOC = 2n;
const SHF_EXECINSTR = 4n;
const SHT_PROGBITS = 1;
const SHN_ABS = 0xfff1;

/** The marker appended to instructions recorded in __mcount_loc. */
export const MCOUNT_MARK = '# __mcount_loc';

/** objdump's address column: the leading zeros every address of the section shares (in whole nibble groups of 4) become spaces. */
function addrColumn(sectionEnd: bigint): (a: bigint) => string {
  const endText = sectionEnd.toString(16).padStart(16, '0');
  let zeros = 0;
  while (zeros < 16 && endText[zeros] === '0') zeros++;
  const skip = zeros === 0 ? 0 : (zeros - 1) & ~3;
  return (a: bigint): string => {
    const t = a.toString(16).padStart(16, '0').slice(skip);
    const digits = t.replace(/^0+/, '');
    return (digits === '' ? '0' : digits).padStart(t.length, ' ');
  };
}

function isLabel(s: ElfSymbol): boolean {
  return s.shndx !== 0 && s.name !== '' && (s.type === 'func' || s.type === 'notype' || s.type === 'object');
}

/**
 * Names addresses of one section of a relocatable object as objdump does: every section starts at 0, so only
 * the section's own symbols count (the nearest one at or below), else the section's name.
 */
function sectionSymbols(img: ElfImage, sec: ElfSection): (a: bigint) => string {
  const syms = img.symbols.filter((s) => s.shndx === sec.index && isLabel(s))
    .sort((x, y) => (x.value < y.value ? -1 : x.value > y.value ? 1 : (x.type === 'func' ? 0 : 1) - (y.type === 'func' ? 0 : 1)));
  return (a: bigint): string => {
    let best: ElfSymbol | undefined;
    for (const s of syms) {
      if (s.value > a) break;
      if (best === undefined || s.value > best.value) best = s;
    }
    const name = best?.name ?? sec.name;
    const off = a - (best?.value ?? 0n);
    return off === 0n ? name : `${name}+0x${off.toString(16)}`;
  };
}

export function disasmCommand(bytes: Uint8Array, file: string, only?: string): string {
  const img = parseElf(bytes, file);
  const rel = img.kind === 'rel';
  const syms = SymbolTable.fromImage(img);
  const mcount = new Set(img.mcountLoc.map((a) => a.toString()));
  let range: [bigint, bigint] | undefined;
  let onlySec: number | undefined;
  if (only !== undefined) {
    const s = img.symbol(only);
    if (!s || s.shndx === 0) throw new ElfError(file, `no symbol named '${only}'`);
    const home = img.sections.find((x) => x.index === s.shndx);
    if (home === undefined || (home.flags & SHF_EXECINSTR) === 0n) {
      const where = home ? `section ${home.name}` : s.shndx === SHN_ABS ? 'no section (an absolute symbol)' : 'no disassembled section';
      throw new ElfError(file, `'${only}' is a data symbol in ${where}, not code: disasm lists executable sections only`);
    }
    range = [s.value, s.value + BigInt(Math.max(1, s.size))];
    onlySec = s.shndx;
  }
  const out: string[] = [`\n${file}:     file format elf64-x86-64\n`];
  for (const sec of img.sections) {
    if (sec.type !== SHT_PROGBITS || (sec.flags & (SHF_ALLOC | SHF_EXECINSTR)) !== (SHF_ALLOC | SHF_EXECINSTR) || sec.size === 0) continue;
    if (onlySec !== undefined && rel && sec.index !== onlySec) continue;
    const start = sec.addr;
    const end = sec.addr + BigInt(sec.size);
    if (range && (range[1] <= start || range[0] >= end)) continue;
    // an object's sections all start at 0: labels and names come from the section's own symbols
    const symName = rel ? sectionSymbols(img, sec) : (a: bigint): string | undefined => syms.format(a);
    const symAt = new Map<bigint, string[]>();
    for (const s of img.symbols) {
      if (!isLabel(s) || (rel && s.shndx !== sec.index)) continue;
      const l = symAt.get(s.value) ?? [];
      l.push(s.name);
      symAt.set(s.value, l);
    }
    const col = addrColumn(end);
    out.push(`\nDisassembly of section ${sec.name}:`);
    let off = range && range[0] > start ? Number(range[0] - start) : 0;
    const stop = range && range[1] < end ? Number(range[1] - start) : sec.size;
    while (off < stop) {
      const addr = start + BigInt(off);
      const names = symAt.get(addr);
      if (names) for (const n of names) out.push(`\n${addr.toString(16).padStart(16, '0')} <${n}>:`);
      const d = decode(sec.data, off, sec.size - off, addrToNum(addr));
      const len = Math.max(1, d.len);
      const raw = Array.from(sec.data.subarray(off, off + len), (b) => b.toString(16).padStart(2, '0'));
      const text = formatInsn(d, symName);
      const mark = !rel && mcount.has(addr.toString()) ? `   ${MCOUNT_MARK}` : '';
      const a = numToAddr(addrToNum(addr));
      out.push(`${col(a)}:\t${raw.slice(0, 7).join(' ').padEnd(21)}\t${text}${mark}`);
      for (let i = 7; i < raw.length; i += 7) {
        out.push(`${col(addr + BigInt(i))}:\t${raw.slice(i, i + 7).join(' ')} `);
      }
      off += len;
    }
  }
  return out.join('\n') + '\n';
}
