// function_graph's filters and context on the bundled kernel: set_graph_function roots, set_graph_notrace subtrees, max_graph_depth, graph entries for functions on the regs caller, and the latency flags (irqs-off, hardirq, softirq, NMI, need-resched) from the guest's own preempt_count.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, bootAndRun, type Booted, type RunResult } from '../src/runner.js';
import { startBootTracing, type BootTracing, type TraceArray } from '../src/trace/trace_functions.js';
import {
  TRACE_FN, TRACE_GRAPH_ENT, TRACE_GRAPH_RET, TRACE_FLAG_HARDIRQ, TRACE_FLAG_IRQS_OFF, TRACE_FLAG_NMI, TRACE_FLAG_SOFTIRQ,
} from '../src/trace/ring_buffer.js';
import { FgraphFilter } from '../src/ftrace/fgraph_filter.js';
import { FtraceOps, FTRACE_OPS_FL_SAVE_REGS } from '../src/ftrace/ops.js';
import { DynFtrace, FTRACE_FL_REGS_EN } from '../src/ftrace/record.js';
import { addrToNum } from '../src/machine/memory.js';
import { RSP } from '../src/machine/x86/cpu.js';
import {
  HARDIRQ_OFFSET, NMI_OFFSET, SOFTIRQ_DISABLE_OFFSET, SOFTIRQ_OFFSET, TASK_NEED_RESCHED, TI_PREEMPT_COUNT,
  readGuestComm, readGuestPid, readGuestPreempt, threadInfoOf,
} from '../src/kernel/preempt.js';
import { latencyFlags } from '../src/trace/trace_output.js';
import { runFor, runLive, isProblem } from './helpers/live.js';

const KERNEL = fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url));
const image = readFileSync(KERNEL);

interface Run { r: RunResult; b: Booted; tr: TraceArray; err: string }

/** Boot with tracing started before the first instruction (the kernel's ftrace= and friends). */
function runFromBoot(bt: BootTracing, opts: { cpus?: number; nmiRate?: number; maxSteps?: number; onBoot?: (b: Booted) => void } = {}): Run {
  let tr: TraceArray | undefined;
  let b: Booted | undefined;
  let err = '';
  const r = bootAndRun(image, 'vmlinux', {
    cpus: opts.cpus ?? 1, seed: 1, nmiRate: opts.nmiRate, maxSteps: opts.maxSteps,
    onBoot: (bb) => {
      b = bb;
      opts.onBoot?.(bb);
      tr = startBootTracing(bb.kernel, bb.ftrace!.core, bb.ftrace!.arch, { sizeKb: 1 << 15, ...bt }, (e, what) => { if (e) err = `${what}: ${e}`; });
    },
  });
  return { r, b: b!, tr: tr!, err };
}

const nameOf = (run: Run, func: number): string => run.tr.outputContext().resolve(func, false);

/**
 * Per task, the open graph entries; `visit` sees every entry with the names of the open entries below it
 * (outermost first). Also checks pairing: every return closes the innermost open entry.
 */
function walkGraph(run: Run, visit: (name: string, depth: number, below: string[]) => void): { entries: number; problems: string[] } {
  const open = new Map<number, { name: string; func: number; depth: number }[]>();
  const problems: string[] = [];
  let entries = 0;
  const it = run.tr.buffer.iterator();
  for (let e = it.next(); e !== undefined; e = it.next()) {
    if (e.type !== TRACE_GRAPH_ENT && e.type !== TRACE_GRAPH_RET) continue;
    let st = open.get(e.pid);
    if (st === undefined) { st = []; open.set(e.pid, st); }
    if (e.type === TRACE_GRAPH_ENT) {
      entries++;
      const name = nameOf(run, e.func);
      visit(name, e.depth, st.map((x) => x.name));
      st.push({ name, func: e.func, depth: e.depth });
    } else {
      const top = st.pop();
      if (top === undefined || top.func !== e.func || top.depth !== e.depth) problems.push(`pid ${e.pid}: return of ${nameOf(run, e.func)}@${e.depth} does not close ${top?.name}@${top?.depth}`);
    }
  }
  return { entries, problems };
}

