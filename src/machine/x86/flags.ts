// Lazy arithmetic flags: their evaluation (RFLAGS, conditions) and the instructions that read or write them directly.

import { Insn, NO_REG, REG_AH } from './insn.js';
import { RAX, type Cpu } from './cpu.js';
import { L } from '../arena.js';

/** RFLAGS bits the instructions use (tsc inlines them; cpu.ts exports them as plain constants). */
export const enum F { CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200, DF = 0x400, OF = 0x800, ARITH = 0x8d5 }

/**
 * Which operation last set the arithmetic flags (`Cpu.lk`). NONE: `Cpu.flags` holds them. Otherwise
 * they are computed on demand from the operation's width (`lsz`), result (`rLo`/`rHi`), operands
 * (`aLo`/`aHi`, `bLo`/`bHi`) and carry in (`cin`; for INC/DEC the CF they keep).
 */
export const enum Lazy { NONE = 0, ADD = 1, SUB = 2, LOGIC = 3, INC = 4, DEC = 5, ADC = 6, SBB = 7 }

/** Value mask and sign bit by operand size in bytes. */
export const MASK = [0, 0xff, 0xffff, 0, 0xffffffff, 0, 0, 0, 0xffffffff];
export const SIGNBIT = [0, 0x80, 0x8000, 0, 0x80000000, 0, 0, 0, 0x80000000];

/** PF of a result's low byte. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i, p = 1;
  while (b) { p ^= b & 1; b >>= 1; }
  PARITY[i] = p ? F.PF : 0;
}

// ---- evaluation ----------------------------------------------------------------------

/** Unsigned x < y at the pending operation's width. */
function ltu(c: Cpu, xLo: number, xHi: number, yLo: number, yHi: number): boolean {
  if (c.lsz === 8) {
    const xh = xHi >>> 0, yh = yHi >>> 0;
    return xh < yh || (xh === yh && xLo < yLo);
  }
  return xLo < yLo;
}

export function getCF(c: Cpu): number {
  switch (c.li[L.LK]) {
    case Lazy.NONE: return c.flags & F.CF;
    case Lazy.ADD: return ltu(c, c.rLo, c.rHi, c.aLo, c.aHi) ? 1 : 0;
    case Lazy.ADC: return ltu(c, c.rLo, c.rHi, c.aLo, c.aHi) || (c.cin && c.rLo === c.aLo && c.rHi === c.aHi) ? 1 : 0;
    case Lazy.SUB: return ltu(c, c.aLo, c.aHi, c.bLo, c.bHi) ? 1 : 0;
    case Lazy.SBB: return ltu(c, c.aLo, c.aHi, c.bLo, c.bHi) || (c.cin && c.aLo === c.bLo && c.aHi === c.bHi) ? 1 : 0;
    case Lazy.LOGIC: return 0;
    default: return c.cin; // INC/DEC keep CF
  }
}

export function getZF(c: Cpu): boolean {
  const li = c.li;
  if (li[L.LK] === Lazy.NONE) return (li[L.FLAGS] & F.ZF) !== 0;
  return li[L.RLO] === 0 && (li[L.LSZ] !== 8 || li[L.RHI] === 0);
}

function getSF(c: Cpu): boolean {
  if (c.lk === Lazy.NONE) return (c.flags & F.SF) !== 0;
  return c.lsz === 8 ? c.rHi < 0 : (c.rLo & SIGNBIT[c.lsz]) !== 0;
}

function getOF(c: Cpu): boolean {
  let x: number;
  const s8 = c.lsz === 8;
  switch (c.lk) {
    case Lazy.NONE: return (c.flags & F.OF) !== 0;
    case Lazy.LOGIC: return false;
    case Lazy.ADD: case Lazy.ADC:
      x = s8 ? (c.aHi ^ c.rHi) & (c.bHi ^ c.rHi) : (c.aLo ^ c.rLo) & (c.bLo ^ c.rLo);
      break;
    case Lazy.INC:
      x = s8 ? (c.aHi ^ c.rHi) & (0 ^ c.rHi) : (c.aLo ^ c.rLo) & (1 ^ c.rLo);
      break;
    case Lazy.DEC:
      x = s8 ? (c.aHi ^ 0) & (c.aHi ^ c.rHi) : (c.aLo ^ 1) & (c.aLo ^ c.rLo);
      break;
    default: // SUB, SBB
      x = s8 ? (c.aHi ^ c.bHi) & (c.aHi ^ c.rHi) : (c.aLo ^ c.bLo) & (c.aLo ^ c.rLo);
  }
  return s8 ? x < 0 : (x & SIGNBIT[c.lsz]) !== 0;
}

function getPF(c: Cpu): number {
  if (c.lk === Lazy.NONE) return c.flags & F.PF;
  return PARITY[c.rLo & 0xff];
}

function getAF(c: Cpu): number {
  switch (c.lk) {
    case Lazy.NONE: return c.flags & F.AF;
    case Lazy.LOGIC: return 0;
    case Lazy.INC: case Lazy.DEC: return (c.aLo ^ 1 ^ c.rLo) & F.AF;
    default: return (c.aLo ^ c.bLo ^ c.rLo) & F.AF;
  }
}

