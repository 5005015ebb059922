// The x86 rules the instruction-fetch model needs: how to decode what a CPU fetched, and which stale observations the architecture allows.

import { decode } from './decode.js';
import { Op, type Insn } from './insn.js';
import type { FetchPolicy } from '../fetch.js';

/** The breakpoint instruction (int3), the only byte text_poke_bp ever writes over a live instruction's first byte. */
const INT3 = 0xcc;

/**
 * x86 (SDM 8.1.3, and what text_poke_bp relies on): a CPU that has not serialized since a byte of
 * an instruction changed may execute the old instruction only in two cases — the bytes it saw
 * start with an int3 (it traps, and the handler looks at current memory), or the only difference
 * from current memory is that the first byte has since become an int3.
 */
export const x86FetchPolicy: FetchPolicy<Insn> = {
  decode(buf: Uint8Array, off: number, avail: number, addr: number): Insn {
    return decode(buf, off, avail, addr);
  },

  valid(insn: Insn): boolean {
    return insn.op !== Op.INVALID;
  },

  staleAllowed(observed: Uint8Array, current: Uint8Array, len: number): boolean {
    if (observed[0] === INT3) return true;
    if (current[0] !== INT3) return false;
    for (let i = 1; i < len; i++) if (observed[i] !== current[i]) return false;
    return true;
  },

  siteBoundaries(bytes: Uint8Array): number[] | null {
    // an int3 over the first byte is a state of the patching protocol, not contents of the site
    if (bytes.length === 0 || bytes[0] === INT3) return null;
    const bounds: number[] = [0];
    let p = 0;
    while (p < bytes.length) {
      const d = decode(bytes, p, bytes.length - p, 0);
      if (d.op === Op.INVALID || d.op === Op.INT3) return null;
      p += d.len;
      bounds.push(p);
    }
    return p === bytes.length ? bounds : null;
  },
};