/** set_graph_function: depth-0 entries are roots, every other entry lies inside an open root call. */
function checkRoots(run: Run, roots: readonly string[]): { entries: number; rootCalls: number; problems: string[] } {
  const problems: string[] = [];
  let rootCalls = 0;
  const w = walkGraph(run, (name, depth, below) => {
    if (depth === 0) {
      if (roots.includes(name)) rootCalls++;
      else problems.push(`${name} at depth 0 is not a graph root`);
    } else if (!below.some((n) => roots.includes(n))) {
      problems.push(`${name} at depth ${depth} outside any root call (below: ${below.join(' > ') || 'nothing'})`);
    }
  });
  return { entries: w.entries, rootCalls, problems: [...problems, ...w.problems] };
}

/** Names and depths of the graph entries. */
function graphEntries(run: Run): { name: string; depth: number }[] {
  const out: { name: string; depth: number }[] = [];
  walkGraph(run, (name, depth) => out.push({ name, depth }));
  return out;
}

describe('set_graph_function, set_graph_notrace, max_graph_depth: the core API', () => {
  const recs = ['vfs_read', 'vfs_write', 'vfs_readv', 'do_sys_open'].map((n, i) => new DynFtrace(0xffffffff81000000n + BigInt(i * 64), { name: n, start: 0xffffffff81000000n + BigInt(i * 64), size: 64 }, null, null));
  it('globs add, "!" removes, no match is -EINVAL, the files read as the kernel prints them', () => {
    const f = new FgraphFilter(() => recs);
    expect(f.show('function')).toBe('#### all functions enabled ####\n');
    expect(f.show('notrace')).toBe('#### no functions disabled ####\n');
    expect(f.set('function', 'vfs_*')).toBe(0);
    expect(f.list('function')).toEqual(['vfs_read', 'vfs_write', 'vfs_readv']);
    expect(f.set('function', '!*v')).toBe(0);
    expect(f.show('function')).toBe('vfs_read\nvfs_write\n');
    expect(f.set('function', 'no_such_function')).toBe(-22);
    expect(f.set('function', '!no_such_function')).toBe(-22);
    expect(f.set('notrace', 'do_sys_open')).toBe(0);
    expect(f.isNotrace(addrToNum(recs[3].ip))).toBe(true);
    expect(f.isNotrace(addrToNum(recs[0].ip))).toBe(false);
    f.clear('function');
    expect(f.list('function')).toEqual([]);
    // a file write: '>' truncates, '>>' appends, words in order, the first error stops it
    expect(f.write('function', 'vfs_read\n', true)).toBe(0);
    expect(f.write('function', ' do_sys_open  nope vfs_write', false)).toBe(-22);
    expect(f.list('function')).toEqual(['vfs_read', 'do_sys_open']);
    expect(f.write('function', '', true)).toBe(0);
    expect(f.list('function')).toEqual([]);
    expect(f.setMaxDepth('3')).toBe(0);
    expect(f.showMaxDepth()).toBe('3\n');
    for (const bad of ['-1', 'x', '1.5', '', '99999999999']) expect(f.setMaxDepth(bad), bad).toBe(-22);
    expect(f.maxDepth).toBe(3);
    const modRec = new DynFtrace(0xffffffffa0000000n, { name: 'mod_fn', start: 0xffffffffa0000000n, size: 16, module: 'm' }, 'm', null);
    const withMod = new FgraphFilter(() => [...recs, modRec]);
    expect(withMod.set('notrace', 'mod_*')).toBe(0);
    expect(withMod.show('notrace')).toBe('mod_fn [m]\n');
    withMod.releaseMod('m');
    expect(withMod.isNotrace(addrToNum(modRec.ip))).toBe(false);
    const dead = new FgraphFilter(() => recs, () => true);
    expect(dead.set('function', 'vfs_read')).toBe(-19);
  });
});

