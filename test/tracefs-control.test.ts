// tracefs control files on the booted bundled kernel: tracers, trace and trace_pipe, per_cpu, buffer sizes, tracing_on, trace_clock, trace_marker, saved_cmdlines, tracing_cpumask, README, trace_options and options/, snapshot, error_log and instances/, driven through the Tracefs API with the kernel's formats and errnos.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, type Booted } from '../src/runner.js';
import { FunctionTracer, TraceArray } from '../src/trace/trace_functions.js';
import { buildTracefs } from '../src/trace/tracefs/index.js';
import {
  EAGAIN, EBADF, EBUSY, EEXIST, EINVAL, ENODEV, ENOENT, ENOMEM, EPERM, O_RDONLY, O_WRONLY_TRUNC, text,
  type DirNode, type OpenFile, type Tracefs,
} from '../src/trace/tracefs/fs.js';
import { logError } from '../src/trace/tracefs/control.js';
import { formatCpumask, parseCpumask } from '../src/trace/tracefs/control_util.js';
import { EOVERFLOW, ERANGE, kstrtoul, kstrtoull } from '../src/trace/tracefs/fs.js';
import { FTRACE_FL_ENABLED } from '../src/ftrace/record.js';

import { tracefsOf, type TracefsSetup } from './helpers/tracefs.js';

const KERNEL = fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url));
const image = readFileSync(KERNEL);

type Setup = TracefsSetup;

function setup(cpus = 2): Setup {
  return tracefsOf(boot(image, 'vmlinux', { cpus, seed: 1 }));
}

function read(fs: Tracefs, path: string): string {
  const r = fs.read(path);
  if (typeof r === 'number') throw new Error(`read ${path}: ${r}`);
  return r;
}

function open(fs: Tracefs, path: string, flags = O_RDONLY): OpenFile {
  const f = fs.open(path, flags);
  if (typeof f === 'number') throw new Error(`open ${path}: ${f}`);
  return f;
}

/** One read(2) of up to `len` bytes from an open file, as text. */
function readOnce(f: OpenFile, len = 65536): string | number {
  const r = f.read!(0, len);
  return typeof r === 'number' ? r : text(r);
}

const body = (t: string): string[] => t.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const enabledRecords = (b: Booted): number => [...b.ftrace!.core.allRecords()].filter((r) => r.has(FTRACE_FL_ENABLED)).length;

/** Run until every CPU is up, so that each CPU records events. */
function runUntilSmp(s: Setup): void {
  for (let i = 0; i < 400 && !s.b.kernel.cpus.every((c) => !c.halted); i++) s.ctx.run(50_000);
  expect(s.b.kernel.cpus.every((c) => !c.halted)).toBe(true);
}

describe('tracers: available_tracers and current_tracer', () => {
  it('lists the tracers on one line, nop last; every one can be set (basic2.tc); an unknown name is -EINVAL and changes nothing', () => {
    const s = setup();
    expect(read(s.fs, 'available_tracers')).toBe('function_graph function nop\n');
    expect(read(s.fs, 'current_tracer')).toBe('nop\n');
    for (const t of read(s.fs, 'available_tracers').trim().split(' ')) {
      expect(s.fs.write('current_tracer', `${t}\n`)).toBe(0);
      expect(read(s.fs, 'current_tracer')).toBe(`${t}\n`);
    }
    expect(s.fs.write('current_tracer', 'function\n')).toBe(0);
    const enabled = enabledRecords(s.b);
    expect(enabled).toBeGreaterThan(100);
    for (const bad of ['blk\n', ' function\n', 'functio\n', 'function_graphx', '']) {
      expect(s.fs.write('current_tracer', bad)).toBe(-EINVAL);
      expect(read(s.fs, 'current_tracer')).toBe('function\n');
      expect(enabledRecords(s.b)).toBe(enabled);
    }
    // trailing whitespace goes, as the kernel strips it; the same tracer again is a no-op
    expect(s.fs.write('current_tracer', 'nop \t\n')).toBe(0);
    expect(read(s.fs, 'current_tracer')).toBe('nop\n');
    expect(enabledRecords(s.b)).toBe(0);
    expect(s.fs.write('current_tracer', 'nop')).toBe(0);
    expect(s.fs.write('available_tracers', 'nop')).toBe(-EINVAL); // root opens it; write(2) without .write is -EINVAL
  });

  it('a tracer switch while the machine runs patches live, clears the buffer, and the trace shows the new tracer', () => {
    const s = setup();
    runUntilSmp(s);
    expect(s.fs.write('current_tracer', 'function')).toBe(0);
    s.ctx.run(60_000);
    expect(body(read(s.fs, 'trace')).length).toBeGreaterThan(20);
    expect(s.fs.write('current_tracer', 'function_graph')).toBe(0);
    expect(read(s.fs, 'trace')).toMatch(/^# tracer: function_graph\n/);
    s.ctx.run(60_000);
    expect(read(s.fs, 'trace')).toMatch(/\n [01]\) .*\|  \w+\(\)/);
  });
});

