// Tier 2: compiles hot x86 code into JS functions that run where the interpreter would skip the fetch model (see cpu.ts run loop).

/** Figures of the compiler, for benchmarks and tests (process-wide, since compiled units are shared through the cache). */
export interface JitStats {
  /** Units compiled (cache misses that reached the compiler). */
  unitsCompiled: number;
  /** Units found in the cache by address and bytes (a repeated boot, a snapshot restore). */
  unitsReused: number;
  /** Milliseconds spent generating and instantiating compiled code. */
  compileMs: number;
  /** Instructions retired inside compiled units. */
  instructions: number;
  /** Entries into compiled units. */
  entries: number;
}

export const jitStats: JitStats = { unitsCompiled: 0, unitsReused: 0, compileMs: 0, instructions: 0, entries: 0 };

/** Reset the figures (benchmarks measure one run at a time). */
export function resetJitStats(): void {
  jitStats.unitsCompiled = 0; jitStats.unitsReused = 0; jitStats.compileMs = 0; jitStats.instructions = 0; jitStats.entries = 0;
}
