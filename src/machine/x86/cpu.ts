// x86-64 CPU: registers in typed arrays, memory access, the interpreter loop, interrupts and exceptions, system instructions.

import { lastAddress, ringAddresses } from './ring.js';
import { Insn, Op, Pfx, NO_REG } from './insn.js';
import { decode } from './decode.js';
import { Memory, Region, PERM_W, PERM_X, hex } from '../memory.js';
import { FetchModel, FetchViolation } from '../fetch.js';
import { selectHandler, isVisible } from './handlers.js';
import { execAlu, execIncDec, execNotNeg, execCmpxchg, execXadd } from './alu.js';
import { execMov, execLea, execMovzx, execMovsx, execXchg, execCbw, execCwd } from './mov.js';
import { execPush, execPop, execPushImm, execLeave } from './stack.js';
import { hJcc, hJmp, hCall, hRet, execJmpInd, execCallInd } from './branch.js';
import { F, Lazy, rflags, execSetcc, execCmovcc, execSahf, execLahf, execClc, execStc, execCmc } from './flags.js';
import { execShift, execShiftDouble } from './shift.js';
import { execImulN, execMul1, execDiv } from './muldiv.js';
import { execBt, execBitScan, execBswap } from './bits.js';
import { execString } from './string.js';
import { defaultTier, type Tier } from '../tier.js';
import { jitConfig, compileUnit, noteWarm, jitStats, type Unit } from './jit.js';
import { allocCpuSlot, S, L } from '../arena.js';

export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

/** RFLAGS bits. */
export const CF = F.CF, PF = F.PF, AF = F.AF, ZF = F.ZF, SF = F.SF, TF = F.TF, IF = F.IF, DF = F.DF, OF = F.OF;

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
  /**
   * For compiled code (the wasm backend): the arena handle of the shadow stack of the task on `cpuId`,
   * which compiled code then pushes and checks itself (0, or absent: every call and ret goes through
   * onCall and onRet), and the monitor's cell (arena.ts FC).
   */
  compiledShadow?(cpuId: number): number;
  readonly compiledCell?: number;
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

const TWO32 = 4294967296;
/** Instructions kept for violation reports (a power of two). */
const RECENT = 32;

/** cpuid vendor string "FtsimVirtCPU" as ebx, edx, ecx words. */
const VENDOR = [0, 4, 8].map((i) => Buffer.from('FtsimVirtCPU'.slice(i, i + 4), 'latin1').readUInt32LE(0));

