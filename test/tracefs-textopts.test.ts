// The generic trace options through tracefs on the booted bundled kernel: record-tgid (saved_tgids), printk-msg-only, pause-on-trace, stacktrace, func-no-repeats, fields, latency-format; each against its off state.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import { O_RDONLY } from '../src/trace/tracefs/fs.js';
import { readFile, withTracefs, type TracefsMachine } from './helpers/tracefs.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));
const machine = (): TracefsMachine => withTracefs(boot(image, 'vmlinux', { cpus: 1, seed: 1 }));
const body = (t: string): string[] => t.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const w = (m: TracefsMachine, f: string, v: string): void => { expect(m.fs.write(f, v)).toBe(0); };

describe('record-tgid', () => {
  it('off: saved_tgids is empty and `trace` has no TGID column; on: each traced pid is saved as its own tgid and shown', () => {
    const m = machine();
    w(m, 'set_ftrace_filter', 'kmem_cache_*');
    w(m, 'current_tracer', 'function');
    m.run(100_000);
    expect(readFile(m, 'saved_tgids')).toBe('');
    expect(readFile(m, 'trace')).toContain('#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n');
    expect(body(readFile(m, 'trace'))[0]).toMatch(/^ +\S+-\d+ +\[000\] /);
    w(m, 'trace', '');
    w(m, 'options/record-tgid', '1');
    m.run(100_000);
    const saved = readFile(m, 'saved_tgids');
    expect(saved).toMatch(/^(\d+ \d+\n)+$/);
    // the bundled kernel's tasks are each their own thread group: tgid == pid, and the idle task is never saved
    for (const l of saved.trim().split('\n')) {
      const [pid, tgid] = l.split(' ');
      expect(tgid).toBe(pid);
      expect(pid).not.toBe('0');
    }
    const t = readFile(m, 'trace');
    expect(t).toContain('#           TASK-PID       TGID    CPU#  |||||  TIMESTAMP  FUNCTION\n');
    const lines = body(t);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      const x = /^ +\S+-(\d+) +\( *(\d+|-------)\) \[000\] /.exec(l);
      expect(x).not.toBeNull();
      if (x![1] !== '0') expect(x![2]).toBe(x![1]);
    }
  });
});

describe('printk-msg-only', () => {
  it('a trace_marker event shows only its text; off it has the context and tracing_mark_write', () => {
    const m = machine();
    w(m, 'trace_marker', 'hello');
    expect(body(readFile(m, 'trace'))).toEqual([expect.stringMatching(/^ +\S+-\d+ +\[000\] \.{5} +\d+\.\d{6}: tracing_mark_write: hello$/)]);
    w(m, 'trace_options', 'printk-msg-only');
    expect(body(readFile(m, 'trace'))).toEqual(['hello']);
    w(m, 'options/trace_printk', '0');
    expect(body(readFile(m, 'trace'))[0]).toMatch(/tracing_mark_write: hello$/);
  });
});

describe('pause-on-trace', () => {
  const count = (m: TracefsMachine): number => m.tr.buffer.totalEntries().written;

  it('off: the buffer keeps filling while `trace` is open (negative control)', () => {
    const m = machine();
    w(m, 'current_tracer', 'function');
    const f = m.fs.open('trace', O_RDONLY);
    expect(typeof f).toBe('object');
    const before = count(m);
    m.run(50_000);
    expect(count(m)).toBeGreaterThan(before);
    if (typeof f === 'object') f.release?.();
  });

  it('on: opening `trace` stops recording until it is closed; tracing_on still reads 1', () => {
    const m = machine();
    w(m, 'current_tracer', 'function');
    w(m, 'options/pause-on-trace', '1');
    const f = m.fs.open('trace', O_RDONLY);
    if (typeof f !== 'object') throw new Error('open');
    const before = count(m);
    m.run(50_000);
    expect(count(m)).toBe(before);
    expect(readFile(m, 'tracing_on')).toBe('1\n');
    f.release?.();
    m.run(50_000);
    expect(count(m)).toBeGreaterThan(before);
  });
});

