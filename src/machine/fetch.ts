// Instruction fetch under cross-modifying code: what a CPU may observe of recently written text (SDM 8.1.3), torn/stale detection.

import type { Chooser } from './chooser.js';
import { decode } from './x86/decode.js';
import type { Insn } from './x86/insn.js';
import type { Region, ByteHistory } from './memory.js';

/** One byte of an observed instruction, for reports. */
export interface ObservedByte {
  /** guest address (signed double) */
  addr: number;
  observed: number;
  current: number;
  /** The values the byte held in the CPU's window: [time, value, writer cpu] (writer -1: before any recorded write). */
  window: [number, number, number][];
}

/** A CPU executed an instruction that never stood in memory whole (torn) or one the architecture no longer allows (stale). */
export class FetchViolation {
  constructor(
    readonly kind: 'torn' | 'stale',
    readonly cpu: number,
    readonly rip: number,
    readonly now: number,
    readonly serialTime: number,
    readonly bytes: ObservedByte[],
    /** for stale: the instant the observed instruction stood in memory */
    readonly stoodAt: number,
    readonly insn: Insn,
  ) {}
}

const MAX = 15;
const INT3 = 0xcc;

function valueAt(h: ByteHistory, t: number): number {
  let v = h.values[0];
  for (let i = 1; i < h.times.length && h.times[i] <= t; i++) v = h.values[i];
  return v;
}

/**
 * The x86 fetch model. A CPU that last serialized at time S and fetches at time `now` may see, for
 * each byte, any value the byte held from S to now; the chooser picks byte by byte. The result is
 * classified: torn if the observed bytes never stood together at one instant, stale if they stood
 * together only before a change the architecture requires the CPU to have serialized after.
 * On x86 two stale observations are allowed (what text_poke_bp relies on): executing an int3 that has
 * since been replaced (it traps, and the handler looks at current memory), and executing the old
 * instruction when the only change since is its first byte becoming int3.
 */
export class FetchModel {
  /** Bytes fetched with more than one candidate value (each one a chooser decision). */
  choices = 0;

  constructor(private readonly chooser: Chooser) {}

  /** Candidate values of byte `o` of `r` for a CPU with serialization time S at time now. */
  private candidates(r: Region, o: number, S: number, now: number): number[] | null {
    if (o >= r.size || r.lastWrite![o] <= S) return null;
    const h = r.history.get(o);
    if (h === undefined) return null;
    const out = [valueAt(h, S)];
    for (let i = 1; i < h.times.length; i++) {
      const t = h.times[i];
      if (t > S && t <= now && !out.includes(h.values[i])) out.push(h.values[i]);
    }
    return out.length > 1 ? out : null;
  }

  /**
   * Fetch the instruction at offset `off` of `r` for CPU `cpu` (serialized at S) at time `now`.
   * Returns the decoded instruction the CPU observes, or a FetchViolation.
   */
  observe(cpu: number, r: Region, off: number, S: number, now: number, cached: Insn | null): Insn | FetchViolation {
    const lw = r.lastWrite!;
    // Quick exit: no byte of the (current) instruction changed after S.
    if (cached !== null) {
      let fresh = false;
      const end = Math.min(r.size, off + cached.len);
      for (let o = off; o < end; o++) if (lw[o] > S) { fresh = true; break; }
      if (!fresh) return cached;
    }
    const avail = Math.min(MAX, r.size - off);
    const buf = r.bytes.slice(off, off + avail);
    const chosen = new Uint8Array(avail);
    const cands: (number[] | null)[] = new Array(avail).fill(null);
    let anyChoice = false;
    let d = decode(buf, 0, avail, r.start + off);
    for (;;) {
      let progressed = false;
      const len = Math.min(d.len, avail);
      for (let i = 0; i < len; i++) {
        if (chosen[i]) continue;
        chosen[i] = 1;
        const c = this.candidates(r, off + i, S, now);
        cands[i] = c;
        if (c !== null) {
          anyChoice = true;
          this.choices++;
          const v = c[this.chooser.choose('fetch', c.length, { cpu, addr: r.start + off + i })];
          if (v !== buf[i]) { buf[i] = v; progressed = true; }
        }
      }
      if (progressed) { d = decode(buf, 0, avail, r.start + off); continue; }
      // a longer decode may have brought new unchosen positions into range
      let more = false;
      for (let i = 0; i < Math.min(d.len, avail); i++) if (!chosen[i]) { more = true; break; }
      if (!more) break;
    }
    if (!anyChoice && cached !== null) return cached;
    const len = Math.min(d.len, avail);
    // Classify: at which instants did memory hold exactly buf[0..len)?
    const instants = new Set<number>([S]);
    for (let i = 0; i < len; i++) {
      const h = r.history.get(off + i);
      if (h) for (const t of h.times) if (t > S && t <= now) instants.add(t);
    }
    let latest = -1;
    for (const t of instants) {
      let ok = true;
      for (let i = 0; i < len && ok; i++) {
        const h = r.history.get(off + i);
        const v = h ? valueAt(h, t) : r.bytes[off + i];
        if (v !== buf[i]) ok = false;
      }
      if (ok && t > latest) latest = t;
    }
    let isCurrent = true;
    for (let i = 0; i < len; i++) if (buf[i] !== r.bytes[off + i]) { isCurrent = false; break; }
    if (isCurrent) return d;
    const report = (kind: 'torn' | 'stale'): FetchViolation => {
      const bytes: ObservedByte[] = [];
      for (let i = 0; i < len; i++) {
        const h = r.history.get(off + i);
        const win: [number, number, number][] = [];
        if (h) {
          for (let k = 0; k < h.times.length; k++) {
            const t = h.times[k];
            const next = k + 1 < h.times.length ? h.times[k + 1] : Infinity;
            if (next > S && t <= now) win.push([t, h.values[k], h.cpus[k]]);
          }
        }
        bytes.push({ addr: r.start + off + i, observed: buf[i], current: r.bytes[off + i], window: win });
      }
      return new FetchViolation(kind, cpu, r.start + off, now, S, bytes, latest, d);
    };
    if (latest < 0) return report('torn');
    // Stale: allowed only for the int3 cases text_poke_bp relies on.
    if (buf[0] === INT3) return d;
    let onlyFirstToInt3 = r.bytes[off] === INT3;
    for (let i = 1; i < len && onlyFirstToInt3; i++) if (buf[i] !== r.bytes[off + i]) onlyFirstToInt3 = false;
    if (onlyFirstToInt3) return d;
    return report('stale');
  }
}
