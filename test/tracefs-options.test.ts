// The trace options func_stack_trace, function-fork, funcgraph-irqs and funcgraph-retval(-hex): their defaults and files, and each one's effect on the trace of the booted bundled kernel (option off vs on).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, type Booted } from '../src/runner.js';
import { TraceArray } from '../src/trace/trace_functions.js';
import { buildTracefs, runKernelCall, type TracefsContext } from '../src/trace/tracefs/index.js';
import { EINVAL, type Tracefs } from '../src/trace/tracefs/fs.js';
import { RingBuffer, TRACE_FLAG_HARDIRQ, TRACE_FN, TRACE_GRAPH_ENT, TRACE_GRAPH_RET } from '../src/trace/ring_buffer.js';
import { renderTrace, type GraphOptions } from '../src/trace/trace_output.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

interface M { b: Booted; tr: TraceArray; fs: Tracefs; ctx: TracefsContext }

function machine(steps: number): M {
  const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
  const tr = new TraceArray(b.kernel, b.ftrace!.core, b.ftrace!.arch, { sizeKb: 4096 });
  const ctx: TracefsContext = { b, run: (n) => b.kernel.run(b.kernel.steps + n) };
  const fs = buildTracefs(ctx, tr);
  if (steps > 0) ctx.run(steps);
  return { b, tr, fs, ctx };
}

const rd = (m: M, f: string): string => {
  const r = m.fs.read(f);
  if (typeof r === 'number') throw new Error(`read ${f}: ${r}`);
  return r;
};
const body = (t: string): string[] => t.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const setTracer = (m: M, name: string): void => { expect(runKernelCall(m.ctx, m.tr.setTracer(name))).toBe(0); };

/** The pids of the function events in the buffer. */
function fnPids(m: M): Set<number> {
  const pids = new Set<number>();
  const it = m.tr.buffer.iterator();
  for (let e = it.next(); e !== undefined; e = it.next()) if (e.type === TRACE_FN) pids.add(e.pid);
  return pids;
}

describe('the options files', () => {
  it('list the new options with the kernel\'s defaults; X/noX and 0/1 switch them; bad values are -EINVAL and change nothing', () => {
    const m = machine(0);
    const defaults: Record<string, string> = {
      func_stack_trace: '0', 'function-fork': '0', 'funcgraph-irqs': '1', 'funcgraph-retval': '0', 'funcgraph-retval-hex': '0',
    };
    for (const [o, v] of Object.entries(defaults)) expect(rd(m, `options/${o}`)).toBe(v + '\n');
    // generic function-fork and stacktrace last; the tracer's own options only while it is current
    expect(rd(m, 'trace_options')).toMatch(/\nfunction-trace\nnofunction-fork\nnostacktrace\n$/);
    expect(rd(m, 'trace_options')).not.toContain('func_stack_trace');
    m.fs.write('current_tracer', 'function');
    expect(rd(m, 'trace_options')).toMatch(/\nnofunction-fork\nnostacktrace\nnofunc_stack_trace\nnofunc-no-repeats\n$/);
    m.fs.write('current_tracer', 'function_graph');
    expect(rd(m, 'trace_options')).toMatch(/\nnofuncgraph-abstime\nfuncgraph-irqs\nnofuncgraph-tail\nnofuncgraph-retval\nnofuncgraph-retval-hex\nnofuncgraph-retaddr\nsleep-time\ngraph-time\n$/);
    expect(m.fs.write('trace_options', 'nofuncgraph-irqs')).toBe(0);
    expect(m.fs.write('trace_options', 'funcgraph-retval')).toBe(0);
    expect(rd(m, 'options/funcgraph-irqs')).toBe('0\n');
    expect(rd(m, 'options/funcgraph-retval')).toBe('1\n');
    expect(rd(m, 'trace_options')).toContain('\nnofuncgraph-irqs\nnofuncgraph-tail\nfuncgraph-retval\n');
    // func_stack_trace is the function tracer's: -EINVAL through trace_options while function_graph is current
    expect(m.fs.write('trace_options', 'func_stack_trace')).toBe(-EINVAL);
    expect(rd(m, 'options/func_stack_trace')).toBe('0\n');
    expect(m.fs.write('options/func_stack_trace', '1')).toBe(0);
    expect(rd(m, 'options/func_stack_trace')).toBe('1\n');
    expect(m.fs.write('trace_options', 'function-fork')).toBe(0);
    expect(rd(m, 'options/function-fork')).toBe('1\n');
    expect(m.tr.functionFork).toBe(true);
    expect(m.fs.write('options/function-fork', '0')).toBe(0);
    expect(m.tr.functionFork).toBe(false);
    for (const o of Object.keys(defaults)) {
      const before = rd(m, `options/${o}`);
      for (const bad of ['2', 'on', '', '-1']) expect(m.fs.write(`options/${o}`, bad)).toBe(-EINVAL);
      expect(rd(m, `options/${o}`)).toBe(before);
    }
    for (const bad of ['nofunction-forks', 'funcgraph-retval-x', 'func_stack']) expect(m.fs.write('trace_options', bad)).toBe(-EINVAL);
  });
});

