// The ALU: one implementation of add, or, adc, sbb, and, sub, xor, cmp, test at every width, and the instructions built on it.

import { Insn, Op, NO_REG } from './insn.js';
import { RAX, type Cpu } from './cpu.js';
import { Lazy, MASK, getCF } from './flags.js';
import { L } from '../arena.js';

const TWO32 = 4294967296;

/**
 * Two-operand ALU operation at `size` bytes (ADD, OR, ADC, SBB, AND, SUB, XOR; CMP computes as SUB and
 * TEST as AND). Operands are split in low (unsigned) and high (signed) 32 bits; the high halves are
 * ignored below 8 bytes. Returns the result's low 32 bits, its high 32 in `c.tHi`, and leaves the
 * flags lazily pending (`cin` is set only where it is read: ADC, SBB).
 */
export function alu(c: Cpu, op: Op, size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
  let lo: number, hi: number, kind: Lazy;
  switch (op) {
    case Op.ADD: lo = aLo + bLo; hi = (aHi + bHi + (lo >= TWO32 ? 1 : 0)) | 0; kind = Lazy.ADD; break;
    case Op.SUB: case Op.CMP: lo = aLo - bLo; hi = (aHi - bHi - (lo < 0 ? 1 : 0)) | 0; kind = Lazy.SUB; break;
    case Op.AND: case Op.TEST: lo = aLo & bLo; hi = aHi & bHi; kind = Lazy.LOGIC; break;
    case Op.OR: lo = aLo | bLo; hi = aHi | bHi; kind = Lazy.LOGIC; break;
    case Op.XOR: lo = aLo ^ bLo; hi = aHi ^ bHi; kind = Lazy.LOGIC; break;
    case Op.ADC: {
      const cf = getCF(c);
      lo = aLo + bLo + cf; hi = (aHi + bHi + (lo >= TWO32 ? 1 : 0)) | 0; kind = Lazy.ADC; c.cin = cf;
      break;
    }
    default: { // SBB
      const cf = getCF(c);
      lo = aLo - bLo - cf; hi = (aHi - bHi - (lo < 0 ? 1 : 0)) | 0; kind = Lazy.SBB; c.cin = cf;
    }
  }
  if (size === 8) {
    lo >>>= 0;
  } else {
    lo = size === 4 ? lo >>> 0 : lo & MASK[size];
    hi = 0; aHi = 0; bHi = 0;
  }
  // the lazy-flag words in the CPU's slot (as signed words: the same bits)
  const li = c.li;
  li[L.LK] = kind; li[L.LSZ] = size;
  li[L.RLO] = lo; li[L.RHI] = hi; li[L.ALO] = aLo; li[L.AHI] = aHi; li[L.BLO] = bLo; li[L.BHI] = bHi;
  c.tHi = hi;
  return lo;
}

/** add, or, adc, sbb, and, sub, xor, cmp, test: any width, with register, memory or immediate operands. */
export function execAlu(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  let aLo: number, aHi = 0, bLo: number, bHi = 0;
  let addr = 0;
  const mem = d.rm === NO_REG;
  if (d.rmIsDst || d.op === Op.TEST) {
    if (mem) { addr = c.ea(d); aLo = c.rd(addr, size); } else aLo = c.rdReg(d.rm, size);
    aHi = c.tHi;
    if (d.reg !== NO_REG) { bLo = c.rdReg(d.reg, size); bHi = c.tHi; }
    else { bLo = size === 8 ? d.immLo : (d.immLo & MASK[size]) >>> 0; bHi = d.immHi; }
    const r = alu(c, d.op, size, aLo, aHi, bLo, bHi);
    if (d.op === Op.CMP || d.op === Op.TEST) return;
    const rh = c.tHi;
    if (mem) c.wr(addr, size, r, rh); else c.wrReg(d.rm, size, r, rh);
  } else {
    aLo = c.rdReg(d.reg, size); aHi = c.tHi;
    bLo = c.rdRm(d, size); bHi = c.tHi;
    const r = alu(c, d.op, size, aLo, aHi, bLo, bHi);
    if (d.op === Op.CMP) return;
    c.wrReg(d.reg, size, r, c.tHi);
  }
}

/** Fast path of execAlu: 32- or 64-bit registers, or a register and an immediate (no memory). */
export function hAluReg(c: Cpu, d: Insn): void {
  c.rip = d.next;
  let dst: number, bLo: number, bHi: number;
  if (d.rmIsDst || d.op === Op.TEST) {
    dst = d.rm;
    if (d.reg !== NO_REG) { bLo = c.lo[d.reg]; bHi = c.hi[d.reg]; } else { bLo = d.immLo; bHi = d.immHi; }
  } else {
    dst = d.reg;
    bLo = c.lo[d.rm]; bHi = c.hi[d.rm];
  }
  const size = d.size;
  const lo = alu(c, d.op, size, c.lo[dst], c.hi[dst], bLo, bHi);
  if (d.op !== Op.CMP && d.op !== Op.TEST) { c.lo[dst] = lo; c.hi[dst] = c.tHi; }
}

/** Fast path of execAlu: a 1- or 2-byte register (ah..bh too) with a register or an immediate. */
export function hAluRegSmall(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size, op = d.op;
  let dst: number, bLo: number;
  if (d.rmIsDst || op === Op.TEST) {
    dst = d.rm;
    bLo = d.reg !== NO_REG ? c.rdReg(d.reg, size) : (d.immLo & MASK[size]) >>> 0;
  } else {
    dst = d.reg;
    bLo = c.rdReg(d.rm, size);
  }
  const r = alu(c, op, size, c.rdReg(dst, size), 0, bLo, 0); // below 8 bytes alu ignores the high halves
  if (op !== Op.CMP && op !== Op.TEST) c.wrReg(dst, size, r, 0);
}

