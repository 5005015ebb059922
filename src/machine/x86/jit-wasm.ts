// Tier 2's WebAssembly backend: a planned unit (jit.ts) becomes a wasm function over the CPU's slot and the data regions in the arena (arena.ts); what it does not emit runs through imports that call the interpreter's own executors.
//
// Why wasm: V8 compiles a wasm function once, with its baseline compiler, and it runs near full speed
// from its first call; generated JS runs in V8's bytecode interpreter, many times slower than ftsim's
// own, until TurboFan takes it (bench/jit-proto/README.md measures both).
//
// State. The function works on the CPU's slot in the arena: the register file (lo/hi halves), the lazy
// flags, the recent-instructions ring. Registers a block uses are loaded into i64 locals on first use
// and stored back at the end of the block and before every import, so an import (an executor, a slow
// memory access that may fault) sees the registers, lazy flags, ring, cycle count and rip the
// interpreter would have left. Guest data regions live in the arena too: a load or store goes inline
// through the CPU's two-entry region cache (S.DC0, S.DC1: descriptors, RD) and falls back to Cpu.rd/wr,
// which fault exactly as the interpreter does and refill the cache. Executable regions are never in
// the arena, so an inline store cannot touch code; a store through the import can, and the unit then
// stops after it when it killed itself (the import returns whether the unit is still alive).
//
// Exactness is the JS backend's (see jit.ts): the unit runs only when the fetch model has nothing to
// say, each block only when it fits the budget, and the instruction count, ring and rip at every exit
// and at every import are the interpreter's.

import { registerRun, runEntry } from './ring.js';
import { Op, Pfx, NO_REG, type Insn } from './insn.js';
import { arena, S, RD, L, SH, FC } from '../arena.js';
import type { Region } from '../memory.js';
import { Code, W, I32, I64, F64, VOID, encodeModule } from './wasm-enc.js';
import { jitBroken, jitStats, restartsAtSelf } from './jit.js';
import { UNIT_TYPE, hubOf, link, place } from './jit-hub.js';
import { setFlagsFromString } from 'node:v8';

/**
 * V8's tiering budget for wasm (roughly the bytes of a function's baseline code it runs before
 * TurboFan recompiles it; V8's default is 1.8 M). Measured on the single-CPU kernel workload: with the
 * default, TurboFan recompiles some 200 units during a first boot (0.39 s of compiling on its background
 * thread, for a 0.3 s run) and that work slows the boot itself on this 2-core machine: the boot ran at
 * 2.2 times the interpreter; with no TurboFan at all (--liftoff-only) at 2.4, but later boots then stay
 * at 150 M instructions/s instead of 200. With 100 M only the units that run long tier up: a first boot
 * at 2.45-2.5 times, later boots at 200 M/s. A budget the user gives node (its options or NODE_OPTIONS) wins.
 */
