// AT&T-syntax formatter for decoded x86-64 instructions: the text GNU objdump -d (binutils 2.40, opcodes/i386-dis.c) prints.

import { decode } from './decode.js';
import { extText, TARGET_MARK } from './decode-ext.js';
import { CC, Insn, NO_REG, Op, Pfx, REG64, regName } from './insn.js';
import { addrToNum, numToAddr } from '../memory.js';

/** Names an address: returns `symbol` or `symbol+0xoff` (objdump's `<...>` text), or undefined when unknown. */
export type SymbolLookup = (addr: bigint) => string | undefined;

/** One line of a disassembly listing. */
export interface DisasmLine {
  addr: bigint;
  insn: Insn;
  /** Space-separated hex bytes of the instruction. */
  bytes: string;
  /** The instruction text as objdump prints it (third column). */
  text: string;
}

const SHIFT_NAMES = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'shl', 'sar'];
const BT_NAMES = ['bt', 'bts', 'btr', 'btc'];
const SUFFIX: Record<number, string> = { 1: 'b', 2: 'w', 4: 'l', 8: 'q' };
const REX_B = 1;
const REX_X = 2;
const REX_R = 4;
const REX_W = 8;
const REX_OPCODE = 0x40;

function hexU32(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

function hexSigned(v: number): string {
  return v < 0 ? '-0x' + (-v).toString(16) : '0x' + v.toString(16);
}

/** The 64-bit value hi:lo as unsigned hex with `0x`. */
function hex64(lo: number, hi: number): string {
  if (hi === 0) return hexU32(lo);
  return '0x' + (hi >>> 0).toString(16) + (lo >>> 0).toString(16).padStart(8, '0');
}

/** Address as objdump prints a branch target or a RIP-relative comment. */
function addrText(a: number, sym?: SymbolLookup): string {
  const u = numToAddr(a);
  const name = sym?.(u);
  return name === undefined ? '0x' + u.toString(16) : `${u.toString(16)} <${name}>`;
}

/** Per-call state: which prefix and REX bits the operands consumed (objdump prints the unused ones by name). */
class Fmt {
  rexUsed = 0;
  opsizeUsed = false;
  /** A mandatory 0xf3 (pause, popcnt, tzcnt, lzcnt, endbr64) is part of the opcode. */
  repUsed = false;
  /** An operand used the active segment (objdump then drops the last segment prefix byte). */
  segUsed = false;
  comment = '';
  constructor(readonly d: Insn, readonly sym: SymbolLookup | undefined) {}

  useRex(bits: number): void {
    if (this.d.rex & bits) this.rexUsed |= (this.d.rex & bits) | REX_OPCODE;
  }

  /** Operand size of a size-sensitive instruction (marks 0x66 / REX.W as consumed). */
  opSize(): number {
    const s = this.d.size;
    if (s === 2) this.opsizeUsed = true;
    this.useRex(REX_W);
    return s;
  }

  /** Operand size of a stack instruction: 0x66 selects 16 bits, REX.W changes nothing. */
  stackSize(): number {
    if (this.d.size === 2) this.opsizeUsed = true;
    return this.d.size;
  }

  /** Register operand; `ext` names which REX bit extended it (REX_B or REX_R). */
  reg(r: number, size: number, ext: number): string {
    this.useRex(ext);
    if (size === 1 && this.d.rex !== 0 && (r & 4) !== 0 && r < 16) this.rexUsed |= REX_OPCODE;
    return '%' + regName(r, size);
  }

  regOp(size: number): string {
    return this.reg(this.d.reg, size, REX_R);
  }

  /** The ModRM r/m operand: a register or memory. */
  rmOp(size: number): string {
    const d = this.d;
    if (d.hasMem) return this.mem();
    return this.reg(d.rm, size, REX_B);
  }

  /** The active segment in 64-bit mode: the last fs or gs prefix (cs, ds, es and ss are ignored). */
  activeSeg(): string {
    const pb = this.d.prefixBytes;
    for (let i = pb.length - 1; i >= 0; i--) {
      if (pb[i] === 0x64) return '%fs:';
      if (pb[i] === 0x65) return '%gs:';
    }
    return '';
  }

  segment(): string {
    const seg = this.activeSeg();
    if (seg !== '') this.segUsed = true;
    return seg;
  }

  mem(): string {
    const d = this.d;
    this.useRex(REX_B);
    if (d.hasSib) this.useRex(REX_X);
    const seg = this.segment();
    if (d.ripRel) {
      this.comment = '# ' + addrText(d.disp, this.sym);
      return `${seg}${hexSigned(d.rawDisp)}(%rip)`;
    }
    const noBase = d.base === NO_REG;
    const riz = d.hasSib && d.index === NO_REG && (d.scale !== 1 || (!noBase && (d.base & 7) !== 4));
    const hasIndex = d.index !== NO_REG || riz;
    let disp = '';
    if (noBase && !hasIndex) {
      disp = hex64(d.rawDisp >>> 0, d.rawDisp < 0 ? -1 : 0);
    } else if (d.dispBytes > 0) {
      disp = hexSigned(d.rawDisp);
    }
    if (noBase && !hasIndex) return seg + disp;
    const base = noBase ? '' : '%' + REG64[d.base];
    const inner = hasIndex ? `${base},%${riz ? 'riz' : REG64[d.index]},${d.scale}` : base;
    return `${seg}${disp}(${inner})`;
  }

  /** Immediate masked to `size` bytes. */
  imm(size: number): string {
    const d = this.d;
    switch (size) {
      case 1: return '$' + hexU32(d.immLo & 0xff);
      case 2: return '$' + hexU32(d.immLo & 0xffff);
      case 4: return '$' + hexU32(d.immLo);
      default: return '$' + hex64(d.immLo, d.immHi);
    }
  }

  /** Mnemonic suffix when no register operand tells the size. */
  sfx(size: number): string {
    return this.d.hasMem ? SUFFIX[size] : '';
  }
}

interface Parts {
  mnem: string;
  ops: string[];
}

function parts(mnem: string, ...ops: string[]): Parts {
  return { mnem, ops };
}

const ALU_NAMES: Partial<Record<Op, string>> = {
  [Op.ADD]: 'add', [Op.OR]: 'or', [Op.ADC]: 'adc', [Op.SBB]: 'sbb', [Op.AND]: 'and',
  [Op.SUB]: 'sub', [Op.XOR]: 'xor', [Op.CMP]: 'cmp', [Op.TEST]: 'test',
};

const UNARY_NAMES: Partial<Record<Op, string>> = {
  [Op.INC]: 'inc', [Op.DEC]: 'dec', [Op.NOT]: 'not', [Op.NEG]: 'neg',
  [Op.MUL1]: 'mul', [Op.IMUL1]: 'imul', [Op.DIV]: 'div', [Op.IDIV]: 'idiv',
};

const BITSCAN_NAMES: Partial<Record<Op, string>> = {
  [Op.BSF]: 'bsf', [Op.BSR]: 'bsr', [Op.TZCNT]: 'tzcnt', [Op.LZCNT]: 'lzcnt', [Op.POPCNT]: 'popcnt',
};

const PLAIN_NAMES: Partial<Record<Op, string>> = {
  [Op.HLT]: 'hlt', [Op.CLI]: 'cli', [Op.STI]: 'sti', [Op.CLC]: 'clc', [Op.STC]: 'stc', [Op.CMC]: 'cmc',
  [Op.CLD]: 'cld', [Op.STD]: 'std', [Op.INT3]: 'int3', [Op.UD2]: 'ud2', [Op.VMCALL]: 'vmcall',
  [Op.CPUID]: 'cpuid', [Op.RDTSC]: 'rdtsc', [Op.SERIALIZE]: 'serialize', [Op.SAHF]: 'sahf', [Op.LAHF]: 'lahf',
  [Op.PAUSE]: 'pause', [Op.RET]: 'ret',
};

/** The hint-nop space 0f 18..0f 1f and the prefetch group 0f 0d. */
function hintNop(f: Fmt): Parts {
  const d = f.d;
  const o = d.opcode & 0xff;
  if (o === 0x0d) {
    const name = d.ext === 1 ? 'prefetchw' : d.ext === 2 ? 'prefetchwt1' : 'prefetch';
    return parts(name, f.rmOp(8));
  }
  if (o === 0x1e && (d.prefixes & Pfx.REP) && d.modrm === 0xfa) { f.repUsed = true; return parts('endbr64'); }
  if (o === 0x1e && (d.prefixes & Pfx.REP) && d.modrm === 0xfb) { f.repUsed = true; return parts('endbr32'); }
  if (o === 0x1e && (d.prefixes & Pfx.REP) && !d.hasMem && d.ext === 1) {
    f.repUsed = true;
    const size = d.rex & REX_W ? 8 : 4;
    f.useRex(REX_W);
    return parts(size === 8 ? 'rdsspq' : 'rdsspd', f.rmOp(size));
  }
  if (d.hasMem) {
    if (o === 0x18 && d.ext < 4) return parts(['prefetchnta', 'prefetcht0', 'prefetcht1', 'prefetcht2'][d.ext], f.mem());
    if (o === 0x1c && d.ext === 0 && !(d.prefixes & (Pfx.OPSIZE | Pfx.REP | Pfx.REPNE))) return parts('cldemote', f.mem());
    // MPX bound registers are bnd0..bnd3 (objdump prints anything else as (bad))
    if (o === 0x1a) return parts('bndldx', f.mem(), d.reg <= 3 ? `%bnd${d.reg}` : '(bad)');
    if (o === 0x1b) return parts('bndstx', d.reg <= 3 ? `%bnd${d.reg}` : '(bad)', f.mem());
    const size = f.opSize();
    return parts('nop' + SUFFIX[size], f.mem());
  }
  const size = f.opSize();
  return parts('nop', f.rmOp(size));
}

/** Source operand of movs/cmps/lods: the segment is fs/gs when overridden, else the default %ds (which counts as used). */
function strSrc(f: Fmt): string {
  const seg = f.activeSeg();
  f.segUsed = true;
  return (seg || '%ds:') + '(%rsi)';
}

function stringOp(f: Fmt): Parts {
  const d = f.d;
  const size = d.size === 1 ? 1 : f.opSize();
  const acc = '%' + regName(0, size);
  if (d.prefixes & (Pfx.REP | Pfx.REPNE)) f.repUsed = true;
  switch (d.op) {
    case Op.MOVS: return parts('movs' + SUFFIX[size], strSrc(f), '%es:(%rdi)');
    case Op.CMPS: return parts('cmps' + SUFFIX[size], '%es:(%rdi)', strSrc(f));
    case Op.LODS: return parts('lods', strSrc(f), acc);
    case Op.SCAS: return parts('scas', '%es:(%rdi)', acc);
    default: return parts('stos', acc, '%es:(%rdi)');
  }
}

function body(f: Fmt): Parts {
  const d = f.d;
  const op = d.op;
  const alu = ALU_NAMES[op];
  if (alu !== undefined) {
    const size = d.size === 1 ? 1 : f.opSize();
    if (d.reg !== NO_REG) {
      const r = f.regOp(size);
      const rm = f.rmOp(size);
      return d.rmIsDst || op === Op.TEST ? parts(alu, r, rm) : parts(alu, rm, r);
    }
    if (d.modrm < 0) return parts(alu, f.imm(size), f.reg(0, size, 0));
    return parts(alu + f.sfx(size), f.imm(size), f.rmOp(size));
  }
  const unary = UNARY_NAMES[op];
  if (unary !== undefined) {
    const size = d.size === 1 ? 1 : f.opSize();
    return parts(unary + f.sfx(size), f.rmOp(size));
  }
  const scan = BITSCAN_NAMES[op];
  if (scan !== undefined) {
    if (op === Op.TZCNT || op === Op.LZCNT || op === Op.POPCNT) f.repUsed = true;
    // objdump finds bsf/bsr in a table indexed by the mandatory prefix: without f3, a 0x66 selects the
    // entry and counts as consumed even when REX.W overrides it
    else if (d.prefixes & Pfx.OPSIZE) f.opsizeUsed = true;
    const size = f.opSize();
    return parts(scan, f.rmOp(size), f.regOp(size));
  }
  const plain = PLAIN_NAMES[op];
  if (plain !== undefined) {
    if (op === Op.PAUSE) f.repUsed = true;
    return parts(plain);
  }

  switch (op) {
    case Op.MOV: {
      const size = d.size === 1 ? 1 : f.opSize();
      if (d.reg !== NO_REG) {
        const r = f.regOp(size);
        const rm = f.rmOp(size);
        return d.rmIsDst ? parts('mov', r, rm) : parts('mov', rm, r);
      }
      if (d.opcode >= 0xb0 && d.opcode <= 0xbf) {
        const dst = f.reg(d.rm, size, REX_B);
        return parts(d.immBytes === 8 ? 'movabs' : 'mov', f.imm(size), dst);
      }
      return parts('mov' + f.sfx(size), f.imm(size), f.rmOp(size));
    }
    case Op.MOVZX: case Op.MOVSX: {
      const size = f.opSize();
      const src = f.rmOp(d.srcSize);
      return parts((op === Op.MOVZX ? 'movz' : 'movs') + SUFFIX[d.srcSize] + SUFFIX[size], src, f.regOp(size));
    }
    case Op.MOVSXD: {
      const size = f.opSize();
      const src = f.rmOp(4);
      return parts(size === 8 ? 'movslq' : 'movsxd', src, f.regOp(size));
    }
    case Op.LEA: {
      const size = f.opSize();
      return parts('lea', f.mem(), f.regOp(size));
    }
    case Op.XCHG: {
      const size = d.size === 1 ? 1 : f.opSize();
      if (d.modrm < 0) {
        // 90+r: the accumulator and the register in the opcode
        const acc = f.reg(0, size, 0);
        return parts('xchg', acc, f.reg(d.reg, size, REX_B));
      }
      return parts('xchg', f.regOp(size), f.rmOp(size));
    }
    case Op.CMPXCHG: case Op.XADD: {
      const size = d.size === 1 ? 1 : f.opSize();
      return parts(op === Op.CMPXCHG ? 'cmpxchg' : 'xadd', f.regOp(size), f.rmOp(size));
    }
    case Op.BSWAP: {
      const size = f.opSize();
      return parts('bswap', f.reg(d.reg, size, REX_B));
    }
    case Op.IMUL2: {
      const size = f.opSize();
      return parts('imul', f.rmOp(size), f.regOp(size));
    }
    case Op.IMUL3: {
      const size = f.opSize();
      return parts('imul', f.imm(size), f.rmOp(size), f.regOp(size));
    }
    case Op.SHIFT: {
      const size = d.size === 1 ? 1 : f.opSize();
      const name = SHIFT_NAMES[d.ext] + f.sfx(size);
      if (d.countSrc === 1) return parts(name, f.rmOp(size));
      if (d.countSrc === 2) return parts(name, '%cl', f.rmOp(size));
      return parts(name, f.imm(1), f.rmOp(size));
    }
    case Op.SHLD: case Op.SHRD: {
      const size = f.opSize();
      const count = d.countSrc === 2 ? '%cl' : f.imm(1);
      return parts(op === Op.SHLD ? 'shld' : 'shrd', count, f.regOp(size), f.rmOp(size));
    }
    case Op.BT: {
      const size = f.opSize();
      const name = BT_NAMES[d.ext & 3];
      if (d.reg !== NO_REG && d.immBytes === 0) return parts(name, f.regOp(size), f.rmOp(size));
      return parts(name + f.sfx(size), f.imm(1), f.rmOp(size));
    }
    case Op.CBW: {
      const size = f.opSize();
      return parts(size === 2 ? 'cbtw' : size === 4 ? 'cwtl' : 'cltq');
    }
    case Op.CWD: {
      const size = f.opSize();
      return parts(size === 2 ? 'cwtd' : size === 4 ? 'cltd' : 'cqto');
    }
    case Op.SETCC:
      return parts('set' + CC[d.cond], f.rmOp(1));
    case Op.CMOVCC: {
      const size = f.opSize();
      return parts('cmov' + CC[d.cond], f.rmOp(size), f.regOp(size));
    }
    case Op.JCC: {
      // branch hints: exactly one of cs (not taken) / ds (taken)
      let name = 'j' + CC[d.cond];
      const hint = d.prefixes & (Pfx.CS | Pfx.DS);
      if (hint === Pfx.CS || hint === Pfx.DS) { name += hint === Pfx.CS ? ',pn' : ',pt'; f.segUsed = true; }
      return parts(name, addrText(d.target, f.sym));
    }
    case Op.JMP: return parts('jmp', addrText(d.target, f.sym));
    case Op.CALL: return parts('call', addrText(d.target, f.sym));
    case Op.JMP_IND: case Op.CALL_IND: {
      const name = op === Op.JMP_IND ? 'jmp' : 'call';
      return parts(name, '*' + f.rmOp(8));
    }
    case Op.RET_IMM:
      return parts('ret', '$' + hexU32(d.immLo & 0xffff));
    case Op.PUSH: case Op.POP: {
      const size = f.stackSize();
      const name = op === Op.PUSH ? 'push' : 'pop';
      if (d.modrm < 0) return parts(name, f.reg(d.reg, size, REX_B));
      return parts(name + (size === 2 && d.hasMem ? 'w' : ''), f.rmOp(size));
    }
    case Op.PUSH_IMM: {
      const size = f.stackSize();
      return parts(size === 2 ? 'pushw' : 'push', f.imm(size));
    }
    case Op.PUSHF: return parts(f.stackSize() === 2 ? 'pushfw' : 'pushf');
    case Op.POPF: return parts(f.stackSize() === 2 ? 'popfw' : 'popf');
    case Op.LEAVE: return parts(f.stackSize() === 2 ? 'leavew' : 'leave');
    case Op.IRET: {
      if (d.rex & REX_W) { f.useRex(REX_W); return parts('iretq'); }
      return parts(f.stackSize() === 2 ? 'iretw' : 'iret');
    }
    case Op.NOP: {
      if (d.opcode === 0x90) {
        if (d.prefixes & Pfx.OPSIZE && !(d.rex & REX_W)) { f.opsizeUsed = true; return parts('xchg', '%ax', '%ax'); }
        return parts('nop');
      }
      return hintNop(f);
    }
    case Op.MFENCE: {
      const b = d.opcode & 0xff;
      return parts(b === 0xe8 ? 'lfence' : b === 0xf8 ? 'sfence' : 'mfence');
    }
    case Op.IN: case Op.OUT: {
      const size = d.size === 1 ? 1 : f.stackSize();
      const acc = '%' + regName(0, size);
      const port = d.portImm >= 0 ? '$' + hexU32(d.portImm) : '(%dx)';
      return op === Op.IN ? parts('in', port, acc) : parts('out', acc, port);
    }
    case Op.MOVS: case Op.STOS: case Op.LODS: case Op.CMPS: case Op.SCAS:
      return stringOp(f);
    default:
      return parts('(bad)');
  }
}

const REX_NAMES = ['rex', 'rex.B', 'rex.X', 'rex.XB', 'rex.R', 'rex.RB', 'rex.RX', 'rex.RXB',
  'rex.W', 'rex.WB', 'rex.WX', 'rex.WXB', 'rex.WR', 'rex.WRB', 'rex.WRX', 'rex.WRXB'];

function isBranch(op: Op): boolean {
  return op === Op.JCC || op === Op.JMP || op === Op.CALL || op === Op.JMP_IND || op === Op.CALL_IND ||
    op === Op.RET || op === Op.RET_IMM;
}

function isString(op: Op): boolean {
  return op === Op.MOVS || op === Op.STOS || op === Op.LODS || op === Op.CMPS || op === Op.SCAS;
}

const PREFIX_NAMES: Record<number, string> = {
  0x66: 'data16', 0x67: 'addr32', 0xf0: 'lock', 0xf3: 'repz', 0xf2: 'repnz',
  0x2e: 'cs', 0x3e: 'ds', 0x26: 'es', 0x36: 'ss', 0x64: 'fs', 0x65: 'gs',
};

/** Lockable read-modify-write instructions (HLE hints apply to them when locked). */
function isLockable(op: Op): boolean {
  return op === Op.ADD || op === Op.OR || op === Op.ADC || op === Op.SBB || op === Op.AND || op === Op.SUB ||
    op === Op.XOR || op === Op.INC || op === Op.DEC || op === Op.NOT || op === Op.NEG || op === Op.XCHG ||
    op === Op.CMPXCHG || op === Op.XADD || op === Op.BT;
}

/**
 * The prefixes as objdump prints them, in encoding order: the ones an operand consumed (the last 0x66 for the
 * operand size, the last segment byte when an operand used the segment, a mandatory 0xf3) vanish, the rest
 * print by name, some renamed by what they mean for this instruction (rep, bnd, notrack, xacquire, xrelease).
 */
function prefixNames(f: Fmt): string[] {
  const d = f.d;
  const pb = d.prefixBytes;
  const names: (string | null)[] = pb.map((b) => PREFIX_NAMES[b] ?? 'rex');
  const last = (pred: (b: number) => boolean): number => {
    for (let i = pb.length - 1; i >= 0; i--) if (pred(pb[i])) return i;
    return -1;
  };
  const lastSeg = last((b) => b === 0x2e || b === 0x3e || b === 0x26 || b === 0x36 || b === 0x64 || b === 0x65);
  const last66 = last((b) => b === 0x66);
  const lastF3 = last((b) => b === 0xf3);
  const lastF2 = last((b) => b === 0xf2);
  if (f.opsizeUsed && last66 >= 0) names[last66] = null;
  if (f.segUsed && lastSeg >= 0) names[lastSeg] = null;
  if ((d.op === Op.JMP_IND || d.op === Op.CALL_IND) && (d.prefixes & Pfx.DS) && lastSeg >= 0) names[lastSeg] = 'notrack';
  if (isString(d.op)) {
    if (lastF3 >= 0) names[lastF3] = d.op === Op.CMPS || d.op === Op.SCAS ? 'repz' : 'rep';
  } else if (f.repUsed && lastF3 >= 0) {
    names[lastF3] = null;
  }
  if (isBranch(d.op) && lastF2 >= 0) names[lastF2] = 'bnd';
  const o = d.opcode;
  const lockedWrite = (d.prefixes & Pfx.LOCK) !== 0 && isLockable(d.op) && d.rmIsDst && !(d.op === Op.BT && d.ext === 0);
  if (d.hasMem && (lockedWrite || o === 0x86 || o === 0x87)) {
    if (lastF2 >= 0) names[lastF2] = 'xacquire';
    if (lastF3 >= 0) names[lastF3] = 'xrelease';
  } else if (d.hasMem && lastF3 >= 0 && (o === 0x88 || o === 0x89 || o === 0xc6 || o === 0xc7)) {
    names[lastF3] = 'xrelease';
  }
  const out = names.filter((n): n is string => n !== null);
  if (d.rex !== 0 && f.rexUsed !== d.rex) out.push(REX_NAMES[d.rex & 15]);
  return out;
}

/**
 * The instruction in `bytes` (at guest address `addr`) as objdump writes it, on one line with single
 * spaces, for messages: `movq $0x2a,(%rdi)`. Empty when the bytes do not decode.
 */
export function describeBytes(bytes: Uint8Array, addr: number, sym?: SymbolLookup): string {
  if (bytes.length === 0) return '';
  const d = decode(bytes, 0, bytes.length, addr);
  return d.op === Op.INVALID ? '' : formatInsn(d, sym).replace(/\s+/g, ' ');
}

/**
 * The instruction as objdump -d prints it in its third column, e.g. `mov    %rdi,%rax` or
 * `call   ffffffff81000010 <__fentry__>`. `sym` names branch targets and RIP-relative addresses.
 */
export function formatInsn(d: Insn, sym?: SymbolLookup): string {
  if (d.op === Op.INVALID) return d.mnem !== '' ? extText(d) : '(bad)';
  if (d.op === Op.NOEXEC) {
    const target = d.operands.includes(TARGET_MARK) ? addrText(d.target, sym) : undefined;
    return extText(d, target, d.ripRel ? addrText(d.disp, sym) : undefined);
  }
  const f = new Fmt(d, sym);
  const p = body(f);
  const head = [...prefixNames(f), p.mnem].join(' ');
  if (p.ops.length === 0) return head;
  let text = head.padEnd(6) + ' ' + p.ops.join(',');
  if (f.comment !== '') text += '        ' + f.comment;
  return text;
}

/** True when decode() refused the instruction (printed as objdump's `(bad)`). */
export function isInvalid(d: Insn): boolean {
  return d.op === Op.INVALID;
}

/** A direct jmp, jcc or call: its text names a target that moves with the instruction's address. */
export function isRelativeBranch(d: Insn): boolean {
  return d.op === Op.JCC || d.op === Op.JMP || d.op === Op.CALL || (d.op === Op.NOEXEC && d.operands.includes(TARGET_MARK));
}

/** False for instructions the interpreter refuses: invalid ones and valid ones outside its subset (SSE, x87, ...). */
export function isExecutable(d: Insn): boolean {
  return d.op !== Op.INVALID && d.op !== Op.NOEXEC;
}

/** The instruction's bytes as two-digit hex separated by spaces. */
export function formatBytes(d: Insn): string {
  let s = '';
  for (let i = 0; i < d.bytes.length; i++) s += (i ? ' ' : '') + d.bytes[i].toString(16).padStart(2, '0');
  return s;
}

/** Decode and format the code in `bytes`, which is located at guest address `startAddr`, one instruction at a time. */
export function* disassemble(bytes: Uint8Array, startAddr: bigint, sym?: SymbolLookup): Generator<DisasmLine> {
  let off = 0;
  while (off < bytes.length) {
    const addr = BigInt.asUintN(64, startAddr + BigInt(off));
    const insn = decode(bytes, off, bytes.length - off, addrToNum(addr));
    yield { addr, insn, bytes: formatBytes(insn), text: formatInsn(insn, sym) };
    off += Math.max(1, insn.len);
  }
}
