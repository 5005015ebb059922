// The function_graph tracer on the bundled kernel: ftrace_graph_caller and return_to_handler as guest code, the per-task return stack, every entry with its exit, durations that add up, the graph text, live enabling under load, and a negative control for the call/ret monitor.
import { describe, expect, it } from 'vitest';
import { runLive, runFor, runUntilSmp, isProblem } from './helpers/live.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, bootAndRun, type Booted, type RunResult } from '../src/runner.js';
import { startBootTracing, TraceArray } from '../src/trace/trace_functions.js';
import { TRACE_FLAG_NMI, TRACE_GRAPH_ENT, TRACE_GRAPH_RET } from '../src/trace/ring_buffer.js';
import { checkX86Records } from '../src/arch/x86/ftrace.js';

const KERNEL = fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url));
const image = readFileSync(KERNEL);

interface GraphRun { r: RunResult; b: Booted; tr: TraceArray }

function runGraphFromBoot(cpus: number, opts: { nmiRate?: number; maxSteps?: number; tracer?: string; seed?: number } = {}): GraphRun {
  let tr: TraceArray | undefined;
  let b: Booted | undefined;
  const r = bootAndRun(image, 'vmlinux', {
    cpus, seed: opts.seed ?? 1, nmiRate: opts.nmiRate, maxSteps: opts.maxSteps,
    onBoot: (bb) => {
      b = bb;
      tr = startBootTracing(bb.kernel, bb.ftrace!.core, bb.ftrace!.arch, { tracer: opts.tracer ?? 'function_graph', sizeKb: 1 << 16 });
    },
  });
  return { r, b: b!, tr: tr! };
}

/**
 * Invariant 6 over the buffer: per task, every return closes the innermost open entry (same function,
 * same depth), depths are the nesting and never negative, a parent lasts at least as long as its
 * children together; entries still open at the end are exactly what the tasks' return stacks hold.
 */
function checkGraph(g: GraphRun): { problems: string[]; entries: number; returns: number; maxDepth: number; windowHits: number } {
  const problems: string[] = [];
  const open = new Map<number, { func: number; depth: number; ts: number; children: number }[]>();
  let entries = 0, returns = 0, maxDepth = 0, windowHits = 0;
  const it = g.tr.buffer.iterator();
  for (let e = it.next(); e !== undefined; e = it.next()) {
    if (e.type !== TRACE_GRAPH_ENT && e.type !== TRACE_GRAPH_RET) continue;
    let st = open.get(e.pid);
    if (st === undefined) { st = []; open.set(e.pid, st); }
    if (e.type === TRACE_GRAPH_ENT) {
      entries++;
      maxDepth = Math.max(maxDepth, e.depth);
      // an NMI that struck between reserving a return stack slot and filling it nests one deeper than
      // the entries written so far (as in the kernel: the slot is taken before its event is written)
      const below = st.length > 0 ? st[st.length - 1].depth + 1 : 0;
      if (e.depth < 0 || e.depth < below || (e.depth !== below && !(e.flags & TRACE_FLAG_NMI))) {
        problems.push(`pid ${e.pid}: entry at depth ${e.depth} above depth ${below - 1}`);
      }
      if (e.depth !== below) windowHits++;
      st.push({ func: e.func, depth: e.depth, ts: e.ts, children: 0 });
    } else {
      returns++;
      const top = st.pop();
      if (top === undefined) { problems.push(`pid ${e.pid}: return with no open entry (depth would go negative)`); continue; }
      if (top.func !== e.func || top.depth !== e.depth) problems.push(`pid ${e.pid}: return of ${e.func}@${e.depth} closes ${top.func}@${top.depth}`);
      if (e.calltime !== top.ts) problems.push(`pid ${e.pid}: calltime ${e.calltime} != entry ts ${top.ts}`);
      const dur = e.rettime - e.calltime;
      if (dur < top.children) problems.push(`pid ${e.pid}: duration ${dur} < children's ${top.children}`);
      if (st.length > 0) st[st.length - 1].children += dur;
    }
  }
  const ft = g.b.ftrace!;
  const key = ft.arch.fgraph(ft.core).key;
  for (const [pid, st] of open) {
    const task = g.b.kernel.sched.tasks.find((t) => t.pid === pid);
    const held = task ? g.b.kernel.sched.slots.get(task, key).entries.length : 0;
    if (held !== st.length) problems.push(`pid ${pid}: ${st.length} entries without exit, return stack holds ${held}`);
  }
  return { problems, entries, returns, maxDepth, windowHits };
}