describe('tracing_on', () => {
  it('0 stops recording while the tracer stays registered, 1 resumes; any other number is on (kstrtoul), junk -EINVAL', () => {
    const s = setup();
    expect(read(s.fs, 'tracing_on')).toBe('1\n');
    expect(s.fs.write('current_tracer', 'function')).toBe(0);
    s.ctx.run(100_000);
    expect(s.fs.write('tracing_on', '0\n')).toBe(0);
    expect(read(s.fs, 'tracing_on')).toBe('0\n');
    const frozen = read(s.fs, 'trace');
    const calls = s.tr.tracers.get('function') as FunctionTracer;
    const before = calls.calls;
    s.ctx.run(200_000);
    // the hooks stay armed (the callback runs), nothing reaches the buffer
    expect(calls.calls).toBeGreaterThan(before);
    expect(read(s.fs, 'trace')).toBe(frozen);
    expect(enabledRecords(s.b)).toBeGreaterThan(100);
    expect(read(s.fs, 'current_tracer')).toBe('function\n');
    for (const bad of ['on', '-1', '1x', '', ' 1']) {
      expect(s.fs.write('tracing_on', bad)).toBe(-EINVAL);
      expect(read(s.fs, 'tracing_on')).toBe('0\n');
    }
    expect(s.fs.write('tracing_on', '1')).toBe(0);
    s.ctx.run(100_000);
    expect(read(s.fs, 'trace')).not.toBe(frozen);
    expect(s.fs.write('tracing_on', '0')).toBe(0);
    expect(s.fs.write('tracing_on', '2\n')).toBe(0);
    expect(read(s.fs, 'tracing_on')).toBe('1\n');
  });
});

describe('trace', () => {
  it('reads without consuming; `echo > trace` clears; `>>` (no O_TRUNC) does not', () => {
    const s = setup();
    expect(s.fs.write('current_tracer', 'function')).toBe(0);
    s.ctx.run(100_000);
    s.fs.write('tracing_on', '0');
    const a = read(s.fs, 'trace');
    expect(body(a).length).toBeGreaterThan(100);
    expect(read(s.fs, 'trace')).toBe(a);
    expect(s.fs.write('trace', 'anything\n', { append: true })).toBe(0);
    expect(read(s.fs, 'trace')).toBe(a);
    expect(s.fs.write('trace', '\n')).toBe(0);
    const cleared = read(s.fs, 'trace');
    expect(cleared).toContain('# entries-in-buffer/entries-written: 0/0   #P:2\n');
    expect(body(cleared)).toEqual([]);
  });
});

describe('trace_pipe', () => {
  it('consumes what it returns (trace_pipe.tc): a marker is in trace twice, then read from the pipe, then gone', () => {
    const s = setup();
    expect(s.fs.write('trace_marker', 'test marker\n')).toBe(0);
    expect(read(s.fs, 'trace')).toMatch(/tracing_mark_write: test marker\n/);
    expect(read(s.fs, 'trace')).toMatch(/tracing_mark_write: test marker\n/);
    const p = open(s.fs, 'trace_pipe');
    const got = readOnce(p);
    expect(got).toMatch(/^ +\S+-\d+ +\[000\] \.{5} +\d+\.\d{6}: tracing_mark_write: test marker\n$/);
    expect(p.release!()).toBe(0);
    expect(body(read(s.fs, 'trace'))).toEqual([]);
  });

  it('partial reads return the rest of a line first; O_NONBLOCK on an empty pipe is -EAGAIN', () => {
    const s = setup();
    s.fs.write('trace_marker', 'abcdef');
    const p = open(s.fs, 'trace_pipe');
    const first = readOnce(p, 10);
    expect(typeof first === 'string' && first.length).toBe(10);
    const rest = readOnce(p);
    expect(first + (rest as string)).toMatch(/tracing_mark_write: abcdef\n$/);
    p.release!();
    const nb = open(s.fs, 'trace_pipe', { ...O_RDONLY, nonblock: true });
    expect(readOnce(nb)).toBe(-EAGAIN);
    s.fs.write('trace_marker', 'x');
    expect(readOnce(nb)).toMatch(/tracing_mark_write: x\n$/);
    nb.release!();
  });

  it('an empty pipe lets the machine run until events arrive; after a read, end of file once tracing is off; end of file once the machine halted', () => {
    const s = setup();
    expect(s.fs.write('current_tracer', 'function')).toBe(0);
    expect(s.fs.write('trace', '')).toBe(0);
    const p = open(s.fs, 'trace_pipe');
    const steps = s.b.kernel.steps;
    const got = readOnce(p, 4096);
    expect(s.b.kernel.steps).toBeGreaterThan(steps);
    expect(typeof got === 'string' ? got.length : got).toBeGreaterThan(0);
    expect((got as string).length).toBeLessThanOrEqual(4095);
    s.fs.write('tracing_on', '0');
    let all = got as string;
    for (let r = readOnce(p, 4096) as string; r.length > 0; r = readOnce(p, 4096) as string) {
      expect(r.length).toBeLessThanOrEqual(4095);
      all += r;
    }
    // the reads together are whole function lines, each consumed once
    expect(all.endsWith('\n')).toBe(true);
    for (const l of all.slice(0, -1).split('\n')) expect(l).toMatch(/^ +\S+-\d+ +\[00[01]\] [.dhsnzZH]{5} +\d+\.\d{6}: [\w.]+ <-[\w.]+$/);
    expect(body(read(s.fs, 'trace'))).toEqual([]);
    const at = s.b.kernel.steps;
    expect(readOnce(p)).toBe('');
    expect(s.b.kernel.steps).toBe(at);
    p.release!();
    // a machine that halted for good: nothing can arrive
    const h = setup(1);
    h.b.kernel.run(2_000_000_000);
    expect(h.b.kernel.cpus.every((c) => c.halted)).toBe(true);
    const hp = open(h.fs, 'trace_pipe');
    expect(readOnce(hp)).toBe('');
    hp.release!();
  });

  it('current_tracer cannot change while trace_pipe is open (-EBUSY), and can once it is closed', () => {
    const s = setup();
    const p = open(s.fs, 'trace_pipe');
    expect(s.fs.write('current_tracer', 'function')).toBe(-EBUSY);
    expect(read(s.fs, 'current_tracer')).toBe('nop\n');
    expect(s.fs.write('current_tracer', 'nop')).toBe(0);
    p.release!();
    expect(s.fs.write('current_tracer', 'function')).toBe(0);
    expect(s.fs.write('trace_pipe', 'x')).toBe(-EINVAL);
  });
});

