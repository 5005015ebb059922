// Tier 2: plans units of hot x86 code and compiles them, with the WebAssembly backend (jit-wasm.ts, the default) or into JS functions (here), to run where the interpreter would skip the fetch model (see cpu.ts run loop).
//
// A unit is the code reachable from a hot entry through direct jumps and fallthrough (a loop nest, the
// body of a function), cut at calls, returns, indirect jumps and anything the compiler leaves to the
// interpreter. The JS backend compiles it to one JS function: its basic blocks are the cases of a
// switch, jumps inside the unit stay inside the function. The commonest forms (mov, lea, movzx, push,
// pop, the 4/8-byte ALU operations, jcc) are inlined with their operands as constants, with the
// memory fast path of Cpu.rd/wr and the lazy flags of alu.ts; a cmp or test feeds the following jcc
// from locals, and its flags reach the CPU only before something that may fault or leave the block.
// Every other instruction calls the executor the interpreter would (its fast handler or the generic
// one) with its decoded form as a constant, so results, lazy flags and faults are the interpreter's
// own. The wasm backend does the same in WebAssembly, over the CPU state in the arena; it compiles
// units in batches (the warm entries, see noteWarm).
//
// Exactness: a unit runs only when every byte it covers was written (text_poke) no later than the
// CPU's last serialization, which is when the interpreter's fetch model would return the cached
// instruction without asking the chooser; a block runs only when all of it fits in the slice's budget,
// so instruction counts, interrupts and chooser decisions are the interpreter's; any write into a
// unit's lines kills it (Region.invalidate), and a unit that stores into its own code stops after
// that store; the recent-instructions ring and the cycle count are kept per instruction, so a fault
// inside a unit reports what the interpreter would.

import { Op, Pfx, type Insn } from './insn.js';
import { isVisible } from './handlers.js';
import { LINE_SHIFT, type Region } from '../memory.js';
import { L } from '../arena.js';
import * as ALU from './alu.js';
import * as MOV from './mov.js';
import * as STACK from './stack.js';
import * as BRANCH from './branch.js';
import * as FLAGS from './flags.js';
import * as SHIFT from './shift.js';
import * as MULDIV from './muldiv.js';
import * as BITS from './bits.js';
import * as STRING from './string.js';
import { compileWasmBatch, clearWasmCache, type WasmBlock, type WasmExecutors, type WasmCpu, type WasmUnitSpec } from './jit-wasm.js';

/** Figures of the compiler, for benchmarks and tests (process-wide, since compiled units are shared through the cache). */
export interface JitStats {
  /** Units compiled (cache misses that reached the compiler). */
  unitsCompiled: number;
  /** Units found in the cache by address and bytes (a repeated boot, a snapshot restore). */
  unitsReused: number;
  /** Milliseconds spent generating and instantiating compiled code. */
  compileMs: number;
  /** Instructions retired inside compiled units. */
  instructions: number;
  /** Entries into compiled units (from the interpreter, or chained: see `chained`). */
  entries: number;
  /** Of those, units entered straight from another unit (the wasm backend's chaining). */
  chained: number;
  /** Characters of JS source generated (what V8 parses and compiles). */
  sourceChars: number;
}

export const jitStats: JitStats = { unitsCompiled: 0, unitsReused: 0, compileMs: 0, instructions: 0, entries: 0, chained: 0, sourceChars: 0 };

/** Reset the figures (benchmarks measure one run at a time). */
export function resetJitStats(): void {
  jitStats.unitsCompiled = 0; jitStats.unitsReused = 0; jitStats.compileMs = 0; jitStats.instructions = 0; jitStats.entries = 0; jitStats.chained = 0; jitStats.sourceChars = 0;
}

/**
 * Deliberately broken variants of the compiler, for the tests' negative controls (a check that was
 * never seen failing proves nothing). Never set outside tests.
 */
export const jitBroken = {
  /** Units run even where the fetch model would have had a say (bytes written since the CPU serialized). */
  ignoreFetchModel: false,
  /** A write into a unit's text leaves it alive. */
  keepKilled: false,
  /** A jcc fused with a cmp/sub takes the opposite branch for l/ge. */
  invertSignedJcc: false,
  /** Compiled wasm code takes a cached region descriptor without checking it belongs to its CPU's machine. */
  ignoreRegionTag: false,
  /** The wasm backend emits a shift without its flags even where a later instruction reads them. */
  shiftFlagsAlwaysDead: false,
  /** The wasm backend's shift by 1 keeps the previous OF (as a shift by more does) instead of computing it. */
  shiftKeepsOf: false,
  /** A killed unit stays in its region's entry map: compiled code may still chain into it. */
  chainIntoKilled: false,
  /** Compiled code chains from unit to unit even where the fetch model would have had a say. */
  chainIgnoresFetchModel: false,
  /** A patch site in compiled code does not report itself to the site log (MachineEvents.siteExecs). */
  sitesUnlogged: false,
  /** Compiled code's ret takes any return address as the one the shadow stack expects. */
  retSkipsShadow: false,
  /** Compiled code's call records a time one cycle late on the shadow stack. */
  shadowTimeOff: false,
  /** The wasm backend's imul never reports an overflow (CF and OF clear). */
  imulOverflowClear: false,
  /** The wasm backend's 64-bit mul drops the carry out of the middle column into the high half. */
  mulDropsCarry: false,
  /** The wasm backend's div takes its native path even when the dividend's high half is not zero. */
  divIgnoresHigh: false,
  /** The wasm backend's indirect call pushes no shadow-stack entry. */
  indirectCallSkipsShadow: false,
  /** The wasm backend's imports leave a block's ring entry counting the whole block (a fault mid-block shows instructions that did not run). */
  ringRunsWhole: false,
  /** Compiled code goes on after a rep string instruction whose chunk left it unfinished (the bug both backends had). */
  repRunsOn: false,
  /** The wasm backend's rep stos of bytes stores them one by one (not a broken variant: the path the wider sizes take, compared). */
  stosLoopOnly: false,
  /** The wasm backend's rep movs copies as memory.copy (memmove) even when the destination lies just above the source. */
  movsAsMemmove: false,
  /** The wasm backend's native stos and movs check only their first byte against the cached region. */
  stringRangeIgnoresLength: false,
  /** (Not a broken variant: a comparison.) The wasm backend takes every jump inside a unit through the dispatch at the top of its loop, forward ones too. */
  jumpsThroughDispatch: false,
  /** (Not a broken variant: a comparison.) Compiled code leaves every call and ret to the monitor, through the exec import. */
  callsThroughMonitor: false,
  /** (Not a broken variant: a comparison.) Indirect jmp and call go through the exec import. */
  indirectThroughImport: false,
};

