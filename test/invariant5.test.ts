// Invariant 5 as a monitor: no CPU comes back into a trampoline or stub that was freed or rewritten (outside its patchable call) while it was inside; clean with RCU-tasks, fires with its broken variants and with a rewrite.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, type Booted, type FtraceBootOptions } from '../src/runner.js';
import { FtraceOps, FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_SAVE_REGS } from '../src/ftrace/ops.js';
import { addrToNum, numToAddr } from '../src/machine/memory.js';
import { TextLifetimes } from '../src/machine/lifetimes.js';
import { RESCHEDULE_VECTOR } from '../src/kernel/layout.js';
import { IF } from '../src/machine/x86/cpu.js';
import type { Violation } from '../src/kernel/kernel.js';
import type { FtraceCall } from '../src/ftrace/ftrace.js';
import { runLive, runUntilSmp, isProblem } from './helpers/live.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));
const FUNCS = 'crc32_le do_syscall_64 fput';

function bootSmp(seed: number, ftrace: FtraceBootOptions): Booted {
  const b = boot(image, 'vmlinux', { cpus: 4, seed, nmiRate: 20, maxQuantum: 200, ftrace, pokeSymbols: { workload_iterations: 50n, smp_workload_iterations: 100_000n } });
  expect(runUntilSmp(b)).toBeNull();
  return b;
}

/** Run `steps` more; the violation that stopped the run, if any (other stops are test failures). */
function run(b: Booted, steps: number): Violation | null {
  const o = b.kernel.run(b.kernel.steps + steps);
  if (o.error) throw new Error(o.error);
  return o.violation ?? null;
}

function ops(name: string, flags = FTRACE_OPS_FL_DYNAMIC): FtraceOps {
  return new FtraceOps(name, () => undefined, flags);
}

function live<T>(b: Booted, cpu: number, call: FtraceCall<T>): T | Violation {
  const r = runLive(b, cpu, call);
  if (!isProblem(r)) return r;
  const v = b.kernel.cpus.map((c) => c.violation).find((x) => x !== null);
  if (v === undefined) throw new Error(r.what);
  return b.kernel.describeViolation(b.kernel.cpus.find((c) => c.violation === v)!);
}

const isViolation = (x: unknown): x is Violation => typeof x === 'object' && x !== null && 'invariant' in x;

function register(b: Booted, cpu: number, o: FtraceOps, filter: string): number | Violation {
  const ft = b.ftrace!;
  return live(b, cpu, (function* (): FtraceCall<number> {
    const e = yield* ft.core.ftraceSetFilter(o, filter, true);
    return e || (yield* ft.core.registerFtraceFunction(o));
  })());
}

/** Tracer on and off `rounds` times (a plain and a regs DYNAMIC ops, each with its trampoline) while 4 CPUs call the traced functions. */
function onOff(seed: number, rcuTasks: 'full' | 'ipi_only' | 'none', rounds: number): { violation: Violation | null; round: number; freed: number; seen: number } {
  const b = bootSmp(seed, { rcuTasks });
  const ft = b.ftrace!;
  for (let round = 0; round < rounds; round++) {
    const P = ops(`plain_${round}`), R = ops(`regs_${round}`, FTRACE_OPS_FL_DYNAMIC | FTRACE_OPS_FL_SAVE_REGS);
    const steps: (() => unknown)[] = [
      () => register(b, round % 4, P, FUNCS), () => register(b, (round + 1) % 4, R, 'fput do_syscall_64'), () => run(b, 100_000),
      () => live(b, (round + 2) % 4, ft.core.unregisterFtraceFunction(P)), () => live(b, (round + 3) % 4, ft.core.unregisterFtraceFunction(R)),
    ];
    for (const s of steps) {
      const r = s();
      if (isViolation(r)) return { violation: r, round, freed: ft.arch.stats.trampolinesFreed, seen: seen(b) };
    }
  }
  return { violation: run(b, 100_000), round: rounds, freed: ft.arch.stats.trampolinesFreed, seen: seen(b) };
}

/** Trampoline frees the monitor heard of. */
const seen = (b: Booted): number => b.machine.lifetimes.save().events.filter((e) => e.how === 'freed' && e.label.startsWith('ftrace trampoline')).length;

/**
 * A DYNAMIC ops with a trampoline; step until a task on some CPU runs inside it with interrupts on,
 * then have a writer task on that CPU preempt it and unregister the ops (freeing the trampoline after
 * the RCU-tasks wait in force). Returns what stopped the run, if anything.
 */
function freeUnderPreemptedTask(seed: number, rcuTasks: 'full' | 'ipi_only' | 'none'): { violation: Violation | null; victim: string; tramp: bigint } {
  const b = bootSmp(seed, { rcuTasks });
  const ft = b.ftrace!, k = b.kernel;
  const V = ops('victim_ops');
  expect(register(b, 1, V, FUNCS)).toBe(0);
  const tramp = V.trampoline, lo = addrToNum(tramp), hi = lo + V.trampolineSize;
  let cpu = -1;
  for (let i = 0; i < 2_000_000 && cpu < 0; i++) {
    expect(run(b, 1)).toBeNull();
    cpu = k.cpus.findIndex((c) => {
      const rip = addrToNum(c.getRip());
      return rip >= lo && rip < hi && !k.hostThreadRunning(c.id) && !k.current[c.id].idle && (c.getFlags() & IF) !== 0 && ft.arch.contextOf(c) === 'normal';
    });
  }
  expect(cpu).toBeGreaterThanOrEqual(0);
  const victim = k.current[cpu];
  ft.arch.startLiveTask(cpu, ft.core.unregisterFtraceFunction(V), () => undefined);
  k.cpus[cpu].raiseIrq(RESCHEDULE_VECTOR);
  let v: Violation | null = null;
  for (let i = 0; i < 400 && v === null; i++) v = run(b, 50_000);
  return { violation: v, victim: `${victim.name}, pid ${victim.pid}`, tramp };
}