describe('function_graph filters on the bundled kernel', () => {
  const ROOT = 'vfs_read';
  let rooted: Run | undefined;
  const STEPS = 8_000_000;
  const rootedRun = (): Run => (rooted ??= runFromBoot({ tracer: 'function_graph', graphFunction: [ROOT] }, { maxSteps: STEPS }));

  it('set_graph_function vfs_read: depth-0 entries are only vfs_read, every other entry lies inside a vfs_read call, entries and exits pair', () => {
    const run = rootedRun();
    expect(run.err).toBe('');
    expect(run.r.violation?.summary).toBeUndefined();
    const c = checkRoots(run, [ROOT]);
    expect(c.problems.slice(0, 5)).toEqual([]);
    expect(c.rootCalls).toBeGreaterThan(100);
    expect(c.entries).toBeGreaterThan(c.rootCalls * 3); // its callees too
    expect(graphEntries(run).some((e) => e.name === 'ramfs_file_read' && e.depth === 1)).toBe(true);
  });

  it('negative control: a root whose return does not clear the task\'s graph bit lets calls after it through, and the check fires', () => {
    const run = runFromBoot({ tracer: 'function_graph', graphFunction: [ROOT] }, {
      maxSteps: 4_000_000,
      onBoot: (b) => { b.ftrace!.arch.fgraph(b.ftrace!.core).filter.addrFinish = () => {}; },
    });
    const c = checkRoots(run, [ROOT]);
    expect(c.rootCalls).toBeGreaterThan(0);
    expect(c.problems.some((p) => /at depth 0 is not a graph root/.test(p))).toBe(true);
  });

  it('set_graph_notrace ramfs_file_read under the vfs_read root: it and everything it calls disappear, the rest of vfs_read stays; the unfiltered run is the control', () => {
    // the control: without notrace, ramfs_file_read runs under vfs_read, and some functions run only under it
    const seen = new Map<string, boolean>(); // name -> every call so far lies under ramfs_file_read
    walkGraph(rootedRun(), (name, _d, below) => {
      const under = below.includes('ramfs_file_read');
      seen.set(name, (seen.get(name) ?? true) && under);
    });
    expect(seen.has('ramfs_file_read')).toBe(true);
    const onlyUnder = [...seen].filter(([, u]) => u).map(([n]) => n);
    expect(onlyUnder.length).toBeGreaterThan(1);
    const run = runFromBoot({ tracer: 'function_graph', graphFunction: [ROOT], graphNotrace: ['ramfs_file_read'] }, { maxSteps: STEPS });
    expect(run.err).toBe('');
    expect(run.r.violation?.summary).toBeUndefined();
    const c = checkRoots(run, [ROOT]);
    expect(c.problems.slice(0, 5)).toEqual([]);
    const got = graphEntries(run);
    expect(got.filter((e) => e.name === ROOT).length).toBeGreaterThan(100);
    expect(got.filter((e) => e.name === 'ramfs_file_read')).toEqual([]);
    expect(got.filter((e) => onlyUnder.includes(e.name)).slice(0, 3)).toEqual([]);
    expect(got.some((e) => e.depth === 1)).toBe(true); // access_ok and friends stay
    // the depth trick left no task in the notrace state
    const fg = run.b.ftrace!.arch.fgraph(run.b.ftrace!.core);
    for (const t of run.b.kernel.sched.tasks) expect(run.b.kernel.sched.slots.get(t, fg.key).vars.filter((v) => v !== undefined && v.notraceAt !== -1)).toEqual([]);
    expect(fg.stats.notraced).toBeGreaterThan(0);
  });

  it('max_graph_depth 1 (under the vfs_read root): only depth-0 entries, each with its exit; the run without the limit is the control (it has deeper entries)', () => {
    expect(graphEntries(rootedRun()).some((e) => e.depth > 0)).toBe(true);
    const run = runFromBoot({ tracer: 'function_graph', graphFunction: [ROOT], maxGraphDepth: 1 }, { maxSteps: STEPS / 2 });
    expect(run.err).toBe('');
    expect(run.r.violation?.summary).toBeUndefined();
    const w = walkGraph(run, () => {});
    expect(w.problems.slice(0, 5)).toEqual([]);
    const got = graphEntries(run);
    expect(got.length).toBeGreaterThan(50);
    expect(got.filter((e) => e.depth !== 0 || e.name !== ROOT).slice(0, 3)).toEqual([]);
    expect(run.b.ftrace!.arch.fgraph(run.b.ftrace!.core).stats.declined).toBeGreaterThan(got.length);
  });

  it('a bad pattern is -EINVAL before the tracer starts', () => {
    const run = runFromBoot({ tracer: 'function_graph', graphFunction: ['no_such_function'] }, { maxSteps: 200_000 });
    expect(run.err).toBe("set_graph_function 'no_such_function': -22");
    expect(run.tr.current.name).toBe('nop');
  });
});

