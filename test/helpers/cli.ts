// cli.ts — test helpers that run the ftsim command as a user does (a child process, CI's environment) and check its errors.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export const root = join(__dirname, '..', '..');
export const bin = join(root, 'bin', 'ftsim.js');

export interface Ran { code: number; stdout: string; stderr: string }

// The environment of a CI job: CI is set and no colour preference is given.
// Output to a pipe must stay plain text there (it once came out coloured).
export function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  return env;
}

/** Run `ftsim ARGS` in `cwd`. */
export function ftsimIn(cwd: string, ...args: string[]): Ran {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, maxBuffer: 64 * 1024 * 1024, env: plainEnv() });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user-facing error is one line of words, never a Node stack trace. */
export function noStackTrace(s: string): void {
  expect(s).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  expect(s).not.toMatch(/^\s+at /m);
  expect(s).not.toMatch(/node:internal|Node\.js v\d/);
}
