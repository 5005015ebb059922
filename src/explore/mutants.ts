// The explorer's protocol names (the design's: int3_emulate for upstream text_poke_bp) and the mutants a kernel engineer tries (`--mutate no-sync-N`: one of text_poke_bp's three syncs removed).

import { patchProtocol, PatchProtocolError, PATCH_PROTOCOL_NAMES, type PatchProtocol, type PatchProtocolName } from '../kernel/patch_protocol.js';

/** The protocols `ftsim check` names, a line each for `--list`, in the order. */
export const CHECK_PROTOCOLS = ['naive', 'two_part_nop', 'stop_machine', 'nmi_safe', 'int3_skip', 'int3_emulate'] as const;

export const MUTANTS = ['no-sync-1', 'no-sync-2', 'no-sync-3'] as const;
export type Mutant = (typeof MUTANTS)[number];

const MUTANT_SUMMARY: Record<Mutant, string> = {
  'no-sync-1': 'the int3 protocols without the sync after the int3s are written',
  'no-sync-2': 'the int3 protocols without the sync after the tails are written',
  'no-sync-3': 'the int3 protocols without the final sync after the new first byte',
};

export function mutantSummary(m: Mutant): string {
  return MUTANT_SUMMARY[m];
}

/** A protocol as the explorer boots it: the registry name boot takes, and a variant to put in its place. */
export interface ResolvedProtocol {
  /** The name as the user gave it (for reports). */
  name: string;
  /** The registry protocol boot installs (it decides the boot nop). */
  bootName: PatchProtocolName;
  /** Put in place of the booted protocol after boot (a mutant of int3_skip). */
  variant?: PatchProtocol;
  protocol: PatchProtocol;
}

export class CheckInputError extends Error {}

/** The protocol `name` with `mutate` applied; CheckInputError for an unknown name or a mutant the protocol has no sync for. */
export function resolveProtocol(name: string, mutate?: string): ResolvedProtocol {
  let p: PatchProtocol;
  try {
    p = patchProtocol(name);
  } catch (e) {
    if (e instanceof PatchProtocolError) throw new CheckInputError(`--protocol: ${e.message.replace(/patching protocol/, 'protocol')}`);
    throw e;
  }
  if (mutate === undefined) return { name, bootName: p.name, protocol: p };
  if (!(MUTANTS as readonly string[]).includes(mutate)) {
    throw new CheckInputError(`--mutate: unknown mutant '${mutate}'; known mutants: ${MUTANTS.join(', ')}`);
  }
  const n = Number(mutate.slice(-1)) as 1 | 2 | 3;
  if (p.name === 'text_poke_bp') {
    const m = patchProtocol(`text_poke_bp_nosync${n}`);
    return { name: `${name} --mutate ${mutate}`, bootName: m.name, protocol: m };
  }
  if (p.name === 'int3_skip') {
    const v = patchProtocol('int3_skip').withoutSync?.(n);
    if (v !== undefined) return { name: `${name} --mutate ${mutate}`, bootName: 'int3_skip', variant: v, protocol: v };
  }
  throw new CheckInputError(`--mutate ${mutate}: protocol '${name}' has no such sync (the sync mutants apply to int3_emulate and int3_skip)`);
}

/** Every registry name and alias `--protocol` takes. */
export function knownProtocolNames(): string[] {
  return [...CHECK_PROTOCOLS, ...PATCH_PROTOCOL_NAMES.filter((n) => !(CHECK_PROTOCOLS as readonly string[]).includes(n))];
}
