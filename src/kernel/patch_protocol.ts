// Live text-patching protocols, pluggable and chosen by name: the int3 protocol (text_poke_bp, arch/x86/kernel/alternative.c), its deliberately broken variants, and the history before it (protocols/*.ts), behind one interface the arch backends call for every live batch.
//
// A protocol gets a batch of sites (each: where, what it holds, what it must hold, and how to emulate
// the new instruction for a CPU that traps on it) and changes them while every other CPU runs. The
// registry is an explicit list of names; an unknown name is an error that lists the known ones.
// A protocol of an era whose disabled site was another nop says which (two_part_nop); the arch
// backend writes that nop at boot and expects it afterwards.

import type { Cpu } from '../machine/x86/cpu.js';
import type { HostThread } from '../machine/scheduler.js';
import type { PtRegs } from './ptregs.js';
import type { Kernel } from './kernel.js';
import { int3Context, int3EmulateJmp } from './text_patching.js';
import { naive } from './protocols/naive.js';
import { stopMachine } from './protocols/stop_machine.js';
import { twoPartNop } from './protocols/two_part_nop.js';
import { nmiSafe } from './protocols/nmi_safe.js';

/** One instruction of a live batch. */
export interface PatchSite {
  addr: bigint;
  /** What the site holds now (checked by the caller before the batch). */
  old: Uint8Array;
  /** What it must hold after the batch. */
  bytes: Uint8Array;
  /** Emulate the new instruction for a CPU that trapped on an int3 at `addr` (regs.ip is just after it). */
  emulate: (cpu: Cpu, regs: PtRegs) => void;
}

/** A way of changing live text. */
export interface PatchProtocol {
  readonly name: PatchProtocolName;
  /** One line: what it does, and for a negative control, what it leaves out. */
  readonly summary: string;
  /** A deliberately broken variant, there to show that a monitor catches what it gets wrong. */
  readonly negativeControl: boolean;
  /** The 5-byte nop of a disabled site in this protocol's era, when not the single-instruction one. */
  readonly siteNop?: Uint8Array;
  /** Change every site of the batch from `self` (a host thread on that CPU) while the other CPUs run. */
  apply(kernel: Kernel, self: Cpu, sites: readonly PatchSite[]): HostThread;
  /** The int3 protocols: the same with sync number `n` (1: after the int3s, 2: after the tails, 3: the last) left out. */
  withoutSync?(n: 1 | 2 | 3): PatchProtocol;
}

/** The protocols this build implements, in the order `--help` lists them. */
export const PATCH_PROTOCOL_NAMES = [
  'text_poke_bp', 'int3_skip', 'text_poke_bp_nosync1', 'text_poke_bp_nosync2', 'text_poke_bp_nosync3',
  'naive', 'two_part_nop', 'stop_machine', 'nmi_safe',
] as const;
export type PatchProtocolName = (typeof PATCH_PROTOCOL_NAMES)[number];

/** Other names for a protocol (the design's name for the upstream int3 protocol). */
export const PATCH_PROTOCOL_ALIASES: Readonly<Record<string, PatchProtocolName>> = { int3_emulate: 'text_poke_bp' };

/** Named in the design, not built yet (none now: every protocol of the design is in the registry). */
export const PLANNED_PATCH_PROTOCOLS: readonly string[] = [];

export const DEFAULT_PATCH_PROTOCOL: PatchProtocolName = 'text_poke_bp';

/** A protocol name nobody knows, or one not built yet. */
export class PatchProtocolError extends Error {}

/** text_poke_bp_batch with the given #BP behaviour and possibly one sync left out. */
function int3Protocol(
  name: PatchProtocolName, summary: string, skip: boolean, omitSync: 1 | 2 | 3 | undefined,
): PatchProtocol {
  return {
    name,
    summary,
    negativeControl: skip || omitSync !== undefined,
    withoutSync: (n) => int3Protocol(name, `${summary}, without sync ${n} (negative control)`, skip, n),
    *apply(kernel, self, sites) {
      const bp = sites.map((s) => ({
        addr: s.addr,
        bytes: s.bytes,
        emulate: skip
          ? (cpu: Cpu, regs: PtRegs): void => int3EmulateJmp(regs, s.addr + BigInt(s.bytes.length), int3Context(kernel, cpu))
          : s.emulate,
      }));
      yield* kernel.poke.textPokeBp(self, bp, { sync: (c) => kernel.syncCoreAll(c), omitSync });
    },
  };
}

const REGISTRY: Record<PatchProtocolName, PatchProtocol> = {
  text_poke_bp: int3Protocol('text_poke_bp',
    'int3 over byte 0, sync, the tail, sync, the new byte 0, sync; the #BP handler emulates the new instruction (upstream since 2019)', false, undefined),
  int3_skip: int3Protocol('int3_skip',
    'the int3 protocol whose #BP handler resumes after the site whatever it becomes (before 2019: a call being added is missed)', true, undefined),
  text_poke_bp_nosync1: int3Protocol('text_poke_bp_nosync1',
    'text_poke_bp without the sync after the int3s (negative control)', false, 1),
  text_poke_bp_nosync2: int3Protocol('text_poke_bp_nosync2',
    'text_poke_bp without the sync after the tails (negative control)', false, 2),
  text_poke_bp_nosync3: int3Protocol('text_poke_bp_nosync3',
    'text_poke_bp without the final sync (negative control)', false, 3),
  naive,
  two_part_nop: twoPartNop,
  stop_machine: stopMachine,
  nmi_safe: nmiSafe,
};

/** The protocol called `name`; a PatchProtocolError naming the known ones otherwise. */
export function patchProtocol(name: string): PatchProtocol {
  if (Object.hasOwn(REGISTRY, name)) return REGISTRY[name as PatchProtocolName];
  if (Object.hasOwn(PATCH_PROTOCOL_ALIASES, name)) return REGISTRY[PATCH_PROTOCOL_ALIASES[name]];
  if (PLANNED_PATCH_PROTOCOLS.includes(name)) {
    throw new PatchProtocolError(`patching protocol '${name}' is not implemented yet; known protocols: ${PATCH_PROTOCOL_NAMES.join(', ')}`);
  }
  throw new PatchProtocolError(`unknown patching protocol '${name}'; known protocols: ${PATCH_PROTOCOL_NAMES.join(', ')}`);
}
