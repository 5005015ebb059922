// mount.ts — test helpers for `ftsim mount`: start the command as a user does, wait for its FUSE mount, run real bash against it, and take it down; the reason FUSE cannot be used here, for skipIf.

import { expect } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, plainEnv } from './cli.js';
import { fuseUnavailable, mountsAt } from '../../src/mount/fuse.js';

/** Why the mount tests cannot run here (printed, and the tests skipped), or null. */
export const noFuse: string | null = (() => {
  const why = fuseUnavailable();
  if (why === null && process.getuid?.() !== 0) return 'not root: FUSE mounts here need root';
  return why;
})();
if (noFuse !== null) console.log(`mount tests skipped: ${noFuse}`);

export interface RunningMount {
  dir: string;
  proc: ChildProcess;
  /** What the mount process printed on stderr so far. */
  stderr(): string;
  /** SIGTERM (or `sig`), then wait for the process to exit; its exit code. */
  stop(sig?: NodeJS.Signals): Promise<number | null>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether a FUSE mount is at `dir` now. */
export function mounted(dir: string): boolean {
  return mountsAt(dir).some((m) => m.fstype.startsWith('fuse'));
}

/** Start `ftsim mount DIR ARGS...` (DIR: a fresh temporary directory unless given) and wait until it is mounted. */
export async function startMount(args: string[], dir?: string): Promise<RunningMount> {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'ftsim-mount-'));
  const proc = spawn(process.execPath, [bin, 'mount', d, ...args], { env: plainEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  // the banner comes once the kernel has the mount (a stale mount may be there before)
  for (let i = 0; i < 300 && !/ mounted at /.test(err); i++) {
    if (proc.exitCode !== null) break;
    await sleep(50);
  }
  if (!/ mounted at /.test(err) || !mounted(d)) {
    proc.kill('SIGKILL');
    throw new Error(`ftsim mount did not mount ${d}: ${err}`);
  }
  return {
    dir: d,
    proc,
    stderr: () => err,
    stop: async (sig = 'SIGTERM') => {
      if (proc.exitCode === null) proc.kill(sig);
      const code = await exited;
      // a server that died without unmounting leaves a stale mount: take it away (not after a SIGKILL,
      // whose stale mount is what the caller wants to see)
      if (sig !== 'SIGKILL' && mounted(d)) spawnSync('fusermount', ['-uz', d]);
      if (dir === undefined && !mounted(d)) rmSync(d, { recursive: true, force: true });
      return code;
    },
  };
}

/** Run bash on `input` (a script on stdin) in `cwd`, C locale: stdout and stderr together in the order written, and the status. */
export function bash(input: string, cwd: string, timeoutMs = 60_000): { out: string; code: number | null } {
  const tmp = mkdtempSync(join(tmpdir(), 'ftsim-bash-'));
  const outFile = join(tmp, 'out');
  const fd = openSync(outFile, 'w');
  const r = spawnSync('bash', ['-s'], { input, cwd, env: { ...plainEnv(), LC_ALL: 'C' }, timeout: timeoutMs, stdio: ['pipe', fd, fd] });
  closeSync(fd);
  const out = readFileSync(outFile, 'utf8');
  rmSync(tmp, { recursive: true, force: true });
  return { out, code: r.status };
}

/**
 * A test/shell/*.sh script as bash runs it against the mount at `dir`: /sys/kernel/tracing becomes `dir`,
 * and the shell's `run DURATION` builtin becomes a write to ftsim/run (which says, as the builtin does,
 * when every CPU halted). Bash's `bash: line N:` before its messages is the shell's `ftsim:`, and `dir`
 * in the output reads /sys/kernel/tracing again.
 */
export function runShellScript(file: string, dir: string): { out: string; code: number | null } {
  const body = readFileSync(file, 'utf8').split('/sys/kernel/tracing').join(dir);
  const prelude = `cd '${dir}'\n` +
    `run() { if [ $# -ne 1 ]; then echo 'ftsim: run: usage: run DURATION (10ms, 500us, 1s at 1 GHz per CPU, or a number of steps)' >&2; return 2; fi; ` +
    `echo "$1" > '${dir}/ftsim/run' && sed -n 's/^last run: /run: /p' '${dir}/ftsim/run'; }\n`;
  const r = bash(prelude + body, tmpdir(), 120_000);
  const out = r.out.replace(/^bash: line \d+: /gm, 'ftsim: ').split(dir).join('/sys/kernel/tracing');
  return { out, code: r.code };
}

/** Run test/shell script `file` by bash against a fresh paused mount (with the script's `# args:`): its *.out and its `# exit:` code. */
export async function expectScriptOnMount(file: string): Promise<void> {
  const script = readFileSync(file, 'utf8');
  const extra = /^# args: (.*)$/m.exec(script)?.[1].trim().split(/\s+/) ?? [];
  const m = await startMount(['--speed', '0', ...extra]);
  try {
    const r = runShellScript(file, m.dir);
    expect(r.out).toBe(readFileSync(file.replace(/\.sh$/, '.out'), 'utf8'));
    expect(r.code).toBe(Number(/^# exit: (\d+)$/m.exec(script)?.[1] ?? 0));
  } finally {
    expect(await m.stop()).toBe(0);
  }
}

