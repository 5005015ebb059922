// Replay files: the configuration of a run plus every decision its chooser made, so `--replay` reproduces it bit for bit.

import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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

/**
 * The options beyond the configuration that shape a run's decisions (what runs, and so what the
 * chooser is asked): tracing, live patching, modules. Recorded with the run; absent for a plain run.
 */
export interface ReplayRunOptions {
  tracer?: string;
  filter: string[];
  notrace: string[];
  graphFunction: string[];
  graphNotrace: string[];
  maxGraphDepth?: number;
  live?: string;
  liveSteps?: number;
  livepatch: string[];
  module: string[];
  /** The live patching protocol (`--protocol`), when not the default. */
  protocol?: string;
}

/** The list fields of ReplayRunOptions, and the optional scalar ones with their types. */
export const RUN_OPTION_LISTS = ['filter', 'notrace', 'graphFunction', 'graphNotrace', 'livepatch', 'module'] as const;
export const RUN_OPTION_SCALARS = { tracer: 'string', maxGraphDepth: 'number', live: 'string', liveSteps: 'number', protocol: 'string' } as const;

export interface ReplayFile {
  format: typeof REPLAY_FORMAT;
  version: number;
  kernel: string;
  kernelSha256: string;
  config: ReplayConfig;
  /** Tracing, live-patching and module options of the recorded run (absent: none were given). */
  run?: ReplayRunOptions;
  /** What the recorded run ended with, for reference when replaying. */
  outcome: { exitReason: string; steps: number; summary?: string };
  /** Decisions as [kind, options, answer]. */
  choices: Choice[];
}

/** The configuration fields of a run, with the range each must lie in (the CLI's options use the same ranges). */
export const CONFIG_RANGES: Readonly<Record<keyof ReplayConfig, readonly [min: number, max: number]>> = {
  cpus: [1, 64],
  seed: [0, 0xffff_ffff],
  timerHz: [0, 1_000_000],
  nmiRate: [0, 1_000_000],
  maxQuantum: [1, 1_000_000],
  maxSteps: [1, 1e15],
};

export class ReplayError extends Error {}

/** A file-system error in words: 'no such file', 'is a directory', 'permission denied', ... */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return 'a component of the path is not a directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on device';
    default: return (e as Error).message;
  }
}

/**
 * Checks, without creating anything, that a file could be written at `path`: it is not a directory,
 * and it is writable if it exists, or its folder exists and is writable. Returns the reason when not.
 */
export function unwritableReason(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return 'is a directory';
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return describeFsError(e);
  }
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `no folder ${dir}`;
    if (code === 'ENOTDIR') return `${dir} is not a directory`;
    return `${dir}: ${describeFsError(e)}`;
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function writeReplay(path: string, r: ReplayFile): void {
  // one decision per line keeps large files diffable and quick to parse
  const head = { ...r, choices: undefined };
  const lines = r.choices.map((c) => JSON.stringify(c));
  const text = JSON.stringify(head, null, 2).replace(/\n}$/, `,\n  "choices": [\n${lines.join(',\n')}\n  ]\n}\n`);
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new ReplayError(`${path}: cannot write: ${unwritableReason(path) ?? describeFsError(e)}`);
  }
}

const KINDS: ReadonlySet<string> = new Set<ChoiceKind>(['cpu', 'quantum', 'nmi', 'irq', 'fetch', 'preempt', 'nmi-strike']);

export function readReplay(path: string): ReplayFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ReplayError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeFsError(e)}`);
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
  const c = r.config as Record<string, unknown> | undefined;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new ReplayError(`${path}: the configuration (field 'config') is missing`);
  for (const [k, [min, max]] of Object.entries(CONFIG_RANGES)) {
    const v = c[k];
    if (v === undefined) throw new ReplayError(`${path}: configuration field '${k}' is missing`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ReplayError(`${path}: configuration field '${k}' is ${JSON.stringify(v)}, must be an integer in ${min}..${max}`);
    }
  }
  if (r.kernel !== undefined && typeof r.kernel !== 'string') throw new ReplayError(`${path}: field 'kernel' is not a file name: ${JSON.stringify(r.kernel)}`);
  if (typeof r.kernelSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.kernelSha256)) throw new ReplayError(`${path}: field 'kernelSha256' is missing or not a SHA-256 in hex`);
  if (r.run !== undefined) checkRunOptions(path, r.run);
  if (!Array.isArray(r.choices)) throw new ReplayError(`${path}: field 'choices' is missing or not a list`);
  r.choices.forEach((ch, i) => {
    if (!Array.isArray(ch) || ch.length !== 3 || !KINDS.has(ch[0] as string) || !Number.isInteger(ch[1]) || !Number.isInteger(ch[2]) || ch[2] < 0 || ch[2] >= ch[1]) {
      throw new ReplayError(`${path}: decision #${i + 1} is malformed: ${JSON.stringify(ch)}`);
    }
  });
  return r as ReplayFile;
}

function checkRunOptions(path: string, run: unknown): void {
  if (typeof run !== 'object' || run === null || Array.isArray(run)) throw new ReplayError(`${path}: field 'run' is not an object`);
  const o = run as Record<string, unknown>;
  for (const k of RUN_OPTION_LISTS) {
    const v = o[k];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ReplayError(`${path}: run option '${k}' is not a list of strings: ${JSON.stringify(v)}`);
  }
  for (const [k, type] of Object.entries(RUN_OPTION_SCALARS)) {
    const v = o[k];
    if (v !== undefined && typeof v !== type) throw new ReplayError(`${path}: run option '${k}' is not a ${type}: ${JSON.stringify(v)}`);
  }
}
