// The arena: one fixed-size WebAssembly.Memory per process (per worker thread) that holds every CPU's hot state (a 512-byte slot) and the guest's data regions, with its allocator, so that compiled WebAssembly code works on them in place.

/** Byte offsets inside a CPU's slot (little-endian; see Cpu). */
export const enum S {
  /** u32[16]: low halves of rax..r15 (Cpu.lo) */
  LO = 0,
  /** i32[16]: high halves (Cpu.hi) */
  HI = 64,
  /** i32[9]: the lazy-flag state, in the order of L */
  LAZY = 128,
  /** i32: Cpu.flags */
  FLAGS = 168,
  /** f64[32]: the recent-instruction ring (Cpu.recentRing) */
  RING = 176,
  /** f64: machine time at the unit's entry minus its cycle count there (Cpu.now() = NOWBASE + cycles; the shadow stack's times) */
  NOWBASE = 432,
  /** i32, f64: written by compiled code when it leaves (recentPos, and rip when EXIT is 1) */
  POS = 440,
  RIP = 448,
  /** i32: data-region cache entries (byte offset of a region descriptor; 0: none) */
  DC0 = 456,
  DC1 = 460,
  /** i32: Memory.tag of the CPU's machine */
  TAG = 464,
  /** i32: how compiled code left rip: 0, an executor it called set Cpu.rip; 1, in RIP; 2 + n, at offset n of the unit's region */
  EXIT = 468,
  /** i32: the high half of a 64-bit value compiled code read through the interpreter (Cpu.tHi) */
  TMPHI = 472,
  /**
   * Chaining (jit-wasm.ts): compiled code that leaves with rip in RIP goes straight on into the unit
   * that starts there, without returning to the interpreter, while CHAIN_OK is 1. The region the
   * units are in: its entry map (i32 byte offset in the arena; 8 bytes per region offset: unit's
   * table index + 1, block), start address (f64) and the number of offsets the map covers (i32).
   */
  CHAIN_MAP = 476,
  CHAIN_START = 480,
  CHAIN_SIZE = 488,
  /** i32: 1 while the fetch model has nothing to say about that region's text for this CPU (Region.dirtyTime <= Cpu.serialTime) */
  CHAIN_OK = 492,
  /** i32: units entered by chaining since the interpreter last looked (jitStats.entries) */
  CHAINS = 496,
  /** i32: 1 while the machine logs patch-site executions (MachineEvents.log: compiled sites then report theirs) */
  SITELOG = 500,
  /**
   * i32: how compiled code runs call and ret: -1 the CPU has no call/ret monitor (natively, nothing
   * to tell); 0 through the monitor (the exec import); otherwise the handle (SH) of the shadow stack
   * the monitor keeps for the task on this CPU, which compiled code pushes and checks itself.
   */
  SHADOW = 504,
  /** i32: with SHADOW, the monitor's cell (FC) */
  FLOWCELL = 508,
  /** bytes per slot */
  SIZE = 512,
}

/** A shadow stack's handle in the arena (flow.ts ShadowStack): i32 words at these byte offsets. */
export const enum SH {
  /** entries in use */
  DEPTH = 0,
  /** entries the arrays hold (0: the arrays are not in the arena) */
  CAP = 4,
  /** byte offsets of the arrays: return addresses and times (f64), kinds and vectors (u8) */
  ADDRS = 8,
  TIMES = 12,
  KINDS = 16,
  VECTORS = 20,
  SIZE = 32,
}

/** A call/ret monitor's cell in the arena (flow.ts FlowIntegrity). */
export const enum FC {
  /** i32: rets compiled code checked (FlowIntegrity.checks) */
  CHECKS = 0,
  /** f64: the bounds of every free or rewrite of text (TextLifetimes): a return address outside them needs no look */
  LOW = 8,
  HIGH = 16,
  SIZE = 24,
}

/** The lazy-flag state as i32 indices from S.LAZY (Cpu.lk, lsz, rLo, rHi, aLo, aHi, bLo, bHi, cin), and FLAGS as seen from there. */
export const enum L { LK = 0, LSZ = 1, RLO = 2, RHI = 3, ALO = 4, AHI = 5, BLO = 6, BHI = 7, CIN = 8, FLAGS = 10 }

