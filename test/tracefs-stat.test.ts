// tracefs-stat.test.ts — the function profiler (function_profile_enabled, trace_stat/function<cpu>) and the stack tracer (stack_trace, stack_max_size, stack_trace_filter, ftsim/stack_tracer_enabled) driven through tracefs on the booted bundled kernel, against the kernel's formats and errnos.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, type Booted } from '../src/runner.js';
import { TraceArray } from '../src/trace/trace_functions.js';
import { TRACE_FN } from '../src/trace/ring_buffer.js';
import { buildTracefs, runKernelCall, type TracefsContext } from '../src/trace/tracefs/index.js';
import { EINVAL, ENODEV, O_WRONLY_TRUNC, type Tracefs } from '../src/trace/tracefs/fs.js';
import { statStateOf } from '../src/trace/tracefs/stat.js';
import { ERANGE } from '../src/trace/tracefs/fs.js';
import { FUNCTION_STAT_HEADER, functionStatLine } from '../src/trace/ftrace_profile.js';
import { THREAD_SIZE } from '../src/kernel/layout.js';
import { numToAddr } from '../src/machine/memory.js';
import { runUntilSmp } from './helpers/live.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

interface Setup { b: Booted; fs: Tracefs; tr: TraceArray; ctx: TracefsContext }

/** A 1-CPU machine (deterministic), run past the start of its workload, with its tracefs. */
function setup(opts: { cpus?: number; warm?: number; sizeKb?: number } = {}): Setup {
  const b = boot(image, 'vmlinux', { cpus: opts.cpus ?? 1, seed: 1 });
  const ctx: TracefsContext = { b, run: (n) => b.kernel.run(b.kernel.steps + n) };
  const tr = new TraceArray(b.kernel, b.ftrace!.core, b.ftrace!.arch, { sizeKb: opts.sizeKb });
  const fs = buildTracefs(ctx, tr);
  if (opts.warm !== 0) ctx.run(opts.warm ?? 2_000_000);
  return { b, fs, tr, ctx };
}

function read(fs: Tracefs, path: string): string {
  const r = fs.read(path);
  if (typeof r === 'number') throw new Error(`read ${path}: ${r}`);
  return r;
}

interface ProfileRow { name: string; hit: number; time: number; avg: number; s2: number; line: string }

/** Parse trace_stat/function<cpu> after its two header lines; every row must have the kernel's layout. */
function profileRows(text: string): ProfileRow[] {
  expect(text.startsWith(FUNCTION_STAT_HEADER)).toBe(true);
  const rows: ProfileRow[] = [];
  for (const line of text.slice(FUNCTION_STAT_HEADER.length).split('\n').filter((l) => l !== '')) {
    // `  %-30.30s  %10lu    ` then three trace_print_graph_duration fields separated by 4 spaces
    const m = /^ {2}(.{30}) {2}([ \d]{10}) {4}(\d+(?:\.\d+)?) us +(\d+(?:\.\d+)?) us +(\d+(?:\.\d+)?) us +$/.exec(line);
    expect(m, line).not.toBeNull();
    rows.push({ name: m![1].trimEnd(), hit: Number(m![2]), time: Number(m![3]), avg: Number(m![4]), s2: Number(m![5]), line });
  }
  return rows;
}

