// Full x86-64 decoder driven by the opcode tables: length, mnemonic and AT&T operands of every instruction (SSE, AVX, x87, system, ...).

import { Insn, Op, REG16, REG32, REG64, REG8, NO_REG } from './insn.js';
import { AMD3DNOW, CMP_PRED, GROUPS, MAP_0F38, MAP_0F3A, ONE_BYTE, TWO_BYTE, X87_MEM, X87_REG, XOP } from './opcodes.js';

const MAX_LEN = 15;
const PFX_NAMES: Record<number, string> = {
  0x66: 'data16', 0x67: 'addr32', 0xf0: 'lock', 0xf3: 'repz', 0xf2: 'repnz',
  0x2e: 'cs', 0x3e: 'ds', 0x26: 'es', 0x36: 'ss', 0x64: 'fs', 0x65: 'gs',
};
const REX_NAMES = ['rex', 'rex.B', 'rex.X', 'rex.XB', 'rex.R', 'rex.RB', 'rex.RX', 'rex.RXB',
  'rex.W', 'rex.WB', 'rex.WX', 'rex.WXB', 'rex.WR', 'rex.WRB', 'rex.WRX', 'rex.WRXB'];
const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', '?', '?'];
const SFX: Record<number, string> = { 1: 'b', 2: 'w', 4: 'l', 8: 'q' };
/** Marker for a branch target operand: the formatter replaces it with the address and symbol. */
export const TARGET_MARK = '\u0000';

class Truncated extends Error {}
class Bad extends Error {}

function hex(v: number): string {
  return '0x' + v.toString(16);
}

/** Family named in "not implemented" messages, from the encoding. */
function family(map: number, vex: number, name: string, opc: number): string {
  if (vex === 2) return 'AVX-512';
  if (vex === 3) return 'XOP';
  if (vex === 1) return 'AVX';
  if (map === 0 && opc >= 0xd8 && opc <= 0xdf) return 'x87';
  if (map === 4) return '3DNow!';
  if (/^(p|movq|movd|emms|maskmovq|movntq|movdq2q|cvt.*pi)/.test(name) && map !== 0) return 'SSE/MMX';
  if (map >= 2 || (map === 1 && ((opc >= 0x10 && opc <= 0x17) || (opc >= 0x28 && opc <= 0x2f) || (opc >= 0x50 && opc <= 0x7f) || opc === 0xc2 || (opc >= 0xc4 && opc <= 0xc6) || opc >= 0xd0))) {
    return 'SSE';
  }
  return 'system or rarely used';
}

