// The top-level ring buffer's boot state on the booted bundled kernel: the 2-page minimum with buffer_size_kb `7 (expanded: 1408)`, every path Linux 6.18 expands it on (tracing_update_buffers and its callers, buffer resizes), the paths that leave it alone, the bytes it holds before and after, and events kept across the expansion.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, type Booted } from '../src/runner.js';
import { TraceArray, startBootTracing } from '../src/trace/trace_functions.js';
import { PAGE_SIZE } from '../src/trace/ring_buffer.js';
import { buildTracefs, type TracefsContext } from '../src/trace/tracefs/index.js';
import { EINVAL, ENOMEM, type DirNode, type Tracefs } from '../src/trace/tracefs/fs.js';
import { controlState } from '../src/trace/tracefs/control.js';
import { MINIMAL_BUFFER_KB } from '../src/trace/trace_buffers.js';
import { bootShellMachine } from '../src/cli/shell_main.js';

const KERNEL = fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url));
const image = readFileSync(KERNEL);

/** Pages ring_buffer_alloc gives trace_buf_size (1441792 bytes): DIV_ROUND_UP(1441792, 4080). */
const EXPANDED_PAGES = 354;
const UNEXPANDED = '7 (expanded: 1408)\n';
const UNEXPANDED_TOTAL = '14 (expanded: 2816)\n';

interface M { b: Booted; tr: TraceArray; fs: Tracefs }

/** A 2-CPU machine whose top-level array is as Linux boots it without ftrace= (minimal, unexpanded). */
function setup(minimal = true): M {
  const b = boot(image, 'vmlinux', { cpus: 2, seed: 1 });
  const ft = b.ftrace!;
  const tr = new TraceArray(b.kernel, ft.core, ft.arch, { minimal });
  const ctx: TracefsContext = { b, run: (n) => b.kernel.run(b.kernel.steps + n) };
  return { b, tr, fs: buildTracefs(ctx, tr) };
}

function read(m: M, path: string): string {
  const r = m.fs.read(path);
  if (typeof r === 'number') throw new Error(`read ${path}: ${r}`);
  return r;
}

function expectUnexpanded(m: M): void {
  expect(read(m, 'buffer_size_kb')).toBe(UNEXPANDED);
  expect(read(m, 'buffer_total_size_kb')).toBe(UNEXPANDED_TOTAL);
  expect(m.tr.ringBufferExpanded).toBe(false);
  for (let c = 0; c < 2; c++) expect(m.tr.buffer.storageBytes(c)).toBe(2 * PAGE_SIZE);
}

function expectExpanded(m: M): void {
  expect(read(m, 'buffer_size_kb')).toBe('1408\n');
  expect(read(m, 'buffer_total_size_kb')).toBe('2816\n');
  expect(m.tr.ringBufferExpanded).toBe(true);
  for (let c = 0; c < 2; c++) {
    expect(m.tr.buffer.nrPages(c)).toBe(EXPANDED_PAGES);
    expect(m.tr.buffer.storageBytes(c)).toBe(EXPANDED_PAGES * PAGE_SIZE);
  }
}

describe('the boot buffer', () => {
  it('holds 2 pages per CPU; buffer_size_kb reads `7 (expanded: 1408)`, the per-CPU file only `7`, the total `14 (expanded: 2816)`', () => {
    const m = setup();
    expect(MINIMAL_BUFFER_KB).toBe(7);
    expectUnexpanded(m);
    for (let c = 0; c < 2; c++) {
      expect(read(m, `per_cpu/cpu${c}/buffer_size_kb`)).toBe('7\n');
      expect(m.tr.buffer.nrPages(c)).toBe(2);
    }
  });

  it('an instance is made expanded at trace_buf_size and leaves the top level unexpanded; an expanded array reads no note (control)', () => {
    const m = setup();
    expect((m.fs.lookup('instances') as DirNode).mkdir!('foo')).toBe(0);
    expect(read(m, 'instances/foo/buffer_size_kb')).toBe('1408\n');
    expect(read(m, 'instances/foo/buffer_total_size_kb')).toBe('2816\n');
    expect(m.fs.write('instances/foo/current_tracer', 'function')).toBe(0);
    expect(m.fs.write('instances/foo/events/sched/sched_switch/enable', '1')).toBe(0);
    expectUnexpanded(m);
    const control = setup(false);
    expectExpanded(control);
  });

  it('`ftsim shell` boots its top level unexpanded; `ftsim run --tracer` (ftrace= on the command line) allocates it expanded', () => {
    const { top } = bootShellMachine({ image, file: 'vmlinux', cpus: 2, seed: 1, modules: [] }, () => {});
    expect(top.ringBufferExpanded).toBe(false);
    expect(top.buffer.sizeKb(0)).toBe(7);
    const b = boot(image, 'vmlinux', { cpus: 2, seed: 1 });
    const tr = startBootTracing(b.kernel, b.ftrace!.core, b.ftrace!.arch, { tracer: 'function' });
    expect(tr.ringBufferExpanded).toBe(true);
    expect(tr.buffer.nrPages(0)).toBe(EXPANDED_PAGES);
  });
});

