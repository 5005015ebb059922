// String instructions: movs, stos, lods, cmps, scas, with rep/repe/repne.

import { Insn, Op, Pfx } from './insn.js';
import { RAX, RCX, RSI, RDI, type Cpu } from './cpu.js';
import { F, getZF } from './flags.js';
import { alu } from './alu.js';

const TWO32 = 4294967296;

/** movs, stos, lods, cmps, scas, once or repeated (a long rep retires in chunks of CHUNK iterations). */
export function execString(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const size = d.size;
  const rep = (d.prefixes & (Pfx.REP | Pfx.REPNE)) !== 0;
  const step = (c.flags & F.DF) ? -size : size;
  const op = d.op;
  let n = rep ? c.regNum(RCX) : 1;
  if (rep && c.hi[RCX] !== 0) n = c.lo[RCX] + (c.hi[RCX] >>> 0) * TWO32; // unsigned count
  const repz = (d.prefixes & Pfx.REP) !== 0;
  // One instruction retires per call; long rep loops run in chunks so the count stays observable
  // and the instruction restarts at the same rip (as an interrupted rep does).
  const CHUNK = 4096;
  let todo = Math.min(n, CHUNK);
  let si = c.regNum(RSI), di = c.regNum(RDI);
  let done = 0;
  while (todo > 0) {
    switch (op) {
      case Op.MOVS: { const v = c.rd(si, size); c.wr(di, size, v, c.tHi); si += step; di += step; break; }
      case Op.STOS: { const v = c.rdReg(RAX, size); c.wr(di, size, v, c.tHi); di += step; break; }
      case Op.LODS: { const v = c.rd(si, size); c.wrReg(RAX, size, v, c.tHi); si += step; break; }
      case Op.CMPS: { const a = c.rd(si, size), ah = c.tHi; const b = c.rd(di, size), bh = c.tHi; alu(c, Op.CMP, size, a, ah, b, bh); si += step; di += step; break; }
      default: { const a = c.rdReg(RAX, size), ah = c.tHi; const b = c.rd(di, size), bh = c.tHi; alu(c, Op.CMP, size, a, ah, b, bh); di += step; break; }
    }
    done++;
    todo--;
    if (rep && (op === Op.CMPS || op === Op.SCAS)) {
      const z = getZF(c);
      if (repz ? !z : z) { todo = 0; n = done; }
    }
  }
  if (op !== Op.STOS && op !== Op.SCAS) c.setRegNum(RSI, si);
  if (op !== Op.LODS) c.setRegNum(RDI, di);
  if (rep) {
    const left = n - done;
    c.setRegNum(RCX, left);
    if (left > 0) c.rip = d.addr; // continue the rep on the next step
  }
}
