// Bit instructions: bt/bts/btr/btc, the scans bsf/bsr/tzcnt/lzcnt, popcnt, and bswap.

import { Insn, Op, NO_REG } from './insn.js';
import type { Cpu } from './cpu.js';
import { F, materialize } from './flags.js';

const TWO32 = 4294967296;

/** bt, bts, btr, btc: test (and set, reset, complement) one bit into CF. */
export function execBt(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const bits = size * 8;
  let bit: number;
  let addr = 0;
  const mem = d.rm === NO_REG;
  if (d.reg !== NO_REG) {
    // register bit offset: for memory operands it may address beyond the operand (signed offset)
    const off = c.rdReg(d.reg, size);
    const offHi = size === 8 ? c.tHi : 0;
    if (mem) {
      const sh = 32 - bits;
      const soff = size === 8 ? offHi * TWO32 + off : size === 4 ? off | 0 : (off << sh) >> sh;
      const byteOff = Math.floor(soff / bits) * size;
      addr = c.ea(d) + byteOff;
      bit = ((soff % bits) + bits) % bits;
    } else bit = off & (bits - 1);
  } else {
    bit = d.immLo & (bits - 1);
    if (mem) addr = c.ea(d);
  }
  let lo = mem ? c.rd(addr, size) : c.rdReg(d.rm, size);
  let hi = size === 8 ? c.tHi : 0;
  const inHi = bit >= 32;
  const b = inHi ? bit - 32 : bit;
  const cur = ((inHi ? hi : lo) >>> b) & 1;
  materialize(c);
  c.flags = (c.flags & ~F.CF) | cur;
  if (d.ext === 0) return;
  let w = inHi ? hi : lo;
  if (d.ext === 1) w |= 1 << b; else if (d.ext === 2) w &= ~(1 << b); else w ^= 1 << b;
  if (inHi) hi = w | 0; else lo = w >>> 0;
  if (mem) c.wr(addr, size, lo, hi); else c.wrReg(d.rm, size, lo, hi);
}

/** bsf, bsr, tzcnt, lzcnt, popcnt */
export function execBitScan(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const lo = c.rdRm(d, size) >>> 0; const hi = size === 8 ? c.tHi >>> 0 : 0;
  const bits = size * 8;
  const zero = lo === 0 && hi === 0;
  materialize(c);
  let f = c.flags;
  let res = -1;
  switch (d.op) {
    case Op.BSF:
      if (!zero) res = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + 31 - Math.clz32(hi & -hi);
      f = (f & ~F.ZF) | (zero ? F.ZF : 0);
      break;
    case Op.BSR:
      if (!zero) res = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
      f = (f & ~F.ZF) | (zero ? F.ZF : 0);
      break;
    case Op.TZCNT:
      res = zero ? bits : lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + 31 - Math.clz32(hi & -hi);
      f = (f & ~(F.CF | F.ZF)) | (zero ? F.CF : 0) | (res === 0 ? F.ZF : 0);
      break;
    case Op.LZCNT:
      res = zero ? bits : size === 8 ? (hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo)) : Math.clz32(lo) - (32 - bits);
      f = (f & ~(F.CF | F.ZF)) | (zero ? F.CF : 0) | (res === 0 ? F.ZF : 0);
      break;
    default: { // POPCNT
      const pc = (x: number): number => { x = x - ((x >>> 1) & 0x55555555); x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24; };
      res = pc(lo) + pc(hi);
      f = (f & ~F.ARITH) | (zero ? F.ZF : 0);
    }
  }
  c.flags = f;
  if (res >= 0) c.wrReg(d.reg, size, res, 0);
  // bsf/bsr with a zero source leave the destination unchanged
}


/** bswap: reverse the bytes of a 32- or 64-bit register. */
export function execBswap(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const r = d.reg;
  if (d.size === 8) { const l = c.lo[r], h = c.hi[r] >>> 0; c.lo[r] = bswap32(h); c.hi[r] = bswap32(l) | 0; }
  else { c.lo[r] = bswap32(c.lo[r]); c.hi[r] = 0; }
}

function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}
