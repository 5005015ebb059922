// mount.test.ts — `ftsim mount`: the FUSE operations over the tracefs model (parked reads, errnos, flags; no FUSE needed), then real bash and coreutils against a real mount: test/shell scripts against their *.out, blocking trace_pipe, chunked reads, truncation, concurrent readers, errnos, instances, stale mounts, unmount on signals.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EAGAIN, EINVAL, StaticDir, Tracefs, roFile, type FileNode } from '../src/trace/tracefs/fs.js';
import { TracefsFuseOps, openFlags, O_APPEND, O_NONBLOCK, O_RDWR, O_TRUNC, O_WRONLY } from '../src/mount/fuse_ops.js';
import { fuseUnavailable } from '../src/mount/fuse.js';
import { killedReaders } from '../src/mount/killed_readers.js';
import { parseSpeed } from '../src/cli/mount.js';
import { bash, expectScriptOnMount, mounted, noFuse, startMount, type RunningMount } from './helpers/mount.js';
import { ftsimIn, noStackTrace, root } from './helpers/cli.js';

/** A pipe file of a fake tree: reads return what `queue` holds, -EAGAIN when empty under deferWait. */
function fakePipe(queue: string[]): FileNode {
  return {
    kind: 'file', mode: 0o440,
    open: (f) => ({
      read: () => {
        const t = queue.shift();
        if (t !== undefined) return new TextEncoder().encode(t);
        return f.deferWait || f.nonblock ? -EAGAIN : new Uint8Array(0);
      },
    }),
  };
}

describe('the FUSE operations over the model (no FUSE needed)', () => {
  const queue: string[] = [];
  let stopped = false;
  const top = new StaticDir(0o700);
  top.add('pipe', fakePipe(queue));
  top.add('ro', roFile(() => 'hello\n'));
  const fs = new Tracefs(top);
  const ops = new TracefsFuseOps(fs, { running: () => true, stopped: () => stopped });
  const openFh = (path: string, flags: number): number => {
    let fh = -1;
    ops.open(path, flags, (e, f) => { fh = e < 0 ? e : f!; });
    return fh;
  };

  it('decodes open(2) flags as the model wants them', () => {
    expect(openFlags(0, false)).toEqual({ read: true, write: false, trunc: false, append: false, nonblock: false, deferWait: false });
    expect(openFlags(O_WRONLY | O_TRUNC, true)).toMatchObject({ read: false, write: true, trunc: true, append: false, deferWait: true });
    expect(openFlags(O_RDWR | O_APPEND | O_NONBLOCK, true)).toMatchObject({ read: true, write: true, append: true, nonblock: true, deferWait: false });
  });

  it('parks a read that would sleep, answers it when data comes, in order, and ends it at release', () => {
    const fh = openFh('/pipe', 0);
    const got: (number | string)[] = [];
    const buf1 = Buffer.alloc(64);
    const buf2 = Buffer.alloc(64);
    ops.read(fh, buf1, 64, 0, (n) => got.push(n > 0 ? buf1.subarray(0, n).toString() : n));
    ops.read(fh, buf2, 64, 0, (n) => got.push(n > 0 ? buf2.subarray(0, n).toString() : n));
    expect(got).toEqual([]);
    expect(ops.parkedCount).toBe(2);
    queue.push('one\n');
    ops.retryParked();
    expect(got).toEqual(['one\n']);
    ops.release(fh, () => {});
    expect(got).toEqual(['one\n', 0]);
    expect(ops.parkedCount).toBe(0);
  });

  it('O_NONBLOCK gets -EAGAIN at once; a stopped machine ends a parked read with end of file', () => {
    const nb = openFh('/pipe', O_NONBLOCK);
    let r = 1;
    ops.read(nb, Buffer.alloc(8), 8, 0, (n) => { r = n; });
    expect(r).toBe(-EAGAIN);
    const fh = openFh('/pipe', 0);
    r = 1;
    ops.read(fh, Buffer.alloc(8), 8, 0, (n) => { r = n; });
    expect(r).toBe(1); // parked
    stopped = true;
    ops.retryParked();
    expect(r).toBe(0);
    stopped = false;
  });

  it('errnos: a write to a file without .write is -EINVAL, creating a file -EACCES, a missing path -ENOENT', () => {
    const fh = openFh('/ro', O_WRONLY);
    let r = 0;
    ops.write(fh, Buffer.from('x'), 1, (n) => { r = n; });
    expect(r).toBe(-EINVAL);
    ops.create('/newfile', (e) => { r = e; });
    expect(r).toBe(-13);
    expect(openFh('/nope', 0)).toBe(-2);
    ops.getattr('/ro', (e, st) => {
      expect(e).toBe(0);
      expect(st).toMatchObject({ mode: 0o100440, size: 0 });
    });
  });

  it('--speed and the FUSE device check: bad values and an absent device are one line each', () => {
    expect(parseSpeed('max')).toBe(Infinity);
    expect(parseSpeed('0')).toBe(0);
    expect(parseSpeed('0.5')).toBe(0.5);
    expect(parseSpeed('-1')).toBeUndefined();
    expect(parseSpeed('fast')).toBeUndefined();
    expect(fuseUnavailable('/nonexistent/fuse')).toBe('/nonexistent/fuse is absent: this machine (or container) has no FUSE device');
  });

  it('bad options and a missing mount point: one line, exit 1', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ftsim-mount-bad-'));
    for (const args of [['mount', join(tmp, 'nope'), '--speed', '0'], ['mount', tmp, '--speed', 'fast'], ['mount', tmp, '--cpus', '0']]) {
      const r = ftsimIn(tmp, ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      noStackTrace(r.stderr);
    }
  });
});

