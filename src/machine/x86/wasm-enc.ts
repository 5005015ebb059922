// A small WebAssembly binary encoder for the tier-2 compiler's wasm backend: LEB128, the sections a module of functions needs, an instruction buffer.

export const I32 = 0x7f, I64 = 0x7e, F64 = 0x7c, VOID = 0x40;

/** Opcodes used by the backend (names as in the spec's text format). */
export const enum W {
  unreachable = 0x00, block = 0x02, loop = 0x03, if_ = 0x04, else_ = 0x05, end = 0x0b, br = 0x0c, br_if = 0x0d, br_table = 0x0e,
  return_ = 0x0f, call = 0x10, call_indirect = 0x11, drop = 0x1a, select = 0x1b,
  local_get = 0x20, local_set = 0x21, local_tee = 0x22,
  i32_load = 0x28, i64_load = 0x29, f64_load = 0x2b, i32_load8_u = 0x2d, i32_load16_u = 0x2f,
  i64_load8_s = 0x30, i64_load8_u = 0x31, i64_load16_s = 0x32, i64_load16_u = 0x33, i64_load32_s = 0x34, i64_load32_u = 0x35,
  i32_store = 0x36, i64_store = 0x37, f64_store = 0x39, i32_store8 = 0x3a, i32_store16 = 0x3b,
  i64_store8 = 0x3c, i64_store16 = 0x3d, i64_store32 = 0x3e,
  i32_const = 0x41, i64_const = 0x42, f64_const = 0x44,
  i32_eqz = 0x45, i32_eq = 0x46, i32_ne = 0x47, i32_lt_s = 0x48, i32_lt_u = 0x49, i32_gt_s = 0x4a, i32_gt_u = 0x4b,
  i32_le_s = 0x4c, i32_le_u = 0x4d, i32_ge_s = 0x4e, i32_ge_u = 0x4f,
  i64_eqz = 0x50, i64_eq = 0x51, i64_ne = 0x52, i64_lt_s = 0x53, i64_lt_u = 0x54, i64_gt_s = 0x55, i64_gt_u = 0x56,
  i64_le_s = 0x57, i64_le_u = 0x58, i64_ge_s = 0x59, i64_ge_u = 0x5a,
  i32_add = 0x6a, i32_sub = 0x6b, i32_mul = 0x6c, i32_and = 0x71, i32_or = 0x72, i32_xor = 0x73, i32_shl = 0x74,
  i32_shr_s = 0x75, i32_shr_u = 0x76,
  i64_popcnt = 0x7b, i64_add = 0x7c, i64_sub = 0x7d, i64_mul = 0x7e, i64_div_s = 0x7f, i64_div_u = 0x80, i64_rem_u = 0x82, i64_and = 0x83, i64_or = 0x84, i64_xor = 0x85,
  i64_shl = 0x86, i64_shr_s = 0x87, i64_shr_u = 0x88,
  f64_eq = 0x61, f64_lt = 0x63, f64_ge = 0x66, f64_add = 0xa0, f64_sub = 0xa1, i32_trunc_f64_u = 0xab, f64_convert_i32_u = 0xb8,
  i32_wrap_i64 = 0xa7, i64_extend_i32_s = 0xac, i64_extend_i32_u = 0xad, f64_convert_i64_s = 0xb9,
  i32_extend8_s = 0xc0, i32_extend16_s = 0xc1, i64_extend8_s = 0xc2, i64_extend16_s = 0xc3, i64_extend32_s = 0xc4,
}

export function uleb(n: number, out: number[] = []): number[] {
  do { let b = n & 0x7f; n = Math.floor(n / 128); if (n !== 0) b |= 0x80; out.push(b); } while (n !== 0);
  return out;
}

export function sleb(v: bigint, out: number[] = []): number[] {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}