describe('function_graph from boot on the bundled kernel', () => {
  it('1 CPU to the end: no monitor fires, every entry has its exit, durations add up, the graph text', () => {
    const g = runGraphFromBoot(1);
    expect(g.r.violation?.summary).toBeUndefined();
    expect(g.r.exitReason).toBe('halted');
    for (let c = 0; c < 1; c++) expect(g.tr.buffer.stats(c).overrun).toBe(0);
    const c = checkGraph(g);
    expect(c.problems.slice(0, 10)).toEqual([]);
    expect(c.entries).toBeGreaterThan(10_000);
    expect(c.returns).toBeGreaterThan(10_000);
    const text = g.tr.traceText();
    expect(text.startsWith('# tracer: function_graph\n')).toBe(true);
    expect(text).toMatch(/^ 0\) {15}\| {2}start_kernel\(\) \{$/m);
    expect(text).toMatch(/^ 0\) +[0-9.]+ us +\| +\w[\w.]*\(\);$/m);
    expect(text).toMatch(/^ 0\) +[0-9.]+ us +\| +\}$/m);
  });

  it('4 CPUs with the timer and NMIs, under a step budget: no monitor fires, entries and exits pair per task, durations add up, NMIs struck inside the push window', () => {
    let inWindow = 0, windowHits = 0;
    // most of these 6M steps are the single-CPU boot phase, where the seed decides nothing: the NMI
    // period is what moves NMIs relative to the push windows
    for (const [seed, nmiRate] of [[1, 50], [2, 100]]) {
      const g = runGraphFromBoot(4, { nmiRate, seed, maxSteps: 6_000_000 });
      expect(g.r.violation?.summary, `seed ${seed}`).toBeUndefined();
      expect(g.r.error).toBeUndefined();
      for (let cpu = 0; cpu < 4; cpu++) expect(g.tr.buffer.stats(cpu).overrun).toBe(0);
      const c = checkGraph(g);
      expect(c.problems.slice(0, 10), `seed ${seed}`).toEqual([]);
      expect(c.entries).toBeGreaterThan(10_000);
      inWindow += g.b.ftrace!.arch.graphStats.inWindow;
      windowHits += c.windowHits;
      // NMI handlers were traced
      const text = g.tr.traceText();
      expect(text).toContain('nmi_handler');
      expect(text).toMatch(/^ [0-3]\) +\| +\w[\w.]*\(\) \{$/m);
    }
    // traced calls in NMI handlers that ran between a push's reserve and fill
    expect(inWindow).toBeGreaterThan(0);
    expect(windowHits).toBeGreaterThan(0);
    console.log(`function_graph, 4 CPUs: ${inWindow} traced NMI calls inside a push window`);
  });

  it('guest instructions per traced call (function_graph vs tracing off, 1 CPU to the end)', () => {
    const off = runGraphFromBoot(1, { tracer: 'nop' });
    const on = runGraphFromBoot(1);
    expect(off.r.exitReason).toBe('halted');
    expect(on.r.exitReason).toBe('halted');
    const calls = on.b.ftrace!.arch.fgraph(on.b.ftrace!.core).stats.entries;
    const per = (on.r.instructions[0] - off.r.instructions[0]) / calls;
    console.log(`function_graph: ${calls} traced calls, ${per.toFixed(1)} guest instructions per traced call (ftrace_caller + ftrace_graph_caller + return_to_handler)`);
    expect(per).toBeGreaterThan(10);
    expect(per).toBeLessThan(200);
  });

  it('negative control: a return address replaced without telling the monitor makes invariant 3 fire', () => {
    let b: Booted | undefined;
    const r = bootAndRun(image, 'vmlinux', {
      cpus: 1, maxSteps: 2_000_000,
      onBoot: (bb) => {
        b = bb;
        bb.ftrace!.arch.graphHidesRedirect = true;
        startBootTracing(bb.kernel, bb.ftrace!.core, bb.ftrace!.arch, { tracer: 'function_graph' });
      },
    });
    expect(b).toBeDefined();
    expect(r.exitReason).toBe('violation');
    expect(r.violation!.invariant).toBe(3);
    expect(r.violation!.summary).toContain('<return_to_handler>');
  });
});

