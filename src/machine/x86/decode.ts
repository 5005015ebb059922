// x86-64 instruction decoder: a fast path for the integer subset the interpreter executes; everything else goes to decode-ext.

import { Insn, Op, Pfx, NO_REG, REG_AH } from './insn.js';
import { decodeFull } from './decode-ext.js';

const MAX_LEN = 15;

/** The eight ALU operations, in the order of opcode bits 5:3 and of the group-1 ModRM.reg field. */
const GROUP1: readonly Op[] = [Op.ADD, Op.OR, Op.ADC, Op.SBB, Op.AND, Op.SUB, Op.XOR, Op.CMP];

class DecodeError extends Error {}

/** Sign-extend an n-byte little-endian value read from buf. */
function readImm(buf: Uint8Array, p: number, n: number): number {
  switch (n) {
    case 1: return (buf[p] << 24) >> 24;
    case 2: return ((buf[p] | (buf[p + 1] << 8)) << 16) >> 16;
    default: return buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24);
  }
}

/** The generic refusal of the fast path: the full decoder names the instruction instead. */
const NOT_SUPPORTED = 'opcode not supported by the interpreter';

/**
 * Decode one instruction from `buf[off..off+avail)` located at guest address `addr`.
 * Never throws. An instruction outside the executable subset is decoded by the full decoder: op NOEXEC with
 * its exact length, text and an `error` naming it, or op INVALID (objdump's `(bad)`, or bytes cut short).
 */