/** Function-tracer events per function name in the buffer. */
function functionCounts(s: Setup): Map<string, number> {
  const counts = new Map<string, number>();
  const it = s.tr.buffer.iterator();
  for (let e = it.next(); e !== undefined; e = it.next()) {
    if (e.type !== TRACE_FN) continue;
    const name = s.b.symbols.nearest(numToAddr(e.ip))!.name;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

describe('function_profile_enabled and trace_stat/function<cpu>', () => {
  it('before any profiling: reads 0, one function<cpu> file per CPU holding only the kernel header', () => {
    const s = setup({ cpus: 2, warm: 0 });
    expect(read(s.fs, 'function_profile_enabled')).toBe('0\n');
    const dir = s.fs.lookup('trace_stat');
    expect(typeof dir !== 'number' && dir.kind === 'dir' ? [...dir.entries()].map(([n]) => n) : dir).toEqual(['function0', 'function1']);
    expect(read(s.fs, 'trace_stat/function1')).toBe(
      '  Function                               Hit    Time            Avg             s^2\n' +
      '  --------                               ---    ----            ---             ---\n');
    expect(s.fs.write('trace_stat/function0', '1')).toBe(-EINVAL);
  });

  it('bad values are -EINVAL / -ERANGE and change nothing; 1 starts, 0 stops (a negative control for each)', () => {
    const s = setup();
    const core = s.b.ftrace!.core;
    for (const bad of ['abc', '\n', '-1', '1 1', '0x1']) {
      expect(s.fs.write('function_profile_enabled', bad), JSON.stringify(bad)).toBe(-EINVAL);
    }
    expect(s.fs.write('function_profile_enabled', '99999999999999999999999')).toBe(-ERANGE);
    expect(read(s.fs, 'function_profile_enabled')).toBe('0\n');
    expect(core.graphCallerEnabled).toBe(false);
    expect(s.fs.write('function_profile_enabled', '7\n')).toBe(0); // any nonzero value is 1
    expect(read(s.fs, 'function_profile_enabled')).toBe('1\n');
    expect(core.graphCallerEnabled).toBe(true);
    expect(s.fs.write('function_profile_enabled', '1')).toBe(0); // no change
    expect(s.fs.write('function_profile_enabled', '0')).toBe(0);
    expect(read(s.fs, 'function_profile_enabled')).toBe('0\n');
    expect(core.graphCallerEnabled).toBe(false);
  });

  it('hits equal the function tracer\'s events for the same functions over the same window; a function never called has no row', () => {
    // both start before the first instruction (the writes return with no guest step run), so both count
    // from the same instant; the profiler stops counting when the 0 is written, before the machine steps
    const s = setup({ sizeKb: 1 << 15, warm: 0 });
    expect(runKernelCall(s.ctx, s.tr.setTracer('function'))).toBe(0);
    expect(s.fs.write('function_profile_enabled', '1')).toBe(0);
    expect(s.b.kernel.cpus[0].retired).toBe(0);
    s.ctx.run(1_500_000);
    const counts = functionCounts(s);
    const text = read(s.fs, 'trace_stat/function0');
    expect(s.fs.write('function_profile_enabled', '0')).toBe(0);
    expect(s.tr.buffer.stats(0).overrun).toBe(0);
    const rows = profileRows(text);
    expect(rows.length).toBeGreaterThan(20);
    const hits = new Map(rows.map((r) => [r.name, r.hit]));
    expect(hits).toEqual(counts);
    for (const f of ['do_syscall_64', 'do_sys_open', 'link_path_walk']) expect(hits.get(f)).toBeGreaterThan(0);
    // negative control: a traceable function that ran nowhere in the window has no row
    const never = [...s.b.ftrace!.core.allRecords()].map((r) => r.func.name).find((n) => !counts.has(n))!;
    expect(never).toBeDefined();
    expect(text).not.toContain(`  ${never} `);
  });

  it('rows sorted by total time, avg = time / hit, frozen once disabled, reset when enabled again', () => {
    const s = setup();
    expect(s.fs.write('function_profile_enabled', '1')).toBe(0);
    s.ctx.run(1_000_000);
    const live1 = read(s.fs, 'trace_stat/function0');
    s.ctx.run(200_000);
    const live2 = read(s.fs, 'trace_stat/function0');
    expect(live2).not.toBe(live1); // it moves while enabled
    expect(s.fs.write('function_profile_enabled', '0')).toBe(0);
    const frozen = read(s.fs, 'trace_stat/function0');
    s.ctx.run(300_000);
    expect(read(s.fs, 'trace_stat/function0')).toBe(frozen);
    const rows = profileRows(frozen);
    for (let i = 1; i < rows.length; i++) expect(rows[i].time, rows[i].line).toBeLessThanOrEqual(rows[i - 1].time);
    for (const r of rows) {
      expect(Math.abs(r.avg - r.time / r.hit), r.line).toBeLessThanOrEqual(0.01 + (r.time / r.hit) * 1e-5);
      if (r.hit === 1) expect(r.s2, r.line).toBe(0);
    }
    // each line is function_stat_show of the record it stands for, in the records' sorted order
    const p = statStateOf(s.b)!.profiler;
    expect(p.sorted(0).map((rec) => functionStatLine(rec, s.b.symbols.nearest(numToAddr(rec.ip))!.name))).toEqual(rows.map((r) => r.line + '\n'));
    const top = rows[0];
    expect(top.time).toBeGreaterThan(0);
    // enabling again starts from zero: the earlier hits are gone
    expect(s.fs.write('function_profile_enabled', '1')).toBe(0);
    const again = profileRows(read(s.fs, 'trace_stat/function0'));
    const total = (rs: ProfileRow[]): number => rs.reduce((n, r) => n + r.hit, 0);
    expect(total(again)).toBeLessThan(total(rows) / 4);
    expect(s.fs.write('function_profile_enabled', '0')).toBe(0);
  });

  it('per CPU: each CPU counts the calls it ran in its own function<cpu>', () => {
    const s = setup({ cpus: 2, warm: 0 });
    expect(runUntilSmp(s.b)).toBeNull();
    expect(s.fs.write('function_profile_enabled', '1')).toBe(0);
    s.ctx.run(500_000);
    expect(s.fs.write('function_profile_enabled', '0')).toBe(0);
    const p = statStateOf(s.b)!.profiler;
    for (const cpu of [0, 1]) {
      const rows = profileRows(read(s.fs, `trace_stat/function${cpu}`));
      expect(rows.length, `cpu ${cpu}`).toBeGreaterThan(5);
      expect(rows.map((r) => r.hit)).toEqual(p.sorted(cpu).map((r) => r.counter));
    }
    expect(read(s.fs, 'trace_stat/function0')).not.toBe(read(s.fs, 'trace_stat/function1'));
  });

  it('the profiler and the function_graph tracer run together (several fgraph users); either stopping leaves the other running', () => {
    const s = setup({ warm: 500_000 });
    expect(runKernelCall(s.ctx, s.tr.setTracer('function_graph'))).toBe(0);
    expect(s.fs.write('function_profile_enabled', '1')).toBe(0);
    expect(read(s.fs, 'function_profile_enabled')).toBe('1\n');
    s.ctx.run(200_000);
    expect(runKernelCall(s.ctx, s.tr.setTracer('nop'))).toBe(0);
    const rows = profileRows(read(s.fs, 'trace_stat/function0'));
    s.ctx.run(200_000);
    expect(s.fs.write('function_profile_enabled', '0')).toBe(0);
    // the profiler kept counting after the tracer left
    const after = profileRows(read(s.fs, 'trace_stat/function0'));
    expect(after.reduce((n, r) => n + r.hit, 0)).toBeGreaterThan(rows.reduce((n, r) => n + r.hit, 0));
    expect(s.b.ftrace!.arch.fgraph(s.b.ftrace!.core).users).toBe(0);
  });
});

interface StackRow { index: number; depth: number; size: number; location: string }

/** Parse stack_trace: the kernel's two header lines, then `%3ld) %8d   %5d   %pS` rows. */
function stackRows(text: string): StackRow[] {
  const lines = text.split('\n');
  const h = /^ {8}Depth {4}Size {3}Location {4}\((\d+) entries\)$/.exec(lines[0]);
  expect(h, lines[0]).not.toBeNull();
  expect(lines[1]).toBe('        -----    ----   --------');
  const rows: StackRow[] = [];
  for (const line of lines.slice(2).filter((l) => l !== '' && !l.startsWith('#'))) {
    const m = /^([ \d]{3}\d*)\) ([ \d]{8}) {3}([ \d]{5}) {3}(\S.*)$/.exec(line);
    expect(m, line).not.toBeNull();
    rows.push({ index: Number(m![1]), depth: Number(m![2]), size: Number(m![3]), location: m![4] });
  }
  expect(rows.length).toBe(Number(h![1]));
  return rows;
}

const STACK_DISABLED =
  '        Depth    Size   Location    (0 entries)\n' +
  '        -----    ----   --------\n' +
  '#\n' +
  '#  Stack tracer disabled\n' +
  '#\n' +
  "# To enable the stack tracer, either add 'stacktrace' to the\n" +
  '# kernel command line\n' +
  "# or 'echo 1 > /proc/sys/kernel/stack_tracer_enabled'\n" +
  '#\n';

describe('the stack tracer', () => {
  it('off: the kernel\'s disabled text, max 0; the sysctl takes ints only', () => {
    const s = setup({ warm: 0 });
    expect(read(s.fs, 'stack_trace')).toBe(STACK_DISABLED);
    expect(read(s.fs, 'stack_max_size')).toBe('0\n');
    expect(read(s.fs, 'ftsim/stack_tracer_enabled')).toBe('0\n');
    expect(read(s.fs, 'stack_trace_filter')).toBe('#### all functions enabled ####\n');
    for (const bad of ['\n', 'x', '1x', '99999999999']) expect(s.fs.write('ftsim/stack_tracer_enabled', bad), bad).toBe(-EINVAL);
    expect(read(s.fs, 'ftsim/stack_tracer_enabled')).toBe('0\n');
    expect(s.fs.write('stack_trace', '1')).toBe(-EINVAL);
    expect(s.b.ftrace!.core.opsList).toHaveLength(0);
  });

  it('on: the deepest stack at a traced entry, <= THREAD_SIZE, with the kernel\'s table; 0 resets the max; off keeps it', () => {
    const s = setup();
    const st = statStateOf(s.b)!.stack;
    expect(s.fs.write('ftsim/stack_tracer_enabled', '1')).toBe(0);
    expect(s.b.ftrace!.core.opsList.map((o) => o.name)).toEqual(['stack_trace_call']);
    s.ctx.run(1_000_000);
    const max = Number(read(s.fs, 'stack_max_size'));
    expect(max).toBeGreaterThan(64);
    expect(max).toBeLessThanOrEqual(THREAD_SIZE);
    const text = read(s.fs, 'stack_trace');
    expect(text).not.toContain('Stack tracer disabled');
    const rows = stackRows(text);
    expect(rows.length).toBeGreaterThan(3);
    expect(rows[0].depth).toBe(max);
    // row 0: the traced function itself (the return address of its call __fentry__), row 1: its caller,
    // found right above it (8 bytes: the return address is all the traced function had pushed)
    expect(rows[0].location).toMatch(/^[a-z_0-9]+\+0x5\/0x[0-9a-f]+$/);
    expect(rows[0].size).toBe(8);
    expect(rows[1].depth).toBe(max - 8);
    rows.forEach((r, i) => {
      expect(r.index).toBe(i);
      if (i + 1 < rows.length) {
        expect(r.depth).toBeGreaterThan(rows[i + 1].depth);
        expect(r.size).toBe(r.depth - rows[i + 1].depth);
      } else {
        expect(r.size).toBe(r.depth);
      }
    });
    expect(st.stats.calls).toBeGreaterThan(1000);
    expect(st.stats.noSlot).toBe(0); // every call's return slot found above the trampoline's frame
    // reset: 0 forgets the max (the table stays until a deeper stack replaces it), a run finds one again
    expect(s.fs.write('stack_max_size', '0')).toBe(0);
    expect(read(s.fs, 'stack_max_size')).toBe('0\n');
    expect(stackRows(read(s.fs, 'stack_trace'))).toEqual(rows);
    s.ctx.run(300_000);
    const again = Number(read(s.fs, 'stack_max_size'));
    expect(again).toBeGreaterThan(0);
    expect(again).toBeLessThanOrEqual(THREAD_SIZE);
    // any number sets it; non-numbers are -EINVAL and change nothing
    expect(s.fs.write('stack_max_size', '20000\n')).toBe(0);
    expect(read(s.fs, 'stack_max_size')).toBe('20000\n');
    for (const bad of ['abc', '-5', '\n']) expect(s.fs.write('stack_max_size', bad), bad).toBe(-EINVAL);
    expect(read(s.fs, 'stack_max_size')).toBe('20000\n');
    s.ctx.run(200_000);
    expect(read(s.fs, 'stack_max_size')).toBe('20000\n'); // no stack is that deep
    // off: the ops goes, the numbers stay (and the disabled text does not show: a max is recorded)
    expect(s.fs.write('ftsim/stack_tracer_enabled', '0')).toBe(0);
    expect(s.b.ftrace!.core.opsList).toHaveLength(0);
    const calls = st.stats.calls;
    s.ctx.run(200_000);
    expect(st.stats.calls).toBe(calls);
    expect(read(s.fs, 'stack_trace')).not.toContain('disabled');
    expect(s.fs.write('ftsim/stack_tracer_enabled', '5')).toBe(0); // proc_dointvec keeps the value; nonzero is on
    expect(read(s.fs, 'ftsim/stack_tracer_enabled')).toBe('5\n');
    expect(s.b.ftrace!.core.opsList).toHaveLength(1);
  });

  it('under function_graph the trace shows the original return addresses, not return_to_handler', () => {
    const s = setup({ warm: 500_000 });
    const st = statStateOf(s.b)!.stack;
    expect(runKernelCall(s.ctx, s.tr.setTracer('function_graph'))).toBe(0);
    expect(s.fs.write('ftsim/stack_tracer_enabled', '1')).toBe(0);
    expect(s.fs.write('stack_max_size', '0')).toBe(0);
    s.ctx.run(600_000);
    const rows = stackRows(read(s.fs, 'stack_trace'));
    expect(rows.length).toBeGreaterThan(3);
    expect(st.stats.graphRets).toBeGreaterThan(0); // the stack did hold hooked returns
    for (const r of rows) expect(r.location).not.toContain('return_to_handler');
  });

  it('stack_trace_filter restricts the measured functions; a filtered function never called records nothing', () => {
    const s = setup({ warm: 0 }); // everything set before the first instruction: the counts start together
    const core = s.b.ftrace!.core;
    const st = statStateOf(s.b)!.stack;
    // set_ftrace_filter semantics (writes as echo makes them, ending in a newline): > replaces, >> appends,
    // !f removes, an unknown name is -EINVAL
    expect(s.fs.write('stack_trace_filter', 'do_sys_open\n')).toBe(0);
    expect(read(s.fs, 'stack_trace_filter')).toBe('do_sys_open\n');
    expect(s.fs.write('stack_trace_filter', 'vfs_read\n', { append: true })).toBe(0);
    expect(read(s.fs, 'stack_trace_filter').split('\n').filter(Boolean).sort()).toEqual(['do_sys_open', 'vfs_read']);
    expect(s.fs.write('stack_trace_filter', '!vfs_read\n', { append: true })).toBe(0);
    expect(read(s.fs, 'stack_trace_filter')).toBe('do_sys_open\n');
    expect(s.fs.write('stack_trace_filter', 'vfs_re*\n', { append: true })).toBe(0); // globs
    expect(read(s.fs, 'stack_trace_filter')).toContain('vfs_read\n');
    expect(s.fs.write('stack_trace_filter', 'no_such_function_xyz\n', { append: true })).toBe(-EINVAL);
    expect(read(s.fs, 'stack_trace_filter')).toContain('do_sys_open\n'); // appending: nothing lost
    // as in the kernel, the O_TRUNC open cleared the filter and the failed write cannot undo that
    expect(s.fs.write('stack_trace_filter', 'no_such_function_xyz\n')).toBe(-EINVAL);
    expect(read(s.fs, 'stack_trace_filter')).toBe('#### all functions enabled ####\n');
    // the words before a bad one stay
    expect(s.fs.write('stack_trace_filter', 'vfs_read no_such_function_xyz\n')).toBe(-EINVAL);
    expect(read(s.fs, 'stack_trace_filter')).toBe('vfs_read\n');
    // an unfinished word (echo -n) is matched at release, where its error is not reported
    expect(s.fs.write('stack_trace_filter', 'no_such_function_xyz')).toBe(0);
    expect(read(s.fs, 'stack_trace_filter')).toBe('#### all functions enabled ####\n');
    // one byte per write (dd bs=1): the parser carries the word across writes
    const f = s.fs.open('stack_trace_filter', O_WRONLY_TRUNC);
    if (typeof f === 'number') throw new Error(`open: ${f}`);
    for (const ch of 'do_sys_open\n') expect(f.write!(new TextEncoder().encode(ch))).toBe(1);
    expect(f.release!()).toBe(0);
    expect(read(s.fs, 'stack_trace_filter')).toBe('do_sys_open\n');

    expect(s.fs.write('function_profile_enabled', '1')).toBe(0);
    expect(s.fs.write('ftsim/stack_tracer_enabled', '1')).toBe(0);
    expect(s.b.kernel.cpus[0].retired).toBe(0);
    s.ctx.run(1_500_000);
    const rows = stackRows(read(s.fs, 'stack_trace'));
    expect(rows[0].location).toMatch(/^do_sys_open\+0x5\//);
    const measured = st.stats.calls;
    const hits = profileRows(read(s.fs, 'trace_stat/function0')).find((r) => r.name === 'do_sys_open')!.hit;
    expect(measured).toBe(hits); // every do_sys_open entry, and nothing else
    expect(st.stats.noSlot).toBe(0); // through the shared caller and the list function too (two ops)
    // live change of the filter on a registered ops: to a function that never runs
    const never = 'slabinfo_show';
    expect([...core.allRecords()].some((r) => r.func.name === never)).toBe(true);
    expect(s.fs.write('stack_trace_filter', `${never}\n`)).toBe(0);
    expect(s.fs.write('stack_max_size', '0')).toBe(0);
    expect(s.fs.write('function_profile_enabled', '0')).toBe(0);
    expect(s.fs.write('function_profile_enabled', '1')).toBe(0);
    const before = st.stats.calls;
    s.ctx.run(600_000);
    expect(profileRows(read(s.fs, 'trace_stat/function0')).some((r) => r.name === never)).toBe(false);
    expect(st.stats.calls).toBe(before);
    expect(read(s.fs, 'stack_max_size')).toBe('0\n');
    // negative control: the filter cleared (echo > file), every function is measured again
    expect(s.fs.write('stack_trace_filter', '\n')).toBe(0);
    expect(read(s.fs, 'stack_trace_filter')).toBe('#### all functions enabled ####\n');
    s.ctx.run(300_000);
    expect(st.stats.calls).toBeGreaterThan(before + 1000);
    expect(Number(read(s.fs, 'stack_max_size'))).toBeGreaterThan(0);
  });

  it('with ftrace disabled (after an ftrace bug): -ENODEV as the kernel\'s handlers give it', () => {
    const s = setup({ warm: 0 });
    s.b.ftrace!.core.ftraceKill('test');
    expect(s.fs.write('function_profile_enabled', '1')).toBe(-ENODEV);
    expect(read(s.fs, 'function_profile_enabled')).toBe('0\n');
    expect(s.fs.read('stack_trace_filter')).toBe(-ENODEV);
    expect(s.fs.write('stack_trace_filter', 'do_sys_open\n')).toBe(-ENODEV);
    // the sysctl stores the value and, as stack_trace_sysctl, does not report the failed registration
    expect(s.fs.write('ftsim/stack_tracer_enabled', '1')).toBe(0);
    expect(read(s.fs, 'ftsim/stack_tracer_enabled')).toBe('1\n');
    expect(s.b.ftrace!.core.opsList).toHaveLength(0);
  });
});
