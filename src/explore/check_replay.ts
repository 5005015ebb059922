// Replay files of `ftsim check`: the scenario, protocol and machine of an exploration plus the shrunk schedule of its violation, so that `ftsim check --replay FILE` reproduces it exactly.

import { readFileSync, writeFileSync } from 'node:fs';
import type { ChoiceKind } from '../machine/chooser.js';
import { describeFsError, sha256, unwritableReason } from './replay.js';
import type { CheckConfig, Exploration, RunRecord } from './engine.js';
import type { Forced } from './shrink.js';
import { DEFAULT_POLICIES, type DefaultPolicy } from './gate.js';

export const CHECK_REPLAY_FORMAT = 'ftsim-check-replay';
export const CHECK_REPLAY_VERSION = 1;

export interface CheckReplayFile extends Exploration {
  format: typeof CHECK_REPLAY_FORMAT;
  version: number;
  kernel: string;
  kernelSha256: string;
  /** The run's background seed. */
  seed: number;
  /** The default policy the forced decisions depart from (gate.ts; absent: 'fair'). */
  policy?: DefaultPolicy;
  /** The relevant decisions forced away from their default: [ordinal among decisions of its kind, kind, options, answer]. */
  forced: Forced[];
  /** What the run ended with. */
  outcome: { invariant: number; kind: string; summary: string };
  /** Every decision the run made after the snapshot, as [kind, options, answer] (checked on replay). */
  choices: [ChoiceKind, number, number][];
}

export class CheckReplayError extends Error {}

export function checkReplayOf(cfg: CheckConfig, run: RunRecord, forced: Forced[]): CheckReplayFile {
  const v = run.violation;
  return {
    format: CHECK_REPLAY_FORMAT, version: CHECK_REPLAY_VERSION,
    kernel: cfg.kernel.file, kernelSha256: sha256(cfg.kernel.bytes),
    scenario: cfg.scenario, protocol: cfg.protocol, mutate: cfg.mutate, cpus: cfg.cpus, sites: cfg.sites, nmiRate: cfg.nmiRate,
    seed: run.seed, policy: run.policy, forced,
    outcome: { invariant: v?.invariant ?? 0, kind: v?.kind ?? 'none', summary: v?.summary ?? '' },
    choices: run.choices,
  };
}

export function writeCheckReplay(path: string, r: CheckReplayFile): void {
  const head = JSON.stringify({ ...r, choices: undefined }, null, 2);
  // the full log in one line per 64 decisions keeps the file short and diffable
  const rows: string[] = [];
  for (let i = 0; i < r.choices.length; i += 64) rows.push(r.choices.slice(i, i + 64).map((c) => JSON.stringify(c)).join(','));
  const text = head.replace(/\n}$/, `,\n  "choices": [\n${rows.join(',\n')}\n  ]\n}\n`);
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new CheckReplayError(`${path}: cannot write: ${unwritableReason(path) ?? describeFsError(e)}`);
  }
}

const KINDS = new Set(['cpu', 'quantum', 'nmi', 'irq', 'fetch', 'preempt', 'nmi-strike']);

const isInt = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

export function readCheckReplay(path: string): CheckReplayFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CheckReplayError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeFsError(e)}`);
  }
  let r: Partial<CheckReplayFile>;
  try {
    r = JSON.parse(text) as Partial<CheckReplayFile>;
  } catch (e) {
    throw new CheckReplayError(`${path}: not a check replay file: ${(e as Error).message}`);
  }
  const bad = (what: string): never => { throw new CheckReplayError(`${path}: ${what}`); };
  if (typeof r !== 'object' || r === null) bad('not a check replay file');
  if (r.format !== CHECK_REPLAY_FORMAT) bad(`not a check replay file (format is not '${CHECK_REPLAY_FORMAT}'${r.format === 'ftsim-replay' ? '; replay it with ftsim run --replay' : ''})`);
  if (r.version !== CHECK_REPLAY_VERSION) bad(`check replay format version ${String(r.version)} is not supported (expected ${CHECK_REPLAY_VERSION})`);
  for (const k of ['kernel', 'kernelSha256', 'scenario', 'protocol'] as const) if (typeof r[k] !== 'string') bad(`field '${k}' is missing or not a string`);
  if (r.mutate !== undefined && typeof r.mutate !== 'string') bad(`field 'mutate' is not a string`);
  if (!isInt(r.cpus, 1) || r.cpus > 64) bad(`field 'cpus' is ${JSON.stringify(r.cpus)}, must be an integer in 1..64`);
  if (r.sites !== undefined && !isInt(r.sites, 1)) bad(`field 'sites' is ${JSON.stringify(r.sites)}, must be a positive integer`);
  if (r.nmiRate !== undefined && !isInt(r.nmiRate)) bad(`field 'nmiRate' is ${JSON.stringify(r.nmiRate)}, must be an integer >= 0`);
  if (!isInt(r.seed) || r.seed > 0xffff_ffff) bad(`field 'seed' is ${JSON.stringify(r.seed)}, must be an integer in 0..4294967295`);
  if (r.policy !== undefined && !(DEFAULT_POLICIES as readonly unknown[]).includes(r.policy)) bad(`field 'policy' is ${JSON.stringify(r.policy)}, must be one of ${DEFAULT_POLICIES.join(', ')}`);
  if (!Array.isArray(r.forced)) bad(`field 'forced' is missing`);
  for (const [i, f] of (r.forced as unknown[]).entries()) {
    const ok = Array.isArray(f) && f.length === 4 && isInt(f[0]) && KINDS.has(f[1] as string) && isInt(f[2], 2) && isInt(f[3]) && (f[3] as number) < (f[2] as number);
    if (!ok) bad(`forced decision #${i + 1} is ${JSON.stringify(f)}, expected [ordinal, kind, options, answer < options]`);
  }
  if (!Array.isArray(r.choices)) bad(`field 'choices' is missing`);
  for (const [i, c] of (r.choices as unknown[]).entries()) {
    const ok = Array.isArray(c) && c.length === 3 && KINDS.has(c[0] as string) && isInt(c[1], 2) && isInt(c[2]) && (c[2] as number) < (c[1] as number);
    if (!ok) bad(`decision #${i + 1} is ${JSON.stringify(c)}, expected [kind, options, answer < options]`);
  }
  const o = r.outcome;
  if (typeof o !== 'object' || o === null || !isInt(o.invariant) || typeof o.kind !== 'string' || typeof o.summary !== 'string') bad(`field 'outcome' is missing or malformed`);
  return r as CheckReplayFile;
}

/** Where a replayed run first departs from the recorded decisions, in words; null when it follows them all. */
export function replayDivergence(recorded: readonly [ChoiceKind, number, number][], run: RunRecord): string | null {
  const n = Math.min(recorded.length, run.choices.length);
  for (let i = 0; i < n; i++) {
    const a = recorded[i];
    const b = run.choices[i];
    if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]) {
      return `decision #${i + 1} was ${a[0]} ${a[2]} of ${a[1]} when recorded, ${b[0]} ${b[2]} of ${b[1]} now`;
    }
  }
  if (recorded.length !== run.choices.length) return `the run made ${run.choices.length} decisions, the recording has ${recorded.length}`;
  return null;
}
