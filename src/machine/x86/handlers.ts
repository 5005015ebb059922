// Executor selection: which function runs a decoded instruction (a fast path, the family's generic executor, or null).

import { Insn, Op, Pfx, NO_REG, REG_AH, type InsnHandler } from './insn.js';
import type { Cpu } from './cpu.js';
import { hAlu64, hAlu32, execAlu, execIncDec, execNotNeg, execCmpxchg, execXadd } from './alu.js';
import { hJcc, hJmp, hCall, hRet, execJmpInd, execCallInd } from './branch.js';
import { hPush, hPop, execPush, execPop, execPushImm, execLeave } from './stack.js';
import { hMovRR64, hMovRR32, hMovImm, hLoad64, hLoad32, hLoadZx, hStore, hStoreImm, hLea64, execMov, execLea, execMovzx, execMovsx, execXchg, execCbw, execCwd } from './mov.js';
import { execSetcc, execCmovcc, execSahf, execLahf, execClc, execStc, execCmc } from './flags.js';
import { execShift, execShiftDouble } from './shift.js';
import { execImulN, execMul1, execDiv } from './muldiv.js';
import { execBt, execBitScan, execBswap } from './bits.js';
import { execString } from './string.js';

/** nop, pause, mfence */
function hNop(c: Cpu, d: Insn): void {
  c.rip = d.next;
}

/**
 * The executor of every instruction that is not a system one, at any operand form (null: the CPU's
 * own exec runs it). Executors run without the CPU's cycle count synchronized, so the instructions
 * that read it, move the run loop's limit or touch interrupt state (pushf/popf, cli/sti, cld/std,
 * hlt, in/out, vmcall, iret, rdtsc, cpuid, serialize, int3, ud2) must not get one.
 */
export function executorOf(op: Op): InsnHandler | null {
  switch (op) {
    case Op.JCC: return hJcc;
    case Op.JMP: return hJmp;
    case Op.CALL: return hCall;
    case Op.RET: case Op.RET_IMM: return hRet;
    case Op.CALL_IND: return execCallInd;
    case Op.JMP_IND: return execJmpInd;
    case Op.MOV: return execMov;
    case Op.LEA: return execLea;
    case Op.MOVZX: return execMovzx;
    case Op.MOVSX: case Op.MOVSXD: return execMovsx;
    case Op.XCHG: return execXchg;
    case Op.CBW: return execCbw;
    case Op.CWD: return execCwd;
    case Op.PUSH: return execPush;
    case Op.POP: return execPop;
    case Op.PUSH_IMM: return execPushImm;
    case Op.LEAVE: return execLeave;
    case Op.ADD: case Op.OR: case Op.ADC: case Op.SBB: case Op.AND: case Op.SUB: case Op.XOR: case Op.CMP: case Op.TEST: return execAlu;
    case Op.INC: case Op.DEC: return execIncDec;
    case Op.NOT: case Op.NEG: return execNotNeg;
    case Op.CMPXCHG: return execCmpxchg;
    case Op.XADD: return execXadd;
    case Op.SETCC: return execSetcc;
    case Op.CMOVCC: return execCmovcc;
    case Op.SAHF: return execSahf;
    case Op.LAHF: return execLahf;
    case Op.CLC: return execClc;
    case Op.STC: return execStc;
    case Op.CMC: return execCmc;
    case Op.SHIFT: return execShift;
    case Op.SHLD: case Op.SHRD: return execShiftDouble;
    case Op.IMUL2: case Op.IMUL3: return execImulN;
    case Op.MUL1: case Op.IMUL1: return execMul1;
    case Op.DIV: case Op.IDIV: return execDiv;
    case Op.BT: return execBt;
    case Op.BSF: case Op.BSR: case Op.TZCNT: case Op.LZCNT: case Op.POPCNT: return execBitScan;
    case Op.BSWAP: return execBswap;
    case Op.MOVS: case Op.STOS: case Op.LODS: case Op.CMPS: case Op.SCAS: return execString;
    case Op.NOP: case Op.PAUSE: case Op.MFENCE: return hNop;
    default: return null;
  }
}

/**
 * Pick the executor of a decoded instruction, once per decode (it is cached with the instruction):
 * a fast path specialized for the most frequent forms, else its family's executor (executorOf).
 */
export function selectHandler(d: Insn): InsnHandler | null {
  const seg = (d.prefixes & (Pfx.FS | Pfx.GS)) !== 0;
  switch (d.op) {
    case Op.PUSH: if (d.reg !== NO_REG && d.size === 8) return hPush; break;
    case Op.POP: if (d.reg !== NO_REG && d.size === 8) return hPop; break;
    case Op.LEA: if (d.size === 8 && !seg) return hLea64; break;
    case Op.MOV:
      if (seg) break;
      if (d.hasMem) {
        if (d.rmIsDst) {
          if (d.reg === NO_REG) return hStoreImm;
          if (d.size !== 1 || d.reg < REG_AH) return hStore;
          break;
        }
        if (d.size === 8) return hLoad64;
        if (d.size === 4) return hLoad32;
        break;
      }
      if (d.reg === NO_REG) { if (d.size >= 4) return hMovImm; break; }
      if (d.size === 8) return hMovRR64;
      if (d.size === 4) return hMovRR32;
      break;
    case Op.MOVZX: if (d.hasMem && !seg && d.size >= 4) return hLoadZx; break;
    case Op.ADD: case Op.SUB: case Op.CMP: case Op.AND: case Op.OR: case Op.XOR: case Op.TEST:
      if (d.hasMem || (d.prefixes & Pfx.LOCK) !== 0) break;
      if (d.size === 8) return hAlu64;
      if (d.size === 4) return hAlu32;
      break;
  }
  return executorOf(d.op);
}
