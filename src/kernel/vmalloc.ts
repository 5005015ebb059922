// Kernel virtual allocations: module_alloc / module_memfree for executable text and vmalloc / vfree for data, page-granular with guard gaps (mm/vmalloc.c, mm/execmem.c).
//
// Module text (trampolines, module code, static call stubs) is mapped read-only and executable:
// a guest store to it faults, and the kernel writes it only through text_poke's alias
// (Memory.textWrite, which the fetch model sees), or before any CPU can run it, with a host
// write (text_poke_early's role). vmalloc data is read-write, not executable. Freeing unmaps the
// region: a CPU that still jumps there takes a #PF on fetch (reported as invariant 2), whatever
// region pointer it had cached. Every allocation is followed by an unmapped guard page.

import { PERM_R, PERM_W, PERM_X, hex, addrToNum, type Memory, type Region } from '../machine/memory.js';
import { PAGE_SIZE, MODULES_VADDR, MODULES_END, VMALLOC_START, VMALLOC_END } from './layout.js';

export type VmKind = 'module' | 'vmalloc';

/** One live allocation (the kernel's struct vm_struct). */
export interface VmArea {
  addr: bigint;
  /** Bytes mapped: the request rounded up to whole pages. */
  size: number;
  /** Bytes asked for. */
  requested: number;
  kind: VmKind;
  name: string;
  region: Region;
  /** Further regions of a split allocation (moduleAllocLayout: read-only data, data), after `region`. */
  more?: Region[];
}

/** One part of a split module allocation: bytes from `offset` (page aligned) up to the next part, with these permissions. */
export interface VmPart {
  offset: number;
  perm: number;
}

/** A freed allocation whose start address has not been handed out again (double-free reports). */
interface FreedArea {
  addr: bigint;
  size: number;
  kind: VmKind;
  name: string;
}

export interface VmState {
  areas: VmArea[];
  freed: FreedArea[];
}

/** A bad allocation or free: the message names the call, the address and what is wrong. */
export class VmallocError extends Error {}

/** Largest single allocation (host memory backs every byte). */
export const VMALLOC_MAX = 64 * 1024 * 1024;

/** Unmapped pages after every allocation (vmalloc's guard page). */
const GUARD = BigInt(PAGE_SIZE);

const RANGE: Record<VmKind, { lo: bigint; hi: bigint; alloc: string; free: string; what: string }> = {
  module: { lo: MODULES_VADDR, hi: MODULES_END, alloc: 'module_alloc', free: 'module_memfree', what: 'module text' },
  vmalloc: { lo: VMALLOC_START, hi: VMALLOC_END, alloc: 'vmalloc', free: 'vfree', what: 'vmalloc data' },
};

export class KernelVm {
  /** Live allocations, by address. */
  private areas: VmArea[] = [];
  private freed: FreedArea[] = [];

  /** `onFreeText` hears of every module text area freed (invariant 5's monitor: CPUs must not come back into it). */
  constructor(private readonly mem: Memory, private readonly onFreeText?: (addr: bigint, size: number, name: string) => void) {}

  /** Executable, read-only module text of at least `size` bytes (zeroed); returns its address. */
  moduleAlloc(size: number, name = 'module'): bigint {
    return this.alloc('module', size, name);
  }

