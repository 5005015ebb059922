// `ftsim disasm`: objdump -d style listing of executable sections, with __mcount_loc call sites marked.

import { parseElf, ElfError } from '../loader/elf.js';
import { SymbolTable } from '../loader/symbols.js';
import { decode } from '../machine/x86/decode.js';
import { formatInsn } from '../machine/x86/format.js';
import { addrToNum, numToAddr } from '../machine/memory.js';

const SHF_ALLOC = 2n;
const SHF_EXECINSTR = 4n;
const SHT_PROGBITS = 1;

/** The marker appended to instructions recorded in __mcount_loc. */
export const MCOUNT_MARK = '# __mcount_loc';

export function disasmCommand(bytes: Uint8Array, file: string, only?: string): string {
  const img = parseElf(bytes, file);
  const syms = SymbolTable.fromImage(img);
  const mcount = new Set(img.mcountLoc.map((a) => a.toString()));
  const symAt = new Map<bigint, string[]>();
  for (const s of img.symbols) {
    if (s.shndx === 0 || !(s.type === 'func' || s.type === 'notype' || s.type === 'object') || !s.name) continue;
    const l = symAt.get(s.value) ?? [];
    l.push(s.name);
    symAt.set(s.value, l);
  }
  let range: [bigint, bigint] | undefined;
  if (only !== undefined) {
    const s = img.symbol(only);
    if (!s || s.shndx === 0) throw new ElfError(file, `no symbol named '${only}'`);
    range = [s.value, s.value + BigInt(Math.max(1, s.size))];
  }
  const symName = (a: bigint): string | undefined => syms.format(a);
  const out: string[] = [`\n${file}:     file format elf64-x86-64\n`];
  for (const sec of img.sections) {
    if (sec.type !== SHT_PROGBITS || (sec.flags & (SHF_ALLOC | SHF_EXECINSTR)) !== (SHF_ALLOC | SHF_EXECINSTR) || sec.size === 0) continue;
    const start = sec.addr;
    const end = sec.addr + BigInt(sec.size);
    if (range && (range[1] <= start || range[0] >= end)) continue;
    out.push(`\nDisassembly of section ${sec.name}:\n`);
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
      const mark = mcount.has(addr.toString()) ? `   ${MCOUNT_MARK}` : '';
      const a = numToAddr(addrToNum(addr)).toString(16);
      out.push(`${a}:\t${raw.slice(0, 7).join(' ').padEnd(21)}\t${text}${mark}`);
      for (let i = 7; i < raw.length; i += 7) {
        out.push(`${(addr + BigInt(i)).toString(16)}:\t${raw.slice(i, i + 7).join(' ')} `);
      }
      off += len;
    }
  }
  return out.join('\n') + '\n';
}
