// Chaining for the tier-2 compiler's wasm backend (jit-wasm.ts): the hub through which the interpreter enters compiled code and which goes on from unit to unit without returning to it, each text region's table of unit functions, and its entry map in the arena.

import { arena, allocOwnedBlock, S } from '../arena.js';
import type { Region } from '../memory.js';
import { Code, W, I32, F64, VOID, encodeModule } from './wasm-enc.js';
import { jitBroken } from './jit.js';

/** A unit's function type: (slot, block, budget, ring position, retired before) -> retired. */
export const UNIT_TYPE = { params: [I32, I32, I32, I32, I32], results: [I32] };

/**
 * The hub: one small module per process, instantiated once per text region with the table of the
 * functions of the units in that region (a region, with its decoded instructions and units, can pass
 * from one machine to another with a snapshot: its table and entry map go with it). The interpreter enters compiled code only through it. When a unit
 * leaves with rip in the slot (S.EXIT 1) or with rip's offset in its region (S.EXIT 2 + offset), the hub looks rip up in the entry map of the unit's region
 * (S.CHAIN_MAP: table index + 1 and block, for the offsets where Insn.unit names a live unit) and goes
 * straight on into that unit, as Cpu.jitLoop would after one more turn, while:
 *   - the fetch model has nothing to say (S.CHAIN_OK: Region.dirtyTime <= Cpu.serialTime, set at entry
 *     and after every import that ran an executor or a store; jitLoop's exact check, Unit.fresh,
 *     is left to the interpreter);
 *   - the unit retired something (a unit that does not fit the budget leaves without) and budget remains.
 * A killed unit's entries leave the map before anything can chain into it (Unit.unlink).
 */
function hubModule(): WebAssembly.Module {
  const c = new Code();
  // params: slot 0, table index 1, block 2, budget 3, ring position 4; locals: n 5, n before 6, offset 7 (f64), entry 8
  const P_S = 0, P_IDX = 1, P_PC = 2, P_B = 3, P_POS = 4, H_N = 5, H_PREV = 6, H_OFF = 7, H_E = 8;
  c.op(W.block, VOID, W.loop, VOID);
  c.get(H_N).set(H_PREV);
  c.get(P_S).get(P_PC).get(P_B).get(P_POS).get(H_N).get(P_IDX).callIndirect(0).set(H_N);
  c.get(P_S).mem(W.i32_load, 2, S.EXIT).tee(H_E).op(W.i32_eqz).br(W.br_if, 1);
  c.get(P_S).mem(W.i32_load, 2, S.CHAIN_OK).op(W.i32_eqz).br(W.br_if, 1);
  c.get(H_N).get(H_PREV).op(W.i32_eq).br(W.br_if, 1);
  c.get(H_N).get(P_B).op(W.i32_ge_s).br(W.br_if, 1);
  // the offset of rip in the unit's region: given (S.EXIT 2 + offset), or from rip in the slot (S.EXIT 1)
  c.get(H_E).i32(1).op(W.i32_ne, W.if_, I32);
  c.get(H_E).i32(2).op(W.i32_sub);
  c.op(W.else_);
  c.get(P_S).mem(W.f64_load, 3, S.RIP).get(P_S).mem(W.f64_load, 3, S.CHAIN_START).op(W.f64_sub).set(H_OFF);
  c.get(H_OFF).f64(0).op(W.f64_ge, W.i32_eqz).br(W.br_if, 2);
  c.get(H_OFF).f64(0x7fffffff).op(W.f64_lt, W.i32_eqz).br(W.br_if, 2);
  c.get(H_OFF).op(W.i32_trunc_f64_u);
  c.op(W.end).tee(H_E);
  c.get(P_S).mem(W.i32_load, 2, S.CHAIN_SIZE).op(W.i32_ge_u).br(W.br_if, 1);
  c.get(P_S).mem(W.i32_load, 2, S.CHAIN_MAP).get(H_E).i32(3).op(W.i32_shl, W.i32_add).set(H_E);
  c.get(H_E).mem(W.i32_load, 2, 0).tee(P_IDX).op(W.i32_eqz).br(W.br_if, 1);
  c.get(P_IDX).i32(1).op(W.i32_sub).set(P_IDX);
  c.get(H_E).mem(W.i32_load, 2, 4).set(P_PC);
  c.get(P_S).mem(W.i32_load, 2, S.POS).set(P_POS);
  c.get(P_S).get(P_S).mem(W.i32_load, 2, S.CHAINS).i32(1).op(W.i32_add).mem(W.i32_store, 2, S.CHAINS);
  c.br(W.br, 0);
  c.op(W.end, W.end);
  c.get(H_N);
  return new WebAssembly.Module(encodeModule({
    types: [UNIT_TYPE, { params: [I32, I32, I32, I32, I32], results: [I32] }],
    imports: [],
    memoryPages: arena.memory.buffer.byteLength >>> 16,
    table: true,
    funcs: [{ type: 1, locals: [[2, I32], [1, F64], [1, I32]], body: c, export: 'enter' }],
  }));
}

/** A region's table of unit functions and its hub instance. */
export interface Hub {
  table: WebAssembly.Table;
  enter: (slot: number, idx: number, pc: number, budget: number, pos: number) => number;
  /** Table indexes of killed units, for reuse. */
  free: number[];
  next: number;
}

/** The arena as i32 words (its buffer never changes: see arena.ts). */
const WORDS = new Int32Array(arena.buffer);

let hubMod: WebAssembly.Module | null = null;
/** Hubs by text region. */
const hubs = new WeakMap<Region, Hub>();

export function hubOf(owner: Region): Hub {
  let h = hubs.get(owner);
  if (h === undefined) {
    if (hubMod === null) hubMod = hubModule();
    const table = new WebAssembly.Table({ element: 'anyfunc', initial: 256 });
    const enter = new WebAssembly.Instance(hubMod, { e: { m: arena.memory, t: table } }).exports.enter as Hub['enter'];
    hubs.set(owner, h = { table, enter, free: [], next: 0 });
  }
  return h;
}

/** A table index for a unit's function. */
export function place(h: Hub, f: unknown): number {
  let i = h.free.pop();
  if (i === undefined) {
    i = h.next++;
    if (i >= h.table.length) h.table.grow(h.table.length);
  }
  h.table.set(i, f as never);
  return i;
}

/**
 * Enter a unit in its region's entry map at the given region offsets and blocks (where Insn.unit now
 * names it). Returns what takes it out again (when it is killed). A region whose map the arena has no
 * room for is left without one: nothing chains there.
 */
export function link(r: Region, h: Hub, idx: number, at: { off: number; pc: number }[]): () => void {
  if (r.jitMap === 0 && r.size > 0) {
    r.jitMap = allocOwnedBlock(r, r.size * 8);
    r.jitMapLen = r.jitMap === 0 ? 0 : r.size;
  }
  const i32 = WORDS;
  const base = r.jitMap >> 2;
  if (base !== 0) for (const { off, pc } of at) if (off < r.jitMapLen) { i32[base + 2 * off] = idx + 1; i32[base + 2 * off + 1] = pc; }
  return () => {
    if (jitBroken.chainIntoKilled) return;
    if (base !== 0) for (const { off } of at) if (off < r.jitMapLen && i32[base + 2 * off] === idx + 1) { i32[base + 2 * off] = 0; i32[base + 2 * off + 1] = 0; }
    h.table.set(idx, null as never);
    h.free.push(idx);
  };
}
