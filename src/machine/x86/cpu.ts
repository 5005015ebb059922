// x86-64 CPU: registers in typed arrays, lazily evaluated arithmetic flags, and the interpreter loop.

import { Insn, Op, Pfx, NO_REG, REG_AH, type InsnHandler } from './insn.js';
import { decode } from './decode.js';
import { Memory, Region, PERM_W, PERM_X, hex } from '../memory.js';
import { FetchModel, FetchViolation } from '../fetch.js';

export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

/** RFLAGS bits. */
export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200, DF = 0x400, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;

/** Exception vectors. */
export const enum Vec { UNSUPPORTED = -1, DE = 0, NMI = 2, BP = 3, UD = 6, DF = 8, GP = 13, PF = 14 }

export const VEC_NAMES: Record<number, string> = { [-1]: 'unsupported instruction', 0: '#DE', 2: 'NMI', 3: '#BP', 6: '#UD', 8: '#DF', 13: '#GP', 14: '#PF' };

/** Exceptions whose frame carries an error code. */
const HAS_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);

/** Segment selectors of the flat kernel segments (Linux's __KERNEL_CS / __KERNEL_DS). */
export const KERNEL_CS = 0x10;
export const KERNEL_DS = 0x18;

/** The machine-wide clock: advances by one per instruction (or idle cycle) of whichever CPU runs. */
export interface Clock {
  now: number;
}

/** Control-flow events for the call/ret integrity monitor (invariant 3). */
export interface FlowMonitor {
  onCall(cpu: Cpu, returnTo: number): void;
  /** Returns a description when the return is not to where the matching call came from. */
  onRet(cpu: Cpu, target: number): string | null;
  /** Returns a description when the delivery breaks an interrupt-state rule (NMI nesting). */
  onInterrupt(cpu: Cpu, vector: number, returnTo: number): string | null;
  onIret(cpu: Cpu, target: number): string | null;
}

/** A violation of a machine invariant found while executing (stops the run). */
export class MachineViolation {
  constructor(
    readonly invariant: number, readonly cpu: number, readonly rip: number, readonly detail: string, readonly bytes: Uint8Array,
    /** Found while handling an exception: the instructions that matter are those before its delivery. */
    readonly fromException = false,
  ) {}
}

/** What the CPU needs from the machine around it: ports and hypercalls. */
export interface CpuBus {
  out(cpu: Cpu, port: number, size: number, value: number): void;
  in(cpu: Cpu, port: number, size: number): number;
  /** vmcall: number in rax, arguments in rdi, rsi, rdx, r10; the handler sets rax. */
  hypercall(cpu: Cpu): void;
}

/** A CPU's state as plain data (see Cpu.save). */
export interface CpuState {
  lo: Uint32Array; hi: Int32Array; rip: number; flags: number; fsBase: number; gsBase: number;
  cycles: number; idleCycles: number; halted: boolean; waiting: boolean; fault: CpuFault | null;
  violation: FetchViolation | MachineViolation | null; hostError: string | null; idtBase: number; cr2: number;
  pending: Uint8Array; pendingCount: number; nmiPending: boolean; nmiBlocked: boolean; irqAllowedAt: number;
  serialTime: number; recentRing: Float64Array; recentPos: number; exceptionRing: Float64Array; exceptionPos: number;
}

/** An exception raised by an instruction; the machine decides how to deliver it. */
export class CpuFault {
  constructor(
    readonly vector: number,
    /** address of the faulting instruction (NaN until the run loop fills it in) */
    public rip: number,
    readonly detail: string,
    public bytes: Uint8Array,
    /** faulting data address for #PF */
    readonly address = 0,
    /** error code pushed for #PF / #GP */
    readonly errorCode = 0,
  ) {}
}

// Lazy flag kinds: which operation last set the arithmetic flags.
const L_NONE = 0, L_ADD = 1, L_SUB = 2, L_LOGIC = 3, L_INC = 4, L_DEC = 5, L_ADC = 6, L_SBB = 7;

const MASK = [0, 0xff, 0xffff, 0, 0xffffffff, 0, 0, 0, 0xffffffff];
const SIGNBIT = [0, 0x80, 0x8000, 0, 0x80000000, 0, 0, 0, 0x80000000];
const TWO32 = 4294967296;
/** Instructions kept for violation reports (a power of two). */
const RECENT = 32;

/** cpuid vendor string "FtsimVirtCPU" as ebx, edx, ecx words. */
const VENDOR = [0, 4, 8].map((i) => Buffer.from('FtsimVirtCPU'.slice(i, i + 4), 'latin1').readUInt32LE(0));

/** Operations that end a slice when the scheduler asks for it (Cpu.sliceAtVisible), by op. */
const VISIBLE = new Uint8Array(256);
for (const op of [Op.CLI, Op.STI, Op.POPF, Op.VMCALL, Op.IRET, Op.CPUID, Op.SERIALIZE, Op.CMPXCHG]) VISIBLE[op] = 1;

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i, p = 1;
  while (b) { p ^= b & 1; b >>= 1; }
  PARITY[i] = p ? PF : 0;
}

export class Cpu {
  /** Low and high 32 bits of rax..r15. */
  readonly lo = new Uint32Array(16);
  readonly hi = new Int32Array(16);
  /** Instruction pointer as a signed double (always canonical). */
  rip = 0;
  /** RFLAGS bits other than the lazily evaluated arithmetic ones (IF, DF, ...), plus materialized arith flags when lazy kind is NONE. */
  flags = 0x2;
  /** Lazy flags state. */
  private lk = L_NONE;
  private lsz = 4;
  private rLo = 0; private rHi = 0;
  private aLo = 0; private aHi = 0;
  private bLo = 0; private bHi = 0;
  private cin = 0;
  /** Scratch: high half of the last 64-bit value returned by a read helper. */
  private tHi = 0;
  fsBase = 0;
  gsBase = 0;
  /** Cycle counter (TSC): one per instruction retired, plus idle cycles spent waiting in hlt. */
  cycles = 0;
  /** Idle cycles (waiting in hlt with interrupts on); instructions retired = cycles - idleCycles. */
  idleCycles = 0;
  /** Halted for good: hlt with interrupts off, or stopped by a fault or a violation. */
  halted = false;
  /** Waiting in hlt with interrupts on, until an interrupt arrives. */
  waiting = false;
  /** Set when the CPU stopped on an exception it could not deliver. */
  fault: CpuFault | null = null;
  /** Set when the CPU stopped on an invariant violation (torn/stale fetch, control flow, ...). */
  violation: FetchViolation | MachineViolation | null = null;
  /** Interrupt descriptor table base (0: none; exceptions then stop the CPU). */
  idtBase = 0;
  /** Page-fault linear address of the last #PF. */
  cr2 = 0;
  /** Pending maskable interrupt vectors. */
  readonly pending = new Uint8Array(256);
  pendingCount = 0;
  /** NMI latched, and NMIs blocked until the next IRET (an NMI handler is running). */
  nmiPending = false;
  nmiBlocked = false;
  /** Maskable interrupts are inhibited until `cycles` reaches this (the STI shadow). */
  irqAllowedAt = 0;
  /**
   * End the slice right after an operation another CPU can observe or that changes what can happen
   * next (locked instructions, xchg with memory, IF changes, hypercalls, serializing instructions),
   * so that the scheduler decides at exactly those points. Off while a CPU runs alone.
   */
  sliceAtVisible = false;
  /** A host thread owns this CPU: run() only lets a due NMI through and returns once it has been handled. */
  frozen = false;
  /** The current slice ends after the instruction being executed (a visible operation, or interruptSlice). */
  private endSlice = false;
  /** Set when a host callback (a hypercall handler) failed: the run stops with this message. */
  hostError: string | null = null;
  /** Machine time of the CPU's last serializing event (IRET, CPUID, SERIALIZE, sync_core). */
  serialTime = 0;
  /** Cross-modifying-code fetch model (null: fetch always sees current bytes). */
  fetchModel: FetchModel | null = null;
  /** Control-flow integrity monitor (null: off). */
  flow: FlowMonitor | null = null;
  /** The loop runs while cycles < limit; lowering it ends the current stretch early. */
  private limit = 0;
  /** Machine time and cycle count when the current stretch started. */
  private chunkBase = 0;
  private chunkCycles = 0;
  /** Set while no instruction is being executed (instruction fetch, event delivery): faults then name none. */
  private noInsn = false;
  /** The last RECENT instructions executed, as a ring (violation reports show them). */
  private readonly recentRing = new Float64Array(RECENT).fill(NaN);
  private recentPos = 0;
  /** The ring as it was when the last exception was delivered (reports of unexpected faults). */
  private readonly exceptionRing = new Float64Array(RECENT).fill(NaN);
  private exceptionPos = 0;
  /** Most recently used regions. */
  private code: Region;
  private data: Region;
  private data2: Region;

  constructor(readonly id: number, readonly mem: Memory, readonly bus: CpuBus, readonly clock: Clock = { now: 0 }) {
    const r = mem.regions[0];
    if (!r) throw new Error('Cpu: memory has no regions');
    this.code = r;
    this.data = r;
    this.data2 = r;
  }

  // ---- register access -------------------------------------------------------------

  getReg(r: number): bigint {
    return (BigInt(this.hi[r] >>> 0) << 32n) | BigInt(this.lo[r]);
  }

  setReg(r: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.lo[r] = Number(u & 0xffffffffn);
    this.hi[r] = Number(u >> 32n) | 0;
  }

  /** Register value as a signed double (exact for canonical addresses). */
  regNum(r: number): number {
    return this.hi[r] * TWO32 + this.lo[r];
  }

  setRegNum(r: number, v: number): void {
    this.lo[r] = v >>> 0;
    this.hi[r] = Math.floor(v / TWO32) | 0;
  }

  getRip(): bigint {
    return BigInt.asUintN(64, BigInt(this.rip));
  }

  setRip(v: bigint): void {
    this.rip = Number(BigInt.asIntN(64, v));
  }

  private rdReg(r: number, size: number): number {
    switch (size) {
      case 8: this.tHi = this.hi[r]; return this.lo[r];
      case 4: return this.lo[r];
      case 2: return this.lo[r] & 0xffff;
      default: return r >= 16 ? (this.lo[r - 16] >>> 8) & 0xff : this.lo[r] & 0xff;
    }
  }

  private wrReg(r: number, size: number, vlo: number, vhi: number): void {
    switch (size) {
      case 8: this.lo[r] = vlo; this.hi[r] = vhi; return;
      case 4: this.lo[r] = vlo; this.hi[r] = 0; return;
      case 2: this.lo[r] = (this.lo[r] & 0xffff0000) | (vlo & 0xffff); return;
      default:
        if (r >= 16) this.lo[r - 16] = (this.lo[r - 16] & 0xffff00ff) | ((vlo & 0xff) << 8);
        else this.lo[r] = (this.lo[r] & 0xffffff00) | (vlo & 0xff);
    }
  }

