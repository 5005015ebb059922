// Shifts and rotates: shl/sal, shr, sar, rol, ror, rcl, rcr, and the double shifts shld/shrd.

import { Insn, Op, NO_REG } from './insn.js';
import { RCX, type Cpu } from './cpu.js';
import { F, MASK, SIGNBIT, PARITY, materialize } from './flags.js';

/** The masked count of a shift: 1, CL or an immediate. */
function shiftCount(c: Cpu, d: Insn, size: number): number {
  const raw = d.countSrc === 1 ? 1 : d.countSrc === 2 ? c.lo[RCX] & 0xff : d.immLo & 0xff;
  return raw & (size === 8 ? 63 : 31);
}

/** shl/sal, shr, sar, rol, ror, rcl, rcr by 1, CL or an immediate. */
export function execShift(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const cnt = shiftCount(c, d, size);
  if (cnt === 0) {
    // flags unchanged; a 32-bit register destination is still zero-extended
    if (size === 4 && d.rm !== NO_REG) c.hi[d.rm] = 0;
    return;
  }
  const mem = d.rm === NO_REG;
  const addr = mem ? c.ea(d) : 0;
  const lo = mem ? c.rd(addr, size) : c.rdReg(d.rm, size);
  const r = shiftValue(c, d.ext, size, cnt, lo, size === 8 ? c.tHi : 0);
  if (mem) c.wr(addr, size, r, c.tHi); else c.wrReg(d.rm, size, r, c.tHi);
}

/** Fast path of execShift: a 32- or 64-bit register. */
export function hShiftReg(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size, rm = d.rm;
  const cnt = shiftCount(c, d, size);
  if (cnt === 0) { if (size === 4) c.hi[rm] = 0; return; }
  c.lo[rm] = shiftValue(c, d.ext, size, cnt, c.lo[rm], size === 8 ? c.hi[rm] : 0);
  c.hi[rm] = size === 8 ? c.tHi : 0;
}

/**
 * Shift or rotate (`op` as ModRM.reg: 0 rol .. 7 sar) a `size`-byte value by a masked, nonzero count:
 * returns the low 32 bits of the result, the high 32 in `c.tHi`, and sets the flags (materialized).
 */