describe('function_graph for functions on the regs caller', () => {
  /** Boot with function_graph, let it run, add a SAVE_REGS ops on `func` live, run on; graph entries/exits of `func` after that. */
  function regsRun(breakRegsCaller: boolean): { entries: number; exits: number; regsEn: boolean } {
    const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
    const ft = b.ftrace!;
    const tr = startBootTracing(b.kernel, ft.core, ft.arch, { tracer: 'function_graph', sizeKb: 1 << 14 });
    expect(runFor(b, 1_500_000)).toBeNull();
    if (breakRegsCaller) {
      // the old regs caller: return straight to the function instead of through ftrace_graph_call
      b.machine.mem.write(ft.arch.callers.ftraceRegsCallerEnd, Uint8Array.of(0xc3));
    }
    const calls: bigint[] = [];
    const ops = new FtraceOps('regs_probe', (ip, _p, _op, regs) => { if (regs !== null) calls.push(ip); }, FTRACE_OPS_FL_SAVE_REGS);
    const err = runLive(b, 0, (function* () {
      const e = yield* ft.core.ftraceSetFilter(ops, 'vfs_read', true);
      if (e) return e;
      return yield* ft.core.registerFtraceFunction(ops);
    })());
    expect(isProblem(err) ? err.what : err).toBe(0);
    const rec = [...ft.core.allRecords()].find((r) => r.func.name === 'vfs_read')!;
    const regsEn = rec.has(FTRACE_FL_REGS_EN);
    const since = b.kernel.cpus[0].now();
    expect(runFor(b, 2_000_000)).toBeNull();
    expect(calls.length).toBeGreaterThan(10);
    const vfsRead = addrToNum(rec.ip);
    let entries = 0, exits = 0;
    const it = tr.buffer.iterator();
    for (let e = it.next(); e !== undefined; e = it.next()) {
      if (e.ts < since) continue;
      if (e.type === TRACE_GRAPH_ENT && e.func === vfsRead) entries++;
      if (e.type === TRACE_GRAPH_RET && e.func === vfsRead) exits++;
    }
    return { entries, exits, regsEn };
  }

  it('a SAVE_REGS ops alongside function_graph moves vfs_read to ftrace_regs_caller, and vfs_read still gets its entries and exits', () => {
    const r = regsRun(false);
    expect(r.regsEn).toBe(true);
    expect(r.entries).toBeGreaterThan(10);
    expect(Math.abs(r.entries - r.exits)).toBeLessThanOrEqual(1);
  });

  it('negative control: a regs caller that returns without the graph hook loses vfs_read\'s graph events', () => {
    const r = regsRun(true);
    expect(r.regsEn).toBe(true);
    expect(r.entries).toBe(0);
  });
});