describe('per_cpu', () => {
  it('cpuN/trace shows only that CPU, cpuN/trace_pipe consumes only it, stats as the kernel prints them', () => {
    const s = setup();
    runUntilSmp(s);
    expect(s.fs.write('current_tracer', 'function')).toBe(0);
    s.ctx.run(300_000);
    s.fs.write('tracing_on', '0');
    const all = body(read(s.fs, 'trace'));
    const c1 = read(s.fs, 'per_cpu/cpu1/trace');
    const n1 = s.tr.buffer.entries(1);
    expect(n1).toBeGreaterThan(0);
    expect(c1).toContain(`# entries-in-buffer/entries-written: ${n1}/${n1}   #P:2\n`);
    expect(body(c1)).toEqual(all.filter((l) => l.includes('[001]')));
    const stats = read(s.fs, 'per_cpu/cpu1/stats');
    expect(stats).toMatch(new RegExp(
      `^entries: ${n1}\\noverrun: 0\\ncommit overrun: 0\\nbytes: \\d+\\noldest event ts: +\\d+\\.\\d{6}\\n` +
      'now ts: +\\d+\\.\\d{6}\\ndropped events: 0\\nread events: 0\\n$'));
    const p = open(s.fs, 'per_cpu/cpu1/trace_pipe');
    let consumed = '';
    for (let r = readOnce(p, 4096); typeof r === 'string' && r !== ''; r = readOnce(p, 4096)) consumed += r;
    p.release!();
    expect(body(consumed)).toEqual(all.filter((l) => l.includes('[001]')));
    expect(read(s.fs, 'per_cpu/cpu1/stats')).toMatch(new RegExp(`\\nentries: 0\\n|^entries: 0\\n[^]*read events: ${n1}\\n`));
    expect(body(read(s.fs, 'trace'))).toEqual(all.filter((l) => l.includes('[000]')));
    // echo > per_cpu/cpu0/trace clears CPU 0 only
    expect(s.fs.write('per_cpu/cpu0/trace', '')).toBe(0);
    expect(s.tr.buffer.entries(0)).toBe(0);
    expect(s.fs.lookup('per_cpu/cpu2')).toBe(-ENOENT);
  });
});

describe('buffer_size_kb and buffer_total_size_kb', () => {
  it('reads 1408; a write resizes every CPU, a per-CPU write one (the top reads X); 0, junk and too large fail and change nothing', () => {
    const s = setup();
    expect(read(s.fs, 'buffer_size_kb')).toBe('1408\n');
    expect(read(s.fs, 'buffer_total_size_kb')).toBe('2816\n');
    expect(read(s.fs, 'per_cpu/cpu1/buffer_size_kb')).toBe('1408\n');
    expect(s.fs.write('buffer_size_kb', '704\n')).toBe(0);
    expect(read(s.fs, 'buffer_size_kb')).toBe('704\n');
    expect(s.tr.buffer.nrPages(0)).toBe(Math.ceil(704 * 1024 / 4080));
    expect(s.fs.write('per_cpu/cpu1/buffer_size_kb', '2816')).toBe(0);
    expect(read(s.fs, 'buffer_size_kb')).toBe('X\n');
    expect(read(s.fs, 'per_cpu/cpu0/buffer_size_kb')).toBe('704\n');
    expect(read(s.fs, 'per_cpu/cpu1/buffer_size_kb')).toBe('2816\n');
    expect(read(s.fs, 'buffer_total_size_kb')).toBe('3520\n');
    for (const bad of ['0', 'abc', '-4', '12k', '']) {
      expect(s.fs.write('buffer_size_kb', bad)).toBe(-EINVAL);
      expect(s.fs.write('per_cpu/cpu0/buffer_size_kb', bad)).toBe(-EINVAL);
    }
    expect(s.fs.write('buffer_size_kb', String(1 << 21))).toBe(-ENOMEM);
    expect(s.fs.write('buffer_size_kb', '99999999999999999999')).toBe(-ERANGE);
    expect(read(s.fs, 'per_cpu/cpu0/buffer_size_kb')).toBe('704\n');
    expect(s.fs.write('buffer_size_kb', '1408')).toBe(0);
    expect(read(s.fs, 'buffer_size_kb')).toBe('1408\n');
    expect(s.fs.write('buffer_total_size_kb', '1')).toBe(-EINVAL);
  });
});