describe('func_stack_trace', () => {
  it('off: function events only; on: each is followed by a stack trace starting at the traced function (the tracer\'s frames skipped)', () => {
    const m = machine(1_000_000);
    expect(m.fs.write('set_ftrace_filter', 'schedule')).toBe(0);
    setTracer(m, 'function');
    m.ctx.run(500_000);
    const off = body(rd(m, 'trace'));
    expect(off.length).toBeGreaterThan(0);
    expect(off.every((l) => / schedule <-\w+$/.test(l))).toBe(true);
    expect(off.some((l) => l.includes('<stack trace>'))).toBe(false);

    expect(m.fs.write('options/func_stack_trace', '1')).toBe(0);
    m.fs.write('trace', '');
    m.ctx.run(500_000);
    const on = body(rd(m, 'trace'));
    const fns = on.map((l, i) => [l, i] as const).filter(([l]) => / schedule <-\w+$/.test(l));
    expect(fns.length).toBeGreaterThan(0);
    for (const [l, i] of fns) {
      const ctxOf = (s: string): string => s.slice(0, s.indexOf(': ') + 2);
      // same task, CPU, flags and time stamp: written by the same call
      expect(on[i + 1]).toBe(ctxOf(l) + '<stack trace>');
      expect(on[i + 2]).toBe(' => schedule');
      const parent = / <-(\w+)$/.exec(l)![1]!;
      expect(on[i + 3]).toBe(` => ${parent}`);
      for (let j = i + 2; j < on.length && on[j]!.startsWith(' => '); j++) {
        expect(on[j]).not.toMatch(/function_trace_call|0x[0-9a-f]+$/);
      }
    }
    expect(on.filter((l) => l.endsWith(': <stack trace>')).length).toBe(fns.length);

    // and off again: no more stack entries
    expect(m.fs.write('trace_options', 'nofunc_stack_trace')).toBe(0);
    m.fs.write('trace', '');
    m.ctx.run(500_000);
    const again = body(rd(m, 'trace'));
    expect(again.length).toBeGreaterThan(0);
    expect(again.some((l) => l.includes('<stack trace>'))).toBe(false);
  });
});

