// mount.test.ts (acceptance) — every test/shell script that is about tracefs run by real bash against a paused `ftsim mount`, against the same *.out; and a stress run: processes writing filters and markers while others read trace_pipe on a running mount (no crash, no hung read, no entry lost beyond the overrun count nor read twice).

import { describe, it, expect } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bash, expectScriptOnMount, noFuse, startMount } from '../helpers/mount.js';
import { root } from '../helpers/cli.js';

/** Scripts about the shell itself rather than tracefs: its view of / and /sys (navigate, errors) and its `run` builtin's console (run). */
const SHELL_ONLY = new Set(['navigate.sh', 'errors.sh', 'run.sh']);

describe.skipIf(noFuse !== null)('every tracefs script of test/shell, by real bash against a paused mount', () => {
  const dir = join(root, 'test', 'shell');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.sh') && !SHELL_ONLY.has(x)).sort()) {
    it(f, async () => {
      const file = join(dir, f);
      await expectScriptOnMount(file);
    });
  }
});

/** Run a bash script in the background; `done` resolves with its output and exit code. */
function background(script: string, cwd: string): { proc: ChildProcess; done: Promise<{ out: string; code: number | null }> } {
  let proc: ChildProcess | undefined;
  const done = new Promise<{ out: string; code: number | null }>((res) => {
    const p = spawn('bash', ['-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString('latin1'); });
    p.stderr.on('data', (b: Buffer) => { out += b.toString('latin1'); });
    p.on('exit', (code) => res({ out, code }));
    proc = p;
  });
  return { proc: proc!, done };
}

describe.skipIf(noFuse !== null)('stress: filter writers, marker writers and trace_pipe readers at once on a running mount', () => {
  it('no crash, no hung read, every marker read at most once and none lost beyond the overruns', async () => {
    const m = await startMount(['--cpus', '2', '--console', '/dev/null']);
    try {
      const markers = 1500;
      expect(bash('echo function > current_tracer; echo "do_sys*" > set_ftrace_filter; echo > trace', m.dir).code).toBe(0);
      // readers: each keeps reading until killed (a reader killed while it waits must not hang)
      const readers = [0, 1].map(() => background('exec timeout -s TERM 60 cat trace_pipe', m.dir));
      const filterWriters = [0, 1].map((w) => background([
        'for i in $(seq 30); do',
        `  echo "vfs_*" > set_ftrace_filter; echo "!vfs_read" >> set_ftrace_filter; echo "do_sys*" > set_ftrace_filter`,
        `  echo ${w} > set_ftrace_notrace; echo > set_ftrace_notrace; cat enabled_functions > /dev/null`,
        'done; echo filters-done',
      ].join('\n'), m.dir));
      const markerWriters = [0, 1].map((w) => background(
        `for i in $(seq ${markers / 2}); do echo "mark-${w}-$i" > trace_marker; done; echo markers-done`, m.dir));
      const written = await Promise.all([...filterWriters, ...markerWriters].map((b) => b.done));
      for (const r of written) expect(r.out.trim().split('\n').pop()).toMatch(/-done$/);
      // let the readers drain what is left, then stop them
      await new Promise((r) => setTimeout(r, 1500));
      // timeout passes the signal on to its cat
      for (const r of readers) r.proc.kill('SIGTERM');
      const t0 = Date.now();
      const read = await Promise.all(readers.map((r) => r.done));
      expect(Date.now() - t0).toBeLessThan(5000); // no hung read
      const seen = new Map<string, number>();
      for (const r of read) {
        for (const l of r.out.split('\n')) {
          const mk = /tracing_mark_write: (mark-\d-\d+)$/.exec(l)?.[1];
          if (mk !== undefined) seen.set(mk, (seen.get(mk) ?? 0) + 1);
        }
      }
      expect([...seen.values()].filter((n) => n > 1)).toEqual([]); // none read twice
      const stats = bash('cat per_cpu/cpu*/stats', m.dir).out;
      const overrun = [...stats.matchAll(/^overrun: (\d+)$/gm)].reduce((a, x) => a + Number(x[1]), 0);
      const lost = markers - seen.size;
      expect(lost).toBeLessThanOrEqual(overrun);
      console.log(`mount stress: ${markers} markers, ${seen.size} read once, ${lost} lost, ${overrun} entries overrun in all`);
      expect(bash('echo nop > current_tracer; cat current_tracer', m.dir).out).toBe('nop\n');
    } finally {
      expect(await m.stop()).toBe(0);
    }
  });
});
