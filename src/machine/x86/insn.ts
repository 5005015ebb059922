// Decoded x86-64 instruction: the shape shared by the decoder, the interpreter and the AT&T formatter.

import type { Unit } from './jit.js';

/** Operation the interpreter performs. Mnemonic-level detail lives in `opcode`/`ext`. */
export const enum Op {
  INVALID, // opcode outside the supported subset (decoder error recorded in `error`)
  // ALU with two operands; `dst` = rm or reg per `dir`
  ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST,
  MOV, MOVZX, MOVSX, MOVSXD, LEA, XCHG, CMPXCHG, XADD, BSWAP,
  INC, DEC, NOT, NEG, MUL1, IMUL1, DIV, IDIV, IMUL2, IMUL3,
  SHIFT, // ext = 0 rol,1 ror,2 rcl,3 rcr,4 shl,5 shr,6 sal,7 sar; count from immCount / CL / 1
  SHLD, SHRD, // count: imm or CL
  BT, // ext: 0 bt, 1 bts, 2 btr, 3 btc; bit from reg or imm
  BSF, BSR, TZCNT, LZCNT, POPCNT,
  CBW, CWD, // sign-extend accumulator (size gives form)
  SETCC, CMOVCC, JCC, JMP, JMP_IND, CALL, CALL_IND, RET, RET_IMM,
  PUSH, POP, PUSH_IMM, PUSHF, POPF, LEAVE,
  NOP, PAUSE, HLT, CLI, STI, CLC, STC, CMC, CLD, STD,
  INT3, UD2, VMCALL, CPUID, RDTSC, IRET, SERIALIZE, MFENCE,
  IN, OUT, // port from imm8 (portImm >= 0) or DX (-1)
  MOVS, STOS, LODS, CMPS, SCAS,
  SAHF, LAHF,
  /** A valid instruction (objdump knows it) that the interpreter does not execute: `error` names it. */
  NOEXEC,
}

/** Prefix bits recorded for the formatter and the interpreter. */
export const enum Pfx {
  OPSIZE = 1, ADDRSIZE = 2, REP = 4, REPNE = 8, LOCK = 16,
  CS = 32, DS = 64, ES = 128, SS = 256, FS = 512, GS = 1024,
}

/** Register numbers: 0..15 are rax..r15; 16..19 are ah, ch, dh, bh (8-bit operands without REX). */
export const REG_AH = 16;
export const NO_REG = -1;

/**
 * A specialized executor for one decoded instruction (the interpreter picks it once per decode).
 * Declared bivariantly so the CPU module can store handlers typed on its own class.
 */
export type InsnHandler = { bivarianceHack(cpu: object, d: Insn): void }['bivarianceHack'];

/** Shared empty values for the fields most instructions leave empty (no per-instruction allocation). */
export const NO_PREFIX_BYTES: readonly number[] = Object.freeze([]);
const NO_BYTES = new Uint8Array(0);

export class Insn {
  // Hot fields first: the interpreter's fast paths touch only these, so they share cache lines.
  /** Fast-path executor chosen by the interpreter, or null for the generic one. */
  handler: InsnHandler | null = null;
  op: Op = Op.INVALID;
  /** It starts a patch site and ends inside it (the first half of a two-instruction nop): a place a task can be preempted mid-site. */
  midSite = false;
  /** It starts inside a registered patch site (executed on the generic path, logged in MachineEvents). */
  atSite = false;
  /** Address of the next instruction (addr + len). */
  next = 0;
  /** The compiled unit that has a block starting here (jit tier), and that block's number in it. */
  unit: Unit | null = null;
  unitPc = 0;
  /** Times the interpreter ran it while no unit starts here (jit tier: compiled at jitConfig.hot). */
  heat = 0;
  /** Operand size in bytes: 1, 2, 4 or 8. */
  size = 4;
  /** The reg operand (ModRM.reg with REX.R, or the register encoded in the opcode); NO_REG when none. */
  reg = NO_REG;
  /** The r/m operand when it is a register (mod == 3); NO_REG when it is memory. */
  rm = NO_REG;
  /** True when the rm operand is the destination (opcode direction bit clear / group ops). */
  rmIsDst = true;
  /** Immediate, sign- (or for movabs, fully) extended: low 32 bits unsigned and high 32 bits signed. */
  immLo = 0;
  immHi = 0;
  /** Branch target for direct jmp/jcc/call (absolute, signed double). */
  target = 0;
  /** Condition code 0..15 for jcc/setcc/cmovcc. */
  cond = 0;
  /** Memory operand: base/index registers (NO_REG when absent), scale 1/2/4/8, displacement. */
  base = NO_REG;
  index = NO_REG;
  scale = 1;
  /** `disp` split as 64-bit value: low 32 bits unsigned, high 32 bits signed. */
  dispLo = 0;
  dispHi = 0;
  hasMem = false;
  /** Prefix bits (Pfx). */
  prefixes = 0;
  /** Source size for movzx/movsx/movsxd (1, 2 or 4). */
  srcSize = 0;
  /** ModRM.reg raw 3 bits (the group extension for group opcodes), or the sub-operation. */
  ext = 0;
  /** Shift count source: 1 = constant one, 2 = CL, 3 = imm8. */
  countSrc = 0;
  /** Address of the instruction (signed 64-bit value as a double; canonical addresses are exact). */
  addr = 0;
  len = 0;

  // Cold fields: decoding detail for the formatter, error messages and the slow paths.
  /** Opcode: one-byte opcodes as is; 0x0f-map opcodes as 0x100 | byte; 0x0f01 group as 0x10100 | modrm. */
  opcode = 0;
  /** Raw REX byte (0 when absent). */
  rex = 0;
  /** The legacy prefix bytes before REX/opcode, in order (formatter). */
  prefixBytes: readonly number[] = NO_PREFIX_BYTES;
  /** ModRM byte (-1 when the instruction has none) and its mod field. */
  modrm = -1;
  mod = 0;
  /** Displacement as a signed value; for RIP-relative operands the absolute target. */
  disp = 0;
  /** RIP-relative: `disp` already holds the absolute target; `ripRel` remembers the encoding. */
  ripRel = false;
  /** Raw displacement (signed) as encoded, and its width in bytes (formatter). */
  rawDisp = 0;
  dispBytes = 0;
  /** SIB byte present (formatter distinguishes (%rax,%riz,1)-style encodings). */
  hasSib = false;
  immBytes = 0;
  /** Port number for in/out with imm8, -1 when DX. */
  portImm = -1;
  /** Decode error message for INVALID. */
  error = '';
  /** Raw bytes (formatter and error messages). */
  bytes: Uint8Array = NO_BYTES;
  // Set by the full decoder (decode-ext.ts) for NOEXEC and INVALID instructions only.
  /** Mnemonic as objdump prints it. */
  mnem = '';
  /** Operand texts in AT&T order; a branch target is the marker TARGET_MARK (the formatter names it). */
  operands: readonly string[] = NO_PREFIX_BYTES as unknown as readonly string[];
  /** Prefix names printed before the mnemonic (with a trailing space), e.g. `lock ` or `rex.W `. */
  pfxText = '';
  /** Instruction family for messages: SSE, AVX, AVX-512, x87, ... */
  family = '';
}

export const REG64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
export const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
export const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
export const REG8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b', 'ah', 'ch', 'dh', 'bh'];
export const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

export function regName(r: number, size: number): string {
  switch (size) {
    case 1: return REG8[r];
    case 2: return REG16[r];
    case 4: return REG32[r];
    default: return REG64[r];
  }
}