describe('trace_clock', () => {
  const ALL = 'local global counter uptime perf mono mono_raw boot tai x86-tsc';
  it('lists the x86 clocks of trace_clocks[] with the current in brackets; a change (even to the same clock) clears the buffer; an unknown clock is -EINVAL', () => {
    const s = setup();
    expect(read(s.fs, 'trace_clock')).toBe(`[local] ${ALL.slice(6)}\n`);
    s.fs.write('trace_marker', 'before');
    expect(s.fs.write('trace_clock', 'jiffies\n')).toBe(-EINVAL);
    expect(s.fs.write('trace_clock', 'x'.repeat(64))).toBe(-EINVAL);
    expect(read(s.fs, 'trace_clock')).toBe(`[local] ${ALL.slice(6)}\n`);
    expect(body(read(s.fs, 'trace')).length).toBe(1);
    expect(s.fs.write('trace_clock', 'global\n')).toBe(0);
    expect(read(s.fs, 'trace_clock')).toBe('local [global] counter uptime perf mono mono_raw boot tai x86-tsc\n');
    expect(body(read(s.fs, 'trace'))).toEqual([]);
    s.fs.write('trace_marker', 'again');
    expect(s.fs.write('trace_clock', 'global')).toBe(0);
    expect(body(read(s.fs, 'trace'))).toEqual([]);
    for (const c of ALL.split(' ')) {
      expect(s.fs.write('trace_clock', `  ${c}  \n`), c).toBe(0);
      expect(read(s.fs, 'trace_clock'), c).toBe(ALL.replace(new RegExp(`(^| )${c}( |$)`), `$1[${c}]$2`) + '\n');
    }
  });
});

describe('trace_marker', () => {
  it('a write becomes a tracing_mark_write line; -EBADF while tracing is off, -EINVAL under nomarkers; reading it is -EINVAL', () => {
    const s = setup();
    expect(s.fs.write('trace_marker', 'hello world')).toBe(0);
    expect(s.fs.write('trace_marker', 'second\n')).toBe(0);
    const lines = body(read(s.fs, 'trace'));
    expect(lines.map((l) => l.replace(/^.*: tracing_mark_write: /, ''))).toEqual(['hello world', 'second']);
    expect(lines[0]).toMatch(/^ {6,}\S+-\d+ +\[000\] \.\.\.\.\. +\d+\.\d{6}: tracing_mark_write: hello world$/);
    s.fs.write('tracing_on', '0');
    expect(s.fs.write('trace_marker', 'off')).toBe(-EBADF);
    s.fs.write('tracing_on', '1');
    expect(s.fs.write('trace_options', 'nomarkers')).toBe(0);
    expect(s.fs.write('trace_marker', 'nomarkers')).toBe(-EINVAL);
    expect(s.fs.write('options/markers', '1')).toBe(0);
    expect(s.fs.write('trace_marker', 'x'.repeat(2000))).toBe(0);
    const long = body(read(s.fs, 'trace')).pop()!;
    expect(long.endsWith(': tracing_mark_write: ' + 'x'.repeat(2000))).toBe(true);
    // one write(2) takes at most the largest event less the print entry (4072 - 18) and says so
    const w = open(s.fs, 'trace_marker', O_WRONLY_TRUNC);
    expect(w.write!(new TextEncoder().encode('y'.repeat(5000)))).toBe(4054);
    w.release?.();
    expect(body(read(s.fs, 'trace')).pop()!.endsWith(': tracing_mark_write: ' + 'y'.repeat(4054))).toBe(true);
    expect(s.fs.read('trace_marker')).toBe(-EINVAL); // root opens it; read(2) without .read is -EINVAL
    const m = open(s.fs, 'trace_marker');
    expect(m.read).toBeUndefined();
    m.release?.();
  });
});

describe('saved_cmdlines', () => {
  it('lists `pid comm` of the tasks the trace shows, never the idle task', () => {
    const s = setup();
    runUntilSmp(s);
    s.fs.write('current_tracer', 'function');
    s.ctx.run(200_000);
    const lines = read(s.fs, 'saved_cmdlines').split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^[1-9]\d* \S{1,15}$/);
    const map = new Map(lines.map((l) => [Number(l.split(' ')[0]), l.split(' ')[1]]));
    for (const l of body(read(s.fs, 'trace'))) {
      const m = /^ *(\S+)-(\d+) /.exec(l)!;
      if (m[2] !== '0') expect(map.get(Number(m[2]))).toBe(m[1]);
    }
  });
});

