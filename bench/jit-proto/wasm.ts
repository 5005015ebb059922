// JIT prototype, WebAssembly backend: a unit becomes a hand-encoded wasm function over an i64 register file in a shared WebAssembly.Memory.

import { Op, NO_REG, type Insn } from '../../src/machine/x86/insn.js';
import { Lazy } from '../../src/machine/x86/flags.js';
import type { Cpu } from '../../src/machine/x86/cpu.js';
import type { Region } from '../../src/machine/memory.js';
import { L } from '../../src/machine/arena.js';
import { shiftCount, type Unit } from './unit.js';
import { lazyKind } from './js.js';
import { Code, W, I32, I64, F64, VOID, encodeModule } from '../../src/machine/x86/wasm-enc.js';

// Layout of the shared memory: register file, exit state, scratch, then the resident guest region.
const REGS = 0, RIP = 128, FK = 136, FS = 140, FA = 144, FB = 152, FR = 160, SCRATCH = 176;
/** Offset of the resident guest region (guest memory placed in wasm memory). */
export const GBASE = 65536;

// locals: 0 budget (param); i64: 1..16 registers, 17 fa, 18 fb, 19 fr, 20 ea, 21 t, 22 va, 23 vb; i32: 24 fk, 25 fs, 26 n, 27 pc; f64: 28 rip
const R = (r: number): number => 1 + r;
const FA_ = 17, FB_ = 18, FR_ = 19, EA = 20, T = 21, VA = 22, VB = 23, FK_ = 24, FS_ = 25, N = 26, PC = 27, RIPL = 28;
const MASK = [0n, 0xffn, 0xffffn, 0n, 0xffffffffn, 0n, 0n, 0n, -1n];
const SIGN = [0n, 0x80n, 0x8000n, 0n, 0x80000000n, 0n, 0n, 0n, -0x8000000000000000n];
const LOAD = [0, W.i64_load8_u, W.i64_load16_u, 0, W.i64_load32_u, 0, 0, 0, W.i64_load];
const STORE = [0, W.i64_store8, W.i64_store16, 0, W.i64_store32, 0, 0, 0, W.i64_store];
const ALIGN = [0, 0, 1, 0, 2, 0, 0, 0, 3];

/** How compiled code reaches guest memory: always through imported JS functions, or inline for one resident region. */
export interface WasmMemoryMode { resident: { start: number; size: number } | null; breakAdd?: boolean }

const i64of = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo >>> 0);

