// shell-interrupt.test.ts — ^C stops `run` in `ftsim shell`: the builtin's interrupt check, and a real terminal (a pty made by script(1)) typing ^C.

import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Shell } from '../src/cli/shell.js';
import { bootShellMachine, runBuiltin } from '../src/cli/shell_main.js';
import { buildTracefs } from '../src/trace/tracefs/index.js';
import { bin, plainEnv, root } from './helpers/cli.js';

const vmlinux = join(root, 'fixtures', 'vmlinux');

function shellOn(interrupted: () => boolean): { s: Shell; out: () => string; steps: () => number } {
  const { ctx, top } = bootShellMachine({ image: readFileSync(vmlinux), file: 'vmlinux', cpus: 2, seed: 3, modules: [] }, () => {});
  let out = '';
  const s = new Shell({ fs: buildTracefs(ctx, top), io: { out: (t) => { out += t; }, err: (t) => { out += t; } }, run: runBuiltin(ctx, () => {}, interrupted) });
  return { s, out: () => out, steps: () => ctx.b.kernel.steps };
}

describe('ftsim shell: ^C during run', () => {
  it('an interrupt stops the run between chunks with status 130; the machine resumes exactly where it would have been', () => {
    let polls = 0;
    const a = shellOn(() => ++polls === 3);
    expect(a.s.execute('run 100s')).toBe(130);
    expect(a.out()).toMatch(/^\^C\nrun: interrupted after (\d+) steps\n$/);
    const at = Number(/after (\d+) steps/.exec(a.out())?.[1]);
    expect(at).toBe(a.steps());
    expect(at).toBeGreaterThan(0);
    expect(a.s.execute('run 100s')).toBe(0);
    expect(a.out()).toMatch(/run: every CPU has halted, after \d+ steps\n$/);
    // negative control: never interrupted, the same run ends where the interrupted and resumed one ended
    const b = shellOn(() => false);
    expect(b.s.execute('run 100s')).toBe(0);
    expect(b.out()).toMatch(/^run: every CPU has halted, after \d+ steps\n$/);
    expect(b.steps()).toBe(a.steps());
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('typing ^C on the terminal interrupts a long run and the prompt comes back (script(1) gives the shell a pty)', async () => {
    // --cpus 4 and function_graph on every function: the run lasts seconds, long enough to interrupt
    const child = spawn('script', ['-qfec', `${process.execPath} ${bin} shell --cpus 4`, '/dev/null'], { env: { ...plainEnv(), TERM: 'dumb' } });
    let seen = '';
    child.stdout.on('data', (d: Buffer) => { seen += d.toString('latin1'); });
    const until = async (re: RegExp, ms: number): Promise<void> => {
      const end = Date.now() + ms;
      while (!re.test(seen)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${seen}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const type = (t: string): void => { child.stdin.write(t); };
    try {
      await until(/tracing# /, 30_000);
      type('echo function_graph > current_tracer\r');
      await until(/tracing# [^\n]*\n[^]*tracing# /, 30_000);
      type('run 100s\r');
      // the guest console shows the run has begun
      await until(/run 100s[^]*\n[^]*\S+[^]*\n/, 30_000);
      type('\x03');
      await until(/\^C\r?\nrun: interrupted after \d+ steps/, 30_000);
      type('echo status=$?\r');
      await until(/status=130/, 30_000);
      type('exit\r');
      const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
      expect(code).toBe(0);
      expect(seen).not.toMatch(/every CPU has halted/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