describe('tracing_cpumask', () => {
  it('reads the hex mask; masking a CPU out stops recording on it (func_cpumask.tc); junk is -EINVAL, an absent CPU -EOVERFLOW', () => {
    const s = setup();
    runUntilSmp(s);
    expect(read(s.fs, 'tracing_cpumask')).toBe('3\n');
    expect(s.fs.write('tracing_cpumask', '2\n')).toBe(0);
    expect(read(s.fs, 'tracing_cpumask')).toBe('2\n');
    s.fs.write('current_tracer', 'function');
    s.ctx.run(300_000);
    const lines = body(read(s.fs, 'trace'));
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((l) => l.includes('[001]'))).toBe(true);
    for (const bad of ['xyz', '', '1,', '0x3']) expect(s.fs.write('tracing_cpumask', bad)).toBe(-EINVAL);
    expect(s.fs.write('tracing_cpumask', '4')).toBe(-EOVERFLOW);
    expect(read(s.fs, 'tracing_cpumask')).toBe('2\n');
    // a marker comes from CPU 0: masked out, the buffer refuses it
    expect(s.fs.write('trace_marker', 'masked')).toBe(-EBADF);
    expect(s.fs.write('tracing_cpumask', '3')).toBe(0);
    s.ctx.run(300_000);
    expect(body(read(s.fs, 'trace')).some((l) => l.includes('[000]'))).toBe(true);
  });
});