  // ---- flags -------------------------------------------------------------------------

  private setLazy(kind: number, size: number, rLo: number, rHi: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
    this.lk = kind; this.lsz = size;
    this.rLo = rLo; this.rHi = rHi; this.aLo = aLo; this.aHi = aHi; this.bLo = bLo; this.bHi = bHi;
  }

  private ltu(xLo: number, xHi: number, yLo: number, yHi: number): boolean {
    if (this.lsz === 8) {
      const xh = xHi >>> 0, yh = yHi >>> 0;
      return xh < yh || (xh === yh && xLo < yLo);
    }
    return xLo < yLo;
  }

  private getCF(): number {
    switch (this.lk) {
      case L_NONE: return this.flags & CF;
      case L_ADD: return this.ltu(this.rLo, this.rHi, this.aLo, this.aHi) ? 1 : 0;
      case L_ADC: return this.ltu(this.rLo, this.rHi, this.aLo, this.aHi) || (this.cin && this.rLo === this.aLo && this.rHi === this.aHi) ? 1 : 0;
      case L_SUB: return this.ltu(this.aLo, this.aHi, this.bLo, this.bHi) ? 1 : 0;
      case L_SBB: return this.ltu(this.aLo, this.aHi, this.bLo, this.bHi) || (this.cin && this.aLo === this.bLo && this.aHi === this.bHi) ? 1 : 0;
      case L_LOGIC: return 0;
      default: return this.cin; // INC/DEC keep CF
    }
  }

  private getZF(): boolean {
    if (this.lk === L_NONE) return (this.flags & ZF) !== 0;
    return this.rLo === 0 && (this.lsz !== 8 || this.rHi === 0);
  }

  private getSF(): boolean {
    if (this.lk === L_NONE) return (this.flags & SF) !== 0;
    return this.lsz === 8 ? this.rHi < 0 : (this.rLo & SIGNBIT[this.lsz]) !== 0;
  }

  private getOF(): boolean {
    let x: number;
    const s8 = this.lsz === 8;
    switch (this.lk) {
      case L_NONE: return (this.flags & OF) !== 0;
      case L_LOGIC: return false;
      case L_ADD: case L_ADC:
        x = s8 ? (this.aHi ^ this.rHi) & (this.bHi ^ this.rHi) : (this.aLo ^ this.rLo) & (this.bLo ^ this.rLo);
        break;
      case L_INC:
        x = s8 ? (this.aHi ^ this.rHi) & (0 ^ this.rHi) : (this.aLo ^ this.rLo) & (1 ^ this.rLo);
        break;
      case L_DEC:
        x = s8 ? (this.aHi ^ 0) & (this.aHi ^ this.rHi) : (this.aLo ^ 1) & (this.aLo ^ this.rLo);
        break;
      default: // SUB, SBB
        x = s8 ? (this.aHi ^ this.bHi) & (this.aHi ^ this.rHi) : (this.aLo ^ this.bLo) & (this.aLo ^ this.rLo);
    }
    return s8 ? x < 0 : (x & SIGNBIT[this.lsz]) !== 0;
  }

  private getPF(): number {
    if (this.lk === L_NONE) return this.flags & PF;
    return PARITY[this.rLo & 0xff];
  }

  private getAF(): number {
    switch (this.lk) {
      case L_NONE: return this.flags & AF;
      case L_LOGIC: return 0;
      case L_INC: case L_DEC: return (this.aLo ^ 1 ^ this.rLo) & AF;
      default: return (this.aLo ^ this.bLo ^ this.rLo) & AF;
    }
  }

  /** The full RFLAGS value. */
  getFlags(): number {
    if (this.lk === L_NONE) return this.flags;
    return (this.flags & ~ARITH) | this.getCF() | this.getPF() | this.getAF() |
      (this.getZF() ? ZF : 0) | (this.getSF() ? SF : 0) | (this.getOF() ? OF : 0);
  }

  setFlags(v: number): void {
    this.flags = (v & 0x3f7fd5) | 0x2;
    this.lk = L_NONE;
  }

  /** Materialize the lazy flags into `flags` (before a partial flag update). */
  private materialize(): void {
    if (this.lk !== L_NONE) {
      this.flags = this.getFlags();
      this.lk = L_NONE;
    }
  }

  private cond(cc: number): boolean {
    let r: boolean;
    if (this.lk === L_SUB) {
      // fast paths after cmp/sub
      switch (cc >> 1) {
        case 1: r = this.ltu(this.aLo, this.aHi, this.bLo, this.bHi); break;
        case 2: r = this.getZF(); break;
        case 3: r = this.ltu(this.aLo, this.aHi, this.bLo, this.bHi) || this.getZF(); break;
        case 6: r = this.lts(); break;
        case 7: r = this.lts() || this.getZF(); break;
        default: r = this.condSlow(cc >> 1);
      }
    } else {
      r = this.condSlow(cc >> 1);
    }
    return (cc & 1) ? !r : r;
  }

  /** Signed a < b for the pending subtraction. */
  private lts(): boolean {
    const s = this.lsz;
    if (s === 8) return this.aHi < this.bHi || (this.aHi === this.bHi && this.aLo < this.bLo);
    if (s === 4) return (this.aLo | 0) < (this.bLo | 0);
    const sh = 32 - s * 8;
    return ((this.aLo << sh) >> sh) < ((this.bLo << sh) >> sh);
  }

  private condSlow(c: number): boolean {
    switch (c) {
      case 0: return this.getOF();
      case 1: return this.getCF() !== 0;
      case 2: return this.getZF();
      case 3: return this.getCF() !== 0 || this.getZF();
      case 4: return this.getSF();
      case 5: return this.getPF() !== 0;
      case 6: return this.getSF() !== this.getOF();
      default: return this.getZF() || this.getSF() !== this.getOF();
    }
  }

  // ---- memory ------------------------------------------------------------------------

  /** Raise an exception for the instruction being executed (the run loop names it: see run()). */
  private fault_(vector: number, detail: string, address = 0, errorCode = 0): never {
    throw new CpuFault(vector, this.noInsn ? this.rip : NaN, detail, new Uint8Array(0), address, errorCode);
  }

  /** Machine time of the instruction being executed. */
  now(): number {
    return this.chunkBase + (this.cycles - this.chunkCycles);
  }

  /**
   * The most recent instructions this CPU executed, oldest first (the last one may not have retired).
   * For a violation found while handling an exception, the instructions up to the exception.
   */
  recent(): Insn[] {
    const out: Insn[] = [];
    const v = this.violation;
    const fromEx = v instanceof MachineViolation && v.fromException;
    const ring = fromEx ? this.exceptionRing : this.recentRing;
    const pos = fromEx ? this.exceptionPos : this.recentPos;
    for (let i = 1; i <= RECENT; i++) {
      const a = ring[(pos + i) & (RECENT - 1)];
      if (a === a) { const d = this.insnAt(a); if (d !== null) out.push(d); } // NaN: empty slot
    }
    return out;
  }

  /** Decode the instruction at an address as memory holds it now (reports and fault messages). */
  private insnAt(addr: number): Insn | null {
    if (addr !== addr) return null;
    const r = this.mem.find(addr, 1);
    if (r === undefined) return null;
    const off = addr - r.start;
    return decode(r.bytes, off, r.size - off, addr);
  }

  /** Instructions retired. */
  get retired(): number {
    return this.cycles - this.idleCycles;
  }

  /** Slow path of a data access: the second cached region (swapped to the front), else a lookup. */
  private rregion(addr: number, len: number): Region {
    const r2 = this.data2;
    if (addr >= r2.start && addr + len <= r2.end) {
      this.data2 = this.data;
      this.data = r2;
      return r2;
    }
    const r = this.mem.find(addr, len);
    if (r === undefined) this.fault_(Vec.PF, `read of ${len} bytes at ${hex(addr)}: address not mapped`, addr, 0);
    this.data2 = this.data;
    this.data = r;
    return r;
  }

  private wregion(addr: number, len: number): Region {
    const r2 = this.data2;
    if (addr >= r2.start && addr + len <= r2.end && (r2.perm & PERM_W)) {
      this.data2 = this.data;
      this.data = r2;
      return r2;
    }
    const r = this.mem.find(addr, len);
    if (r === undefined) this.fault_(Vec.PF, `write of ${len} bytes at ${hex(addr)}: address not mapped`, addr, 2);
    if (!(r.perm & PERM_W)) this.fault_(Vec.PF, `write of ${len} bytes at ${hex(addr)}: ${r.name} is read-only`, addr, 3);
    this.data2 = this.data;
    this.data = r;
    return r;
  }

  /** Read `size` bytes at addr; returns the low 32 bits, high 32 in tHi for size 8. */
  private rd(addr: number, size: number): number {
    let r = this.data;
    let off = addr - r.start;
    if (off < 0 || off + size > r.size) { r = this.rregion(addr, size); off = addr - r.start; }
    switch (size) {
      case 8: this.tHi = r.dv.getInt32(off + 4, true); return r.dv.getUint32(off, true);
      case 4: return r.dv.getUint32(off, true);
      case 2: return r.dv.getUint16(off, true);
      default: return r.bytes[off];
    }
  }

  private wr(addr: number, size: number, vlo: number, vhi: number): void {
    let r = this.data;
    let off = addr - r.start;
    if (off < 0 || off + size > r.size || !(r.perm & PERM_W)) { r = this.wregion(addr, size); off = addr - r.start; }
    switch (size) {
      case 8: r.dv.setUint32(off, vlo, true); r.dv.setInt32(off + 4, vhi, true); break;
      case 4: r.dv.setUint32(off, vlo, true); break;
      case 2: r.dv.setUint16(off, vlo, true); break;
      default: r.bytes[off] = vlo;
    }
    if (r.icache !== null) r.invalidate(off, size);
  }

  /**
   * base + index * scale + disp of the memory operand, exact modulo 2^64 (no segment base): what
   * lea computes. Returns the low 32 bits; the high 32 bits (signed) are left in tHi.
   */
  private lea(d: Insn): number {
    let lo = d.dispLo, hi = d.dispHi;
    const b = d.base, x = d.index;
    if (b >= 0) { lo += this.lo[b]; hi += this.hi[b]; }
    if (x >= 0) { lo += this.lo[x] * d.scale; hi += Math.imul(this.hi[x], d.scale); }
    if (lo >= TWO32) { const c = Math.floor(lo / TWO32); lo -= c * TWO32; hi += c; }
    this.tHi = hi | 0;
    return lo;
  }

