// Fast-path selection: which specialized executor a decoded instruction gets (null: the CPU's generic exec).

import { Insn, Op, Pfx, NO_REG, REG_AH, type InsnHandler } from './insn.js';
import { hAluReg } from './alu.js';
import { hJcc, hJmp, hCall, hRet } from './branch.js';
import { hPush, hPop } from './stack.js';
import { hMovRR64, hMovRR32, hMovImm, hLoad64, hLoad32, hLoadZx, hStore, hStoreImm, hLea64 } from './mov.js';

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
  switch (d.op) {
    case Op.JCC: return hJcc;
    case Op.JMP: return hJmp;
    case Op.CALL: return hCall;
    case Op.RET: case Op.RET_IMM: return hRet;
    case Op.PUSH: return d.reg !== NO_REG && d.size === 8 ? hPush : null;
    case Op.POP: return d.reg !== NO_REG && d.size === 8 ? hPop : null;
    case Op.LEA: return d.size === 8 && !seg ? hLea64 : null;
    case Op.MOV:
      if (seg) return null;
      if (d.hasMem) {
        if (d.rmIsDst) {
          if (d.reg === NO_REG) return hStoreImm;
          return d.size === 1 && d.reg >= REG_AH ? null : hStore;
        }
        return d.size === 8 ? hLoad64 : d.size === 4 ? hLoad32 : null;
      }
      if (d.reg === NO_REG) return d.size >= 4 ? hMovImm : null;
      return d.size === 8 ? hMovRR64 : d.size === 4 ? hMovRR32 : null;
    case Op.MOVZX:
      return d.hasMem && !seg && d.size >= 4 ? hLoadZx : null;
    case Op.ADD: case Op.SUB: case Op.CMP: case Op.AND: case Op.OR: case Op.XOR: case Op.TEST:
      if (d.hasMem) return null; // locked forms were sent to the generic path above
      return d.size >= 4 ? hAluReg : null;
    default:
      return null;
  }
}