describe('README', () => {
  it('is the mini-HOWTO and names only control files that exist', () => {
    const s = setup();
    const t = read(s.fs, 'README');
    expect(t.startsWith('tracing mini-HOWTO:\n\n# echo 0 > tracing_on : quick way to disable tracing\n')).toBe(true);
    for (const f of ['trace', 'trace_pipe', 'current_tracer', 'available_tracers', 'error_log', 'buffer_size_kb',
      'buffer_total_size_kb', 'trace_clock', 'trace_marker', 'tracing_cpumask', 'instances', 'trace_options', 'saved_cmdlines_size', 'snapshot',
      'available_filter_functions', 'set_ftrace_filter', 'set_ftrace_notrace', 'set_ftrace_pid', 'set_ftrace_notrace_pid',
      'set_graph_function', 'set_graph_notrace', 'max_graph_depth', 'stack_trace', 'stack_max_size', 'stack_trace_filter', 'events/']) {
      expect(t).toMatch(new RegExp(`\\n  ${f}\\s`));
      expect(typeof s.fs.lookup(f)).toBe('object');
    }
    // every file a line starts with exists (the negative control: a name the tree lacks is refused by lookup)
    const named = [...t.matchAll(/^ {2}([a-z_]+)(?:\t| - | {2}- )/gm)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(20);
    for (const f of named) expect(typeof s.fs.lookup(f), f).toBe('object');
    expect(s.fs.lookup('trace_marker_raw')).toBe(-ENOENT);
    // nothing for what ftsim lacks: dynamic events, trace_marker_raw, timestamp_mode, hist triggers, dump/cpudump
    expect(t).not.toMatch(/kprobe_events|dynamic_events|trace_marker_raw|timestamp_mode|hist|cpudump|\tdump/);
    expect(t).toContain('     counter:   Not a clock, but just an increment\n      uptime:   Jiffy counter from time of boot\n        perf:   Same clock that perf events use\n     x86-tsc:   TSC cycle counter\n');
    // the function commands ftsim registers, in the kernel's words and layout
    expect(t).toContain('\t     trigger: traceon, traceoff\n\t\t      enable_event:<system>:<event>\n\t\t      disable_event:<system>:<event>\n\t\t      stacktrace\n\t\t      snapshot\n\t     example: echo do_fault:traceoff > set_ftrace_filter\n');
    expect(t).toContain('  set_ftrace_notrace_pid\t- Write pid(s) to not function trace those pids\n\t\t    (function)\n');
    expect(t.endsWith('\t     echo \'!<trigger>:0 > <system>/<event>/trigger\n\t   Filters can be ignored when removing a trigger.\n')).toBe(true);
  });
});

describe('trace_options and options/', () => {
  // 6.18's trace_options in order, with the kernel's defaults (real-kernel-tracefs-capture.md)
  const GENERIC = [
    'print-parent', 'nosym-offset', 'nosym-addr', 'noverbose', 'noraw', 'nohex', 'nobin', 'noblock', 'nofields',
    'trace_printk', 'annotate', 'nouserstacktrace', 'nosym-userobj', 'noprintk-msg-only', 'context-info',
    'nolatency-format', 'record-cmd', 'norecord-tgid', 'overwrite', 'nodisable_on_free', 'irq-info', 'markers',
    'noevent-fork', 'trace_printk_dest', 'copy_trace_marker', 'nopause-on-trace', 'hash-ptr', 'function-trace',
    'nofunction-fork', 'nostacktrace',
  ].join('\n') + '\n';
  const GRAPH = 'nofuncgraph-overrun\nfuncgraph-cpu\nfuncgraph-overhead\nnofuncgraph-proc\nfuncgraph-duration\nnofuncgraph-abstime\nfuncgraph-irqs\nnofuncgraph-tail\nnofuncgraph-retval\nnofuncgraph-retval-hex\nnofuncgraph-retaddr\nsleep-time\ngraph-time\n';

  it('lists the generic options, then the current tracer\'s; X / noX and options/X 0|1 switch them, anything else -EINVAL', () => {
    const s = setup();
    expect(read(s.fs, 'trace_options')).toBe(GENERIC);
    s.fs.write('current_tracer', 'function_graph');
    expect(read(s.fs, 'trace_options')).toBe(GENERIC + GRAPH);
    expect(s.fs.write('trace_options', 'sym-offset\n')).toBe(0);
    expect(s.fs.write('trace_options', 'nofuncgraph-cpu')).toBe(0);
    expect(read(s.fs, 'options/sym-offset')).toBe('1\n');
    expect(read(s.fs, 'options/funcgraph-cpu')).toBe('0\n');
    expect(read(s.fs, 'trace_options')).toContain('sym-offset\nnosym-addr\n');
    expect(read(s.fs, 'trace_options')).toContain('nofuncgraph-cpu\n');
    s.fs.write('current_tracer', 'nop');
    // a tracer's option through trace_options needs that tracer current; options/ takes it anytime
    expect(s.fs.write('trace_options', 'funcgraph-tail')).toBe(-EINVAL);
    expect(s.fs.write('options/funcgraph-tail', '1')).toBe(0);
    expect(read(s.fs, 'options/funcgraph-tail')).toBe('1\n');
    for (const bad of ['bogus', 'nobogus', 'no', 'x'.repeat(64)]) expect(s.fs.write('trace_options', bad)).toBe(-EINVAL);
    for (const bad of ['2', 'yes', '', '-1']) expect(s.fs.write('options/annotate', bad)).toBe(-EINVAL);
    expect(read(s.fs, 'options/annotate')).toBe('1\n');
    expect(s.fs.lookup('options/funcgraph-args')).toBe(-ENOENT);
    expect(s.fs.write('options/overwrite', '0')).toBe(0);
    expect(s.tr.buffer.overwrite).toBe(false);
    expect(read(s.fs, 'trace_options')).toContain('nooverwrite\n');
  });

  it('each output option changes `trace` as the kernel does', () => {
    const s = setup();
    s.fs.write('current_tracer', 'function');
    s.ctx.run(100_000);
    s.fs.write('tracing_on', '0');
    const find = (re: RegExp): string | undefined => body(read(s.fs, 'trace')).find((l) => re.test(l));
    const line = (): string | undefined => find(/vprintk_emit <-printk$/);
    expect(line()).toMatch(/^ +init-1 +\[000\] d\.{4} +\d+\.\d{6}: vprintk_emit <-printk$/);
    s.fs.write('trace_options', 'noprint-parent');
    expect(line()).toBeUndefined();
    expect(find(/\d: vprintk_emit$/)).toBeDefined();
    s.fs.write('trace_options', 'print-parent');
    // sym-offset: %pS, name+0xoff/0xsize with the ELF symbol's size (the offset printed even when 0)
    s.fs.write('trace_options', 'sym-offset');
    expect(line()).toBeUndefined();
    expect(find(/: vprintk_emit\+0x0\/0x[0-9a-f]+ <-printk\+0x[0-9a-f]+\/0x[0-9a-f]+$/)).toBeDefined();
    s.fs.write('trace_options', 'nosym-offset');
    s.fs.write('trace_options', 'sym-addr');
    expect(find(/: vprintk_emit <ffffffff8[0-9a-f]{7}> <-printk <ffffffff8[0-9a-f]{7}>$/)).toBeDefined();
    s.fs.write('trace_options', 'nosym-addr');
    s.fs.write('trace_options', 'noirq-info');
    expect(read(s.fs, 'trace')).toContain('#           TASK-PID     CPU#     TIMESTAMP  FUNCTION\n');
    expect(line()).toMatch(/^ +\S+-\d+ +\[000\] +\d+\.\d{6}: vprintk_emit <-printk$/);
    s.fs.write('trace_options', 'nocontext-info');
    expect(line()).toBe('vprintk_emit <-printk');
    expect(read(s.fs, 'trace')).toMatch(/^# tracer: function\n#\n[a-z_]+ <-/);
    s.fs.write('trace_options', 'context-info');
    s.fs.write('options/irq-info', '1');
    expect(line()).toMatch(/\[000\] d\.\.\.\. /);
  });

  it('funcgraph options change the function_graph text; record-cmd off stops saving comms', () => {
    const s = setup();
    s.fs.write('current_tracer', 'function_graph');
    s.ctx.run(100_000);
    s.fs.write('tracing_on', '0');
    const t = read(s.fs, 'trace');
    expect(t).toContain('# CPU  DURATION                  FUNCTION CALLS\n');
    s.fs.write('trace_options', 'funcgraph-proc');
    expect(read(s.fs, 'trace')).toContain('# CPU  TASK/PID         DURATION                  FUNCTION CALLS\n');
    s.fs.write('trace_options', 'nofuncgraph-proc');
    s.fs.write('options/funcgraph-tail', '1');
    expect(read(s.fs, 'trace')).toMatch(/\| +\} \/\* \w+ \*\/\n/);
    expect(t).not.toMatch(/\| +\} \/\* \w+ \*\/\n/);
    s.fs.write('options/funcgraph-tail', '0');
    expect(read(s.fs, 'trace')).toBe(t);
    s.fs.write('trace_options', 'nofuncgraph-duration');
    expect(read(s.fs, 'trace')).toContain('# CPU               FUNCTION CALLS\n');
    // record-cmd
    const r = setup();
    r.fs.write('trace_options', 'norecord-cmd');
    r.fs.write('trace_marker', 'm');
    expect(read(r.fs, 'saved_cmdlines')).toBe('');
    r.fs.write('trace_options', 'record-cmd');
    r.fs.write('trace_marker', 'm');
    expect(read(r.fs, 'saved_cmdlines')).not.toBe('');
  });
});