  /** Effective address of the memory operand (with the fs/gs base), exact modulo 2^64, as a signed double. */
  private ea(d: Insn): number {
    let lo = this.lea(d), hi = this.tHi;
    if (d.prefixes & (Pfx.FS | Pfx.GS)) {
      const s = d.prefixes & Pfx.FS ? this.fsBase : this.gsBase;
      lo += s >>> 0; hi += Math.floor(s / TWO32);
      if (lo >= TWO32) { lo -= TWO32; hi += 1; }
    }
    return (hi | 0) * TWO32 + lo;
  }

  /** Read the r/m operand. */
  private rdRm(d: Insn, size: number): number {
    if (d.rm !== NO_REG) return this.rdReg(d.rm, size);
    return this.rd(this.ea(d), size);
  }

  private push64(vlo: number, vhi: number): void {
    let lo = this.lo[RSP] - 8, hi = this.hi[RSP];
    if (lo < 0) { lo += TWO32; hi = (hi - 1) | 0; }
    this.wr(hi * TWO32 + lo, 8, vlo, vhi);
    this.lo[RSP] = lo; this.hi[RSP] = hi;
  }

  private pop64(): number {
    const lo = this.lo[RSP], hi = this.hi[RSP];
    const v = this.rd(hi * TWO32 + lo, 8);
    const nl = lo + 8;
    if (nl >= TWO32) { this.lo[RSP] = nl - TWO32; this.hi[RSP] = (hi + 1) | 0; } else this.lo[RSP] = nl;
    return v;
  }

  /** Push the return address, jump, and tell the call/ret monitor. */
  private callTo(next: number, target: number): void {
    this.pushNum(next);
    this.rip = target;
    if (this.flow !== null) this.flow.onCall(this, next);
  }

  /** Push a 64-bit value given as a signed double (return addresses). */
  pushNum(v: number): void {
    this.push64(v >>> 0, Math.floor(v / TWO32) | 0);
  }

  // ---- arithmetic --------------------------------------------------------------------

  /** Two-operand ALU op; returns result low part, high part in tHi. Sets lazy flags. */
  private alu(op: Op, size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
    let lo: number, hi = 0;
    if (size === 8) {
      switch (op) {
        case Op.ADD: case Op.ADC: {
          const c = op === Op.ADC ? this.getCF() : 0;
          lo = aLo + bLo + c;
          const carry = lo >= TWO32 ? 1 : 0;
          lo = lo >>> 0;
          hi = (aHi + bHi + carry) | 0;
          this.cin = c;
          this.setLazy(op === Op.ADD ? L_ADD : L_ADC, 8, lo, hi, aLo, aHi, bLo, bHi);
          break;
        }
        case Op.SUB: case Op.CMP: case Op.SBB: {
          const c = op === Op.SBB ? this.getCF() : 0;
          lo = aLo - bLo - c;
          const borrow = lo < 0 ? 1 : 0;
          lo = lo >>> 0;
          hi = (aHi - bHi - borrow) | 0;
          this.cin = c;
          this.setLazy(op === Op.SBB ? L_SBB : L_SUB, 8, lo, hi, aLo, aHi, bLo, bHi);
          break;
        }
        case Op.AND: case Op.TEST: lo = (aLo & bLo) >>> 0; hi = aHi & bHi; this.setLazy(L_LOGIC, 8, lo, hi, 0, 0, 0, 0); break;
        case Op.OR: lo = (aLo | bLo) >>> 0; hi = aHi | bHi; this.setLazy(L_LOGIC, 8, lo, hi, 0, 0, 0, 0); break;
        default: lo = (aLo ^ bLo) >>> 0; hi = aHi ^ bHi; this.setLazy(L_LOGIC, 8, lo, hi, 0, 0, 0, 0); break;
      }
      this.tHi = hi;
      return lo;
    }
    const m = MASK[size];
    switch (op) {
      case Op.ADD: lo = (aLo + bLo) & m; this.setLazy(L_ADD, size, lo >>> 0, 0, aLo, 0, bLo, 0); break;
      case Op.ADC: { const c = this.getCF(); lo = (aLo + bLo + c) & m; this.cin = c; this.setLazy(L_ADC, size, lo >>> 0, 0, aLo, 0, bLo, 0); break; }
      case Op.SUB: case Op.CMP: lo = (aLo - bLo) & m; this.setLazy(L_SUB, size, lo >>> 0, 0, aLo, 0, bLo, 0); break;
      case Op.SBB: { const c = this.getCF(); lo = (aLo - bLo - c) & m; this.cin = c; this.setLazy(L_SBB, size, lo >>> 0, 0, aLo, 0, bLo, 0); break; }
      case Op.AND: case Op.TEST: lo = aLo & bLo; this.setLazy(L_LOGIC, size, lo >>> 0, 0, 0, 0, 0, 0); break;
      case Op.OR: lo = aLo | bLo; this.setLazy(L_LOGIC, size, lo >>> 0, 0, 0, 0, 0, 0); break;
      default: lo = aLo ^ bLo; this.setLazy(L_LOGIC, size, lo >>> 0, 0, 0, 0, 0, 0); break;
    }
    return lo >>> 0;
  }

  /** Unsigned 32x32 -> 64 multiply; returns low 32, high 32 in tHi (unsigned). */
  private mulu32(a: number, b: number): number {
    const al = a & 0xffff, ah = a >>> 16;
    const p0 = al * b;
    const p1 = ah * b;
    const p1lo = p1 % 65536, p1hi = Math.floor(p1 / 65536);
    const t = p0 + p1lo * 65536;
    const lo = t % TWO32;
    this.tHi = p1hi + Math.floor(t / TWO32);
    return lo;
  }

  /** Unsigned 64x64 -> 128 multiply into w[0..3] (32-bit words, low first). */
  private mulu64(aLo: number, aHi: number, bLo: number, bHi: number, w: Float64Array): void {
    const ah = aHi >>> 0, bh = bHi >>> 0;
    const ll = this.mulu32(aLo, bLo); const llh = this.tHi;
    const lh = this.mulu32(aLo, bh); const lhh = this.tHi;
    const hl = this.mulu32(ah, bLo); const hlh = this.tHi;
    const hh = this.mulu32(ah, bh); const hhh = this.tHi;
    w[0] = ll;
    let t = llh + lh + hl;
    w[1] = t % TWO32;
    let c = Math.floor(t / TWO32);
    t = lhh + hlh + hh + c;
    w[2] = t % TWO32;
    c = Math.floor(t / TWO32);
    w[3] = (hhh + c) % TWO32;
  }

  private readonly w128 = new Float64Array(4);

  /** Signed 64x64 -> 128; w gets the two's-complement 128-bit product. */
  private muls64(aLo: number, aHi: number, bLo: number, bHi: number): void {
    const w = this.w128;
    this.mulu64(aLo, aHi, bLo, bHi, w);
    // high 64 -= (a<0 ? b : 0) + (b<0 ? a : 0)
    let hlo = w[2], hhi = w[3];
    if (aHi < 0) { hlo -= bLo; hhi -= bHi >>> 0; }
    if (bHi < 0) { hlo -= aLo; hhi -= aHi >>> 0; }
    while (hlo < 0) { hlo += TWO32; hhi -= 1; }
    w[2] = hlo; w[3] = ((hhi % TWO32) + TWO32) % TWO32;
  }

  // ---- execution ---------------------------------------------------------------------

  /**
   * A decoded-cache miss. Inside a patch site (text writes there invalidate the whole site, so a
   * fetch at such a byte always lands here) the fetch must fall on a boundary of the site's contents.
   */
  private decodeAt(r: Region, off: number, cyc: number): Insn {
    if (r.siteInterior.size !== 0 && this.fetchModel !== null) {
      const v = this.fetchModel.midInstruction(this.id, r, off, this.serialTime, this.chunkBase + (cyc - this.chunkCycles));
      if (v !== null) throw v;
    }
    const d = decode(r.bytes, off, r.size - off, this.rip);
    if (d.op !== Op.INVALID) {
      d.handler = selectHandler(d);
      r.icache![off] = d;
    }
    return d;
  }

  /** Fetch the instruction at rip, from the decoded cache when possible. */
  fetch(cyc: number = this.cycles): Insn {
    let r = this.code;
    let off = this.rip - r.start;
    if (off < 0 || off >= r.size || r.icache === null) {
      const f = this.mem.find(this.rip, 1);
      if (f === undefined) {
        this.noInsn = true;
        this.fault_(Vec.PF, `instruction fetch at ${hex(this.rip)}: address not mapped`, this.rip, 0x10);
      }
      if (!(f.perm & PERM_X) || f.icache === null) {
        this.noInsn = true;
        this.fault_(Vec.PF, `instruction fetch at ${hex(this.rip)}: ${f.name} is not executable`, this.rip, 0x11);
      }
      this.code = r = f;
      off = this.rip - r.start;
    }
    let d = r.icache![off];
    if (d === null) d = this.decodeAt(r, off, cyc);
    if (r.dirtyTime > this.serialTime && this.fetchModel !== null) {
      const now = this.chunkBase + (cyc - this.chunkCycles);
      const o = this.fetchModel.observe(this.id, r, off, this.serialTime, now, d.op === Op.INVALID ? null : d);
      if (o instanceof FetchViolation) throw o;
      return o as Insn;
    }
    return d;
  }

  /**
   * Run for up to `budget` cycles (instructions, or idle cycles while waiting in hlt), taking
   * interrupts as they become deliverable. Returns the cycles used. Stops early when the CPU halts
   * for good, faults without a handler, or hits a violation.
   */
  run(budget: number): number {
    const start = this.cycles;
    const end = start + budget;
    this.chunkBase = this.clock.now;
    this.chunkCycles = start;
    this.endSlice = false;
    this.run1(end);
    this.clock.now = this.chunkBase + (this.cycles - start);
    return this.cycles - start;
  }

  private run1(end: number): void {
    while (!this.halted) {
      // frozen under a host thread: back out of the NMI, give the CPU back to the host thread
      if (this.frozen && !this.nmiBlocked && !this.nmiPending) break;
      if (this.nmiPending || this.pendingCount > 0) this.takeInterrupt();
      if (this.halted) break;
      const until = end;
      if (this.waiting) {
        if (this.cycles >= end) break;
        if (until > this.cycles) { this.idleCycles += until - this.cycles; this.cycles = until; }
        if (this.cycles >= end) break;
        continue;
      }
      if (this.cycles >= end) break;
      this.limit = until;
      // The hot loop keeps the cycle count in a local; the generic executor (the only code that
      // reads cycles or moves the limit) gets it synchronized around each call.
      let cyc = this.cycles;
      let lim = until;
      const ring = this.recentRing;
      let pos = this.recentPos;
      try {
        while (cyc < lim) {
          const d = this.fetch(cyc);
          ring[pos = (pos + 1) & (RECENT - 1)] = d.addr;
          const h = d.handler;
          if (h !== null) h(this, d);
          else {
            this.cycles = cyc;
            this.exec(d);
            lim = this.limit;
            if (this.sliceAtVisible && (VISIBLE[d.op] === 1 || (d.prefixes & Pfx.LOCK) !== 0 || (d.op === Op.XCHG && d.hasMem))) {
              lim = cyc + 1;
              this.endSlice = true;
            }
          }
          cyc++;
        }
        this.cycles = cyc;
        this.recentPos = pos;
        if (this.endSlice) { this.endSlice = false; break; }
      } catch (e) {
        this.cycles = cyc;
        this.recentPos = pos;
        this.noInsn = false;
        if (e instanceof CpuFault) {
          if (e.rip !== e.rip) {
            // raised by the instruction the ring names last: fill in its address and bytes
            const d = this.insnAt(ring[pos]);
            e.rip = ring[pos];
            e.bytes = d ? d.bytes : new Uint8Array(0);
          }
          if (e.vector === Vec.BP) this.cycles++; // int3 is a trap: it retires
          if (!this.deliverException(e)) {
            this.fault = e;
            this.halted = true;
          }
        } else if (e instanceof FetchViolation || e instanceof MachineViolation) {
          this.violation = e;
          this.halted = true;
        } else {
          throw e;
        }
      }
    }
  }

