// Benchmark figures of the two execution tiers on one workload: the interpreter alone against the interpreter with the compiler, measured in the same process, with the compiler's own figures (jitStats).

import { jitStats, resetJitStats, type JitStats } from '../src/machine/x86/jit.js';
import type { Tier } from '../src/machine/tier.js';

/** One timed run: guest instructions retired and host seconds (boot excluded). */
export interface TimedRun {
  instructions: number;
  seconds: number;
}

/** Time `run` under `tier`, the compiler's figures counted from zero for it. */
export function timedUnder<T extends TimedRun>(tier: Tier, run: (tier: Tier, start: () => void) => T): T & { jit: JitStats } {
  const r = run(tier, resetJitStats);
  return { ...r, jit: { ...jitStats } };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The comparison keys: interpreterOnly.instructionsPerSecond, tiered.instructionsPerSecond (with the
 * compile time's share of the run, units compiled and reused, the share of instructions run compiled)
 * and tieredVsInterpreter. Both runs must have retired the same instructions (the tiers agree).
 */
export function tierFigures(interp: TimedRun, tiered: TimedRun & { jit: JitStats }, what: string): Record<string, unknown> {
  if (interp.instructions !== tiered.instructions) {
    throw new Error(`bench: ${what}: the tiers disagree: ${interp.instructions} instructions interpreted, ${tiered.instructions} tiered`);
  }
  const ips = (r: TimedRun): number => Math.round(r.instructions / r.seconds);
  return {
    interpreterOnly: { instructionsPerSecond: ips(interp), seconds: round(interp.seconds, 3) },
    tiered: {
      instructionsPerSecond: ips(tiered),
      seconds: round(tiered.seconds, 3),
      compileShareOfRun: round(tiered.jit.compileMs / (tiered.seconds * 1000), 4),
      unitsCompiled: tiered.jit.unitsCompiled,
      unitsReused: tiered.jit.unitsReused,
      compiledInstructionShare: round(tiered.jit.instructions / tiered.instructions, 4),
      entries: tiered.jit.entries,
    },
    tieredVsInterpreter: round(ips(tiered) / ips(interp), 3),
  };
}