/** An instruction stream for one function body, in a growing byte buffer. */
export class Code {
  private buf = new Uint8Array(1024);
  /** Bytes written so far. */
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }
  private byte(x: number): void { this.room(1); this.buf[this.length++] = x; }
  private u(n: number): void { this.room(5); do { let b = n & 0x7f; n >>>= 7; if (n !== 0) b |= 0x80; this.buf[this.length++] = b; } while (n !== 0); }
  /** Append bytes as they are (a sequence emitted once and kept: see the wasm backend's templates). */
  raw(t: Uint8Array): this {
    const n = t.length;
    this.room(n);
    const buf = this.buf;
    let at = this.length;
    for (let i = 0; i < n; i++) buf[at++] = t[i];
    this.length = at;
    return this;
  }
  /** The bytes written (a view: copy it before writing more). */
  bytes(): Uint8Array { return this.buf.subarray(0, this.length); }
  /** Up to four opcodes or immediate bytes (no rest array: the generator calls this for nearly every instruction). */
  op(a: number, b = -1, c = -1, d = -1): this {
    this.room(4);
    const buf = this.buf;
    buf[this.length++] = a;
    if (b >= 0) buf[this.length++] = b;
    if (c >= 0) buf[this.length++] = c;
    if (d >= 0) buf[this.length++] = d;
    return this;
  }
  get(i: number): this { this.byte(W.local_get); this.u(i); return this; }
  set(i: number): this { this.byte(W.local_set); this.u(i); return this; }
  tee(i: number): this { this.byte(W.local_tee); this.u(i); return this; }
  i32(v: number): this { this.byte(W.i32_const); this.s32(v | 0); return this; }
  /** An i64 constant: an integer number (exact), or a bigint taken modulo 2^64. */
  i64(v: bigint | number): this {
    this.byte(W.i64_const);
    if (typeof v === 'number') {
      if ((v | 0) === v) { this.s32(v); return this; }
      v = BigInt(v);
    } else if (v >= -0x80000000n && v <= 0x7fffffffn) { this.s32(Number(v)); return this; }
    let enc = SLEB64.get(v);
    if (enc === undefined) { enc = sleb(BigInt.asIntN(64, v)); if (SLEB64.size < 4096) SLEB64.set(v, enc); }
    this.room(enc.length);
    for (const b of enc) this.buf[this.length++] = b;
    return this;
  }
  /** A signed LEB128 of an int32 (no BigInt: the generator emits one for nearly every instruction). */
  private s32(v: number): void {
    this.room(5);
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { this.buf[this.length++] = b; return; }
      this.buf[this.length++] = b | 0x80;
    }
  }
  f64(v: number): this { this.byte(W.f64_const); this.room(8); F64S[0] = v; this.buf.set(F64B, this.length); this.length += 8; return this; }
  /** A load or store with its memarg (alignment log2, constant offset). */
  mem(op: number, align: number, offset: number): this { this.byte(op); this.byte(align); this.u(offset); return this; }
  br(op: number, depth: number): this { this.byte(op); this.u(depth); return this; }
  call(f: number): this { this.byte(W.call); this.u(f); return this; }
  /** call_indirect through table 0 (ModuleSpec.table), of function type `type`. */
  callIndirect(type: number): this { this.byte(W.call_indirect); this.u(type); this.byte(0); return this; }
  brTable(depths: number[], dflt: number): this { this.byte(W.br_table); this.u(depths.length); for (const d of depths) this.u(d); this.u(dflt); return this; }
}

/** Encoded i64 constants beyond int32 (masks, sign bits, addresses) by value: BigInt arithmetic is slow. */
const SLEB64 = new Map<bigint, number[]>();

const F64S = new Float64Array(1);
const F64B = new Uint8Array(F64S.buffer);

function vec(items: number[][]): number[] { return [...uleb(items.length), ...items.flat()]; }
function section(id: number, body: number[]): number[] { return [id, ...uleb(body.length), ...body]; }
function name(s: string): number[] { const b = [...Buffer.from(s, 'utf8')]; return [...uleb(b.length), ...b]; }

export interface FuncType { params: number[]; results: number[] }
export interface ModuleSpec {
  types: FuncType[];
  /** Imported functions (module "e"), by type index; they take the first function indexes. */
  imports: { name: string; type: number }[];
  /** Import memory "e" "m" with this minimum page count. */
  memoryPages: number;
  /** Import a table of functions "e" "t" (call_indirect's table 0). */
  table?: boolean;
  /** Bytes of a custom section "gen" (a counter makes every module distinct, so no cache can reuse a compilation). */
  generation?: number;
  /** The defined functions: type, locals (runs of one type), body (without the final end), export name (none: not exported). */
  funcs: { type: number; locals: [number, number][]; body: Code; export?: string }[];
}

/** Encode a module: types, imports (functions and a memory), the functions and their exports. */
export function encodeModule(m: ModuleSpec): Uint8Array<ArrayBuffer> {
  const types = vec(m.types.map((t) => [0x60, ...vec(t.params.map((p) => [p])), ...vec(t.results.map((r) => [r]))]));
  const imports = vec([
    ...m.imports.map((i) => [...name('e'), ...name(i.name), 0x00, ...uleb(i.type)]),
    [...name('e'), ...name('m'), 0x02, 0x00, ...uleb(m.memoryPages)],
    ...(m.table ? [[...name('e'), ...name('t'), 0x01, 0x70, 0x00, 0x00]] : []),
  ]);
  const funcs = vec(m.funcs.map((f) => uleb(f.type)));
  const exports = vec(m.funcs.flatMap((f, i) => (f.export === undefined ? [] : [[...name(f.export), 0x00, ...uleb(m.imports.length + i)]])));
  // the code section: one entry per function, its locals, its body and the final end (bodies can be large: no arrays of numbers)
  const entries = m.funcs.map((f) => {
    const head = vec(f.locals.map(([n, t]) => [...uleb(n), t]));
    const body = f.body.bytes();
    return { size: uleb(head.length + body.length + 1), head, body };
  });
  const codeLen = uleb(m.funcs.length).length + entries.reduce((a, e) => a + e.size.length + e.head.length + e.body.length + 1, 0);
  const pre = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types), ...section(2, imports), ...section(3, funcs), ...section(7, exports), 10, ...uleb(codeLen), ...uleb(m.funcs.length)];
  const post = m.generation === undefined ? [] : section(0, [...name('gen'), ...uleb(m.generation)]);
  const out = new Uint8Array(pre.length + codeLen - uleb(m.funcs.length).length + post.length);
  out.set(pre, 0);
  let at = pre.length;
  for (const e of entries) {
    out.set(e.size, at); at += e.size.length;
    out.set(e.head, at); at += e.head.length;
    out.set(e.body, at); at += e.body.length;
    out[at++] = W.end;
  }
  out.set(post, at);
  return out;
}