describe('latency flags from the guest kernel', () => {
  let fn: Run | undefined;
  const fnRun = (): Run => (fn ??= runFromBoot({ tracer: 'function' }, { cpus: 2, nmiRate: 20, maxSteps: 14_000_000 }));

  /** Function events as (function, parent, flags). */
  function fnEvents(run: Run): { name: string; parent: string; flags: number }[] {
    const out: { name: string; parent: string; flags: number }[] = [];
    const it = run.tr.buffer.iterator();
    for (let e = it.next(); e !== undefined; e = it.next()) {
      if (e.type === TRACE_FN) out.push({ name: nameOf(run, e.ip), parent: nameOf(run, e.parentIp), flags: e.flags });
    }
    return out;
  }

  it('the thread_info the flags come from is the guest\'s: its task has the running task\'s comm', () => {
    const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
    expect(runFor(b, 1_000_000)).toBeNull();
    const cpu = b.kernel.cpus[0];
    const g = readGuestPreempt(b.machine.mem, cpu.getReg(RSP));
    expect(g).not.toBeNull();
    expect(g!.task).not.toBe(0n);
    // the boot workload switches guest tasks on the boot stack by rewriting ti->task: its comm is one of them
    const comm = readGuestComm(b.machine.mem, g!.task);
    expect(comm).toMatch(/^(swapper\/0|sh|init|kthreadd|ksoftirqd\/0|kworker\/0:1|rcu_sched|[a-z][a-z0-9_]*)$/);
    expect(readGuestComm(b.machine.mem, g!.task + 8n)).not.toBe(comm); // a shifted layout would not read it
    expect(readGuestPid(b.machine.mem, g!.task)).toBeGreaterThan(0);
  });

  it('each flag follows its source: the guest\'s preempt_count (hardirq, softirq, BH-off, NMI, depth) and current->need_resched', () => {
    const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
    const ft = b.ftrace!;
    const tr = startBootTracing(b.kernel, ft.core, ft.arch, { tracer: 'nop' });
    expect(runFor(b, 1_000_000)).toBeNull();
    const cpu = b.kernel.cpus[0];
    const ti = threadInfoOf(cpu.getReg(RSP));
    const g = readGuestPreempt(b.machine.mem, cpu.getReg(RSP))!;
    const mem = b.machine.mem;
    const saved = { pc: mem.readU64(ti + BigInt(TI_PREEMPT_COUNT)), nr: mem.read(g.task + BigInt(TASK_NEED_RESCHED), 1) };
    const lat = (pc: number, nr: number): string => {
      mem.writeU64(ti + BigInt(TI_PREEMPT_COUNT), BigInt(pc));
      mem.write(g.task + BigInt(TASK_NEED_RESCHED), Uint8Array.of(nr));
      const c = tr.traceCtx(cpu);
      return latencyFlags(c.flags & ~TRACE_FLAG_IRQS_OFF, c.pc);
    };
    expect(lat(0, 0)).toBe('.....');
    expect(lat(0, 1)).toBe('.n...');
    expect(lat(HARDIRQ_OFFSET, 0)).toBe('..h..');
    expect(lat(SOFTIRQ_OFFSET, 0)).toBe('..s..');
    expect(lat(HARDIRQ_OFFSET | SOFTIRQ_OFFSET | 2, 1)).toBe('.nH2.');
    expect(lat(NMI_OFFSET | HARDIRQ_OFFSET, 0)).toBe('..Z..');
    expect(lat(SOFTIRQ_DISABLE_OFFSET, 0)).toBe('b....');
    expect(lat(0x23, 0)).toBe('...f.'); // the depth digit is capped at 15
    mem.writeU64(ti + BigInt(TI_PREEMPT_COUNT), saved.pc);
    mem.write(g.task + BigInt(TASK_NEED_RESCHED), saved.nr);
    expect(runFor(b, 200_000)).toBeNull();
  });

  it('callees of the timer interrupt show hardirq, of the NMI handler NMI+hardirq (Z), the NMI handler itself NMI alone (z), softirq handlers s; task context none of them', () => {
    const ev = fnEvents(fnRun());
    const ctx = (f: number): string => (f & TRACE_FLAG_NMI ? (f & TRACE_FLAG_HARDIRQ ? 'Z' : 'z') : f & TRACE_FLAG_HARDIRQ ? (f & TRACE_FLAG_SOFTIRQ ? 'H' : 'h') : f & TRACE_FLAG_SOFTIRQ ? 's' : '.');
    const pick = (pred: (e: { name: string; parent: string }) => boolean): string[] => ev.filter(pred).map((e) => ctx(e.flags));
    const inTick = pick((e) => e.parent === 'tick_handler' && e.name !== 'irq_enter' && e.name !== 'irq_exit');
    expect(inTick.length).toBeGreaterThan(10);
    expect([...new Set(inTick)]).toEqual(['h']);
    const nmi = pick((e) => e.name === 'nmi_handler' && e.parent === 'asm_exc_nmi');
    expect(nmi.length).toBeGreaterThan(10);
    // 'z' alone, or 'Z' when the NMI struck inside a hardirq (the interrupted context's irq_enter
    // count is still in preempt_count when nmi_handler is entered, before its own nmi_enter)
    expect(nmi.filter((f) => f === 'z').length).toBeGreaterThan(nmi.length / 2);
    expect([...new Set(nmi)].sort().filter((f) => f !== 'z' && f !== 'Z')).toEqual([]);
    const inNmi = pick((e) => e.parent === 'nmi_handler');
    expect(inNmi.length).toBeGreaterThan(10);
    expect([...new Set(inNmi)]).toEqual(['Z']);
    const soft = pick((e) => e.parent === '__do_softirq');
    expect(soft.length).toBeGreaterThan(10);
    expect([...new Set(soft)]).toEqual(['s']);
    // negative control: the same check on task-context calls (system calls) finds no interrupt context
    const task = pick((e) => e.parent === 'ksys_read' || e.name === 'do_sys_open');
    expect(task.length).toBeGreaterThan(10);
    expect([...new Set(task)]).toEqual(['.']);
  });

  it('irqs-off: every event in the timer and NMI handlers shows d; some task context runs with interrupts on', () => {
    const ev = fnEvents(fnRun());
    const inIrq = ev.filter((e) => e.parent === 'tick_handler' || e.parent === 'nmi_handler');
    expect(inIrq.length).toBeGreaterThan(10);
    expect(inIrq.filter((e) => !(e.flags & TRACE_FLAG_IRQS_OFF))).toEqual([]);
    expect(ev.some((e) => !(e.flags & TRACE_FLAG_IRQS_OFF))).toBe(true);
  });
});
