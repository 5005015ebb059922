// tracefs modes and root's access, trace_clock's clocks, saved_cmdlines_size and the saved_cmdlines cache, free_buffer: on the booted bundled kernel through the Tracefs API, with the kernel's modes, texts and errnos.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import {
  EACCES, EINVAL, O_RDONLY, O_WRONLY_TRUNC, StaticDir, Tracefs, roFile, rwFile, type Node,
} from '../src/trace/tracefs/fs.js';
import { SavedCmdlines } from '../src/trace/trace_cmdlines.js';
import { TAI_AT_BOOT_NS } from '../src/trace/trace_clock.js';

import { tracefsOf, type TracefsSetup } from './helpers/tracefs.js';

const KERNEL = fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url));
const image = readFileSync(KERNEL);

type Setup = TracefsSetup;

function setup(cpus = 1): Setup {
  return tracefsOf(boot(image, 'vmlinux', { cpus, seed: 1 }));
}

function read(fs: Tracefs, path: string): string {
  const r = fs.read(path);
  if (typeof r === 'number') throw new Error(`read ${path}: ${r}`);
  return r;
}

const body = (t: string): string[] => t.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const modeOf = (fs: Tracefs, p: string): number => (fs.lookup(p) as Node).mode;
/** The timestamp column of a `trace` line. */
const stampOf = (line: string): string => /\] \S{5} +(\S+): /.exec(line)![1];

describe('modes and root', () => {
  it('files and directories carry the kernel\'s modes (TRACE_MODE_READ/WRITE, the explicit ones, tracefs 0750, eventfs 0755, root 0700)', () => {
    const s = setup();
    const want: [string, number][] = [
      ['available_tracers', 0o440], ['current_tracer', 0o640], ['trace', 0o640], ['trace_pipe', 0o440],
      ['buffer_size_kb', 0o640], ['buffer_total_size_kb', 0o440], ['free_buffer', 0o200], ['trace_marker', 0o220],
      ['trace_clock', 0o640], ['tracing_on', 0o640], ['saved_cmdlines', 0o440], ['saved_cmdlines_size', 0o640],
      ['README', 0o440], ['error_log', 0o640], ['snapshot', 0o640], ['per_cpu/cpu0/stats', 0o440],
      ['set_ftrace_filter', 0o640], ['available_filter_functions', 0o440], ['events/enable', 0o640],
      ['events/sched/sched_switch/id', 0o440], ['events/sched/sched_switch/format', 0o440],
      ['/', 0o700], ['per_cpu', 0o750], ['per_cpu/cpu0', 0o750], ['instances', 0o750], ['options', 0o750],
      ['events', 0o755], ['events/sched', 0o755], ['events/sched/sched_switch', 0o755],
    ];
    for (const [p, m] of want) expect(modeOf(s.fs, p).toString(8), p).toBe(m.toString(8));
    expect(s.fs.write('../../../..', 'x')).toBe(-21); // a directory is -EISDIR
    expect(s.fs.lookup('instances')).not.toBe(undefined);
    expect((s.fs.lookup('instances') as { mkdir(n: string): number }).mkdir('i')).toBe(0);
    expect(modeOf(s.fs, 'instances/i').toString(8)).toBe('750');
    expect(modeOf(s.fs, 'instances/i/trace_clock').toString(8)).toBe('640');
  });

  it('root opens what has no .write or .read; write(2) or read(2) is then -EINVAL and nothing changes', () => {
    const s = setup();
    for (const f of ['available_tracers', 'trace_pipe', 'buffer_total_size_kb', 'saved_cmdlines', 'README']) {
      const o = s.fs.open(f, O_WRONLY_TRUNC);
      expect(typeof o, f).toBe('object');
      expect(s.fs.write(f, 'x\n'), f).toBe(-EINVAL);
    }
    expect(read(s.fs, 'available_tracers')).toBe('function_graph function nop\n');
    expect(s.fs.read('trace_marker')).toBe(-EINVAL);
    expect(typeof s.fs.open('trace_marker', O_RDONLY)).toBe('object');
    // negative control: a writable file takes the same write
    expect(s.fs.write('tracing_on', '1\n')).toBe(0);
  });

  it('a non-root caller gets -EACCES where the mode gives others nothing, and access where it does', () => {
    const s = setup();
    const user = new Tracefs(s.fs.root, { asRoot: false });
    expect(user.read('available_tracers')).toBe(-EACCES); // the 0700 root cannot be searched
    expect(user.write('tracing_on', '0')).toBe(-EACCES);
    expect(read(s.fs, 'tracing_on')).toBe('1\n');
    const top = new StaticDir(0o755);
    top.add('open', roFile(() => 'hi\n', 0o444));
    top.add('rw', rwFile(() => '1\n', () => 0, { mode: 0o666 }));
    top.add('closed', roFile(() => 'no\n'));
    const u = new Tracefs(top, { asRoot: false });
    expect(u.read('open')).toBe('hi\n');
    expect(u.write('open', 'x')).toBe(-EACCES);
    expect(u.write('rw', '1')).toBe(0);
    expect(u.read('closed')).toBe(-EACCES);
    expect(new Tracefs(top).read('closed')).toBe('no\n');
  });
});