/** The function body of a unit. */
function unitBody(u: Unit, mode: WasmMemoryMode): Code {
  const c = new Code();
  const used = new Set<number>();
  for (const { d } of u.insns) for (const r of [d.reg, d.rm, d.base, d.index]) if (r >= 0 && r < 16) used.add(r);
  const regs = [...used].sort((a, b) => a - b);
  const mask = (s: number): void => { if (s < 8) c.i64(MASK[s]).op(W.i64_and); };
  const rdReg = (r: number, s: number): void => { c.get(R(r)); mask(s); };
  /** Write the value on the stack to a register as the hardware does (32-bit zero-extends, 8/16-bit merge). */
  const wrReg = (r: number, s: number): void => {
    if (s === 8) { c.set(R(r)); return; }
    mask(s);
    if (s === 4) { c.set(R(r)); return; }
    c.get(R(r)).i64(~MASK[s]).op(W.i64_and, W.i64_or).set(R(r));
  };
  const ea = (d: Insn): void => {
    c.i64(i64of(d.dispLo, d.dispHi));
    if (d.base >= 0) c.get(R(d.base)).op(W.i64_add);
    if (d.index >= 0) { c.get(R(d.index)); if (d.scale > 1) c.i64(BigInt(d.scale)).op(W.i64_mul); c.op(W.i64_add); }
    c.set(EA);
  };
  // depth of the block `out` and of the loop `top` from the current code point
  let toTop = 0;
  const importLoad = (s: number): void => {
    c.get(EA).op(W.f64_convert_i64_s).i32(s).call(0).op(W.i64_extend_i32_u);
    if (s === 8) c.i32(SCRATCH).mem(W.i64_load32_u, 2, 0).i64(32n).op(W.i64_shl, W.i64_or);
  };
  const load = (s: number): void => {
    const res = mode.resident;
    if (res === null) { importLoad(s); return; }
    c.get(EA).i64(BigInt(res.start)).op(W.i64_sub).tee(T).i64(BigInt(res.size - s)).op(W.i64_le_u, W.if_, I64);
    c.get(T).op(W.i32_wrap_i64).mem(LOAD[s], ALIGN[s], GBASE);
    c.op(W.else_); importLoad(s); c.op(W.end);
  };
  /** Store VA (low s bytes) at EA. */
  const store = (s: number): void => {
    const imp = (): void => { c.get(EA).op(W.f64_convert_i64_s).i32(s).get(VA).op(W.i32_wrap_i64).get(VA).i64(32n).op(W.i64_shr_u, W.i32_wrap_i64).call(1); };
    const res = mode.resident;
    if (res === null) { imp(); return; }
    c.get(EA).i64(BigInt(res.start)).op(W.i64_sub).tee(T).i64(BigInt(res.size - s)).op(W.i64_le_u, W.if_, VOID);
    c.get(T).op(W.i32_wrap_i64).get(VA).mem(STORE[s], ALIGN[s], GBASE);
    c.op(W.else_); imp(); c.op(W.end);
  };
  const rdRm = (d: Insn, s: number): void => { if (d.rm !== NO_REG) rdReg(d.rm, s); else { ea(d); load(s); } };
  /** Push the condition (i32) from the statically known producer's kind and size. */
  const cond = (p: Insn, cc: number): void => {
    const k = lazyKind(p.op), s = p.size;
    const ZF = (): void => { c.get(FR_).op(W.i64_eqz); };
    const signOf = (emit: () => void): void => { emit(); if (s === 8) c.i64(0n).op(W.i64_lt_s); else c.i64(SIGN[s]).op(W.i64_and).i64(0n).op(W.i64_ne); };
    const SF = (): void => signOf(() => c.get(FR_));
    const CF = (): void => {
      if (k === Lazy.ADD) c.get(FR_).get(FA_).op(W.i64_lt_u);
      else if (k === Lazy.SUB) c.get(FA_).get(FB_).op(W.i64_lt_u);
      else c.i32(0);
    };
    const OF = (): void => {
      if (k === Lazy.ADD) signOf(() => c.get(FA_).get(FR_).op(W.i64_xor).get(FB_).get(FR_).op(W.i64_xor, W.i64_and));
      else if (k === Lazy.SUB) signOf(() => c.get(FA_).get(FB_).op(W.i64_xor).get(FA_).get(FR_).op(W.i64_xor, W.i64_and));
      else c.i32(0);
    };
    const LT = (): void => {
      if (k === Lazy.SUB) {
        const ext = s === 4 ? W.i64_extend32_s : s === 2 ? W.i64_extend16_s : W.i64_extend8_s;
        c.get(FA_); if (s !== 8) c.op(ext);
        c.get(FB_); if (s !== 8) c.op(ext);
        c.op(W.i64_lt_s);
      } else { SF(); OF(); c.op(W.i32_ne); }
    };
    switch (cc >> 1) {
      case 0: OF(); break;
      case 1: CF(); break;
      case 2: ZF(); break;
      case 3: CF(); ZF(); c.op(W.i32_or); break;
      case 4: SF(); break;
      case 5: c.get(FR_).i64(0xffn).op(W.i64_and, W.i64_popcnt).i64(1n).op(W.i64_and, W.i64_eqz); break;
      case 6: LT(); break;
      default: ZF(); LT(); c.op(W.i32_or);
    }
    if (cc & 1) c.op(W.i32_eqz);
  };
  const leave = (rip: number, k: number): void => {
    // inside one `if`: out is toTop + 2
    c.get(N).i32(k).op(W.i32_add).set(N).f64(rip).set(RIPL).br(W.br, toTop + 2);
  };

  // prologue
  for (const r of regs) c.i32(REGS + r * 8).mem(W.i64_load, 3, 0).set(R(r));
  c.i32(-1).set(FK_);
  // segments
  const starts = [...u.labels].sort((a, b) => a - b);
  const segOf = new Map<number, number>(starts.map((s, j) => [s, j]));
  const m = starts.length;
  c.op(W.block, VOID, W.loop, VOID);
  for (let j = 0; j < m; j++) c.op(W.block, VOID);
  c.get(PC).brTable(starts.map((_, j) => j), 0).op(W.end);
  let seg = 0;
  u.insns.forEach((ui, i) => {
    const d = ui.d, s = d.size;
    if (i > 0 && segOf.has(i)) {
      c.get(N).i32(i - seg).op(W.i32_add).set(N).op(W.end);
      seg = i;
    }
    toTop = m - 1 - segOf.get(seg)!;
    const k = i + 1 - seg;
    switch (ui.kind) {
      case 'nop': break;
      case 'mov':
        if (d.rmIsDst) {
          if (d.reg !== NO_REG) rdReg(d.reg, s); else c.i64(i64of(d.immLo, d.immHi));
          if (d.rm !== NO_REG) wrReg(d.rm, s); else { c.set(VA); ea(d); store(s); }
        } else { rdRm(d, s); wrReg(d.reg, s); }
        break;
      case 'lea': ea(d); c.get(EA); wrReg(d.reg, s); break;
      case 'movzx': rdRm(d, d.srcSize); wrReg(d.reg, s); break;
      case 'shift': {
        const n = BigInt(shiftCount(d)), op = d.ext, r = d.rm;
        if (s === 8) c.get(R(r)).i64(n).op(op === 5 ? W.i64_shr_u : op === 7 ? W.i64_shr_s : W.i64_shl).set(R(r));
        else {
          c.get(R(r));
          if (op === 7) c.op(W.i64_extend32_s); else mask(4);
          c.i64(n).op(op === 5 ? W.i64_shr_u : op === 7 ? W.i64_shr_s : W.i64_shl);
          wrReg(r, 4);
        }
        break;
      }
      case 'alu': {
        const op = d.op;
        let dstReg: number;
        if (d.rmIsDst || op === Op.TEST) {
          dstReg = d.rm;
          rdRm(d, s); c.set(VA);
          if (d.reg !== NO_REG) rdReg(d.reg, s); else c.i64(s === 8 ? i64of(d.immLo, d.immHi) : BigInt((d.immLo & Number(MASK[s])) >>> 0));
          c.set(VB);
        } else {
          dstReg = d.reg;
          rdReg(d.reg, s); c.set(VA); rdRm(d, s); c.set(VB);
        }
        const kind = lazyKind(op);
        c.get(VA).get(VB);
        if (kind === Lazy.ADD) c.op(mode.breakAdd ? W.i64_sub : W.i64_add);
        else if (kind === Lazy.SUB) c.op(W.i64_sub);
        else c.op(op === Op.OR ? W.i64_or : op === Op.XOR ? W.i64_xor : W.i64_and);
        mask(s);
        c.set(FR_).get(VA).set(FA_).get(VB).set(FB_).i32(kind).set(FK_).i32(s).set(FS_);
        if (op !== Op.CMP && op !== Op.TEST) {
          if (dstReg !== NO_REG) { c.get(FR_); wrReg(dstReg, s); }
          else { c.get(FR_).set(VA); store(s); } // EA still holds the operand's address
        }
        break;
      }
      case 'jcc': case 'jmp': {
        if (ui.kind === 'jcc') cond(u.insns[ui.producer].d, d.cond); else c.i32(1);
        c.op(W.if_, VOID);
        if (ui.target < 0) leave(d.target, k);
        else {
          c.get(N).i32(k).op(W.i32_add).set(N);
          if (ui.target <= i) {
            c.get(N).get(0).op(W.i32_ge_s, W.if_, VOID).f64(d.target).set(RIPL).br(W.br, toTop + 3).op(W.end);
          }
          c.i32(segOf.get(ui.target)!).set(PC).br(W.br, toTop + 1);
        }
        c.op(W.end);
        break;
      }
    }
  });
  // falling off the last segment: leave (last segment: top is depth 0, out depth 1)
  c.get(N).i32(u.insns.length - seg).op(W.i32_add).set(N).f64(u.exitRip).set(RIPL).br(W.br, 1);
  c.op(W.end, W.end); // loop, block out
  // epilogue
  for (const r of regs) c.i32(REGS + r * 8).get(R(r)).mem(W.i64_store, 3, 0);
  c.i32(RIP).get(RIPL).mem(W.f64_store, 3, 0);
  c.i32(FK).get(FK_).mem(W.i32_store, 2, 0).i32(FS).get(FS_).mem(W.i32_store, 2, 0);
  c.i32(FA).get(FA_).mem(W.i64_store, 3, 0).i32(FB).get(FB_).mem(W.i64_store, 3, 0).i32(FR).get(FR_).mem(W.i64_store, 3, 0);
  c.get(N);
  return c;
}