/** Decoding state of one instruction. */
class St {
  p: number;
  readonly end: number;
  pfx: number[] = [];
  rex = 0;
  rexUsed = 0;
  opsizeUsed = false;
  adsizeUsed = false;
  mandatory = 0; // 0x66, 0xf3, 0xf2 consumed as part of the opcode
  segUsed = false;
  // VEX/EVEX/XOP
  vex = 0; // 0 none, 1 VEX, 2 EVEX, 3 XOP
  vvvv = 0;
  L = 0;
  W = false;
  evexAaa = 0;
  evexZ = false;
  evexB = false;
  evexR2 = 0;
  evexV2 = 0;
  // ModRM
  modrm = -1;
  mod = 0;
  reg = 0;
  rm = 0;
  modrmDone = false;
  /** A table level looked at the ModRM byte: it belongs to the instruction once the entry is valid. */
  modrmNeeded = false;
  /** Position just after the ModRM byte (VSIB operands re-read the SIB from there). */
  modrmEnd0 = 0;
  /** A memory-only operand met a register: objdump prints (bad) for it and resumes after the first opcode byte. */
  badOp = false;
  /** 0f 20..23: ModRM.mod is ignored, r/m always names a register. */
  rmIsReg = false;
  /** A 9b (fwait) merged with the x87 instruction after it. */
  fwait = false;
  /** A REX byte before a VEX/EVEX prefix (printed, otherwise ignored). */
  preRex = 0;
  memText = '';
  hasMem = false;
  ops: string[] = []; // Intel order
  regOperand = false; // a general register operand shows the size
  memSize = 0;
  comment = false;
  target = 0;
  hasTarget = false;
  imm8: number[] = [];
  constructor(readonly buf: Uint8Array, readonly start: number, avail: number, readonly addr: number) {
    this.p = start;
    this.end = start + Math.min(avail, MAX_LEN);
  }
  byte(): number {
    if (this.p >= this.end) throw new Truncated();
    return this.buf[this.p++];
  }
  peek(): number {
    if (this.p >= this.end) throw new Truncated();
    return this.buf[this.p];
  }
  has(b: number): boolean {
    return this.pfx.includes(b);
  }
  get osize(): number {
    if (this.rex & 8 || (this.vex && this.W)) return 8;
    return this.has(0x66) && this.mandatory !== 0x66 ? 2 : 4;
  }
  le(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v += this.byte() * 2 ** (8 * i);
    return v;
  }
  signed(n: number): number {
    const v = this.le(n);
    const half = 2 ** (8 * n - 1);
    return v >= half ? v - 2 * half : v;
  }
  /** Read the ModRM byte and its SIB/displacement. */
  fetchModrm(): void {
    if (this.modrmDone) return;
    this.modrmDone = true;
    if (this.modrm < 0) {
      this.modrm = this.byte();
    } else {
      this.p++;
    }
    this.modrmEnd0 = this.p;
    this.mod = this.modrm >> 6;
    this.reg = (this.modrm >> 3) & 7;
    this.rm = this.modrm & 7;
    if (this.mod === 3 || this.rmIsReg) return;
    this.hasMem = true;
    this.memText = this.memOperand(false);
  }
  memOperand(vsib: boolean): string {
    const a32 = this.has(0x67);
    if (a32) this.adsizeUsed = true;
    const names = a32 ? REG32 : REG64;
    const rexB = this.rex & 1 ? 8 : 0;
    const rexX = this.rex & 2 ? 8 : 0;
    if (this.rex & 1) this.rexUsed |= 1 | 0x40;
    let base = -1, index = -1, scale = 1, sib = false, rip = false, dispBytes = 0;
    if (this.rm === 4) {
      sib = true;
      if (this.rex & 2) this.rexUsed |= 2 | 0x40;
      const s = this.byte();
      scale = 1 << (s >> 6);
      index = ((s >> 3) & 7) | rexX;
      if (vsib) index |= this.evexV2;
      else if (index === 4) index = -1;
      base = s & 7;
      if (base === 5 && this.mod === 0) { base = -1; dispBytes = 4; } else base |= rexB;
    } else if (this.rm === 5 && this.mod === 0) {
      rip = true; dispBytes = 4;
    } else {
      base = this.rm | rexB;
    }
    if (this.mod === 1) dispBytes = 1;
    else if (this.mod === 2) dispBytes = 4;
    const disp = dispBytes ? this.signed(dispBytes) : 0;
    const seg = this.activeSeg();
    if (seg) this.segUsed = true;
    if (rip) {
      this.comment = true;
      this.ripDisp = disp;
      return `${seg}${disp < 0 ? '-' + hex(-disp) : hex(disp)}(%${a32 ? 'eip' : 'rip'})`;
    }
    const riz = sib && index === -1 && (scale !== 1 || (base !== -1 && (base & 7) !== 4));
    const hasIndex = index !== -1 || riz;
    let d = '';
    if (base === -1 && !hasIndex) d = hex(a32 ? disp >>> 0 : disp < 0 ? 2 ** 64 + disp : disp);
    else if (dispBytes) d = disp < 0 ? '-' + hex(-disp) : hex(disp);
    if (base === -1 && disp < 0 && !a32 && hasIndex) d = '0x' + (BigInt.asUintN(64, BigInt(disp))).toString(16);
    if (base === -1 && !hasIndex) return seg + (disp < 0 && !a32 ? '0x' + BigInt.asUintN(64, BigInt(disp)).toString(16) : d);
    const b = base === -1 ? '' : '%' + names[base];
    let idx = '';
    if (hasIndex) {
      const iname = vsib ? this.vecName(index, this.L) : riz ? (a32 ? 'eiz' : 'riz') : names[index];
      idx = `,%${iname},${scale}`;
    }
    return `${seg}${d}(${b}${idx})`;
  }
  ripDisp = 0;
  activeSeg(): string {
    for (let i = this.pfx.length - 1; i >= 0; i--) {
      if (this.pfx[i] === 0x64) return '%fs:';
      if (this.pfx[i] === 0x65) return '%gs:';
    }
    return '';
  }
  vecName(r: number, L: number): string {
    return (L === 2 ? 'zmm' : L === 1 ? 'ymm' : 'xmm') + r;
  }
  gpr(r: number, size: number): string {
    if (size === 1) {
      if (this.rex !== 0 && r >= 4 && r < 8) this.rexUsed |= 0x40;
      return '%' + (this.rex === 0 && r >= 4 && r < 8 ? REG8[r + 12] : REG8[r]);
    }
    return '%' + (size === 2 ? REG16[r] : size === 4 ? REG32[r] : REG64[r]);
  }
  useW(): void {
    if (this.rex & 8) this.rexUsed |= 8 | 0x40;
  }
  regR(): number {
    if (this.rex & 4) this.rexUsed |= 4 | 0x40;
    return this.reg | (this.rex & 4 ? 8 : 0) | this.evexR2;
  }
  rmB(): number {
    if (this.rex & 1) this.rexUsed |= 1 | 0x40;
    return this.rm | (this.rex & 1 ? 8 : 0);
  }
}