describe('trace_clock', () => {
  it('counter stamps each event with the next count, printed raw and right-aligned in 12 columns, as are per_cpu stats', () => {
    const s = setup();
    expect(s.fs.write('trace_clock', 'counter')).toBe(0);
    for (const m of ['a', 'b', 'c']) expect(s.fs.write('trace_marker', m)).toBe(0);
    const lines = body(read(s.fs, 'trace'));
    expect(lines).toHaveLength(3);
    const n = Number(stampOf(lines[0]));
    expect(lines.map(stampOf)).toEqual([n, n + 1, n + 2].map(String));
    expect(lines[0]).toMatch(new RegExp(`\\] \\.{5} {${12 - String(n).length + 1}}${n}: tracing_mark_write: a$`));
    const stats = read(s.fs, 'per_cpu/cpu0/stats');
    expect(stats).toMatch(new RegExp(`\noldest event ts: ${n}\nnow ts: ${n + 3}\n`));
    // back to local: seconds.microseconds again, the buffer cleared
    expect(s.fs.write('trace_clock', 'local')).toBe(0);
    expect(body(read(s.fs, 'trace'))).toEqual([]);
    s.fs.write('trace_marker', 'd');
    expect(stampOf(body(read(s.fs, 'trace'))[0])).toMatch(/^\d+\.\d{6}$/);
    expect(read(s.fs, 'per_cpu/cpu0/stats')).toMatch(/\noldest event ts: +\d+\.\d{6}\nnow ts: +\d+\.\d{6}\n/);
  });

  it('uptime is the guest\'s jiffies_64 in USER_HZ (100) units; x86-tsc the CPU\'s TSC; tai the wall clock plus 37 s; mono, boot, perf the machine\'s ns', () => {
    const s = setup();
    s.ctx.run(3_000_000);
    const jAddr = s.b.symbols.lookup('jiffies_64')!;
    const jiffies = (): number => Number(s.b.kernel.machine.mem.readU64(jAddr));
    expect(jiffies()).toBeGreaterThan(0);
    s.fs.write('trace_clock', 'uptime');
    s.fs.write('trace_marker', 'u');
    expect(stampOf(body(read(s.fs, 'trace'))[0])).toBe(String(Math.floor((jiffies() * 100) / 250)));
    s.fs.write('trace_clock', 'x86-tsc');
    const before = s.b.kernel.cpus[0].cycles;
    s.fs.write('trace_marker', 't');
    expect(Number(stampOf(body(read(s.fs, 'trace'))[0]))).toBe(before);
    const now = s.b.kernel.cpus[0].now();
    s.fs.write('trace_clock', 'tai');
    s.fs.write('trace_marker', 'w');
    const tai = stampOf(body(read(s.fs, 'trace'))[0]);
    expect(tai).toMatch(/^\d{10}\.\d{6}$/);
    expect(Math.abs(Number(tai) - (TAI_AT_BOOT_NS + now) / 1e9)).toBeLessThan(1e-5);
    for (const c of ['mono', 'boot', 'perf', 'mono_raw', 'global']) {
      s.fs.write('trace_clock', c);
      s.fs.write('trace_marker', c);
      const l = body(read(s.fs, 'trace'));
      expect(l, c).toHaveLength(1);
      expect(Math.abs(Number(stampOf(l[0])) - now / 1e9), c).toBeLessThan(1e-5);
    }
  });

  it('is per trace array: an instance keeps its own clock', () => {
    const s = setup();
    (s.fs.lookup('instances') as { mkdir(n: string): number }).mkdir('i');
    expect(s.fs.write('instances/i/trace_clock', 'counter')).toBe(0);
    expect(read(s.fs, 'trace_clock').startsWith('[local] ')).toBe(true);
    expect(read(s.fs, 'instances/i/trace_clock')).toContain(' [counter] ');
  });
});