/** Build a wasm module with one exported function per unit (u0, u1, ...). */
let generation = 0;

export function wasmBytesMany(units: Unit[], mode: WasmMemoryMode): Uint8Array<ArrayBuffer> {
  return encodeModule({
    generation: generation++,
    types: [{ params: [F64, I32], results: [I32] }, { params: [F64, I32, I32, I32], results: [] }, { params: [I32], results: [I32] }],
    imports: [{ name: 'rd', type: 0 }, { name: 'wr', type: 1 }],
    memoryPages: 1,
    funcs: units.map((u, i) => ({ type: 2, locals: [[23, I64], [4, I32], [1, F64]], body: unitBody(u, mode), export: `u${i}` })),
  });
}

/** Build the wasm module bytes for a unit. */
export function wasmBytes(u: Unit, mode: WasmMemoryMode): Uint8Array<ArrayBuffer> {
  return wasmBytesMany([u], mode);
}

/** The shared memory, the imports, and the glue that moves a Cpu's state in and out. */
export class WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly u8: Uint8Array; readonly u32: Uint32Array; readonly i32: Int32Array; readonly f64: Float64Array;
  cur: Cpu | null = null;
  readonly imports: WebAssembly.Imports;

  constructor(readonly resident: Region | null) {
    const pages = Math.ceil((GBASE + (resident?.size ?? 0)) / 65536) + 1;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf); this.u32 = new Uint32Array(buf); this.i32 = new Int32Array(buf); this.f64 = new Float64Array(buf);
    const i32 = this.i32;
    this.imports = { e: {
      m: this.memory,
      rd: (addr: number, size: number): number => { const c = this.cur!; const lo = c.rd(addr, size); i32[SCRATCH >> 2] = c.tHi; return lo | 0; },
      wr: (addr: number, size: number, lo: number, hi: number): void => { this.cur!.wr(addr, size, lo >>> 0, hi); },
    } };
  }

  mode(): WasmMemoryMode { return { resident: this.resident === null ? null : { start: this.resident.start, size: this.resident.size } }; }

  /** Guest memory of the resident region into wasm memory, and back. */
  pushMemory(): void { if (this.resident) this.u8.set(this.resident.bytes, GBASE); }
  pullMemory(): void { if (this.resident) this.resident.bytes.set(this.u8.subarray(GBASE, GBASE + this.resident.size)); }

  /** Registers from the Cpu into the register file. */
  pushRegs(c: Cpu): void { const w = this.u32, lo = c.lo, hi = c.hi; for (let r = 0; r < 16; r++) { w[r * 2] = lo[r]; w[r * 2 + 1] = hi[r]; } }

  /** The register file, rip and the lazy flags back into the Cpu. */
  pullState(c: Cpu): void {
    const w = this.u32, s = this.i32, lo = c.lo, hi = c.hi;
    for (let r = 0; r < 16; r++) { lo[r] = w[r * 2]; hi[r] = s[r * 2 + 1]; }
    c.rip = this.f64[RIP >> 3];
    const fk = s[FK >> 2];
    if (fk >= 0) {
      const li = c.li;
      li[L.LK] = fk; li[L.LSZ] = s[FS >> 2];
      li[L.ALO] = w[FA >> 2]; li[L.AHI] = s[(FA >> 2) + 1]; li[L.BLO] = w[FB >> 2]; li[L.BHI] = s[(FB >> 2) + 1]; li[L.RLO] = w[FR >> 2]; li[L.RHI] = s[(FR >> 2) + 1];
    }
  }
}

export type WasmFn = (budget: number) => number;

/** Compile and instantiate a unit (synchronous: V8 compiles with its baseline compiler, Liftoff, and tiers up hot functions). */
export function compileWasm(u: Unit, rt: WasmRuntime, breakAdd = false): WasmFn {
  const bytes = wasmBytes(u, { ...rt.mode(), breakAdd });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), rt.imports);
  return inst.exports.u0 as WasmFn;
}

/** Compile many units as one module (how a production compiler would batch), returning their functions. */
export function compileWasmMany(units: Unit[], rt: WasmRuntime): WasmFn[] {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(wasmBytesMany(units, rt.mode())), rt.imports);
  return units.map((_, i) => inst.exports[`u${i}`] as WasmFn);
}

/** Run a compiled unit on a Cpu: registers in, run, state out (what a production glue would do per entry). */
export function runWasm(rt: WasmRuntime, f: WasmFn, c: Cpu, budget: number): number {
  rt.cur = c;
  rt.pushRegs(c);
  const n = f(budget);
  rt.pullState(c);
  return n;
}