/** A bad FTSIM_JIT_* value (the default is used; the CLI refuses to run with it: see cli/tier.ts). */
export let jitEnvProblem: string | null = null;

/**
 * When to compile: an instruction the interpreter has run `hot` times becomes the entry of a unit
 * of at most `maxUnit` instructions. The default is 1,000 for the wasm backend and 20,000 for the JS
 * one, whose units V8 runs slowly until it has optimized them; tests lower it to run nearly
 * everything compiled. FTSIM_JIT_HOT sets it from the environment.
 */
export const jitConfig: { backend: JitBackend; hot: number; maxUnit: number; readonly warm: number } = {
  backend: envBackend(),
  hot: 0,
  maxUnit: envInt('FTSIM_JIT_MAX', 600),
  /** Runs after which an instruction joins the next batch (wasm backend): a fraction of `hot`. */
  get warm(): number { return Math.max(1, Math.floor(this.hot / WARM_DIV)); },
};
jitConfig.hot = envInt('FTSIM_JIT_HOT', jitConfig.backend === 'wasm' ? 1_000 : 20_000);

/** What the compiler emits: WebAssembly (jit-wasm.ts) or JS source (this file). */
export type JitBackend = 'wasm' | 'js';

function envBackend(): JitBackend {
  const v = typeof process !== 'undefined' ? process.env.FTSIM_JIT_BACKEND : undefined;
  if (v === undefined || v === '' || v === 'wasm') return 'wasm';
  if (v === 'js') return 'js';
  jitEnvProblem = `FTSIM_JIT_BACKEND must be wasm or js, got '${v}'`;
  return 'wasm';
}

function envInt(name: string, dflt: number): number {
  const v = typeof process !== 'undefined' ? process.env[name] : undefined;
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) { jitEnvProblem = `${name} must be a positive integer, got '${v}'`; return dflt; }
  return n;
}

/** How far from its entry a unit reaches, in bytes (a function's extent, about). */
const REACH = 8192;

/** The CPU as compiled code sees it (cpu.ts passes itself). */
export interface JitCpu {
  cycles: number;
  recentPos: number;
  rip: number;
}

/** A compiled unit's code: runs from block `pc` until an exit or the budget `lim`, keeping cycles, ring position and rip in the CPU. */
export type UnitFn = (c: JitCpu, u: Unit, pc: number, lim: number, ring: Float64Array) => void;

/** A compiled unit placed in a region: its code, its instructions, and whether it still stands for what memory holds. */
export class Unit {
  alive = true;
  /** The latest text-write time of any byte it covers (refreshed while above a CPU's serialization time). */
  lastWrite: number;
  constructor(
    readonly fn: UnitFn,
    /** The decoded instructions its code executes, by index (the interpreter's own objects). */
    readonly D: Insn[],
    readonly region: Region,
    /** [offset, length] of every instruction, for the fetch-model check. */
    readonly spans: Int32Array,
    readonly lines: number[],
    readonly entry: number,
  ) {
    this.lastWrite = this.scanLastWrite();
  }

  scanLastWrite(): number {
    const lw = this.region.lastWrite;
    if (lw === null) return 0;
    let m = 0;
    const s = this.spans;
    for (let i = 0; i < s.length; i += 2) {
      for (let o = s[i], e = s[i] + s[i + 1]; o < e; o++) if (lw[o] > m) m = lw[o];
    }
    return m;
  }

  /** Would the interpreter's fetch model hand a CPU serialized at S the cached instructions, without a choice? */
  fresh(S: number): boolean {
    if (this.lastWrite <= S || jitBroken.ignoreFetchModel) return true;
    this.lastWrite = this.scanLastWrite(); // a write in progress may have ended since (its bytes then stand settled)
    return this.lastWrite <= S;
  }

  /** What takes it out of compiled code's own lookups (the wasm backend's entry map), once. */
  unlink: (() => void) | null = null;

  kill(): void {
    if (jitBroken.keepKilled) return;
    this.alive = false;
    if (this.unlink !== null) { this.unlink(); this.unlink = null; }
  }
}

// ---- what can be compiled -------------------------------------------------------------

/** The executors compiled code may call, by the name the generated source uses. */
const MODULES: Record<string, Record<string, unknown>> = { ALU, MOV, STACK, BRANCH, FLAGS, SHIFT, MULDIV, BITS, STRING };
let fnNames: Map<unknown, string> | null = null;