describe('saved_cmdlines_size and the saved_cmdlines cache', () => {
  it('reads 128; 1..32768 replaces the cache (every comm forgotten); 0, 32769 and junk are -EINVAL and change nothing', () => {
    const s = setup();
    expect(read(s.fs, 'saved_cmdlines_size')).toBe('128\n');
    s.fs.write('trace_marker', 'x');
    expect(read(s.fs, 'saved_cmdlines')).not.toBe('');
    for (const bad of ['0', '32769', 'abc', '-1', '']) expect(s.fs.write('saved_cmdlines_size', bad), bad).toBe(-EINVAL);
    expect(read(s.fs, 'saved_cmdlines_size')).toBe('128\n');
    expect(read(s.fs, 'saved_cmdlines')).not.toBe('');
    expect(s.fs.write('saved_cmdlines_size', '32768')).toBe(0);
    expect(read(s.fs, 'saved_cmdlines_size')).toBe('32768\n');
    expect(read(s.fs, 'saved_cmdlines')).toBe('');
    expect(s.fs.write('saved_cmdlines_size', '1\n')).toBe(0);
    expect(read(s.fs, 'saved_cmdlines_size')).toBe('1\n');
  });

  it('round robin: a new pid takes the next slot and the pid that held it is no longer found; a known pid keeps its slot', () => {
    const c = new SavedCmdlines(2);
    c.set(0, 'swapper'); // the idle task is never saved
    c.set(10, 'a').set(11, 'b');
    expect([...c]).toEqual([[11, 'b'], [10, 'a']]); // slot 0 is reached last: cmdline_idx starts at 0
    c.set(12, 'c');
    expect(c.get(10)).toBeUndefined();
    expect(c.evicted(10)).toBe(true);
    expect(c.get(11)).toBe('b');
    c.set(11, 'b2'); // keeps its slot: 12 stays
    expect(c.get(12)).toBe('c');
    expect(c.get(11)).toBe('b2');
    c.set(10, 'a'); // takes back its old slot, evicting whoever holds it now
    expect(c.get(10)).toBe('a');
    expect(c.get(12)).toBeUndefined();
    expect(c.evicted(99)).toBe(false); // never saved: not evicted
    expect(new SavedCmdlines(1).set(70000, 'x').get(70000 & 0x7fff)).toBeUndefined(); // same map entry, other pid
  });

  it('a traced pid evicted from a 1-slot cache prints as <...> in trace', () => {
    const s = setup(2);
    for (let i = 0; i < 40 && s.b.kernel.tasks.length < 3; i++) s.ctx.run(100_000);
    s.fs.write('saved_cmdlines_size', '1');
    s.fs.write('set_ftrace_filter', 'schedule');
    s.fs.write('current_tracer', 'function');
    s.ctx.run(3_000_000);
    const saved = read(s.fs, 'saved_cmdlines').split('\n').filter((l) => l !== '');
    expect(saved).toHaveLength(1);
    const lines = body(read(s.fs, 'trace'));
    const pids = new Set(lines.map((l) => /-(\d+) +\[/.exec(l)![1]).filter((p) => p !== '0'));
    expect(pids.size).toBeGreaterThan(1);
    expect(lines.some((l) => /^ +<\.\.\.>-\d+ +\[/.test(l))).toBe(true);
    const keeper = saved[0].split(' ')[0];
    expect(lines.filter((l) => l.includes(`-${keeper} `)).every((l) => !l.includes('<...>'))).toBe(true);
  });
});

describe('free_buffer', () => {
  it('takes any write; closing it shrinks the buffer to 0, tracing stays on; reading it is -EINVAL and frees too', () => {
    const s = setup();
    const f = s.fs.open('free_buffer', O_WRONLY_TRUNC);
    if (typeof f === 'number') throw new Error(String(f));
    expect(f.write!(new TextEncoder().encode('anything at all'))).toBe(15);
    expect(read(s.fs, 'buffer_size_kb')).toBe('1408\n'); // not before the close
    expect(f.release!()).toBe(0);
    expect(read(s.fs, 'buffer_size_kb')).toBe('0\n');
    expect(read(s.fs, 'buffer_total_size_kb')).toBe('0\n');
    expect(s.tr.buffer.nrPages(0)).toBe(2);
    expect(read(s.fs, 'tracing_on')).toBe('1\n');
    expect(s.fs.write('buffer_size_kb', '64')).toBe(0);
    expect(s.fs.read('free_buffer')).toBe(-EINVAL);
    expect(read(s.fs, 'buffer_size_kb')).toBe('0\n');
  });

  it('with options/disable_on_free set, closing it also turns tracing off', () => {
    const s = setup();
    expect(s.fs.write('options/disable_on_free', '1')).toBe(0);
    expect(s.fs.write('free_buffer', '1')).toBe(0);
    expect(read(s.fs, 'tracing_on')).toBe('0\n');
    expect(read(s.fs, 'buffer_size_kb')).toBe('0\n');
  });
});
