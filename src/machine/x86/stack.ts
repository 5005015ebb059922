// Stack instructions: push, pop, push of an immediate, leave, and their fast paths (pushf/popf stay with the CPU: they touch IF).

import { Insn, NO_REG } from './insn.js';
import { RSP, RBP, Vec, type Cpu } from './cpu.js';

export function execPush(c: Cpu, d: Insn): void {
  c.rip = d.next;
  let vlo: number, vhi: number;
  if (d.reg !== NO_REG) { vlo = c.lo[d.reg]; vhi = c.hi[d.reg]; }
  else { vlo = c.rdRm(d, 8); vhi = c.tHi; }
  if (d.size === 2) c.fault_(Vec.UNSUPPORTED, '16-bit push is not supported');
  c.push64(vlo, vhi);
}

/** Fast path: push of a 64-bit register. */
export function hPush(c: Cpu, d: Insn): void {
  c.rip = d.next;
  c.push64(c.lo[d.reg], c.hi[d.reg]);
}

export function execPop(c: Cpu, d: Insn): void {
  c.rip = d.next;
  if (d.size === 2) c.fault_(Vec.UNSUPPORTED, '16-bit pop is not supported');
  const vlo = c.pop64(); const vhi = c.tHi;
  if (d.reg !== NO_REG) { c.lo[d.reg] = vlo; c.hi[d.reg] = vhi; }
  else c.wr(c.ea(d), 8, vlo, vhi);
}

/** Fast path: pop into a 64-bit register. */
export function hPop(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const v = c.pop64();
  c.lo[d.reg] = v;
  c.hi[d.reg] = c.tHi;
}

export function execPushImm(c: Cpu, d: Insn): void {
  c.rip = d.next;
  if (d.size === 2) c.fault_(Vec.UNSUPPORTED, '16-bit push is not supported');
  c.push64(d.immLo, d.immHi);
}

export function execLeave(c: Cpu, d: Insn): void {
  c.rip = d.next;
  c.lo[RSP] = c.lo[RBP]; c.hi[RSP] = c.hi[RBP];
  const v = c.pop64();
  c.lo[RBP] = v; c.hi[RBP] = c.tHi;
}
