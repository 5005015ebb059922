// ftrace-fgraph-multi.test.ts — the fgraph core with several users (kernel/trace/fgraph.c fgraph_array): the function profiler and function_graph tracers (top and an instance) at once on a booted 4-CPU bundled kernel, each seeing what its own filters select (set_ftrace_filter per trace array, the global one for the profiler; the graph filters); FGRAPH_ARRAY_SIZE; a set_graph_function root in hardirq under nofuncgraph-irqs, unit and end to end.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import { ENOSPC, FGRAPH_ARRAY_SIZE, type FgraphOps } from '../src/ftrace/fgraph.js';
import { EBUSY, type DirNode } from '../src/trace/tracefs/fs.js';
import { runKernelCall } from '../src/trace/tracefs/index.js';
import { TRACE_FLAG_HARDIRQ, TRACE_GRAPH_ENT } from '../src/trace/ring_buffer.js';
import { statStateOf } from '../src/trace/tracefs/stat.js';
import { numToAddr } from '../src/machine/memory.js';
import { withTracefs, readFile, type TracefsMachine } from './helpers/tracefs.js';
import { runUntilSmp } from './helpers/live.js';
import type { FtraceCall } from '../src/ftrace/ftrace.js';
import { FgraphFilter } from '../src/ftrace/fgraph_filter.js';
import { addrToNum } from '../src/machine/memory.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));
const STEPS = 300_000;

function machine(cpus = 4): TracefsMachine {
  const b = boot(image, 'vmlinux', { cpus, seed: 7 });
  expect(runUntilSmp(b)).toBeNull();
  return withTracefs(b);
}

function stats(m: TracefsMachine): string[] {
  return [0, 1, 2, 3].map((c) => readFile(m, `trace_stat/function${c}`));
}

function body(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** Run a kernel call that needs no guest time (a second fgraph user: the hook is already patched in) to its end. */
function drive(call: FtraceCall<number>): number {
  for (let i = 0; i < 1000; i++) {
    const r = call.next();
    if (r.done) return r.value;
  }
  throw new Error('the call waited for the guest');
}

/** Write a file, failing the test on an errno. */
function w(m: TracefsMachine, path: string, value: string): void {
  expect(m.fs.write(path, value), `${path} <- ${value}`).toBe(0);
}

/** Graph entries' function names in a trace array's buffer. */
function graphNames(m: TracefsMachine): string[] {
  const out: string[] = [];
  const it = m.tr.buffer.iterator();
  for (let e = it.next(); e !== undefined; e = it.next()) {
    if (e.type !== TRACE_GRAPH_ENT) continue;
    out.push(m.b.symbols.nearest(numToAddr(e.func))!.name);
  }
  return out;
}

/** The functions a function_graph `trace` text enters (leaves and openers). */
function tracedNames(text: string): Set<string> {
  const out = new Set<string>();
  for (const l of body(text)) {
    const m = /\|\s+([\w.]+)\(\)/.exec(l);
    if (m !== null) out.add(m[1]);
  }
  return out;
}

/** The functions the profiler counted, over all CPUs. */
function profiledNames(m: TracefsMachine): Set<string> {
  return new Set(stats(m).flatMap((t) => t.split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0]).filter((n) => n)));
}

describe('per-user function filters (fgraph_ops.ops: function_graph_enter_regs asks ftrace_ops_test of each user)', () => {
  it('top function_graph filtered to vfs_read, an instance\'s to crc32_le: each trace shows only its own function', () => {
    const m = machine();
    expect((m.fs.lookup('instances') as DirNode).mkdir!('g')).toBe(0);
    w(m, 'set_ftrace_filter', 'vfs_read');
    w(m, 'instances/g/set_ftrace_filter', 'crc32_le');
    w(m, 'current_tracer', 'function_graph');
    w(m, 'instances/g/current_tracer', 'function_graph');
    m.run(STEPS / 2);
    // the union of both filters reaching both users would put both names in both traces
    expect([...tracedNames(readFile(m, 'trace'))]).toEqual(['vfs_read']);
    expect([...tracedNames(readFile(m, 'instances/g/trace'))]).toEqual(['crc32_le']);
    expect(graphNames(m).length).toBeGreaterThan(2);
    expect(body(readFile(m, 'instances/g/trace')).length).toBeGreaterThan(2);
  });

  it('the profiler follows the global filter: with set_ftrace_filter vfs_read it counts only vfs_read, while an unfiltered instance graph sees everything', () => {
    const m = machine();
    expect((m.fs.lookup('instances') as DirNode).mkdir!('g')).toBe(0);
    w(m, 'set_ftrace_filter', 'vfs_read');
    w(m, 'instances/g/current_tracer', 'function_graph');
    w(m, 'function_profile_enabled', '1');
    m.run(STEPS / 2);
    w(m, 'function_profile_enabled', '0');
    expect([...profiledNames(m)]).toEqual(['vfs_read']);
    const inst = tracedNames(readFile(m, 'instances/g/trace'));
    // control: the hook saw many other functions, which the profiler's filter turned away
    expect(inst.size).toBeGreaterThan(10);
    expect(inst.has('vfs_read')).toBe(true);
    expect(inst.has('crc32_le')).toBe(true);
  });

  it('set_ftrace_notrace of the top array keeps crc32_le out of the top graph only; the instance (no filter) traces it', () => {
    const m = machine();
    expect((m.fs.lookup('instances') as DirNode).mkdir!('g')).toBe(0);
    w(m, 'set_ftrace_notrace', 'crc32_le');
    w(m, 'current_tracer', 'function_graph');
    w(m, 'instances/g/current_tracer', 'function_graph');
    m.run(STEPS / 2);
    const top = tracedNames(readFile(m, 'trace'));
    expect(top.size).toBeGreaterThan(10);
    expect(top.has('crc32_le')).toBe(false);
    expect(tracedNames(readFile(m, 'instances/g/trace')).has('crc32_le')).toBe(true);
  });
});