describe('paths that do not expand (each a negative control for the next block)', () => {
  it('reads of every buffer file, tracing_on, trace_marker, `echo > trace`, trace_options, tracing_cpumask, set_ftrace_filter, triggers, filters, an empty set_event write, bad event enable values', () => {
    const m = setup();
    for (const p of ['buffer_size_kb', 'buffer_total_size_kb', 'per_cpu/cpu1/buffer_size_kb', 'trace', 'current_tracer',
      'set_event', 'snapshot', 'events/enable', 'events/sched/sched_switch/enable', 'per_cpu/cpu0/stats']) read(m, p);
    const ok: [string, string][] = [
      ['tracing_on', '0'], ['tracing_on', '1'], ['trace_marker', 'hello'], ['trace', ''], ['trace_options', 'nosym-offset'],
      ['tracing_cpumask', '1'], ['tracing_cpumask', '3'], ['set_ftrace_filter', 'schedule'],
      ['events/sched/sched_switch/trigger', 'traceoff'], ['events/sched/sched_switch/filter', 'prev_pid == 1'],
      ['set_event', ''],
    ];
    for (const [p, t] of ok) expect(m.fs.write(p, t), p).toBe(0);
    // event_enable_write: a bad number or a value other than 0/1 is refused before tracing_update_buffers
    expect(m.fs.write('events/sched/sched_switch/enable', '2')).toBe(-EINVAL);
    expect(m.fs.write('events/sched/sched_switch/enable', 'x')).toBe(-EINVAL);
    // system_enable_write: kstrtoul fails first
    expect(m.fs.write('events/enable', 'x')).toBe(-EINVAL);
    expect(m.fs.write('events/sched/enable', 'x')).toBe(-EINVAL);
    // buffer_size_kb: 0 and junk are refused before any resize
    expect(m.fs.write('buffer_size_kb', '0')).toBe(-EINVAL);
    expect(m.fs.write('per_cpu/cpu0/buffer_size_kb', 'abc')).toBe(-EINVAL);
    expectUnexpanded(m);
  });
});

describe('paths that expand to trace_buf_size (tracing_update_buffers and tracing_set_tracer)', () => {
  const cases: [string, string, string, number][] = [
    ['current_tracer: a tracer', 'current_tracer', 'function', 0],
    ['current_tracer: nop, the tracer already set', 'current_tracer', 'nop', 0],
    ['current_tracer: an unknown name (expands, then -EINVAL)', 'current_tracer', 'nosuch', -EINVAL],
    ['an event enable, 1', 'events/sched/sched_switch/enable', '1', 0],
    ['an event enable, 0', 'events/sched/sched_switch/enable', '0', 0],
    ['events/enable', 'events/enable', '0', 0],
    ['a system enable with 2 (expands, then -EINVAL)', 'events/sched/enable', '2', -EINVAL],
    ['set_event', 'set_event', 'sched:sched_switch', 0],
    ['set_event with only whitespace', 'set_event', ' ', 0],
    ['set_event with an unknown event (expands, then -EINVAL)', 'set_event', 'nosuch:event', -EINVAL],
    ['snapshot: 1 allocates at the expanded size', 'snapshot', '1', 0],
    ['snapshot: junk (expands before parsing, then -EINVAL)', 'snapshot', 'junk', -EINVAL],
    ['set_event_pid', 'set_event_pid', '1', 0],
    ['set_event_notrace_pid with a bad pid (expands, then -EINVAL)', 'set_event_notrace_pid', 'x', -EINVAL],
  ];
  for (const [name, path, t, want] of cases) {
    it(name, () => {
      const m = setup();
      expect(m.fs.write(path, t)).toBe(want);
      expectExpanded(m);
      if (path === 'snapshot' && want === 0) expect(controlState(m.tr).snapshot!.nrPages(1)).toBe(EXPANDED_PAGES);
      // a second use changes nothing: the array is expanded for good
      expect(m.fs.write('buffer_size_kb', '100')).toBe(0);
      expect(m.fs.write('events/sched/enable', '1')).toBe(0);
      expect(read(m, 'buffer_size_kb')).toBe('100\n');
    });
  }
});