export function decode(buf: Uint8Array, off: number, avail: number, addr: number): Insn {
  const d = new Insn();
  d.addr = addr;
  const limit = Math.min(avail, MAX_LEN);
  let p = off;
  const need = (n: number): void => {
    if (p + n > off + limit) {
      throw new DecodeError(limit >= MAX_LEN ? 'instruction longer than 15 bytes' : 'instruction runs past the end of readable memory');
    }
  };
  try {
    // Legacy prefixes.
    let prefixes = 0;
    for (;;) {
      need(1);
      const b = buf[p];
      let bit = 0;
      switch (b) {
        case 0x66: bit = Pfx.OPSIZE; break;
        case 0x67: bit = Pfx.ADDRSIZE; break;
        case 0xf3: bit = Pfx.REP; break;
        case 0xf2: bit = Pfx.REPNE; break;
        case 0xf0: bit = Pfx.LOCK; break;
        case 0x2e: bit = Pfx.CS; break;
        case 0x3e: bit = Pfx.DS; break;
        case 0x26: bit = Pfx.ES; break;
        case 0x36: bit = Pfx.SS; break;
        case 0x64: bit = Pfx.FS; break;
        case 0x65: bit = Pfx.GS; break;
      }
      if (bit === 0) break;
      prefixes |= bit;
      d.prefixBytes = [...d.prefixBytes, b];
      p++;
    }
    if (prefixes & Pfx.ADDRSIZE) throw new DecodeError('address-size prefix (0x67) is not supported');
    let rex = 0;
    need(1);
    if ((buf[p] & 0xf0) === 0x40) {
      rex = buf[p++];
    }
    d.prefixes = prefixes;
    d.rex = rex;
    const rexW = (rex & 8) !== 0;
    const rexR = (rex & 4) << 1; // 8 or 0
    const rexX = (rex & 2) << 2;
    const rexB = (rex & 1) << 3;
    const opsize = rexW ? 8 : (prefixes & Pfx.OPSIZE) ? 2 : 4;
    d.size = opsize;
    // push/pop default to 64 bits; 66 makes them 16-bit unless REX.W; in/out are 16 or 32
    const stackSize = !rexW && (prefixes & Pfx.OPSIZE) ? 2 : 8;
    const ioSize = !rexW && (prefixes & Pfx.OPSIZE) ? 2 : 4;

    need(1);
    let opc = buf[p++];
    if (opc === 0x0f) {
      need(1);
      opc = 0x100 | buf[p++];
    }
    d.opcode = opc;

    // 8-bit register operand naming: without REX, 4..7 are ah..bh.
    const r8 = (r: number): number => (rex === 0 && r >= 4 && r < 8 ? REG_AH + r - 4 : r);

    const modrm = (): void => {
      need(1);
      const m = buf[p++];
      d.modrm = m;
      const mod = m >> 6;
      d.mod = mod;
      d.ext = (m >> 3) & 7;
      d.reg = d.ext | rexR;
      const rm = m & 7;
      if (mod === 3) {
        d.rm = rm | rexB;
        return;
      }
      d.hasMem = true;
      if (rm === 4) {
        need(1);
        const sib = buf[p++];
        d.hasSib = true;
        const ss = sib >> 6;
        const idx = ((sib >> 3) & 7) | rexX;
        const base = sib & 7;
        d.scale = 1 << ss;
        d.index = idx === 4 ? NO_REG : idx;
        if (base === 5 && mod === 0) {
          d.base = NO_REG;
          need(4);
          d.rawDisp = readImm(buf, p, 4);
          d.dispBytes = 4;
          p += 4;
        } else {
          d.base = base | rexB;
        }
      } else if (rm === 5 && mod === 0) {
        d.ripRel = true;
        need(4);
        d.rawDisp = readImm(buf, p, 4);
        d.dispBytes = 4;
        p += 4;
      } else {
        d.base = rm | rexB;
      }
      if (mod === 1) {
        need(1);
        d.rawDisp = readImm(buf, p, 1);
        d.dispBytes = 1;
        p += 1;
      } else if (mod === 2) {
        need(4);
        d.rawDisp = readImm(buf, p, 4);
        d.dispBytes = 4;
        p += 4;
      }
      d.disp = d.rawDisp;
    };
    const imm = (n: number): void => {
      need(n);
      const v = readImm(buf, p, n);
      p += n;
      d.immLo = v >>> 0;
      d.immHi = v < 0 ? -1 : 0;
      d.immBytes = n;
    };
    const immz = (): void => imm(opsize === 2 ? 2 : 4);
    const rel = (n: number): void => {
      need(n);
      const v = readImm(buf, p, n);
      p += n;
      d.immBytes = n;
      d.rawDisp = v;
      // target computed after length is known
      d.target = v;
    };
    const bad = (): never => {
      throw new DecodeError(NOT_SUPPORTED);
    };
    /** 66-prefixed near control transfers would truncate to 16 bits; gcc never emits them. */
    const noOpsize = (): void => {
      if ((prefixes & Pfx.OPSIZE) && !rexW) throw new DecodeError('operand-size prefix on a near control transfer is not supported');
    };

    let isBranchRel = false;
    if (opc < 0x100) {
      if (opc < 0x40 && (opc & 7) < 6) {
        // ALU block: add/or/adc/sbb/and/sub/xor/cmp
        d.op = GROUP1[opc >> 3];
        switch (opc & 7) {
          case 0: d.size = 1; modrm(); d.reg = r8(d.reg); if (d.rm >= 0) d.rm = r8(d.rm); d.rmIsDst = true; break;
          case 1: modrm(); d.rmIsDst = true; break;
          case 2: d.size = 1; modrm(); d.reg = r8(d.reg); if (d.rm >= 0) d.rm = r8(d.rm); d.rmIsDst = false; break;
          case 3: modrm(); d.rmIsDst = false; break;
          case 4: d.size = 1; d.rm = 0; imm(1); d.rmIsDst = true; break;
          case 5: d.rm = 0; immz(); d.rmIsDst = true; break;
        }
        if ((opc & 7) >= 4) {
          // accumulator with immediate: encoded as rm=rax, no reg operand
          d.reg = NO_REG;
        }
      } else if (opc >= 0x50 && opc <= 0x57) {
        d.op = Op.PUSH; d.reg = (opc & 7) | rexB; d.size = stackSize;
      } else if (opc >= 0x58 && opc <= 0x5f) {
        d.op = Op.POP; d.reg = (opc & 7) | rexB; d.size = stackSize;
      } else if (opc >= 0x70 && opc <= 0x7f) {
        d.op = Op.JCC; d.cond = opc & 15; rel(1); isBranchRel = true;
      } else if (opc >= 0x91 && opc <= 0x97) {
        d.op = Op.XCHG; d.reg = (opc & 7) | rexB; d.rm = 0;
      } else if (opc >= 0xb0 && opc <= 0xb7) {
        d.op = Op.MOV; d.size = 1; d.rm = r8((opc & 7) | rexB); imm(1); d.reg = NO_REG;
      } else if (opc >= 0xb8 && opc <= 0xbf) {
        d.op = Op.MOV; d.rm = (opc & 7) | rexB; d.reg = NO_REG;
        if (rexW) {
          need(8);
          d.immLo = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
          d.immHi = buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16) | (buf[p + 7] << 24);
          d.immBytes = 8;
          p += 8;
        } else {
          immz();
          if (opsize === 4) d.immHi = 0;
        }
      } else {
        switch (opc) {
          case 0x63: d.op = Op.MOVSXD; d.srcSize = 4; modrm(); d.rmIsDst = false; break;
          case 0x68: d.op = Op.PUSH_IMM; d.size = stackSize; imm(d.size === 2 ? 2 : 4); break;
          case 0x6a: d.op = Op.PUSH_IMM; d.size = stackSize; imm(1); break;
          case 0x69: d.op = Op.IMUL3; modrm(); immz(); d.rmIsDst = false; break;
          case 0x6b: d.op = Op.IMUL3; modrm(); imm(1); d.rmIsDst = false; break;
          case 0x80: case 0x82: {
            d.size = 1; modrm(); if (d.rm >= 0) d.rm = r8(d.rm);
            d.op = GROUP1[d.ext]; d.reg = NO_REG; imm(1);
            if (opc === 0x82) bad();
            break;
          }
          case 0x81: modrm(); d.op = GROUP1[d.ext]; d.reg = NO_REG; immz(); break;
          case 0x83: modrm(); d.op = GROUP1[d.ext]; d.reg = NO_REG; imm(1); break;
          case 0x84: d.op = Op.TEST; d.size = 1; modrm(); d.reg = r8(d.reg); if (d.rm >= 0) d.rm = r8(d.rm); break;
          case 0x85: d.op = Op.TEST; modrm(); break;
          case 0x86: d.op = Op.XCHG; d.size = 1; modrm(); d.reg = r8(d.reg); if (d.rm >= 0) d.rm = r8(d.rm); break;
          case 0x87: d.op = Op.XCHG; modrm(); break;
          case 0x88: d.op = Op.MOV; d.size = 1; modrm(); d.reg = r8(d.reg); if (d.rm >= 0) d.rm = r8(d.rm); d.rmIsDst = true; break;
          case 0x89: d.op = Op.MOV; modrm(); d.rmIsDst = true; break;
          case 0x8a: d.op = Op.MOV; d.size = 1; modrm(); d.reg = r8(d.reg); if (d.rm >= 0) d.rm = r8(d.rm); d.rmIsDst = false; break;
          case 0x8b: d.op = Op.MOV; modrm(); d.rmIsDst = false; break;
          case 0x8d: d.op = Op.LEA; modrm(); d.rmIsDst = false; if (!d.hasMem) bad(); break;
          case 0x8f: d.op = Op.POP; modrm(); d.size = stackSize; if (d.ext !== 0) bad(); d.reg = NO_REG; break;
          case 0x90:
            if (rexB) { d.op = Op.XCHG; d.reg = 8; d.rm = 0; }
            else d.op = (prefixes & Pfx.REP) ? Op.PAUSE : Op.NOP;
            break;
          case 0x98: d.op = Op.CBW; break;
          case 0x99: d.op = Op.CWD; break;
          case 0x9c: d.op = Op.PUSHF; d.size = stackSize; break;
          case 0x9d: d.op = Op.POPF; d.size = stackSize; break;
          case 0x9e: d.op = Op.SAHF; break;
          case 0x9f: d.op = Op.LAHF; break;
          case 0xa8: d.op = Op.TEST; d.size = 1; d.rm = 0; d.reg = NO_REG; imm(1); break;
          case 0xa9: d.op = Op.TEST; d.rm = 0; d.reg = NO_REG; immz(); break;
          case 0xa4: d.op = Op.MOVS; d.size = 1; break;
          case 0xa5: d.op = Op.MOVS; break;
          case 0xa6: d.op = Op.CMPS; d.size = 1; break;
          case 0xa7: d.op = Op.CMPS; break;
          case 0xaa: d.op = Op.STOS; d.size = 1; break;
          case 0xab: d.op = Op.STOS; break;
          case 0xac: d.op = Op.LODS; d.size = 1; break;
          case 0xad: d.op = Op.LODS; break;
          case 0xae: d.op = Op.SCAS; d.size = 1; break;
          case 0xaf: d.op = Op.SCAS; break;
          case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3:
            if (!(opc & 1)) d.size = 1;
            modrm(); if (d.size === 1 && d.rm >= 0) d.rm = r8(d.rm);
            d.op = Op.SHIFT; d.reg = NO_REG;
            if (opc <= 0xc1) { d.countSrc = 3; imm(1); }
            else if (opc <= 0xd1) d.countSrc = 1;
            else d.countSrc = 2;
            break;
          case 0xc2: noOpsize(); d.op = Op.RET_IMM; imm(2); d.immLo &= 0xffff; d.immHi = 0; break;
          case 0xc3: noOpsize(); d.op = Op.RET; break;
          case 0xc6: d.op = Op.MOV; d.size = 1; modrm(); if (d.ext !== 0) bad(); if (d.rm >= 0) d.rm = r8(d.rm); d.reg = NO_REG; imm(1); break;
          case 0xc7: d.op = Op.MOV; modrm(); if (d.ext !== 0) bad(); d.reg = NO_REG; immz(); break;
          case 0xc9: noOpsize(); d.op = Op.LEAVE; d.size = 8; break;
          case 0xcc: d.op = Op.INT3; break;
          case 0xcf: noOpsize(); d.op = Op.IRET; break;
          case 0xe8: d.op = Op.CALL; rel(4); isBranchRel = true; break;
          case 0xe9: d.op = Op.JMP; rel(4); isBranchRel = true; break;
          case 0xeb: d.op = Op.JMP; rel(1); isBranchRel = true; break;
          case 0xe4: case 0xe5: case 0xe6: case 0xe7:
            d.op = opc < 0xe6 ? Op.IN : Op.OUT; d.size = (opc & 1) ? ioSize : 1;
            need(1); d.portImm = buf[p++]; d.immBytes = 1; d.immLo = d.portImm; break;
          case 0xec: case 0xed: case 0xee: case 0xef:
            d.op = opc < 0xee ? Op.IN : Op.OUT; d.size = (opc & 1) ? ioSize : 1; d.portImm = -1; break;
          case 0xf4: d.op = Op.HLT; break;
          case 0xf5: d.op = Op.CMC; break;
          case 0xf6: case 0xf7:
            if (opc === 0xf6) d.size = 1;
            modrm(); if (d.size === 1 && d.rm >= 0) d.rm = r8(d.rm);
            d.reg = NO_REG;
            d.op = [Op.TEST, Op.TEST, Op.NOT, Op.NEG, Op.MUL1, Op.IMUL1, Op.DIV, Op.IDIV][d.ext];
            if (d.ext === 1) bad();
            if (d.ext === 0) { if (d.size === 1) imm(1); else immz(); }
            break;
          case 0xf8: d.op = Op.CLC; break;
          case 0xf9: d.op = Op.STC; break;
          case 0xfa: d.op = Op.CLI; break;
          case 0xfb: d.op = Op.STI; break;
          case 0xfc: d.op = Op.CLD; break;
          case 0xfd: d.op = Op.STD; break;
          case 0xfe:
            d.size = 1; modrm(); if (d.rm >= 0) d.rm = r8(d.rm); d.reg = NO_REG;
            if (d.ext === 0) d.op = Op.INC; else if (d.ext === 1) d.op = Op.DEC; else bad();
            break;
          case 0xff:
            modrm(); d.reg = NO_REG;
            switch (d.ext) {
              case 0: d.op = Op.INC; break;
              case 1: d.op = Op.DEC; break;
              case 2: noOpsize(); d.op = Op.CALL_IND; d.size = 8; break;
              case 4: noOpsize(); d.op = Op.JMP_IND; d.size = 8; break;
              case 6: d.op = Op.PUSH; d.size = stackSize; break;
              default: bad();
            }
            break;
          default: bad();
        }
      }
    } else {
      const o = opc & 0xff;
      if (o >= 0x40 && o <= 0x4f) {
        d.op = Op.CMOVCC; d.cond = o & 15; modrm(); d.rmIsDst = false;
      } else if (o >= 0x80 && o <= 0x8f) {
        d.op = Op.JCC; d.cond = o & 15; rel(4); isBranchRel = true;
      } else if (o >= 0x90 && o <= 0x9f) {
        d.op = Op.SETCC; d.cond = o & 15; d.size = 1; modrm(); if (d.rm >= 0) d.rm = r8(d.rm); d.reg = NO_REG;
      } else if (o >= 0xc8 && o <= 0xcf) {
        d.op = Op.BSWAP; d.reg = (o & 7) | rexB; if (opsize === 2) bad();
      } else {
        switch (o) {
          case 0x01: {
            need(1);
            const m = buf[p];
            if (prefixes & (Pfx.OPSIZE | Pfx.REP | Pfx.REPNE)) bad();
            if (m === 0xc1) { p++; d.op = Op.VMCALL; d.opcode = 0x10100 | m; }
            else if (m === 0xe8) { p++; d.op = Op.SERIALIZE; d.opcode = 0x10100 | m; }
            else bad();
            break;
          }
          case 0x0b: d.op = Op.UD2; break;
          case 0x0d: modrm(); if (!d.hasMem) bad(); d.op = Op.NOP; break; // prefetchw: a hint
          case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x1f:
            // hint nops (nopl/nopw), prefetch, endbr64; MPX's prefixed forms are other instructions
            if ((o === 0x1a || o === 0x1b) && (prefixes & (Pfx.OPSIZE | Pfx.REP | Pfx.REPNE))) bad();
            modrm(); d.op = Op.NOP; d.reg = NO_REG;
            break;
          case 0x31: d.op = Op.RDTSC; break;
          case 0xa2: d.op = Op.CPUID; break;
          case 0xa3: d.op = Op.BT; modrm(); d.ext = 0; break; // ext after modrm: reg is the bit offset
          case 0xab: d.op = Op.BT; modrm(); d.ext = 1; break; // ext after modrm: reg is the bit offset
          case 0xb3: d.op = Op.BT; modrm(); d.ext = 2; break; // ext after modrm: reg is the bit offset
          case 0xbb: d.op = Op.BT; modrm(); d.ext = 3; break; // ext after modrm: reg is the bit offset
          case 0xba:
            modrm(); if (d.ext < 4) bad(); d.op = Op.BT; d.ext -= 4; d.reg = NO_REG; imm(1); break;
          case 0xa4: d.op = Op.SHLD; modrm(); d.countSrc = 3; imm(1); break;
          case 0xa5: d.op = Op.SHLD; modrm(); d.countSrc = 2; break;
          case 0xac: d.op = Op.SHRD; modrm(); d.countSrc = 3; imm(1); break;
          case 0xad: d.op = Op.SHRD; modrm(); d.countSrc = 2; break;
          case 0xae:
            // lfence (e8-ef), mfence (f0), sfence (f8); with 66/f3/f2 these are other instructions
            need(1);
            if ((buf[p] >= 0xe8 && buf[p] <= 0xef || buf[p] === 0xf0 || buf[p] === 0xf8) && !(prefixes & (Pfx.OPSIZE | Pfx.REP | Pfx.REPNE))) { d.opcode = 0x1ae00 | buf[p]; p++; d.op = Op.MFENCE; }
            else bad();
            break;
          case 0xaf: d.op = Op.IMUL2; modrm(); d.rmIsDst = false; break;
          case 0xb0: d.op = Op.CMPXCHG; d.size = 1; modrm(); d.reg = r8(d.reg); if (d.rm >= 0) d.rm = r8(d.rm); break;
          case 0xb1: d.op = Op.CMPXCHG; modrm(); break;
          case 0xc0: d.op = Op.XADD; d.size = 1; modrm(); d.reg = r8(d.reg); if (d.rm >= 0) d.rm = r8(d.rm); break;
          case 0xc1: d.op = Op.XADD; modrm(); break;
          case 0xb6: d.op = Op.MOVZX; d.srcSize = 1; modrm(); if (d.rm >= 0) d.rm = r8(d.rm); d.rmIsDst = false; break;
          case 0xb7: d.op = Op.MOVZX; d.srcSize = 2; modrm(); d.rmIsDst = false; break;
          case 0xbe: d.op = Op.MOVSX; d.srcSize = 1; modrm(); if (d.rm >= 0) d.rm = r8(d.rm); d.rmIsDst = false; break;
          case 0xbf: d.op = Op.MOVSX; d.srcSize = 2; modrm(); d.rmIsDst = false; break;
          case 0xb8: if (!(prefixes & Pfx.REP)) bad(); d.op = Op.POPCNT; modrm(); d.rmIsDst = false; break;
          case 0xbc: if (prefixes & Pfx.REPNE) bad(); d.op = (prefixes & Pfx.REP) ? Op.TZCNT : Op.BSF; modrm(); d.rmIsDst = false; break;
          case 0xbd: if (prefixes & Pfx.REPNE) bad(); d.op = (prefixes & Pfx.REP) ? Op.LZCNT : Op.BSR; modrm(); d.rmIsDst = false; break;
          default: bad();
        }
      }
    }
    d.len = p - off;
    if (d.ripRel) d.disp = addr + d.len + d.rawDisp;
    d.dispLo = d.disp >>> 0;
    d.dispHi = Math.floor(d.disp / 4294967296) | 0;
    if (isBranchRel) {
      d.target = addr + d.len + d.rawDisp;
      // 0x66-prefixed near branches truncate IP to 16 bits; gcc never emits them.
      if (prefixes & Pfx.OPSIZE) throw new DecodeError('operand-size prefix on a relative branch is not supported');
    }
    if ((prefixes & Pfx.LOCK) && !(d.hasMem && (d.op === Op.ADD || d.op === Op.OR || d.op === Op.ADC || d.op === Op.SBB ||
      d.op === Op.AND || d.op === Op.SUB || d.op === Op.XOR || d.op === Op.INC || d.op === Op.DEC || d.op === Op.NOT ||
      d.op === Op.NEG || d.op === Op.XCHG || d.op === Op.CMPXCHG || d.op === Op.XADD || (d.op === Op.BT && d.ext !== 0)))) {
      throw new DecodeError('lock prefix on an instruction that cannot be locked (#UD)');
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    const full = decodeFull(buf, off, avail, addr);
    // keep the fast path's reason where it is more precise than "not implemented"
    if (full.op === Op.NOEXEC && e.message !== NOT_SUPPORTED) {
      full.error = full.error.replace(/\(([^()]*)\)$/, `(${e.message})`);
    }
    return full;
  }
  d.bytes = buf.slice(off, off + Math.max(d.len, 0));
  d.next = addr + d.len;
  return d;
}
