// The recent-instructions ring's entries: the interpreter records each instruction's address; compiled code records one entry per block it runs (a run), expanded when a report needs the instructions.
//
// An entry is a guest address (an integer), or a run: the first `count` instructions of a compiled
// block, encoded as a negative number with a fractional half, which no address is. The block's
// addresses are registered when its code is generated and stay registered for the process (compiled
// modules are cached and reused by later boots). NaN is an empty slot.

/** Instructions a run entry can count (a unit has at most jitConfig.maxUnit instructions). */
export const RUN_MAX = 1 << 16;

/** Addresses of each registered block, by run id. */
const runs: Float64Array[] = [];

/** Register a compiled block's instruction addresses; returns its run id. */
export function registerRun(addrs: readonly number[]): number {
  if (addrs.length === 0 || addrs.length >= RUN_MAX) throw new Error(`a run of ${addrs.length} instructions cannot be recorded in the ring`);
  runs.push(Float64Array.from(addrs));
  return runs.length - 1;
}

/** The ring entry of run `id`'s first `count` instructions. */
export function runEntry(id: number, count: number): number {
  return -(id * RUN_MAX + count) - 0.5;
}

/** Append the addresses an entry stands for to `out` (nothing for an empty slot). */
export function expandEntry(e: number, out: number[]): void {
  if (e !== e) return;
  if (Math.floor(e) === e) { out.push(e); return; }
  const v = -(e + 0.5);
  const id = Math.floor(v / RUN_MAX), n = v - id * RUN_MAX;
  const a = runs[id];
  for (let i = 0; i < n; i++) out.push(a[i]);
}

/** The address of the last instruction an entry stands for (NaN for an empty slot). */
export function lastAddress(e: number): number {
  if (e !== e || Math.floor(e) === e) return e;
  const v = -(e + 0.5);
  const id = Math.floor(v / RUN_MAX), n = v - id * RUN_MAX;
  return runs[id][n - 1];
}

/** The last `max` instructions a ring names, oldest first (`pos`: the newest entry's slot). */
export function ringAddresses(ring: Float64Array, pos: number, max: number): number[] {
  const out: number[] = [];
  const m = ring.length - 1;
  for (let i = 1; i <= ring.length; i++) expandEntry(ring[(pos + i) & m], out);
  return out.length > max ? out.slice(out.length - max) : out;
}
