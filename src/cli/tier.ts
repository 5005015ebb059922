// The --tier option of every command that runs the machine, and the tier a command runs under (the option, else FTSIM_TIER, else jit).

import { Option } from 'commander';
import { defaultTier, parseTier, TIERS, TierError, type Tier } from '../machine/tier.js';
import { jitEnvProblem } from '../machine/x86/jit.js';

/** `--tier <name>`: a bad name is a TierError (one line, exit 1, as every bad option). */
export function tierOption(): Option {
  return new Option('--tier <name>', `execution tier (${TIERS.join(', ')}): interp runs every instruction through the interpreter, ` +
    'jit compiles hot code; both give the same run, decision for decision (default: FTSIM_TIER from the environment, else jit)')
    .argParser((v: string) => parseTier(v, '--tier'));
}

/** The tier a command runs under: the one given, else the environment's, else the fastest (a bad FTSIM_TIER or FTSIM_JIT_HOT is a TierError). */
export function tierOf(given: Tier | undefined): Tier {
  if (jitEnvProblem !== null) throw new TierError(jitEnvProblem);
  return given ?? defaultTier();
}
