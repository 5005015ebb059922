// Multiplication and division: imul (two and three operands), one-operand mul/imul into rdx:rax, div/idiv.

import { Insn, Op } from './insn.js';
import { RAX, RDX, Vec, type Cpu } from './cpu.js';
import { F, MASK, SIGNBIT, PARITY, materialize } from './flags.js';

const TWO32 = 4294967296;

/** Unsigned 32x32 -> 64 multiply; returns low 32, high 32 in tHi (unsigned). */
function mulu32(c: Cpu, a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16;
  const p0 = al * b;
  const p1 = ah * b;
  const p1lo = p1 % 65536, p1hi = Math.floor(p1 / 65536);
  const t = p0 + p1lo * 65536;
  const lo = t % TWO32;
  c.tHi = p1hi + Math.floor(t / TWO32);
  return lo;
}

/** Unsigned 64x64 -> 128 multiply into w[0..3] (32-bit words, low first). */
function mulu64(c: Cpu, aLo: number, aHi: number, bLo: number, bHi: number, w: Float64Array): void {
  const ah = aHi >>> 0, bh = bHi >>> 0;
  const ll = mulu32(c, aLo, bLo); const llh = c.tHi;
  const lh = mulu32(c, aLo, bh); const lhh = c.tHi;
  const hl = mulu32(c, ah, bLo); const hlh = c.tHi;
  const hh = mulu32(c, ah, bh); const hhh = c.tHi;
  w[0] = ll;
  let t = llh + lh + hl;
  w[1] = t % TWO32;
  let carry = Math.floor(t / TWO32);
  t = lhh + hlh + hh + carry;
  w[2] = t % TWO32;
  carry = Math.floor(t / TWO32);
  w[3] = (hhh + carry) % TWO32;
}

/** Scratch for 64x64 -> 128 products (one instruction at a time uses it). */
const w128 = new Float64Array(4);

/** Signed 64x64 -> 128; w gets the two's-complement 128-bit product. */
function muls64(c: Cpu, aLo: number, aHi: number, bLo: number, bHi: number): void {
  const w = w128;
  mulu64(c, aLo, aHi, bLo, bHi, w);
  // high 64 -= (a<0 ? b : 0) + (b<0 ? a : 0)
  let hlo = w[2], hhi = w[3];
  if (aHi < 0) { hlo -= bLo; hhi -= bHi >>> 0; }
  if (bHi < 0) { hlo -= aLo; hhi -= aHi >>> 0; }
  while (hlo < 0) { hlo += TWO32; hhi -= 1; }
  w[2] = hlo; w[3] = ((hhi % TWO32) + TWO32) % TWO32;
}

/** imul with two or three operands: truncated signed product, CF = OF = overflow. */
export function execImulN(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  let aLo: number, aHi: number, bLo: number, bHi: number;
  if (d.op === Op.IMUL2) { aLo = c.rdReg(d.reg, size); aHi = c.tHi; bLo = c.rdRm(d, size); bHi = c.tHi; }
  else { aLo = c.rdRm(d, size); aHi = c.tHi; bLo = d.immLo; bHi = d.immHi; }
  let rlo: number, rhi = 0, ovf: boolean;
  if (size === 8) {
    muls64(c, aLo, aHi, bLo, bHi);
    const w = w128;
    rlo = w[0]; rhi = w[1] | 0;
    const ext = rhi < 0 ? TWO32 - 1 : 0;
    ovf = w[2] !== ext || w[3] !== ext;
  } else if (size === 4) {
    const a = aLo | 0, b = bLo | 0;
    rlo = Math.imul(a, b) >>> 0;
    ovf = a * b !== (rlo | 0);
  } else {
    const sh = 32 - size * 8;
    const a = (aLo << sh) >> sh, b = (bLo << sh) >> sh;
    const p = a * b;
    rlo = p & MASK[size];
    ovf = ((rlo << sh) >> sh) !== p;
  }
  setMulFlags(c, rlo, rhi, size, ovf);
  c.wrReg(d.reg, size, rlo >>> 0, rhi);
}

function setMulFlags(c: Cpu, rlo: number, rhi: number, size: number, ovf: boolean): void {
  // CF = OF = overflow; SF, ZF, AF, PF are undefined: we compute them from the result as recent cores do.
  materialize(c);
  const sf = size === 8 ? rhi < 0 : (rlo & SIGNBIT[size]) !== 0;
  c.flags = (c.flags & ~F.ARITH) | (ovf ? F.CF | F.OF : 0) | PARITY[rlo & 0xff] | (sf ? F.SF : 0) |
    ((rlo & MASK[size]) === 0 && (size !== 8 || rhi === 0) ? F.ZF : 0);
}

