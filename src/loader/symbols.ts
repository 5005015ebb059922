// Address <-> symbol lookup for disassembly, error messages and trace output; the role of kernel/kallsyms.c.

import type { ElfImage } from './elf.js';

export interface SymbolInput {
  name: string;
  value: bigint;
  size: number;
  /** ELF symbol type: 'func', 'object' and 'notype' are kept, anything else is ignored. */
  type: string;
  /** Optional ELF binding; a global or weak symbol wins lookup(name) over a local one of the same name. */
  bind?: string;
  /** Optional module name, shown as "sym+0x4 [mod]" by format() like the kernel's %pS. */
  module?: string;
}

export interface SymbolEntry {
  name: string;
  value: bigint;
  size: bigint;
  rank: number;
  global: boolean;
  module: string | undefined;
}

export interface NearestSymbol {
  name: string;
  value: bigint;
  offset: bigint;
  /** Set when the symbol came from a module. */
  module?: string;
}

/** What SymbolTable.save keeps (entries are never changed once made, so they are shared). */
export interface SymbolTableState {
  readonly entries: readonly SymbolEntry[];
  readonly maxEnd: readonly bigint[];
  readonly byName: ReadonlyMap<string, SymbolEntry>;
  readonly holes: readonly (readonly [bigint, bigint])[];
}

const KEPT_TYPES = new Set(['func', 'object', 'notype']);

/** Preference among symbols at the same address: a sized function first, then a sized object, then the rest. */
function rankOf(type: string, size: number): number {
  const t = type === 'func' ? 3 : type === 'object' ? 2 : 1;
  return t * 2 + (size > 0 ? 1 : 0);
}

/**
 * Symbols sorted by address. Keeps func/object/notype symbols with a name and a nonzero value.
 * nearest() prefers the innermost symbol whose [value, value+size) contains the address, else the
 * closest symbol at or below it (as kallsyms does for symbols without sizes).
 */
export class SymbolTable {
  private entries: SymbolEntry[] = [];
  /** maxEnd[i]: the largest value+size among entries[0..i]; bounds the backward walk in nearest(). */
  private maxEnd: bigint[] = [];
  private byName = new Map<string, SymbolEntry>();
  /** Ranges whose symbols were removed (unloaded modules): an address there has no symbol, not the one below. */
  private holes: [bigint, bigint][] = [];

  constructor(symbols: readonly SymbolInput[] = []) {
    this.add(symbols);
  }

  static fromImage(img: ElfImage): SymbolTable {
    // Only symbols with an address in the image: defined, not section-relative placeholders of an object.
    return new SymbolTable(img.symbols.filter((s) => s.shndx !== 0));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Merge more symbols (a module's, once linked). */
  add(symbols: readonly SymbolInput[]): void {
    for (const s of symbols) {
      if (!s.name || s.value === 0n || !KEPT_TYPES.has(s.type)) continue;
      const e: SymbolEntry = {
        name: s.name,
        value: BigInt.asUintN(64, s.value),
        size: BigInt(Math.max(0, Math.floor(s.size))),
        rank: rankOf(s.type, s.size),
        global: s.bind === 'global' || s.bind === 'weak',
        module: s.module,
      };
      this.entries.push(e);
      this.holes = this.holes.filter(([lo, hi]) => e.value < lo || e.value >= hi);
      const prev = this.byName.get(e.name);
      if (!prev || (e.global && !prev.global)) this.byName.set(e.name, e);
    }
    this.reindex();
  }

  /** Forget every symbol in [start, end) (a module being unloaded); addresses there resolve to no symbol until new ones arrive. */
  removeRange(start: bigint, end: bigint): void {
    this.entries = this.entries.filter((e) => e.value < start || e.value >= end);
    this.holes.push([start, end]);
    this.byName.clear();
    for (const e of this.entries) {
      const prev = this.byName.get(e.name);
      if (!prev || (e.global && !prev.global)) this.byName.set(e.name, e);
    }
    this.reindex();
  }

  private reindex(): void {
    // Ascending by address; among equals the preferred symbol last, so a backward walk meets it first.
    this.entries.sort((a, b) =>
      a.value !== b.value ? (a.value < b.value ? -1 : 1) : a.rank !== b.rank ? a.rank - b.rank : a.name < b.name ? 1 : a.name > b.name ? -1 : 0,
    );
    this.maxEnd = new Array<bigint>(this.entries.length);
    let m = 0n;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      const end = e.value + e.size;
      if (end > m) m = end;
      this.maxEnd[i] = m;
    }
  }

  /** The table as it is now (a kernel snapshot: module symbols come and go with the modules). */
  save(): SymbolTableState {
    return { entries: this.entries.slice(), maxEnd: this.maxEnd.slice(), byName: new Map(this.byName), holes: this.holes.map(([lo, hi]) => [lo, hi]) };
  }

  restore(s: SymbolTableState): void {
    this.entries = s.entries.slice();
    this.maxEnd = s.maxEnd.slice();
    this.byName = new Map(s.byName);
    this.holes = s.holes.map(([lo, hi]) => [lo, hi]);
  }

  lookup(name: string): bigint | undefined {
    return this.byName.get(name)?.value;
  }

  nearest(addr: bigint): NearestSymbol | undefined {
    const a = BigInt.asUintN(64, addr);
    const es = this.entries;
    // Last entry with value <= a.
    let lo = 0;
    let hi = es.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (es[mid].value <= a) lo = mid + 1;
      else hi = mid;
    }
    const top = lo - 1;
    if (top < 0) return undefined;
    for (const [hlo, hhi] of this.holes) if (a >= hlo && a < hhi && es[top].value < hlo) return undefined;
    let chosen = es[top];
    for (let i = top; i >= 0 && this.maxEnd[i] > a; i--) {
      const e = es[i];
      if (a < e.value + e.size) {
        chosen = e;
        break;
      }
    }
    const r: NearestSymbol = { name: chosen.name, value: chosen.value, offset: a - chosen.value };
    if (chosen.module !== undefined) r.module = chosen.module;
    return r;
  }

  /** The size in bytes of the symbol nearest(addr) picks (0 when the ELF gave none, or no symbol). */
  sizeOf(addr: bigint): number {
    const n = this.nearest(addr);
    if (!n) return 0;
    for (const e of this.entries) if (e.value === n.value && e.name === n.name) return Number(e.size);
    return 0;
  }

  /** "vfs_read+0x1c", "vfs_read" at offset 0 (objdump's <...> form), "mod_fn+0x5 [mymod]" for a module, else "0xffffffff81000123". */
  format(addr: bigint): string {
    const n = this.nearest(addr);
    if (!n) return '0x' + BigInt.asUintN(64, addr).toString(16);
    const s = n.offset === 0n ? n.name : `${n.name}+0x${n.offset.toString(16)}`;
    return n.module !== undefined ? `${s} [${n.module}]` : s;
  }
}