describe('resizes mark the array expanded at the size written', () => {
  it('buffer_size_kb: the size asked for, no note; per_cpu: that CPU only, the top reads X, the total no note', () => {
    const m = setup();
    expect(m.fs.write('buffer_size_kb', '100')).toBe(0);
    expect(read(m, 'buffer_size_kb')).toBe('100\n');
    expect(read(m, 'buffer_total_size_kb')).toBe('200\n');
    expect(m.tr.buffer.nrPages(0)).toBe(Math.ceil((100 * 1024) / 4080));
    // a later tracer does not grow it to trace_buf_size
    expect(m.fs.write('current_tracer', 'function')).toBe(0);
    expect(read(m, 'buffer_size_kb')).toBe('100\n');

    const p = setup();
    expect(p.fs.write('per_cpu/cpu1/buffer_size_kb', '100')).toBe(0);
    expect(read(p, 'buffer_size_kb')).toBe('X\n');
    expect(read(p, 'per_cpu/cpu0/buffer_size_kb')).toBe('7\n');
    expect(read(p, 'buffer_total_size_kb')).toBe('107\n');
    expect(p.tr.buffer.storageBytes(0)).toBe(2 * PAGE_SIZE);
    expect(p.fs.write('events/sched/sched_switch/enable', '1')).toBe(0);
    expect(read(p, 'buffer_size_kb')).toBe('X\n');
  });

  it('7 written to one CPU is 7168 bytes against the boot buffer\'s 8160: the top reads X (the kernel compares bytes)', () => {
    const m = setup();
    expect(m.fs.write('per_cpu/cpu1/buffer_size_kb', '7')).toBe(0);
    expect(read(m, 'buffer_size_kb')).toBe('X\n');
    expect(read(m, 'buffer_total_size_kb')).toBe('14\n');
    // control: 7 on every CPU is the same everywhere
    expect(m.fs.write('buffer_size_kb', '7')).toBe(0);
    expect(read(m, 'buffer_size_kb')).toBe('7\n');
  });

  it('free_buffer shrinks to 0 and expands; a size too large is -ENOMEM, expands, and keeps the sizes', () => {
    const m = setup();
    expect(m.fs.write('free_buffer', '1')).toBe(0); // the release shrinks it
    expect(read(m, 'buffer_size_kb')).toBe('0\n');
    expect(read(m, 'buffer_total_size_kb')).toBe('0\n');
    const n = setup();
    expect(n.fs.write('buffer_size_kb', String(2 ** 30))).toBe(-ENOMEM);
    expect(read(n, 'buffer_size_kb')).toBe('7\n');
    expect(read(n, 'buffer_total_size_kb')).toBe('14\n');
    expect(n.tr.buffer.storageBytes(0)).toBe(2 * PAGE_SIZE);
  });
});

describe('the events of the boot buffer', () => {
  const MARKERS = 300;
  const write = (m: M): void => {
    for (let i = 0; i < MARKERS; i++) expect(m.fs.write('trace_marker', `marker ${String(i).padStart(3, '0')} ${'x'.repeat(80)}`)).toBe(0);
  };

  it('the 2 pages hold only the newest markers (older ones overrun); the expanded buffer holds them all (control)', () => {
    const m = setup();
    write(m);
    const { entries, written } = m.tr.buffer.totalEntries();
    expect(written).toBe(MARKERS);
    expect(entries).toBeGreaterThan(0);
    expect(entries).toBeLessThan(MARKERS / 4);
    expect(read(m, 'trace')).toContain(`# entries-in-buffer/entries-written: ${entries}/${MARKERS}`);
    const c = setup(false);
    write(c);
    expect(c.tr.buffer.totalEntries()).toEqual({ entries: MARKERS, written: MARKERS });
  });

  it('an event recorded before the expansion stays readable after it (ring_buffer_resize keeps the pages), and the buffer then holds more', () => {
    const m = setup();
    expect(m.fs.write('trace_marker', 'before expansion')).toBe(0);
    expect(m.fs.write('events/sched/sched_switch/enable', '1')).toBe(0);
    expectExpanded(m);
    const t = read(m, 'trace');
    expect(t).toContain('tracing_mark_write: before expansion');
    expect(t).toContain('# entries-in-buffer/entries-written: 1/1');
    write(m);
    expect(m.tr.buffer.totalEntries()).toEqual({ entries: MARKERS + 1, written: MARKERS + 1 });
    // a tracer switch, by contrast, clears the buffer (tracer_init's tracing_reset_online_cpus)
    expect(m.fs.write('current_tracer', 'function')).toBe(0);
    expect(read(m, 'trace')).not.toContain('before expansion');
  });
});