/** Pick the alternative of a "a|b|c|d" entry by mandatory prefix (none | f3 | 66 | f2), objdump's way. */
function byPrefix(s: St, e: string): string {
  const cols = e.split('|');
  let col = 0;
  if (s.vex) {
    col = s.mandatory === 0xf3 ? 1 : s.mandatory === 0x66 ? 2 : s.mandatory === 0xf2 ? 3 : 0;
    return cols[col] ?? '';
  }
  const lastF3 = s.pfx.lastIndexOf(0xf3), lastF2 = s.pfx.lastIndexOf(0xf2);
  if (lastF3 >= 0 || lastF2 >= 0) {
    col = lastF3 > lastF2 ? 1 : 3;
    s.mandatory = col === 1 ? 0xf3 : 0xf2;
  } else if (s.has(0x66)) {
    col = 2;
    s.mandatory = 0x66;
  }
  return cols[col] ?? '';
}

/** Resolve an entry through prefix columns, mod split, ModRM.rm lists and groups to "name operands". */
function resolve(s: St, e: string): string {
  for (let guard = 0; guard < 6; guard++) {
    if (e === '') return '';
    if (e.includes('|') && !e.startsWith('#') && !e.startsWith('=')) { e = byPrefix(s, e); continue; }
    if (e.startsWith('@')) {
      // shifts by a register count take an xmm count even in 256-bit forms
      const n = e.endsWith('4') ? e.slice(1, -1) : e.slice(1);
      const w = e.endsWith('4') ? 'W4' : 'W';
      if (s.vex) return s.mandatory === 0x66 ? `${n} V,H,${w}` : '';
      e = `^${n} P,Q||${n} V,H,${w}|`;
      continue;
    }
    if (e.startsWith('#')) {
      const g = GROUPS[e.slice(1, e.includes('|') ? e.indexOf('|') : undefined)];
      if (e.includes('|')) { e = byPrefix(s, e); continue; }
      s.modrm = s.peek();
      s.modrmNeeded = true;
      e = g[(s.modrm >> 3) & 7];
      continue;
    }
    if (e.includes(';')) {
      s.modrm = s.peek();
      s.modrmNeeded = true;
      const [m, r] = e.split(';');
      e = s.modrm >> 6 === 3 ? r : m;
      continue;
    }
    if (e.startsWith('=')) {
      s.modrm = s.peek();
      const list = e.slice(1).split(' ');
      const n = list[s.modrm & 7];
      if (n === '_' || n === undefined) return '';
      s.fetchModrm();
      return n.replace(/_/g, ' ') + (n.includes('_') ? '' : ' ');
    }
    return e;
  }
  return '';
}

/** Needs a ModRM byte: any operand that names one. */
const FIXED = new Set(['AL', 'CL', 'AX', 'DX', 'eAX', 'rAX', 'FS', 'GS', 'X0', 'By']);
function needsModrm(ops: string[]): boolean {
  return ops.some((o) => !FIXED.has(o) && /^(\*?E|G|M|V|W|U|P|Q|N|R|C|D|S|B)/.test(o));
}

interface Parsed { name: string; ops: string[]; vexOnly: boolean; legacyOnly: boolean }

const parseCache = new Map<string, Parsed>();
function parseEntry(e: string): Parsed {
  let p = parseCache.get(e);
  if (p) return p;
  let t = e.trim();
  const vexOnly = t.startsWith('!');
  const legacyOnly = t.startsWith('^');
  if (vexOnly || legacyOnly) t = t.slice(1);
  const sp = t.indexOf(' ');
  const name = sp < 0 ? t : t.slice(0, sp);
  const ops = sp < 0 ? [] : t.slice(sp + 1).split(',').filter((o) => o !== '');
  p = { name, ops, vexOnly, legacyOnly };
  parseCache.set(e, p);
  return p;
}

/**
 * Decode one instruction completely: its exact length (as objdump counts it), its mnemonic and operands.
 * The result has op NOEXEC (valid, not executed by the interpreter) or INVALID (objdump's "(bad)").
 */
export function decodeFull(buf: Uint8Array, off: number, avail: number, addr: number): Insn {
  const d = new Insn();
  d.addr = addr;
  const s = new St(buf, off, avail, addr);
  let name = '';
  let fam = '';
  try {
    name = decodeInto(s, d);
    fam = family(s.vex ? 0 : mapOf(d), s.vex, name, d.opcode & 0xff);
  } catch (e) {
    if (e instanceof Truncated) {
      d.op = Op.INVALID;
      d.error = s.p - off >= MAX_LEN ? 'instruction longer than 15 bytes' : 'instruction runs past the end of readable memory';
      d.len = Math.max(1, Math.min(avail, s.p - off));
      d.bytes = buf.slice(off, off + d.len);
      d.next = addr + d.len;
      return d;
    }
    if (!(e instanceof Bad)) throw e;
    name = '(bad)';
  }
  d.len = s.p - off;
  d.bytes = buf.slice(off, off + d.len);
  d.next = addr + d.len;
  d.hasMem = s.hasMem;
  d.rex = s.rex;
  d.prefixBytes = s.pfx;
  if (s.comment) { d.ripRel = true; d.rawDisp = s.ripDisp; d.disp = addr + d.len + s.ripDisp; }
  if (s.hasTarget) d.target = s.target + addr + d.len;
  // AT&T: operands reversed
  d.operands = s.ops.slice().reverse();
  d.mnem = name;
  d.pfxText = prefixText(s, name);
  if (name === '(bad)') {
    d.op = Op.INVALID;
    d.error = 'invalid opcode (objdump: (bad))';
  } else {
    d.op = Op.NOEXEC;
    d.family = fam;
    d.error = `${extText(d).replace(/\s+/g, ' ')} is not implemented by the interpreter (${fam})`;
  }
  return d;
}

