// tracefs-graph-options.test.ts — function_graph's sleep-time and graph-time options (trace_functions_graph.c trace_opts, ftrace.c profile_graph_return, fgraph.c ftrace_graph_probe_sched_switch): on vs off on the booted bundled kernel, same seed, through trace_options and options/.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import { EINVAL } from '../src/trace/tracefs/fs.js';
import { statStateOf } from '../src/trace/tracefs/stat.js';
import type { FtraceProfile } from '../src/trace/ftrace_profile.js';
import { withTracefs, readFile, type TracefsMachine } from './helpers/tracefs.js';
import { runUntilSmp } from './helpers/live.js';

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