/** Byte offsets inside a region descriptor (Region.desc). */
export const enum RD {
  /** i64: the region's start address */
  START = 0,
  /** i64: Region.end (start once unmapped) */
  END = 8,
  /** i32: byte offset of the region's bytes in the arena */
  DATA = 16,
  /** i32: 1 if the region is writable */
  WRITABLE = 20,
  /** i32: Memory.tag of the memory the region belongs to */
  TAG = 24,
  /** bytes per descriptor */
  SIZE = 32,
}

const PAGE = 65536;
/** Offsets below this are never handed out: 0 means "none". */
const RESERVED = 4096;
const GRAIN = 16;

/**
 * A WebAssembly.Memory of fixed size (initial = maximum: growing would detach every view) split into
 * a pool of CPU slots after the reserved first 4096 bytes, then a heap served first-fit from a sorted
 * free list that coalesces on free. Free memory is always zero (a block is zeroed when freed), so
 * what alloc hands out is zero-filled.
 */
export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly buffer: ArrayBuffer;
  /** Start of the heap (end of the slot pool). */
  readonly heapStart: number;
  /** Free heap blocks as [offset, size] pairs sorted by offset, never adjacent (coalesced). */
  private freeOff: number[] = [];
  private freeSize: number[] = [];
  /** Live heap blocks: offset -> size. */
  private readonly live = new Map<number, number>();
  /** Free slot offsets (a stack) and whether an offset is live. */
  private readonly freeSlots: number[] = [];
  private readonly liveSlots = new Set<number>();

  constructor(pages: number, slots: number) {
    if (!Number.isInteger(pages) || pages < 1 || pages > 65536) throw new RangeError(`arena: ${pages} pages is not a whole number of 64 KiB pages between 1 and 65536`);
    if (!Number.isInteger(slots) || slots < 0) throw new RangeError(`arena: ${slots} CPU slots is not a non-negative whole number`);
    this.heapStart = RESERVED + slots * S.SIZE;
    if (this.heapStart > pages * PAGE) throw new RangeError(`arena: ${slots} CPU slots do not fit in ${pages} pages`);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.buffer = this.memory.buffer;
    for (let i = slots - 1; i >= 0; i--) this.freeSlots.push(RESERVED + i * S.SIZE);
    if (this.buffer.byteLength > this.heapStart) { this.freeOff.push(this.heapStart); this.freeSize.push(this.buffer.byteLength - this.heapStart); }
  }

  /** Bytes in the arena. */
  get size(): number { return this.buffer.byteLength; }

  /** A zero-filled block of `size` bytes aligned to `align` (a power of two): its byte offset, or -1 when no free block fits. */
  alloc(size: number, align = GRAIN): number {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`arena: cannot allocate ${size} bytes (a positive whole number is needed)`);
    if (!Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0 || align > PAGE) throw new RangeError(`arena: alignment ${align} is not a power of two up to ${PAGE}`);
    const need = Math.ceil(size / GRAIN) * GRAIN;
    if (align < GRAIN) align = GRAIN;
    const fo = this.freeOff, fs = this.freeSize;
    for (let i = 0; i < fo.length; i++) {
      const o = fo[i], s = fs[i];
      const at = Math.ceil(o / align) * align;
      const gap = at - o;
      if (gap + need > s) continue;
      const rest = s - gap - need;
      // the block becomes [gap before][allocated][rest after]
      if (gap > 0 && rest > 0) { fs[i] = gap; fo.splice(i + 1, 0, at + need); fs.splice(i + 1, 0, rest); }
      else if (gap > 0) fs[i] = gap;
      else if (rest > 0) { fo[i] = at + need; fs[i] = rest; }
      else { fo.splice(i, 1); fs.splice(i, 1); }
      this.live.set(at, need);
      return at;
    }
    return -1;
  }

  /** Give a block back (zeroed first unless `zero` is false: the caller knows it was never written). */
  free(off: number, zero = true): void {
    const size = this.live.get(off);
    if (size === undefined) throw new RangeError(`arena: free of ${off}, which is not a live block`);
    this.live.delete(off);
    if (zero) this.zero(off, size);
    const fo = this.freeOff, fs = this.freeSize;
    // first free block after off
    let lo = 0, hi = fo.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (fo[m] < off) lo = m + 1; else hi = m; }
    const joinPrev = lo > 0 && fo[lo - 1] + fs[lo - 1] === off;
    const joinNext = lo < fo.length && off + size === fo[lo];
    if (joinPrev && joinNext) { fs[lo - 1] += size + fs[lo]; fo.splice(lo, 1); fs.splice(lo, 1); }
    else if (joinPrev) fs[lo - 1] += size;
    else if (joinNext) { fo[lo] = off; fs[lo] += size; }
    else { fo.splice(lo, 0, off); fs.splice(lo, 0, size); }
  }

  /** Zero [off, off+size) (16-byte aligned), leaving 4 KiB pages that are already zero unwritten (the host then need not back them). */
  private zero(off: number, size: number): void {
    const w = new Int32Array(this.buffer, off, size >> 2);
    for (let p = 0; p < w.length; p += 1024) {
      const e = Math.min(w.length, p + 1024);
      for (let i = p; i < e; i++) if (w[i] !== 0) { w.fill(0, i, e); break; }
    }
  }

  /** Size of the live block at `off` (undefined: not live). */
  blockSize(off: number): number | undefined { return this.live.get(off); }

  /** A zeroed CPU slot from the pool: its byte offset, or -1 when the pool is used up. */
  allocSlot(): number {
    const off = this.freeSlots.pop();
    if (off === undefined) return -1;
    this.liveSlots.add(off);
    return off;
  }

  freeSlot(off: number, zero = true): void {
    if (!this.liveSlots.delete(off)) throw new RangeError(`arena: free of slot ${off}, which is not a live slot`);
    if (zero) this.zero(off, S.SIZE);
    this.freeSlots.push(off);
  }

  /**
   * Take a data region's descriptor out of every CPU slot's region cache (S.DC0, S.DC1) before its
   * block is freed: a slot keeps the descriptors of the regions its CPU last accessed, and a freed block
   * is soon another block (another region's data, an entry map), which compiled code would otherwise
   * read as a descriptor and access through.
   */
  forgetDescriptor(off: number): void {
    const w = new Int32Array(this.buffer);
    for (const s of this.liveSlots) {
      if (w[(s + S.DC0) >> 2] === off) w[(s + S.DC0) >> 2] = 0;
      if (w[(s + S.DC1) >> 2] === off) w[(s + S.DC1) >> 2] = 0;
    }
  }

  /** Counts for tests and reports: live blocks and bytes, free blocks and bytes, the largest free block, live and free slots. */
  stats(): { liveBlocks: number; liveBytes: number; freeBlocks: number; freeBytes: number; largestFree: number; liveSlots: number; freeSlots: number } {
    let liveBytes = 0;
    for (const s of this.live.values()) liveBytes += s;
    let freeBytes = 0, largestFree = 0;
    for (const s of this.freeSize) { freeBytes += s; if (s > largestFree) largestFree = s; }
    return { liveBlocks: this.live.size, liveBytes, freeBlocks: this.freeOff.length, freeBytes, largestFree, liveSlots: this.liveSlots.size, freeSlots: this.freeSlots.length };
  }
}

