// Control transfer: jcc, jmp, call and ret, direct and indirect (the call/ret monitor sees every call and return).

import { Insn, Op } from './insn.js';
import { RSP, MachineViolation, type Cpu } from './cpu.js';
import { cond } from './flags.js';

const TWO32 = 4294967296;

/** Push the return address, jump, and tell the call/ret monitor. */
function callTo(c: Cpu, next: number, target: number): void {
  c.pushNum(next);
  c.rip = target;
  if (c.flow !== null) c.flow.onCall(c, next);
}

export function hJcc(c: Cpu, d: Insn): void {
  c.rip = cond(c, d.cond) ? d.target : d.next;
}

export function hJmp(c: Cpu, d: Insn): void {
  c.rip = d.target;
}

export function execJmpInd(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const lo = c.rdRm(d, 8);
  c.rip = c.tHi * TWO32 + lo;
}

export function hCall(c: Cpu, d: Insn): void {
  callTo(c, d.next, d.target);
}

export function execCallInd(c: Cpu, d: Insn): void {
  c.rip = d.next;
  const lo = c.rdRm(d, 8);
  callTo(c, d.next, c.tHi * TWO32 + lo);
}

/** ret and ret $imm */
export function hRet(c: Cpu, d: Insn): void {
  const lo = c.pop64();
  const t = c.tHi * TWO32 + lo;
  if (d.op === Op.RET_IMM) c.setRegNum(RSP, c.regNum(RSP) + d.immLo);
  if (c.flow !== null) {
    const bad = c.flow.onRet(c, t);
    if (bad !== null) { c.rip = d.addr; throw new MachineViolation(3, c.id, d.addr, bad, d.bytes); }
  }
  c.rip = t;
}