  /** The architectural and bookkeeping state, as plain data (snapshots). */
  save(): CpuState {
    return {
      lo: this.lo.slice(), hi: this.hi.slice(), rip: this.rip, flags: this.getFlags(), fsBase: this.fsBase, gsBase: this.gsBase,
      cycles: this.cycles, idleCycles: this.idleCycles, halted: this.halted, waiting: this.waiting, fault: this.fault,
      violation: this.violation, hostError: this.hostError, idtBase: this.idtBase, cr2: this.cr2, pending: this.pending.slice(),
      pendingCount: this.pendingCount, nmiPending: this.nmiPending, nmiBlocked: this.nmiBlocked, irqAllowedAt: this.irqAllowedAt,
      serialTime: this.serialTime, recentRing: this.recentRing.slice(), recentPos: this.recentPos,
      exceptionRing: this.exceptionRing.slice(), exceptionPos: this.exceptionPos,
    };
  }

  restore(s: CpuState): void {
    this.lo.set(s.lo); this.hi.set(s.hi); this.rip = s.rip; this.setFlags(s.flags); this.fsBase = s.fsBase; this.gsBase = s.gsBase;
    this.cycles = s.cycles; this.idleCycles = s.idleCycles; this.halted = s.halted; this.waiting = s.waiting; this.fault = s.fault;
    this.violation = s.violation; this.hostError = s.hostError; this.idtBase = s.idtBase; this.cr2 = s.cr2; this.pending.set(s.pending);
    this.pendingCount = s.pendingCount; this.nmiPending = s.nmiPending; this.nmiBlocked = s.nmiBlocked; this.irqAllowedAt = s.irqAllowedAt;
    this.serialTime = s.serialTime; this.recentRing.set(s.recentRing); this.recentPos = s.recentPos;
    this.exceptionRing.set(s.exceptionRing); this.exceptionPos = s.exceptionPos;
    this.frozen = false; this.sliceAtVisible = false; this.limit = 0; this.endSlice = false;
    // regions may have been unmapped: start the region caches afresh
    this.code = this.data = this.data2 = this.mem.regions[0];
  }

  /** Something outside the CPU (an IPI, an NMI) wants the scheduler to decide again soon. */
  interruptSlice(): void {
    this.limit = Math.min(this.limit, this.cycles + 1);
    this.endSlice = true;
  }

  // ---- interrupts and exceptions -----------------------------------------------------

  /** Make a maskable interrupt pending (an IPI, the timer, a device). */
  raiseIrq(vector: number): void {
    if (this.pending[vector] === 0) {
      this.pending[vector] = 1;
      this.pendingCount++;
    }
    this.limit = Math.min(this.limit, this.cycles + 1);
  }

  /** Latch an NMI (a second one while one is latched is lost, as on hardware). */
  raiseNmi(): void {
    this.nmiPending = true;
    this.limit = Math.min(this.limit, this.cycles + 1);
  }

  /** Deliver what is deliverable now: a latched NMI first, then the highest pending vector if IF allows. */
  private takeInterrupt(): void {
    if (this.nmiPending && !this.nmiBlocked) {
      this.nmiPending = false;
      if (this.deliver(Vec.NMI, -1, this.rip)) this.nmiBlocked = true;
      return;
    }
    if (this.pendingCount > 0 && (this.flags & IF) && this.cycles >= this.irqAllowedAt && !this.frozen) {
      for (let v = 255; v >= 32; v--) {
        if (this.pending[v]) {
          this.pending[v] = 0;
          this.pendingCount--;
          this.deliver(v, -1, this.rip);
          return;
        }
      }
    }
  }

  /** Deliver an exception through the IDT; false when there is no handler (the CPU then stops). */
  private deliverException(f: CpuFault): boolean {
    if (this.idtBase === 0 || f.vector < 0) return false;
    this.exceptionRing.set(this.recentRing);
    this.exceptionPos = this.recentPos;
    if (f.vector === Vec.PF) this.cr2 = f.address;
    const returnTo = f.vector === Vec.BP ? this.rip : f.rip; // traps return after, faults re-execute
    const err = HAS_ERROR_CODE.has(f.vector) ? f.errorCode : -1;
    return this.deliver(f.vector, err, returnTo);
  }

  /**
   * Enter the handler of `vector` as the hardware does in 64-bit mode: align the stack to 16 bytes,
   * push SS, RSP, RFLAGS, CS, RIP (and the error code), clear IF for an interrupt gate, clear TF.
   * Public so that the kernel can enter a software-interrupt vector from a hypercall.
   */
  deliver(vector: number, errorCode: number, returnTo: number): boolean {
    if (this.idtBase === 0) return false;
    let gate: Uint8Array;
    try {
      gate = this.mem.read(BigInt.asUintN(64, BigInt(this.idtBase + vector * 16)), 16);
    } catch {
      return false;
    }
    const attr = gate[5];
    if (!(attr & 0x80)) return false; // not present
    const g = new DataView(gate.buffer, gate.byteOffset, 16);
    const target = g.getInt32(8, true) * TWO32 + ((g.getUint16(6, true) << 16) >>> 0) + g.getUint16(0, true);
    const flags = this.getFlags();
    const oldLo = this.lo[RSP], oldHi = this.hi[RSP];
    const saved = this.noInsn;
    this.noInsn = true;
    try {
      this.lo[RSP] = (oldLo & ~15) >>> 0;
      this.push64(KERNEL_DS, 0);
      this.push64(oldLo, oldHi);
      this.push64(flags, 0);
      this.push64(KERNEL_CS, 0);
      this.pushNum(returnTo);
      if (errorCode >= 0) this.push64(errorCode >>> 0, 0);
    } catch (e) {
      if (!(e instanceof CpuFault)) throw e;
      this.lo[RSP] = oldLo; this.hi[RSP] = oldHi;
      this.noInsn = saved;
      this.fault = new CpuFault(Vec.DF, returnTo, `double fault: delivering vector ${vector} (${VEC_NAMES[vector] ?? 'interrupt'}) faulted: ${e.detail}`, new Uint8Array(0), e.address);
      this.halted = true;
      return true;
    }
    this.noInsn = saved;
    const type = attr & 0xf;
    let nf = flags & ~(TF | 0x10000 /* RF */);
    if (type === 0xe) nf &= ~IF; // interrupt gate
    this.setFlags(nf);
    this.rip = target;
    this.waiting = false;
    if (this.flow !== null) {
      const bad = this.flow.onInterrupt(this, vector, returnTo);
      if (bad !== null) {
        this.violation = new MachineViolation(7, this.id, returnTo, bad, new Uint8Array(0));
        this.halted = true;
      }
    }
    return true;
  }

  private iret(d: Insn): void {
    if (d.size !== 8) this.fault_(Vec.UNSUPPORTED, 'iret without REX.W (32-bit iretd) is not supported in 64-bit kernel mode');
    const ripLo = this.pop64(); const ripHi = this.tHi;
    this.pop64(); // cs
    const fl = this.pop64();
    const spLo = this.pop64(); const spHi = this.tHi;
    this.pop64(); // ss
    const target = ripHi * TWO32 + ripLo;
    this.lo[RSP] = spLo; this.hi[RSP] = spHi;
    const wasIf = this.flags & IF;
    this.setFlags(fl);
    this.rip = target;
    this.nmiBlocked = false; // IRET unblocks NMIs
    this.serialTime = this.now();
    if ((this.pendingCount > 0 && !wasIf && (this.flags & IF)) || this.nmiPending || this.frozen) this.limit = this.cycles + 1;
    if (this.flow !== null) {
      const bad = this.flow.onIret(this, target);
      if (bad !== null) throw new MachineViolation(3, this.id, d.addr, bad, d.bytes);
    }
  }