const WASM_TIERING_BUDGET = 100_000_000;
if (![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--wasm-tiering-budget'))) {
  setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
}

/** The unit's side the backend needs (jit.ts Unit), set once the unit exists. */
export interface WasmUnitHost {
  u: { alive: boolean } | null;
}

/** The CPU as the glue and the imports see it (cpu.ts Cpu). */
export interface WasmCpu {
  slot: number;
  cycles: number;
  recentPos: number;
  rip: number;
  tHi: number;
  serialTime: number;
  id: number;
  mem: { events: { log: boolean; siteExecs: number[] } };
  flow: { compiledShadow?(cpuId: number): number; readonly compiledCell?: number } | null;
  now(): number;
  data: Region;
  rd(addr: number, size: number): number;
  wr(addr: number, size: number, lo: number, hi: number): void;
}

/** How compiled code runs what it does not emit: the interpreter's executor of an instruction (its fast handler, else the generic one), and its condition evaluator. */
export interface WasmExecutors {
  exec(d: Insn): (c: WasmCpu, d: Insn) => void;
  cond(c: WasmCpu, cc: number): boolean;
}

/** A block of a planned unit: its start offset and its instructions. */
export interface WasmBlock { start: number; insns: Insn[] }


// ---- locals -----------------------------------------------------------------------------

// params: the slot, the block to start at, the budget (instructions), the ring position, and the
// instructions retired in this entry before the current block (where chaining entered: those before)
const L_S = 0, L_PC = 1, L_BUDGET = 2, L_POS = 3, L_N = 4;
// i32: scratch (L_H and L_E: the shadow stack's handle and an entry)
const L_T = 5, L_H = 6, L_E = 7;
// i64: an effective address, a value, the fused flags' operands and result, scratch, then the 16 registers
const L_A = 8, L_V = 9, L_FA = 10, L_FB = 11, L_FR = 12, L_X = 13, L_R0 = 14;
// the CPU's two cached data regions, copied into locals at entry and after every slow access (the
// only place the cache changes): i64 start and limit (see reloadBody; 0 when the descriptor is another machine's),
// i32 wasm address of the bytes and writability
const L_C0S = 30, L_C0L = 31, L_C1S = 32, L_C1L = 33, L_C0D = 34, L_C0W = 35, L_C1D = 36, L_C1W = 37;
// i64: a second scratch (a string instruction's length in bytes)
const L_Y = 38;
const LOCALS: [number, number][] = [[3, I32], [26, I64], [4, I32], [1, I64]];
/** Gen.exit's rip: the exec import has written it to the slot (no guest address is infinite). */
const RIP_SET = -Infinity;

const K_ADD = 1, K_SUB = 2, K_LOGIC = 3;
/** Fused flags already materialized: RFLAGS' arithmetic bits in L_FR (a shift's). */
const K_FLAGS = -1;

/** The 64-bit value of two halves: a number when it is a sign-extended int32 (Code.i64 encodes those without BigInt). */
const i64of = (lo: number, hi: number): bigint | number => ((hi | 0) === (lo | 0) >> 31 ? lo | 0 : (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0));

/** Imports, by function index. */
const IMP_EXEC = 0, IMP_RD = 1, IMP_WR = 2, IMP_COND = 3, IMP_SITE = 4;

/** Ring entries by instruction index in the batch (ring.ts): its block's run up to it, and whole. */
interface RunsOf { upTo: number[]; whole: number[] }

/** What a unit's code generator produced: the function body (its instructions went into the batch's list, which the imports index). */
interface Generated { body: Code }

/**
 * The generator of one unit's function. It tracks, inside a block, which registers sit in locals
 * (loaded) and which of those differ from the slot (dirty), and which flags the last ALU operation
 * left in the fused locals (pending: not yet in the slot).
 */
class Gen {
  readonly c = new Code();
  private loaded = new Set<number>();
  private dirty = new Set<number>();
  private fused: { kind: number; size: number } | null = null;
  private pending = false;
  /** Open wasm blocks/ifs between the current code and the case's own position (for branch depths). */
  private depth = 0;
  /** Depth of $top and $out from the case's position. */
  private toTop = 0;
  /** The block whose case is being generated. */
  private j = 0;
  /** 1 when that case's code is a wasm loop (the block jumps back to its own start), else 0: the depth at its top level. */
  private base = 0;
  /** The current instruction: its index in D, its index in the block. */
  private k = 0;
  private i = 0;
  /** The instructions of the current block. */
  private cur: Insn[] = [];

  /** Block number by the region offset it starts at (a jump there stays inside the unit). */
  private readonly index = new Map<number, number>();

  /**
   * `D`: the batch's instructions, shared by its units (an import names one by its index there);
   * `runs`: for each of them, the ring entry of its block up to it and of its whole block.
   */
  constructor(private readonly r: Region, private readonly blocks: WasmBlock[], private readonly D: Insn[], private readonly reloadFn: number,
    private readonly runs: RunsOf) {
    blocks.forEach((b, i) => this.index.set(b.start, i));
  }

  // ---- registers

  private loadReg(r: number): void {
    this.c.raw(T_LOAD_REG[r]);
    this.loaded.add(r);
  }

  /** Push a register's full 64-bit value (ah..bh, 16..19: bits 8..15 of rax..rbx, zero-extended). */
  private reg(r: number): void {
    if (r >= 16) { this.reg(r - 16); this.c.i64(8).op(W.i64_shr_u).i64(0xff).op(W.i64_and); return; }
    if (!this.loaded.has(r)) this.loadReg(r);
    this.c.get(L_R0 + r);
  }

  /** Make sure a register is in its local (before a conditional arm uses it). */
  private ensure(r: number): void {
    if (r >= 16) r -= 16;
    if (r >= 0 && r < 16 && !this.loaded.has(r)) this.loadReg(r);
  }

  /** Pop a value into a register at `size` (4: zero-extends; 8: whole; 1 and 2: merged into the low bytes, as the hardware does). */
  private setReg(r: number, size: number): void {
    const c = this.c;
    if (r >= 16) {
      // ah..bh: bits 8..15 of rax..rbx
      c.i64(0xff).op(W.i64_and).i64(8).op(W.i64_shl).set(L_X);
      this.reg(r - 16);
      c.i64(~0xff00).op(W.i64_and).get(L_X).op(W.i64_or).set(L_R0 + r - 16);
      this.loaded.add(r - 16);
      this.dirty.add(r - 16);
      return;
    }
    if (size === 4) c.i64(0xffffffffn).op(W.i64_and);
    else if (size < 4) {
      const m = size === 1 ? 0xffn : 0xffffn;
      c.i64(m).op(W.i64_and).set(L_X);
      this.reg(r);
      c.i64(~m).op(W.i64_and).get(L_X).op(W.i64_or);
    }
    c.set(L_R0 + r);
    this.loaded.add(r);
    this.dirty.add(r);
  }

  /** Push a register's value at `size`, zero-extended. */
  private regAt(r: number, size: number): void {
    this.reg(r);
    if (size < 8) this.c.i64(size === 1 ? 0xffn : size === 2 ? 0xffffn : 0xffffffffn).op(W.i64_and);
  }

  /** Push d's immediate at `size` (8: sign-extended as decoded; below: its low bytes, zero-extended as regAt pushes a register). */
  private imm(d: Insn, size: number): void {
    this.c.i64(size === 8 ? i64of(d.immLo, d.immHi) : size === 4 ? d.immLo >>> 0 : d.immLo & (size === 1 ? 0xff : 0xffff));
  }

  private storeRegs(): void {
    const c = this.c;
    for (const r of this.dirty) c.raw(T_STORE_REG[r]);
  }

  /** Registers and flags into the slot (unconditionally executed code: they are then clean). */
  private sync(): void {
    this.storeRegs();
    this.dirty.clear();
    if (this.pending) { this.storeFlags(); this.pending = false; }
  }

  /** The same stores inside a conditional arm: the static state stays as it was (the other arm did not store). */
  private syncInArm(): void {
    this.storeRegs();
    if (this.pending) this.storeFlags();
  }

  // ---- flags

  private storeFlags(): void {
    const c = this.c, f = this.fused!;
    if (f.kind === K_FLAGS) {
      // materialized: no lazy operation, the arithmetic bits in the flags word
      c.get(L_S).i32(0).mem(W.i32_store, 2, S.LAZY + 4 * L.LK);
      c.get(L_S).get(L_S).mem(W.i32_load, 2, S.FLAGS).i32(~0x8d5).op(W.i32_and).get(L_FR).op(W.i32_wrap_i64, W.i32_or).mem(W.i32_store, 2, S.FLAGS);
      return;
    }
    // kind and size, then result and operands as (lo, hi) pairs: each one i64 store (the operands of
    // a narrower operation are zero-extended in their locals, so their high halves store as 0)
    c.raw(storeFlagsTemplate(f.kind, f.size));
  }

  /** Push a jcc's condition (i32) from the fused flags, or return false (the import evaluates it). */
  private fusedCond(cc: number): boolean {
    const f = this.fused;
    if (f === null) return false;
    const c = this.c, s8 = f.size === 8, k = cc >> 1;
    const ZF = (): void => { c.get(L_FR).op(W.i64_eqz); };
    const sign = f.size === 1 ? 0x80n : f.size === 2 ? 0x8000n : 0x80000000n;
    const ext = f.size === 1 ? W.i64_extend8_s : f.size === 2 ? W.i64_extend16_s : W.i64_extend32_s;
    const SF = (): void => { if (s8) c.get(L_FR).i64(0n).op(W.i64_lt_s); else c.get(L_FR).i64(sign).op(W.i64_and).i64(0n).op(W.i64_ne); };
    const CF = (): void => { c.get(L_FA).get(L_FB).op(W.i64_lt_u); };
    const LT = (): void => { if (s8) c.get(L_FA).get(L_FB).op(W.i64_lt_s); else c.get(L_FA).op(ext).get(L_FB).op(ext, W.i64_lt_s); };
    const OFsub = (): void => {
      c.get(L_FA).get(L_FB).op(W.i64_xor).get(L_FA).get(L_FR).op(W.i64_xor, W.i64_and);
      if (s8) c.i64(0n).op(W.i64_lt_s); else c.i64(sign).op(W.i64_and).i64(0n).op(W.i64_ne);
    };
    const OFadd = (): void => {
      c.get(L_FA).get(L_FR).op(W.i64_xor).get(L_FB).get(L_FR).op(W.i64_xor, W.i64_and);
      if (s8) c.i64(0n).op(W.i64_lt_s); else c.i64(sign).op(W.i64_and).i64(0n).op(W.i64_ne);
    };
    const bits = (m: number): void => { c.get(L_FR).i64(m).op(W.i64_and).i64(0n).op(W.i64_ne); };
    let ok = true;
    if (f.kind === K_FLAGS) {
      // the arithmetic bits of RFLAGS in L_FR
      switch (k) {
        case 0: bits(0x800); break;
        case 1: bits(0x1); break;
        case 2: bits(0x40); break;
        case 3: bits(0x41); break;
        case 4: bits(0x80); break;
        case 5: bits(0x4); break;
        case 6: c.get(L_FR).i64(7n).op(W.i64_shr_u).get(L_FR).i64(11n).op(W.i64_shr_u, W.i64_xor).i64(1n).op(W.i64_and, W.i32_wrap_i64); break;
        default:
          c.get(L_FR).i64(7n).op(W.i64_shr_u).get(L_FR).i64(11n).op(W.i64_shr_u, W.i64_xor).i64(1n).op(W.i64_and, W.i32_wrap_i64);
          bits(0x40); c.op(W.i32_or);
      }
    } else if (f.kind === K_SUB) {
      switch (k) {
        case 0: OFsub(); break;
        case 1: CF(); break;
        case 2: ZF(); break;
        case 3: CF(); ZF(); c.op(W.i32_or); break;
        case 4: SF(); break;
        case 6: LT(); if (jitBroken.invertSignedJcc) c.op(W.i32_eqz); break;
        case 7: LT(); ZF(); c.op(W.i32_or); break;
        default: ok = false;
      }
    } else if (f.kind === K_LOGIC) {
      switch (k) {
        case 0: case 1: c.i32(0); break;
        case 2: case 3: ZF(); break;
        case 4: case 6: SF(); break;
        case 7: ZF(); SF(); c.op(W.i32_or); break;
        default: ok = false;
      }
    } else {
      switch (k) {
        case 0: OFadd(); break;
        case 2: ZF(); break;
        case 4: SF(); break;
        default: ok = false;
      }
    }
    if (!ok) return false;
    if (cc & 1) c.op(W.i32_eqz);
    return true;
  }

  // ---- exits and imports

  /**
   * Leave the unit: n retired so far in this entry (N + `extra`: `extra` instructions into the block; the
   * ring's entry for the block counts them: see the imports); rip: the address given (written to the
   * slot's RIP), or RIP_SET (the exec import wrote it there), or null (Cpu.rip holds it and the unit
   * may be dead: no chaining).
   */
  private exit(extra: number, rip: number | null): void {
    const c = this.c;
    if (extra !== 0) c.get(L_N).i32(extra).op(W.i32_add).set(L_N);
    const off = rip === null || rip === RIP_SET ? -1 : rip - this.r.start;
    if (off >= 0 && off < this.r.size) {
      // an address in the unit's region: its offset, in S.EXIT (2 + offset: one store)
      c.get(L_S).i32(2 + off).mem(W.i32_store, 2, S.EXIT);
    } else {
      c.get(L_S).i32(rip === null ? 0 : 1).mem(W.i32_store, 2, S.EXIT);
      if (rip !== null && rip !== RIP_SET) c.get(L_S).f64(rip).mem(W.f64_store, 3, S.RIP);
    }
    c.br(W.br, this.depth + this.toTop + 1);
  }

  /**
   * The arguments every import that may run an executor or fault takes: instruction index, retired
   * count, and the ring slot of the block's entry (the import makes it count the instructions up to
   * this one while the instruction runs).
   */
  private knp(): void {
    const c = this.c;
    c.i32(this.k).get(L_N).i32(this.i).op(W.i32_add).get(L_POS);
  }

  /** Run the instruction through the interpreter's executor; the unit stops after it when the instruction killed it. */
  private callExec(): void {
    this.sync();
    this.execImport();
    this.loaded.clear();
    this.fused = null;
  }

  /** The exec import for the current instruction (registers and flags already in the slot), and the exit when it killed the unit. */
  private execImport(): void {
    const c = this.c;
    this.knp();
    c.call(IMP_EXEC).op(W.i32_eqz, W.if_, VOID);
    this.depth++;
    this.exit(this.i + 1, null);
    this.depth--;
    c.op(W.end);
  }

  // ---- memory

  /** Effective address into L_A (as Cpu.ea: base + index * scale + disp, modulo 2^64); false when it needs a segment base. */
  private ea(d: Insn): boolean {
    if (d.prefixes & (Pfx.FS | Pfx.GS)) return false;
    const c = this.c;
    c.i64(i64of(d.dispLo, d.dispHi));
    if (d.base >= 0) { this.reg(d.base); c.op(W.i64_add); }
    if (d.index >= 0) { this.reg(d.index); if (d.scale > 1) c.i64(d.scale).op(W.i64_mul); c.op(W.i64_add); }
    c.set(L_A);
    return true;
  }

  /** Copy the CPU's region cache into locals, through the module's reload function (reloadBody). */
  private reloadCache(): void {
    this.c.raw(reloadTemplate(this.reloadFn));
  }

  /** Push 1 when [A, A + 8) lies in cached region `entry` (0 or 1: its locals), with its wasm address in L_T. */
  private hit(entry: 0 | 1, write: boolean): void {
    this.c.raw(T_HIT[entry * 2 + (write ? 1 : 0)]);
  }

  /** Push 1 when an access of up to 8 bytes at A hits one of the CPU's two cached data regions, with the wasm address in L_T. */
  private lookup(write: boolean): void {
    const c = this.c;
    this.hit(0, write);
    c.op(W.if_, I32).i32(1).op(W.else_);
    this.hit(1, write);
    c.op(W.end);
  }

  /** Load `size` bytes at L_A into L_V (zero-extended), inline or through the rd import (which may fault). */
  private load(size: number): void {
    const c = this.c;
    this.lookup(false);
    c.op(W.if_, VOID);
    c.get(L_T).mem(size === 8 ? W.i64_load : size === 4 ? W.i64_load32_u : size === 2 ? W.i64_load16_u : W.i64_load8_u, 0, 0).set(L_V);
    c.op(W.else_);
    this.syncInArm();
    c.get(L_A).op(W.f64_convert_i64_s).i32(size);
    this.knp();
    c.call(IMP_RD).op(W.i64_extend_i32_u);
    if (size === 8) c.get(L_S).mem(W.i64_load32_s, 2, S.TMPHI).i64(32n).op(W.i64_shl, W.i64_or);
    c.set(L_V);
    this.reloadCache();
    c.op(W.end);
  }

  /** Store the low `size` bytes of L_V at L_A, inline or through the wr import (which may fault, or kill the unit: it then stops after this instruction). */
  private store(size: number): void {
    const c = this.c;
    this.lookup(true);
    c.op(W.if_, VOID);
    c.get(L_T).get(L_V).mem(size === 8 ? W.i64_store : size === 4 ? W.i64_store32 : size === 2 ? W.i64_store16 : W.i64_store8, 0, 0);
    c.op(W.else_);
    this.depth++;
    this.syncInArm();
    c.get(L_A).op(W.f64_convert_i64_s).i32(size).get(L_V).op(W.i32_wrap_i64).get(L_V).i64(32n).op(W.i64_shr_u, W.i32_wrap_i64);
    this.knp();
    c.call(IMP_WR).set(L_T);
    this.reloadCache();
    c.get(L_T).op(W.i32_eqz, W.if_, VOID);
    this.depth++;
    // the unit stops here: what the instruction left in locals goes to the slot first
    this.exitAfterStore();
    this.depth--;
    c.op(W.end);
    this.depth--;
    c.op(W.end);
  }

  /** Hook: the rest of the instruction's effects, stored, before an exit after a store that killed the unit. */
  private afterStore: (() => void) | null = null;

  private exitAfterStore(): void {
    if (this.afterStore !== null) this.afterStore();
    this.storeRegs();
    if (this.pending) this.storeFlags();
    this.exit(this.i + 1, null);
  }

  // ---- instructions

  /** An operand of an ALU form (reg, or memory already loaded into L_V, or immediate) at `size`, zero-extended. */
  private readOperand(kind: 'reg' | 'mem' | 'imm', d: Insn, r: number, size: number): void {
    if (kind === 'imm') { this.imm(d, size); return; }
    if (kind === 'mem') { this.c.get(L_V); return; }
    this.regAt(r, size);
  }

  /** Push a condition (i32): from the fused flags when they hold it, else through the import (the flags go to the slot first). */
  private condition(cc: number): void {
    if (this.fusedCond(cc)) return;
    if (this.pending) { this.storeFlags(); this.pending = false; }
    this.c.i32(cc).call(IMP_COND);
  }

  /**
   * Are the flags the current instruction sets dead? They are when a later instruction of the block
   * sets all of them (a native ALU operation on registers) before anything reads them, and nothing in
   * between may fault, call out or leave (a fault would show them in the CPU's state).
   */
  private flagsDead(): boolean {
    if (jitBroken.shiftFlagsAlwaysDead) return true;
    for (let j = this.i + 1; j < this.cur.length; j++) {
      const d = this.cur[j];
      if ((d.prefixes & (Pfx.FS | Pfx.GS)) !== 0 || d.reg >= 16 || d.rm >= 16) return false;
      switch (d.op) {
        case Op.ADD: case Op.SUB: case Op.CMP: case Op.AND: case Op.TEST: case Op.OR: case Op.XOR:
          if (d.rm !== NO_REG && (d.prefixes & Pfx.LOCK) === 0) return true;
          return false;
        case Op.MOV: case Op.MOVZX: case Op.MOVSX: case Op.MOVSXD:
          if (d.hasMem || d.size < 4) return false;
          continue;
        case Op.LEA:
          if (d.size < 4) return false;
          continue;
        case Op.NOP: case Op.PAUSE: case Op.MFENCE:
          continue;
        default:
          return false;
      }
    }
    return false;
  }

  /**
   * shl/sal, shr or sar of a 32- or 64-bit register by 1 or an immediate, with the flags the
   * interpreter leaves (shiftValue, shift.ts): CF the last bit out, OF (by 1: shl SF^CF, shr the old
   * sign, sar 0; by more: the previous OF), AF clear, ZF/SF/PF of the result. A count of CL (which may
   * be 0 and leave the flags alone) or a masked count of 0 goes to the executor.
   */
  private shiftWithFlags(d: Insn, op: number, size: number): boolean {
    if (d.countSrc === 2) return false;
    const c = this.c, bits = size * 8;
    const cnt = (d.countSrc === 1 ? 1 : d.immLo & 0xff) & (bits - 1);
    if (cnt === 0) return false;
    // the previous OF (0 or 0x800) into L_X, before L_FA..L_FR are reused
    const keepOf = cnt > 1 || jitBroken.shiftKeepsOf;
    if (keepOf) {
      this.condition(0);
      c.op(W.i64_extend_i32_u).i64(11n).op(W.i64_shl).set(L_X);
    }
    // the operand (sar: sign-extended) into L_FA, the result masked to its width into L_V
    this.reg(d.rm);
    if (size === 4) { if (op === 7) c.op(W.i64_extend32_s); else c.i64(0xffffffffn).op(W.i64_and); }
    c.tee(L_FA).i64(cnt).op(op === 5 ? W.i64_shr_u : op === 7 ? W.i64_shr_s : W.i64_shl);
    if (size === 4) c.i64(0xffffffffn).op(W.i64_and);
    c.set(L_V);
    // CF: the last bit shifted out
    c.get(L_FA).i64(op === 4 || op === 6 ? bits - cnt : cnt - 1).op(W.i64_shr_u).i64(1n).op(W.i64_and).set(L_FB);
    c.get(L_FB);
    this.orResultFlags(size);
    // OF
    if (keepOf) c.get(L_X).op(W.i64_or);
    else if (op === 4 || op === 6) {
      c.get(L_V).i64(bits - 1).op(W.i64_shr_u).get(L_FB).op(W.i64_xor).i64(1n).op(W.i64_and).i64(11n).op(W.i64_shl, W.i64_or);
    } else if (op === 5) {
      c.get(L_FA).i64(bits - 1).op(W.i64_shr_u).i64(1n).op(W.i64_and).i64(11n).op(W.i64_shl, W.i64_or);
    }
    this.resultWithFlags(d.rm, size);
    return true;
  }

  /** OR ZF, SF and PF of the result in L_V (masked to `size` bytes) into the flags (i64) on the stack. */
  private orResultFlags(size: number): void {
    const c = this.c;
    c.get(L_V).op(W.i64_eqz, W.i64_extend_i32_u).i64(6n).op(W.i64_shl, W.i64_or);
    c.get(L_V).i64(size * 8 - 1).op(W.i64_shr_u).i64(1n).op(W.i64_and).i64(7n).op(W.i64_shl, W.i64_or);
    c.get(L_V).i64(0xffn).op(W.i64_and, W.i64_popcnt).i64(1n).op(W.i64_and).i64(1n).op(W.i64_xor).i64(2n).op(W.i64_shl, W.i64_or);
  }

  /** The result in L_V into register `r`; the flags on the stack become the fused ones, materialized (K_FLAGS). */
  private resultWithFlags(r: number, size: number): void {
    const c = this.c;
    c.set(L_FR);
    c.get(L_V);
    this.setReg(r, size);
    this.fused = { kind: K_FLAGS, size };
    this.pending = true;
  }

  /** The call or ret through the exec import (the interpreter's executor and the monitor), leaving the unit with the rip it set. */
  private transferThroughImport(): void {
    const c = this.c;
    this.sync();
    this.knp();
    c.call(IMP_EXEC).op(W.drop);
    this.exit(this.i + 1, RIP_SET);
  }

  /**
   * A call (direct, or indirect with its target in local `target`), natively when the monitor's shadow
   * stack, if any, is in the arena with room: the push (inline, or through the wr import), then onCall's
   * entry (the return address, the machine time of the call, kind CALL), then on to the target (inside
   * the unit, or out: the hub chains). Anything else goes through the import.
   */
  private nativeCall(d: Insn, target: number | null = null): void {
    const c = this.c, i = this.i;
    this.ensure(4);
    // may it (SHADOW: -1 no monitor; a handle with depth < cap)?
    c.get(L_S).mem(W.i32_load, 2, S.SHADOW).tee(L_H).i32(0).op(W.i32_gt_s, W.if_, I32);
    c.get(L_H).mem(W.i32_load, 2, SH.DEPTH).get(L_H).mem(W.i32_load, 2, SH.CAP).op(W.i32_lt_s);
    c.op(W.else_).get(L_H).i32(-1).op(W.i32_eq, W.end);
    c.op(W.if_, VOID);
    this.depth++;
    // the push: inline, or through the wr import when the stack is not in the region cache (it may fault,
    // as the interpreter's push would, before anything changed); L_T: the unit is still alive
    this.reg(4);
    c.i64(8n).op(W.i64_sub).set(L_A);
    this.lookup(true);
    c.op(W.if_, VOID);
    c.get(L_T).i64(d.next).mem(W.i64_store, 0, 0);
    c.i32(1).set(L_T);
    c.op(W.else_);
    this.syncInArm();
    c.get(L_A).op(W.f64_convert_i64_s).i32(8).i64(d.next).op(W.i32_wrap_i64).i64(d.next).i64(32).op(W.i64_shr_u, W.i32_wrap_i64);
    this.knp();
    c.call(IMP_WR).set(L_T);
    this.reloadCache();
    c.op(W.end);
    c.get(L_A);
    this.setReg(4, 8);
    if (target !== null && jitBroken.indirectCallSkipsShadow) c.i32(0); else c.get(L_H).i32(0).op(W.i32_gt_s);
    c.op(W.if_, VOID);
    {
      c.raw(T_CALL_PUSH1).f64(d.next).raw(T_CALL_PUSH2).i32(i + (jitBroken.shadowTimeOff ? 1 : 0)).raw(T_CALL_PUSH3);
    }
    c.op(W.end);
    this.syncInArm();
    c.get(L_N).i32(i + 1).op(W.i32_add).set(L_N);
    if (target !== null) this.exitTo(target);
    else {
      // a push that killed this unit (it wrote its text) leaves through the slot's rip: the hub does not
      // chain after a text write the CPU has not serialized since
      c.get(L_T).op(W.if_, VOID);
      this.depth++;
      this.jump(d.target - this.r.start, d.target);
      this.depth--;
      c.op(W.else_);
      this.depth++;
      this.exit(0, d.target);
      this.depth--;
      c.op(W.end);
    }
    c.op(W.else_);
    this.transferThroughImport();
    this.depth--;
    c.op(W.end);
  }

  /**
   * A ret (ret $imm too): the return address read (inline, or through the rd import), then natively
   * when it needs no word from the monitor beyond what onRet would find fine: no monitor; or its shadow stack is empty; or in the
   * arena, its top a call entry with this return address, and the address outside every freed or
   * rewritten text (FC bounds; inside them, onRet looks). Then the pop, the shadow entry's pop and the
   * count of checks, and out to the return address (the hub chains). Anything else, a mismatch above
   * all, goes through the import, whose executor reports the violation as the interpreter does.
   */
  private nativeRet(d: Insn): void {
    const c = this.c;
    this.ensure(4);
    this.reg(4);
    c.set(L_A);
    // the return address: inline, or through the rd import when the stack is not in the region cache
    // (a fault there is the interpreter's pop faulting)
    this.load(8);
    c.raw(T_RET_CHECK[jitBroken.retSkipsShadow ? 1 : 0]);
    c.op(W.if_, VOID);
    this.depth++;
    c.get(L_A).i64(8 + (d.op === Op.RET_IMM ? d.immLo & 0xffff : 0)).op(W.i64_add);
    this.setReg(4, 8);
    c.raw(T_RET_POP);
    this.syncInArm();
    c.get(L_S).get(L_V).op(W.f64_convert_i64_s).mem(W.f64_store, 3, S.RIP);
    this.exit(this.i + 1, RIP_SET);
    c.op(W.else_);
    this.transferThroughImport();
    this.depth--;
    c.op(W.end);
  }

  /**
   * imul with two or three operands, 32- or 64-bit: the truncated signed product and the flags
   * execImulN (muldiv.ts) leaves, all computed (K_FLAGS): CF = OF = the product did not fit, ZF, SF and
   * PF of the result, AF clear. A 64-bit product's overflow: a != 0 and product / a != b (a = -1: b is
   * the most negative value).
   */
  private imul(d: Insn): boolean {
    const c = this.c, size = d.size;
    if ((d.prefixes & (Pfx.FS | Pfx.GS)) !== 0 || size < 4 || Gen.highByte(d)) return false;
    this.ensure(d.reg);
    if (d.rm !== NO_REG) this.ensure(d.rm);
    const signed = (): void => { if (size === 4) c.op(W.i64_extend32_s); };
    const rm = (): void => { if (d.rm !== NO_REG) this.reg(d.rm); else { this.load(size); c.get(L_V); } };
    if (d.rm === NO_REG) this.ea(d);
    // the source first (a memory read may fault, with the previous flags' operands still in FA and FB);
    // the overflow test below is symmetric in FA and FB
    if (d.op === Op.IMUL2) { rm(); signed(); c.set(L_FB); this.reg(d.reg); signed(); c.set(L_FA); }
    else { rm(); signed(); c.set(L_FA); c.i64(i64of(d.immLo, d.immHi)); signed(); c.set(L_FB); }
    if (this.flagsDead()) {
      // nothing sees the flags (see flagsDead): the product alone; a 64-bit overflow test divides
      c.get(L_FA).get(L_FB).op(W.i64_mul);
      this.setReg(d.reg, size);
      return true;
    }
    c.get(L_FA).get(L_FB).op(W.i64_mul).set(L_V);
    if (jitBroken.imulOverflowClear) c.i32(0);
    else if (size === 4) c.get(L_V).op(W.i64_extend32_s).get(L_V).op(W.i64_ne);
    else {
      c.get(L_FA).op(W.i64_eqz, W.if_, I32).i32(0).op(W.else_);
      c.get(L_FA).i64(-1n).op(W.i64_eq, W.if_, I32);
      c.get(L_FB).i64(-(1n << 63n)).op(W.i64_eq);
      c.op(W.else_);
      c.get(L_V).get(L_FA).op(W.i64_div_s).get(L_FB).op(W.i64_ne);
      c.op(W.end, W.end);
    }
    c.op(W.i64_extend_i32_u).i64(0x801n).op(W.i64_mul);
    if (size === 4) { c.get(L_V).i64(0xffffffffn).op(W.i64_and).set(L_V); }
    this.orResultFlags(size);
    this.resultWithFlags(d.reg, size);
    return true;
  }

  /**
   * Push 1 when the `len` bytes (L_Y) at the guest address in local `addr` lie inside one of the CPU's
   * two cached regions (writable ones for a write), with their wasm address in local `out`.
   */
  private rangeIn(addr: number, out: number, write: boolean): void {
    const c = this.c;
    const inRegion = (st: number, lim: number, da: number, wr: number): void => {
      // the region's size is lim + 7 (lim 0: nothing hits); len <= size and addr - start <= size - len
      const len = (): void => { if (jitBroken.stringRangeIgnoresLength) c.i64(1); else c.get(L_Y); };
      c.get(lim).i64(0n).op(W.i64_ne);
      len(); c.get(lim).i64(7n).op(W.i64_add, W.i64_le_u, W.i32_and);
      c.get(addr).get(st).op(W.i64_sub).get(lim).i64(7n).op(W.i64_add); len(); c.op(W.i64_sub, W.i64_le_u, W.i32_and);
      if (write) c.get(wr).op(W.i32_and);
      c.op(W.if_, I32);
      c.get(da).get(addr).get(st).op(W.i64_sub, W.i32_wrap_i64, W.i32_add).set(out).i32(1);
      c.op(W.else_).i32(0).op(W.end);
    };
    inRegion(L_C0S, L_C0L, L_C0D, L_C0W);
    c.op(W.if_, I32).i32(1).op(W.else_);
    inRegion(L_C1S, L_C1L, L_C1D, L_C1W);
    c.op(W.end);
  }

  /**
   * stos and movs, with rep or not (string.ts execString), natively when the direction flag is clear, the
   * count is at most one chunk (4,096: the instruction finishes), the bytes written lie in a cached
   * writable data region, the bytes read (movs) in a cached region, and a copy does not run forward
   * into its own source (a rep movs with the destination just above the source replicates a pattern,
   * which memory.copy would not). Anything else runs the executor, in an arm of its own.
   */
  private string(d: Insn): boolean {
    const c = this.c, size = d.size, movs = d.op === Op.MOVS;
    const rep = (d.prefixes & (Pfx.REP | Pfx.REPNE)) !== 0;
    const RAX = 0, RCX = 1, RSI = 6, RDI = 7;
    const regs = movs ? [RSI, RDI] : [RAX, RDI];
    if (rep) regs.push(RCX);
    for (const r of regs) this.ensure(r);
    // the slot holds everything an executor reads (the slow arm's)
    this.sync();
    // L_Y: the length in bytes; L_A: rdi; L_V: rsi
    if (rep) { this.reg(RCX); c.i64(size).op(W.i64_mul); } else c.i64(size);
    c.set(L_Y);
    this.reg(RDI); c.set(L_A);
    if (movs) { this.reg(RSI); c.set(L_V); }
    // DF clear, at most one chunk
    c.get(L_S).mem(W.i32_load, 2, S.FLAGS).i32(0x400).op(W.i32_and, W.i32_eqz);
    if (rep) { this.reg(RCX); c.i64(4096).op(W.i64_le_u, W.i32_and); }
    c.op(W.if_, I32);
    this.rangeIn(L_A, L_T, true);
    if (movs) {
      c.op(W.if_, I32);
      this.rangeIn(L_V, L_H, false);
      // rdi == rsi, or rdi - rsi >= len (rdi below rsi wraps above any length): what memory.copy does is what the loop does
      if (jitBroken.movsAsMemmove) c.i32(1).op(W.i32_and);
      else c.get(L_A).get(L_V).op(W.i64_sub).get(L_Y).op(W.i64_ge_u).get(L_A).get(L_V).op(W.i64_eq, W.i32_or, W.i32_and);
      c.op(W.else_).i32(0).op(W.end);
    }
    c.op(W.else_).i32(0).op(W.end);
    c.op(W.if_, VOID);
    if (movs) {
      c.get(L_T).get(L_H).get(L_Y).op(W.i32_wrap_i64).op(0xfc, 10, 0, 0); // memory.copy
    } else if (size === 1 && !jitBroken.stosLoopOnly) {
      c.get(L_T); this.reg(RAX); c.op(W.i32_wrap_i64).get(L_Y).op(W.i32_wrap_i64).op(0xfc, 11, 0); // memory.fill
    } else {
      c.get(L_T).get(L_Y).op(W.i32_wrap_i64, W.i32_add).set(L_E);
      c.op(W.block, VOID, W.loop, VOID);
      c.get(L_T).get(L_E).op(W.i32_ge_u).br(W.br_if, 1);
      c.get(L_T); this.reg(RAX);
      c.mem(size === 8 ? W.i64_store : size === 4 ? W.i64_store32 : size === 2 ? W.i64_store16 : W.i64_store8, 0, 0);
      c.get(L_T).i32(size).op(W.i32_add).set(L_T);
      c.br(W.br, 0);
      c.op(W.end, W.end);
    }
    // the registers as the executor leaves them, in the slot (the other arm's executor wrote them there)
    const put = (r: number): void => { c.raw(T_STORE_REG[r]); };
    c.get(L_A).get(L_Y).op(W.i64_add).set(L_R0 + RDI); put(RDI);
    if (movs) { c.get(L_V).get(L_Y).op(W.i64_add).set(L_R0 + RSI); put(RSI); }
    if (rep) { c.i64(0).set(L_R0 + RCX); put(RCX); }
    c.op(W.else_);
    this.depth++;
    this.execImport();
    // the executor's accesses moved the region cache (exec import): the next turn may hit it
    this.reloadCache();
    this.exitIfRestarted(d);
    this.depth--;
    c.op(W.end);
    // either arm left these in the slot only
    for (const r of [RSI, RDI, RCX]) this.loaded.delete(r);
    return true;
  }

  /**
   * After the executor of a repeated string instruction (restartsAtSelf): one that has not finished
   * left rip at itself, and the next chunk is the interpreter's next step, so the unit leaves there.
   */
  private exitIfRestarted(d: Insn): void {
    if (!restartsAtSelf(d) || jitBroken.repRunsOn) return;
    const c = this.c;
    c.get(L_S).mem(W.f64_load, 3, S.RIP).f64(d.addr).op(W.f64_eq, W.if_, VOID);
    this.depth++;
    this.exit(this.i + 1, RIP_SET);
    this.depth--;
    c.op(W.end);
  }

  /** Any register operand is ah..bh (forms that take only 32- and 64-bit registers check it as a guard). */
  private static highByte(d: Insn): boolean {
    return d.reg >= 16 || d.rm >= 16;
  }

  /** Emit the instruction natively; false when it runs through the exec import. */
  private inline(d: Insn): boolean {
    const c = this.c, size = d.size;
    const seg = (d.prefixes & (Pfx.FS | Pfx.GS)) !== 0;
    switch (d.op) {
      case Op.NOP: case Op.PAUSE: case Op.MFENCE:
        return true;
      case Op.MOV: {
        if (seg) return false;
        if (d.hasMem) {
          if (d.rmIsDst) {
            if (d.reg !== NO_REG) this.ensure(d.reg);
            this.ea(d);
            if (d.reg === NO_REG) this.imm(d, size); else this.reg(d.reg);
            c.set(L_V);
            this.store(size);
          } else {
            this.ea(d);
            this.load(size);
            c.get(L_V);
            this.setReg(d.reg, size);
          }
          return true;
        }
        if (d.reg === NO_REG) { this.imm(d, size); this.setReg(d.rm, size); return true; }
        const src = d.rmIsDst ? d.reg : d.rm, dst = d.rmIsDst ? d.rm : d.reg;
        this.reg(src);
        this.setReg(dst, size);
        return true;
      }
      case Op.LEA:
        if (size < 4 || seg) return false;
        this.ea(d);
        c.get(L_A);
        this.setReg(d.reg, size);
        return true;
      case Op.MOVZX: case Op.MOVSX: case Op.MOVSXD: {
        if (size < 4 || seg) return false;
        const ss = d.srcSize, sx = d.op !== Op.MOVZX;
        if (d.hasMem) {
          this.ea(d);
          this.load(ss);
          c.get(L_V);
        } else {
          this.reg(d.rm); // ah..bh: zero-extended
        }
        if (sx) c.op(ss === 1 ? W.i64_extend8_s : ss === 2 ? W.i64_extend16_s : W.i64_extend32_s);
        else c.i64(ss === 1 ? 0xffn : ss === 2 ? 0xffffn : 0xffffffffn).op(W.i64_and);
        this.setReg(d.reg, size);
        return true;
      }
      case Op.PUSH: case Op.PUSH_IMM: {
        if (size !== 8) return false;
        if (d.op === Op.PUSH) { if (d.reg === NO_REG) return false; this.reg(d.reg); } else c.i64(i64of(d.immLo, d.immHi));
        c.set(L_V);
        this.reg(4);
        c.i64(8n).op(W.i64_sub).set(L_A);
        this.afterStore = () => { c.get(L_A); this.setReg(4, 8); };
        this.store(8);
        this.afterStore = null;
        c.get(L_A);
        this.setReg(4, 8);
        return true;
      }
      case Op.POP: {
        if (size !== 8 || d.reg === NO_REG) return false;
        this.reg(4);
        c.set(L_A);
        this.load(8);
        c.get(L_A).i64(8n).op(W.i64_add);
        this.setReg(4, 8);
        c.get(L_V);
        this.setReg(d.reg, 8);
        return true;
      }
      case Op.ADD: case Op.SUB: case Op.CMP: case Op.AND: case Op.TEST: case Op.OR: case Op.XOR: {
        if (seg || (d.prefixes & Pfx.LOCK) !== 0) return false;
        const mem = d.rm === NO_REG;
        const writes = d.op !== Op.CMP && d.op !== Op.TEST;
        if (d.reg !== NO_REG) this.ensure(d.reg);
        if (!mem) this.ensure(d.rm);
        // the memory operand first: its read may fault, and the fault must see the previous flags, whose
        // operands are still in the fused locals
        if (mem) { this.ea(d); this.load(size); }
        let dst: number;
        if (d.rmIsDst || d.op === Op.TEST) {
          dst = d.rm;
          this.readOperand(mem ? 'mem' : 'reg', d, d.rm, size); c.set(L_FA);
          this.readOperand(d.reg !== NO_REG ? 'reg' : 'imm', d, d.reg, size); c.set(L_FB);
        } else {
          dst = d.reg;
          this.readOperand('reg', d, d.reg, size); c.set(L_FA);
          this.readOperand(mem ? 'mem' : 'reg', d, d.rm, size); c.set(L_FB);
        }
        c.get(L_FA).get(L_FB);
        let kind: number;
        switch (d.op) {
          case Op.ADD: c.op(W.i64_add); kind = K_ADD; break;
          case Op.SUB: case Op.CMP: c.op(W.i64_sub); kind = K_SUB; break;
          case Op.AND: case Op.TEST: c.op(W.i64_and); kind = K_LOGIC; break;
          case Op.OR: c.op(W.i64_or); kind = K_LOGIC; break;
          default: c.op(W.i64_xor); kind = K_LOGIC; break;
        }
        if (size < 8) c.i64(size === 1 ? 0xffn : size === 2 ? 0xffffn : 0xffffffffn).op(W.i64_and);
        c.set(L_FR);
        // from here the flags are this operation's (a fault in the reads above left the previous ones)
        this.fused = { kind, size };
        this.pending = true;
        if (writes) {
          if (mem && d.rmIsDst) {
            // alu() leaves the flags before the store, which may fault
            c.get(L_FR).set(L_V);
            this.store(size);
          } else {
            c.get(L_FR);
            this.setReg(dst, size);
          }
        }
        return true;
      }
      case Op.SHIFT: {
        // shl/sal, shr, sar of a 32- or 64-bit register by 1, an immediate or CL, when nothing can see
        // the flags it sets (the interpreter materializes them: see flagsDead); by 1 or an immediate,
        // with its flags computed as shiftValue (shift.ts) leaves them
        const op = d.ext;
        if ((op !== 4 && op !== 5 && op !== 6 && op !== 7) || size < 4 || d.rm === NO_REG || d.rm >= 16) return false;
        if (!this.flagsDead()) return this.shiftWithFlags(d, op, size);
        const m = size === 8 ? 63 : 31;
        if (d.countSrc === 2) this.ensure(1);
        this.reg(d.rm);
        if (size === 4) { if (op === 7) c.op(W.i64_extend32_s); else c.i64(0xffffffffn).op(W.i64_and); }
        if (d.countSrc === 2) { this.reg(1); c.i64(m).op(W.i64_and); } else c.i64((d.countSrc === 1 ? 1 : d.immLo & 0xff) & m);
        c.op(op === 5 ? W.i64_shr_u : op === 7 ? W.i64_shr_s : W.i64_shl);
        this.setReg(d.rm, size);
        return true;
      }
      case Op.IMUL2: case Op.IMUL3:
        return this.imul(d);
      case Op.SETCC: {
        if (seg) return false;
        if (d.rm !== NO_REG) {
          this.ensure(d.rm);
          this.condition(d.cond);
          c.op(W.i64_extend_i32_u);
          this.setReg(d.rm, 1);
        } else {
          this.ea(d);
          this.condition(d.cond);
          c.op(W.i64_extend_i32_u).set(L_V);
          this.store(1);
        }
        return true;
      }
      case Op.CMOVCC: {
        if (seg || size < 4 || Gen.highByte(d)) return false;
        // the source is read (and may fault) either way; a 32-bit cmov zero-extends its destination either way
        this.ensure(d.reg);
        if (d.rm !== NO_REG) this.regAt(d.rm, size); else { this.ea(d); this.load(size); c.get(L_V); }
        c.set(L_V);
        c.get(L_V);
        this.reg(d.reg);
        this.condition(d.cond);
        c.op(W.select);
        this.setReg(d.reg, size);
        return true;
      }
      case Op.CBW: case Op.CWD: {
        // cbw/cwde/cdqe: the accumulator's lower half sign-extended; cwd/cdq/cqo: rdx filled with its sign
        const ext = size === 2 ? W.i64_extend8_s : size === 4 ? W.i64_extend16_s : W.i64_extend32_s;
        this.reg(0);
        if (d.op === Op.CBW) { c.op(ext); this.setReg(0, size); return true; }
        if (size < 8) c.op(size === 2 ? W.i64_extend16_s : W.i64_extend32_s);
        c.i64(63).op(W.i64_shr_s);
        this.setReg(2, size);
        return true;
      }
      case Op.STOS: case Op.MOVS:
        return this.string(d);
      case Op.NOT: case Op.NEG: {
        if (seg || d.rm === NO_REG) return false;
        if (d.op === Op.NOT) { this.reg(d.rm); c.i64(-1).op(W.i64_xor); this.setReg(d.rm, size); return true; }
        // neg: the flags of 0 - x (alu.ts execNotNeg)
        c.i64(0).set(L_FA);
        this.regAt(d.rm, size); c.set(L_FB);
        c.get(L_FA).get(L_FB).op(W.i64_sub);
        if (size < 8) c.i64(size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffffn).op(W.i64_and);
        c.tee(L_FR);
        this.setReg(d.rm, size);
        this.fused = { kind: K_SUB, size };
        this.pending = true;
        return true;
      }
      case Op.MUL1:
        return this.mul(d);
      case Op.DIV:
        return this.div(d);
      default:
        return false;
    }
  }

  /**
   * The source operand of a one-operand mul or div of 32 or 64 bits (register or memory), pushed at its
   * size, with rax, rdx and the register in locals; false for the forms left to the executors.
   */
  private accumulatorSource(d: Insn): boolean {
    const size = d.size;
    if ((d.prefixes & (Pfx.FS | Pfx.GS)) !== 0 || size < 4 || Gen.highByte(d)) return false;
    this.ensure(0); this.ensure(2);
    if (d.rm !== NO_REG) this.ensure(d.rm);
    if (d.rm === NO_REG) { this.ea(d); this.load(size); this.c.get(L_V); } else this.regAt(d.rm, size);
    return true;
  }

  /**
   * mul with one operand, 32 or 64 bits: edx:eax or rdx:rax = the accumulator times the source,
   * unsigned, with the flags execMul1 (muldiv.ts) leaves: CF = OF = a high half that is not zero, ZF,
   * SF and PF of the low half, AF clear (K_FLAGS). The 128-bit product from four 32x32 products.
   */
  private mul(d: Insn): boolean {
    const c = this.c, size = d.size;
    // the source first (a memory read may fault, with the previous flags' operands still in FA and FB)
    if (!this.accumulatorSource(d)) return false;
    c.set(L_FB);
    this.regAt(0, size); c.set(L_FA);
    const M = 0xffffffffn;
    if (size === 4) {
      c.get(L_FA).get(L_FB).op(W.i64_mul).tee(L_X).i64(M).op(W.i64_and).set(L_V);
      c.get(L_X).i64(32).op(W.i64_shr_u).set(L_X);
    } else {
      const lo = (l: number): void => { c.get(l).i64(M).op(W.i64_and); };
      const hi = (l: number): void => { c.get(l).i64(32).op(W.i64_shr_u); };
      lo(L_FA); lo(L_FB); c.op(W.i64_mul).set(L_V); // p00
      lo(L_FA); hi(L_FB); c.op(W.i64_mul).set(L_X); // p01
      hi(L_FA); lo(L_FB); c.op(W.i64_mul).set(L_A); // p10
      // the middle column: p00's high half and the low halves of p01 and p10 (at most 3 * (2^32 - 1))
      hi(L_V); lo(L_X); c.op(W.i64_add); lo(L_A); c.op(W.i64_add).set(L_FR);
      // the high 64 bits: p11, the high halves of p01 and p10, and the middle column's carry
      hi(L_FA); hi(L_FB); c.op(W.i64_mul); hi(L_X); c.op(W.i64_add); hi(L_A); c.op(W.i64_add);
      if (!jitBroken.mulDropsCarry) { hi(L_FR); c.op(W.i64_add); }
      c.set(L_X);
      lo(L_V); c.get(L_FR).i64(32).op(W.i64_shl, W.i64_or).set(L_V);
    }
    c.get(L_X).op(W.i64_eqz, W.i32_eqz, W.i64_extend_i32_u).i64(0x801).op(W.i64_mul);
    this.orResultFlags(size);
    c.set(L_FR);
    c.get(L_V); this.setReg(0, size);
    c.get(L_X); this.setReg(2, size);
    this.fused = { kind: K_FLAGS, size };
    this.pending = true;
    return true;
  }

  /**
   * div, 32 or 64 bits, natively when the dividend's high half (edx, rdx) is zero and the divisor is
   * not: then nothing can fault and the quotient fits. Anything else runs through the exec import
   * (execDiv: #DE, or a dividend of 64 or 128 bits), which leaves rax and rdx in the slot. The flags are
   * left as they were (execDiv does).
   */
  private div(d: Insn): boolean {
    const c = this.c, size = d.size;
    if (!this.accumulatorSource(d)) return false;
    c.set(L_X);
    if (jitBroken.divIgnoresHigh) c.i64(0); else this.regAt(2, size);
    c.op(W.i64_eqz);
    c.get(L_X).op(W.i64_eqz, W.i32_eqz, W.i32_and);
    c.op(W.if_, VOID);
    this.regAt(0, size); c.get(L_X).op(W.i64_rem_u).set(L_V);
    this.regAt(0, size); c.get(L_X).op(W.i64_div_u);
    this.setReg(0, size);
    c.get(L_V); this.setReg(2, size);
    c.op(W.else_);
    this.depth++;
    this.syncInArm();
    this.execImport();
    // the executor wrote rax and rdx to the slot: the locals take them again (they stay marked dirty,
    // as the other arm left them: storing them again stores the same values)
    this.loadReg(0); this.loadReg(2);
    this.depth--;
    c.op(W.end);
    return true;
  }

  /**
   * An indirect jmp or call: the target from a register or memory (read first: it may fault), then a
   * jmp leaves the unit for it (the hub chains); a call is nativeCall with that target. False: the
   * exec import runs it.
   */
  private indirect(d: Insn): boolean {
    const c = this.c;
    if ((d.prefixes & (Pfx.FS | Pfx.GS)) !== 0 || Gen.highByte(d)) return false;
    this.sync();
    if (d.rm !== NO_REG) this.reg(d.rm); else { this.ea(d); this.load(8); c.get(L_V); }
    c.set(L_FB);
    if (d.op === Op.CALL_IND) { this.nativeCall(d, L_FB); return true; }
    c.get(L_N).i32(this.i + 1).op(W.i32_add).set(L_N);
    this.exitTo(L_FB);
    return true;
  }

  /** Leave the unit for the address in i64 local `l` (N and POS already count this instruction; the hub chains). */
  private exitTo(l: number): void {
    this.c.get(L_S).get(l).op(W.f64_convert_i64_s).mem(W.f64_store, 3, S.RIP);
    this.exit(0, RIP_SET);
  }

  /** Jump to the block at region offset `off` (inside the unit), else leave the unit for `addr`. */
  private jump(off: number, addr: number): void {
    const k = this.index.get(off);
    const c = this.c;
    if (k === undefined) { this.exit(0, addr); return; }
    if (k > this.j && !jitBroken.jumpsThroughDispatch) {
      // forward: case k's code starts at the end of block k, which encloses this case's code (blocks
      // j + 1 .. m - 1, innermost first): one branch there; the next block's code is where a jump at
      // the end of this case falls through to
      if (k === this.j + 1 && this.depth === this.base) return;
      c.br(W.br, this.depth + k - this.j - 1);
      return;
    }
    // to its own start, when the case is a loop: one branch back
    if (k === this.j && this.base === 1) { c.br(W.br, this.depth - 1); return; }
    // backward (a loop): through the dispatch at $top
    c.i32(k).set(L_PC).br(W.br, this.depth + this.toTop);
  }

  /** The whole function body. */
  generate(): Generated {
    const c = this.c, r = this.r, m = this.blocks.length;
    this.reloadCache();
    c.op(W.block, VOID, W.loop, VOID);
    for (let j = 0; j < m; j++) c.op(W.block, VOID);
    c.get(L_PC).brTable(this.blocks.map((_, j) => j), 0).op(W.end);
    this.blocks.forEach((b, j) => {
      // case j's code sits after the end of the j-th innermost block: inside m - 1 - j blocks, the loop, $out
      if (j > 0) c.op(W.end);
      this.toTop = m - 1 - j;
      this.j = j;
      // a block that jumps back to its own start (a tight loop) is a wasm loop: its back edge one branch
      const self = !jitBroken.jumpsThroughDispatch && b.insns.some((d) => (d.op === Op.JCC || d.op === Op.JMP) && d.target === r.start + b.start);
      if (self) c.op(W.loop, VOID);
      this.base = self ? 1 : 0;
      this.depth = this.base;
      this.loaded.clear(); this.dirty.clear(); this.fused = null; this.pending = false;
      const len = b.insns.length;
      // the block runs only when all of it fits the budget
      c.get(L_N).i32(len).op(W.i32_add).get(L_BUDGET).op(W.i32_gt_s, W.if_, VOID);
      this.depth++;
      this.exit(0, r.start + b.start);
      this.depth--;
      c.op(W.end);
      // the ring: one entry for the block, the run of its instructions (ring.ts), at pos + 1
      const run = registerRun(b.insns.map((d) => d.addr)), whole = runEntry(run, len);
      c.raw(T_RING1).f64(whole).raw(T_RING2);
      let fell = true;
      this.cur = b.insns;
      b.insns.forEach((d, i) => {
        this.i = i;
        this.k = this.D.length;
        this.D.push(d);
        this.runs.upTo.push(runEntry(run, i + 1));
        this.runs.whole.push(whole);
        const last = i === len - 1;
        // a patch site (a nop or a call: see jit.ts compiledSite) reports itself as the interpreter does, when the machine logs them
        if (d.atSite) c.get(L_S).mem(W.i32_load, 2, S.SITELOG).op(W.if_, VOID).i32(this.k).call(IMP_SITE).op(W.end);
        switch (d.op) {
          case Op.JCC: {
            this.storeRegs(); this.dirty.clear();
            this.condition(d.cond);
            if (this.pending) { this.storeFlags(); this.pending = false; }
            c.set(L_T);
            c.get(L_N).i32(len).op(W.i32_add).set(L_N);
            c.get(L_T).op(W.if_, VOID);
            this.depth++;
            this.jump(d.target - r.start, d.target);
            this.depth--;
            c.op(W.end);
            this.jump(d.next - r.start, d.next);
            fell = false;
            return;
          }
          case Op.JMP:
            this.sync();
            c.get(L_N).i32(len).op(W.i32_add).set(L_N);
            this.jump(d.target - r.start, d.target);
            fell = false;
            return;
          case Op.CALL:
            this.nativeCall(d);
            fell = false;
            return;
          case Op.RET: case Op.RET_IMM:
            this.nativeRet(d);
            fell = false;
            return;
          case Op.CALL_IND: case Op.JMP_IND:
            fell = false;
            if (!jitBroken.indirectThroughImport && this.indirect(d)) return;
            // the executor moves rip (and runs the call/ret monitor at the interpreter's time); the
            // import leaves the new rip in the slot, where chaining finds the unit to go on with
            this.sync();
            this.knp();
            c.call(IMP_EXEC).op(W.drop);
            this.exit(i + 1, RIP_SET);
            fell = false;
            return;
          default:
            break;
        }
        // a native form leaves the fused flags as they were (mov, lea, ...) or replaces them (the ALU)
        const native = this.inline(d);
        if (!native) this.callExec();
        if (!native) this.exitIfRestarted(d);
        if (last && fell) {
          this.sync();
          c.get(L_N).i32(len).op(W.i32_add).set(L_N);
          this.jump(d.next - r.start, d.next);
        }
      });
      if (self) c.op(W.end);
    });
    c.op(W.end, W.end); // the loop, the block $out
    c.get(L_S).get(L_POS).mem(W.i32_store, 2, S.POS);
    c.get(L_N);
    return { body: c };
  }
}

// ---- templates --------------------------------------------------------------------------
// Sequences the generator emits thousands of times with the same bytes, encoded once: a first boot
// runs the generator cold (V8 has not optimized it yet), where each emitting call costs.

/** The bytes `emit` writes. */
function template(emit: (c: Code) => void): Uint8Array {
  const c = new Code();
  emit(c);
  return c.bytes().slice();
}

/** A register from the slot (its two halves) into its local. */
const T_LOAD_REG = Array.from({ length: 16 }, (_, r) => template((c) => {
  c.get(L_S).mem(W.i64_load32_u, 2, S.LO + 4 * r).get(L_S).mem(W.i64_load32_s, 2, S.HI + 4 * r).i64(32n).op(W.i64_shl, W.i64_or).set(L_R0 + r);
}));

/** A register's local into the slot (its two halves). */
const T_STORE_REG = Array.from({ length: 16 }, (_, r) => template((c) => {
  c.get(L_S).get(L_R0 + r).mem(W.i64_store32, 2, S.LO + 4 * r);
  c.get(L_S).get(L_R0 + r).i64(32n).op(W.i64_shr_u).mem(W.i64_store32, 2, S.HI + 4 * r);
}));

const T_FLAGS = new Map<number, Uint8Array>();
/** Pending lazy flags into the slot: kind and size, then result and operands as (lo, hi) pairs, each one i64 store (a narrower operation's are zero-extended in their locals: their high halves store as 0). */
function storeFlagsTemplate(kind: number, size: number): Uint8Array {
  const key = kind * 16 + size;
  let t = T_FLAGS.get(key);
  if (t === undefined) {
    const LZ = S.LAZY;
    t = template((c) => {
      c.get(L_S).i64(kind + size * 2 ** 32).mem(W.i64_store, 3, LZ + 4 * L.LK);
      c.get(L_S).get(L_FR).mem(W.i64_store, 3, LZ + 4 * L.RLO);
      c.get(L_S).get(L_FA).mem(W.i64_store, 3, LZ + 4 * L.ALO);
      c.get(L_S).get(L_FB).mem(W.i64_store, 3, LZ + 4 * L.BLO);
    });
    T_FLAGS.set(key, t);
  }
  return t;
}

const T_RELOAD = new Map<number, Uint8Array>();
/** The region cache into its locals, through the module's reload function (function index `fn`). */
function reloadTemplate(fn: number): Uint8Array {
  let t = T_RELOAD.get(fn);
  if (t === undefined) {
    t = template((c) => { c.get(L_S).call(fn).set(L_C1W).set(L_C1D).set(L_C1L).set(L_C1S).set(L_C0W).set(L_C0D).set(L_C0L).set(L_C0S); });
    T_RELOAD.set(fn, t);
  }
  return t;
}

/**
 * Push 1 when [A, A + 8) lies in cached region 0 or 1 (its locals: start, limit, wasm address,
 * writability), with its wasm address in L_T; by entry * 2 + write.
 */
const T_HIT = [[L_C0S, L_C0L, L_C0D, L_C0W], [L_C1S, L_C1L, L_C1D, L_C1W]].flatMap(([st, lim, da, wr]) => [false, true].map((write) => template((c) => {
  // [A, A + 8) inside: the offset is below the limit (reloadBody)
  c.get(L_A).get(st).op(W.i64_sub).tee(L_X).get(lim).op(W.i64_lt_u);
  if (write) c.get(wr).op(W.i32_and);
  c.get(da).get(L_X).op(W.i32_wrap_i64, W.i32_add).set(L_T);
})));

/** nativeRet's test: may the ret run natively (see there)? Pushes 1 or 0. */
function retCheckTemplate(skipsShadow: boolean): Uint8Array {
  return template((c) => {
    c.get(L_S).mem(W.i32_load, 2, S.SHADOW).tee(L_H).i32(-1).op(W.i32_eq, W.if_, I32).i32(1).op(W.else_);
    c.get(L_H).i32(0).op(W.i32_gt_s, W.if_, I32);
    c.get(L_H).mem(W.i32_load, 2, SH.DEPTH).tee(L_E).op(W.i32_eqz, W.if_, I32).i32(1).op(W.else_);
    c.get(L_E).get(L_H).mem(W.i32_load, 2, SH.CAP).op(W.i32_le_s, W.if_, I32);
    c.get(L_E).i32(1).op(W.i32_sub).set(L_E);
    if (skipsShadow) c.i32(1);
    else {
      c.get(L_H).mem(W.i32_load, 2, SH.KINDS).get(L_E).op(W.i32_add).mem(W.i32_load8_u, 0, 0).op(W.i32_eqz);
      c.get(L_H).mem(W.i32_load, 2, SH.ADDRS).get(L_E).i32(3).op(W.i32_shl, W.i32_add).mem(W.f64_load, 3, 0);
      c.get(L_V).op(W.f64_convert_i64_s, W.f64_eq, W.i32_and);
    }
    c.get(L_V).op(W.f64_convert_i64_s).get(L_S).mem(W.i32_load, 2, S.FLOWCELL).mem(W.f64_load, 3, FC.LOW).op(W.f64_ge);
    c.get(L_V).op(W.f64_convert_i64_s).get(L_S).mem(W.i32_load, 2, S.FLOWCELL).mem(W.f64_load, 3, FC.HIGH).op(W.f64_lt, W.i32_and, W.i32_eqz, W.i32_and);
    c.op(W.else_).i32(0).op(W.end); // depth <= cap
    c.op(W.end); // depth 0
    c.op(W.else_).i32(0).op(W.end); // a handle
    c.op(W.end); // no monitor
  });
}

const T_RET_CHECK = [retCheckTemplate(false), retCheckTemplate(true)];

/** nativeRet's pop of the shadow entry (with a handle) and the count of checks. */
const T_RET_POP = template((c) => {
  c.get(L_H).i32(0).op(W.i32_gt_s, W.if_, VOID);
  c.get(L_H).mem(W.i32_load, 2, SH.DEPTH).tee(L_E).op(W.if_, VOID).get(L_H).get(L_E).i32(1).op(W.i32_sub).mem(W.i32_store, 2, SH.DEPTH).op(W.end);
  c.get(L_S).mem(W.i32_load, 2, S.FLOWCELL).tee(L_E).get(L_E).mem(W.i32_load, 2, FC.CHECKS).i32(1).op(W.i32_add).mem(W.i32_store, 2, FC.CHECKS);
  c.op(W.end);
});

/** nativeCall's push of a shadow entry, around its two constants: the return address (f64), then the instruction's index in the block (i32). */
const shadowField = (c: Code, field: number, shift: number): void => {
  c.get(L_H).mem(W.i32_load, 2, field).get(L_E);
  if (shift > 0) c.i32(shift).op(W.i32_shl);
  c.op(W.i32_add);
};
const T_CALL_PUSH1 = template((c) => { c.get(L_H).mem(W.i32_load, 2, SH.DEPTH).set(L_E); shadowField(c, SH.ADDRS, 3); });
const T_CALL_PUSH2 = template((c) => { c.mem(W.f64_store, 3, 0); shadowField(c, SH.TIMES, 3); c.get(L_S).mem(W.f64_load, 3, S.NOWBASE).get(L_N); });
const T_CALL_PUSH3 = template((c) => {
  c.op(W.i32_add, W.f64_convert_i32_u, W.f64_add).mem(W.f64_store, 3, 0);
  shadowField(c, SH.KINDS, 0); c.i32(0).mem(W.i32_store8, 0, 0);
  shadowField(c, SH.VECTORS, 0); c.i32(0).mem(W.i32_store8, 0, 0);
  c.get(L_H).get(L_E).i32(1).op(W.i32_add).mem(W.i32_store, 2, SH.DEPTH);
});

/** A block's ring entry (ring.ts) at pos + 1, around the entry's value (f64). */
const T_RING1 = template((c) => { c.get(L_POS).i32(1).op(W.i32_add).i32(31).op(W.i32_and).tee(L_POS).i32(3).op(W.i32_shl).get(L_S).op(W.i32_add); });
const T_RING2 = template((c) => { c.mem(W.f64_store, 3, S.RING); });

// ---- modules, imports, glue -------------------------------------------------------------

/** Compiled modules by plan and guest bytes (see compileWasmBatch): repeated boots and restored snapshots reuse them. */
const modules = new Map<string, { mod: WebAssembly.Module; runs: RunsOf }>();

/** The CPU running compiled code now, and its cycle count at entry (the imports report times from it). */
let cur: WasmCpu | null = null;
let curBase = 0;
let I32V: Int32Array | null = null;
let F64V: Float64Array | null = null;

/** A compiled unit's entry, as jit.ts runs it (UnitFn). */
export type WasmUnitFn = (c: WasmCpu, u: unknown, pc: number, lim: number) => void;

/** One unit of a batch: where its code is, its blocks, and the holder its imports ask whether it is alive. */
export interface WasmUnitSpec { r: Region; blocks: WasmBlock[]; host: WasmUnitHost; guest: string }

/** `link`: put the unit in its region's entry map at these offsets (with their block numbers); returns its unlink. */
export interface WasmCompiled { fn: WasmUnitFn; D: Insn[]; link(at: { off: number; pc: number }[]): () => void }

/** `bytes`: the module's size when it was generated now (0 when it came from the cache). */
export interface WasmBatch { units: WasmCompiled[]; bytes: number; reused: boolean }

const TYPES = [
  { params: [I32, I32, I32], results: [I32] }, // exec(k, n, pos) -> alive
  { params: [F64, I32, I32, I32, I32], results: [I32] }, // rd(addr, size, k, n, pos) -> low half
  { params: [F64, I32, I32, I32, I32, I32, I32], results: [I32] }, // wr(addr, size, lo, hi, k, n, pos) -> alive
  { params: [I32], results: [I32] }, // cond(cc)
  UNIT_TYPE, // a unit: (slot, pc, budget, pos, retired) -> retired
  { params: [I32], results: [] }, // site(k): a patch site ran (MachineEvents.siteExecs)
  { params: [I32], results: [I64, I64, I32, I32, I64, I64, I32, I32] }, // reload(slot): the region cache, as locals
];
const IMPORTS = [{ name: 'x', type: 0 }, { name: 'r', type: 1 }, { name: 'w', type: 2 }, { name: 'c', type: 3 }, { name: 's', type: 5 }];

/**
 * The module's reload function: the CPU's two cached data regions (S.DC0, S.DC1) as start, size,
 * wasm address of the bytes and writability, each; a descriptor of another machine gets size 0, so
 * nothing hits it. Units call it at entry and after every slow access (the only place the cache changes).
 */
function reloadBody(): Code {
  const c = new Code();
  const P_S = 0, H_D = 1, H_ST = 2, H_LN = 3;
  for (const dc of [S.DC0, S.DC1]) {
    c.get(P_S).mem(W.i32_load, 2, dc).set(H_D);
    c.get(H_D).mem(W.i64_load, 3, RD.START).tee(H_ST);
    // the limit: offsets below size - 7 take any access of up to 8 bytes; 0 (nothing hits) for a region
    // of fewer than 8 bytes or another machine's
    c.get(H_D).mem(W.i64_load, 3, RD.END).get(H_ST).op(W.i64_sub).tee(H_LN).i64(7n).op(W.i64_sub).i64(0n);
    c.get(H_LN).i64(8n).op(W.i64_ge_u);
    if (!jitBroken.ignoreRegionTag) c.get(H_D).mem(W.i32_load, 2, RD.TAG).get(P_S).mem(W.i32_load, 2, S.TAG).op(W.i32_eq, W.i32_and);
    c.op(W.select);
    c.get(H_D).mem(W.i32_load, 2, RD.DATA);
    c.get(H_D).mem(W.i32_load, 2, RD.WRITABLE);
  }
  return c;
}

/** Point the CPU's region cache at the region its last access went through (when that region is in the arena). */
function cacheRegion(c: WasmCpu, i32: Int32Array): void {
  const desc = c.data.desc;
  if (desc === 0) return;
  const at = (c.slot + S.DC0) >> 2;
  const d0 = i32[at];
  if (d0 !== desc) { i32[at + 1] = d0; i32[at] = desc; }
}

/**
 * Compile units into one module (V8's per-module cost is paid once for the batch) and bind each to
 * the interpreter's executors: one instance, whose imports name an instruction by its index in the
 * batch and answer for the unit that holds it.
 */
export function compileWasmBatch(specs: WasmUnitSpec[], ex: WasmExecutors): WasmBatch {
  // the code depends only on the plan (blocks and their instructions, decoded from the guest bytes at
  // their addresses) and on the broken variants: that is the cache's key, so a hit skips generation
  let key = jitBroken.invertSignedJcc ? 'J' : '-';
  key += jitBroken.ignoreRegionTag ? 'T' : '-';
  key += jitBroken.shiftFlagsAlwaysDead ? 'S' : '-';
  key += jitBroken.shiftKeepsOf ? 'O' : '-';
  key += jitBroken.retSkipsShadow ? 'R' : '-';
  key += jitBroken.shadowTimeOff ? 'M' : '-';
  key += jitBroken.imulOverflowClear ? 'I' : '-';
  key += jitBroken.mulDropsCarry ? 'C' : '-';
  key += jitBroken.divIgnoresHigh ? 'D' : '-';
  key += jitBroken.indirectCallSkipsShadow ? 'H' : '-';
  key += jitBroken.indirectThroughImport ? 'X' : '-';
  key += jitBroken.repRunsOn ? 'P' : '-';
  key += jitBroken.stosLoopOnly ? 'B' : '-';
  key += jitBroken.movsAsMemmove ? 'V' : '-';
  key += jitBroken.jumpsThroughDispatch ? 'U' : '-';
  key += jitBroken.stringRangeIgnoresLength ? 'L' : '-';
  for (const sp of specs) {
    key += `\n${sp.r.start}:`;
    for (const b of sp.blocks) { key += `${b.start}`; for (const d of b.insns) key += `,${d.addr - sp.r.start}`; key += ';'; }
    key += sp.guest;
  }
  const D: Insn[] = [];
  const unitOf: number[] = [];
  const starts: number[] = [];
  const hit = modules.get(key);
  let mod = hit?.mod;
  const runs: RunsOf = hit?.runs ?? { upTo: [], whole: [] };
  const reused = mod !== undefined;
  let size = 0;
  if (mod !== undefined) {
    // the instructions in the order the generator numbered them: block by block
    specs.forEach((sp, i) => {
      starts.push(D.length);
      for (const b of sp.blocks) for (const d of b.insns) { D.push(d); unitOf.push(i); }
    });
  } else {
    const funcs = specs.map((sp, i) => {
      starts.push(D.length);
      const { body } = new Gen(sp.r, sp.blocks, D, IMPORTS.length + specs.length, runs).generate();
      while (unitOf.length < D.length) unitOf.push(i);
      return { type: 4, locals: LOCALS, body, export: `u${i}` };
    });
    const bytes = encodeModule({
      types: TYPES,
      imports: IMPORTS,
      memoryPages: arena.memory.buffer.byteLength >>> 16,
      funcs: [...funcs, { type: 6, locals: [[1, I32], [2, I64]], body: reloadBody() }],
    });
    size = bytes.length;
    mod = new WebAssembly.Module(bytes);
    modules.set(key, { mod, runs });
  }
  starts.push(D.length);
  if (I32V === null) { I32V = new Int32Array(arena.buffer); F64V = new Float64Array(arena.buffer); }
  const i32 = I32V, f64 = F64V!;
  const fns = D.map((d) => ex.exec(d));
  // rip as the interpreter has it when it calls the executor: the instruction's own address before a
  // fast handler (which moves it), the next one before a generic executor (Cpu.exec sets it first)
  const pre = D.map((d) => (d.handler !== null ? d.addr : d.next));
  const hostOf = unitOf.map((i) => specs[i].host);
  const alive = (k: number): number => (hostOf[k].u!.alive ? 1 : 0);
  const regionOf = unitOf.map((i) => specs[i].r);
  /** After an executor or a store: may the hub still chain (a store may have written text)? */
  const chainOk = (c: WasmCpu, k: number): void => { i32[(c.slot + S.CHAIN_OK) >> 2] = regionOf[k].dirtyTime <= c.serialTime || jitBroken.chainIgnoresFetchModel ? 1 : 0; };
  // while an import runs, the block's ring entry counts the instructions up to its own (a fault or a
  // report there sees the instructions that ran); after, the whole block again, unless the unit stops
  // there (killed: it leaves after this instruction)
  const upTo = runs.upTo, whole = runs.whole;
  const RING = S.RING >> 3;
  const imports = { e: {
    m: arena.memory,
    x: (k: number, n: number, pos: number): number => {
      const c = cur!, d = D[k], at = (c.slot >> 3) + RING + pos;
      c.cycles = curBase + n; c.recentPos = pos; c.rip = pre[k];
      if (!jitBroken.ringRunsWhole) f64[at] = upTo[k];
      fns[k](c, d);
      f64[(c.slot + S.RIP) >> 3] = c.rip;
      cacheRegion(c, i32); // the region the executor last read or wrote (a call's stack) is where compiled code goes next
      chainOk(c, k);
      const a = alive(k);
      if (a !== 0) f64[at] = whole[k];
      return a;
    },
    r: (addr: number, size: number, k: number, n: number, pos: number): number => {
      const c = cur!, at = (c.slot >> 3) + RING + pos;
      c.cycles = curBase + n; c.recentPos = pos; c.rip = D[k].next;
      if (!jitBroken.ringRunsWhole) f64[at] = upTo[k];
      const lo = c.rd(addr, size);
      f64[at] = whole[k];
      if (size === 8) i32[(c.slot + S.TMPHI) >> 2] = c.tHi;
      cacheRegion(c, i32);
      return lo | 0;
    },
    w: (addr: number, size: number, lo: number, hi: number, k: number, n: number, pos: number): number => {
      const c = cur!, at = (c.slot >> 3) + RING + pos;
      c.cycles = curBase + n; c.recentPos = pos; c.rip = D[k].next;
      if (!jitBroken.ringRunsWhole) f64[at] = upTo[k];
      c.wr(addr, size, lo >>> 0, hi);
      cacheRegion(c, i32);
      chainOk(c, k);
      const a = alive(k);
      if (a !== 0) f64[at] = whole[k];
      return a;
    },
    c: (cc: number): number => (ex.cond(cur!, cc) ? 1 : 0),
    s: (k: number): void => { cur!.mem.events.siteExecs.push(D[k].addr); },
  } };
  const exp = new WebAssembly.Instance(mod, imports).exports;
  const units = specs.map((sp, i): WasmCompiled => {
    const r = sp.r, hub = hubOf(r), enter = hub.enter;
    const idx = place(hub, exp[`u${i}`]);
    const fn: WasmUnitFn = (c, _u, pc, lim) => {
      const s = c.slot;
      if (s < 0) return; // a CPU without a slot in the arena: the interpreter runs it
      cur = c;
      const base = curBase = c.cycles;
      const b = lim - base;
      const w = s >> 2;
      i32[w + (S.SITELOG >> 2)] = c.mem.events.log && !jitBroken.sitesUnlogged ? 1 : 0;
      // call and ret: natively without a monitor, natively on the monitor's shadow stack, or through it
      const fl = c.flow;
      if (fl === null) i32[w + (S.SHADOW >> 2)] = -1;
      else {
        const cell = fl.compiledCell ?? 0;
        i32[w + (S.SHADOW >> 2)] = cell === 0 || fl.compiledShadow === undefined || jitBroken.callsThroughMonitor ? 0 : fl.compiledShadow(c.id);
        i32[w + (S.FLOWCELL >> 2)] = cell;
        f64[(s + S.NOWBASE) >> 3] = c.now();
      }
      if (r.jitMap !== 0) {
        i32[w + (S.CHAIN_MAP >> 2)] = r.jitMap;
        f64[(s + S.CHAIN_START) >> 3] = r.start;
        i32[w + (S.CHAIN_SIZE >> 2)] = r.size < r.jitMapLen ? r.size : r.jitMapLen;
        i32[w + (S.CHAIN_OK >> 2)] = r.dirtyTime <= c.serialTime || jitBroken.chainIgnoresFetchModel ? 1 : 0;
      } else {
        i32[w + (S.CHAIN_OK >> 2)] = 0;
      }
      const n = enter(s, idx, pc, b > 0x3fffffff ? 0x3fffffff : b, c.recentPos);
      c.cycles = base + n;
      c.recentPos = i32[w + (S.POS >> 2)];
      const e = i32[w + (S.EXIT >> 2)];
      if (e !== 0) c.rip = e === 1 ? f64[(s + S.RIP) >> 3] : r.start + e - 2;
      const hops = i32[w + (S.CHAINS >> 2)];
      if (hops !== 0) { jitStats.entries += hops; jitStats.chained += hops; i32[w + (S.CHAINS >> 2)] = 0; }
    };
    return { fn, D: D.slice(starts[i], starts[i + 1]), link: (at) => link(r, hub, idx, at) };
  });
  return { units, bytes: size, reused };
}

/** Forget every compiled module (tests measuring compilation from nothing). */
export function clearWasmCache(): void {
  modules.clear();
}
