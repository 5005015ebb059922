// int3 instruction emulation on a trapped context's pt_regs: push, pop, jmp, call, ret (arch/x86/include/asm/text-patching.h).
//
// A #BP handler (poke_int3_handler, static calls, kprobes) that claims a trap at a site being
// patched gives the trapping CPU the site's *new* semantics instead of resuming it at site+1:
// a call is emulated by pushing its return address on the interrupted stack and moving the
// frame's return point to the callee. The push writes below the interrupted stack pointer, where
// the CPU put the exception frame; the #BP entry stub therefore copies the frame six words lower
// first (create_gap, entry.ts), and these helpers refuse a push that would land on the frame.
//
// Invariant 3 (call/ret integrity): every emulation also tells the flow monitor what it did, so
// that the callee's later `ret` — or the frame's `iret` to its new return point — checks out.

import { MachineViolation } from '../machine/x86/cpu.js';
import { addrToNum, hex, type Memory } from '../machine/memory.js';
import type { FlowIntegrity } from '../machine/flow.js';
import { PT_REGS_SIZE, type PtRegs } from './ptregs.js';

export const INT3_INSN_SIZE = 1;
export const INT3_INSN_OPCODE = 0xcc;
export const RET_INSN_SIZE = 1;
export const RET_INSN_OPCODE = 0xc3;
export const CALL_INSN_SIZE = 5;
export const CALL_INSN_OPCODE = 0xe8;
export const JMP32_INSN_SIZE = 5;
export const JMP32_INSN_OPCODE = 0xe9;
export const JMP8_INSN_SIZE = 2;
export const JMP8_INSN_OPCODE = 0xeb;

/** Where an emulation runs: guest memory, the CPU that trapped, and the monitor whose shadow stack it keeps right (null: monitor off). */
export interface Int3Context {
  mem: Memory;
  cpu: number;
  flow: FlowIntegrity | null;
}

/** The context for a handler running on `cpu` of kernel `k` (e.g. `int3Context(kernel, cpu)` inside an Int3Handler). */
export function int3Context(k: { machine: { mem: Memory }; flow: FlowIntegrity | null }, cpu: { id: number }): Int3Context {
  return { mem: k.machine.mem, cpu: cpu.id, flow: k.flow };
}

/** An emulation that would corrupt the interrupted context (a push over the exception frame). */
export class Int3EmulationError extends Error {}

/** Size of the instruction `opcode` starts, for the opcodes text_poke_bp emulates (text_opcode_size); 0 for others. */
export function textOpcodeSize(opcode: number): number {
  switch (opcode) {
    case INT3_INSN_OPCODE: return INT3_INSN_SIZE;
    case RET_INSN_OPCODE: return RET_INSN_SIZE;
    case CALL_INSN_OPCODE: return CALL_INSN_SIZE;
    case JMP32_INSN_OPCODE: return JMP32_INSN_SIZE;
    case JMP8_INSN_OPCODE: return JMP8_INSN_SIZE;
    default: return 0;
  }
}

/**
 * The bytes of `opcode` at `addr` reaching `dest` (text_gen_insn): e8/e9 with a rel32, eb with a
 * rel8, or the opcode alone. Throws when the displacement does not fit.
 */
export function textGenInsn(opcode: number, addr: bigint, dest: bigint): Uint8Array {
  const size = textOpcodeSize(opcode);
  if (size === 0) throw new RangeError(`text_gen_insn: opcode ${hex(opcode)} is not one text_poke_bp emulates`);
  const out = new Uint8Array(size);
  out[0] = opcode;
  if (size === 1) return out;
  const disp = BigInt.asIntN(64, dest - (addr + BigInt(size)));
  const limit = size === 2 ? 128n : 1n << 31n;
  if (disp < -limit || disp >= limit) {
    throw new RangeError(`text_gen_insn: ${hex(dest)} is out of reach of a ${size}-byte ${hex(opcode)} at ${hex(addr)} (displacement ${disp})`);
  }
  const dv = new DataView(out.buffer);
  if (size === 2) dv.setInt8(1, Number(disp));
  else dv.setInt32(1, Number(disp), true);
  return out;
}

/** int3_emulate_jmp: resume the trapped context at `ip` (the #BP frame's return point moves; the monitor is told). */
export function int3EmulateJmp(regs: PtRegs, ip: bigint, ctx: Int3Context): void {
  regs.ip = ip;
  ctx.flow?.redirectFrame(ctx.cpu, addrToNum(ip));
}

/**
 * int3_emulate_push: push `val` on the trapped context's stack. The slot is just below regs->sp;
 * a push that would land on the saved pt_regs and hardware frame (an entry without the stack gap)
 * is refused, naming both ranges, instead of silently corrupting the frame the handler returns through.
 */
export function int3EmulatePush(regs: PtRegs, val: bigint, ctx: Int3Context): void {
  const sp = regs.sp - 8n;
  const lo = regs.addr;
  const hi = regs.addr + BigInt(PT_REGS_SIZE);
  if (sp < hi && sp + 8n > lo) {
    throw new Int3EmulationError(
      `int3_emulate_push of ${hex(val)} at ${hex(sp)} would overwrite the exception frame (pt_regs ${hex(lo)}-${hex(hi)}): ` +
      'the #BP entry left no stack gap below the interrupted stack');
  }
  ctx.mem.writeU64(sp, val);
  regs.sp = sp;
}

/** int3_emulate_pop: pop a word off the trapped context's stack. */
export function int3EmulatePop(regs: PtRegs, ctx: Int3Context): bigint {
  const sp = regs.sp;
  const v = ctx.mem.readU64(sp);
  regs.sp = sp + 8n;
  return v;
}

/**
 * int3_emulate_call: the trapped site is a 5-byte `call func`; push its return address (site + 5,
 * regs->ip pointing after the int3) and resume at `func`. The monitor records the call in the
 * interrupted context, below the #BP frame, so that func's `ret` to site + 5 checks out.
 */
export function int3EmulateCall(regs: PtRegs, func: bigint, ctx: Int3Context): void {
  const returnTo = regs.ip - BigInt(INT3_INSN_SIZE) + BigInt(CALL_INSN_SIZE);
  int3EmulatePush(regs, returnTo, ctx);
  ctx.flow?.emulateCall(ctx.cpu, addrToNum(returnTo));
  int3EmulateJmp(regs, func, ctx);
}

/**
 * int3_emulate_ret: the trapped site is a `ret`; pop the return address and resume there. The
 * monitor checks it against the interrupted context's innermost call, as for a real ret: a
 * mismatch is an invariant 3 violation.
 */
export function int3EmulateRet(regs: PtRegs, ctx: Int3Context): void {
  const at = regs.ip - BigInt(INT3_INSN_SIZE);
  const ip = int3EmulatePop(regs, ctx);
  const bad = ctx.flow?.emulateRet(ctx.cpu, addrToNum(ip)) ?? null;
  if (bad !== null) throw new MachineViolation(3, ctx.cpu, addrToNum(at), bad, new Uint8Array([INT3_INSN_OPCODE]));
  int3EmulateJmp(regs, ip, ctx);
}