function shiftValue(c: Cpu, op: number, size: number, cnt: number, lo: number, hi: number): number {
  const bits = size * 8;
  materialize(c);
  let f = c.flags;
  let cf = 0, of = 0;
  // Work on the value as a BigInt-free pair: for size<8, hi is 0 and lo holds the value.
  if (op === 4 || op === 6 || op === 5 || op === 7) {
    // shl/sal, shr, sar
    let rlo: number, rhi: number;
    if (size === 8) {
      const olo = lo, ohi = hi;
      if (op === 4 || op === 6) {
        const k = 64 - cnt;
        cf = k < 32 ? (olo >>> k) & 1 : (ohi >>> (k - 32)) & 1;
        if (cnt < 32) { rhi = (ohi << cnt) | (olo >>> (32 - cnt)); rlo = olo << cnt; }
        else { rhi = olo << (cnt - 32); rlo = 0; }
      } else {
        const k = cnt - 1;
        cf = k < 32 ? (olo >>> k) & 1 : (ohi >>> (k - 32)) & 1;
        if (cnt < 32) {
          rlo = (olo >>> cnt) | (ohi << (32 - cnt));
          rhi = op === 5 ? ohi >>> cnt : ohi >> cnt;
        } else {
          rlo = op === 5 ? (ohi >>> (cnt - 32)) : (ohi >> (cnt - 32));
          rhi = op === 5 ? 0 : ohi >> 31;
        }
      }
      lo = rlo >>> 0; hi = rhi | 0;
      const sf = hi < 0;
      if (op === 4 || op === 6) of = (sf ? 1 : 0) ^ cf;
      else if (op === 5) of = (ohi >>> 31) & 1;
      else of = 0;
      f = (f & ~F.ARITH) | cf | PARITY[lo & 0xff] | (lo === 0 && hi === 0 ? F.ZF : 0) | (sf ? F.SF : 0) | (cnt === 1 ? (of ? F.OF : 0) : (f & F.OF));
    } else {
      const m = MASK[size];
      const orig = lo;
      let r: number;
      if (op === 4 || op === 6) {
        cf = cnt <= bits ? (orig >>> (bits - cnt)) & 1 : 0;
        r = cnt >= 32 ? 0 : (orig << cnt) & m;
        of = ((r & SIGNBIT[size]) ? 1 : 0) ^ cf;
      } else if (op === 5) {
        cf = cnt <= bits ? (orig >>> (cnt - 1)) & 1 : 0;
        r = cnt >= 32 ? 0 : (orig >>> cnt) & m;
        of = (orig & SIGNBIT[size]) ? 1 : 0;
      } else {
        const sh = 32 - bits;
        const sv = sh ? (orig << sh) >> sh : orig | 0;
        cf = (sv >> Math.min(cnt - 1, 31)) & 1;
        r = (sv >> Math.min(cnt, 31)) & m;
        of = 0;
      }
      lo = r >>> 0;
      f = (f & ~F.ARITH) | cf | PARITY[lo & 0xff] | (lo === 0 ? F.ZF : 0) | ((lo & SIGNBIT[size]) ? F.SF : 0) | (cnt === 1 ? (of ? F.OF : 0) : (f & F.OF));
    }
  } else {
    // rotates: rol 0, ror 1, rcl 2, rcr 3. Only CF and OF change.
    if (op === 2 || op === 3) {
      // rotate through carry: treat as (bits+1)-bit rotation
      const n = cnt % (bits + 1);
      let carry = f & F.CF;
      for (let i = 0; i < n; i++) {
        if (op === 2) {
          const top = size === 8 ? (hi >>> 31) & 1 : (lo >>> (bits - 1)) & 1;
          if (size === 8) { hi = (hi << 1) | (lo >>> 31); lo = ((lo << 1) | carry) >>> 0; }
          else lo = ((lo << 1) | carry) & MASK[size];
          carry = top;
        } else {
          const bot = lo & 1;
          if (size === 8) { lo = ((lo >>> 1) | (hi << 31)) >>> 0; hi = (hi >>> 1) | (carry << 31); }
          else lo = ((lo >>> 1) | (carry << (bits - 1))) >>> 0;
          carry = bot;
        }
      }
      lo >>>= 0; hi |= 0;
      cf = carry;
      const msb = size === 8 ? (hi >>> 31) & 1 : (lo >>> (bits - 1)) & 1;
      if (op === 2) of = msb ^ cf;
      else { const msb2 = size === 8 ? (hi >>> 30) & 1 : (lo >>> (bits - 2)) & 1; of = msb ^ msb2; }
    } else {
      const n = cnt % bits;
      if (n !== 0) {
        if (size === 8) {
          const l = op === 0 ? n : 64 - n; // rotate left by l
          let nl: number, nh: number;
          if (l < 32) { nh = (hi << l) | (lo >>> (32 - l)); nl = (lo << l) | ((hi >>> 0) >>> (32 - l)); }
          else if (l === 32) { nh = lo; nl = hi; }
          else { const k = l - 32; nh = (lo << k) | ((hi >>> 0) >>> (32 - k)); nl = (hi << k) | (lo >>> (32 - k)); }
          lo = nl >>> 0; hi = nh | 0;
        } else {
          const l = op === 0 ? n : bits - n;
          lo = ((lo << l) | (lo >>> (bits - l))) & MASK[size];
          lo >>>= 0;
        }
      }
      const msb = size === 8 ? (hi >>> 31) & 1 : (lo >>> (bits - 1)) & 1;
      if (op === 0) { cf = lo & 1; of = msb ^ cf; }
      else { cf = msb; const msb2 = size === 8 ? (hi >>> 30) & 1 : (lo >>> (bits - 2)) & 1; of = msb ^ msb2; }
    }
    f = (f & ~(F.CF | F.OF)) | cf | (of ? F.OF : 0); // OF is defined for count 1 only; we compute it the same way for all counts
  }
  c.flags = f;
  c.tHi = hi;
  return lo;
}

/** shld, shrd: shift the destination, filling from the source register. */
export function execShiftDouble(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const cnt = shiftCount(c, d, size);
  if (cnt === 0) return;
  const bits = size * 8;
  const mem = d.rm === NO_REG;
  const addr = mem ? c.ea(d) : 0;
  const dl = mem ? c.rd(addr, size) : c.rdReg(d.rm, size); const dh = size === 8 ? c.tHi : 0;
  const sl = c.rdReg(d.reg, size); const sh = size === 8 ? c.tHi : 0;
  const M = (1n << BigInt(bits)) - 1n;
  const dst = ((BigInt(dh >>> 0) << 32n) | BigInt(dl)) & M;
  const src = ((BigInt(sh >>> 0) << 32n) | BigInt(sl)) & M;
  const k = BigInt(cnt);
  let r: bigint, cf: number;
  if (d.op === Op.SHLD) {
    const wide = (dst << BigInt(bits)) | src;
    r = (wide >> (BigInt(bits) - k)) & M;
    cf = Number((dst >> (BigInt(bits) - k)) & 1n);
  } else {
    const wide = (src << BigInt(bits)) | dst;
    r = (wide >> k) & M;
    cf = Number((dst >> (k - 1n)) & 1n);
  }
  if (cnt > bits) { /* undefined result for 16-bit counts > 16: keep computed value */ }
  const rlo = Number(r & 0xffffffffn), rhi = Number(r >> 32n) | 0;
  materialize(c);
  const sign = Number((r >> BigInt(bits - 1)) & 1n);
  const osign = Number((dst >> BigInt(bits - 1)) & 1n);
  c.flags = (c.flags & ~F.ARITH) | cf | PARITY[rlo & 0xff] | (r === 0n ? F.ZF : 0) | (sign ? F.SF : 0) |
    (cnt === 1 ? ((sign ^ osign) ? F.OF : 0) : (c.flags & F.OF));
  if (mem) c.wr(addr, size, rlo, rhi); else c.wrReg(d.rm, size, rlo, rhi);
}
