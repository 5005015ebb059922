// tracefs-graph-options.test.ts — function_graph's sleep-time and graph-time options (trace_functions_graph.c trace_opts, ftrace.c profile_graph_return, fgraph.c ftrace_graph_probe_sched_switch), funcgraph-retaddr (TRACE_GRAPH_RETADDR_ENT, print_graph_retaddr) and the interrupt markers (print_graph_irq, check_irq_entry): on vs off, synthetic and on the booted bundled kernel.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import { EINVAL } from '../src/trace/tracefs/fs.js';
import { statStateOf } from '../src/trace/tracefs/stat.js';
import type { FtraceProfile } from '../src/trace/ftrace_profile.js';
import { withTracefs, readFile, type TracefsMachine } from './helpers/tracefs.js';
import { runUntilSmp } from './helpers/live.js';
import { RingBuffer, TRACE_GRAPH_ENT, TRACE_GRAPH_RETADDR_ENT } from '../src/trace/ring_buffer.js';
import { encodePayload } from '../src/trace/ring_buffer_pages.js';
import { renderTrace, type GraphOptions } from '../src/trace/trace_output.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

function w(m: TracefsMachine, path: string, value: string): void {
  expect(m.fs.write(path, value), `${path} <- ${value}`).toBe(0);
}

/** A 2-CPU run of the profiler with `option` written while function_graph is the tracer (then back to nop). */
function profile(option: string, slept?: { ns: number }): Map<string, FtraceProfile> {
  const b = boot(image, 'vmlinux', { cpus: 2, seed: 3 });
  expect(runUntilSmp(b)).toBeNull();
  const m = withTracefs(b);
  w(m, 'current_tracer', 'function_graph');
  w(m, 'trace_options', option);
  w(m, 'current_tracer', 'nop');
  w(m, 'function_profile_enabled', '1');
  m.run(400_000);
  w(m, 'function_profile_enabled', '0');
  if (slept) {
    const key = b.ftrace!.arch.fgraph(b.ftrace!.core).key;
    slept.ns = b.kernel.sched.tasks.reduce((n, t) => n + b.kernel.sched.slots.get(t, key).sleeptime, 0);
  }
  const p = statStateOf(b)!.profiler;
  const out = new Map<string, FtraceProfile>();
  for (const cpu of [0, 1]) {
    for (const r of p.sorted(cpu)) out.set(`${cpu}:${b.symbols.nearest(BigInt(r.ip))?.name ?? r.ip}`, r);
  }
  return out;
}

describe('sleep-time and graph-time', () => {
  it('are listed after funcgraph-retval-hex, default on, switch through trace_options and options/, and exist only with function_graph', () => {
    const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
    const m = withTracefs(b);
    expect(m.fs.write('trace_options', 'nosleep-time')).toBe(-EINVAL); // not the current tracer's option
    w(m, 'current_tracer', 'function_graph');
    expect(readFile(m, 'trace_options')).toMatch(/funcgraph-retval-hex\nnofuncgraph-retaddr\nsleep-time\ngraph-time\n$/);
    w(m, 'trace_options', 'nograph-time');
    expect(readFile(m, 'options/graph-time')).toBe('0\n');
    expect(readFile(m, 'trace_options')).toMatch(/\nsleep-time\nnograph-time\n$/);
    w(m, 'options/sleep-time', '0');
    expect(readFile(m, 'trace_options')).toMatch(/\nnosleep-time\nnograph-time\n$/);
    const g = b.ftrace!.arch.fgraph(b.ftrace!.core);
    expect([g.sleepTime, g.graphTime]).toEqual([false, false]);
    w(m, 'trace_options', 'graph-time');
    w(m, 'trace_options', 'sleep-time');
    expect([g.sleepTime, g.graphTime]).toEqual([true, true]);
  });

  it('nograph-time: same hits, each function\'s time without its children\'s (a call with none counts 0, as profile_graph_return does); graph-time is the control', () => {
    const on = profile('graph-time');
    const off = profile('nograph-time');
    expect([...off.keys()].sort()).toEqual([...on.keys()].sort());
    let smaller = 0;
    for (const [k, r] of off) {
      const c = on.get(k)!;
      expect(r.counter, k).toBe(c.counter);
      expect(r.time, k).toBeLessThanOrEqual(c.time);
      if (r.time < c.time) smaller++;
    }
    expect(smaller).toBeGreaterThan(5);
    // leaves: every call of memset has no traced child, so its self time is 0 under nograph-time
    const leaf = [...off].filter(([k]) => k.endsWith(':memset'));
    expect(leaf.length).toBeGreaterThan(0);
    for (const [k, r] of leaf) { expect(r.time, k).toBe(0); expect(on.get(k)!.time).toBeGreaterThan(0); }
  });

  it('nosleep-time: the sched_switch probe accounts each task\'s time scheduled out (ftrace_sleeptime), and no function\'s time grows; under sleep-time (the control) nothing is accounted', () => {
    const sOn = { ns: -1 };
    const sOff = { ns: -1 };
    const on = profile('sleep-time', sOn);
    const off = profile('nosleep-time', sOff);
    expect(sOn.ns).toBe(0);
    expect(sOff.ns).toBeGreaterThan(0);
    for (const [k, r] of off) {
      const c = on.get(k)!;
      expect(r.counter, k).toBe(c.counter);
      expect(r.time, k).toBeLessThanOrEqual(c.time);
    }
  });
});