describe('fgraph with several users', () => {
  it('profiler + function_graph on 4 CPUs: trace_stat equals the profiler alone, the trace equals function_graph alone (same seed)', () => {
    // the second user shares the hook already patched in, so the guest runs exactly as with one user;
    // the run alone makes the same (empty) tracer write, so that both runs' kernel-call tasks match
    const profAlone = machine();
    w(profAlone, 'function_profile_enabled', '1');
    profAlone.run(STEPS);
    w(profAlone, 'function_profile_enabled', '0');

    const both = machine();
    w(both, 'function_profile_enabled', '1');
    const s0 = both.b.kernel.steps;
    expect(drive(both.tr.setTracer('function_graph'))).toBe(0);
    expect(both.b.kernel.steps).toBe(s0);
    both.run(STEPS);
    w(both, 'function_profile_enabled', '0');
    const statsBoth = stats(both);
    expect(statsBoth).toEqual(stats(profAlone));
    expect(statsBoth.every((t) => t.split('\n').length > 10)).toBe(true);

    const graphAlone = machine();
    w(graphAlone, 'current_tracer', 'function_graph');
    graphAlone.run(STEPS);
    const both2 = machine();
    w(both2, 'current_tracer', 'function_graph');
    expect(drive(statStateOf(both2.b)!.profiler.setEnabled(true))).toBe(0);
    both2.run(STEPS);
    const graph = body(readFile(both2, 'trace'));
    expect(graph.length).toBeGreaterThan(100);
    expect(graph).toEqual(body(readFile(graphAlone, 'trace')));
    expect(stats(both2).some((t) => t.split('\n').length > 10)).toBe(true);
  });

  it('the graph filters select the tracer\'s calls only: the profiler still counts functions outside the set_graph_function root', () => {
    const m = machine();
    w(m, 'set_graph_function', 'vfs_read');
    w(m, 'current_tracer', 'function_graph');
    w(m, 'function_profile_enabled', '1');
    m.run(STEPS);
    w(m, 'function_profile_enabled', '0');
    const names = new Set(graphNames(m));
    expect(names.has('vfs_read')).toBe(true);
    const profiled = new Set(stats(m).flatMap((t) => t.split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0]).filter((n) => n)));
    const outside = [...profiled].filter((n) => !names.has(n));
    // control: the graph trace is the root's subtree only, so these are functions never called under vfs_read
    expect(outside.length).toBeGreaterThan(10);
    expect(profiled.has('vfs_read')).toBe(true);
  });

  it('top and an instance both on function_graph: the same calls in both buffers; the instance stopping leaves the top tracing', () => {
    const m = machine();
    expect((m.fs.lookup('instances') as DirNode).mkdir!('g')).toBe(0);
    w(m, 'current_tracer', 'function_graph');
    w(m, 'instances/g/current_tracer', 'function_graph');
    expect(readFile(m, 'instances/g/current_tracer')).toBe('function_graph\n');
    m.run(STEPS);
    const top = body(readFile(m, 'trace'));
    const inst = body(readFile(m, 'instances/g/trace'));
    expect(inst.length).toBeGreaterThan(100);
    // the top began first (the instance's tracer write is a kernel call of its own): every line of the
    // instance, durations included, is a line of the top's trace, in the same order
    let at = 0;
    for (const l of inst) {
      at = top.indexOf(l, at);
      expect(at, l).toBeGreaterThanOrEqual(0);
      at++;
    }
    expect(top.length).toBeGreaterThan(inst.length);
    w(m, 'instances/g/current_tracer', 'nop');
    const before = body(readFile(m, 'trace')).length;
    m.run(STEPS / 4);
    expect(body(readFile(m, 'trace')).length).toBeGreaterThan(before);
    expect(m.b.ftrace!.arch.fgraph(m.b.ftrace!.core).users).toBe(1);
  });

  it(`FGRAPH_ARRAY_SIZE (${FGRAPH_ARRAY_SIZE}) users at most: the next gets -ENOSPC, the same ops twice -EBUSY; a freed slot is taken again`, () => {
    const m = machine(1);
    const ctx = { b: m.b, run: (n: number) => m.b.kernel.run(m.b.kernel.steps + n) };
    const ft = m.b.ftrace!;
    const g = ft.arch.fgraph(ft.core);
    const mk = (): FgraphOps => ({ entryfunc: () => false, retfunc: () => {} });
    const all = Array.from({ length: FGRAPH_ARRAY_SIZE }, mk);
    expect(runKernelCall(ctx, g.registerFtraceGraph(all[0]))).toBe(0);
    for (const o of all.slice(1)) expect(drive(g.registerFtraceGraph(o))).toBe(0);
    expect(g.users).toBe(FGRAPH_ARRAY_SIZE);
    expect(drive(g.registerFtraceGraph(mk()))).toBe(-ENOSPC);
    expect(drive(g.registerFtraceGraph(all[3]))).toBe(-EBUSY);
    expect(drive(g.unregisterFtraceGraph(all[3]))).toBe(0);
    expect(drive(g.registerFtraceGraph(mk()))).toBe(0);
    expect(g.array[3]).not.toBe(all[3]);
    const rest = g.array.filter((o): o is FgraphOps => o !== null);
    for (const o of rest.slice(1)) expect(drive(g.unregisterFtraceGraph(o))).toBe(0);
    expect(runKernelCall(ctx, g.unregisterFtraceGraph(rest[0]))).toBe(0);
    expect(g.users).toBe(0);
  });

  it('ftrace_graph_addr: a set_graph_function root entered in hardirq sets TRACE_IRQ_BIT (so nofuncgraph-irqs still traces it), one entered outside clears it', () => {
    const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
    const core = b.ftrace!.core;
    const f = new FgraphFilter(() => core.allRecords());
    expect(f.set('function', 'scheduler_tick')).toBe(0);
    const rec = [...core.allRecords()].find((r) => r.func.name === 'scheduler_tick')!;
    const other = [...core.allRecords()].find((r) => r.func.name === 'vfs_read')!;
    const root = addrToNum(rec.ip);
    const v = { graphDepth: -1, irqBit: false };
    expect(f.ignoreFunc(v, { func: addrToNum(other.ip), depth: 3 }, true)).toBe(true); // not a root: declined
    expect(v.irqBit).toBe(false);
    expect(f.ignoreFunc(v, { func: root, depth: 3 }, true)).toBe(false);
    expect(v).toEqual({ graphDepth: 3, irqBit: true });
    f.addrFinish(v, { func: root, depth: 3 });
    expect(v.graphDepth).toBe(-1);
    expect(f.ignoreFunc(v, { func: root, depth: 1 }, false)).toBe(false);
    expect(v).toEqual({ graphDepth: 1, irqBit: false });
  });

  it('end to end under nofuncgraph-irqs: rcu_sched_clock_irq as the set_graph_function root, entered from the timer interrupt, is traced with its callees in hardirq; with no root (the control) nothing in hardirq is', () => {
    const run = (root: string | null): { hardirqRoots: number; hardirqChildren: number; all: number } => {
      const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
      const m = withTracefs(b);
      m.run(300_000);
      if (root !== null) w(m, 'set_graph_function', root);
      w(m, 'current_tracer', 'function_graph');
      w(m, 'trace_options', 'nofuncgraph-irqs');
      w(m, 'trace', '');
      m.run(400_000);
      let hardirqRoots = 0;
      let hardirqChildren = 0;
      let all = 0;
      let rootDepth = -1;
      const it = m.tr.buffer.iterator();
      for (let e = it.next(); e !== undefined; e = it.next()) {
        if (e.type !== TRACE_GRAPH_ENT) continue;
        all++;
        const name = m.b.symbols.nearest(numToAddr(e.func))!.name;
        const irq = (e.flags & TRACE_FLAG_HARDIRQ) !== 0;
        if (name === root) { rootDepth = e.depth; if (irq) hardirqRoots++; }
        else if (irq && e.depth > rootDepth && rootDepth >= 0) hardirqChildren++;
        else if (irq) hardirqChildren += 1000; // a hardirq entry outside any root: must not happen
      }
      return { hardirqRoots, hardirqChildren, all };
    };
    const r = run('rcu_sched_clock_irq');
    expect(r.hardirqRoots).toBeGreaterThan(0);
    expect(r.hardirqChildren).toBeGreaterThan(0);
    expect(r.hardirqChildren).toBeLessThan(1000);
    const none = run(null);
    expect(none.all).toBeGreaterThan(100);
    expect(none.hardirqChildren).toBe(0);
  });
});