  private exec(d: Insn): void {
    const size = d.size;
    const next = d.addr + d.len;
    this.rip = next;
    switch (d.op) {
      case Op.MOV: {
        let vlo: number, vhi = 0;
        if (d.rmIsDst) {
          if (d.reg !== NO_REG) { vlo = this.rdReg(d.reg, size); vhi = this.tHi; }
          else { vlo = d.immLo; vhi = d.immHi; }
          if (d.rm !== NO_REG) this.wrReg(d.rm, size, vlo, vhi);
          else this.wr(this.ea(d), size, vlo, vhi);
        } else {
          vlo = this.rdRm(d, size); vhi = this.tHi;
          this.wrReg(d.reg, size, vlo, vhi);
        }
        return;
      }
      case Op.ADD: case Op.OR: case Op.ADC: case Op.SBB: case Op.AND: case Op.SUB: case Op.XOR: case Op.CMP: case Op.TEST: {
        let aLo: number, aHi = 0, bLo: number, bHi = 0;
        let addr = 0;
        const mem = d.rm === NO_REG;
        if (d.rmIsDst || d.op === Op.TEST) {
          if (mem) { addr = this.ea(d); aLo = this.rd(addr, size); } else aLo = this.rdReg(d.rm, size);
          aHi = this.tHi;
          if (d.reg !== NO_REG) { bLo = this.rdReg(d.reg, size); bHi = this.tHi; }
          else { bLo = size === 8 ? d.immLo : (d.immLo & MASK[size]) >>> 0; bHi = d.immHi; }
          const r = this.alu(d.op, size, aLo, aHi, bLo, bHi);
          if (d.op === Op.CMP || d.op === Op.TEST) return;
          const rh = this.tHi;
          if (mem) this.wr(addr, size, r, rh); else this.wrReg(d.rm, size, r, rh);
        } else {
          aLo = this.rdReg(d.reg, size); aHi = this.tHi;
          bLo = this.rdRm(d, size); bHi = this.tHi;
          const r = this.alu(d.op, size, aLo, aHi, bLo, bHi);
          if (d.op === Op.CMP) return;
          this.wrReg(d.reg, size, r, this.tHi);
        }
        return;
      }
      case Op.LEA: {
        const lo = this.lea(d);
        this.wrReg(d.reg, size, lo, this.tHi);
        return;
      }
      case Op.MOVZX: {
        const v = this.rdRm(d, d.srcSize);
        this.wrReg(d.reg, size, v, 0);
        return;
      }
      case Op.MOVSX: case Op.MOVSXD: {
        let v = this.rdRm(d, d.srcSize);
        const sh = 32 - d.srcSize * 8;
        v = sh ? (v << sh) >> sh : v | 0;
        this.wrReg(d.reg, size, v >>> 0, v < 0 ? -1 : 0);
        return;
      }
      case Op.PUSH: {
        let vlo: number, vhi: number;
        if (d.reg !== NO_REG) { vlo = this.lo[d.reg]; vhi = this.hi[d.reg]; }
        else { vlo = this.rdRm(d, 8); vhi = this.tHi; }
        if (size === 2) this.fault_(Vec.UNSUPPORTED, '16-bit push is not supported');
        this.push64(vlo, vhi);
        return;
      }
      case Op.POP: {
        if (size === 2) this.fault_(Vec.UNSUPPORTED, '16-bit pop is not supported');
        const vlo = this.pop64(); const vhi = this.tHi;
        if (d.reg !== NO_REG) { this.lo[d.reg] = vlo; this.hi[d.reg] = vhi; }
        else this.wr(this.ea(d), 8, vlo, vhi);
        return;
      }
      case Op.PUSH_IMM:
        if (size === 2) this.fault_(Vec.UNSUPPORTED, '16-bit push is not supported');
        this.push64(d.immLo, d.immHi);
        return;
      case Op.CALL: return Cpu.hCall(this, d);
      case Op.CALL_IND: {
        const lo = this.rdRm(d, 8);
        return this.callTo(next, this.tHi * TWO32 + lo);
      }
      case Op.RET: case Op.RET_IMM: return Cpu.hRet(this, d);
      case Op.JMP: return Cpu.hJmp(this, d);
      case Op.JMP_IND: { const lo = this.rdRm(d, 8); this.rip = this.tHi * TWO32 + lo; return; }
      case Op.JCC: return Cpu.hJcc(this, d);
      case Op.SETCC: {
        const v = this.cond(d.cond) ? 1 : 0;
        if (d.rm !== NO_REG) this.wrReg(d.rm, 1, v, 0); else this.wr(this.ea(d), 1, v, 0);
        return;
      }
      case Op.CMOVCC: {
        const vlo = this.rdRm(d, size); const vhi = this.tHi; // the source is read (and may fault) either way
        if (this.cond(d.cond)) this.wrReg(d.reg, size, vlo, vhi);
        else if (size === 4) this.hi[d.reg] = 0; // 32-bit cmov zero-extends even when false
        return;
      }
      case Op.NOP: case Op.PAUSE: case Op.MFENCE: return;
      case Op.INC: case Op.DEC: {
        const mem = d.rm === NO_REG;
        const addr = mem ? this.ea(d) : 0;
        const aLo = mem ? this.rd(addr, size) : this.rdReg(d.rm, size);
        const aHi = this.tHi;
        const cf = this.getCF();
        const r = this.alu(d.op === Op.INC ? Op.ADD : Op.SUB, size, aLo, aHi, 1, 0);
        const rh = this.tHi;
        this.lk = d.op === Op.INC ? L_INC : L_DEC;
        this.cin = cf;
        if (mem) this.wr(addr, size, r, rh); else this.wrReg(d.rm, size, r, rh);
        return;
      }
      case Op.NOT: case Op.NEG: {
        const mem = d.rm === NO_REG;
        const addr = mem ? this.ea(d) : 0;
        const aLo = mem ? this.rd(addr, size) : this.rdReg(d.rm, size);
        const aHi = size === 8 ? this.tHi : 0;
        let r: number, rh: number;
        if (d.op === Op.NOT) { r = (~aLo & MASK[size]) >>> 0; rh = ~aHi; }
        else { r = this.alu(Op.SUB, size, 0, 0, aLo, aHi); rh = this.tHi; }
        if (mem) this.wr(addr, size, r, rh); else this.wrReg(d.rm, size, r, rh);
        return;
      }
      case Op.XCHG: {
        const a = this.rdReg(d.reg, size); const ah = this.tHi;
        if (d.rm !== NO_REG) {
          const b = this.rdReg(d.rm, size); const bh = this.tHi;
          this.wrReg(d.rm, size, a, ah);
          this.wrReg(d.reg, size, b, bh);
        } else {
          const addr = this.ea(d);
          const b = this.rd(addr, size); const bh = this.tHi;
          this.wr(addr, size, a, ah);
          this.wrReg(d.reg, size, b, bh);
        }
        return;
      }
      case Op.CMPXCHG: {
        const mem = d.rm === NO_REG;
        const addr = mem ? this.ea(d) : 0;
        const dl = mem ? this.rd(addr, size) : this.rdReg(d.rm, size); const dh = this.tHi;
        const al = this.rdReg(RAX, size); const ah = this.tHi;
        this.alu(Op.CMP, size, al, ah, dl, dh);
        if (al === dl && (size !== 8 || ah === dh)) {
          const sl = this.rdReg(d.reg, size); const sh = this.tHi;
          if (mem) this.wr(addr, size, sl, sh); else this.wrReg(d.rm, size, sl, sh);
        } else {
          if (mem) this.wr(addr, size, dl, dh); // the processor always writes back
          this.wrReg(RAX, size, dl, dh);
        }
        return;
      }
      case Op.XADD: {
        const mem = d.rm === NO_REG;
        const addr = mem ? this.ea(d) : 0;
        const dl = mem ? this.rd(addr, size) : this.rdReg(d.rm, size); const dh = this.tHi;
        const sl = this.rdReg(d.reg, size); const sh = this.tHi;
        const r = this.alu(Op.ADD, size, dl, dh, sl, sh); const rh = this.tHi;
        this.wrReg(d.reg, size, dl, dh);
        if (mem) this.wr(addr, size, r, rh); else this.wrReg(d.rm, size, r, rh);
        return;
      }
      case Op.BSWAP: {
        const r = d.reg;
        const bs = (x: number): number => (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
        if (size === 8) { const l = this.lo[r], h = this.hi[r] >>> 0; this.lo[r] = bs(h); this.hi[r] = bs(l) | 0; }
        else { this.lo[r] = bs(this.lo[r]); this.hi[r] = 0; }
        return;
      }
      case Op.CBW: {
        // cbw / cwde / cdqe: sign-extend the lower half of the accumulator
        if (size === 2) { const v = (this.lo[RAX] << 24) >> 24; this.wrReg(RAX, 2, v & 0xffff, 0); }
        else if (size === 4) { const v = (this.lo[RAX] << 16) >> 16; this.wrReg(RAX, 4, v >>> 0, 0); }
        else { const v = this.lo[RAX] | 0; this.hi[RAX] = v < 0 ? -1 : 0; }
        return;
      }
      case Op.CWD: {
        // cwd / cdq / cqo: fill rdx with the accumulator's sign
        if (size === 2) this.wrReg(RDX, 2, (this.lo[RAX] & 0x8000) ? 0xffff : 0, 0);
        else if (size === 4) this.wrReg(RDX, 4, (this.lo[RAX] & 0x80000000) ? 0xffffffff : 0, 0);
        else { const s = this.hi[RAX] < 0 ? -1 : 0; this.lo[RDX] = s; this.hi[RDX] = s; }
        return;
      }
      case Op.LEAVE: {
        this.lo[RSP] = this.lo[RBP]; this.hi[RSP] = this.hi[RBP];
        const v = this.pop64();
        this.lo[RBP] = v; this.hi[RBP] = this.tHi;
        return;
      }
      case Op.SHIFT: this.shift(d); return;
      case Op.SHLD: case Op.SHRD: this.shiftDouble(d); return;
      case Op.IMUL2: case Op.IMUL3: this.imulN(d); return;
      case Op.MUL1: case Op.IMUL1: this.mul1(d); return;
      case Op.DIV: case Op.IDIV: this.div(d); return;
      case Op.BT: this.bt(d); return;
      case Op.BSF: case Op.BSR: case Op.TZCNT: case Op.LZCNT: case Op.POPCNT: this.bitScan(d); return;
      case Op.MOVS: case Op.STOS: case Op.LODS: case Op.CMPS: case Op.SCAS: this.string(d); return;
      case Op.PUSHF: this.push64(this.getFlags() & ~(0x10000 | 0x20000), 0); return; // VM and RF read as 0
      case Op.POPF: {
        const v = this.pop64();
        const wasIf = this.flags & IF;
        this.setFlags(v);
        if (!wasIf && (this.flags & IF) && this.pendingCount > 0) this.limit = this.cycles + 1;
        return;
      }
      case Op.SAHF: { this.materialize(); const ah = (this.lo[RAX] >>> 8) & 0xff; this.flags = (this.flags & ~(CF | PF | AF | ZF | SF)) | (ah & (CF | PF | AF | ZF | SF)); return; }
      case Op.LAHF: { const f = this.getFlags() & 0xff; this.wrReg(REG_AH, 1, f | 2, 0); return; }
      case Op.CLC: this.materialize(); this.flags &= ~CF; return;
      case Op.STC: this.materialize(); this.flags |= CF; return;
      case Op.CMC: this.materialize(); this.flags ^= CF; return;
      case Op.CLD: this.flags &= ~DF; return;
      case Op.STD: this.flags |= DF; return;
      case Op.CLI: this.flags &= ~IF; return;
      case Op.STI:
        if (!(this.flags & IF)) {
          // the STI shadow: interrupts stay inhibited until the next instruction has retired
          this.flags |= IF;
          this.irqAllowedAt = this.cycles + 2;
          if (this.pendingCount > 0) this.limit = this.cycles + 2;
        }
        return;
      case Op.HLT:
        // hlt with interrupts on waits for one; with interrupts off the CPU is halted for good
        if ((this.flags & IF) || (this.nmiPending && !this.nmiBlocked)) this.waiting = true;
        else this.halted = true;
        this.limit = this.cycles + 1;
        return;
      case Op.OUT: {
        const port = d.portImm >= 0 ? d.portImm : this.lo[RDX] & 0xffff;
        this.bus.out(this, port, size, this.rdReg(RAX, size));
        return;
      }
      case Op.IN: {
        const port = d.portImm >= 0 ? d.portImm : this.lo[RDX] & 0xffff;
        this.wrReg(RAX, size, this.bus.in(this, port, size) >>> 0, 0);
        return;
      }
      case Op.VMCALL:
        // host code sees the machine time of this instruction, not of the slice's start
        this.clock.now = this.now();
        this.bus.hypercall(this);
        return;
      case Op.IRET: this.iret(d); return;
      case Op.RDTSC: this.lo[RAX] = this.cycles % TWO32; this.hi[RAX] = 0; this.lo[RDX] = Math.floor(this.cycles / TWO32); this.hi[RDX] = 0; return;
      case Op.CPUID: {
        // leaf 0: max leaf 1 and the vendor string; leaf 1: family 6, APIC id = CPU number, POPCNT
        const leaf = this.lo[RAX];
        const v = leaf === 0 ? [1, VENDOR[0], VENDOR[2], VENDOR[1]] : leaf === 1 ? [0x600, this.id << 24, 0x00800000, 0] : [0, 0, 0, 0];
        this.lo[RAX] = v[0]; this.lo[RBX] = v[1]; this.lo[RCX] = v[2]; this.lo[RDX] = v[3];
        this.hi[RAX] = this.hi[RBX] = this.hi[RCX] = this.hi[RDX] = 0;
        this.serialTime = this.now();
        return;
      }
      case Op.SERIALIZE: this.serialTime = this.now(); return;
      case Op.INT3: return this.fault_(Vec.BP, 'int3 breakpoint');
      case Op.UD2: return this.fault_(Vec.UD, 'ud2 (undefined instruction, e.g. BUG() or __builtin_trap)');
      default:
        // not a guest #UD: an instruction outside what the interpreter implements stops the CPU
        this.rip = d.addr;
        return this.fault_(Vec.UNSUPPORTED, d.error || `instruction not implemented (op ${d.op})`);
    }
  }

  private shiftCount(d: Insn, size: number): number {
    const raw = d.countSrc === 1 ? 1 : d.countSrc === 2 ? this.lo[RCX] & 0xff : d.immLo & 0xff;
    return raw & (size === 8 ? 63 : 31);
  }

  private shift(d: Insn): void {
    const size = d.size;
    const cnt = this.shiftCount(d, size);
    if (cnt === 0) {
      // flags unchanged; a 32-bit register destination is still zero-extended
      if (size === 4 && d.rm !== NO_REG) this.hi[d.rm] = 0;
      return;
    }
    const mem = d.rm === NO_REG;
    const addr = mem ? this.ea(d) : 0;
    let lo = mem ? this.rd(addr, size) : this.rdReg(d.rm, size);
    let hi = size === 8 ? this.tHi : 0;
    const bits = size * 8;
    this.materialize();
    let f = this.flags;
    let cf = 0, of = 0;
    // Work on the value as a BigInt-free pair: for size<8, hi is 0 and lo holds the value.
    const op = d.ext;
    if (op === 4 || op === 6 || op === 5 || op === 7) {
      // shl/sal, shr, sar
      let rlo: number, rhi: number;
      if (size === 8) {
        const olo = lo, ohi = hi;
        if (op === 4 || op === 6) {
          const k = 64 - cnt;
          cf = k < 32 ? (olo >>> k) & 1 : (ohi >>> (k - 32)) & 1;
          if (cnt < 32) { rhi = (ohi << cnt) | (olo >>> (32 - cnt)); rlo = olo << cnt; }
          else { rhi = olo << (cnt - 32); rlo = 0; }
        } else {
          const k = cnt - 1;
          cf = k < 32 ? (olo >>> k) & 1 : (ohi >>> (k - 32)) & 1;
          if (cnt < 32) {
            rlo = (olo >>> cnt) | (ohi << (32 - cnt));
            rhi = op === 5 ? ohi >>> cnt : ohi >> cnt;
          } else {
            rlo = op === 5 ? (ohi >>> (cnt - 32)) : (ohi >> (cnt - 32));
            rhi = op === 5 ? 0 : ohi >> 31;
          }
        }
        lo = rlo >>> 0; hi = rhi | 0;
        const sf = hi < 0;
        if (op === 4 || op === 6) of = (sf ? 1 : 0) ^ cf;
        else if (op === 5) of = (ohi >>> 31) & 1;
        else of = 0;
        f = (f & ~ARITH) | cf | PARITY[lo & 0xff] | (lo === 0 && hi === 0 ? ZF : 0) | (sf ? SF : 0) | (cnt === 1 ? (of ? OF : 0) : (f & OF));
      } else {
        const m = MASK[size];
        const orig = lo;
        let r: number;
        if (op === 4 || op === 6) {
          cf = cnt <= bits ? (orig >>> (bits - cnt)) & 1 : 0;
          r = cnt >= 32 ? 0 : (orig << cnt) & m;
          of = ((r & SIGNBIT[size]) ? 1 : 0) ^ cf;
        } else if (op === 5) {
          cf = cnt <= bits ? (orig >>> (cnt - 1)) & 1 : 0;
          r = cnt >= 32 ? 0 : (orig >>> cnt) & m;
          of = (orig & SIGNBIT[size]) ? 1 : 0;
        } else {
          const sh = 32 - bits;
          const sv = sh ? (orig << sh) >> sh : orig | 0;
          cf = (sv >> Math.min(cnt - 1, 31)) & 1;
          r = (sv >> Math.min(cnt, 31)) & m;
          of = 0;
        }
        lo = r >>> 0;
        f = (f & ~ARITH) | cf | PARITY[lo & 0xff] | (lo === 0 ? ZF : 0) | ((lo & SIGNBIT[size]) ? SF : 0) | (cnt === 1 ? (of ? OF : 0) : (f & OF));
      }
    } else {
      // rotates: rol 0, ror 1, rcl 2, rcr 3. Only CF and OF change.
      if (op === 2 || op === 3) {
        // rotate through carry: treat as (bits+1)-bit rotation
        const n = cnt % (bits + 1);
        let c = f & CF;
        for (let i = 0; i < n; i++) {
          if (op === 2) {
            const top = size === 8 ? (hi >>> 31) & 1 : (lo >>> (bits - 1)) & 1;
            if (size === 8) { hi = (hi << 1) | (lo >>> 31); lo = ((lo << 1) | c) >>> 0; }
            else lo = ((lo << 1) | c) & MASK[size];
            c = top;
          } else {
            const bot = lo & 1;
            if (size === 8) { lo = ((lo >>> 1) | (hi << 31)) >>> 0; hi = (hi >>> 1) | (c << 31); }
            else lo = ((lo >>> 1) | (c << (bits - 1))) >>> 0;
            c = bot;
          }
        }
        lo >>>= 0; hi |= 0;
        cf = c;
        const msb = size === 8 ? (hi >>> 31) & 1 : (lo >>> (bits - 1)) & 1;
        if (op === 2) of = msb ^ cf;
        else { const msb2 = size === 8 ? (hi >>> 30) & 1 : (lo >>> (bits - 2)) & 1; of = msb ^ msb2; }
      } else {
        const n = cnt % bits;
        if (n !== 0) {
          if (size === 8) {
            const l = op === 0 ? n : 64 - n; // rotate left by l
            let nl: number, nh: number;
            if (l < 32) { nh = (hi << l) | (lo >>> (32 - l)); nl = (lo << l) | ((hi >>> 0) >>> (32 - l)); }
            else if (l === 32) { nh = lo; nl = hi; }
            else { const k = l - 32; nh = (lo << k) | ((hi >>> 0) >>> (32 - k)); nl = (hi << k) | (lo >>> (32 - k)); }
            lo = nl >>> 0; hi = nh | 0;
          } else {
            const l = op === 0 ? n : bits - n;
            lo = ((lo << l) | (lo >>> (bits - l))) & MASK[size];
            lo >>>= 0;
          }
        }
        const msb = size === 8 ? (hi >>> 31) & 1 : (lo >>> (bits - 1)) & 1;
        if (op === 0) { cf = lo & 1; of = msb ^ cf; }
        else { cf = msb; const msb2 = size === 8 ? (hi >>> 30) & 1 : (lo >>> (bits - 2)) & 1; of = msb ^ msb2; }
      }
      f = (f & ~(CF | OF)) | cf | (of ? OF : 0); // OF is defined for count 1 only; we compute it the same way for all counts
    }
    this.flags = f;
    if (mem) this.wr(addr, size, lo, hi); else this.wrReg(d.rm, size, lo, hi);
  }

  private shiftDouble(d: Insn): void {
    const size = d.size;
    const cnt = this.shiftCount(d, size);
    if (cnt === 0) return;
    const bits = size * 8;
    const mem = d.rm === NO_REG;
    const addr = mem ? this.ea(d) : 0;
    const dl = mem ? this.rd(addr, size) : this.rdReg(d.rm, size); const dh = size === 8 ? this.tHi : 0;
    const sl = this.rdReg(d.reg, size); const sh = size === 8 ? this.tHi : 0;
    const M = (1n << BigInt(bits)) - 1n;
    const dst = ((BigInt(dh >>> 0) << 32n) | BigInt(dl)) & M;
    const src = ((BigInt(sh >>> 0) << 32n) | BigInt(sl)) & M;
    const c = BigInt(cnt);
    let r: bigint, cf: number;
    if (d.op === Op.SHLD) {
      const wide = (dst << BigInt(bits)) | src;
      r = (wide >> (BigInt(bits) - c)) & M;
      cf = Number((dst >> (BigInt(bits) - c)) & 1n);
    } else {
      const wide = (src << BigInt(bits)) | dst;
      r = (wide >> c) & M;
      cf = Number((dst >> (c - 1n)) & 1n);
    }
    if (cnt > bits) { /* undefined result for 16-bit counts > 16: keep computed value */ }
    const rlo = Number(r & 0xffffffffn), rhi = Number(r >> 32n) | 0;
    this.materialize();
    const sign = Number((r >> BigInt(bits - 1)) & 1n);
    const osign = Number((dst >> BigInt(bits - 1)) & 1n);
    this.flags = (this.flags & ~ARITH) | cf | PARITY[rlo & 0xff] | (r === 0n ? ZF : 0) | (sign ? SF : 0) |
      (cnt === 1 ? ((sign ^ osign) ? OF : 0) : (this.flags & OF));
    if (mem) this.wr(addr, size, rlo, rhi); else this.wrReg(d.rm, size, rlo, rhi);
  }

  private imulN(d: Insn): void {
    const size = d.size;
    let aLo: number, aHi: number, bLo: number, bHi: number;
    if (d.op === Op.IMUL2) { aLo = this.rdReg(d.reg, size); aHi = this.tHi; bLo = this.rdRm(d, size); bHi = this.tHi; }
    else { aLo = this.rdRm(d, size); aHi = this.tHi; bLo = d.immLo; bHi = d.immHi; }
    let rlo: number, rhi = 0, ovf: boolean;
    if (size === 8) {
      this.muls64(aLo, aHi, bLo, bHi);
      const w = this.w128;
      rlo = w[0]; rhi = w[1] | 0;
      const ext = rhi < 0 ? TWO32 - 1 : 0;
      ovf = w[2] !== ext || w[3] !== ext;
    } else if (size === 4) {
      const a = aLo | 0, b = bLo | 0;
      rlo = Math.imul(a, b) >>> 0;
      ovf = a * b !== (rlo | 0);
    } else {
      const sh = 32 - size * 8;
      const a = (aLo << sh) >> sh, b = (bLo << sh) >> sh;
      const p = a * b;
      rlo = p & MASK[size];
      ovf = ((rlo << sh) >> sh) !== p;
    }
    this.setMulFlags(rlo, rhi, size, ovf);
    this.wrReg(d.reg, size, rlo >>> 0, rhi);
  }

  private setMulFlags(rlo: number, rhi: number, size: number, ovf: boolean): void {
    // CF = OF = overflow; SF, ZF, AF, PF are undefined: we compute them from the result as recent cores do.
    this.materialize();
    const sf = size === 8 ? rhi < 0 : (rlo & SIGNBIT[size]) !== 0;
    this.flags = (this.flags & ~ARITH) | (ovf ? CF | OF : 0) | PARITY[rlo & 0xff] | (sf ? SF : 0) |
      ((rlo & MASK[size]) === 0 && (size !== 8 || rhi === 0) ? ZF : 0);
  }

  private mul1(d: Insn): void {
    const size = d.size;
    const sLo = this.rdRm(d, size); const sHi = this.tHi;
    const signed = d.op === Op.IMUL1;
    if (size === 8) {
      const w = this.w128;
      if (signed) this.muls64(this.lo[RAX], this.hi[RAX], sLo, sHi);
      else this.mulu64(this.lo[RAX], this.hi[RAX], sLo, sHi, w);
      this.lo[RAX] = w[0]; this.hi[RAX] = w[1] | 0;
      this.lo[RDX] = w[2]; this.hi[RDX] = w[3] | 0;
      const ext = signed ? ((w[1] | 0) < 0 ? TWO32 - 1 : 0) : 0;
      this.setMulFlags(w[0], w[1] | 0, 8, w[2] !== ext || w[3] !== ext);
      return;
    }
    const bits = size * 8;
    let a = this.rdReg(RAX, size), b = sLo;
    if (signed) { const sh = 32 - bits; a = sh ? (a << sh) >> sh : a | 0; b = sh ? (b << sh) >> sh : b | 0; }
    if (size === 4) {
      let lo: number, hi: number;
      if (signed) {
        lo = Math.imul(a, b) >>> 0;
        // high part of signed product
        this.mulu32(a >>> 0, b >>> 0); // unsigned high half, corrected for the signs below
        let h = this.tHi;
        if (a < 0) h -= b >>> 0;
        if (b < 0) h -= a >>> 0;
        hi = ((h % TWO32) + TWO32) % TWO32;
        const ovf = hi !== ((lo | 0) < 0 ? 0xffffffff : 0);
        this.wrReg(RAX, 4, lo, 0); this.wrReg(RDX, 4, hi, 0);
        this.setMulFlags(lo, 0, 4, ovf);
      } else {
        lo = this.mulu32(a, b); hi = this.tHi;
        this.wrReg(RAX, 4, lo, 0); this.wrReg(RDX, 4, hi, 0);
        this.setMulFlags(lo, 0, 4, hi !== 0);
      }
      return;
    }
    const p = a * b; // exact (|p| < 2^32)
    const m = MASK[size];
    const lo = p & m;
    const hi = Math.floor(p / (m + 1)) & m;
    let ovf: boolean;
    if (signed) { const sh = 32 - bits; ovf = ((lo << sh) >> sh) !== p; } else ovf = hi !== 0;
    if (size === 1) this.wrReg(RAX, 2, (hi << 8) | lo, 0);
    else { this.wrReg(RAX, 2, lo, 0); this.wrReg(RDX, 2, hi, 0); }
    this.setMulFlags(lo, 0, size, ovf);
  }

  private div(d: Insn): void {
    const size = d.size;
    const sLo = this.rdRm(d, size); const sHi = size === 8 ? this.tHi : 0;
    const signed = d.op === Op.IDIV;
    if (size >= 4 && this.divFast(size, signed, sLo, sHi)) return;
    const bits = BigInt(size * 8);
    const M = (1n << bits) - 1n;
    let divisor = ((BigInt(sHi >>> 0) << 32n) | BigInt(sLo)) & M;
    if (divisor === 0n) this.fault_(Vec.DE, 'divide error: division by zero');
    let hiPart: bigint, loPart: bigint;
    if (size === 1) { const ax = this.lo[RAX] & 0xffff; hiPart = BigInt(ax >>> 8); loPart = BigInt(ax & 0xff); }
    else { hiPart = BigInt.asUintN(size * 8, this.getReg(RDX)); loPart = BigInt.asUintN(size * 8, this.getReg(RAX)); }
    let dividend = (hiPart << bits) | loPart;
    let q: bigint, r: bigint;
    if (signed) {
      dividend = BigInt.asIntN(size * 16, dividend);
      divisor = BigInt.asIntN(size * 8, divisor);
      q = dividend / divisor; r = dividend % divisor;
      const lim = 1n << (bits - 1n);
      if (q >= lim || q < -lim) this.fault_(Vec.DE, 'divide error: quotient overflow');
    } else {
      q = dividend / divisor; r = dividend % divisor;
      if (q > M) this.fault_(Vec.DE, 'divide error: quotient overflow');
    }
    q = BigInt.asUintN(size * 8, q); r = BigInt.asUintN(size * 8, r);
    if (size === 1) { this.wrReg(RAX, 2, Number((r << 8n) | q), 0); }
    else {
      this.wrReg(RAX, size, Number(q & 0xffffffffn), Number(q >> 32n) | 0);
      this.wrReg(RDX, size, Number(r & 0xffffffffn), Number(r >> 32n) | 0);
    }
    // flags undefined after div: leave them
  }

  /**
   * div/idiv when dividend and divisor are exact as doubles (|x| < 2^53): no BigInt. Returns false
   * when the slow path must decide (large operands, division by zero, overflow).
   */
  private divFast(size: number, signed: boolean, sLo: number, sHi: number): boolean {
    const LIM = 9007199254740992; // 2^53
    let n: number, dv: number;
    const aLo = this.lo[RAX], dLo = this.lo[RDX];
    if (size === 4) {
      if (signed) {
        const lo = aLo | 0;
        if ((dLo | 0) !== (lo < 0 ? -1 : 0)) return false; // only a sign-extended edx:eax (cltd)
        n = lo; dv = sLo | 0;
      } else {
        if (dLo >= 0x200000) return false;
        n = dLo * TWO32 + aLo; dv = sLo;
      }
    } else {
      const aHi = this.hi[RAX], dHi = this.hi[RDX];
      if (signed) {
        const ext = aHi < 0 ? -1 : 0;
        if ((dLo | 0) !== ext || dHi !== ext) return false; // only a sign-extended rdx:rax (cqto)
        n = aHi * TWO32 + aLo; dv = sHi * TWO32 + sLo;
      } else {
        if (dLo !== 0 || dHi !== 0 || aHi < 0 || sHi < 0) return false;
        n = aHi * TWO32 + aLo; dv = sHi * TWO32 + sLo;
      }
    }
    if (dv === 0 || n >= LIM || n <= -LIM || dv >= LIM || dv <= -LIM) return false;
    const q = Math.trunc(n / dv);
    const r = n - q * dv;
    if (size === 4) {
      if (signed ? q > 0x7fffffff || q < -0x80000000 : q > 0xffffffff) return false;
      this.lo[RAX] = q >>> 0; this.hi[RAX] = 0;
      this.lo[RDX] = r >>> 0; this.hi[RDX] = 0;
    } else {
      this.setRegNum(RAX, q);
      this.setRegNum(RDX, r);
    }
    return true;
  }

  private bt(d: Insn): void {
    const size = d.size;
    const bits = size * 8;
    let bit: number;
    let addr = 0;
    const mem = d.rm === NO_REG;
    if (d.reg !== NO_REG) {
      // register bit offset: for memory operands it may address beyond the operand (signed offset)
      const off = this.rdReg(d.reg, size);
      const offHi = size === 8 ? this.tHi : 0;
      if (mem) {
        const sh = 32 - bits;
        const soff = size === 8 ? offHi * TWO32 + off : size === 4 ? off | 0 : (off << sh) >> sh;
        const byteOff = Math.floor(soff / bits) * size;
        addr = this.ea(d) + byteOff;
        bit = ((soff % bits) + bits) % bits;
      } else bit = off & (bits - 1);
    } else {
      bit = d.immLo & (bits - 1);
      if (mem) addr = this.ea(d);
    }
    let lo = mem ? this.rd(addr, size) : this.rdReg(d.rm, size);
    let hi = size === 8 ? this.tHi : 0;
    const inHi = bit >= 32;
    const b = inHi ? bit - 32 : bit;
    const cur = ((inHi ? hi : lo) >>> b) & 1;
    this.materialize();
    this.flags = (this.flags & ~CF) | cur;
    if (d.ext === 0) return;
    let w = inHi ? hi : lo;
    if (d.ext === 1) w |= 1 << b; else if (d.ext === 2) w &= ~(1 << b); else w ^= 1 << b;
    if (inHi) hi = w | 0; else lo = w >>> 0;
    if (mem) this.wr(addr, size, lo, hi); else this.wrReg(d.rm, size, lo, hi);
  }

  private bitScan(d: Insn): void {
    const size = d.size;
    const lo = this.rdRm(d, size) >>> 0; const hi = size === 8 ? this.tHi >>> 0 : 0;
    const bits = size * 8;
    const zero = lo === 0 && hi === 0;
    this.materialize();
    let f = this.flags;
    let res = -1;
    switch (d.op) {
      case Op.BSF:
        if (!zero) res = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + 31 - Math.clz32(hi & -hi);
        f = (f & ~ZF) | (zero ? ZF : 0);
        break;
      case Op.BSR:
        if (!zero) res = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
        f = (f & ~ZF) | (zero ? ZF : 0);
        break;
      case Op.TZCNT:
        res = zero ? bits : lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + 31 - Math.clz32(hi & -hi);
        f = (f & ~(CF | ZF)) | (zero ? CF : 0) | (res === 0 ? ZF : 0);
        break;
      case Op.LZCNT:
        res = zero ? bits : size === 8 ? (hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo)) : Math.clz32(lo) - (32 - bits);
        f = (f & ~(CF | ZF)) | (zero ? CF : 0) | (res === 0 ? ZF : 0);
        break;
      default: { // POPCNT
        const pc = (x: number): number => { x = x - ((x >>> 1) & 0x55555555); x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24; };
        res = pc(lo) + pc(hi);
        f = (f & ~ARITH) | (zero ? ZF : 0);
      }
    }
    this.flags = f;
    if (res >= 0) this.wrReg(d.reg, size, res, 0);
    // bsf/bsr with a zero source leave the destination unchanged
  }

