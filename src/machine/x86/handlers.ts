// Fast-path selection: which specialized executor a decoded instruction gets (null: the CPU's generic exec).

import { Insn, Op, Pfx, NO_REG, REG_AH, type InsnHandler } from './insn.js';
import { hAluReg, hAluRegSmall, hAluLoad, hAluMem, hIncDecReg, execIncDec, execNotNeg } from './alu.js';
import { hJcc, hJmp, hCall, hRet, execJmpInd, execCallInd } from './branch.js';
import { hPush, hPop } from './stack.js';
import {
  hMovRR64, hMovRR32, hMovImm, hLoad64, hLoad32, hLoadZx, hStore, hStoreImm, hLea64, hMovzxReg, hMovsxReg64,
  execMov, execMovzx, execMovsx, execLea, execXchg, execCbw, execCwd,
} from './mov.js';
import { hShiftReg, execShift } from './shift.js';
import { hSetccReg, hCmovReg, execSetcc, execCmovcc } from './flags.js';
import { execImulN, execMul1, execDiv } from './muldiv.js';
import { execBt, execBitScan, execBswap } from './bits.js';

/** Operations that end a slice when the scheduler asks for it (Cpu.sliceAtVisible), by op. */
const VISIBLE = new Uint8Array(256);
for (const op of [Op.CLI, Op.STI, Op.POPF, Op.VMCALL, Op.IRET, Op.CPUID, Op.SERIALIZE, Op.CMPXCHG]) VISIBLE[op] = 1;

/** An operation other CPUs can observe: it runs on the generic path, where the CPU ends its slice. */
export function isVisible(d: Insn): boolean {
  return VISIBLE[d.op] === 1 || (d.prefixes & Pfx.LOCK) !== 0 || (d.op === Op.XCHG && d.hasMem) || d.midSite;
}

/**
 * Pick the fast-path executor for a decoded instruction, chosen once per decode and cached with it.
 * Handlers run without the CPU's cycle count synchronized: an instruction that reads `cycles`, moves
 * the run loop's limit or touches interrupt state must get null (the generic exec).
 */
export function selectHandler(d: Insn, site?: { len: number }, inSite = false): InsnHandler | null {
  // an instruction that ends inside the patch site it starts: the boundary after it is one where a
  // preemption matters (see SchedulerOptions.preemptAtSites), so slices end there too
  if (site !== undefined && site.len > d.len) d.midSite = true;
  // patch-site instructions take the generic path, which logs them for MachineEvents
  if (site !== undefined || inSite) { d.atSite = true; return null; }
  if (isVisible(d)) return null; // slices end after these, on the generic path
  const seg = (d.prefixes & (Pfx.FS | Pfx.GS)) !== 0;
  // Where no specialized executor fits, an instruction file's own exec function serves as the handler:
  // it has the generic path's semantics and skips only the run loop's bookkeeping around it.
  switch (d.op) {
    case Op.JCC: return hJcc;
    case Op.JMP: return hJmp;
    case Op.CALL: return hCall;
    case Op.RET: case Op.RET_IMM: return hRet;
    case Op.JMP_IND: return execJmpInd;
    case Op.CALL_IND: return execCallInd;
    case Op.PUSH: return d.reg !== NO_REG && d.size === 8 ? hPush : null;
    case Op.POP: return d.reg !== NO_REG && d.size === 8 ? hPop : null;
    case Op.LEA: return d.size === 8 ? hLea64 : execLea; // lea ignores segment prefixes
    case Op.MOV:
      if (seg) return execMov;
      if (d.hasMem) {
        if (d.rmIsDst) {
          if (d.reg === NO_REG) return hStoreImm;
          return d.size === 1 && d.reg >= REG_AH ? execMov : hStore;
        }
        return d.size === 8 ? hLoad64 : d.size === 4 ? hLoad32 : execMov;
      }
      if (d.reg === NO_REG) return d.size >= 4 ? hMovImm : execMov;
      return d.size === 8 ? hMovRR64 : d.size === 4 ? hMovRR32 : execMov;
    case Op.MOVZX:
      if (d.size < 4) return execMovzx;
      if (d.hasMem) return seg ? execMovzx : hLoadZx;
      return hMovzxReg;
    case Op.MOVSX: case Op.MOVSXD:
      return !d.hasMem && d.size === 8 ? hMovsxReg64 : execMovsx;
    case Op.ADD: case Op.SUB: case Op.CMP: case Op.AND: case Op.OR: case Op.XOR: case Op.TEST: case Op.ADC: case Op.SBB:
      // locked forms were sent to the generic path above
      if (d.hasMem) return d.size >= 4 && !d.rmIsDst && d.op !== Op.TEST ? hAluLoad : hAluMem;
      return d.size >= 4 ? hAluReg : hAluRegSmall;
    case Op.INC: case Op.DEC:
      return !d.hasMem && d.size >= 4 ? hIncDecReg : execIncDec;
    case Op.NOT: case Op.NEG: return execNotNeg;
    case Op.SHIFT:
      return !d.hasMem && d.size >= 4 ? hShiftReg : execShift;
    case Op.SETCC: return d.hasMem ? execSetcc : hSetccReg;
    case Op.CMOVCC: return !d.hasMem && d.size >= 4 ? hCmovReg : execCmovcc;
    case Op.IMUL2: case Op.IMUL3: return execImulN;
    case Op.MUL1: case Op.IMUL1: return execMul1;
    case Op.DIV: case Op.IDIV: return execDiv;
    case Op.BT: return execBt;
    case Op.BSF: case Op.BSR: case Op.TZCNT: case Op.LZCNT: case Op.POPCNT: return execBitScan;
    case Op.BSWAP: return execBswap;
    case Op.CBW: return execCbw;
    case Op.CWD: return execCwd;
    case Op.XCHG: return execXchg; // with memory it is visible (sent to the generic path above)
    case Op.NOP: case Op.PAUSE: case Op.MFENCE: return hNop; // patch-site nops were sent to the generic path above
    default:
      return null;
  }
}

/** nop, pause, mfence: nothing but the next instruction (one CPU's memory is sequentially consistent here). */
function hNop(c: { rip: number }, d: Insn): void {
  c.rip = d.next;
}