describe('function-fork', () => {
  // the bundled kernel's init (pid 1) forks two kworkers after about 5.2M steps, then exits
  const FORKS_AT = 5_000_000;

  /** A machine with the function tracer (or none) running before init forks; `kids` collects init's children. */
  function forkMachine(tracer: boolean): M & { kids: number[] } {
    // the tracer starts before the entry point (a live call started later waits for init to finish)
    const m = machine(0);
    if (tracer) setTracer(m, 'function');
    expect(m.b.kernel.steps).toBeLessThan(FORKS_AT);
    const kids: number[] = [];
    m.b.kernel.sched.observers.push({ fork: (_c, p, c) => { if (p.pid === 1) kids.push(c.pid); } });
    return { ...m, kids };
  }
  const runPastForks = (m: M & { kids: number[] }): void => {
    // (with the function tracer on, the guest takes longer to get there)
    for (let i = 0; i < 60 && (m.kids.length < 2 || m.b.kernel.steps < FORKS_AT + 1_000_000); i++) m.ctx.run(250_000);
    m.ctx.run(500_000);
    expect(m.kids.length).toBe(2);
    expect(m.b.kernel.sched.tasks.find((t) => t.pid === 1)?.state).toBe('dead');
  };
  const list = (pids: number[]): string => pids.map((p) => `${p}\n`).join('');

  it('off: set_ftrace_pid keeps only what was written, and the children are not traced', () => {
    const m = forkMachine(true);
    expect(m.fs.write('set_ftrace_pid', '1')).toBe(0);
    m.tr.buffer.reset();
    runPastForks(m);
    expect(rd(m, 'set_ftrace_pid')).toBe('1\n');
    expect([...fnPids(m)]).toEqual([1]);
  });

  it('on: a listed task\'s children join set_ftrace_pid and are traced; the exiting task leaves the list', () => {
    const m = forkMachine(true);
    expect(m.fs.write('set_ftrace_pid', '1')).toBe(0);
    expect(m.fs.write('options/function-fork', '1')).toBe(0);
    m.tr.buffer.reset();
    runPastForks(m);
    expect(rd(m, 'set_ftrace_pid')).toBe(list(m.kids));
    const pids = fnPids(m);
    expect(pids.has(1)).toBe(true);
    expect(m.kids.some((k) => pids.has(k))).toBe(true);
    expect([...pids].every((p) => p === 1 || m.kids.includes(p))).toBe(true);
  });

  it('on: children of a set_ftrace_notrace_pid task join that list and are not traced; a task in no list adds nothing', () => {
    const m = forkMachine(true);
    expect(m.fs.write('set_ftrace_notrace_pid', '1')).toBe(0);
    expect(m.fs.write('trace_options', 'function-fork')).toBe(0);
    m.tr.buffer.reset();
    runPastForks(m);
    expect(rd(m, 'set_ftrace_notrace_pid')).toBe(list(m.kids));
    expect([...fnPids(m)]).toEqual([]);
    // negative control: without function-fork the children are traced
    const c = forkMachine(true);
    expect(c.fs.write('set_ftrace_notrace_pid', '1')).toBe(0);
    c.tr.buffer.reset();
    runPastForks(c);
    expect(rd(c, 'set_ftrace_notrace_pid')).toBe('1\n');
    expect([...fnPids(c)].sort()).toEqual([...c.kids].sort());
    // init was not in set_ftrace_pid: its children do not join it
    const n = forkMachine(false);
    expect(n.fs.write('set_ftrace_pid', '99')).toBe(0);
    expect(n.fs.write('options/function-fork', '1')).toBe(0);
    runPastForks(n);
    expect(rd(n, 'set_ftrace_pid')).toBe('99\n');
  });

  it('switched off again before the forks, it follows nothing (the hooks are gone)', () => {
    const m = forkMachine(false);
    expect(m.fs.write('set_ftrace_pid', '1')).toBe(0);
    expect(m.fs.write('options/function-fork', '1')).toBe(0);
    expect(m.fs.write('trace_options', 'nofunction-fork')).toBe(0);
    runPastForks(m);
    expect(rd(m, 'set_ftrace_pid')).toBe('1\n');
  });
});

describe('funcgraph-irqs', () => {
  /** Graph entry events in hardirq context, and all of them; return events in hardirq context. */
  function entries(m: M): { irq: number; all: number; irqRet: number; unmatchedIrqRet: number } {
    let irq = 0;
    let all = 0;
    let irqRet = 0;
    let unmatchedIrqRet = 0;
    const open: number[] = [];
    const it = m.tr.buffer.iterator();
    for (let e = it.next(); e !== undefined; e = it.next()) {
      if (e.type === TRACE_GRAPH_RET && (e.flags & TRACE_FLAG_HARDIRQ)) {
        irqRet++;
        // a return in hardirq context whose entry was traced (outside it: irq_enter returns inside)
        if (open[e.depth] !== e.func) unmatchedIrqRet++;
      }
      if (e.type !== TRACE_GRAPH_ENT) continue;
      open[e.depth] = e.func;
      all++;
      if (e.flags & TRACE_FLAG_HARDIRQ) irq++;
    }
    return { irq, all, irqRet, unmatchedIrqRet };
  }

  it('on (default): functions in hardirq context are traced; off: none are, the rest still is', () => {
    const m = machine(1_000_000);
    setTracer(m, 'function_graph');
    m.ctx.run(1_000_000);
    const on = entries(m);
    expect(on.irq).toBeGreaterThan(0);
    expect(on.all).toBeGreaterThan(on.irq);
    expect(on.irqRet).toBeGreaterThan(0);
    expect(m.fs.write('options/funcgraph-irqs', '0')).toBe(0);
    m.fs.write('trace', '');
    m.ctx.run(1_000_000);
    const off = entries(m);
    expect(off.irq).toBe(0);
    expect(off.all).toBeGreaterThan(0);
    // an entry not traced has no return event either; what returns in hardirq context was entered before it
    expect(off.irqRet).toBeLessThan(on.irqRet);
    expect(off.unmatchedIrqRet).toBe(0);
    expect(m.fs.write('trace_options', 'funcgraph-irqs')).toBe(0);
    m.fs.write('trace', '');
    m.ctx.run(1_000_000);
    expect(entries(m).irq).toBeGreaterThan(0);
  });
});