function mapOf(d: Insn): number {
  return d.opcode >> 8;
}

/** The instruction text without symbols: prefixes, mnemonic, operands (a RIP-relative address as a comment). */
export function extText(d: Insn, target?: string, ripComment?: string): string {
  const head = d.pfxText + d.mnem;
  if (d.operands.length === 0) return head;
  const ops = d.operands.map((o) => (o === TARGET_MARK ? target ?? hex(d.target < 0 ? 2 ** 64 + d.target : d.target) : o));
  let t = head.padEnd(6) + ' ' + ops.join(',');
  if (ripComment !== undefined) t += '        # ' + ripComment;
  return t;
}

function prefixText(s: St, name: string): string {
  const names: (string | null)[] = s.pfx.map((b) => PFX_NAMES[b] ?? '?');
  const lastIdx = (pred: (b: number) => boolean): number => {
    for (let i = s.pfx.length - 1; i >= 0; i--) if (pred(s.pfx[i])) return i;
    return -1;
  };
  if (s.mandatory) { const i = s.pfx.lastIndexOf(s.mandatory); if (i >= 0) names[i] = null; }
  if (s.opsizeUsed) { const i = s.pfx.lastIndexOf(0x66); if (i >= 0) names[i] = null; }
  if (s.adsizeUsed) { const i = s.pfx.lastIndexOf(0x67); if (i >= 0) names[i] = null; }
  if (s.segUsed) {
    const i = lastIdx((b) => b === 0x2e || b === 0x3e || b === 0x26 || b === 0x36 || b === 0x64 || b === 0x65);
    if (i >= 0) names[i] = null;
  }
  if (/^(movs|stos|lods|ins|outs)/.test(name)) {
    const i = s.pfx.lastIndexOf(0xf3); if (i >= 0 && names[i] !== null) names[i] = 'rep';
  }
  const out = names.filter((n): n is string => n !== null);
  if (s.preRex !== 0) out.push(REX_NAMES[s.preRex & 15]);
  else if (s.rex !== 0 && s.rexUsed !== s.rex) out.push(REX_NAMES[s.rex & 15]);
  return out.length ? out.join(' ') + ' ' : '';
}

const LEGACY_PFX = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

function decodeInto(s: St, d: Insn): string {
  // prefixes; a REX followed by another prefix is ignored (objdump prints it on its own)
  for (;;) {
    const b = s.peek();
    if (LEGACY_PFX.has(b)) { s.pfx.push(b); s.p++; continue; }
    if (b === 0x9b && s.pfx.length === 0 && !s.fwait && fwaitMerges(s)) { s.fwait = true; s.p++; continue; }
    if ((b & 0xf0) === 0x40) {
      s.p++;
      const n = s.peek();
      if (LEGACY_PFX.has(n) || (n & 0xf0) === 0x40 || n === 0x9b) {
        s.rex = b;
        s.rexUsed = b;
        return REX_NAMES[b & 15];
      }
      s.rex = b;
    }
    break;
  }
  const opc = s.byte();
  d.opcode = opc;
  let entry: string;
  let map = 0;
  let op = opc;
  if (opc === 0x0f) {
    const b2 = s.byte();
    if (b2 === 0x38) { map = 2; op = s.byte(); entry = MAP_0F38[op] ?? ''; }
    else if (b2 === 0x3a) { map = 3; op = s.byte(); entry = MAP_0F3A[op] ?? ''; }
    else if (b2 === 0x0f) return amd3dnow(s, d);
    else { map = 1; op = b2; entry = TWO_BYTE[b2]; }
    d.opcode = (map << 8) | op;
  } else if (opc === 0xc4 || opc === 0xc5 || opc === 0x62 || (opc === 0x8f && (s.peek() & 0x1f) >= 8)) {
    return vexLike(s, d, opc);
  } else if (opc >= 0xd8 && opc <= 0xdf) {
    return x87(s, opc);
  } else {
    entry = ONE_BYTE[opc];
  }
  return finish(s, d, map, entry, op);
}