describe('function_graph: the push order', () => {
  it('negative control: filling the return stack slot before reserving it lets an NMI in the window clobber it: return_to_handler jumps to the return address of the NMI and the run stops on a violation or fault (some seed of a few)', () => {
    const fired: string[] = [];
    for (const [seed, nmiRate] of [[1, 20], [2, 50], [3, 100], [4, 35]]) {
      let b: Booted | undefined;
      const r = bootAndRun(image, 'vmlinux', {
        cpus: 4, seed, nmiRate, maxSteps: 6_000_000,
        onBoot: (bb) => {
          b = bb;
          bb.ftrace!.arch.graphFillFirst = true;
          startBootTracing(bb.kernel, bb.ftrace!.core, bb.ftrace!.arch, { tracer: 'function_graph', sizeKb: 256 });
        },
      });
      expect(b).toBeDefined();
      if (r.exitReason === 'violation' || r.exitReason === 'fault') {
        fired.push(`seed ${seed}: ${r.violation ? `invariant ${r.violation.invariant}: ${r.violation.summary}` : r.error}`);
        break;
      }
    }
    expect(fired.length).toBe(1);
    console.log(`fill-before-reserve control: ${fired[0]}`);
  });
});

// ---------------------------------------------------------------- live, under load


describe('function_graph, live, on 4 busy CPUs with NMIs', () => {
  it('enable then disable it (and switch from function) while 4 CPUs run: no monitor fires, records agree with text, hooked returns still come back after disable', () => {
    for (const seed of [1, 2]) {
      const b = boot(image, 'vmlinux', { cpus: 4, seed, nmiRate: 20, maxQuantum: 200, pokeSymbols: { workload_iterations: 50n, smp_workload_iterations: 100_000n } });
      const ft = b.ftrace!;
      const tr = new TraceArray(b.kernel, ft.core, ft.arch, { sizeKb: 1024 });
      expect(runUntilSmp(b)).toBeNull();
      expect(runFor(b, 100_000)).toBeNull();
      for (const [round, name] of ['function_graph', 'nop', 'function', 'function_graph', 'function', 'nop'].entries()) {
        const err = runLive(b, (seed + round) % 4, tr.setTracer(name));
        expect(isProblem(err) ? err.what : err, `seed ${seed} -> ${name}`).toBe(0);
        expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
        const p = runFor(b, 150_000);
        expect(p?.what, `seed ${seed} after ${name}`).toBeUndefined();
      }
      const fg = ft.arch.fgraph(ft.core);
      expect(fg.stats.entries).toBeGreaterThan(1000);
      // what was pushed came back, except what the tasks' return stacks still hold
      let held = 0;
      for (const t of b.kernel.sched.tasks) held += b.kernel.sched.slots.get(t, fg.key).entries.length;
      expect(fg.stats.returns + held).toBe(fg.stats.entries);
      expect(ft.core.graphCallerEnabled).toBe(false);
    }
  });
});
