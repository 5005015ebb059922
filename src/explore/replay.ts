// Replay files: the configuration of a run plus every decision its chooser made, so `--replay` reproduces it bit for bit.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Choice, ChoiceKind } from '../machine/chooser.js';

export const REPLAY_FORMAT = 'ftsim-replay';
export const REPLAY_VERSION = 1;

export interface ReplayConfig {
  cpus: number;
  seed: number;
  timerHz: number;
  nmiRate: number;
  maxQuantum: number;
  maxSteps: number;
}

export interface ReplayFile {
  format: typeof REPLAY_FORMAT;
  version: number;
  kernel: string;
  kernelSha256: string;
  config: ReplayConfig;
  /** What the recorded run ended with, for reference when replaying. */
  outcome: { exitReason: string; steps: number; summary?: string };
  /** Decisions as [kind, options, answer]. */
  choices: Choice[];
}

export class ReplayError extends Error {}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function writeReplay(path: string, r: ReplayFile): void {
  // one decision per line keeps large files diffable and quick to parse
  const head = { ...r, choices: undefined };
  const lines = r.choices.map((c) => JSON.stringify(c));
  const text = JSON.stringify(head, null, 2).replace(/\n}$/, `,\n  "choices": [\n${lines.join(',\n')}\n  ]\n}\n`);
  writeFileSync(path, text);
}

const KINDS: ReadonlySet<string> = new Set<ChoiceKind>(['cpu', 'quantum', 'nmi', 'irq', 'fetch']);

export function readReplay(path: string): ReplayFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ReplayError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ReplayError(`${path}: not a replay file: ${(e as Error).message}`);
  }
  const r = data as Partial<ReplayFile>;
  if (typeof r !== 'object' || r === null || r.format !== REPLAY_FORMAT) throw new ReplayError(`${path}: not a replay file (format is not '${REPLAY_FORMAT}')`);
  if (r.version !== REPLAY_VERSION) throw new ReplayError(`${path}: replay format version ${String(r.version)} is not supported (expected ${REPLAY_VERSION})`);
  const c = r.config as Partial<ReplayConfig> | undefined;
  for (const k of ['cpus', 'seed', 'timerHz', 'nmiRate', 'maxQuantum', 'maxSteps'] as const) {
    if (!c || typeof c[k] !== 'number' || !Number.isFinite(c[k])) throw new ReplayError(`${path}: config.${k} is missing or not a number`);
  }
  if (typeof r.kernelSha256 !== 'string') throw new ReplayError(`${path}: kernelSha256 is missing`);
  if (!Array.isArray(r.choices)) throw new ReplayError(`${path}: choices is missing`);
  r.choices.forEach((ch, i) => {
    if (!Array.isArray(ch) || ch.length !== 3 || !KINDS.has(ch[0] as string) || !Number.isInteger(ch[1]) || !Number.isInteger(ch[2]) || ch[2] < 0 || ch[2] >= ch[1]) {
      throw new ReplayError(`${path}: decision #${i + 1} is malformed: ${JSON.stringify(ch)}`);
    }
  });
  return r as ReplayFile;
}