/** Name of an executor function in the generated source ("MOV.hLoad64"), built on first use (the modules import cpu.ts). */
function nameOf(f: unknown): string | undefined {
  if (fnNames === null) {
    fnNames = new Map();
    for (const [m, ns] of Object.entries(MODULES)) for (const [k, v] of Object.entries(ns)) if (typeof v === 'function') fnNames.set(v, `${m}.${k}`);
  }
  return fnNames.get(f);
}

/** The generic executor of an instruction without a fast handler that compiled code may run (null: the interpreter keeps it). */
function genericOf(d: Insn): string | null {
  switch (d.op) {
    case Op.MOV: return 'MOV.execMov';
    case Op.ADD: case Op.OR: case Op.ADC: case Op.SBB: case Op.AND: case Op.SUB: case Op.XOR: case Op.CMP: case Op.TEST: return 'ALU.execAlu';
    case Op.LEA: return 'MOV.execLea';
    case Op.MOVZX: return 'MOV.execMovzx';
    case Op.MOVSX: case Op.MOVSXD: return 'MOV.execMovsx';
    case Op.PUSH: return 'STACK.execPush';
    case Op.POP: return 'STACK.execPop';
    case Op.PUSH_IMM: return 'STACK.execPushImm';
    case Op.CALL_IND: return 'BRANCH.execCallInd';
    case Op.JMP_IND: return 'BRANCH.execJmpInd';
    case Op.SETCC: return 'FLAGS.execSetcc';
    case Op.CMOVCC: return 'FLAGS.execCmovcc';
    case Op.INC: case Op.DEC: return 'ALU.execIncDec';
    case Op.NOT: case Op.NEG: return 'ALU.execNotNeg';
    case Op.XCHG: return d.hasMem ? null : 'MOV.execXchg';
    case Op.XADD: return 'ALU.execXadd';
    case Op.BSWAP: return 'BITS.execBswap';
    case Op.CBW: return 'MOV.execCbw';
    case Op.CWD: return 'MOV.execCwd';
    case Op.LEAVE: return 'STACK.execLeave';
    case Op.SHIFT: return 'SHIFT.execShift';
    case Op.SHLD: case Op.SHRD: return 'SHIFT.execShiftDouble';
    case Op.IMUL2: case Op.IMUL3: return 'MULDIV.execImulN';
    case Op.MUL1: case Op.IMUL1: return 'MULDIV.execMul1';
    case Op.DIV: case Op.IDIV: return 'MULDIV.execDiv';
    case Op.BT: return 'BITS.execBt';
    case Op.BSF: case Op.BSR: case Op.TZCNT: case Op.LZCNT: case Op.POPCNT: return 'BITS.execBitScan';
    case Op.MOVS: case Op.STOS: case Op.LODS: case Op.CMPS: case Op.SCAS: return 'STRING.execString';
    case Op.SAHF: return 'FLAGS.execSahf';
    case Op.LAHF: return 'FLAGS.execLahf';
    case Op.CLC: return 'FLAGS.execClc';
    case Op.STC: return 'FLAGS.execStc';
    case Op.CMC: return 'FLAGS.execCmc';
    default: return null; // cycles, interrupt state, ports, hypercalls, traps, serialization: the interpreter's
  }
}

/** Nothing to execute but rip. */
function isNop(d: Insn): boolean {
  return d.op === Op.NOP || d.op === Op.PAUSE || d.op === Op.MFENCE;
}

/**
 * A repeated string instruction: the interpreter runs it in chunks (string.ts), and one that has not
 * finished leaves rip at its own address, to run again as the next step. Compiled code leaves the unit
 * there, so the next chunk is a step of its own, as in the interpreter.
 */
export function restartsAtSelf(d: Insn): boolean {
  return (d.op === Op.MOVS || d.op === Op.STOS || d.op === Op.LODS || d.op === Op.CMPS || d.op === Op.SCAS) && (d.prefixes & (Pfx.REP | Pfx.REPNE)) !== 0;
}

/** May store to memory (after it, a unit checks that it has not overwritten itself). */
function mayStore(d: Insn): boolean {
  switch (d.op) {
    case Op.PUSH: case Op.PUSH_IMM: case Op.CALL: case Op.CALL_IND: case Op.MOVS: case Op.STOS: return true;
    case Op.CMP: case Op.TEST: case Op.LEA: return false;
    case Op.BT: return d.hasMem && d.ext !== 0;
    default: return d.hasMem && (d.rmIsDst || d.op === Op.XADD || d.op === Op.XCHG);
  }
}

/**
 * A patch site the wasm backend compiles: the site's whole contents as one nop or one direct call
 * (ftrace's mcount sites when off or on). What the interpreter does there besides executing it, it
 * does too (the site log, MachineEvents.siteExecs); a text write into the site kills the unit, and
 * while the site's bytes are in flux for a CPU the fetch model runs it interpreted, as any other text.
 */
function compiledSite(r: Region, off: number, d: Insn): boolean {
  if (jitConfig.backend !== 'wasm' || d.midSite || r.siteInterior.has(off)) return false;
  const s = r.sites.get(off);
  return s !== undefined && s.len === d.len && (d.op === Op.NOP || d.op === Op.CALL);
}

/** Compilable: no patch site (but those compiledSite takes), nothing another CPU observes, an executor compiled code can call. */
function compilable(r: Region, off: number, d: Insn): boolean {
  if (d.atSite || d.midSite || r.sites.has(off) || r.siteInterior.has(off)) return compiledSite(r, off, d);
  if (isVisible(d) || d.op === Op.INVALID || d.op === Op.NOEXEC) return false;
  if ((d.prefixes & Pfx.LOCK) !== 0) return false;
  if (d.op === Op.JCC || d.op === Op.JMP || d.op === Op.CALL || d.op === Op.RET || d.op === Op.RET_IMM || isNop(d)) return true;
  if (d.handler !== null) return nameOf(d.handler) !== undefined;
  return genericOf(d) !== null;
}