describe('funcgraph-retval', () => {
  // synthetic events: exact text of print_graph_retval for each kind of value
  const FUNCS = ['outer', 'leaf', 'inner'];
  const A = (i: number): number => 0x1000 + i * 0x100;
  const resolve = (a: number): string => FUNCS[(a - 0x1000) / 0x100] ?? `0x${a.toString(16)}`;

  /** outer() { leaf() returning `leafRet`; inner() { leaf() } returning `innerRet` } returning `outerRet`. */
  function text(g: Partial<GraphOptions>, leafRet: number, innerRet: number, outerRet: number): string[] {
    const rb = new RingBuffer({ nrCpus: 1 });
    rb.writeGraphEntry(0, 1000, 5, 0, 0, A(0), 0);
    rb.writeGraphEntry(0, 1100, 5, 0, 0, A(1), 1);
    rb.writeGraphReturn(0, 1200, 5, 0, 0, A(1), 1, 1100, 1200, 0, leafRet);
    rb.writeGraphEntry(0, 1300, 5, 0, 0, A(2), 1);
    rb.writeGraphEntry(0, 1400, 5, 0, 0, A(1), 2);
    rb.writeGraphReturn(0, 1500, 5, 0, 0, A(1), 2, 1400, 1500, 0, 0);
    rb.writeGraphReturn(0, 1600, 5, 0, 0, A(2), 1, 1300, 1600, 0, innerRet);
    rb.writeGraphReturn(0, 1700, 5, 0, 0, A(0), 0, 1000, 1700, 0, outerRet);
    const t = renderTrace(rb, { tracer: 'function_graph', nrCpus: 1, resolve, comm: () => 'x', graph: { duration: false, cpu: false, ...g } });
    return body(t);
  }

  it('off: plain braces and leaves (negative control)', () => {
    expect(text({}, -22, 0x282, 0)).toEqual([
      'outer() {', '  leaf();', '  inner() {', '    leaf();', '  }', '}',
    ]);
  });

  it('on: leaves `f(); /* ret=... */`, closers `} /* f ret=... */`; error codes in decimal, other values in hex', () => {
    expect(text({ retval: true }, -22, 0x282, 0)).toEqual([
      'outer() {', '  leaf(); /* ret=-22 */', '  inner() {', '    leaf(); /* ret=0x0 */', '  } /* inner ret=0x282 */', '} /* outer ret=0x0 */',
    ]);
    // a 32-bit error code (int return, upper half zero) is sign-extended; -4095 is the last error code, -4096 is not one
    expect(text({ retval: true }, 0xffffffea, -4095, -4096)).toEqual([
      'outer() {', '  leaf(); /* ret=-22 */', '  inner() {', '    leaf(); /* ret=0x0 */', '  } /* inner ret=-4095 */',
      '} /* outer ret=0xfffffffffffff000 */',
    ]);
    // a kernel pointer is not an error code
    expect(text({ retval: true }, -0x7efe4000, 1, 0x7fffffff)[1]).toBe('  leaf(); /* ret=0xffffffff8101c000 */');
  });

  it('funcgraph-retval-hex prints every value in hex; without funcgraph-retval it prints nothing', () => {
    expect(text({ retval: true, retvalHex: true }, -22, 0xffffffea, 5)).toEqual([
      'outer() {', '  leaf(); /* ret=0xffffffffffffffea */', '  inner() {', '    leaf(); /* ret=0x0 */', '  } /* inner ret=0xffffffea */',
      '} /* outer ret=0x5 */',
    ]);
    expect(text({ retvalHex: true }, -22, 1, 5)).toEqual(text({}, -22, 1, 5));
  });

  it('live: every leaf and closer shows the value the function returned in rax (a wrapper returns its callee\'s value)', () => {
    const m = machine(1_000_000);
    setTracer(m, 'function_graph');
    m.ctx.run(300_000);
    m.fs.write('tracing_on', '0');
    const off = body(rd(m, 'trace'));
    expect(off.some((l) => l.includes('ret='))).toBe(false);
    expect(m.fs.write('options/funcgraph-retval', '1')).toBe(0);
    const on = body(rd(m, 'trace'));
    // the same events, only the values added
    expect(on.length).toBe(off.length);
    const fnLines = on.filter((l) => /\|\s+(\w+\(\)|\})/.test(l) && !/\(\) \{$/.test(l));
    expect(fnLines.length).toBeGreaterThan(0);
    for (const l of fnLines) expect(l).toMatch(/(\w+\(\); \/\* ret=(0x[0-9a-f]+|-\d+) \*\/|\} \/\* \w+ ret=(0x[0-9a-f]+|-\d+) \*\/)$/);
    // kmem_cache_zalloc returns what kmem_cache_alloc returned
    const t = on.join('\n');
    const re = /kmem_cache_alloc ret=(0x[0-9a-f]+) \*\/\n[^\n]*\} \/\* kmem_cache_zalloc ret=(0x[0-9a-f]+) \*\//g;
    const pairs = [...t.matchAll(re)];
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) expect(p[2]).toBe(p[1]);
  });
});
