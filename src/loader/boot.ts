// Boot loader: maps an ELF executable's segments into a machine and sets CPU 0 up at its entry point.

import type { ElfImage } from './elf.js';
import { ElfError } from './elf.js';
import { Machine } from '../machine/machine.js';
import { PERM_R, PERM_W, PERM_X, addrToNum, MemoryError } from '../machine/memory.js';
import { RSP } from '../machine/x86/cpu.js';

/** The boot stack every image gets: 1 MiB in the vmalloc-like area, clear of any linked image. */
export const BOOT_STACK_BASE = 0xffffc90000000000n;
export const BOOT_STACK_SIZE = 1 << 20;

const PT_LOAD = 1;

/**
 * Map every PT_LOAD segment with its permissions (text stays read-only + executable), map the boot
 * stack, create the CPUs, and start CPU 0 at the entry point with interrupts off and rsp at the top
 * of the stack minus 8 (as if `startup` had been called).
 */
export function bootImage(m: Machine, img: ElfImage): void {
  if (img.kind !== 'exec') throw new ElfError(img.file, 'not an executable (ET_EXEC): cannot boot a relocatable object; load it as a module');
  const loads = img.segments.filter((s) => s.type === PT_LOAD && s.memsz > 0);
  if (loads.length === 0) throw new ElfError(img.file, 'no PT_LOAD segment to boot');
  for (const [i, s] of loads.entries()) {
    const perm = (s.flags & 4 ? PERM_R : 0) | (s.flags & 2 ? PERM_W : 0) | (s.flags & 1 ? PERM_X : 0);
    const names = img.sections.filter((sec) => sec.addr >= s.vaddr && sec.addr < s.vaddr + BigInt(s.memsz) && sec.size > 0 && (sec.flags & 2n)).map((sec) => sec.name);
    const name = `segment ${i} (${names.join(' ') || 'no sections'})`;
    try {
      const r = m.mem.map(name, s.vaddr, s.memsz, perm);
      r.bytes.set(s.data.subarray(0, s.filesz), 0);
    } catch (e) {
      if (e instanceof MemoryError) throw new ElfError(img.file, e.message);
      throw e;
    }
  }
  const entry = addrToNum(img.entry);
  const er = m.mem.find(entry);
  if (!er || !(er.perm & PERM_X)) {
    throw new ElfError(img.file, `entry point 0x${img.entry.toString(16)} is not inside an executable segment`);
  }
  try {
    m.mem.map('boot stack', BOOT_STACK_BASE, BOOT_STACK_SIZE, PERM_R | PERM_W);
  } catch (e) {
    if (e instanceof MemoryError) throw new ElfError(img.file, `image overlaps the boot stack: ${e.message}`);
    throw e;
  }
  startCpus(m, img.entry);
}

/** Create the CPUs: CPU 0 at `entry` on the boot stack with interrupts off; the others wait for SMP boot. */
function startCpus(m: Machine, entry: bigint): void {
  m.createCpus();
  const cpu0 = m.cpus[0];
  cpu0.setRip(entry);
  cpu0.setReg(RSP, BOOT_STACK_BASE + BigInt(BOOT_STACK_SIZE) - 8n);
  cpu0.setFlags(0x2); // IF clear
  for (const c of m.cpus.slice(1)) c.halted = true; // secondary CPUs wait for HC_SMP_BOOT
}

export interface RawRegion {
  name: string;
  addr: bigint;
  bytes: Uint8Array;
  /** extra zeroed bytes after `bytes` */
  size?: number;
  perm: number;
}

/** Boot code that is not an ELF file (generated test programs): map the regions and start at `entry`. */
export function bootRaw(m: Machine, regions: RawRegion[], entry: bigint): void {
  for (const r of regions) {
    const reg = m.mem.map(r.name, r.addr, Math.max(r.size ?? 0, r.bytes.length), r.perm);
    reg.bytes.set(r.bytes);
  }
  m.mem.map('boot stack', BOOT_STACK_BASE, BOOT_STACK_SIZE, PERM_R | PERM_W);
  startCpus(m, entry);
}