  private string(d: Insn): void {
    const size = d.size;
    const rep = (d.prefixes & (Pfx.REP | Pfx.REPNE)) !== 0;
    const step = (this.flags & DF) ? -size : size;
    const op = d.op;
    let n = rep ? this.regNum(RCX) : 1;
    if (rep && this.hi[RCX] !== 0) n = this.lo[RCX] + (this.hi[RCX] >>> 0) * TWO32; // unsigned count
    const repz = (d.prefixes & Pfx.REP) !== 0;
    // One instruction retires per call; long rep loops run in chunks so the count stays observable
    // and the instruction restarts at the same rip (as an interrupted rep does).
    const CHUNK = 4096;
    let todo = Math.min(n, CHUNK);
    let si = this.regNum(RSI), di = this.regNum(RDI);
    let done = 0;
    while (todo > 0) {
      switch (op) {
        case Op.MOVS: { const v = this.rd(si, size); this.wr(di, size, v, this.tHi); si += step; di += step; break; }
        case Op.STOS: { const v = this.rdReg(RAX, size); this.wr(di, size, v, this.tHi); di += step; break; }
        case Op.LODS: { const v = this.rd(si, size); this.wrReg(RAX, size, v, this.tHi); si += step; break; }
        case Op.CMPS: { const a = this.rd(si, size), ah = this.tHi; const b = this.rd(di, size), bh = this.tHi; this.alu(Op.CMP, size, a, ah, b, bh); si += step; di += step; break; }
        default: { const a = this.rdReg(RAX, size), ah = this.tHi; const b = this.rd(di, size), bh = this.tHi; this.alu(Op.CMP, size, a, ah, b, bh); di += step; break; }
      }
      done++;
      todo--;
      if (rep && (op === Op.CMPS || op === Op.SCAS)) {
        const z = this.getZF();
        if (repz ? !z : z) { todo = 0; n = done; }
      }
    }
    if (op !== Op.STOS && op !== Op.SCAS) this.setRegNum(RSI, si);
    if (op !== Op.LODS) this.setRegNum(RDI, di);
    if (rep) {
      const left = n - done;
      this.setRegNum(RCX, left);
      if (left > 0) this.rip = d.addr; // continue the rep on the next step
    }
  }

