// Guest physical/virtual memory: regions with permissions, decoded-instruction caches for text, text-write notification.

import type { Insn } from './x86/insn.js';
import type { Unit } from './x86/jit.js';
import { MachineEvents } from './events.js';
import { arena, allocRegionBlock, newMemoryTag, RD } from './arena.js';

export const PERM_R = 4;
export const PERM_W = 2;
export const PERM_X = 1;

/** Compiled units are registered under text lines of 1 << LINE_SHIFT bytes. */
export const LINE_SHIFT = 6;

/** Largest x86 instruction; a write at byte b can change instructions that start up to 14 bytes before b. */
const MAX_INSN = 15;

/**
 * A contiguous range of guest addresses backed by one typed array.
 * Addresses are signed 64-bit values held in doubles: every canonical address is exact.
 * A region that is not executable keeps its bytes in the arena (arena.ts), behind a descriptor that
 * compiled code reads; executable ones (text, with decoded caches and write histories) stay in
 * plain arrays.
 */
export class Region {
  /** End of the range; start when unmapped (every cached bounds check then fails). Change it with setSize. */
  end: number;
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  /** Byte offset of the region's descriptor in the arena (see RD), 0 when its bytes are not in the arena. */
  readonly desc: number;
  /** Decoded instructions by offset (null = not decoded); present for executable regions only. */
  readonly icache: (Insn | null)[] | null;
  /**
   * Cross-modifying-code bookkeeping (executable regions): the machine time of the last text write to
   * each byte, the latest such time in the region, and the write history of every byte ever written.
   */
  readonly lastWrite: Float64Array | null;
  dirtyTime = 0;
  readonly history = new Map<number, ByteHistory>();
  /** Logical text writes in progress on this region; while any is, dirtyTime is +Infinity (every fetch takes the slow path). */
  activeWrites = 0;
  /** The real latest store time while activeWrites > 0 (dirtyTime goes back to it when the last one ends). */
  settledDirty = 0;
  /**
   * Patch sites (offset of the first byte -> site) and, for every byte strictly inside a site, the
   * site it lies in: a fetch at such a byte must fall on an instruction boundary of the site's contents.
   */
  readonly sites = new Map<number, PatchSite>();
  readonly siteInterior = new Map<number, PatchSite>();
  /** Compiled units over this region's text, by line (offset >> LINE_SHIFT): a write to a line kills them (jit tier). */
  jitLines: Map<number, Unit[]> | null = null;
  /** The wasm backend's entry map of this region's text in the arena (0: none yet) and the offsets it covers (see S.CHAIN_MAP). */
  jitMap = 0;
  jitMapLen = 0;

  /** Size in bytes; 0 once the region is unmapped. Change it with setSize. */
  size: number;

  /** `tag`: the owning memory's Memory.tag (written into the descriptor). */
  constructor(readonly name: string, readonly start: number, size: number, readonly perm: number, readonly tag = 0) {
    this.size = size;
    this.end = start + size;
    const desc = perm & PERM_X ? 0 : allocRegionBlock(this, size);
    this.desc = desc;
    if (desc !== 0) {
      this.bytes = new Uint8Array(arena.buffer, desc + RD.SIZE, size);
      const dv = new DataView(arena.buffer, desc, RD.SIZE);
      dv.setBigInt64(RD.START, BigInt(start), true);
      dv.setInt32(RD.DATA, desc + RD.SIZE, true);
      dv.setInt32(RD.WRITABLE, perm & PERM_W ? 1 : 0, true);
      dv.setInt32(RD.TAG, tag, true);
      this.writeEnd();
    } else {
      this.bytes = new Uint8Array(size);
    }
    this.dv = new DataView(this.bytes.buffer, this.bytes.byteOffset, size);
    this.icache = perm & PERM_X ? new Array<Insn | null>(size).fill(null) : null;
    this.lastWrite = perm & PERM_X ? new Float64Array(size) : null;
  }