export class Cpu {
  /** Byte offset of this CPU's slot in the arena (see arena.ts, S), or -1 when its state lives in a private buffer (the slot pool was used up). */
  readonly slot: number;
  /** Low and high 32 bits of rax..r15 (views on the slot). */
  readonly lo: Uint32Array;
  readonly hi: Int32Array;
  /**
   * The lazy-flag state and the flags (S.LAZY .. S.FLAGS) as signed and unsigned words, indexed by L
   * (internal: the instruction files set the state, flags.ts evaluates it; see Lazy). The low words
   * (L.RLO, L.ALO, L.BLO) are read through `lu` (unsigned), the others through `li`.
   */
  readonly li: Int32Array;
  readonly lu: Uint32Array;
  /** Instruction pointer as a signed double (always canonical). */
  rip = 0;
  /** Scratch (internal): high half of the last 64-bit value returned by a read helper. */
  tHi = 0;
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
  /** Where the host thread froze the guest context; an NMI is over when it is back there (hostMayStep). */
  frozenRip = 0n; frozenRsp = 0n;
  /** The current slice ends after the instruction being executed (a visible operation, or interruptSlice). */
  endSlice = false;
  /** The last run() returned because its budget ran out, not by itself (a slice end, a halt, a host thread's turn); raised: an interrupt came from outside since (a resumed run takes it first). */
  budgetStop = false; private raised = false;
  /** Set when a host callback (a hypercall handler) failed: the run stops with this message. */
  hostError: string | null = null;
  /** Machine time of the CPU's last serializing event (IRET, CPUID, SERIALIZE, sync_core). */
  serialTime = 0;
  /** Cross-modifying-code fetch model (null: fetch always sees current bytes). */
  fetchModel: FetchModel | null = null;
  /** Control-flow integrity monitor (null: off). */
  flow: FlowMonitor | null = null;
  /** Execution tier: the interpreter alone, or with hot code compiled (see tier.ts). */
  tier: Tier = defaultTier();
  /** The loop runs while cycles < limit; lowering it ends the current stretch early. */
  private limit = 0;
  /** Machine time and cycle count when the current stretch started. */
  private chunkBase = 0;
  private chunkCycles = 0;
  /** Set while no instruction is being executed (instruction fetch, event delivery): faults then name none. */
  private noInsn = false;
  /** The last RECENT instructions executed, as a ring (violation reports show them); a view on the slot. */
  private readonly recentRing: Float64Array;
  /** Position of the newest entry in the ring (internal: compiled units keep it too). */
  recentPos = 0;
  /** A compiled unit is running (its fault handler has left cycles and recentPos exact). */
  private inUnit = false;
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
    const { buffer, base, slot } = allocCpuSlot(this);
    this.slot = slot;
    this.lo = new Uint32Array(buffer, base + S.LO, 16);
    this.hi = new Int32Array(buffer, base + S.HI, 16);
    this.li = new Int32Array(buffer, base + S.LAZY, L.FLAGS + 1);
    this.lu = new Uint32Array(buffer, base + S.LAZY, L.FLAGS + 1);
    this.recentRing = new Float64Array(buffer, base + S.RING, RECENT).fill(NaN);
    new Int32Array(buffer, base, S.SIZE >> 2)[S.TAG >> 2] = mem.tag;
    this.li[L.FLAGS] = 0x2;
    this.li[L.LK] = Lazy.NONE;
    this.li[L.LSZ] = 4;
    this.code = r;
    this.data = r;
    this.data2 = r;
  }

  // ---- the flags in the slot ----------------------------------------------------------

  /** RFLAGS bits other than the lazily evaluated arithmetic ones (IF, DF, ...), plus materialized arith flags when lazy kind is NONE. */
  get flags(): number { return this.li[L.FLAGS]; }
  set flags(v: number) { this.li[L.FLAGS] = v; }
  /** The lazy-flag words by name (flags.ts, alu.ts): rLo, aLo and bLo read back unsigned, the rest signed. */
  get lk(): Lazy { return this.li[L.LK]; }
  set lk(v: Lazy) { this.li[L.LK] = v; }
  get lsz(): number { return this.li[L.LSZ]; }
  set lsz(v: number) { this.li[L.LSZ] = v; }
  get rLo(): number { return this.lu[L.RLO]; }
  set rLo(v: number) { this.lu[L.RLO] = v; }
  get rHi(): number { return this.li[L.RHI]; }
  set rHi(v: number) { this.li[L.RHI] = v; }
  get aLo(): number { return this.lu[L.ALO]; }
  set aLo(v: number) { this.lu[L.ALO] = v; }
  get aHi(): number { return this.li[L.AHI]; }
  set aHi(v: number) { this.li[L.AHI] = v; }
  get bLo(): number { return this.lu[L.BLO]; }
  set bLo(v: number) { this.lu[L.BLO] = v; }
  get bHi(): number { return this.li[L.BHI]; }
  set bHi(v: number) { this.li[L.BHI] = v; }
  get cin(): number { return this.li[L.CIN]; }
  set cin(v: number) { this.li[L.CIN] = v; }

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

  // rdReg, wrReg and the memory helpers below (fault_, rd, wr, lea, ea, rdRm, push64, pop64) are
  // internal to the interpreter: the instruction files beside this one (alu.ts, mov.ts, ...) use them.

  /** Read a register operand of `size` bytes; returns the low 32 bits, the high 32 in tHi for size 8. */
  rdReg(r: number, size: number): number {
    switch (size) {
      case 8: this.tHi = this.hi[r]; return this.lo[r];
      case 4: return this.lo[r];
      case 2: return this.lo[r] & 0xffff;
      default: return r >= 16 ? (this.lo[r - 16] >>> 8) & 0xff : this.lo[r] & 0xff;
    }
  }

  /** Write a register operand as the hardware does: 32-bit writes zero the high half, 8/16-bit ones merge. */
  wrReg(r: number, size: number, vlo: number, vhi: number): void {
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

  /** The full RFLAGS value. */
  getFlags(): number {
    return rflags(this);
  }

  setFlags(v: number): void {
    this.li[L.FLAGS] = (v & 0x3f7fd5) | 0x2;
    this.li[L.LK] = Lazy.NONE;
  }

  // ---- memory ------------------------------------------------------------------------

  /** Raise an exception for the instruction being executed (the run loop names it: see run()). */
  fault_(vector: number, detail: string, address = 0, errorCode = 0): never {
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
    for (const a of this.recentAddresses()) { const d = this.insnAt(a); if (d !== null) out.push(d); }
    return out;
  }

  /**
   * The addresses of the last RECENT instructions this CPU executed, oldest first (as recent(); the
   * ring's entries are addresses, or runs of a compiled block: see ring.ts).
   */
  recentAddresses(): number[] {
    const v = this.violation;
    const fromEx = v instanceof MachineViolation && v.fromException;
    return ringAddresses(fromEx ? this.exceptionRing : this.recentRing, fromEx ? this.exceptionPos : this.recentPos, RECENT);
  }

  /** Address of the last instruction executed before the latest exception was delivered (NaN: none). */
  lastBeforeException(): number { return lastAddress(this.exceptionRing[this.exceptionPos]); }

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
  rd(addr: number, size: number): number {
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

  wr(addr: number, size: number, vlo: number, vhi: number): void {
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
  lea(d: Insn): number {
    let lo = d.dispLo, hi = d.dispHi;
    const b = d.base, x = d.index;
    if (b >= 0) { lo += this.lo[b]; hi += this.hi[b]; }
    if (x >= 0) { lo += this.lo[x] * d.scale; hi += Math.imul(this.hi[x], d.scale); }
    if (lo >= TWO32) { const c = Math.floor(lo / TWO32); lo -= c * TWO32; hi += c; }
    this.tHi = hi | 0;
    return lo;
  }

  /** Effective address of the memory operand (with the fs/gs base), exact modulo 2^64, as a signed double. */
  ea(d: Insn): number {
    let lo = this.lea(d), hi = this.tHi;
    if (d.prefixes & (Pfx.FS | Pfx.GS)) {
      const s = d.prefixes & Pfx.FS ? this.fsBase : this.gsBase;
      lo += s >>> 0; hi += Math.floor(s / TWO32);
      if (lo >= TWO32) { lo -= TWO32; hi += 1; }
    }
    return (hi | 0) * TWO32 + lo;
  }

  /** Read the r/m operand. */
  rdRm(d: Insn, size: number): number {
    if (d.rm !== NO_REG) return this.rdReg(d.rm, size);
    return this.rd(this.ea(d), size);
  }

  push64(vlo: number, vhi: number): void {
    let lo = this.lo[RSP] - 8, hi = this.hi[RSP];
    if (lo < 0) { lo += TWO32; hi = (hi - 1) | 0; }
    this.wr(hi * TWO32 + lo, 8, vlo, vhi);
    this.lo[RSP] = lo; this.hi[RSP] = hi;
  }

  pop64(): number {
    const lo = this.lo[RSP], hi = this.hi[RSP];
    const v = this.rd(hi * TWO32 + lo, 8);
    const nl = lo + 8;
    if (nl >= TWO32) { this.lo[RSP] = nl - TWO32; this.hi[RSP] = (hi + 1) | 0; } else this.lo[RSP] = nl;
    return v;
  }

  /** Push a 64-bit value given as a signed double (return addresses). */
  pushNum(v: number): void { this.push64(v >>> 0, Math.floor(v / TWO32) | 0); }

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
      d.handler = selectHandler(d, r.sites.get(off), r.siteInterior.has(off));
      r.icache![off] = d;
    }
    return d;
  }

  /** Compile the unit entered at `d` (jit tier), when `d` is the decoded-cache entry for its address. */
  private compileAt(d: Insn): Unit | null {
    const r = this.code;
    const off = d.addr - r.start;
    if (r.icache === null || r.icache[off] !== d) return null;
    return compileUnit(r, off, this.mem);
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
      const before = this.fetchModel.choices;
      const o = this.fetchModel.observe(this.id, r, off, this.serialTime, now, d.op === Op.INVALID ? null : d);
      if (o instanceof FetchViolation) throw o;
      // a byte in flux was chosen: end the slice after this instruction (it runs on the generic path,
      // a fresh decode without a fast handler, which picks up the new limit)
      if (this.sliceAtVisible && this.fetchModel.choices !== before) { this.limit = cyc + 1; this.endSlice = true; }
      return o as Insn;
    }
    return d;
  }

  /**
   * Run for up to `budget` cycles (instructions, or idle cycles while waiting in hlt), taking
   * interrupts as they become deliverable. Returns the cycles used. Stops early when the CPU halts
   * for good, faults without a handler, or hits a violation. With `resume`, the run goes on where one
   * that stopped at its budget (budgetStop) left off: run(a), run(b, true) is run(a + b).
   */
  run(budget: number, resume = false): number {
    const start = this.cycles;
    const end = start + budget;
    this.chunkBase = this.clock.now;
    this.chunkCycles = start;
    if (!resume) this.endSlice = false;
    this.budgetStop = false;
    this.run1(end, resume && !this.raised); this.raised = false;
    this.clock.now = this.chunkBase + (this.cycles - start);
    return this.cycles - start;
  }

  /** No NMI to take, and the guest context back where its host thread froze it (an IRET inside an NMI handler lifts NMI blocking while it still runs). */
  hostMayStep(): boolean {
    return !(this.nmiPending && !this.nmiBlocked) && this.getRip() === this.frozenRip && this.getReg(RSP) === this.frozenRsp;
  }

  private run1(end: number, resumed: boolean): void {
    while (!this.halted) {
      // frozen under a host thread: back out of the NMI, give the CPU back to the host thread
      if (this.frozen && this.hostMayStep()) break;
      if ((this.nmiPending || this.pendingCount > 0) && !resumed) this.takeInterrupt();
      resumed = false;
      if (this.halted) break;
      if (this.waiting && end > this.cycles) { this.idleCycles += end - this.cycles; this.cycles = end; }
      if (this.waiting || this.cycles >= end) { this.budgetStop = true; break; }
      // an interrupt pending behind the STI shadow is taken when the shadow ends, not at the budget's end
      this.limit = this.pendingCount > 0 && this.cycles < this.irqAllowedAt && this.irqAllowedAt < end ? this.irqAllowedAt : end;
      // The hot loop keeps the cycle count in a local, synchronized before each executor call (the
      // call/ret monitor reads the time; the generic executor may also move the limit).
      let cyc = this.cycles;
      let lim = this.limit;
      const ring = this.recentRing;
      let pos = this.recentPos;
      try {
        if (this.tier === 'jit') {
          this.cycles = cyc; this.recentPos = pos;
          this.jitLoop(lim);
          lim = this.limit; cyc = this.cycles; pos = this.recentPos;
        } else while (cyc < lim) {
          const d = this.fetch(cyc);
          ring[pos = (pos + 1) & (RECENT - 1)] = d.addr;
          const h = d.handler;
          if (h !== null) { this.cycles = cyc; h(this, d); }
          else lim = this.execGeneric(d, cyc);
          cyc++;
        }
        this.cycles = cyc;
        this.recentPos = pos;
        if (this.endSlice) { this.endSlice = false; break; }
      } catch (e) {
        // the jit tier's loop left the cycle count and ring position of the faulting instruction
        if (this.tier === 'jit') { cyc = this.cycles; pos = this.recentPos; }
        this.cycles = cyc;
        this.recentPos = pos;
        this.noInsn = false;
        if (e instanceof CpuFault) {
          if (e.rip !== e.rip) {
            // raised by the instruction the ring names last: fill in its address and bytes
            e.rip = lastAddress(ring[pos]);
            const d = this.insnAt(e.rip);
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

  /**
   * The interpreter's loop for the jit tier: the same steps, but where a compiled unit has a block
   * starting at rip, the unit runs instead when the fetch model would have nothing to say about its
   * bytes (see jit.ts); an instruction interpreted jitConfig.hot times becomes the entry of a new
   * unit. Leaves cycles and recentPos in the fields, also when an instruction faults.
   */
  private jitLoop(lim: number): void {
    let cyc = this.cycles, pos = this.recentPos;
    const ring = this.recentRing;
    const hot = jitConfig.hot, warm = jitConfig.warm;
    try {
      while (cyc < lim) {
        const d = this.fetch(cyc);
        {
          let u = d.unit;
          if (u !== null && !u.alive) { d.unit = u = null; d.heat = 0; }
          if (u === null) {
            const h = ++d.heat;
            if (h === hot) u = this.compileAt(d);
            else if (h === warm) noteWarm(this.mem, this.code, d);
          }
          if (u !== null && (this.code.dirtyTime <= this.serialTime || u.fresh(this.serialTime))) {
            this.cycles = cyc; this.recentPos = pos; this.inUnit = true;
            u.fn(this, u, d.unitPc, lim, ring);
            this.inUnit = false;
            if (this.cycles !== cyc) {
              jitStats.entries++;
              jitStats.instructions += this.cycles - cyc;
              cyc = this.cycles; pos = this.recentPos;
              continue;
            }
          }
        }
        ring[pos = (pos + 1) & (RECENT - 1)] = d.addr;
        const h = d.handler;
        if (h !== null) { this.cycles = cyc; h(this, d); }
        else lim = this.execGeneric(d, cyc);
        cyc++;
      }
    } catch (e) {
      // a fault inside a compiled unit: the unit has left the cycle count and ring position of the faulting instruction
      if (this.inUnit) { this.inUnit = false; jitStats.entries++; jitStats.instructions += this.cycles - cyc; }
      else { this.cycles = cyc; this.recentPos = pos; }
      throw e;
    }
    this.cycles = cyc; this.recentPos = pos;
  }

  /**
   * An instruction without a fast handler, at cycle `cyc`: the generic executor, which may move the
   * loop's limit (returned); a visible operation ends the slice after it when the scheduler asks.
   */
  private execGeneric(d: Insn, cyc: number): number {
    this.cycles = cyc;
    if (d.atSite && this.mem.events.log) this.mem.events.siteExecs.push(d.addr);
    this.exec(d);
    if (this.sliceAtVisible && isVisible(d)) {
      this.endSlice = true;
      return cyc + 1;
    }
    return this.limit;
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
    this.frozen = false; this.sliceAtVisible = false; this.limit = 0; this.endSlice = false; this.budgetStop = false; this.raised = false;
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
    this.raised = true; this.limit = Math.min(this.limit, this.cycles + 1);
  }

  /** Latch an NMI (a second one while one is latched is lost, as on hardware). */
  raiseNmi(): void {
    this.nmiPending = true;
    this.raised = true; this.limit = Math.min(this.limit, this.cycles + 1);
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
    this.mem.events.delivered++;
    let gate: Uint8Array;
    try { gate = this.mem.read(BigInt.asUintN(64, BigInt(this.idtBase + vector * 16)), 16); } catch { return false; }
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
      case Op.MOV: return execMov(this, d);
      case Op.ADD: case Op.OR: case Op.ADC: case Op.SBB: case Op.AND: case Op.SUB: case Op.XOR: case Op.CMP: case Op.TEST: return execAlu(this, d);
      case Op.LEA: return execLea(this, d);
      case Op.MOVZX: return execMovzx(this, d);
      case Op.MOVSX: case Op.MOVSXD: return execMovsx(this, d);
      case Op.PUSH: return execPush(this, d);
      case Op.POP: return execPop(this, d);
      case Op.PUSH_IMM: return execPushImm(this, d);
      case Op.CALL: return hCall(this, d);
      case Op.CALL_IND: return execCallInd(this, d);
      case Op.RET: case Op.RET_IMM: return hRet(this, d);
      case Op.JMP: return hJmp(this, d);
      case Op.JMP_IND: return execJmpInd(this, d);
      case Op.JCC: return hJcc(this, d);
      case Op.SETCC: return execSetcc(this, d);
      case Op.CMOVCC: return execCmovcc(this, d);
      case Op.NOP: case Op.PAUSE: case Op.MFENCE: return;
      case Op.INC: case Op.DEC: return execIncDec(this, d);
      case Op.NOT: case Op.NEG: return execNotNeg(this, d);
      case Op.XCHG: return execXchg(this, d);
      case Op.CMPXCHG: return execCmpxchg(this, d);
      case Op.XADD: return execXadd(this, d);
      case Op.BSWAP: return execBswap(this, d);
      case Op.CBW: return execCbw(this, d);
      case Op.CWD: return execCwd(this, d);
      case Op.LEAVE: return execLeave(this, d);
      case Op.SHIFT: return execShift(this, d);
      case Op.SHLD: case Op.SHRD: return execShiftDouble(this, d);
      case Op.IMUL2: case Op.IMUL3: return execImulN(this, d);
      case Op.MUL1: case Op.IMUL1: return execMul1(this, d);
      case Op.DIV: case Op.IDIV: return execDiv(this, d);
      case Op.BT: return execBt(this, d);
      case Op.BSF: case Op.BSR: case Op.TZCNT: case Op.LZCNT: case Op.POPCNT: return execBitScan(this, d);
      case Op.MOVS: case Op.STOS: case Op.LODS: case Op.CMPS: case Op.SCAS: return execString(this, d);
      case Op.PUSHF: this.push64(this.getFlags() & ~(0x10000 | 0x20000), 0); return; // VM and RF read as 0
      case Op.POPF: {
        const v = this.pop64();
        const wasIf = this.flags & IF;
        this.setFlags(v);
        if (!wasIf && (this.flags & IF) && this.pendingCount > 0) this.limit = this.cycles + 1;
        return;
      }
      case Op.SAHF: return execSahf(this, d);
      case Op.LAHF: return execLahf(this, d);
      case Op.CLC: return execClc(this, d);
      case Op.STC: return execStc(this, d);
      case Op.CMC: return execCmc(this, d);
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
}
