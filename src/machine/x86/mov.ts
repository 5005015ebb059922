// Data movement: mov, lea, movzx, movsx/movsxd, xchg, cbw/cwde/cdqe, cwd/cdq/cqo, and their fast paths.

import { Insn, NO_REG } from './insn.js';
import { RAX, RDX, type Cpu } from './cpu.js';

/** mov between registers, memory and immediates, any width. */
export function execMov(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  let vlo: number, vhi = 0;
  if (d.rmIsDst) {
    if (d.reg !== NO_REG) { vlo = c.rdReg(d.reg, size); vhi = c.tHi; }
    else { vlo = d.immLo; vhi = d.immHi; }
    if (d.rm !== NO_REG) c.wrReg(d.rm, size, vlo, vhi);
    else c.wr(c.ea(d), size, vlo, vhi);
  } else {
    vlo = c.rdRm(d, size); vhi = c.tHi;
    c.wrReg(d.reg, size, vlo, vhi);
  }
}

/** Fast path: mov between 64-bit registers, either direction. */
export function hMovRR64(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const src = d.rmIsDst ? d.reg : d.rm, dst = d.rmIsDst ? d.rm : d.reg;
  c.lo[dst] = c.lo[src];
  c.hi[dst] = c.hi[src];
}

/** Fast path: mov between 32-bit registers (zero-extends). */
export function hMovRR32(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const src = d.rmIsDst ? d.reg : d.rm, dst = d.rmIsDst ? d.rm : d.reg;
  c.lo[dst] = c.lo[src];
  c.hi[dst] = 0;
}

/** Fast path: an immediate into a 32- or 64-bit register. */
export function hMovImm(c: Cpu, d: Insn): void {
  c.rip = d.next;
  c.lo[d.rm] = d.immLo;
  c.hi[d.rm] = d.size === 8 ? d.immHi : 0;
}

/** Fast path: a 64-bit load (no segment prefix). */
export function hLoad64(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const v = c.rd(c.ea(d), 8);
  c.lo[d.reg] = v;
  c.hi[d.reg] = c.tHi;
}

/** Fast path: a 32-bit load (no segment prefix). */
export function hLoad32(c: Cpu, d: Insn): void {
  c.rip = d.next;
  c.lo[d.reg] = c.rd(c.ea(d), 4);
  c.hi[d.reg] = 0;
}

/** Fast path: a store of a register (not ah..bh) of any width (no segment prefix). */
export function hStore(c: Cpu, d: Insn): void {
  c.rip = d.next;
  c.wr(c.ea(d), d.size, c.lo[d.reg], c.hi[d.reg]);
}

/** Fast path: a store of an immediate (no segment prefix). */
export function hStoreImm(c: Cpu, d: Insn): void {
  c.rip = d.next;
  c.wr(c.ea(d), d.size, d.immLo, d.immHi);
}

/** lea: the address computation without a segment base, at any width. */
export function execLea(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const lo = c.lea(d);
  c.wrReg(d.reg, d.size, lo, c.tHi);
}

/** Fast path: lea into a 64-bit register. */
export function hLea64(c: Cpu, d: Insn): void {
  c.rip = d.next;
  c.lo[d.reg] = c.lea(d);
  c.hi[d.reg] = c.tHi;
}

export function execMovzx(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const v = c.rdRm(d, d.srcSize);
  c.wrReg(d.reg, d.size, v, 0);
}

/** Fast path: movzx from memory into a 32/64-bit register (no segment prefix). */
export function hLoadZx(c: Cpu, d: Insn): void {
  c.rip = d.next;
  c.lo[d.reg] = c.rd(c.ea(d), d.srcSize);
  c.hi[d.reg] = 0;
}

/** Fast path: movzx from a register (ah..bh too) into a 32/64-bit register. */
export function hMovzxReg(c: Cpu, d: Insn): void {
  c.rip = d.next;
  c.lo[d.reg] = c.rdReg(d.rm, d.srcSize);
  c.hi[d.reg] = 0;
}

/** movsx, movsxd */
export function execMovsx(c: Cpu, d: Insn): void {
  c.rip = d.next;
  let v = c.rdRm(d, d.srcSize);
  const sh = 32 - d.srcSize * 8;
  v = sh ? (v << sh) >> sh : v | 0;
  c.wrReg(d.reg, d.size, v >>> 0, v < 0 ? -1 : 0);
}

/** Fast path: movsxd or movsx from a register into a 64-bit register. */
export function hMovsxReg64(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const sh = 32 - d.srcSize * 8;
  const v = c.rdReg(d.rm, d.srcSize);
  const s = sh ? (v << sh) >> sh : v | 0;
  c.lo[d.reg] = s >>> 0;
  c.hi[d.reg] = s < 0 ? -1 : 0;
}

export function execXchg(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const a = c.rdReg(d.reg, size); const ah = c.tHi;
  if (d.rm !== NO_REG) {
    const b = c.rdReg(d.rm, size); const bh = c.tHi;
    c.wrReg(d.rm, size, a, ah);
    c.wrReg(d.reg, size, b, bh);
  } else {
    const addr = c.ea(d);
    const b = c.rd(addr, size); const bh = c.tHi;
    c.wr(addr, size, a, ah);
    c.wrReg(d.reg, size, b, bh);
  }
}

/** cbw / cwde / cdqe: sign-extend the lower half of the accumulator. */
export function execCbw(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  if (size === 2) { const v = (c.lo[RAX] << 24) >> 24; c.wrReg(RAX, 2, v & 0xffff, 0); }
  else if (size === 4) { const v = (c.lo[RAX] << 16) >> 16; c.wrReg(RAX, 4, v >>> 0, 0); }
  else { const v = c.lo[RAX] | 0; c.hi[RAX] = v < 0 ? -1 : 0; }
}

/** cwd / cdq / cqo: fill rdx with the accumulator's sign. */
export function execCwd(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  if (size === 2) c.wrReg(RDX, 2, (c.lo[RAX] & 0x8000) ? 0xffff : 0, 0);
  else if (size === 4) c.wrReg(RDX, 4, (c.lo[RAX] & 0x80000000) ? 0xffffffff : 0, 0);
  else { const s = c.hi[RAX] < 0 ? -1 : 0; c.lo[RDX] = s; c.hi[RDX] = s; }
}