describe('invariant 5: trampolines freed under running CPUs', () => {
  it('with RCU-tasks (full) a tracer switched on and off with per-ops trampolines on 4 busy CPUs is clean over several seeds, and the monitor saw every free', () => {
    for (const seed of [1, 2, 3]) {
      const r = onOff(seed, 'full', 3);
      expect(r.violation, r.violation?.summary).toBeNull();
      expect(r.freed).toBe(6);
      expect(r.seen).toBe(6);
    }
  });

  it('with RCU-tasks (full) a task preempted inside the trampoline holds the free back: no violation', () => {
    const r = freeUnderPreemptedTask(1, 'full');
    expect(r.violation, r.violation?.summary).toBeNull();
  });

  for (const mode of ['none', 'ipi_only'] as const) {
    it(`negative control: rcuTasks '${mode}' frees the trampoline under the preempted task; invariant 5 fires when it resumes, naming the ops, the task and when it was freed`, () => {
      const r = freeUnderPreemptedTask(1, mode);
      expect(r.violation).not.toBeNull();
      const v = r.violation!;
      expect(v.invariant, v.summary).toBe(5);
      expect(v.kind).toBe('text-freed-or-rewritten-in-use');
      expect(v.summary).toContain(`(${r.victim}) irets back into ftrace trampoline (victim_ops), freed while it was inside`);
      expect(v.summary).toMatch(/was freed at t=\d+/);
      const at = addrToNum(v.rip);
      expect(at >= addrToNum(r.tramp) && at < addrToNum(r.tramp) + 4096).toBe(true);
    });
  }
});

describe('invariant 5: trampolines rewritten under running CPUs', () => {
  /** Step until some CPU is inside the ops' trampoline (called out of it into the callback); then write `bytes` at `off` in it, as text_poke would. */
  function writeWhileInside(off: (callAt: number, lo: number) => number, len: number): Violation | null {
    const b = bootSmp(2, { rcuTasks: 'full' });
    const k = b.kernel;
    const V = ops('rw_ops');
    expect(register(b, 1, V, FUNCS)).toBe(0);
    const lo = addrToNum(V.trampoline), hi = lo + V.trampolineSize;
    const callAt = addrToNum(b.ftrace!.arch.trampolines().find((t) => t.ops === V)!.addr) + (addrToNum(b.ftrace!.arch.callers.ftraceCall) - addrToNum(b.ftrace!.arch.callers.ftraceCaller));
    let inside = -1;
    for (let i = 0; i < 2_000_000 && inside < 0; i++) {
      expect(run(b, 1)).toBeNull();
      inside = k.cpus.findIndex((c) => { const s = k.flow!.shadows[c.id]; for (let j = 0; j < s.depth; j++) if (s.addrs[j] >= lo && s.addrs[j] < hi) return true; return false; });
    }
    expect(inside).toBeGreaterThanOrEqual(0);
    const at = off(callAt, lo);
    // the same bytes: what matters is that text under a CPU was written, not what it now says
    k.machine.mem.textWrite(numToAddr(at), k.machine.mem.read(numToAddr(at), len), k.machine.clock.now, 0);
    let v: Violation | null = null;
    for (let i = 0; i < 20 && v === null; i++) v = run(b, 50_000);
    return v;
  }

  it('a write to the trampoline body while a CPU is called out of it is invariant 5 when that CPU returns', () => {
    const v = writeWhileInside((callAt) => callAt + 5, 1);
    expect(v).not.toBeNull();
    expect(v!.invariant, v!.summary).toBe(5);
    expect(v!.summary).toMatch(/returned back into ftrace trampoline \(rw_ops\), rewritten while it was inside.*outside its patchable call/);
  });

  it('negative control of the exception: rewriting the patchable call itself (text_poke_bp\'s job) is not a violation', () => {
    expect(writeWhileInside((callAt) => callAt, 5)).toBeNull();
  });
});

describe('TextLifetimes (the machine half)', () => {
  it('reports a free or rewrite after a context entered, not before; ignores the patchable part; restores from a snapshot', () => {
    const t = new TextLifetimes();
    t.guard(0x1000, 0x100, 'stub', [[0x1010, 5]]);
    t.onTextWrite(0x1010, 5, 10, 0);
    expect(t.after(0x1020, 0)).toBeUndefined();
    const s = t.save();
    t.onTextWrite(0x1014, 2, 20, 1); // one byte past the patchable call
    expect(t.after(0x1020, 15)?.how).toBe('rewritten');
    expect(t.after(0x1020, 25)).toBeUndefined();
    t.retire(0x1000, 0x100, 30, 'stub');
    expect(t.after(0x10ff, 25)?.how).toBe('freed');
    expect(t.freedAt(0x1100)).toBeUndefined();
    t.onTextWrite(0x1040, 1, 40, 0); // no longer guarded once freed
    expect(t.after(0x1040, 35)).toBeUndefined();
    t.restore(s);
    expect(t.after(0x1020, 0)).toBeUndefined();
    expect(t.freedAt(0x1000)).toBeUndefined();
  });
});
