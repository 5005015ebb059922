// Text lifetimes for invariant 5: ranges of executable memory that an owner frees or rewrites while CPUs run, and the check that no context entered before such an event comes back into the range.
//
// The machine knows no stubs or trampolines: an owner (the kernel) names a range when it frees it
// (`retire`), and may `guard` a live range so that a text write into it, outside the sub-ranges it
// declares patchable (the call or jmp that text_poke_bp rewrites), counts as a rewrite of the whole
// range. The flow monitor stamps every return address and interrupt frame with the machine time it
// was pushed; a ret or iret whose target lies in a range freed or rewritten after that stamp is a
// CPU going back into text that is gone or changed under it (see FlowIntegrity). A fetch that
// faults in freed, unmapped text is reported by the kernel's #PF handler through `freedAt`.

import { hex } from './memory.js';

/** One free or rewrite of a range. */
export interface TextEvent {
  lo: number;
  hi: number;
  /** machine time of the free or of the write */
  at: number;
  how: 'freed' | 'rewritten';
  /** the owner's name for the text (e.g. "ftrace trampoline (my_ops)") */
  label: string;
  /** CPU that freed or wrote it (-1: unknown) */
  cpu: number;
  /** for a rewrite: the first byte written */
  addr: number;
}

interface Guard {
  lo: number;
  hi: number;
  label: string;
  /** patchable sub-ranges [lo, hi): writes there are not rewrites */
  allowed: [number, number][];
}

export interface TextLifetimesState {
  events: TextEvent[];
  guards: Guard[];
}

export class TextLifetimes {
  private events: TextEvent[] = [];
  private guards: Guard[] = [];
  /** Bounds of every event's range (a quick miss for the common ret). */
  private min = Infinity;
  private max = -Infinity;

  /** The lowest start and highest end of every event's range (Infinity and -Infinity while there is none). */
  get low(): number { return this.min; }
  get high(): number { return this.max; }

  /** Watch [lo, lo+size) for rewrites outside `allowed` (each [start, length]) until it is retired. */
  guard(lo: number, size: number, label: string, allowed: readonly [number, number][] = []): void {
    this.guards = this.guards.filter((g) => g.hi <= lo || g.lo >= lo + size);
    this.guards.push({ lo, hi: lo + size, label, allowed: allowed.map(([a, n]) => [a, a + n]) });
  }

  /** [lo, lo+size) was freed at machine time `at` by `cpu`. */
  retire(lo: number, size: number, at: number, label: string, cpu = -1): void {
    this.guards = this.guards.filter((g) => g.hi <= lo || g.lo >= lo + size);
    this.add({ lo, hi: lo + size, at, how: 'freed', label, cpu, addr: lo });
  }

  /** A text write of `len` bytes at `addr` (every text_poke store): a rewrite when it lands in a guarded range outside its patchable parts. */
  onTextWrite(addr: number, len: number, at: number, cpu: number): void {
    if (this.guards.length === 0) return;
    for (const g of this.guards) {
      if (addr + len <= g.lo || addr >= g.hi) continue;
      let outside = false;
      for (let a = addr; a < addr + len && !outside; a++) {
        if (a < g.lo || a >= g.hi) continue;
        if (!g.allowed.some(([s, e]) => a >= s && a < e)) outside = true;
      }
      if (outside) this.add({ lo: g.lo, hi: g.hi, at, how: 'rewritten', label: g.label, cpu, addr });
    }
  }

  private add(e: TextEvent): void {
    this.events.push(e);
    if (e.lo < this.min) this.min = e.lo;
    if (e.hi > this.max) this.max = e.hi;
  }

  /** The latest free or rewrite of a range holding `addr` after machine time `since`, if any. */
  after(addr: number, since: number): TextEvent | undefined {
    if (addr < this.min || addr >= this.max) return undefined;
    let found: TextEvent | undefined;
    for (const e of this.events) if (addr >= e.lo && addr < e.hi && e.at > since && (found === undefined || e.at > found.at)) found = e;
    return found;
  }

  /** The latest free of a range holding `addr`, if any. */
  freedAt(addr: number): TextEvent | undefined {
    if (addr < this.min || addr >= this.max) return undefined;
    let found: TextEvent | undefined;
    for (const e of this.events) if (e.how === 'freed' && addr >= e.lo && addr < e.hi && (found === undefined || e.at > found.at)) found = e;
    return found;
  }

  /** One line for a report. */
  static describe(e: TextEvent): string {
    const who = e.cpu >= 0 ? ` by CPU ${e.cpu}` : '';
    const what = e.how === 'freed' ? 'freed' : `rewritten (a write at ${hex(e.addr)}, outside its patchable call)`;
    return `${e.label} at ${hex(e.lo)}-${hex(e.hi)} was ${what} at t=${e.at}${who}`;
  }

  save(): TextLifetimesState {
    return { events: this.events.slice(), guards: this.guards.map((g) => ({ ...g, allowed: g.allowed.slice() })) };
  }

  restore(s: TextLifetimesState): void {
    this.events = s.events.slice();
    this.guards = s.guards.map((g) => ({ ...g, allowed: g.allowed.slice() }));
    this.min = Infinity; this.max = -Infinity;
    for (const e of this.events) { if (e.lo < this.min) this.min = e.lo; if (e.hi > this.max) this.max = e.hi; }
  }
}