/** Fast path of execAlu: a 32- or 64-bit register combined with memory into the register (`xor (%rdi),%eax`). */
export function hAluLoad(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size, reg = d.reg;
  const bLo = c.rd(c.ea(d), size);
  const r = alu(c, d.op, size, c.lo[reg], c.hi[reg], bLo, c.tHi);
  if (d.op !== Op.CMP) { c.lo[reg] = r; c.hi[reg] = c.tHi; }
}

/**
 * Fast path of execAlu: any other memory form (not locked: those stay generic), at any width: memory
 * with a register or an immediate into memory, test and cmp against memory, a small register from memory.
 */
export function hAluMem(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size, op = d.op;
  const addr = c.ea(d);
  if (d.rmIsDst || op === Op.TEST) {
    const aLo = c.rd(addr, size), aHi = c.tHi;
    let bLo: number, bHi: number;
    if (d.reg !== NO_REG) { bLo = c.rdReg(d.reg, size); bHi = c.tHi; }
    else { bLo = size >= 4 ? d.immLo : (d.immLo & MASK[size]) >>> 0; bHi = d.immHi; }
    const r = alu(c, op, size, aLo, aHi, bLo, bHi); // flags are pending before a write that faults, as in execAlu
    if (op !== Op.CMP && op !== Op.TEST) c.wr(addr, size, r, c.tHi);
  } else {
    const aLo = c.rdReg(d.reg, size), aHi = c.tHi;
    const bLo = c.rd(addr, size);
    const r = alu(c, op, size, aLo, aHi, bLo, c.tHi);
    if (op !== Op.CMP) c.wrReg(d.reg, size, r, c.tHi);
  }
}

/** inc, dec: add or sub 1, keeping CF. */
export function execIncDec(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const mem = d.rm === NO_REG;
  const addr = mem ? c.ea(d) : 0;
  const aLo = mem ? c.rd(addr, size) : c.rdReg(d.rm, size);
  const aHi = c.tHi;
  const cf = getCF(c);
  const r = alu(c, d.op === Op.INC ? Op.ADD : Op.SUB, size, aLo, aHi, 1, 0);
  const rh = c.tHi;
  const li = c.li;
  li[L.LK] = d.op === Op.INC ? Lazy.INC : Lazy.DEC;
  li[L.CIN] = cf;
  if (mem) c.wr(addr, size, r, rh); else c.wrReg(d.rm, size, r, rh);
}

/** Fast path of execIncDec: a 32- or 64-bit register. */
export function hIncDecReg(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const r = d.rm;
  const cf = getCF(c);
  const inc = d.op === Op.INC;
  const v = alu(c, inc ? Op.ADD : Op.SUB, d.size, c.lo[r], c.hi[r], 1, 0);
  const li = c.li;
  li[L.LK] = inc ? Lazy.INC : Lazy.DEC;
  li[L.CIN] = cf;
  c.lo[r] = v; c.hi[r] = c.tHi;
}

/** not (flags untouched), neg (0 - x, as sub). */
export function execNotNeg(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const mem = d.rm === NO_REG;
  const addr = mem ? c.ea(d) : 0;
  const aLo = mem ? c.rd(addr, size) : c.rdReg(d.rm, size);
  const aHi = size === 8 ? c.tHi : 0;
  let r: number, rh: number;
  if (d.op === Op.NOT) { r = (~aLo & MASK[size]) >>> 0; rh = ~aHi; }
  else { r = alu(c, Op.SUB, size, 0, 0, aLo, aHi); rh = c.tHi; }
  if (mem) c.wr(addr, size, r, rh); else c.wrReg(d.rm, size, r, rh);
}

/** cmpxchg: compare the accumulator with the destination (flags as cmp), then store the source or load the destination. */
export function execCmpxchg(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const mem = d.rm === NO_REG;
  const addr = mem ? c.ea(d) : 0;
  const dl = mem ? c.rd(addr, size) : c.rdReg(d.rm, size); const dh = c.tHi;
  const al = c.rdReg(RAX, size); const ah = c.tHi;
  alu(c, Op.CMP, size, al, ah, dl, dh);
  if (al === dl && (size !== 8 || ah === dh)) {
    const sl = c.rdReg(d.reg, size); const sh = c.tHi;
    if (mem) c.wr(addr, size, sl, sh); else c.wrReg(d.rm, size, sl, sh);
  } else {
    if (mem) c.wr(addr, size, dl, dh); // the processor always writes back
    c.wrReg(RAX, size, dl, dh);
  }
}

/** xadd: the destination's old value to the source register, the sum (flags as add) to the destination. */
export function execXadd(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const mem = d.rm === NO_REG;
  const addr = mem ? c.ea(d) : 0;
  const dl = mem ? c.rd(addr, size) : c.rdReg(d.rm, size); const dh = c.tHi;
  const sl = c.rdReg(d.reg, size); const sh = c.tHi;
  const r = alu(c, Op.ADD, size, dl, dh, sl, sh); const rh = c.tHi;
  c.wrReg(d.reg, size, dl, dh);
  if (mem) c.wr(addr, size, r, rh); else c.wrReg(d.rm, size, r, rh);
}