  // ---- fast paths: specialized executors for the most frequent instruction forms ----------

  static hJcc(c: Cpu, d: Insn): void {
    c.rip = c.cond(d.cond) ? d.target : d.next;
  }

  static hJmp(c: Cpu, d: Insn): void {
    c.rip = d.target;
  }

  static hCall(c: Cpu, d: Insn): void {
    c.callTo(d.next, d.target);
  }

  /** ret and ret $imm */
  static hRet(c: Cpu, d: Insn): void {
    const lo = c.pop64();
    const t = c.tHi * TWO32 + lo;
    if (d.op === Op.RET_IMM) c.setRegNum(RSP, c.regNum(RSP) + d.immLo);
    if (c.flow !== null) {
      const bad = c.flow.onRet(c, t);
      if (bad !== null) { c.rip = d.addr; throw new MachineViolation(3, c.id, d.addr, bad, d.bytes); }
    }
    c.rip = t;
  }

  static hPush(c: Cpu, d: Insn): void {
    c.rip = d.next;
    c.push64(c.lo[d.reg], c.hi[d.reg]);
  }

  static hPop(c: Cpu, d: Insn): void {
    c.rip = d.next;
    const v = c.pop64();
    c.lo[d.reg] = v;
    c.hi[d.reg] = c.tHi;
  }