describe('stacktrace', () => {
  it('off: event lines only; on: each committed event is followed by a <stack trace> entry', () => {
    const m = machine();
    // the guest's clock is one ns a step: the workload (ticks, switches) starts a few ms in
    m.run(5_000_000);
    w(m, 'events/irq_vectors/local_timer_entry/enable', '1');
    w(m, 'events/sched/sched_switch/enable', '1');
    m.run(2_000_000);
    const off = body(readFile(m, 'trace'));
    expect(off.some((l) => / (local_timer_entry|sched_switch): /.test(l))).toBe(true);
    expect(off.some((l) => l.includes('<stack trace>'))).toBe(false);
    w(m, 'trace', '');
    w(m, 'options/stacktrace', '1');
    m.run(2_000_000);
    const on = body(readFile(m, 'trace'));
    const switches = on.map((l, i) => [l, i] as const).filter(([l]) => / (local_timer_entry|sched_switch): /.test(l));
    expect(switches.length).toBeGreaterThan(0);
    for (const [, i] of switches) {
      expect(on[i + 1]).toMatch(/: <stack trace>$/);
      expect(on[i + 2]).toMatch(/^ => \S+/);
    }
  });
});

describe('func-no-repeats', () => {
  /** Adjacent function lines that repeat the same call (same task, function and call site: read under sym-offset). */
  const repeats = (lines: string[]): number => {
    let n = 0;
    const key = (l: string): string => l.replace(/ +\d+\.\d{6}: /, ' ').replace(/ \[\d+\] \S+/, '');
    for (let i = 1; i < lines.length; i++) if (key(lines[i]) === key(lines[i - 1])) n++;
    return n;
  };

  it('off: the same call appears on consecutive lines; on: repeats are folded into `(repeats: N, last_ts: ...)` entries', () => {
    const m = machine();
    w(m, 'current_tracer', 'function');
    w(m, 'options/sym-offset', '1');
    m.run(200_000);
    const off = body(readFile(m, 'trace'));
    expect(repeats(off)).toBeGreaterThan(0);
    expect(off.some((l) => l.includes('(repeats:'))).toBe(false);
    expect(readFile(m, 'trace_options')).toMatch(/\nnofunc_stack_trace\nnofunc-no-repeats\n$/);
    w(m, 'trace_options', 'func-no-repeats');
    expect(readFile(m, 'options/func-no-repeats')).toBe('1\n');
    w(m, 'trace', '');
    m.run(200_000);
    const on = body(readFile(m, 'trace'));
    expect(repeats(on.filter((l) => !l.includes('(repeats:')))).toBe(0);
    const r = on.filter((l) => l.includes('(repeats:'));
    expect(r.length).toBeGreaterThan(0);
    for (const l of r) {
      const x = /^ +\S+-\d+ +\[000\] \S{5} +(\d+\.\d{6}): \S+ <-\S+ \(repeats: (\d+), last_ts: +(\d+\.\d{6})\)$/.exec(l);
      expect(x).not.toBeNull();
      expect(Number(x![2])).toBeGreaterThan(0);
      expect(Number(x![3])).toBeLessThanOrEqual(Number(x![1]));
    }
    // not an option of function_graph: -EINVAL through trace_options while it is current
    w(m, 'current_tracer', 'function_graph');
    expect(m.fs.write('trace_options', 'nofunc-no-repeats')).toBeLessThan(0);
  });
});

describe('fields and latency-format through tracefs', () => {
  it('fields prints function entries as `function: parent_ip=... ip=...` with %pS; latency-format prints the latency header', () => {
    const m = machine();
    w(m, 'set_ftrace_filter', 'vprintk_emit');
    w(m, 'current_tracer', 'function');
    m.run(100_000);
    w(m, 'tracing_on', '0');
    expect(body(readFile(m, 'trace'))[0]).toMatch(/: vprintk_emit <-printk$/);
    w(m, 'options/fields', '1');
    expect(body(readFile(m, 'trace'))[0]).toMatch(/: function: parent_ip=printk\+0x[0-9a-f]+\/0x[0-9a-f]+ ip=vprintk_emit\+0x0\/0x[0-9a-f]+$/);
    w(m, 'options/fields', '0');
    w(m, 'options/latency-format', '1');
    const t = readFile(m, 'trace');
    expect(t).toMatch(/^# tracer: function\n#\n# function latency trace v1\.1\.5 on 6\.18\.0\n/);
    expect(body(t)[0]).toMatch(/^ {4}init-1 {7} {2}0d\.{4} +\d+us.: vprintk_emit <-printk$/);
  });
});
