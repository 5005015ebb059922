// Instruction fetch under cross-modifying code: what a CPU may observe of recently written text (SDM 8.1.3), torn/stale/mid-instruction detection.

import type { Chooser } from './chooser.js';
import type { Region, ByteHistory, PatchSite } from './memory.js';

/** What the fetch model needs of a decoded instruction. */
export interface FetchedInsn {
  len: number;
}

/**
 * The architecture's rules, so that the model itself knows no opcodes: how to decode what a CPU
 * fetched, which stale observations the architecture allows, where the instruction boundaries of a
 * patch site's contents are.
 */
export interface FetchPolicy<I extends FetchedInsn> {
  /** Decode one instruction from buf[off..off+avail) at guest address addr (never throws). */
  decode(buf: Uint8Array, off: number, avail: number, addr: number): I;
  /** False for bytes that are no instruction the machine knows. */
  valid(insn: I): boolean;
  /**
   * A CPU observed the first `len` bytes of `observed` that stood in memory together once, but not
   * now (memory holds `current`): may it execute them without having serialized?
   */
  staleAllowed(observed: Uint8Array, current: Uint8Array, len: number): boolean;
  /**
   * Offsets of the instruction boundaries in a patch site's contents (0 and the length included),
   * or null when the contents are a transitional state of a patching protocol or do not decode to
   * whole instructions.
   */
  siteBoundaries(bytes: Uint8Array): number[] | null;
}

/** One byte of an observed instruction, for reports. */
export interface ObservedByte {
  /** guest address (signed double) */
  addr: number;
  observed: number;
  current: number;
  /**
   * The values the byte held in the CPU's window: [time, value, writer cpu, end] (writer -1: before
   * any recorded write; end: when the logical write that stored it made its last store, Infinity
   * while it is still in progress).
   */
  window: [number, number, number, number][];
}

/** The patch site a mid-instruction fetch fell into, for reports. */
export interface SiteReport {
  addr: number;
  len: number;
  /** offset of the fetch inside the site */
  offset: number;
  contents: number[];
  /** instruction boundaries of each settled contents the site has held */
  versions: { bytes: number[]; bounds: number[] }[];
}

export type FetchViolationKind = 'torn' | 'stale' | 'mid-instruction';

/**
 * A CPU executed an instruction that never stood in memory whole outside a write in progress
 * (torn), one the architecture no longer allows (stale), or started fetching inside an
 * instruction of a patch site (mid-instruction).
 */
export class FetchViolation<I extends FetchedInsn = FetchedInsn> {
  constructor(
    readonly kind: FetchViolationKind,
    readonly cpu: number,
    readonly rip: number,
    readonly now: number,
    readonly serialTime: number,
    readonly bytes: ObservedByte[],
    /** for stale: the instant the observed instruction stood in memory */
    readonly stoodAt: number,
    readonly insn: I,
    readonly site: SiteReport | null = null,
  ) {}
}

const MAX = 15;
/** Settled contents remembered per patch site. */
const MAX_VERSIONS = 16;