/** Scripts of test/shell run by bash against a paused mount (the rest run in the acceptance suite). */
const QUICK_SCRIPTS = ['bytes', 'errors-sizes', 'errors-tracefs', 'globs', 'listings', 'quoting', 'raw', 'readme', 'root', 'buffers', 'marker-split'];

describe.skipIf(noFuse !== null)('test/shell scripts run by real bash against a paused mount, against the same *.out', () => {
  for (const name of QUICK_SCRIPTS) {
    it(name, async () => {
      const file = join(root, 'test', 'shell', `${name}.sh`);
      await expectScriptOnMount(file);
    });
  }
});

describe.skipIf(noFuse !== null)('a running mount (2 CPUs, as fast as the host allows)', () => {
  let m: RunningMount;
  beforeAll(async () => { m = await startMount(['--cpus', '2', '--console', '/dev/null']); });
  afterAll(async () => { if (m) expect(await m.stop('SIGINT')).toBe(0); });

  it('is a tracefs in /proc/mounts, with tracefs modes and size 0', () => {
    expect(readFileSync('/proc/mounts', 'utf8')).toContain(`tracefs ${m.dir} fuse.tracefs `);
    const st = (p: string): string => (statSync(join(m.dir, p)).mode & 0o7777).toString(8) + ' ' + statSync(join(m.dir, p)).size;
    expect(st('trace')).toBe('640 0');
    expect(st('trace_pipe')).toBe('440 0');
    expect(st('trace_marker')).toBe('220 0');
    expect(st('instances')).toBe('750 0');
    expect(st('events')).toBe('755 0');
    expect(bash('ls per_cpu; ls options | grep -c .', m.dir).out).toMatch(/^cpu0\ncpu1\n\d+\n$/);
  });

  it('has live activity: the function tracer fills the buffer while nobody runs the machine', () => {
    const r = bash('echo function > current_tracer; head -3 trace_pipe | wc -l; echo nop > current_tracer; cat ftsim/run', m.dir);
    expect(r.out).toMatch(/^3\nspeed max, running, time \d+\.\d+ s, steps \d+\n$/);
  });

  it('cat trace_pipe blocks until an entry arrives, and head -1 returns it', async () => {
    expect(bash('echo nop > current_tracer; echo 0 > events/enable; echo 1 > tracing_on; echo > trace', m.dir).code).toBe(0);
    const reader = spawn('head', ['-1', join(m.dir, 'trace_pipe')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    reader.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const done = new Promise<number | null>((res) => reader.on('exit', (c) => res(c)));
    await new Promise((r) => setTimeout(r, 400));
    expect(reader.exitCode).toBeNull(); // still blocked: nothing traced
    expect(bash('echo hello-from-bash > trace_marker', m.dir).code).toBe(0);
    expect(await done).toBe(0);
    expect(out).toMatch(/tracing_mark_write: hello-from-bash\n$/);
  });

  it('a reader killed while it waits on trace_pipe dies at once (not stuck in D state); O_NONBLOCK is EAGAIN', async () => {
    expect(bash('echo 0 > tracing_on', m.dir).code).toBe(0);
    const reader = spawn('cat', [join(m.dir, 'trace_pipe')], { stdio: 'ignore' });
    const done = new Promise<NodeJS.Signals | null>((res) => reader.on('exit', (_c, sig) => res(sig)));
    await new Promise((r) => setTimeout(r, 300));
    expect(reader.exitCode).toBeNull();
    reader.kill('SIGTERM');
    const t0 = Date.now();
    expect(await done).toBe('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(2000);
    const r = bash('dd if=trace_pipe iflag=nonblock status=none; echo $?; echo 1 > tracing_on', m.dir);
    expect(r.out).toBe("dd: error reading 'trace_pipe': Resource temporarily unavailable\n1\n");
  });

  it('trace_pipe_raw blocks too, then returns a page of the CPU\'s buffer; ftsim/run takes durations only', async () => {
    expect(bash('echo nop > current_tracer; echo 1 > tracing_on; echo > trace', m.dir).code).toBe(0);
    const raw = join(m.dir, 'per_cpu', 'cpu0', 'trace_pipe_raw');
    const reader = spawn('dd', [`if=${raw}`, 'bs=4096', 'count=1', 'status=none'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let bytes = 0;
    reader.stdout.on('data', (b: Buffer) => { bytes += b.length; });
    const done = new Promise<number | null>((res) => reader.on('exit', (c) => res(c)));
    await new Promise((r) => setTimeout(r, 300));
    expect(reader.exitCode).toBeNull();
    // the marker lands in the buffer of the CPU that writes it: write from CPU 0's side until the reader has it
    expect(bash('for i in $(seq 20); do echo raw-$i > trace_marker; done', m.dir).code).toBe(0);
    const t = setTimeout(() => reader.kill('SIGTERM'), 5000);
    const code = await done;
    clearTimeout(t);
    expect(code).toBe(0);
    expect(bytes).toBe(4096);
    const r = bash('echo soon > ftsim/run; echo 1ms > ftsim/run && echo ran', m.dir);
    expect(r.out.replace(/^bash: line \d+: /gm, '')).toBe('echo: write error: Invalid argument\nran\n');
  });

  it('chunked reads return the same bytes as cat; O_TRUNC clears, O_APPEND does not', () => {
    const r = bash([
      'echo nop > current_tracer; echo > trace; for i in $(seq 30); do echo "marker $i" > trace_marker; done; echo 0 > tracing_on',
      'cat trace | md5sum; dd if=trace bs=1 2>/dev/null | md5sum; dd if=trace bs=7 2>/dev/null | md5sum',
      'n=$(grep -vc "^#" trace); [ "$n" -gt 10 ] && echo many',
      'echo >> trace; [ "$(grep -vc "^#" trace)" = "$n" ] && echo kept',
      'echo > trace; grep -vc "^#" trace',
      'echo 1 > tracing_on',
    ].join('\n'), m.dir);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^[0-9a-f]{32} {2}-$/);
    expect(lines[1]).toBe(lines[0]);
    expect(lines[2]).toBe(lines[0]);
    expect(lines.slice(3)).toEqual(['many', 'kept', '0', '']);
    expect(r.code).toBe(0);
  });

  it('failed writes give the kernel errno as bash prints it; instances come and go', () => {
    const r = bash([
      'echo bogus > current_tracer; echo $?',
      'echo 0 > buffer_size_kb',
      'mkdir instances/foo && ls instances; cat instances/foo/current_tracer',
      'mkdir instances/foo',
      'rmdir instances/foo && ls instances | wc -l',
      'echo x > no_such_file',
    ].join('\n'), m.dir);
    expect(r.out.replace(/^bash: line \d+: /gm, '')).toBe([
      'echo: write error: Invalid argument', '1',
      'echo: write error: Invalid argument',
      'foo', 'nop',
      "mkdir: cannot create directory 'instances/foo': File exists",
      '0',
      'no_such_file: Permission denied', '',
    ].join('\n'));
  });

  it('a release lands before the next command\'s open (FUSE sends releases after close returns)', () => {
    const r = bash([
      'for i in $(seq 10); do',
      '  dd if=trace_pipe iflag=nonblock status=none > /dev/null 2>&1',
      '  echo function > current_tracer || echo busy', // a trace_pipe reader still open would make this EBUSY
      '  echo nop > current_tracer',
      '  echo "schedule" > set_ftrace_filter; [ "$(cat set_ftrace_filter)" = schedule ] || echo not-installed',
      '  echo > set_ftrace_filter',
      'done; echo done',
    ].join('\n'), m.dir);
    expect(r.out).toBe('done\n');
  });

  it('concurrent readers of trace_pipe share the entries: each once, none lost', async () => {
    const n = 200;
    expect(bash(`echo nop > current_tracer; echo > trace; for i in $(seq ${n}); do echo m$i > trace_marker; done`, m.dir).code).toBe(0);
    const read = (): Promise<string> => new Promise((res) => {
      const p = spawn('dd', [`if=${join(m.dir, 'trace_pipe')}`, 'iflag=nonblock', 'bs=512', 'status=none'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      p.on('exit', () => res(out));
    });
    const [a, b] = await Promise.all([read(), read()]);
    const marks = (a + b).split('\n').map((l) => /tracing_mark_write: (m\d+)$/.exec(l)?.[1]).filter((x) => x !== undefined);
    expect(marks.length).toBe(n);
    expect(new Set(marks).size).toBe(n);
  });
});

describe('killed readers are found in /proc (a fake /proc tree)', () => {
  it('lists a task with SIGKILL pending in a read of a file under the mount, and nothing else', () => {
    const proc = mkdtempSync(join(tmpdir(), 'ftsim-proc-'));
    const task = (pid: number, sigpnd: string, syscall: string, fdTarget: string): void => {
      mkdirSync(join(proc, String(pid), 'fd'), { recursive: true });
      writeFileSync(join(proc, String(pid), 'status'), `Name:\tcat\nState:\tD (disk sleep)\nSigPnd:\t${sigpnd}\nShdPnd:\t0000000000004000\n`);
      writeFileSync(join(proc, String(pid), 'syscall'), syscall + '\n');
      symlinkSync(fdTarget, join(proc, String(pid), 'fd', '3'));
    };
    task(10, '0000000000000100', '0 0x3 0x7f0 0x20000', '/mnt/t/trace_pipe');
    task(11, '0000000000000000', '0 0x3 0x7f0 0x20000', '/mnt/t/trace_pipe'); // no fatal signal
    task(12, '0000000000000100', '0 0x3 0x7f0 0x20000', '/elsewhere/trace_pipe'); // not ours
    task(13, '0000000000000100', '1 0x3 0x7f0 0x20000', '/mnt/t/trace_marker'); // a write
    task(14, '0000000000000100', '17 0x3 0x7f0 0x20000', '/mnt/t/per_cpu/cpu1/trace_pipe_raw');
    expect(killedReaders('/mnt/t', proc).sort()).toEqual(['/per_cpu/cpu1/trace_pipe_raw', '/trace_pipe']);
  });
});

describe.skipIf(noFuse !== null)('--speed paces the clock', () => {
  it('a machine at 0.002 simulated s per real s is never ahead of that', async () => {
    const m = await startMount(['--cpus', '2', '--console', '/dev/null', '--speed', '0.002']);
    try {
      const time = (): number => Number(/time (\d+\.\d+) s/.exec(readFileSync(join(m.dir, 'ftsim', 'run'), 'utf8'))![1]);
      const t0 = time();
      const h0 = Date.now();
      await new Promise((r) => setTimeout(r, 1000));
      const advanced = time() - t0;
      const allowed = ((Date.now() - h0) / 1000) * 0.002;
      expect(readFileSync(join(m.dir, 'ftsim', 'run'), 'utf8')).toMatch(/^speed 0\.002, running, /);
      expect(advanced).toBeGreaterThan(0);
      expect(advanced).toBeLessThanOrEqual(allowed * 1.05 + 0.0002); // one chunk of slack
    } finally {
      expect(await m.stop()).toBe(0);
    }
  });
});

describe.skipIf(noFuse !== null)('mounts that are in the way', () => {
  it('a stale mount left by a killed server is cleaned at the next start; a live one is refused in one line', async () => {
    const first = await startMount(['--speed', '0', '--console', '/dev/null']);
    const dir = first.dir;
    await first.stop('SIGKILL');
    expect(mounted(dir)).toBe(true); // left behind: the server is gone
    expect(() => statSync(dir)).toThrow(/ENOTCONN/);
    const second = await startMount(['--speed', '0', '--console', '/dev/null'], dir);
    try {
      expect(second.stderr()).toContain(`ftsim mount: ${dir}: removed a stale mount left by a server that died`);
      expect(existsSync(join(dir, 'current_tracer'))).toBe(true);
      const third = ftsimIn(root, 'mount', dir, '--speed', '0');
      expect(third.code).toBe(1);
      expect(third.stderr).toBe(`ftsim: mount: ${dir}: something is already mounted there (unmount it first: fusermount -u ${dir})\n`);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect(mounted(dir)).toBe(false);
  });
});
