// tracefs-reads.test.ts — every file of the tree, walked: chunked reads give the bytes of one read, and reading never changes what any file shows (only the consuming pipes consume).

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boot } from '../src/runner.js';
import { O_RDONLY, type DirNode, type Tracefs } from '../src/trace/tracefs/fs.js';
import { root } from './helpers/cli.js';
import { withTracefs, type TracefsMachine } from './helpers/tracefs.js';

/**
 * Files whose reads are meant to change state: the consuming pipes (trace_pipe, its raw and per-CPU
 * forms), and free_buffer, whose close frees the buffer whatever the open was for (as the kernel's).
 */
const CONSUMING = /(^|\/)(trace_pipe(_raw)?|free_buffer)$/;

/** Every regular file under `dir`, as paths from the root, in directory order. */
function walk(dir: DirNode, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, n] of dir.entries()) {
    const p = prefix === '' ? name : `${prefix}/${name}`;
    if (n.kind === 'dir') out.push(...walk(n, p));
    else out.push(p);
  }
  return out;
}

/** One read(2) loop over an open file with a given chunk; null when the file does not open or read. */
function readChunked(fs: Tracefs, path: string, chunk: number): string | null {
  const r = fs.read(path, '/', chunk);
  return typeof r === 'number' ? null : r;
}

/** A machine that has traced something: function_graph ran, an event is on, an instance exists, errors are logged. */
function busyMachine(): TracefsMachine {
  const b = boot(readFileSync(join(root, 'fixtures', 'vmlinux')), 'vmlinux', { cpus: 2, seed: 5 });
  const m = withTracefs(b, 1024);
  expect(m.fs.write('set_ftrace_filter', 'nosuch_function\n')).toBeLessThan(0);
  expect(m.fs.write('set_ftrace_filter', 'sched*\n')).toBe(0);
  expect(m.fs.write('current_tracer', 'function_graph')).toBe(0);
  expect(m.fs.write('function_profile_enabled', '1')).toBe(0);
  expect(m.fs.write('events/sched/sched_switch/filter', 'prev_pid ==')).toBeLessThan(0);
  const inst = m.fs.lookup('instances');
  expect(typeof inst !== 'number' && inst.kind === 'dir' ? inst.mkdir?.('one') : -1).toBe(0);
  expect(m.fs.write('instances/one/events/sched/sched_switch/enable', '1')).toBe(0);
  // until the scheduler has switched tasks a few times (the secondary CPU is up)
  for (let i = 0; i < 60 && (readChunked(m.fs, 'instances/one/trace', 1 << 20)?.split('sched_switch:').length ?? 0) < 4; i++) m.run(500_000);
  expect(m.fs.write('tracing_on', '0')).toBe(0);
  return m;
}

describe('tracefs reads, over every file of the tree', () => {
  const m = busyMachine();
  const files = walk(m.fs.root);
  const readable = files.filter((f) => !CONSUMING.test(f) && readChunked(m.fs, f, 4096) !== null);

  it('the tree has the files a tracefs user expects, and most of them are readable', () => {
    for (const f of ['trace', 'trace_pipe', 'current_tracer', 'set_ftrace_filter', 'events/sched/sched_switch/format',
      'per_cpu/cpu1/stats', 'instances/one/trace', 'trace_stat/function0', 'options/print-parent']) expect(files).toContain(f);
    expect(readable.length).toBeGreaterThan(files.length / 2);
    // the machine traced: the graph tracer's lines and a sched_switch event are there to be read
    const trace = readChunked(m.fs, 'trace', 1 << 20) ?? '';
    // (function_graph follows set_ftrace_filter: only sched* functions are entered)
    expect(trace).toMatch(/\|\s+sched\w*\(\)( \{|;)\n/);
    expect(trace).not.toMatch(/\|\s+(?!sched)\w+\(\)( \{|;)\n/);
    expect(readChunked(m.fs, 'instances/one/trace', 1 << 20)).toContain('sched_switch: prev_comm=');
    // write-only files (trace_marker) do not read
    expect(readable).not.toContain('trace_marker');
  });

  it('reading any file in chunks of any size gives the same bytes as one read', () => {
    const whole = new Map(readable.map((f) => [f, readChunked(m.fs, f, 1 << 20)]));
    fc.assert(fc.property(fc.constantFrom(...readable), fc.integer({ min: 1, max: 700 }), (f, chunk) => {
      expect([f, readChunked(m.fs, f, chunk)]).toEqual([f, whole.get(f)]);
    }), { numRuns: 300 });
    // and byte by byte, for a few small ones
    for (const f of ['current_tracer', 'trace_clock', 'tracing_on', 'set_ftrace_filter']) expect(readChunked(m.fs, f, 1)).toBe(whole.get(f));
  });

  it('reading every file (twice) changes nothing any file shows; reading a pipe consumes only that pipe', () => {
    const snapshot = (): Map<string, string | null> => new Map(readable.map((f) => [f, readChunked(m.fs, f, 4096)]));
    const before = snapshot();
    const after = snapshot();
    for (const f of readable) expect([f, after.get(f)]).toEqual([f, before.get(f)]);
    // negative control: the consuming pipe does consume (the trace shrinks once it has been read)
    const pipe = m.fs.open('per_cpu/cpu0/trace_pipe', { ...O_RDONLY, nonblock: true });
    expect(typeof pipe).not.toBe('number');
    if (typeof pipe === 'number' || pipe.read === undefined) return;
    const got = pipe.read(0, 4096);
    pipe.release?.();
    expect(typeof got === 'number' ? got : got.length).toBeGreaterThan(0);
    expect(readChunked(m.fs, 'per_cpu/cpu0/trace', 1 << 20)).not.toBe(before.get('per_cpu/cpu0/trace'));
  });
});