// ---- planning -------------------------------------------------------------------------

interface Block {
  start: number; // region offset
  insns: number[]; // offsets
}

/**
 * The unit reachable from `entry` (an offset of `r`): its instructions, and the blocks they form.
 * Null when there is too little to compile.
 */
function plan(r: Region, entry: number): { blocks: Block[]; insns: Map<number, Insn> } | null {
  const insns = new Map<number, Insn>();
  const leaders = new Set<number>([entry]);
  const work = [entry];
  const lo = Math.max(0, entry - REACH), hi = Math.min(r.size, entry + REACH);
  const inRange = (o: number): boolean => o >= lo && o < hi;
  while (work.length > 0 && insns.size < jitConfig.maxUnit) {
    let off = work.pop()!;
    while (insns.size < jitConfig.maxUnit && inRange(off) && !insns.has(off)) {
      // only what the interpreter has decoded and run (a cold path is an exit): smaller units, no
      // compiled code without type feedback for V8 to deoptimize on, and every decode stays the
      // interpreter's own (with its mid-instruction check at patch sites)
      const d = r.icache![off];
      if (d === null || (off !== entry && d.heat === 0) || !compilable(r, off, d)) break;
      // code another unit already enters here stays that unit's: this one exits to it
      if (off !== entry && d.unit !== null && d.unit.alive) break;
      insns.set(off, d);
      const next = off + d.len;
      if (d.op === Op.JCC || d.op === Op.JMP) {
        const t = d.target - r.start;
        if (inRange(t)) { leaders.add(t); work.push(t); }
        if (d.op === Op.JMP) break;
        leaders.add(next);
      } else if (d.op === Op.CALL) {
        leaders.add(next); // where the callee returns to: an entry of this unit
        work.push(next);
        break;
      } else if (d.op === Op.RET || d.op === Op.RET_IMM || d.op === Op.JMP_IND) {
        break;
      } else if (d.op === Op.CALL_IND) {
        leaders.add(next);
        work.push(next);
        break;
      }
      off = next;
    }
  }
  // blocks: from each leader that was reached, up to the next leader or the end of what was reached
  const blocks: Block[] = [];
  for (const l of [...leaders].sort((a, b) => a - b)) {
    if (!insns.has(l)) continue;
    const b: Block = { start: l, insns: [] };
    let off = l;
    for (;;) {
      const d = insns.get(off)!;
      b.insns.push(off);
      if (endsBlock(d)) break;
      off += d.len;
      if (!insns.has(off) || leaders.has(off)) break;
    }
    blocks.push(b);
  }
  if (insns.size < 2) return null;
  return { blocks, insns };
}

function endsBlock(d: Insn): boolean {
  switch (d.op) {
    case Op.JCC: case Op.JMP: case Op.CALL: case Op.CALL_IND: case Op.JMP_IND: case Op.RET: case Op.RET_IMM: return true;
    default: return false;
  }
}

// ---- code generation ------------------------------------------------------------------

const TWO32 = 4294967296;

/** Lazy-flag kinds (flags.ts Lazy) the templates leave. */
const K_ADD = 1, K_SUB = 2, K_LOGIC = 3;

/** The flags a template left in the unit's locals fa*, fb*, fr* (a following jcc reads them there). */
interface Fused { kind: number; size: number }

/**
 * Source computing the effective address of d's memory operand into `A` (as Cpu.ea does, exactly),
 * or null when it needs the CPU (a segment base).
 */
function eaSrc(d: Insn, j: number): string {
  if (d.prefixes & (Pfx.FS | Pfx.GS)) return `const A = c.ea(D[${j}]);`;
  if (d.base < 0 && d.index < 0) return `const A = ${(d.dispHi | 0) * TWO32 + d.dispLo};`;
  return `${addrSrc(d)} const A = (ah | 0) * ${TWO32} + al;`;
}

/** Source of Cpu.lea's computation: base + index * scale + disp, exact modulo 2^64, into al (low, unsigned) and ah (high). */
function addrSrc(d: Insn): string {
  let lo = `${d.dispLo}`, hi = `${d.dispHi}`;
  if (d.base >= 0) { lo += ` + lo[${d.base}]`; hi += ` + hi[${d.base}]`; }
  if (d.index >= 0) { lo += ` + lo[${d.index}] * ${d.scale}`; hi += ` + Math.imul(hi[${d.index}], ${d.scale})`; }
  return `let al = ${lo}, ah = ${hi}; if (al >= ${TWO32}) { const q = Math.floor(al / ${TWO32}); al -= q * ${TWO32}; ah += q; }`;
}

/**
 * Source of Cpu.rd's fast path inline (the CPU's most recent data region holds the bytes), else the
 * call: the same bytes, the same region caches. Sets `lv` (and `hv` for 8 bytes).
 */
function rdSrc(size: number, lv: string, hv: string | null): string {
  const get = size === 8 ? `${lv} = R.dv.getUint32(o, true);${hv !== null ? ` ${hv} = R.dv.getInt32(o + 4, true);` : ''}`
    : size === 4 ? `${lv} = R.dv.getUint32(o, true);` : size === 2 ? `${lv} = R.dv.getUint16(o, true);` : `${lv} = R.bytes[o];`;
  const slow = `${lv} = c.rd(A, ${size});${hv !== null && size === 8 ? ` ${hv} = c.tHi;` : ''}`;
  return `{ const R = c.data, o = A - R.start; if (o >= 0 && o + ${size} <= R.size) { ${get} } else { ${slow} } }`;
}