// ---- funcgraph-retaddr and the interrupt markers (print_graph_retaddr, print_graph_irq, check_irq_entry/return)

/** Synthetic functions of 0x100 bytes each; `handler` stands in the irqentry range. */
const FUNCS = ['outer', 'leaf', 'handler', 'caller'];
const A = (i: number, off = 0): number => 0x1000 + i * 0x100 + off;
function resolve(a: number, withOffset: boolean): string {
  const i = Math.floor((a - 0x1000) / 0x100);
  const name = FUNCS[i] ?? `0x${a.toString(16)}`;
  return withOffset ? `${name}+0x${((a - 0x1000) % 0x100).toString(16)}/0x100` : name;
}

/** outer() { leaf(); handler() { leaf(); } } from caller+0x10; entries with return addresses unless `plain`. */
function synth(g: Partial<GraphOptions>, plain = false, irqentry: ((a: number) => boolean) | undefined = (a) => a === A(2)): string[] {
  const rb = new RingBuffer({ nrCpus: 1 });
  const ent = (ts: number, f: number, d: number, ra: number): void => {
    if (plain) rb.writeGraphEntry(0, ts, 5, 0, 0, f, d);
    else rb.writeGraphRetaddrEntry(0, ts, 5, 0, 0, f, d, ra);
  };
  ent(1000, A(0), 0, A(3, 0x10));
  ent(1100, A(1), 1, A(0, 0x20));
  rb.writeGraphReturn(0, 1200, 5, 0, 0, A(1), 1, 1100, 1200, 0, 5);
  ent(1300, A(2), 1, A(0, 0x30));
  ent(1400, A(1), 2, A(2, 0x8));
  rb.writeGraphReturn(0, 1500, 5, 0, 0, A(1), 2, 1400, 1500, 0, 0);
  rb.writeGraphReturn(0, 1600, 5, 0, 0, A(2), 1, 1300, 1600, 0, 0);
  rb.writeGraphReturn(0, 1700, 5, 0, 0, A(0), 0, 1000, 1700, 0, 0);
  const t = renderTrace(rb, { tracer: 'function_graph', nrCpus: 1, resolve, comm: () => 'x', irqentry, graph: { duration: false, cpu: false, ...g } });
  return t.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('funcgraph-retaddr (text)', () => {
  it('off (the control): no return addresses even in retaddr entries', () => {
    expect(synth({})).toEqual(['outer() {', '  leaf();', '==========>', '  handler() {', '    leaf();', '  }', '<==========', '}']);
  });

  it('on: ` /* <-caller+0xoff/0xsize */` after `();` of a leaf and after ` {` of an opener; closers have none', () => {
    expect(synth({ retaddr: true })).toEqual([
      'outer() { /* <-caller+0x10/0x100 */', '  leaf(); /* <-outer+0x20/0x100 */', '==========>',
      '  handler() { /* <-outer+0x30/0x100 */', '    leaf(); /* <-handler+0x8/0x100 */', '  }', '<==========', '}',
    ]);
  });

  it('with funcgraph-retval: the address first, then the value, in one comment; closers keep `} /* f ret= */`', () => {
    expect(synth({ retaddr: true, retval: true })).toEqual([
      'outer() { /* <-caller+0x10/0x100 */', '  leaf(); /* <-outer+0x20/0x100 ret=0x5 */', '==========>',
      '  handler() { /* <-outer+0x30/0x100 */', '    leaf(); /* <-handler+0x8/0x100 ret=0x0 */', '  } /* handler ret=0x0 */', '<==========',
      '} /* outer ret=0x0 */',
    ]);
  });

  it('entries written without an address (TRACE_GRAPH_ENT) print none under funcgraph-retaddr', () => {
    expect(synth({ retaddr: true }, true)).toEqual(synth({}, true));
  });

  it('sym-addr adds ` <addr>` to the return address, as seq_print_ip_sym does', () => {
    const rb = new RingBuffer({ nrCpus: 1 });
    rb.writeGraphRetaddrEntry(0, 1000, 5, 0, 0, A(1), 0, A(0, 0x20));
    rb.writeGraphReturn(0, 1100, 5, 0, 0, A(1), 0, 1000, 1100, 0, 0);
    const t = renderTrace(rb, { tracer: 'function_graph', nrCpus: 1, resolve, comm: () => 'x', options: { symAddr: true }, graph: { duration: false, cpu: false, retaddr: true } });
    expect(t.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual(['leaf(); /* <-outer+0x20/0x100 <0000000000001020> */']);
  });

  it('the entry is TRACE_GRAPH_RETADDR_ENT (right after TRACE_GRAPH_ENT), 28 packed bytes: func, depth, retaddr', () => {
    expect(TRACE_GRAPH_RETADDR_ENT).toBe(TRACE_GRAPH_ENT + 1);
    const rb = new RingBuffer({ nrCpus: 1 });
    rb.writeGraphRetaddrEntry(0, 1000, 5, 0, 0, -0x7effff00, 3, -0x7efffe00);
    rb.writeGraphEntry(0, 1100, 5, 0, 0, -0x7effff00, 3);
    const it = rb.iterator();
    const [a, b] = [it.next()!, it.next()!];
    expect(a).toMatchObject({ type: TRACE_GRAPH_ENT, func: -0x7effff00, depth: 3, retaddr: -0x7efffe00 });
    expect(b).not.toHaveProperty('retaddr');
    const p = encodePayload(a);
    const dv = new DataView(p.buffer);
    expect([p.length, dv.getUint16(0, true), dv.getBigUint64(8, true), dv.getUint32(16, true), dv.getBigUint64(20, true)])
      .toEqual([28, TRACE_GRAPH_RETADDR_ENT, 0xffffffff81000100n, 3, 0xffffffff81000200n]);
    expect(encodePayload(b).length).toBe(24);
  });
});

describe('interrupt markers (print_graph_irq over [__irqentry_text_start, __irqentry_text_end))', () => {
  it('with the default columns: `  ==========> |` and `  <========== |` in the duration column, after the CPU column', () => {
    const lines = synth({ duration: true, cpu: true });
    expect(lines.filter((l) => l.includes('=====')).map((l) => JSON.stringify(l))).toEqual([JSON.stringify(' 0)   ==========> |'), JSON.stringify(' 0)   <========== |')]);
  });

  it('nofuncgraph-irqs: the irqentry function and all under it are hidden, markers too; without the range nothing is', () => {
    expect(synth({ irqs: false })).toEqual(['outer() {', '  leaf();', '}']);
    expect(synth({ irqs: false }, false, () => false)).toEqual(['outer() {', '  leaf();', '  handler() {', '    leaf();', '  }', '}']);
    expect(synth({}, false, () => false).some((l) => l.includes('====='))).toBe(false);
  });

  it('live: the timer\'s tick_handler (the handler the timer stub calls) is bracketed; funcgraph-retaddr names real callers, tail calls resolved past return_to_handler', () => {
    const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
    const m = withTracefs(b);
    m.run(400_000);
    expect(readFile(m, 'options/funcgraph-retaddr')).toBe('0\n');
    w(m, 'current_tracer', 'function_graph');
    w(m, 'options/funcgraph-retaddr', '1');
    w(m, 'trace', ''); // the entries written before the option have no address
    m.run(600_000);
    const lines = readFile(m, 'trace').split('\n');
    const opens = lines.map((l, i) => [l, i] as const).filter(([l]) => /\|\s+tick_handler\(\) \{/.test(l));
    expect(opens.length).toBeGreaterThan(0);
    for (const [l, i] of opens) {
      expect(lines[i - 1]).toBe(' 0)   ==========> |');
      expect(l).toMatch(/tick_handler\(\) \{ \/\* <-asm_sysvec_apic_timer_interrupt\+0x[0-9a-f]+\/0x[0-9a-f]+ \*\/$/);
    }
    expect(lines.filter((l) => l === ' 0)   <========== |').length).toBeGreaterThanOrEqual(opens.length - 1);
    const calls = lines.filter((l) => /\(\)( \{|;)/.test(l));
    expect(calls.length).toBeGreaterThan(100);
    for (const l of calls) expect(l).toMatch(/ \/\* <-[\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+ \*\/$/);
    expect(lines.some((l) => l.includes('<-return_to_handler'))).toBe(false);
    // every retaddr entry in the buffer, and the buffer's events of other functions are unaffected
    const it = m.tr.buffer.iterator();
    let n = 0;
    for (let e = it.next(); e !== undefined; e = it.next()) if (e.type === TRACE_GRAPH_ENT) { expect(e.retaddr).toBeDefined(); n++; }
    expect(n).toBeGreaterThan(100);
    // nofuncgraph-irqs over the same buffer: tick_handler and the markers are gone
    w(m, 'options/funcgraph-irqs', '0');
    const hidden = readFile(m, 'trace');
    expect(hidden).not.toContain('tick_handler');
    expect(hidden).not.toContain('=====');
  });

  it('ftrace_graph_top_ret_addr skips frames that saved return_to_handler (tail calls)', () => {
    const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
    const g = b.ftrace!.arch.fgraph(b.ftrace!.core);
    expect(g.returnHandler).toBe(Number(BigInt.asIntN(64, b.symbols.lookup('return_to_handler')!)));
    const f = (ret: number) => ({ func: 0, ret, calltime: 0, depth: 0, bitmap: 0, data: [] });
    const rs = { entries: [f(11), f(22)], overrun: 0, pops: 0, lastPopped: null, vars: [], sleeptime: 0, timestamp: 0 };
    expect(g.topRetAddr(rs)).toBe(22);
    rs.entries.push(f(g.returnHandler), f(g.returnHandler));
    expect(g.topRetAddr(rs)).toBe(22);
    expect(g.topRetAddr({ ...rs, entries: [f(g.returnHandler)] })).toBe(0);
  });
});
