// Call-site records (struct dyn_ftrace), their flags and their page groups, as kernel/trace/ftrace.c and include/linux/ftrace.h keep them.

/** Record flags, at the kernel's bit positions (the low 19 bits hold the reference count). */
export const FTRACE_FL_ENABLED = 0x8000_0000;
export const FTRACE_FL_REGS = 0x4000_0000;
export const FTRACE_FL_REGS_EN = 0x2000_0000;
export const FTRACE_FL_TRAMP = 0x1000_0000;
export const FTRACE_FL_TRAMP_EN = 0x0800_0000;
export const FTRACE_FL_IPMODIFY = 0x0400_0000;
export const FTRACE_FL_DISABLED = 0x0200_0000;
export const FTRACE_FL_DIRECT = 0x0100_0000;
export const FTRACE_FL_DIRECT_EN = 0x0080_0000;
export const FTRACE_FL_CALL_OPS = 0x0040_0000;
export const FTRACE_FL_CALL_OPS_EN = 0x0020_0000;
export const FTRACE_FL_TOUCHED = 0x0010_0000;
export const FTRACE_FL_MODIFIED = 0x0008_0000;
export const FTRACE_REF_MAX_SHIFT = 19;
export const FTRACE_REF_MAX = (1 << FTRACE_REF_MAX_SHIFT) - 1;
/** Flags that survive when the last ops lets go of a record. */
export const FTRACE_NOCLEAR_FLAGS = FTRACE_FL_DISABLED | FTRACE_FL_TOUCHED | FTRACE_FL_MODIFIED;

/** sizeof(struct dyn_ftrace) on x86-64 (ip + flags) and the records one 4 KiB page holds. */
export const DYN_FTRACE_SIZE = 16;
export const PAGE_SIZE = 4096;
export const ENTRIES_PER_PAGE = PAGE_SIZE / DYN_FTRACE_SIZE;

/** The function a call site belongs to (what kallsyms says about rec->ip). */
export interface FtraceSymbol {
  name: string;
  start: bigint;
  size: number;
  module?: string;
}

/** Maps a site address to its function; undefined for an address inside no known function. */
export type SymbolResolver = (ip: bigint) => FtraceSymbol | undefined;

/** One patchable call site (struct dyn_ftrace). */
export class DynFtrace {
  /** Kernel flag bits plus, in the low 19 bits, the number of ops that want this site. */
  flags = 0;
  /**
   * The arch or the update engine could not change this site (the kernel's old FTRACE_FL_FAILED; modern
   * kernels mark it only by disabling ftrace). Kept apart from `flags` so that the flags print as the kernel's.
   */
  failed = false;
  /**
   * What the site's bytes call as of the last committed update: null for the nop, else the target
   * (ftrace_caller, ftrace_regs_caller or an ops' trampoline). The kernel derives it from the _EN bits
   * and the ops hashes (ftrace_get_addr_curr); we also remember it, so that a change names its old target.
   */
  curAddr: bigint | null;

  constructor(
    readonly ip: bigint,
    readonly func: FtraceSymbol,
    readonly mod: string | null,
    initialTarget: bigint | null,
  ) {
    this.curAddr = initialTarget;
  }

  get count(): number {
    return this.flags & FTRACE_REF_MAX;
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  set(flag: number): void {
    this.flags = (this.flags | flag) >>> 0;
  }

  clear(flag: number): void {
    this.flags = (this.flags & ~flag) >>> 0;
  }

  /** `func+0xoff/0xsize` (and ` [mod]`), as %pS prints the site. */
  symbolText(): string {
    const off = this.ip - this.func.start;
    const mod = this.func.module ?? this.mod;
    return `${this.func.name}+0x${off.toString(16)}/0x${this.func.size.toString(16)}${mod ? ` [${mod}]` : ''}`;
  }
}

/**
 * The records of one image or module (an ftrace_page list of one ftrace_process_locs call): sorted by
 * ip, with the pages and page groups the kernel would have allocated for them.
 */
export class RecordGroup {
  readonly records: DynFtrace[];
  readonly pages: number;
  readonly pageGroups: number;

  constructor(readonly mod: string | null, records: DynFtrace[]) {
    this.records = records;
    let pages = 0;
    let groups = 0;
    let left = records.length;
    // ftrace_allocate_records: the largest power-of-two block that does not leave a page empty, repeatedly.
    while (left > 0) {
      const want = Math.ceil(left / ENTRIES_PER_PAGE);
      const order = 31 - Math.clz32(want);
      pages += 1 << order;
      groups++;
      left -= Math.min(left, (PAGE_SIZE << order) / DYN_FTRACE_SIZE);
    }
    this.pages = pages;
    this.pageGroups = groups;
  }

  get first(): bigint {
    return this.records[0]!.ip;
  }

  get last(): bigint {
    return this.records[this.records.length - 1]!.ip;
  }

  /** Index of the first record with ip >= `ip` (records.length if none). */
  lowerBound(ip: bigint): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.records[mid]!.ip < ip) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** All record groups: the kernel image's first, then modules in load order (ftrace_pages_start). */
export class RecordTable {
  readonly groups: RecordGroup[] = [];

  add(group: RecordGroup): void {
    if (group.records.length > 0) this.groups.push(group);
  }

  remove(mod: string): RecordGroup | undefined {
    const i = this.groups.findIndex((g) => g.mod === mod);
    if (i < 0) return undefined;
    return this.groups.splice(i, 1)[0];
  }

  *records(): Generator<DynFtrace> {
    for (const g of this.groups) yield* g.records;
  }

  get total(): number {
    let n = 0;
    for (const g of this.groups) n += g.records.length;
    return n;
  }

  /** The lowest record whose ip lies in [start, end] (ftrace_location_range's lookup), binary search per group. */
  lookupRange(start: bigint, end: bigint): DynFtrace | undefined {
    let best: DynFtrace | undefined;
    for (const g of this.groups) {
      if (end < g.first || start > g.last) continue;
      const i = g.lowerBound(start);
      const rec = g.records[i];
      if (rec && rec.ip <= end && (!best || rec.ip < best.ip)) best = rec;
    }
    return best;
  }

  /** The record at exactly `ip`. */
  lookup(ip: bigint): DynFtrace | undefined {
    return this.lookupRange(ip, ip);
  }

  /**
   * ftrace_location: `ip` itself if it is a site; else, when `ip` is the start of a function (sym+0), the
   * site inside that function; else 0.
   */
  location(ip: bigint): bigint {
    const exact = this.lookup(ip);
    if (exact) return exact.ip;
    const next = this.lookupRange(ip, ip + 0xffff_ffffn);
    if (next && next.func.start === ip && next.ip < ip + BigInt(next.func.size)) return next.ip;
    return 0n;
  }
}