describe('snapshot', () => {
  it('reads help while freed; 1 allocates and swaps (tracing_on untouched), 2 clears, 0 frees; junk -EINVAL; a tracer switch keeps it (no ftsim tracer uses the max buffer)', () => {
    const s = setup();
    const freed = read(s.fs, 'snapshot');
    expect(freed).toBe('# tracer: nop\n#\n#\n# * Snapshot is freed *\n#\n# Snapshot commands:\n' +
      '# echo 0 > snapshot : Clears and frees snapshot buffer\n' +
      '# echo 1 > snapshot : Allocates snapshot buffer, if not already allocated.\n' +
      '#                      Takes a snapshot of the main buffer.\n' +
      '# echo 2 > snapshot : Clears snapshot buffer (but does not allocate or free)\n' +
      '#                      (Doesn\'t have to be \'2\' works with any number that\n' +
      '#                       is not a \'0\' or \'1\')\n');
    s.fs.write('trace_marker', 'one');
    expect(s.fs.write('snapshot', '1\n')).toBe(0);
    expect(read(s.fs, 'tracing_on')).toBe('1\n');
    expect(body(read(s.fs, 'snapshot')).map((l) => l.replace(/^.*: /, ''))).toEqual(['one']);
    expect(body(read(s.fs, 'trace'))).toEqual([]);
    s.fs.write('trace_marker', 'two');
    expect(body(read(s.fs, 'snapshot')).length).toBe(1);
    expect(s.fs.write('snapshot', '2')).toBe(0);
    expect(read(s.fs, 'snapshot')).toContain('# * Snapshot is allocated *');
    expect(body(read(s.fs, 'trace')).length).toBe(1);
    for (const bad of ['x', '-1', '']) expect(s.fs.write('snapshot', bad)).toBe(-EINVAL);
    expect(read(s.fs, 'snapshot')).toContain('# * Snapshot is allocated *');
    expect(s.fs.write('snapshot', '0')).toBe(0);
    expect(read(s.fs, 'snapshot')).toBe(freed);
    s.fs.write('snapshot', '1');
    const kept = read(s.fs, 'snapshot');
    s.fs.write('current_tracer', 'function');
    expect(read(s.fs, 'snapshot')).not.toContain('# * Snapshot is freed *');
    expect(read(s.fs, 'snapshot').split('\n').slice(2)).toEqual(kept.split('\n').slice(2));
  });
});

describe('error_log', () => {
  it('shows `[ts] location: error: text`, the command and a caret; keeps the last 8; `echo > error_log` clears', () => {
    const s = setup();
    expect(read(s.fs, 'error_log')).toBe('');
    logError(s.tr, 'event filter parse error', 'Field not found', 'prev_pid == 1 && bogus > 3', 17);
    expect(read(s.fs, 'error_log')).toBe(
      '[    0.000000] event filter parse error: error: Field not found\n' +
      '  Command: prev_pid == 1 && bogus > 3\n' +
      '                            ^\n');
    for (let i = 0; i < 9; i++) logError(s.tr, 'loc', `e${i}`, 'cmd', 0);
    const t = read(s.fs, 'error_log');
    expect(t.match(/\] loc: error: e\d\n/g)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8'].map((e) => `] loc: error: ${e}\n`));
    expect(s.fs.write('error_log', 'x', { append: true })).toBe(0);
    expect(read(s.fs, 'error_log')).toBe(t);
    expect(s.fs.write('error_log', '')).toBe(0);
    expect(read(s.fs, 'error_log')).toBe('');
  });
});

describe('partial reads', () => {
  it('reading a control file in chunks of any size gives the same bytes as one read', () => {
    const s = setup();
    s.fs.write('current_tracer', 'function_graph');
    s.ctx.run(50_000);
    s.fs.write('tracing_on', '0');
    logError(s.tr, 'loc', 'err', 'command', 3);
    const files = ['trace', 'available_tracers', 'current_tracer', 'tracing_on', 'buffer_size_kb', 'buffer_total_size_kb',
      'trace_clock', 'saved_cmdlines', 'tracing_cpumask', 'README', 'trace_options', 'options/annotate', 'snapshot',
      'error_log', 'per_cpu/cpu0/trace', 'per_cpu/cpu0/stats', 'per_cpu/cpu1/buffer_size_kb'];
    const whole = new Map(files.map((f) => [f, read(s.fs, f)]));
    fc.assert(fc.property(fc.constantFrom(...files), fc.integer({ min: 1, max: 5000 }), (f, chunk) => {
      expect(s.fs.read(f, '/', chunk)).toBe(whole.get(f));
    }), { numRuns: 150 });
  });
});