/** Resolve an entry and decode its operands. */
function finish(s: St, d: Insn, map: number, entry: string, opc: number): string {
  const e = resolve(s, entry);
  if (e === '') throw new Bad();
  const pe = parseEntry(e);
  if (pe.vexOnly && s.vex === 0) throw new Bad();
  if (s.vex && (pe.legacyOnly || (!pe.vexOnly && map === 1 && !vexOkMap1(opc)))) throw new Bad();
  if (s.vex && (pe.ops.some((o) => o[0] === 'P' || o[0] === 'Q' || o[0] === 'N'))) throw new Bad();
  let name = pe.name;
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const w = s.vex ? s.W : (s.rex & 8) !== 0;
    if (!s.vex) s.useW();
    name = w ? name.slice(slash + 1) : name.slice(0, slash);
  }
  let suffixMode = '';
  if (name.endsWith('~') || name.endsWith('%')) { suffixMode = name[name.length - 1]; name = name.slice(0, -1); }
  if (s.vex === 1 && !pe.vexOnly) name = 'v' + name;
  if (!s.vex && (map === 2 || map === 3) && !entry.includes('|') && !entry.startsWith('@') && s.mandatory !== 0x66) {
    // 0f38/0f3a entries without a prefix column are 66-only; objdump's prefix table chooses F3/F2 first
    if (s.mandatory !== 0 || !s.has(0x66)) throw new Bad();
  }
  if (!s.vex && (map === 2 || map === 3) && !entry.includes('|') && !entry.startsWith('@')) s.mandatory = 0x66;
  const peekMod = s.modrm >= 0 ? s.modrm >> 6 : (s.p < s.end ? s.buf[s.p] >> 6 : 3);
  if (pe.ops.some((o) => o[0] === 'U' || o[0] === 'N') && peekMod !== 3) throw new Bad();
  if (s.vex === 1 && s.vvvv !== 0 && !pe.ops.some((o) => o === 'H' || o === 'H4' || o === 'By' || o === 'L')) throw new Bad();
  if (pe.ops.includes('Rq')) s.rmIsReg = true;
  // the 64-bit halves' moves (movlps, movhpd, ...) exist only as 128-bit VEX forms
  if (s.vex === 1 && s.L === 1 && map === 1 && (opc === 0x12 || opc === 0x13 || opc === 0x16 || opc === 0x17) && (s.mandatory === 0 || s.mandatory === 0x66)) throw new Bad();
  if (s.modrmNeeded || needsModrm(pe.ops)) s.fetchModrm();
  let eSize = 0;
  let usedVvvv = false;
  for (const o of pe.ops) {
    const r = operand(s, o, map, opc);
    if (r === null) continue;
    if (o === 'H' || o === 'H4' || o === 'By' || o === 'L') usedVvvv = true;
    if (o[0] === 'E' || o === '*Eq') eSize = sizeOf(s, o.replace('*', ''));
    s.ops.push(r);
  }
  if (s.vex && !usedVvvv && s.vvvv !== 0) return '(bad)';
  if (s.badOp && !s.vex) s.p = s.start + s.pfx.length + (s.rex ? 1 : 0) + 1;
  // comparison predicates and pclmulqdq aliases
  if (map === 1 && opc === 0xc2 && s.imm8.length) {
    const imm = s.imm8[0];
    const max = s.vex ? 32 : 8;
    if (imm < max) {
      s.ops.pop();
      name = name.replace(/^(v?cmp)/, `$1${CMP_PRED[imm]}`);
    }
  }
  if (map === 3 && opc === 0x44 && s.imm8.length) {
    const alias: Record<number, string> = { 0x00: 'lqlq', 0x01: 'hqlq', 0x10: 'lqhq', 0x11: 'hqhq' };
    const a = alias[s.imm8[0]];
    if (a) { s.ops.pop(); name = name.replace('pclmul', 'pclmul' + a); }
  }
  if (suffixMode === '~' && s.hasMem && !s.regOperand && eSize) name += SFX[eSize];
  if (suffixMode === '%' && s.hasMem) {
    if (pe.ops.includes('Ey')) name += s.osize === 8 || (s.vex && s.W) ? 'q' : 'l';
    else if (s.vex) name += s.L ? 'y' : 'x';
  }
  if (name === 'mov' && pe.ops[1] === 'Iv' && s.osize === 8) name = 'movabs';
  if (name === 'movsxd' && s.osize === 8) name = 'movslq';
  if (map === 0 && s.has(0x66) && (opc === 0xc2 || opc === 0xc3 || opc === 0xe8 || opc === 0xe9)) { s.opsizeUsed = true; name += 'w'; }
  if (map === 1 && opc >= 0x80 && opc <= 0x8f && s.has(0x66) && !(s.rex & 8)) s.opsizeUsed = true;
  if ((name === 'movs' || name === 'cmps' || name === 'ins' || name === 'outs') && map === 0) name += SFX[s.osize];
  if ((name === 'movzb' || name === 'movzw' || name === 'movsb' || name === 'movsw') && pe.ops[0] === 'Gv') name += SFX[s.osize];
  if (s.vex === 0 && map === 1 && opc === 0x77 && name === 'emms') name = 'emms';
  d.opcode = (map << 8) | opc;
  return name;
}

const VEX_MAP1_OK = new Set([0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
  0xc2, 0xc4, 0xc5, 0xc6, 0xae]);
function vexOkMap1(opc: number): boolean {
  return VEX_MAP1_OK.has(opc) || (opc >= 0x50 && opc <= 0x7f && opc !== 0x77 && opc !== 0x78 && opc !== 0x79 && opc !== 0x7a && opc !== 0x7b) || opc >= 0xd0;
}