/** The full RFLAGS value (Cpu.getFlags). */
export function rflags(c: Cpu): number {
  if (c.lk === Lazy.NONE) return c.flags;
  return (c.flags & ~F.ARITH) | getCF(c) | getPF(c) | getAF(c) |
    (getZF(c) ? F.ZF : 0) | (getSF(c) ? F.SF : 0) | (getOF(c) ? F.OF : 0);
}

/** Materialize the lazy flags into `flags` (before a partial flag update). */
export function materialize(c: Cpu): void {
  if (c.lk !== Lazy.NONE) {
    c.flags = rflags(c);
    c.lk = Lazy.NONE;
  }
}

/** Condition code 0..15 (o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g). */
export function cond(c: Cpu, cc: number): boolean {
  let r: boolean;
  const li = c.li;
  if (li[L.LK] === Lazy.SUB) {
    // fast paths after cmp/sub, reading the slot's words directly
    const lu = c.lu, s8 = li[L.LSZ] === 8;
    switch (cc >> 1) {
      case 1: r = subBelow(lu, s8); break;
      case 2: r = lu[L.RLO] === 0 && (!s8 || li[L.RHI] === 0); break;
      case 3: r = subBelow(lu, s8) || (lu[L.RLO] === 0 && (!s8 || li[L.RHI] === 0)); break;
      case 6: r = lts(c); break;
      case 7: r = lts(c) || getZF(c); break;
      default: r = condSlow(c, cc >> 1);
    }
  } else {
    r = condSlow(c, cc >> 1);
  }
  return (cc & 1) ? !r : r;
}

/** Unsigned a < b for the pending subtraction (ltu over the slot's words). */
function subBelow(lu: Uint32Array, s8: boolean): boolean {
  const aLo = lu[L.ALO], bLo = lu[L.BLO];
  if (s8) {
    const ah = lu[L.AHI], bh = lu[L.BHI];
    return ah < bh || (ah === bh && aLo < bLo);
  }
  return aLo < bLo;
}

/** Signed a < b for the pending subtraction. */
function lts(c: Cpu): boolean {
  const s = c.lsz;
  if (s === 8) return c.aHi < c.bHi || (c.aHi === c.bHi && c.aLo < c.bLo);
  if (s === 4) return (c.aLo | 0) < (c.bLo | 0);
  const sh = 32 - s * 8;
  return ((c.aLo << sh) >> sh) < ((c.bLo << sh) >> sh);
}

function condSlow(c: Cpu, k: number): boolean {
  switch (k) {
    case 0: return getOF(c);
    case 1: return getCF(c) !== 0;
    case 2: return getZF(c);
    case 3: return getCF(c) !== 0 || getZF(c);
    case 4: return getSF(c);
    case 5: return getPF(c) !== 0;
    case 6: return getSF(c) !== getOF(c);
    default: return getZF(c) || getSF(c) !== getOF(c);
  }
}

// ---- instructions --------------------------------------------------------------------

export function execSetcc(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const v = cond(c, d.cond) ? 1 : 0;
  if (d.rm !== NO_REG) c.wrReg(d.rm, 1, v, 0); else c.wr(c.ea(d), 1, v, 0);
}

export function execCmovcc(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const vlo = c.rdRm(d, size); const vhi = c.tHi; // the source is read (and may fault) either way
  if (cond(c, d.cond)) c.wrReg(d.reg, size, vlo, vhi);
  else if (size === 4) c.hi[d.reg] = 0; // 32-bit cmov zero-extends even when false
}

/** Fast path of execSetcc: a byte register (ah..bh too). */
export function hSetccReg(c: Cpu, d: Insn): void {
  c.rip = d.next;
  c.wrReg(d.rm, 1, cond(c, d.cond) ? 1 : 0, 0);
}

/** Fast path of execCmovcc: 32- or 64-bit registers. */
export function hCmovReg(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const dst = d.reg;
  if (cond(c, d.cond)) { c.lo[dst] = c.lo[d.rm]; c.hi[dst] = d.size === 8 ? c.hi[d.rm] : 0; }
  else if (d.size === 4) c.hi[dst] = 0; // 32-bit cmov zero-extends even when false
}

export function execSahf(c: Cpu, d: Insn): void {
  c.rip = d.next;
  materialize(c);
  const ah = (c.lo[RAX] >>> 8) & 0xff;
  const m = F.CF | F.PF | F.AF | F.ZF | F.SF;
  c.flags = (c.flags & ~m) | (ah & m);
}

export function execLahf(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const f = rflags(c) & 0xff;
  c.wrReg(REG_AH, 1, f | 2, 0);
}

/** clc, stc, cmc */
export function execClc(c: Cpu, d: Insn): void { c.rip = d.next; materialize(c); c.flags &= ~F.CF; }
export function execStc(c: Cpu, d: Insn): void { c.rip = d.next; materialize(c); c.flags |= F.CF; }
export function execCmc(c: Cpu, d: Insn): void { c.rip = d.next; materialize(c); c.flags ^= F.CF; }