  /** Set the size (0: unmapped) and with it `end` and the descriptor's end (Memory.unmap, snapshot restore). */
  setSize(size: number): void {
    this.size = size;
    this.end = this.start + size;
    this.writeEnd();
  }

  private writeEnd(): void {
    if (this.desc !== 0) new DataView(arena.buffer, this.desc, RD.SIZE).setBigInt64(RD.END, BigInt(this.end), true);
  }

  /** Forget decoded instructions that could overlap [off, off+len), and every one inside a patch site the range touches. */
  invalidate(off: number, len: number): void {
    const ic = this.icache;
    if (ic === null) return;
    let from = Math.max(0, off - (MAX_INSN - 1));
    let to = Math.min(this.size, off + len);
    if (this.siteInterior.size > 0 || this.sites.size > 0) {
      for (const o of [off, off + len - 1]) {
        const s = this.sites.get(o) ?? this.siteInterior.get(o);
        if (s !== undefined) { from = Math.min(from, s.off); to = Math.max(to, Math.min(this.size, s.off + s.len)); }
      }
    }
    for (let i = from; i < to; i++) ic[i] = null;
    const jl = this.jitLines;
    if (jl !== null) {
      for (let l = from >> LINE_SHIFT, e = (to - 1) >> LINE_SHIFT; l <= e; l++) {
        const us = jl.get(l);
        if (us === undefined) continue;
        jl.delete(l);
        for (const u of us) {
          u.kill();
          // and out of the other lines it covers, so that the index holds only live units
          for (const l2 of u.lines) {
            const a = jl.get(l2);
            const i = a === undefined ? -1 : a.indexOf(u);
            if (i >= 0) { a!.splice(i, 1); if (a!.length === 0) jl.delete(l2); }
          }
        }
      }
    }
  }

  /** Forget every decoded instruction and compiled unit (the text was replaced wholesale: a snapshot restore). */
  forgetDecoded(): void {
    if (this.icache !== null) this.icache.fill(null);
    const jl = this.jitLines;
    if (jl !== null) {
      for (const us of jl.values()) for (const u of us) u.kill();
      this.jitLines = null;
    }
  }

  /** The patch site holding byte `off`, if any. */
  siteAt(off: number): PatchSite | undefined {
    return this.sites.get(off) ?? this.siteInterior.get(off);
  }

  /** Declare [off, off+len) a patch site (idempotent for the same range). */
  addSite(off: number, len: number): PatchSite {
    const had = this.sites.get(off);
    if (had !== undefined && had.len === len) return had;
    const s: PatchSite = { off, len, versions: [] };
    this.sites.set(off, s);
    for (let i = 1; i < len; i++) this.siteInterior.set(off + i, s);
    return s;
  }
}

/**
 * A range of text that is rewritten while it runs (an ftrace site, an alternative, a jump label).
 * `versions` are the settled contents it has held (each the end of a logical write, never a
 * transitional state such as an int3 over the first byte) with their instruction boundaries.
 */
export interface PatchSite {
  off: number;
  len: number;
  versions: { bytes: Uint8Array; bounds: number[] }[];
}

/** One text_poke call: its stores form one logical write, whose intermediate states are never instructions. */
export interface LogicalWrite {
  cpu: number;
  /** time of its first store (-1: none yet) */
  first: number;
  /** time of its last store so far (-1: none yet) */
  last: number;
  /** regions and byte offsets it stored to, with the time of its last store to each */
  readonly touched: Map<Region, Map<number, number>>;
  ended: boolean;
}

/** Values one text byte has held: entry 0 is the value before the first recorded write (time 0). */
export interface ByteHistory {
  times: number[];
  values: number[];
  /** CPU whose text_poke wrote the value (-1 for the initial value). */
  cpus: number[];
  /**
   * When the logical write (text_poke call) that stored the value made its last store: +Infinity
   * while it is still in progress. Until then the byte is part of an intermediate state.
   */
  ends: number[];
}

/** A deep copy of a byte history (snapshots). */
export function copyHistory(h: ByteHistory): ByteHistory {
  return { times: h.times.slice(), values: h.values.slice(), cpus: h.cpus.slice(), ends: h.ends.slice() };
}