function sizeOf(s: St, o: string): number {
  const t = o[1];
  if (t === 'b') return 1;
  if (t === 'w') return 2;
  if (t === 'd') return 4;
  if (t === 'q') return 8;
  if (t === 'y') return s.osize === 8 || (s.vex && s.W) ? 8 : 4;
  return s.osize;
}

/** One operand's text (Intel order position kept by the caller); null when it prints nothing (H in legacy mode). */
function operand(s: St, o: string, map: number, opc: number): string | null {
  const L = s.vex ? s.L : 0;
  const vreg = (r: number, l: number): string => '%' + s.vecName(r, l);
  switch (o) {
    case 'AL': return '%al';
    case 'CL': return '%cl';
    case 'AX': return '%ax';
    case 'DX': return '(%dx)';
    case 'eAX': { const sz = s.has(0x66) ? 2 : 4; if (sz === 2) s.opsizeUsed = true; return sz === 2 ? '%ax' : '%eax'; }
    case 'rAX': { const sz = s.osize; if (sz === 2) s.opsizeUsed = true; s.useW(); s.regOperand = true; return s.gpr(0, sz); }
  }
  switch (o[0]) {
    case '*': return '*' + operand(s, o.slice(1), map, opc);
    case 'E': {
      const size = o === 'Ebd' || o === 'Ewd' ? (s.mod === 3 ? 4 : o === 'Ebd' ? 1 : 2) : sizeOf(s, o);
      if (o[1] === 'v' || o[1] === 'y') { if (size === 2) s.opsizeUsed = true; s.useW(); }
      if (s.mod !== 3) { s.memSize = size; return s.memText; }
      s.regOperand = true;
      return s.gpr(s.rmB(), size);
    }
    case 'G': {
      const size = sizeOf(s, o);
      if (o[1] === 'v' || o[1] === 'y') { if (size === 2) s.opsizeUsed = true; s.useW(); }
      s.regOperand = true;
      return s.gpr(s.regR(), size);
    }
    case 'B': {
      if (o === 'By') {
        s.regOperand = true;
        return s.gpr(s.vvvv, s.W ? 8 : 4);
      }
      // MPX bound registers
      if (o === 'Bm' || (o === 'Bw' && s.mod !== 3)) return s.mod === 3 ? '(bad)' : s.memText;
      if (o === 'Bw') return s.rm <= 3 ? `%bnd${s.rm}` : '(bad)';
      return s.reg <= 3 ? `%bnd${s.reg}` : '(bad)';
    }
    case 'M': {
      if (o === 'Mx') {
        // VSIB: re-read the memory operand with a vector index
        if (s.mod === 3 || s.rm !== 4) return '(bad)';
        const save = s.p;
        s.p = s.modrmEnd0;
        const t = s.memOperand(true);
        s.p = save;
        return t;
      }
      if (s.mod === 3) { s.badOp = true; return '(bad)'; }
      return s.memText;
    }
    case 'R': { // 0f 20..23: the r/m field is always a register
      return s.gpr(s.rmB(), 8);
    }
    case 'C': return `%cr${s.regR()}`;
    case 'D': return `%db${s.regR()}`;
    case 'S': return '%' + SEGS[s.reg];
    case 'Z': {
      const r = (opc & 7) | (s.rex & 1 ? 8 : 0);
      if (s.rex & 1) s.rexUsed |= 1 | 0x40;
      s.regOperand = true;
      if (o === 'Zb') return s.gpr(r, 1);
      if (o === 'Zq') { if (s.has(0x66)) { s.opsizeUsed = true; return s.gpr(r, 2); } return s.gpr(r, 8); }
      const size = s.osize;
      if (size === 2) s.opsizeUsed = true;
      s.useW();
      return s.gpr(r, size);
    }
    case 'I': {
      let n = o === 'Ib' || o === 'Is' ? 1 : o === 'Iw' ? 2 : 4;
      const size = s.osize;
      if (o === 'Iz' && size === 2) { n = 2; s.opsizeUsed = true; }
      if (o === 'Iv') { n = size; if (size === 2) s.opsizeUsed = true; s.useW(); }
      const v = o === 'Is' || o === 'Iz' ? s.signed(n) : s.le(n);
      if (o === 'Ib') s.imm8.push(v);
      let shown = v;
      if (v < 0) shown = size === 8 ? -1 : size === 2 ? (v & 0xffff) : v >>> 0;
      if (shown === -1 && size === 8) return '$0x' + BigInt.asUintN(64, BigInt(v)).toString(16);
      return '$' + hex(shown);
    }
    case 'J': {
      let n = o === 'Jb' ? 1 : 4;
      if (o === 'Jz' && s.has(0x66) && !(s.rex & 8)) { n = 2; s.opsizeUsed = true; }
      s.target = s.signed(n);
      s.hasTarget = true;
      return TARGET_MARK;
    }
    case 'O': {
      const a32 = s.has(0x67);
      if (a32) s.adsizeUsed = true;
      const v = a32 ? s.le(4) : BigInt.asUintN(64, BigInt(s.le(4)) + (BigInt(s.le(4)) << 32n));
      const seg = s.activeSeg();
      if (seg) s.segUsed = true;
      return seg + '0x' + v.toString(16);
    }
    case 'X': case 'Y': {
      if (o === 'X0') return '%xmm0';
      const seg = o[0] === 'X' ? (s.activeSeg() || '%ds:') : '%es:';
      if (o[0] === 'X') s.segUsed = true;
      const a32 = s.has(0x67);
      if (a32) s.adsizeUsed = true;
      const r = o === 'Xbx' ? (a32 ? '%ebx' : '%rbx') : o[0] === 'X' ? (a32 ? '%esi' : '%rsi') : (a32 ? '%edi' : '%rdi');
      if (o[1] === 'v' || o[1] === 'z') { s.useW(); if (s.osize === 2) s.opsizeUsed = true; }
      return `${seg}(${r})`;
    }
    case 'V': {
      const l = o === 'V4' ? 0 : o === 'V8' ? 1 : L;
      return vreg(s.regR(), l);
    }
    case 'W': case 'U': {
      if (o[0] === 'U' && s.mod !== 3) return '(bad)';
      if (s.mod !== 3) return s.memText;
      const l = o.length > 1 ? 0 : L;
      if (s.rex & 2 && s.vex === 2) s.rexUsed |= 2;
      return vreg(s.rmB() | (s.vex === 2 && s.rex & 2 ? 16 : 0), l);
    }
    case 'H': {
      if (!s.vex) return null;
      return vreg(s.vvvv | s.evexV2, o === 'H4' ? 0 : L);
    }
    case 'L': {
      const v = s.byte();
      s.imm8.push(v);
      return vreg(v >> 4, L);
    }
    case 'P': return `%mm${s.reg}`;
    case 'Q': case 'N': {
      if (o === 'N' && s.mod !== 3) return '(bad)';
      return s.mod === 3 ? `%mm${s.rm}` : s.memText;
    }
    case 'F': return o === 'FS' ? '%fs' : '%gs';
    case '1': return null;
    default: {
      // fixed registers were named by the switch at the top
      return o;
    }
  }
}