function indexAt(h: ByteHistory, t: number): number {
  let k = 0;
  for (let i = 1; i < h.times.length && h.times[i] <= t; i++) k = i;
  return k;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The fetch model. A CPU that last serialized at time S and fetches at time `now` may see, for each
 * byte, any value the byte held from the later of S and its own last write of the byte up to now;
 * the chooser picks byte by byte. The result is classified:
 * - torn if the observed bytes never stood together at an instant outside a logical write in
 *   progress (one text_poke call is one write: its intermediate states are never instructions);
 * - stale if they stood together only before a change the CPU should have serialized after, and
 *   the architecture's policy does not allow executing them.
 * Separately, a fetch that starts strictly inside an instruction of a patch site's contents is a
 * mid-instruction violation (checked on decoded-cache misses: text writes invalidate the whole site).
 */
export class FetchModel<I extends FetchedInsn = FetchedInsn> {
  /** Bytes fetched with more than one candidate value (each one a chooser decision). */
  choices = 0;

  constructor(private readonly chooser: Chooser, readonly policy: FetchPolicy<I>) {}

  /** Where this CPU's window for byte `o` starts: its serialization, or its own later write of the byte. */
  private windowStart(h: ByteHistory, S: number, now: number, cpu: number): number {
    for (let k = h.times.length - 1; k >= 1; k--) {
      const t = h.times[k];
      if (t <= now && h.cpus[k] === cpu) return t > S ? t : S;
    }
    return S;
  }

  /** Candidate values of byte `o` of `r` for a CPU with serialization time S at time now (null: just the current one). */
  private candidates(r: Region, o: number, S: number, now: number, cpu: number): number[] | null {
    if (o >= r.size || r.lastWrite![o] <= S) return null;
    const h = r.history.get(o);
    if (h === undefined) return null;
    const s = this.windowStart(h, S, now, cpu);
    const out = [h.values[indexAt(h, s)]];
    for (let i = 1; i < h.times.length; i++) {
      const t = h.times[i];
      if (t > s && t <= now && !out.includes(h.values[i])) out.push(h.values[i]);
    }
    return out.length > 1 ? out : null;
  }

  /** The values byte `addr - r.start` may show to this CPU now (tests, reports). */
  window(cpu: number, r: Region, off: number, S: number, now: number): number[] {
    return this.candidates(r, off, S, now, cpu) ?? [r.bytes[off]];
  }

  /**
   * Fetch the instruction at offset `off` of `r` for CPU `cpu` (serialized at S) at time `now`.
   * Returns the decoded instruction the CPU observes, or a FetchViolation.
   */
  observe(cpu: number, r: Region, off: number, S: number, now: number, cached: I | null): I | FetchViolation<I> {
    const lw = r.lastWrite!;
    // Quick exit: no byte of the (current) instruction changed after S, none is part of a write in progress.
    if (cached !== null) {
      let fresh = false;
      const end = Math.min(r.size, off + cached.len);
      for (let o = off; o < end; o++) if (lw[o] > S) { fresh = true; break; }
      if (!fresh) return cached;
    }
    const policy = this.policy;
    const avail = Math.min(MAX, r.size - off);
    const cur = r.bytes.subarray(off, off + avail);
    const buf = cur.slice();
    const chosen = new Uint8Array(avail);
    let anyChoice = false;
    let d = policy.decode(buf, 0, avail, r.start + off);
    for (;;) {
      let progressed = false;
      const len = Math.min(d.len, avail);
      for (let i = 0; i < len; i++) {
        if (chosen[i]) continue;
        chosen[i] = 1;
        const c = this.candidates(r, off + i, S, now, cpu);
        if (c !== null) {
          anyChoice = true;
          this.choices++;
          const v = c[this.chooser.choose('fetch', c.length, { cpu, addr: r.start + off + i })];
          if (v !== buf[i]) { buf[i] = v; progressed = true; }
        }
      }
      if (progressed) { d = policy.decode(buf, 0, avail, r.start + off); continue; }
      // a longer decode may have brought new unchosen positions into range
      let more = false;
      for (let i = 0; i < Math.min(d.len, avail); i++) if (!chosen[i]) { more = true; break; }
      if (!more) break;
    }
    const len = Math.min(d.len, avail);
    const latest = this.stoodTogether(r, off, len, buf, S, now);
    let isCurrent = true;
    for (let i = 0; i < len; i++) if (buf[i] !== cur[i]) { isCurrent = false; break; }
    if (latest >= 0 && isCurrent) return !anyChoice && cached !== null ? cached : d;
    if (latest < 0) return this.report('torn', cpu, r, off, len, buf, S, now, latest, d);
    if (policy.staleAllowed(buf, cur, len)) return d;
    return this.report('stale', cpu, r, off, len, buf, S, now, latest, d);
  }

  /**
   * The latest instant in [S, now] at which memory held exactly buf[0..len) at off and no byte of it
   * belonged to a logical write still in progress; -1 when there is none.
   */
  private stoodTogether(r: Region, off: number, len: number, buf: Uint8Array, S: number, now: number): number {
    const instants = new Set<number>([S]);
    for (let i = 0; i < len; i++) {
      const h = r.history.get(off + i);
      if (h === undefined) continue;
      for (let k = 0; k < h.times.length; k++) {
        const t = h.times[k], e = h.ends[k];
        if (t > S && t <= now) instants.add(t);
        if (e > S && e <= now) instants.add(e);
      }
    }
    let latest = -1;
    for (const t of instants) {
      if (t <= latest) continue;
      let ok = true;
      for (let i = 0; i < len && ok; i++) {
        const h = r.history.get(off + i);
        if (h === undefined) { ok = r.bytes[off + i] === buf[i]; continue; }
        const k = indexAt(h, t);
        ok = h.values[k] === buf[i] && h.ends[k] <= t;
      }
      if (ok) latest = t;
    }
    return latest;
  }

  private report(kind: 'torn' | 'stale', cpu: number, r: Region, off: number, len: number, buf: Uint8Array, S: number, now: number, latest: number, d: I): FetchViolation<I> {
    const bytes: ObservedByte[] = [];
    for (let i = 0; i < len; i++) {
      const h = r.history.get(off + i);
      const win: [number, number, number, number][] = [];
      if (h) {
        for (let k = 0; k < h.times.length; k++) {
          const t = h.times[k];
          const next = k + 1 < h.times.length ? h.times[k + 1] : Infinity;
          if (next > S && t <= now) win.push([t, h.values[k], h.cpus[k], h.ends[k]]);
        }
      }
      bytes.push({ addr: r.start + off + i, observed: buf[i], current: r.bytes[off + i], window: win });
    }
    return new FetchViolation(kind, cpu, r.start + off, now, S, bytes, latest, d);
  }

  // ---- patch sites ---------------------------------------------------------------------

  /**
   * A fetch at offset `off` of `r` (a decoded-cache miss): when it lies strictly inside a patch
   * site, it must be an instruction boundary of settled contents whose bytes from there on are what
   * memory holds now; otherwise the CPU is executing from the middle of an instruction.
   */
  midInstruction(cpu: number, r: Region, off: number, S: number, now: number): FetchViolation<I> | null {
    const s = r.siteInterior.get(off);
    if (s === undefined || s.versions.length === 0) return null;
    const k = off - s.off;
    const cur = r.bytes.subarray(s.off, s.off + s.len);
    for (const v of s.versions) {
      if (!v.bounds.includes(k)) continue;
      let same = true;
      for (let i = k; i < s.len && same; i++) if (v.bytes[i] !== cur[i]) same = false;
      if (same) return null;
    }
    const avail = Math.min(MAX, r.size - off);
    const d = this.policy.decode(r.bytes, off, avail, r.start + off);
    const bytes: ObservedByte[] = [];
    for (let i = 0; i < Math.min(d.len, avail); i++) bytes.push({ addr: r.start + off + i, observed: r.bytes[off + i], current: r.bytes[off + i], window: [] });
    const site: SiteReport = {
      addr: r.start + s.off, len: s.len, offset: k, contents: Array.from(cur),
      versions: s.versions.map((v) => ({ bytes: Array.from(v.bytes), bounds: v.bounds.slice() })),
    };
    return new FetchViolation('mid-instruction', cpu, r.start + off, now, S, bytes, -1, d, site);
  }

  /** [off, off+len) of `r` is a patch site: remember it, and its present contents if they are settled ones. */
  noteSite(r: Region, off: number, len: number): void {
    if (r.lastWrite === null || len < 1) return;
    this.addVersion(r, r.addSite(off, len));
  }

  /**
   * A logical write of `data` at `off` of `r` is about to begin. With `site` (offset and length in
   * `r`) the caller names the instruction(s) it rewrites; without, a write that touches no known
   * site and whose new bytes are whole instructions makes the written range a site.
   */
  beforeWrite(r: Region, off: number, data: Uint8Array, site?: { off: number; len: number }): void {
    if (r.lastWrite === null) return;
    if (site !== undefined) { this.noteSite(r, site.off, site.len); return; }
    for (let o = off; o < off + data.length; o++) if (r.siteAt(o) !== undefined) return;
    if (data.length > 1 && this.policy.siteBoundaries(data) !== null) this.noteSite(r, off, data.length);
  }

  /** A logical write to [off, off+len) of `r` ended: the sites it touched remember their contents when settled. */
  afterWrite(r: Region, off: number, len: number): void {
    if (r.lastWrite === null) return;
    const seen = new Set<PatchSite>();
    for (let o = off; o < off + len; o++) {
      const s = r.siteAt(o);
      if (s !== undefined && !seen.has(s)) { seen.add(s); this.addVersion(r, s); }
    }
  }

  private addVersion(r: Region, s: PatchSite): void {
    const bytes = r.bytes.slice(s.off, s.off + s.len);
    const bounds = this.policy.siteBoundaries(bytes);
    if (bounds === null) return;
    if (s.versions.some((v) => sameBytes(v.bytes, bytes))) return;
    s.versions.push({ bytes, bounds });
    if (s.versions.length > MAX_VERSIONS) s.versions.shift();
  }
}