/** Convert a bigint guest address to the signed-double form used inside the machine. */
export function addrToNum(a: bigint): number {
  return Number(BigInt.asIntN(64, a));
}

/** Convert a signed-double guest address back to an unsigned 64-bit bigint. */
export function numToAddr(a: number): bigint {
  return BigInt.asUintN(64, BigInt(a));
}

export function hex(a: number | bigint): string {
  const v = typeof a === 'bigint' ? BigInt.asUintN(64, a) : numToAddr(a);
  return '0x' + v.toString(16);
}

export class MemoryError extends Error {}

/** The guest address space: a small sorted set of non-overlapping regions. */
export class Memory {
  readonly regions: Region[] = [];
  /** Process-unique positive int32 naming this memory (in its regions' descriptors and its CPUs' slots). */
  readonly tag = newMemoryTag();
  /** Told of every text write (text_poke store): guest address, length, machine time, writer CPU. */
  onTextWrite: ((addr: number, len: number, time: number, cpu: number) => void) | null = null;
  /** Event counters (see events.ts); the machine shares its own. */
  events = new MachineEvents();

  /** Map a new region; refuses overlaps and non-canonical ranges. */
  map(name: string, start: bigint, size: number, perm: number): Region {
    const s = addrToNum(start);
    if (size <= 0) throw new MemoryError(`cannot map ${name}: empty range`);
    if (s < -(2 ** 47) || s + size > 2 ** 47) throw new MemoryError(`cannot map ${name} at ${hex(start)}: not a canonical address range`);
    for (const r of this.regions) {
      if (s < r.end && r.start < s + size) {
        throw new MemoryError(`cannot map ${name} at ${hex(start)}+${hex(size)}: overlaps ${r.name} at ${hex(r.start)}+${hex(r.size)}`);
      }
    }
    const r = new Region(name, s, size, perm, this.tag);
    this.regions.push(r);
    this.regions.sort((a, b) => a.start - b.start);
    return r;
  }

  /**
   * Remove a region from the address space (vfree, module unload). Its range becomes empty, so that
   * no CPU's cached region pointer can reach it again: accesses fault as unmapped.
   */
  unmap(r: Region): void {
    const i = this.regions.indexOf(r);
    if (i < 0) throw new MemoryError(`cannot unmap ${r.name}: not mapped`);
    this.regions.splice(i, 1);
    r.setSize(0);
  }

  /** The region containing [addr, addr+len), or undefined. */
  find(addr: number, len = 1): Region | undefined {
    for (const r of this.regions) {
      if (addr >= r.start && addr + len <= r.end) return r;
    }
    return undefined;
  }

  /** The region holding [addr, addr+len) and the offset in it; `what` names the access in the error. */
  private locate(addr: bigint, len: number, what: string): [Region, number] {
    const a = addrToNum(addr);
    const r = this.find(a, len);
    if (!r) throw new MemoryError(`${what} of ${len} bytes at ${hex(addr)}: not mapped`);
    return [r, a - r.start];
  }

  /** Host-side read (loader, debugger, ftrace core through the kernel): no permission checks. */
  read(addr: bigint, len: number): Uint8Array {
    const [r, off] = this.locate(addr, len, 'read');
    return r.bytes.slice(off, off + len);
  }

  readU64(addr: bigint): bigint {
    const b = this.read(addr, 8);
    return new DataView(b.buffer).getBigUint64(0, true);
  }

  /**
   * Host-side write, ignoring permissions (the loader, and text_poke's writable alias).
   * Decoded instructions overlapping the write are forgotten.
   */
  write(addr: bigint, data: Uint8Array): void {
    this.events.hostStores++;
    const [r, off] = this.locate(addr, data.length, 'write');
    r.bytes.set(data, off);
    r.invalidate(off, data.length);
  }

  /**
   * Begin a logical text write (one text_poke call) by `cpu`: the stores made with it until
   * endTextWrite form one write, and any state between them is an intermediate one.
   */
  beginTextWrite(cpu: number): LogicalWrite {
    return { cpu, first: -1, last: -1, touched: new Map(), ended: false };
  }