function amd3dnow(s: St, d: Insn): string {
  d.opcode = 0x40000;
  s.fetchModrm();
  const suffix = s.byte();
  const n = AMD3DNOW[suffix];
  if (n === undefined) {
    // objdump gives up after the first 0f
    s.p = s.start + s.pfx.length + (s.rex ? 1 : 0) + 1;
    throw new Bad();
  }
  s.ops.push(`%mm${s.reg}`, s.mod === 3 ? `%mm${s.rm}` : s.memText);
  return n;
}

function x87(s: St, opc: number): string {
  const n = x87Name(s, opc);
  if (!s.fwait) return n;
  if (n.startsWith('fn')) return 'f' + n.slice(2);
  return 'fwait ' + n;
}

/** A 9b before (prefixes and) an x87 opcode is part of that instruction (fstcw = fwait; fnstcw), as objdump reads it. */
function fwaitMerges(s: St): boolean {
  for (let i = s.p + 1; i < s.end; i++) {
    const b = s.buf[i];
    if (LEGACY_PFX.has(b) || (b & 0xf0) === 0x40) continue;
    return b >= 0xd8 && b <= 0xdf;
  }
  return false;
}

function x87Name(s: St, opc: number): string {
  s.fetchModrm();
  const i = opc - 0xd8;
  if (s.mod !== 3) {
    const n = X87_MEM[i][s.reg];
    s.ops.push(s.memText);
    return n === '' ? '(bad)' : n;
  }
  const e = X87_REG[i][s.reg];
  if (e === '') return '(bad)';
  if (e.startsWith('=')) {
    const n = e.slice(1).split(' ')[s.rm];
    if (n === '_') return '(bad)';
    if (n === 'fnstsw_AX') { s.ops.push('%ax'); return 'fnstsw'; }
    return n.replace(/_/g, ' ');
  }
  const [n, form] = e.split(' ');
  const sti = `%st(${s.rm})`;
  if (form === 'i,0') s.ops.push('%st', sti);
  else if (form === '0,i') s.ops.push(sti, '%st');
  else s.ops.push(sti);
  return n;
}