describe('instances/', () => {
  it('mkdir makes an independent trace array: an instance traces function while the top level stays nop', () => {
    const s = setup();
    runUntilSmp(s);
    const inst = s.fs.lookup('instances') as DirNode;
    expect(inst.mkdir!('foo')).toBe(0);
    expect(inst.mkdir!('foo')).toBe(-EEXIST);
    expect([...inst.entries()].map(([n]) => n)).toEqual(['foo']);
    expect(read(s.fs, 'instances/foo/current_tracer')).toBe('nop\n');
    expect(s.fs.lookup('instances/foo/README')).toBe(-ENOENT);
    expect(s.fs.write('instances/foo/current_tracer', 'function')).toBe(0);
    s.ctx.run(200_000);
    expect(read(s.fs, 'current_tracer')).toBe('nop\n');
    expect(body(read(s.fs, 'trace'))).toEqual([]);
    const lines = body(read(s.fs, 'instances/foo/trace'));
    expect(lines.length).toBeGreaterThan(100);
    expect(read(s.fs, 'instances/foo/trace')).toMatch(/^# tracer: function\n/);
    // its own buffer and controls
    expect(s.fs.write('instances/foo/buffer_size_kb', '100')).toBe(0);
    expect(read(s.fs, 'buffer_size_kb')).toBe('1408\n');
    expect(s.fs.write('instances/foo/tracing_on', '0')).toBe(0);
    expect(read(s.fs, 'tracing_on')).toBe('1\n');
    s.fs.write('trace_marker', 'top');
    expect(body(read(s.fs, 'trace')).length).toBe(1);
    expect(body(read(s.fs, 'instances/foo/trace')).some((l) => l.includes('tracing_mark_write'))).toBe(false);
    // nested instances are not allowed
    expect(((s.fs.lookup('instances/foo') as DirNode).mkdir?.('bar')) ?? -EPERM).toBe(-EPERM);
  });

  it('rmdir: -ENOENT for none, -EBUSY while a file of it is open, else the tracer is stopped and the instance gone', () => {
    const s = setup();
    runUntilSmp(s);
    const inst = s.fs.lookup('instances') as DirNode;
    expect(inst.rmdir!('nope')).toBe(-ENOENT);
    expect(inst.mkdir!('bar')).toBe(0);
    expect(s.fs.write('instances/bar/current_tracer', 'function')).toBe(0);
    s.ctx.run(50_000);
    const enabled = enabledRecords(s.b);
    expect(enabled).toBeGreaterThan(100);
    const f = open(s.fs, 'instances/bar/trace');
    expect(inst.rmdir!('bar')).toBe(-EBUSY);
    f.release!();
    const p = open(s.fs, 'instances/bar/trace_pipe');
    expect(inst.rmdir!('bar')).toBe(-EBUSY);
    p.release!();
    expect(inst.rmdir!('bar')).toBe(0);
    expect(enabledRecords(s.b)).toBe(0);
    expect(s.fs.lookup('instances/bar')).toBe(-ENOENT);
    expect(inst.rmdir!('bar')).toBe(-ENOENT);
    expect(inst.mkdir!('bar')).toBe(0);
    expect(read(s.fs, 'instances/bar/current_tracer')).toBe('nop\n');
  });
});

describe('parsers', () => {
  it('kstrtoul, and cpumasks wider than 32 CPUs as %*pb prints and bitmap_parse reads them', () => {
    expect(kstrtoul('42\n')).toBe(42);
    expect(kstrtoul('+7')).toBe(7);
    for (const bad of ['', '\n', '4 2', '0x10', '42\n\n', '-1']) expect(kstrtoul(bad)).toBe(-EINVAL);
    expect(kstrtoul('0x10', 16)).toBe(16);
    expect(kstrtoul('99999999999999999999')).toBe(-ERANGE);
    // the kernel reads the first 66 bytes and accepts up to 2^64 - 1; an overflow is -ERANGE even with junk after it
    expect(kstrtoull('18446744073709551615\n')).toBe(0xffffffffffffffffn);
    expect(kstrtoull('18446744073709551616')).toBe(-ERANGE);
    expect(kstrtoull('99999999999999999999x')).toBe(-ERANGE);
    expect(kstrtoul('0'.repeat(60) + '12')).toBe(12);
    expect(kstrtoul('0'.repeat(70) + '12')).toBe(0); // cut to 66 bytes: only zeros remain
    expect(kstrtoul('1' + ' '.repeat(70))).toBe(-EINVAL);
    expect(formatCpumask((1n << 40n) - 1n, 40)).toBe('ff,ffffffff\n');
    expect(formatCpumask(1n, 4)).toBe('1\n');
    expect(formatCpumask(1n, 12)).toBe('001\n');
    expect(parseCpumask('1,00000000\n', 64)).toBe(1n << 32n);
    expect(parseCpumask('ff', 8)).toBe(255n);
    expect(parseCpumask('100', 8)).toBe(-EOVERFLOW);
    expect(parseCpumask('123456789', 64)).toBe(-EINVAL);
  });
});

describe('instances/ without ftrace', () => {
  it('mkdir is -ENODEV on a machine without dynamic ftrace, -EINVAL for a bad name', () => {
    const b = boot(image, 'vmlinux', { cpus: 1, ftrace: false });
    const ft = boot(image, 'vmlinux', { cpus: 1 }).ftrace!;
    const tr = new TraceArray(b.kernel, ft.core, ft.arch);
    const fs = buildTracefs({ b, run: (n) => b.kernel.run(b.kernel.steps + n) }, tr);
    const inst = fs.lookup('instances') as DirNode;
    expect(inst.mkdir!('x')).toBe(-ENODEV);
    expect(inst.mkdir!('..')).toBe(-EINVAL);
    expect([...inst.entries()]).toEqual([]);
  });
});