/** 4096 pages: 256 MiB; slots for 4096 CPUs (2 MiB). */
export const ARENA_PAGES = 4096;
export const ARENA_SLOTS = 4096;

function create(): Arena {
  // a host that cannot reserve 256 MiB gets a smaller arena (allocations then fall back sooner)
  for (let pages = ARENA_PAGES; ; pages >>= 1) {
    try {
      return new Arena(pages, Math.min(ARENA_SLOTS, Math.floor(((pages * PAGE) / 2 - RESERVED) / S.SIZE)));
    } catch (e) {
      if (!(e instanceof RangeError) || pages <= 16) throw e;
    }
  }
}

/** The process-wide arena. Its buffer never changes: views on it stay valid for the life of the process. */
export const arena: Arena = create();

/** Allocate `size` zero-filled bytes in the arena (see Arena.alloc): a byte offset > 0, or -1 when full. */
export function arenaAlloc(size: number, align = GRAIN): number { return arena.alloc(size, align); }

/** Free a block arenaAlloc returned. */
export function arenaFree(off: number): void { arena.free(off); }

/** Frees the slot of a collected Cpu and the block of a collected Region (out of every slot's region cache first). */
export function freeCollected(h: { a: Arena; off: number; slot: boolean }): void {
  if (h.slot) { h.a.freeSlot(h.off); return; }
  if (!arenaForTests.keepStaleDescriptors) h.a.forgetDescriptor(h.off);
  h.a.free(h.off);
}
const collected = new FinalizationRegistry<{ a: Arena; off: number; slot: boolean }>(freeCollected);