/** Source of Cpu.wr's fast path inline (a writable most recent data region), else the call. */
function wrSrc(size: number, lv: string, hv: string): string {
  const set = size === 8 ? `R.dv.setUint32(o, ${lv}, true); R.dv.setInt32(o + 4, ${hv}, true);`
    : size === 4 ? `R.dv.setUint32(o, ${lv}, true);` : size === 2 ? `R.dv.setUint16(o, ${lv}, true);` : `R.bytes[o] = ${lv};`;
  return `{ const R = c.data, o = A - R.start; if (o >= 0 && o + ${size} <= R.size && (R.perm & 2) !== 0) { ${set} if (R.icache !== null) R.invalidate(o, ${size}); } else c.wr(A, ${size}, ${lv}, ${hv}); }`;
}

/** Source reading a 4- or 8-byte operand into fa0/fa1 (or fb0/fb1): a register, memory at A, or an immediate. */
function readSrc(v: string, size: number, kind: 'reg' | 'mem' | 'imm', d: Insn, r: number): string {
  if (kind === 'imm') return size === 8 ? `${v}0 = ${d.immLo}; ${v}1 = ${d.immHi};` : `${v}0 = ${d.immLo >>> 0}; ${v}1 = 0;`;
  if (kind === 'mem') return size === 8 ? rdSrc(8, `${v}0`, `${v}1`) : `${rdSrc(4, `${v}0`, null)} ${v}1 = 0;`;
  return size === 8 ? `${v}0 = lo[${r}]; ${v}1 = hi[${r}];` : `${v}0 = lo[${r}]; ${v}1 = 0;`;
}

/**
 * Inline source for the commonest forms (what the fast handlers and alu() do, with the operands
 * known), or null: the instruction's executor is called instead. `fused` is updated: the flags a
 * template computed stay in locals until something else may touch them.
 */
function inline(d: Insn, j: number, st: GenState): string | null {
  const size = d.size;
  const seg = (d.prefixes & (Pfx.FS | Pfx.GS)) !== 0;
  const N = `c.rip = ${d.next};`;
  switch (d.op) {
    case Op.MOV: {
      if (size < 4) return null;
      if (d.hasMem) {
        if (d.rmIsDst) {
          const [vl, vh] = d.reg === NO_REG_ ? [`${d.immLo}`, `${d.immHi}`] : [`lo[${d.reg}]`, `hi[${d.reg}]`];
          return `{ ${N} ${eaSrc(d, j)} ${wrSrc(size, vl, vh)} }`;
        }
        return size === 8 ? `{ ${N} ${eaSrc(d, j)} let v0 = 0, v1 = 0; ${rdSrc(8, 'v0', 'v1')} lo[${d.reg}] = v0; hi[${d.reg}] = v1; }`
          : `{ ${N} ${eaSrc(d, j)} let v0 = 0; ${rdSrc(4, 'v0', null)} lo[${d.reg}] = v0; hi[${d.reg}] = 0; }`;
      }
      if (d.reg === NO_REG_) return `lo[${d.rm}] = ${d.immLo}; hi[${d.rm}] = ${size === 8 ? d.immHi : 0};`;
      const src = d.rmIsDst ? d.reg : d.rm, dst = d.rmIsDst ? d.rm : d.reg;
      return size === 8 ? `lo[${dst}] = lo[${src}]; hi[${dst}] = hi[${src}];` : `lo[${dst}] = lo[${src}]; hi[${dst}] = 0;`;
    }
    case Op.LEA: {
      if (size < 4 || seg) return null;
      if (size !== 8) return null;
      if (d.base < 0 && d.index < 0) return `lo[${d.reg}] = ${d.dispLo}; hi[${d.reg}] = ${d.dispHi | 0};`;
      return `{ ${addrSrc(d)} lo[${d.reg}] = al; hi[${d.reg}] = ah | 0; }`;
    }
    case Op.MOVZX:
      if (!d.hasMem || size < 4) return null;
      return `{ ${N} ${eaSrc(d, j)} let v0 = 0; ${rdSrc(d.srcSize, 'v0', null)} lo[${d.reg}] = v0; hi[${d.reg}] = 0; }`;
    case Op.PUSH:
      if (d.reg === NO_REG_ || size !== 8) return null;
      return `{ ${N} const v0 = lo[${d.reg}], v1 = hi[${d.reg}]; let s0 = lo[4] - 8, s1 = hi[4]; if (s0 < 0) { s0 += ${TWO32}; s1 = (s1 - 1) | 0; } const A = s1 * ${TWO32} + s0; ${wrSrc(8, 'v0', 'v1')} lo[4] = s0; hi[4] = s1; }`;
    case Op.POP:
      if (d.reg === NO_REG_ || size !== 8) return null;
      return `{ ${N} const s0 = lo[4], s1 = hi[4]; const A = s1 * ${TWO32} + s0; let v = 0, vh = 0; ${rdSrc(8, 'v', 'vh')} const n0 = s0 + 8; if (n0 >= ${TWO32}) { lo[4] = n0 - ${TWO32}; hi[4] = (s1 + 1) | 0; } else lo[4] = n0; lo[${d.reg}] = v; hi[${d.reg}] = vh; }`;
    case Op.ADD: case Op.SUB: case Op.CMP: case Op.AND: case Op.TEST: case Op.OR: case Op.XOR: {
      if (size < 4) return null;
      const mem = d.rm === NO_REG_;
      let code = `{ ${mem ? N + ' ' + eaSrc(d, j) + ' ' : ''}`;
      let dst: 'reg' | 'mem', dstReg: number;
      if (d.rmIsDst || d.op === Op.TEST) {
        dst = mem ? 'mem' : 'reg'; dstReg = d.rm;
        code += readSrc('fa', size, dst, d, d.rm) + ' ' + readSrc('fb', size, d.reg !== NO_REG_ ? 'reg' : 'imm', d, d.reg);
      } else {
        dst = 'reg'; dstReg = d.reg;
        code += readSrc('fa', size, 'reg', d, d.reg) + ' ' + readSrc('fb', size, mem ? 'mem' : 'reg', d, d.rm);
      }
      let kind: number;
      switch (d.op) {
        case Op.ADD: code += ` fr0 = fa0 + fb0; fr1 = (fa1 + fb1 + (fr0 >= ${TWO32} ? 1 : 0)) | 0;`; kind = K_ADD; break;
        case Op.SUB: case Op.CMP: code += ' fr0 = fa0 - fb0; fr1 = (fa1 - fb1 - (fr0 < 0 ? 1 : 0)) | 0;'; kind = K_SUB; break;
        case Op.AND: case Op.TEST: code += ' fr0 = fa0 & fb0; fr1 = fa1 & fb1;'; kind = K_LOGIC; break;
        case Op.OR: code += ' fr0 = fa0 | fb0; fr1 = fa1 | fb1;'; kind = K_LOGIC; break;
        default: code += ' fr0 = fa0 ^ fb0; fr1 = fa1 ^ fb1;'; kind = K_LOGIC; break;
      }
      code += size === 8 ? ' fr0 >>>= 0;' : ' fr0 >>>= 0; fr1 = 0;';
      st.fused = { kind, size };
      st.pending = true;
      if (d.op !== Op.CMP && d.op !== Op.TEST) {
        // the store may fault: the flags must then be in the CPU already, as alu() leaves them
        if (dst === 'mem') { code += ' ' + flushSrc(st) + ' ' + wrSrc(size, 'fr0', 'fr1'); }
        else code += size === 8 ? ` lo[${dstReg}] = fr0; hi[${dstReg}] = fr1;` : ` lo[${dstReg}] = fr0; hi[${dstReg}] = 0;`;
      }
      return code + ' }';
    }
    default:
      return null;
  }
}