  /**
   * A text write through the patching alias (text_poke): ignores permissions, forgets decoded
   * instructions, and records every byte with its machine time and writer CPU for the fetch model.
   * Without `w` the store is a logical write on its own; with it, one store of that write.
   */
  textWrite(addr: bigint, data: Uint8Array, time: number, cpu: number, w?: LogicalWrite): void {
    if (this.events.log) this.events.textWrites.push(addrToNum(addr), data.length);
    const [r, off] = this.locate(addr, data.length, 'text write');
    if (this.onTextWrite !== null) this.onTextWrite(r.start + off, data.length, time, cpu);
    if (r.lastWrite !== null) {
      let mine: Map<number, number> | undefined;
      if (w !== undefined) {
        if (w.ended) throw new MemoryError('text write through a logical write that has ended');
        mine = w.touched.get(r);
        if (mine === undefined) {
          mine = new Map();
          w.touched.set(r, mine);
          if (r.activeWrites++ === 0) { r.settledDirty = r.dirtyTime; r.dirtyTime = Infinity; }
        }
        if (w.first < 0) w.first = time;
        w.last = time;
      }
      for (let i = 0; i < data.length; i++) {
        const o = off + i;
        let h = r.history.get(o);
        if (h === undefined) {
          h = { times: [0], values: [r.bytes[o]], cpus: [-1], ends: [0] };
          r.history.set(o, h);
        }
        h.times.push(time);
        h.values.push(data[i]);
        h.cpus.push(cpu);
        if (mine !== undefined) {
          h.ends.push(Infinity);
          mine.set(o, time);
          r.lastWrite[o] = Infinity;
        } else {
          h.ends.push(time);
          // a byte that a write in progress touched stays fresh until that write ends
          if (r.lastWrite[o] !== Infinity) r.lastWrite[o] = time;
        }
      }
      if (mine !== undefined) { if (time > r.settledDirty) r.settledDirty = time; }
      else if (r.activeWrites > 0) { if (time > r.settledDirty) r.settledDirty = time; }
      else if (time > r.dirtyTime) r.dirtyTime = time;
    }
    r.bytes.set(data, off);
    r.invalidate(off, data.length);
  }

  /** End a logical write: its stores stop being an intermediate state as of its last store. */
  endTextWrite(w: LogicalWrite): void {
    if (w.ended) return;
    w.ended = true;
    for (const [r, offs] of w.touched) {
      for (const [o, t] of offs) {
        const h = r.history.get(o);
        let last = t, open = false;
        if (h !== undefined) {
          for (let k = h.times.length - 1; k >= 0; k--) {
            if (h.times[k] < w.first) break;
            if (h.ends[k] === Infinity && h.cpus[k] === w.cpu) h.ends[k] = w.last;
          }
          last = Math.max(t, h.times[h.times.length - 1]);
          open = h.ends.includes(Infinity); // another write in progress still holds the byte
        }
        r.lastWrite![o] = open ? Infinity : last;
      }
      if (--r.activeWrites === 0) r.dirtyTime = Math.max(r.settledDirty, w.last);
      else if (w.last > r.settledDirty) r.settledDirty = w.last;
    }
  }

  /** Drop write history that no CPU can observe any more (every CPU serialized at or after `minSerial`). */
  pruneHistory(minSerial: number): void {
    for (const r of this.regions) {
      for (const [o, h] of r.history) {
        let k = 0;
        while (k + 1 < h.times.length && h.times[k + 1] <= minSerial) k++;
        if (k > 0) {
          h.times.splice(0, k); h.values.splice(0, k); h.cpus.splice(0, k); h.ends.splice(0, k);
        }
        // one value left, stored by a write that had ended before anyone could look: nothing to observe
        if (h.times.length === 1 && h.times[0] <= minSerial && h.ends[0] <= minSerial) r.history.delete(o);
      }
    }
  }

  writeU64(addr: bigint, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.write(addr, b);
  }
}
