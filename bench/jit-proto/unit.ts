// JIT prototype: forms a compilation unit (straight-line code with internal branches) from a hot block's start, for both backends.

import { decode } from '../../src/machine/x86/decode.js';
import { Insn, Op, Pfx, NO_REG } from '../../src/machine/x86/insn.js';
import type { Memory } from '../../src/machine/memory.js';

/** What a backend must emit for one instruction. */
export type Kind = 'mov' | 'alu' | 'lea' | 'movzx' | 'shift' | 'nop' | 'jcc' | 'jmp';

export interface UInsn {
  d: Insn;
  kind: Kind;
  /** jcc/jmp: index of the target instruction inside the unit, or -1 (the branch leaves the unit). */
  target: number;
  /** jcc: index of the instruction whose flags it reads (always inside the same segment). */
  producer: number;
}

/**
 * A unit: instructions in address order; `labels` are the indexes control can enter at (0 and every
 * internal branch target). Falling off the end leaves the unit at `exitRip`.
 */
export interface Unit { start: number; insns: UInsn[]; labels: Set<number>; exitRip: number; bytes: number }

const ALU = new Set<Op>([Op.ADD, Op.OR, Op.AND, Op.SUB, Op.XOR, Op.CMP, Op.TEST]);
/** Longest unit in instructions (the production compiler would bound it similarly). */
export const MAX_INSNS = 64;

function plainRegs(d: Insn): boolean {
  return d.reg < 16 && d.rm < 16 && (d.prefixes & (Pfx.FS | Pfx.GS | Pfx.LOCK | Pfx.REP | Pfx.REPNE)) === 0;
}

/** The instruction's kind when the prototype compiles it, else null (the unit ends before it). */
export function kindOf(d: Insn): Kind | null {
  if (!plainRegs(d)) return null;
  switch (d.op) {
    case Op.MOV: return 'mov';
    case Op.LEA: return d.size >= 4 ? 'lea' : null;
    case Op.MOVZX: return d.size >= 4 ? 'movzx' : null;
    case Op.NOP: return 'nop';
    case Op.JCC: return 'jcc';
    case Op.JMP: return 'jmp';
    case Op.SHIFT: return d.rm !== NO_REG && d.size >= 4 && (d.ext === 4 || d.ext === 5 || d.ext === 6 || d.ext === 7) &&
      (d.countSrc === 1 || d.countSrc === 3) && (d.countSrc === 1 || (d.immLo & (d.size === 8 ? 63 : 31)) !== 0) ? 'shift' : null;
    default: return ALU.has(d.op) ? 'alu' : null;
  }
}

/** Shift count of a supported shift. */
export function shiftCount(d: Insn): number {
  return d.countSrc === 1 ? 1 : d.immLo & (d.size === 8 ? 63 : 31);
}

/**
 * Decode from `start` and cut the unit where the prototype cannot compile: an unsupported instruction,
 * a jcc whose flags come from outside its segment, a shift whose (materialized) flags are still live.
 * Returns null when not even one instruction is compilable.
 */
export function formUnit(mem: Memory, start: number): Unit | null {
  const list: UInsn[] = [];
  let a = start;
  while (list.length < MAX_INSNS) {
    const r = mem.find(a, 1);
    if (r === undefined || r.icache === null) break;
    const d = decode(r.bytes, a - r.start, r.size - (a - r.start), a);
    const k = kindOf(d);
    if (k === null) break;
    list.push({ d, kind: k, target: -1, producer: -1 });
    a = d.addr + d.len;
    if (k === 'jmp') break;
  }
  // shrink to a fixpoint: cutting can turn internal branches into exits and move segment starts
  for (;;) {
    const byAddr = new Map<number, number>();
    list.forEach((u, i) => byAddr.set(u.d.addr, i));
    const labels = new Set<number>([0]);
    for (const u of list) {
      u.target = u.kind === 'jcc' || u.kind === 'jmp' ? byAddr.get(u.d.target) ?? -1 : -1;
      if (u.target >= 0) labels.add(u.target);
    }
    let cut = -1, producer = -1;
    for (let i = 0; i < list.length && cut < 0; i++) {
      const u = list[i];
      if (labels.has(i)) producer = -1;
      if (u.kind === 'alu') producer = i;
      else if (u.kind === 'jcc') { if (producer < 0) cut = i; else u.producer = producer; }
      else if (u.kind === 'shift') {
        // dead flags: an ALU op overwrites them before any jcc, label, branch or the unit's end
        let dead = false;
        for (let j = i + 1; j < list.length; j++) {
          if (labels.has(j) || list[j].kind === 'jcc' || list[j].kind === 'jmp') break;
          if (list[j].kind === 'alu') { dead = true; break; }
        }
        if (!dead) cut = i;
        else producer = -1;
      }
    }
    if (cut < 0) {
      if (list.length === 0) return null;
      const last = list[list.length - 1].d;
      const bytes = last.addr + last.len - start;
      return { start, insns: list, labels, exitRip: last.addr + last.len, bytes };
    }
    list.length = cut;
    if (list.length === 0) return null;
  }
}