/** What the generator knows of the flags inside a block. */
interface GenState {
  /** The flags are in the locals fa*, fb*, fr* as this operation left them. */
  fused: Fused | null;
  /** ...and not yet in the CPU's lazy-flag fields (stored before anything that may fault or leave). */
  pending: boolean;
}

/** Store the fused flags into the CPU's lazy-flag fields, as alu() does. */
function flushSrc(st: GenState): string {
  const f = st.fused!;
  st.pending = false;
  return `li[${L.LK}] = ${f.kind}; li[${L.LSZ}] = ${f.size}; li[${L.RLO}] = fr0; li[${L.RHI}] = fr1; li[${L.ALO}] = fa0; li[${L.AHI}] = fa1; li[${L.BLO}] = fb0; li[${L.BHI}] = fb1; c.tHi = fr1;`;
}

/** Templates that neither fault nor call out: pending flags may stay in locals across them. */
function faultFree(d: Insn): boolean {
  if (isNop(d)) return true;
  if ((d.prefixes & (Pfx.FS | Pfx.GS)) !== 0 || d.size < 4) return false;
  switch (d.op) {
    case Op.MOV: return !d.hasMem;
    case Op.LEA: return d.size === 8;
    case Op.ADD: case Op.SUB: case Op.CMP: case Op.AND: case Op.TEST: case Op.OR: case Op.XOR: return d.rm !== NO_REG_;
    default: return false;
  }
}

/** Flag-neutral templates: the fused flags survive them. */
function keepsFlags(d: Insn): boolean {
  return d.op === Op.MOV || d.op === Op.LEA || d.op === Op.MOVZX || d.op === Op.PUSH || d.op === Op.POP || isNop(d);
}

/** A jcc's condition from the fused flags, or null (the CPU's cond() evaluates it). */
function condSrc(cc: number, f: Fused): string | null {
  const s8 = f.size === 8;
  const ZF = s8 ? '(fr0 === 0 && fr1 === 0)' : '(fr0 === 0)';
  const SF = s8 ? '(fr1 < 0)' : '(fr0 >= 2147483648)';
  let e: string | null = null;
  const k = cc >> 1;
  if (f.kind === K_SUB) {
    const CF = s8 ? '((fa1 >>> 0) < (fb1 >>> 0) || (fa1 === fb1 && fa0 < fb0))' : '(fa0 < fb0)';
    const LT = s8 ? '(fa1 < fb1 || (fa1 === fb1 && fa0 < fb0))' : '((fa0 | 0) < (fb0 | 0))';
    e = k === 1 ? CF : k === 2 ? ZF : k === 3 ? `(${CF} || ${ZF})` : k === 4 ? SF : k === 6 ? LT : k === 7 ? `(${LT} || ${ZF})` : null;
    if (k === 6 && jitBroken.invertSignedJcc) e = `!${LT}`;
  } else if (f.kind === K_LOGIC) {
    e = k === 0 || k === 1 ? 'false' : k === 2 || k === 3 ? ZF : k === 4 || k === 6 ? SF : k === 7 ? `(${ZF} || ${SF})` : null;
  } else {
    e = k === 2 ? ZF : k === 4 ? SF : null;
  }
  if (e === null) return null;
  return cc & 1 ? `!${e}` : e;
}

const NO_REG_ = -1;