/** mul, imul with one operand: the full product into ah:al, dx:ax, edx:eax or rdx:rax. */
export function execMul1(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const sLo = c.rdRm(d, size); const sHi = c.tHi;
  const signed = d.op === Op.IMUL1;
  if (size === 8) {
    const w = w128;
    if (signed) muls64(c, c.lo[RAX], c.hi[RAX], sLo, sHi);
    else mulu64(c, c.lo[RAX], c.hi[RAX], sLo, sHi, w);
    c.lo[RAX] = w[0]; c.hi[RAX] = w[1] | 0;
    c.lo[RDX] = w[2]; c.hi[RDX] = w[3] | 0;
    const ext = signed ? ((w[1] | 0) < 0 ? TWO32 - 1 : 0) : 0;
    setMulFlags(c, w[0], w[1] | 0, 8, w[2] !== ext || w[3] !== ext);
    return;
  }
  const bits = size * 8;
  let a = c.rdReg(RAX, size), b = sLo;
  if (signed) { const sh = 32 - bits; a = sh ? (a << sh) >> sh : a | 0; b = sh ? (b << sh) >> sh : b | 0; }
  if (size === 4) {
    let lo: number, hi: number;
    if (signed) {
      lo = Math.imul(a, b) >>> 0;
      // high part of signed product
      mulu32(c, a >>> 0, b >>> 0); // unsigned high half, corrected for the signs below
      let h = c.tHi;
      if (a < 0) h -= b >>> 0;
      if (b < 0) h -= a >>> 0;
      hi = ((h % TWO32) + TWO32) % TWO32;
      const ovf = hi !== ((lo | 0) < 0 ? 0xffffffff : 0);
      c.wrReg(RAX, 4, lo, 0); c.wrReg(RDX, 4, hi, 0);
      setMulFlags(c, lo, 0, 4, ovf);
    } else {
      lo = mulu32(c, a, b); hi = c.tHi;
      c.wrReg(RAX, 4, lo, 0); c.wrReg(RDX, 4, hi, 0);
      setMulFlags(c, lo, 0, 4, hi !== 0);
    }
    return;
  }
  const p = a * b; // exact (|p| < 2^32)
  const m = MASK[size];
  const lo = p & m;
  const hi = Math.floor(p / (m + 1)) & m;
  let ovf: boolean;
  if (signed) { const sh = 32 - bits; ovf = ((lo << sh) >> sh) !== p; } else ovf = hi !== 0;
  if (size === 1) c.wrReg(RAX, 2, (hi << 8) | lo, 0);
  else { c.wrReg(RAX, 2, lo, 0); c.wrReg(RDX, 2, hi, 0); }
  setMulFlags(c, lo, 0, size, ovf);
}

/** div, idiv: rdx:rax (or ax) by the operand; #DE on division by zero or quotient overflow. */
export function execDiv(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const sLo = c.rdRm(d, size); const sHi = size === 8 ? c.tHi : 0;
  const signed = d.op === Op.IDIV;
  if (size >= 4 && divFast(c, size, signed, sLo, sHi)) return;
  const bits = BigInt(size * 8);
  const M = (1n << bits) - 1n;
  let divisor = ((BigInt(sHi >>> 0) << 32n) | BigInt(sLo)) & M;
  if (divisor === 0n) c.fault_(Vec.DE, 'divide error: division by zero');
  let hiPart: bigint, loPart: bigint;
  if (size === 1) { const ax = c.lo[RAX] & 0xffff; hiPart = BigInt(ax >>> 8); loPart = BigInt(ax & 0xff); }
  else { hiPart = BigInt.asUintN(size * 8, c.getReg(RDX)); loPart = BigInt.asUintN(size * 8, c.getReg(RAX)); }
  let dividend = (hiPart << bits) | loPart;
  let q: bigint, r: bigint;
  if (signed) {
    dividend = BigInt.asIntN(size * 16, dividend);
    divisor = BigInt.asIntN(size * 8, divisor);
    q = dividend / divisor; r = dividend % divisor;
    const lim = 1n << (bits - 1n);
    if (q >= lim || q < -lim) c.fault_(Vec.DE, 'divide error: quotient overflow');
  } else {
    q = dividend / divisor; r = dividend % divisor;
    if (q > M) c.fault_(Vec.DE, 'divide error: quotient overflow');
  }
  q = BigInt.asUintN(size * 8, q); r = BigInt.asUintN(size * 8, r);
  if (size === 1) { c.wrReg(RAX, 2, Number((r << 8n) | q), 0); }
  else {
    c.wrReg(RAX, size, Number(q & 0xffffffffn), Number(q >> 32n) | 0);
    c.wrReg(RDX, size, Number(r & 0xffffffffn), Number(r >> 32n) | 0);
  }
  // flags undefined after div: leave them
}

/**
 * div/idiv when dividend and divisor are exact as doubles (|x| < 2^53): no BigInt. Returns false
 * when the slow path must decide (large operands, division by zero, overflow).
 */
function divFast(c: Cpu, size: number, signed: boolean, sLo: number, sHi: number): boolean {
  const LIM = 9007199254740992; // 2^53
  let n: number, dv: number;
  const aLo = c.lo[RAX], dLo = c.lo[RDX];
  if (size === 4) {
    if (signed) {
      const lo = aLo | 0;
      if ((dLo | 0) !== (lo < 0 ? -1 : 0)) return false; // only a sign-extended edx:eax (cltd)
      n = lo; dv = sLo | 0;
    } else {
      if (dLo >= 0x200000) return false;
      n = dLo * TWO32 + aLo; dv = sLo;
    }
  } else {
    const aHi = c.hi[RAX], dHi = c.hi[RDX];
    if (signed) {
      const ext = aHi < 0 ? -1 : 0;
      if ((dLo | 0) !== ext || dHi !== ext) return false; // only a sign-extended rdx:rax (cqto)
      n = aHi * TWO32 + aLo; dv = sHi * TWO32 + sLo;
    } else {
      if (dLo !== 0 || dHi !== 0 || aHi < 0 || sHi < 0) return false;
      n = aHi * TWO32 + aLo; dv = sHi * TWO32 + sLo;
    }
  }
  if (dv === 0 || n >= LIM || n <= -LIM || dv >= LIM || dv <= -LIM) return false;
  const q = Math.trunc(n / dv);
  const r = n - q * dv;
  if (size === 4) {
    if (signed ? q > 0x7fffffff || q < -0x80000000 : q > 0xffffffff) return false;
    c.lo[RAX] = q >>> 0; c.hi[RAX] = 0;
    c.lo[RDX] = r >>> 0; c.hi[RDX] = 0;
  } else {
    c.setRegNum(RAX, q);
    c.setRegNum(RDX, r);
  }
  return true;
}

