// Execution tiers: the interpreter alone, or the interpreter with the compiler for hot code (src/machine/x86/jit.ts).

/** `interp`: every instruction through the interpreter; `jit`: hot code compiled, the rest interpreted. */
export type Tier = 'interp' | 'jit';

export const TIERS: readonly Tier[] = ['interp', 'jit'];

/** A tier name that is not one of TIERS. */
export class TierError extends Error {}

/** Parse a tier name (a CLI option, the environment), with a precise error for anything else. */
export function parseTier(s: string, what = 'tier'): Tier {
  if ((TIERS as readonly string[]).includes(s)) return s as Tier;
  throw new TierError(`${what} must be one of ${TIERS.join(', ')}, got '${s}'`);
}

/** The default tier: FTSIM_TIER from the environment when set (the test suite's tier mode), else the fastest. */
export function defaultTier(): Tier {
  const e = typeof process !== 'undefined' ? process.env.FTSIM_TIER : undefined;
  return e === undefined || e === '' ? 'jit' : parseTier(e, 'FTSIM_TIER');
}