/** JS source of a unit: a switch over its blocks inside a loop; `D` holds its instructions by index. */
function generate(r: Region, blocks: Block[], insns: Map<number, Insn>): { src: string; D: Insn[] } {
  const D: Insn[] = [];
  const index = new Map<number, number>(); // block start offset -> case number
  blocks.forEach((b, i) => index.set(b.start, i));
  const out: string[] = [];
  const used = new Set<string>();
  const call = (name: string, j: number): string => { used.add(name); return `${name.replace('.', '_')}(c, D[${j}]);`; };
  const jumpTo = (targetOff: number, addr: number): string => {
    const k = index.get(targetOff);
    return k !== undefined ? `{ pc = ${k}; continue; }` : `{ c.rip = ${addr}; break; }`;
  };
  blocks.forEach((b, i) => {
    out.push(`case ${i}:`);
    out.push(`if (cyc + ${b.insns.length} > lim) { c.rip = ${r.start + b.start}; break; }`);
    const st: GenState = { fused: null, pending: false };
    let fell = true;
    for (const off of b.insns) {
      const d = insns.get(off)!;
      const j = D.length;
      D.push(d);
      out.push(`ring[pos = (pos + 1) & 31] = ${d.addr};`);
      if (st.pending && !faultFree(d)) out.push(flushSrc(st));
      switch (d.op) {
        case Op.JCC: {
          const e = st.fused !== null ? condSrc(d.cond, st.fused) : null;
          let test: string;
          if (e !== null) test = e;
          else { used.add('FLAGS.cond'); test = `FLAGS_cond(c, ${d.cond})`; }
          out.push(`cyc++; if (${test}) ${jumpTo(d.target - r.start, d.target)} ${jumpTo(off + d.len, d.next)}`);
          fell = false;
          continue;
        }
        case Op.JMP:
          out.push(`cyc++; ${jumpTo(d.target - r.start, d.target)}`);
          fell = false;
          continue;
        case Op.CALL: case Op.CALL_IND:
          // the call/ret monitor reads the CPU's time: the interpreter has it exact at each handler call
          out.push('c.cycles = cyc; ' + call(d.op === Op.CALL ? 'BRANCH.hCall' : 'BRANCH.execCallInd', j));
          out.push('cyc++; break;');
          fell = false;
          continue;
        case Op.RET: case Op.RET_IMM: case Op.JMP_IND:
          out.push('c.cycles = cyc; ' + call(d.op === Op.JMP_IND ? 'BRANCH.execJmpInd' : 'BRANCH.hRet', j));
          out.push('cyc++; break;');
          fell = false;
          continue;
        default:
          break;
      }
      const before = st.fused, wasPending = st.pending;
      st.fused = null; st.pending = false;
      const t = isNop(d) ? `c.rip = ${d.next};` : inline(d, j, st);
      if (t !== null) {
        out.push(t);
        if (st.fused === null && keepsFlags(d)) { st.fused = before; st.pending = wasPending; }
      } else if (d.handler !== null) out.push(call(nameOf(d.handler)!, j));
      else out.push(`c.rip = ${d.next}; ` + call(genericOf(d)!, j));
      out.push('cyc++;');
      if (mayStore(d)) out.push(`if (!u.alive) break;`);
      if (restartsAtSelf(d) && !jitBroken.repRunsOn) out.push(`if (c.rip === ${d.addr}) break;`);
    }
    if (st.pending) out.push(flushSrc(st));
    if (fell) {
      const last = insns.get(b.insns[b.insns.length - 1])!;
      const nextOff = b.insns[b.insns.length - 1] + last.len;
      out.push(jumpTo(nextOff, last.next));
    }
  });
  const prologue = [...used].map((n) => `const ${n.replace('.', '_')} = M.${n};`).join('\n');
  const src = `${prologue}
return function unit(c, u, pc, lim, ring) {
  const D = u.D, lo = c.lo, hi = c.hi, li = c.li;
  let cyc = c.cycles, pos = c.recentPos;
  let fa0 = 0, fa1 = 0, fb0 = 0, fb1 = 0, fr0 = 0, fr1 = 0;
  try {
    for (;;) {
      switch (pc) {
${out.join('\n')}
      }
      break;
    }
  } catch (e) { c.cycles = cyc; c.recentPos = pos; throw e; }
  c.cycles = cyc; c.recentPos = pos;
};`;
  return { src, D };
}

/** The guest bytes of a unit's instructions, as a string key for the caches. */
function guestBytes(r: Region, D: Insn[]): string {
  const b = Buffer.allocUnsafe(D.reduce((a, d) => a + d.len, 0));
  let at = 0;
  for (const d of D) { const o = d.addr - r.start; b.set(r.bytes.subarray(o, o + d.len), at); at += d.len; }
  return b.toString('latin1');
}

/** The interpreter's executors, as the wasm backend's imports call them. */
const EXECUTORS: WasmExecutors = {
  exec(d: Insn): (c: WasmCpu, d: Insn) => void {
    if (d.handler !== null) return d.handler as (c: WasmCpu, d: Insn) => void;
    // at a patch site (no handler): a call as Cpu.exec runs it; a nop, which compiled code emits as nothing
    if (d.op === Op.CALL) return BRANCH.hCall as unknown as (c: WasmCpu, d: Insn) => void;
    if (isNop(d)) return (c, n) => { c.rip = n.next; };
    const [m, f] = genericOf(d)!.split('.');
    return MODULES[m][f] as (c: WasmCpu, d: Insn) => void;
  },
  cond: (c, cc) => FLAGS.cond(c as never, cc),
};