/** A CPU's slot: 512 zeroed bytes of `buffer` at `base`; `slot` is base, or -1 for a private buffer outside the arena (the pool was used up). */
export interface CpuSlot { buffer: ArrayBuffer; base: number; slot: number }

/** A slot for `owner` (a Cpu), freed when the owner is collected. */
export function allocCpuSlot(owner: object): CpuSlot {
  const a = arena;
  const off = a.allocSlot();
  if (off < 0) return { buffer: new ArrayBuffer(S.SIZE), base: 0, slot: -1 };
  collected.register(owner, { a, off, slot: true });
  return { buffer: a.buffer, base: off, slot: off };
}

/**
 * A data region's block for `owner` (a Region): a descriptor of RD.SIZE bytes followed by `size`
 * bytes of data, freed when the owner is collected. Returns the descriptor's offset, or 0 when the
 * arena has no room (the region then keeps its bytes in a plain array).
 */
export function allocRegionBlock(owner: object, size: number): number {
  const a = arena;
  const off = a.alloc(RD.SIZE + size);
  if (off < 0) return 0;
  collected.register(owner, { a, off, slot: false });
  return off;
}

/** A block that may be replaced by a larger one (`off` follows it), freed when its owner is collected. */
export interface MovableBlock { off: number }

const movable = new FinalizationRegistry<{ a: Arena; b: MovableBlock }>((h) => { if (h.b.off > 0) h.a.free(h.b.off); });

/** `size` zero-filled bytes for `owner` that MovableBlock.off follows; null when the arena has no room. */
export function allocMovable(owner: object, size: number): MovableBlock | null {
  const off = arena.alloc(size);
  if (off < 0) return null;
  const b = { off };
  movable.register(owner, { a: arena, b });
  return b;
}

/** `size` zero-filled bytes for `owner`, freed when the owner is collected: the byte offset, or 0 when the arena has no room. */
export function allocOwnedBlock(owner: object, size: number): number {
  const a = arena;
  const off = a.alloc(size);
  if (off < 0) return 0;
  collected.register(owner, { a, off, slot: false });
  return off;
}

let nextTag = 1;
/** A process-unique positive int32 naming one guest memory (Memory.tag). */
export function newMemoryTag(): number {
  const t = nextTag;
  nextTag = nextTag >= 0x7fffffff ? 1 : nextTag + 1;
  return t;
}

/** Test hooks (internal). */
export const arenaForTests = {
  /** A broken variant for a negative control: a collected region's descriptor stays in the slots' region caches. */
  keepStaleDescriptors: false,
  /**
   * Take every free heap block (and, with `slots`, every free CPU slot) so that the next
   * allocations fall back; returns the function that gives them back.
   */
  exhaust(slots = false): () => void {
    const a = arena;
    const blocks: number[] = [];
    for (let s = a.stats().largestFree; s > 0; s = a.stats().largestFree) blocks.push(a.alloc(s));
    const taken: number[] = [];
    if (slots) for (let o = a.allocSlot(); o >= 0; o = a.allocSlot()) taken.push(o);
    return () => {
      for (const b of blocks) a.free(b, false); // never written
      for (const o of taken) a.freeSlot(o, false);
    };
  },
};