  /** mov between 64-bit registers, either direction */
  static hMovRR64(c: Cpu, d: Insn): void {
    c.rip = d.next;
    const src = d.rmIsDst ? d.reg : d.rm, dst = d.rmIsDst ? d.rm : d.reg;
    c.lo[dst] = c.lo[src];
    c.hi[dst] = c.hi[src];
  }

  static hMovRR32(c: Cpu, d: Insn): void {
    c.rip = d.next;
    const src = d.rmIsDst ? d.reg : d.rm, dst = d.rmIsDst ? d.rm : d.reg;
    c.lo[dst] = c.lo[src];
    c.hi[dst] = 0;
  }

  static hMovImm(c: Cpu, d: Insn): void {
    c.rip = d.next;
    c.lo[d.rm] = d.immLo;
    c.hi[d.rm] = d.size === 8 ? d.immHi : 0;
  }

  static hLoad64(c: Cpu, d: Insn): void {
    c.rip = d.next;
    const v = c.rd(c.ea(d), 8);
    c.lo[d.reg] = v;
    c.hi[d.reg] = c.tHi;
  }

  static hLoad32(c: Cpu, d: Insn): void {
    c.rip = d.next;
    c.lo[d.reg] = c.rd(c.ea(d), 4);
    c.hi[d.reg] = 0;
  }

  /** movzx from memory into a 32/64-bit register */
  static hLoadZx(c: Cpu, d: Insn): void {
    c.rip = d.next;
    c.lo[d.reg] = c.rd(c.ea(d), d.srcSize);
    c.hi[d.reg] = 0;
  }

  static hStore(c: Cpu, d: Insn): void {
    c.rip = d.next;
    c.wr(c.ea(d), d.size, c.lo[d.reg], c.hi[d.reg]);
  }

  static hStoreImm(c: Cpu, d: Insn): void {
    c.rip = d.next;
    c.wr(c.ea(d), d.size, d.immLo, d.immHi);
  }

  static hLea64(c: Cpu, d: Insn): void {
    c.rip = d.next;
    c.lo[d.reg] = c.lea(d);
    c.hi[d.reg] = c.tHi;
  }

  /** add/sub/cmp/and/or/xor/test on 64-bit registers or a register and an immediate */
  static hAlu64(c: Cpu, d: Insn): void {
    c.rip = d.next;
    let dst: number, aLo: number, aHi: number, bLo: number, bHi: number;
    if (d.rmIsDst || d.op === Op.TEST) {
      dst = d.rm;
      if (d.reg !== NO_REG) { bLo = c.lo[d.reg]; bHi = c.hi[d.reg]; } else { bLo = d.immLo; bHi = d.immHi; }
    } else {
      dst = d.reg;
      bLo = c.lo[d.rm]; bHi = c.hi[d.rm];
    }
    aLo = c.lo[dst]; aHi = c.hi[dst];
    let lo: number, hi: number;
    switch (d.op) {
      case Op.ADD:
        lo = aLo + bLo;
        hi = (aHi + bHi + (lo >= TWO32 ? 1 : 0)) | 0;
        lo >>>= 0;
        c.lk = L_ADD;
        break;
      case Op.SUB: case Op.CMP:
        lo = aLo - bLo;
        hi = (aHi - bHi - (lo < 0 ? 1 : 0)) | 0;
        lo >>>= 0;
        c.lk = L_SUB;
        break;
      case Op.AND: case Op.TEST: lo = (aLo & bLo) >>> 0; hi = aHi & bHi; c.lk = L_LOGIC; break;
      case Op.OR: lo = (aLo | bLo) >>> 0; hi = aHi | bHi; c.lk = L_LOGIC; break;
      default: lo = (aLo ^ bLo) >>> 0; hi = aHi ^ bHi; c.lk = L_LOGIC; break;
    }
    c.lsz = 8;
    c.rLo = lo; c.rHi = hi; c.aLo = aLo; c.aHi = aHi; c.bLo = bLo; c.bHi = bHi;
    if (d.op !== Op.CMP && d.op !== Op.TEST) { c.lo[dst] = lo; c.hi[dst] = hi; }
  }

  static hAlu32(c: Cpu, d: Insn): void {
    c.rip = d.next;
    let dst: number, bLo: number;
    if (d.rmIsDst || d.op === Op.TEST) {
      dst = d.rm;
      bLo = d.reg !== NO_REG ? c.lo[d.reg] : d.immLo;
    } else {
      dst = d.reg;
      bLo = c.lo[d.rm];
    }
    const aLo = c.lo[dst];
    let lo: number;
    switch (d.op) {
      case Op.ADD: lo = (aLo + bLo) >>> 0; c.lk = L_ADD; break;
      case Op.SUB: case Op.CMP: lo = (aLo - bLo) >>> 0; c.lk = L_SUB; break;
      case Op.AND: case Op.TEST: lo = (aLo & bLo) >>> 0; c.lk = L_LOGIC; break;
      case Op.OR: lo = (aLo | bLo) >>> 0; c.lk = L_LOGIC; break;
      default: lo = (aLo ^ bLo) >>> 0; c.lk = L_LOGIC; break;
    }
    c.lsz = 4;
    c.rLo = lo; c.rHi = 0; c.aLo = aLo; c.aHi = 0; c.bLo = bLo; c.bHi = 0;
    if (d.op !== Op.CMP && d.op !== Op.TEST) { c.lo[dst] = lo; c.hi[dst] = 0; }
  }

}


/** Pick the fast-path executor for a decoded instruction (null: the generic interpreter). */
function selectHandler(d: Insn): InsnHandler | null {
  const seg = (d.prefixes & (Pfx.FS | Pfx.GS)) !== 0;
  const lock = (d.prefixes & Pfx.LOCK) !== 0;
  switch (d.op) {
    case Op.JCC: return Cpu.hJcc;
    case Op.JMP: return Cpu.hJmp;
    case Op.CALL: return Cpu.hCall;
    case Op.RET: case Op.RET_IMM: return Cpu.hRet;
    case Op.PUSH: return d.reg !== NO_REG && d.size === 8 ? Cpu.hPush : null;
    case Op.POP: return d.reg !== NO_REG && d.size === 8 ? Cpu.hPop : null;
    case Op.LEA: return d.size === 8 && !seg ? Cpu.hLea64 : null;
    case Op.MOV:
      if (seg) return null;
      if (d.hasMem) {
        if (d.rmIsDst) {
          if (d.reg === NO_REG) return Cpu.hStoreImm;
          return d.size === 1 && d.reg >= REG_AH ? null : Cpu.hStore;
        }
        return d.size === 8 ? Cpu.hLoad64 : d.size === 4 ? Cpu.hLoad32 : null;
      }
      if (d.reg === NO_REG) return d.size >= 4 ? Cpu.hMovImm : null;
      return d.size === 8 ? Cpu.hMovRR64 : d.size === 4 ? Cpu.hMovRR32 : null;
    case Op.MOVZX:
      return d.hasMem && !seg && d.size >= 4 ? Cpu.hLoadZx : null;
    case Op.ADD: case Op.SUB: case Op.CMP: case Op.AND: case Op.OR: case Op.XOR: case Op.TEST:
      if (d.hasMem || lock) return null;
      return d.size === 8 ? Cpu.hAlu64 : d.size === 4 ? Cpu.hAlu32 : null;
    default:
      return null;
  }
}