  /**
   * A module's memory as one range in module space, split into parts with their own permissions (text
   * R+X, read-only data R, data R+W: module_enable_ro / module_enable_nx). `parts` start at offset 0,
   * ascend, and are page aligned; freed as one with moduleMemfree.
   */
  moduleAllocLayout(size: number, parts: readonly VmPart[], name = 'module'): bigint {
    const call = `module_alloc(${size}) for ${name}`;
    if (parts.length === 0 || parts[0].offset !== 0) throw new VmallocError(`${call}: the first part must start at offset 0`);
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.offset % PAGE_SIZE !== 0 || p.offset >= size || (i > 0 && p.offset <= parts[i - 1].offset)) {
        throw new VmallocError(`${call}: part ${i} at offset ${p.offset} is not page aligned, ascending and inside the allocation`);
      }
    }
    return this.alloc('module', size, name, parts);
  }

  /** Free module text from moduleAlloc. */
  moduleMemfree(addr: bigint): void {
    this.free('module', addr);
  }

  /** Read-write data of at least `size` bytes (zeroed); returns its address. */
  vmalloc(size: number, name = 'vmalloc'): bigint {
    return this.alloc('vmalloc', size, name);
  }

  /** Free data from vmalloc. */
  vfree(addr: bigint): void {
    this.free('vmalloc', addr);
  }

  /** The live allocation containing `addr` (find_vm_area, but for any address inside it). */
  findArea(addr: bigint): VmArea | undefined {
    return this.areas.find((a) => addr >= a.addr && addr < a.addr + BigInt(a.size));
  }

  /** Live allocations in address order. */
  list(): readonly VmArea[] {
    return this.areas;
  }

  private alloc(kind: VmKind, size: number, name: string, parts?: readonly VmPart[]): bigint {
    const r = RANGE[kind];
    const call = `${r.alloc}(${size}) for ${name}`;
    if (!Number.isInteger(size) || size <= 0) throw new VmallocError(`${call}: the size must be a positive whole number of bytes`);
    if (size > VMALLOC_MAX) throw new VmallocError(`${call}: larger than the ${VMALLOC_MAX}-byte limit of one allocation`);
    const pages = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    const len = BigInt(pages);
    // first fit, in address order, leaving a guard page after every area
    let at = r.lo;
    for (const a of this.areas) {
      if (a.addr < r.lo || a.addr >= r.hi) continue;
      if (at + len + GUARD <= a.addr) break;
      const after = a.addr + BigInt(a.size) + GUARD;
      if (after > at) at = after;
    }
    if (at + len > r.hi) throw new VmallocError(`${call}: no free range of ${pages} bytes left in ${r.what} space ${hex(r.lo)}-${hex(r.hi)}`);
    const perm = kind === 'module' ? PERM_R | PERM_X : PERM_R | PERM_W;
    const cuts = parts ?? [{ offset: 0, perm }];
    const regions = cuts.map((p, i) => {
      const end = i + 1 < cuts.length ? cuts[i + 1].offset : pages;
      return this.mem.map(`${r.alloc} ${name}${i > 0 ? ` part ${i}` : ''}`, at + BigInt(p.offset), end - p.offset, p.perm);
    });
    const area: VmArea = { addr: at, size: pages, requested: size, kind, name, region: regions[0] };
    if (regions.length > 1) area.more = regions.slice(1);
    this.areas.push(area);
    this.areas.sort((x, y) => (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : 0));
    this.freed = this.freed.filter((f) => f.addr !== at);
    return at;
  }

  private free(kind: VmKind, addr: bigint): void {
    const r = RANGE[kind];
    const call = `${r.free}(${hex(addr)})`;
    const i = this.areas.findIndex((a) => a.addr === addr);
    if (i >= 0) {
      const a = this.areas[i];
      if (a.kind !== kind) {
        const other = RANGE[a.kind];
        throw new VmallocError(`${call}: ${a.name} at this address is ${other.what} from ${other.alloc}; free it with ${other.free}`);
      }
      this.mem.unmap(a.region);
      for (const m of a.more ?? []) this.mem.unmap(m);
      this.areas.splice(i, 1);
      this.freed.push({ addr: a.addr, size: a.size, kind: a.kind, name: a.name });
      if (a.kind === 'module') this.onFreeText?.(a.addr, a.size, a.name);
      return;
    }
    const inside = this.findArea(addr);
    if (inside !== undefined) {
      throw new VmallocError(`${call}: not the start of an allocation; it lies ${addrToNum(addr) - addrToNum(inside.addr)} bytes into ${inside.name} at ${hex(inside.addr)}`);
    }
    const gone = this.freed.find((f) => f.addr === addr);
    if (gone !== undefined) throw new VmallocError(`${call}: double free: ${gone.name} (${gone.size} bytes of ${RANGE[gone.kind].what}) at this address was already freed`);
    throw new VmallocError(`${call}: no allocation at this address`);
  }

  // ---- snapshots: the areas keep their Region objects, which restoreMachine maps back ------

  save(): VmState {
    return { areas: this.areas.map((a) => ({ ...a, more: a.more?.slice() })), freed: this.freed.map((f) => ({ ...f })) };
  }

  restore(s: VmState): void {
    this.areas = s.areas.map((a) => ({ ...a }));
    this.freed = s.freed.map((f) => ({ ...f }));
  }
}