/** VEX (c4/c5), EVEX (62) and XOP (8f) encoded instructions. */
function vexLike(s: St, d: Insn, opc: number): string {
  // objdump prints a REX before a VEX prefix by name; an XOP prefix after REX or 66/f2/f3/lock is (bad)
  s.preRex = s.rex;
  const badPrefix = s.rex !== 0 || s.has(0x66) || s.has(0xf2) || s.has(0xf3) || s.has(0xf0);
  let map: number, pp: number;
  if (opc === 0xc5) {
    const b = s.byte();
    s.rex = 0x40 | (b & 0x80 ? 0 : 4);
    s.vvvv = (~b >> 3) & 15; s.L = (b >> 2) & 1; pp = b & 3; map = 1; s.vex = 1;
  } else {
    const b1 = s.byte();
    map = b1 & 0x1f;
    // an unknown map: objdump stops after the escape byte
    if ((opc === 0xc4 && (map < 1 || map > 3)) || (opc === 0x8f && map > 10)) { s.p--; throw new Bad(); }
    s.rex = 0x40 | (b1 & 0x80 ? 0 : 4) | (b1 & 0x40 ? 0 : 2) | (b1 & 0x20 ? 0 : 1);
    if (opc === 0x62) {
      const b2 = s.byte();
      const b3 = s.byte();
      s.evexR2 = b1 & 0x10 ? 0 : 16;
      s.W = (b2 & 0x80) !== 0; s.vvvv = (~b2 >> 3) & 15; pp = b2 & 3;
      s.evexZ = (b3 & 0x80) !== 0; s.L = (b3 >> 5) & 3; s.evexB = (b3 & 0x10) !== 0; s.evexV2 = b3 & 8 ? 0 : 16; s.evexAaa = b3 & 7;
      s.vex = 2;
      map = b1 & 7;
    } else {
      const b2 = s.byte();
      s.W = (b2 & 0x80) !== 0; s.vvvv = (~b2 >> 3) & 15; s.L = (b2 >> 2) & 1; pp = b2 & 3;
      s.vex = opc === 0x8f ? 3 : 1;
    }
  }
  s.rexUsed = s.rex; // VEX-encoded REX bits never print
  s.mandatory = [0, 0x66, 0xf3, 0xf2][pp];
  const op = s.byte();
  if (badPrefix && s.vex === 3) throw new Bad();
  if (s.vex === 3) return xop(s, d, map, op);
  if (s.vex === 2) return evex(s, d, map, op);
  let entry: string;
  if (map === 1) {
    if (op === 0x77) { d.opcode = 0x177; if (s.vvvv) return '(bad)'; return s.L ? 'vzeroall' : 'vzeroupper'; }
    entry = op === 0xae ? '#vae' : TWO_BYTE[op];
  } else if (map === 2) entry = MAP_0F38[op] ?? '';
  else if (map === 3) entry = MAP_0F3A[op] ?? '';
  else throw new Bad();
  if ((map === 2 || map === 3) && !entry.includes('|') && !entry.startsWith('#') && s.mandatory !== 0x66) throw new Bad();
  const name = finish(s, d, map, entry, op);
  if (map === 3 && s.imm8.length === 0) { s.byte(); } // every 0f3a instruction has an imm8
  return name;
}

/** XOP (AMD): map 8 takes an imm8, map 9 none, map 10 an imm32; names are not tabulated. */
function xop(s: St, d: Insn, map: number, op: number): string {
  d.opcode = (map << 8) | op;
  const name = XOP[map]?.[op];
  if (name === undefined) throw new Bad();
  s.fetchModrm();
  s.ops.push(s.mod === 3 ? '%' + s.vecName(s.rmB(), s.L) : s.memText);
  s.ops.unshift('%' + s.vecName(s.regR(), s.L));
  if (map === 8) s.ops.push('$' + hex(s.byte()));
  if (map === 10) s.ops.push('$' + hex(s.le(4)));
  return name;
}

/** EVEX (AVX-512): names from the VEX tables where they exist; lengths always exact. */
function evex(s: St, d: Insn, map: number, op: number): string {
  d.opcode = (map << 8) | op;
  if (map === 0 || map === 4 || map === 7) throw new Bad();
  s.fetchModrm();
  let name = 'evex';
  if (map <= 3) {
    const entry = map === 1 ? TWO_BYTE[op] : map === 2 ? MAP_0F38[op] : MAP_0F3A[op];
    if (entry) {
      let e = entry.includes('|') ? entry.split('|')[[0, 0x66, 0xf3, 0xf2].indexOf(s.mandatory) === 1 ? 2 : s.mandatory === 0xf3 ? 1 : s.mandatory === 0xf2 ? 3 : 0] ?? '' : entry;
      if (e.startsWith('@')) e = e.slice(1);
      const m = /^[!^]?([a-z0-9]+)/.exec(e);
      if (m) name = (e.startsWith('!') ? '' : 'v') + m[1];
    }
  }
  const rm = s.mod === 3 ? '%' + s.vecName(s.rmB() | (s.rex & 2 ? 16 : 0), s.L) : s.memText;
  s.ops.push('%' + s.vecName(s.regR(), s.L), '%' + s.vecName(s.vvvv | s.evexV2, s.L), rm);
  const imm = map === 3 || (map === 1 && (op === 0x70 || op === 0x71 || op === 0x72 || op === 0x73 || op === 0xc2 || op === 0xc4 || op === 0xc5 || op === 0xc6));
  if (imm) s.ops.push('$' + hex(s.byte()));
  if (s.evexAaa) s.ops[0] += `{%k${s.evexAaa}}` + (s.evexZ ? '{z}' : '');
  void NO_REG;
  return name;
}