/** Compiled code by source and bytes: repeated boots and restored snapshots find their units here. */
const cache = new Map<string, UnitFn>();

/** Compiled units a region holds, by text line (Region.invalidate kills them). */
function register(r: Region, u: Unit): void {
  let m = r.jitLines;
  if (m === null) m = r.jitLines = new Map();
  for (const l of u.lines) {
    const a = m.get(l);
    if (a === undefined) m.set(l, [u]); else a.push(u);
  }
}

/**
 * Compile the unit entered at offset `entry` of `r` and link it to the instructions that start its
 * blocks (Insn.unit). Returns the unit, or null when there is nothing worth compiling there.
 */
export function compileUnit(r: Region, entry: number, owner: unknown = null): Unit | null {
  const t0 = performance.now();
  const u = jitConfig.backend === 'wasm' ? compileBatch(r, entry, owner) : compileJs(r, entry);
  jitStats.compileMs += performance.now() - t0;
  return u;
}

/** The JS backend: one function per unit. */
function compileJs(r: Region, entry: number): Unit | null {
  const p = plan(r, entry);
  if (p === null) return null;
  const g = generate(r, p.blocks, p.insns);
  const key = `${g.src}\n${guestBytes(r, g.D)}`;
  let f = cache.get(key);
  if (f === undefined) {
    f = new Function('M', g.src)(MODULES) as UnitFn;
    jitStats.sourceChars += g.src.length;
    cache.set(key, f);
    jitStats.unitsCompiled++;
  } else {
    jitStats.unitsReused++;
  }
  return install(r, entry, f, g.D, p.blocks);
}

/**
 * Warm entries for the wasm backend: instructions the interpreter has run a sixteenth of the threshold
 * times (Cpu.jitLoop notes them). They are compiled with the next batch, when some instruction
 * reaches the threshold: V8's cost per module is then paid once for many units.
 */
const warm: { owner: unknown; r: Region; d: Insn }[] = [];
const MAX_WARM = 1024;
/** `warm` is `hot` / WARM_DIV (measured: 16 made the largest batches without compiling code that never got hot). */
const WARM_DIV = 16;

/** Note an instruction as warm (its CPU's memory `owner` keeps machines apart). */
export function noteWarm(owner: unknown, r: Region, d: Insn): void {
  if (warm.length < MAX_WARM) warm.push({ owner, r, d });
}

/** The wasm backend: the unit entered at `entry`, compiled with the warm entries of the same machine into one module. */
function compileBatch(r: Region, entry: number, owner: unknown): Unit | null {
  const wanted: { r: Region; off: number }[] = [{ r, off: entry }];
  for (const w of warm) {
    if (w.owner !== owner || w.r.size === 0 || w.r.icache === null) continue;
    const off = w.d.addr - w.r.start;
    if (w.r.icache[off] !== w.d || (w.d.unit !== null && w.d.unit.alive) || (w.r === r && off === entry)) continue;
    wanted.push({ r: w.r, off });
  }
  warm.length = 0;
  const specs: (WasmUnitSpec & { entry: number })[] = [];
  // an entry inside code an earlier unit of the batch covers stays with that unit
  const covered = new Map<Region, Set<number>>();
  for (const { r: wr, off } of wanted) {
    let cov = covered.get(wr);
    if (cov === undefined) covered.set(wr, cov = new Set());
    if (cov.has(off)) continue;
    const p = plan(wr, off);
    if (p === null) continue;
    for (const o of p.insns.keys()) cov.add(o);
    const blocks: WasmBlock[] = p.blocks.map((b) => ({ start: b.start, insns: b.insns.map((o) => p.insns.get(o)!) }));
    specs.push({ r: wr, blocks, host: { u: null }, guest: guestBytes(wr, blocks.flatMap((b) => b.insns)), entry: off });
  }
  if (specs.length === 0) return null;
  const batch = compileWasmBatch(specs, EXECUTORS);
  jitStats.sourceChars += batch.bytes;
  if (batch.reused) jitStats.unitsReused += specs.length; else jitStats.unitsCompiled += specs.length;
  let first: Unit | null = null;
  specs.forEach((sp, i) => {
    const w = batch.units[i];
    // where the interpreter enters this unit, compiled code may chain into it too
    const at: { off: number; pc: number }[] = [];
    const u = install(sp.r, sp.entry, w.fn as unknown as UnitFn, w.D, sp.blocks, at);
    sp.host.u = u;
    u.unlink = w.link(at);
    if (i === 0 && sp.r === r && sp.entry === entry) first = u;
  });
  return first;
}

/** Place a compiled unit: its spans and lines, the region's index, the instructions that start its blocks (those it took go into `claimed`). */
function install(r: Region, entry: number, fn: UnitFn, D: Insn[], blocks: readonly { start: number }[], claimed?: { off: number; pc: number }[]): Unit {
  const spans = new Int32Array(D.length * 2);
  const lines = new Set<number>();
  D.forEach((d, i) => {
    const off = d.addr - r.start;
    spans[2 * i] = off; spans[2 * i + 1] = d.len;
    for (let o = off; o < off + d.len; o++) lines.add(o >> LINE_SHIFT);
  });
  const u = new Unit(fn, D, r, spans, [...lines], entry);
  register(r, u);
  blocks.forEach((b, i) => {
    const d = r.icache![b.start]!;
    if (d.unit === null || !d.unit.alive) { d.unit = u; d.unitPc = i; claimed?.push({ off: b.start, pc: i }); }
  });
  return u;
}

/** Forget every compiled unit (tests measuring compilation from nothing). */
export function clearJitCache(): void {
  cache.clear();
  clearWasmCache();
}
