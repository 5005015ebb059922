// Per-ops trampolines on x86 (create_trampoline, freed after RCU-tasks), the RCU-tasks wait and its negative controls (a task preempted inside a freed trampoline; an update that cannot sleep), snapshots taken with ftrace on, and the registry of patching protocols.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, BootError, type Booted, type FtraceBootOptions } from '../src/runner.js';
import { checkX86Records } from '../src/arch/x86/ftrace.js';
import { FtraceOps, FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_SAVE_REGS } from '../src/ftrace/ops.js';
import { FTRACE_FL_TRAMP_EN } from '../src/ftrace/record.js';
import { showEnabledFunctions } from '../src/ftrace/show.js';
import { addrToNum } from '../src/machine/memory.js';
import { RESCHEDULE_VECTOR } from '../src/kernel/layout.js';
import { IF } from '../src/machine/x86/cpu.js';
import {
  patchProtocol, PatchProtocolError, PATCH_PROTOCOL_NAMES, DEFAULT_PATCH_PROTOCOL,
} from '../src/kernel/patch_protocol.js';
import type { FtraceCall } from '../src/ftrace/ftrace.js';
import { runLive, runFor, runUntilSmp, isProblem, type LiveProblem } from './helpers/live.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

/** Functions every CPU's workers call in task context. */
const FUNCS = ['crc32_le', 'do_syscall_64', 'fput'];

function bootSmp(seed: number, ftrace: FtraceBootOptions = {}): Booted {
  const b = boot(image, 'vmlinux', {
    cpus: 4, seed, nmiRate: 20, maxQuantum: 200, ftrace,
    pokeSymbols: { workload_iterations: 50n, smp_workload_iterations: 100_000n },
  });
  expect(runUntilSmp(b)).toBeNull();
  return b;
}

const ok = <T>(r: T | LiveProblem): T => {
  if (isProblem(r)) throw new Error(r.what);
  return r;
};

/** Where the 5-byte call at `ip` goes, or null if it is not a call. */
function callTarget(b: Booted, ip: bigint): bigint | null {
  const bytes = b.machine.mem.read(ip, 5);
  if (bytes[0] !== 0xe8) return null;
  return ip + 5n + BigInt(new DataView(bytes.buffer, bytes.byteOffset).getInt32(1, true));
}

function siteOf(b: Booted, name: string): bigint {
  const rec = [...b.ftrace!.core.allRecords()].find((r) => r.func.name === name);
  if (rec === undefined) throw new Error(`no record for ${name}`);
  return rec.ip;
}

function register(b: Booted, cpu: number, ops: FtraceOps, filter: string): number {
  const ft = b.ftrace!;
  return ok(runLive(b, cpu, (function* (): FtraceCall<number> {
    const e = yield* ft.core.ftraceSetFilter(ops, filter, true);
    return e || (yield* ft.core.registerFtraceFunction(ops));
  })()));
}

/** An ops counting its calls per CPU, and whether each came with itself as the ops argument. */
function countingOps(b: Booted, name: string, flags = FTRACE_OPS_FL_DYNAMIC): { ops: FtraceOps; perCpu: number[]; wrongOp: number } {
  const out = { ops: null as unknown as FtraceOps, perCpu: [0, 0, 0, 0], wrongOp: 0 };
  out.ops = new FtraceOps(name, (_ip, _parent, op) => {
    const c = b.ftrace!.arch.current;
    if (c !== null) out.perCpu[c.id]++;
    if (op !== out.ops) out.wrongOp++;
  }, flags);
  return out;
}

describe('per-ops trampolines (x86 create_trampoline)', () => {
  it('one ops on a few functions gets its own trampoline; the sites call it; its callback fires through it on 4 CPUs; a second ops sends the shared site back to the list function; unregistering frees each trampoline only after the RCU-tasks wait', () => {
    const b = bootSmp(1);
    const ft = b.ftrace!;
    const k = b.kernel;
    const clean = (): void => expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
    const events: string[] = [];
    const sync = ft.arch.synchronizeRcuTasks.bind(ft.arch);
    ft.arch.synchronizeRcuTasks = function* () {
      events.push('rcu-tasks begin');
      yield* sync();
      events.push('rcu-tasks end');
    };
    const free = ft.arch.ftraceTrampolineFree.bind(ft.arch);
    ft.arch.ftraceTrampolineFree = (ops) => {
      events.push(`free ${ops.name}`);
      free(ops);
    };

    // ---- A alone: its trampoline
    const A = countingOps(b, 'count_a');
    expect(register(b, 1, A.ops, FUNCS.join(' '))).toBe(0);
    clean();
    const trampA = A.ops.trampoline;
    expect(trampA).not.toBe(0n);
    expect(k.vm.findArea(trampA)?.kind).toBe('module');
    for (const f of FUNCS) {
      expect(callTarget(b, siteOf(b, f)), f).toBe(trampA);
      const rec = [...ft.core.allRecords()].find((r) => r.func.name === f)!;
      expect(rec.has(FTRACE_FL_TRAMP_EN)).toBe(true);
    }
    // the trampoline's call goes straight to A's function
    expect(ft.arch.trampolineCallTarget({ addr: trampA })).toBe(ft.arch.funcAddr(ft.core.opsRawFunc(A.ops)));
    // enabled_functions as the kernel prints it: %pS of a trampoline is its bare address
    const text = showEnabledFunctions(ft.core);
    const hexA = trampA.toString(16);
    expect(text).toMatch(new RegExp(`^crc32_le \\(1\\) {11}\\ttramp: 0x${hexA} \\(count_a\\) ->count_a$`, 'm'));
    // every call of A's callback from now on comes through its trampoline (the host sees its ops id)
    const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
    const viaTrampBefore = ft.arch.stats.trampolineCalls;
    const callsBefore = sum(A.perCpu);
    A.perCpu.fill(0);
    expect(runFor(b, 400_000)).toBeNull();
    expect(A.perCpu.every((n) => n > 0), `calls per CPU ${A.perCpu}`).toBe(true);
    expect(A.wrongOp).toBe(0);
    expect(ft.arch.stats.trampolineCalls - viaTrampBefore).toBe(sum(A.perCpu));
    A.perCpu[0] += callsBefore;

    // ---- B (SAVE_REGS) on crc32_le too: that site goes back to the shared regs caller, whose call is the list function
    const B = countingOps(b, 'count_b', FTRACE_OPS_FL_DYNAMIC | FTRACE_OPS_FL_SAVE_REGS);
    expect(register(b, 2, B.ops, 'crc32_le')).toBe(0);
    clean();
    const trampB = B.ops.trampoline;
    expect(trampB).not.toBe(0n);
    expect(callTarget(b, siteOf(b, 'crc32_le'))).toBe(ft.arch.ftraceRegsCaller);
    expect(ft.core.callerFunc).toBe(ft.core.listFunc);
    expect(callTarget(b, siteOf(b, 'fput'))).toBe(trampA); // A alone there still
    expect(k.vm.findArea(trampA)).toBeDefined(); // A is still registered: its trampoline stays
    expect(events).toEqual([]);
    const aBefore = A.perCpu.reduce((x, y) => x + y, 0);
    expect(runFor(b, 300_000)).toBeNull();
    expect(A.perCpu.reduce((x, y) => x + y, 0)).toBeGreaterThan(aBefore);
    expect(B.perCpu.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);

    // ---- A goes: crc32_le now has B alone and calls B's regs trampoline; A's is freed after the wait
    const gps = ft.arch.rcu.stats.gps;
    expect(ok(runLive(b, 3, ft.core.unregisterFtraceFunction(A.ops)))).toBe(0);
    clean();
    expect(events).toEqual(['rcu-tasks begin', 'rcu-tasks end', 'free count_a']);
    expect(ft.arch.rcu.stats.gps).toBe(gps + 1);
    expect(A.ops.trampoline).toBe(0n);
    expect(k.vm.findArea(trampA)).toBeUndefined();
    expect(() => b.machine.mem.read(trampA, 1)).toThrow();
    expect(callTarget(b, siteOf(b, 'crc32_le'))).toBe(trampB);
    expect(callTarget(b, siteOf(b, 'fput'))).toBeNull();
    expect(runFor(b, 300_000)).toBeNull();

    // ---- B goes: every site is the nop again, both trampolines are gone
    events.length = 0;
    expect(ok(runLive(b, 0, ft.core.unregisterFtraceFunction(B.ops)))).toBe(0);
    clean();
    expect(events).toEqual(['rcu-tasks begin', 'rcu-tasks end', 'free count_b']);
    expect(k.vm.findArea(trampB)).toBeUndefined();
    expect(ft.arch.trampolines()).toEqual([]);
    expect(callTarget(b, siteOf(b, 'crc32_le'))).toBeNull();
    expect(runFor(b, 200_000)).toBeNull();
    expect(ft.arch.stats.trampolines).toBe(2);
    expect(ft.arch.stats.trampolinesFreed).toBe(2);
  });
});

describe('DYNAMIC ops come and go while 4 CPUs run', () => {
  it('each registration makes a trampoline and each unregistration frees it after a grace period; no task is ever inside one when it is freed; no monitor fires', () => {
    const b = bootSmp(3);
    const ft = b.ftrace!;
    for (let round = 0; round < 4; round++) {
      const P = countingOps(b, `plain_${round}`);
      const R = countingOps(b, `regs_${round}`, FTRACE_OPS_FL_DYNAMIC | FTRACE_OPS_FL_SAVE_REGS);
      expect(register(b, round % 4, P.ops, FUNCS.join(' '))).toBe(0);
      expect(register(b, (round + 1) % 4, R.ops, 'fput do_syscall_64')).toBe(0);
      expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
      expect(runFor(b, 100_000)).toBeNull();
      expect(ok(runLive(b, (round + 2) % 4, ft.core.unregisterFtraceFunction(P.ops)))).toBe(0);
      expect(ok(runLive(b, (round + 3) % 4, ft.core.unregisterFtraceFunction(R.ops)))).toBe(0);
      expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
      expect(P.wrongOp + R.wrongOp).toBe(0);
    }
    expect(runFor(b, 100_000)).toBeNull();
    expect(ft.arch.stats.trampolines).toBe(8);
    expect(ft.arch.stats.trampolinesFreed).toBe(8);
    expect(ft.arch.trampolines()).toEqual([]);
    expect(ft.arch.freedInUse).toEqual([]);
    expect(ft.arch.rcu.stats.gps).toBe(8);
    console.log(`dynamic ops: 8 trampolines made and freed, ${ft.arch.rcu.stats.holdouts} holdouts, ${ft.arch.rcu.stats.waits} wait steps, ${ft.arch.stats.sleeps} writer sleeps`);
  });
});

// ---------------------------------------------------------------- a task preempted inside a trampoline

interface PreemptRun {
  /** The problem that stopped the run after the trampoline was freed, if any. */
  problem: string | null;
  tramp: bigint;
  trampSize: number;
  victim: string;
  stoppedIp: bigint;
  holdouts: number;
  sleeps: number;
  freed: number;
  /** What the free found still inside the trampoline (invariant 5). */
  inUse: string[];
}

/**
 * A DYNAMIC ops with a trampoline on FUNCS. Step the machine one instruction at a time until some
 * CPU runs a task (not an interrupt) inside the trampoline with interrupts on; there, spawn the
 * writer task that unregisters the ops on that CPU and send it the reschedule IPI: the task is
 * preempted inside the trampoline and queued behind the writer, which then frees the trampoline.
 */
function preemptedInsideTrampoline(seed: number, rcuTasks: 'full' | 'ipi_only', from: 'task' | 'host' = 'task'): PreemptRun {
  const b = bootSmp(seed, { rcuTasks });
  const ft = b.ftrace!;
  const k = b.kernel;
  const V = countingOps(b, 'victim_ops');
  expect(register(b, 1, V.ops, FUNCS.join(' '))).toBe(0);
  const tramp = V.ops.trampoline;
  const lo = addrToNum(tramp);
  const hi = lo + V.ops.trampolineSize;
  let cpu = -1;
  for (let i = 0; i < 2_000_000 && cpu < 0; i++) {
    expect(runFor(b, 1)).toBeNull();
    for (const c of k.cpus) {
      const rip = addrToNum(c.getRip());
      if (rip < lo || rip >= hi || k.hostThreadRunning(c.id)) continue;
      if (k.current[c.id].idle || (c.getFlags() & IF) === 0 || ft.arch.contextOf(c) !== 'normal') continue;
      cpu = c.id;
      break;
    }
  }
  expect(cpu).toBeGreaterThanOrEqual(0);
  const victim = k.current[cpu];
  let result: number | null = null;
  const unregister = ft.core.unregisterFtraceFunction(V.ops);
  // 'host': a task that does nothing displaces the victim; the update then runs as a bare host thread
  ft.arch.startLiveTask(cpu, from === 'task' ? unregister : (function* (): FtraceCall<number> { return 0; })(), (r) => { if (from === 'task') result = r; });
  // the reschedule IPI arrives now (not held back at slice boundaries: a held-back IPI lets the CPU
  // run on for the rest of its slice, out of the trampoline, now that a slice the step limit cuts goes on)
  k.cpus[cpu].raiseIrq(RESCHEDULE_VECTOR);
  for (let i = 0; i < 10_000 && victim.state === 'running'; i++) expect(runFor(b, 1)).toBeNull();
  if (from === 'host') {
    for (let i = 0; i < 10_000 && k.hostThreadRunning(cpu); i++) expect(runFor(b, 1)).toBeNull();
    ft.arch.startLive(cpu, unregister, (r) => { result = r; });
  }
  const out: PreemptRun = {
    problem: null, tramp, trampSize: V.ops.trampolineSize, victim: `${victim.name} (pid ${victim.pid})`, stoppedIp: victim.stoppedIp, holdouts: 0, sleeps: 0, freed: 0, inUse: [],
  };
  // then until the writer is done and a while after (the timer slice is 1M cycles: the tasks queued
  // before the writer may use theirs first)
  let after = 0;
  for (let i = 0; i < 1000 && out.problem === null && after < 20; i++) {
    const p = runFor(b, 50_000);
    if (p) out.problem = p.what;
    if (result !== null) after++;
  }
  if (out.problem === null) expect(result).toBe(0);
  out.holdouts = ft.arch.rcu.stats.holdouts;
  out.sleeps = ft.arch.stats.sleeps;
  out.freed = ft.arch.stats.trampolinesFreed;
  out.inUse = ft.arch.freedInUse.map((f) => `${f.ops}: ${f.tasks.join(', ')}`);
  if (out.problem === null) expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
  return out;
}

describe('RCU-tasks before a trampoline is freed', () => {
  it('a task preempted inside the trampoline holds the free back until it has left; the writer sleeps meanwhile; no monitor fires', () => {
    const r = preemptedInsideTrampoline(1, 'full');
    const inside = addrToNum(r.stoppedIp) >= addrToNum(r.tramp) && addrToNum(r.stoppedIp) < addrToNum(r.tramp) + r.trampSize;
    expect(inside, `${r.victim} stopped at 0x${r.stoppedIp.toString(16)}, trampoline at 0x${r.tramp.toString(16)}`).toBe(true);
    expect(r.problem).toBeNull();
    expect(r.holdouts).toBeGreaterThan(0);
    expect(r.sleeps).toBeGreaterThan(0);
    expect(r.freed).toBe(1);
    expect(r.inUse).toEqual([]);
  });

  it('an update that cannot sleep (a bare host thread on the CPU where the task waits) is stopped with a precise error, not a hang', () => {
    const r = preemptedInsideTrampoline(1, 'full', 'host');
    expect(r.freed).toBe(0);
    expect(r.problem).toMatch(/synchronize_rcu_tasks on CPU \d would wait forever: kworker\/\d+:\d+ \(pid \d+\) is preempted in the text being freed, queued on this CPU, and the caller cannot sleep/);
  });

  it('negative control: with only the IPI round (synchronize_rcu_tasks_rude alone) the preempted task resumes into the freed trampoline: invariant 5 stops it at the iret', () => {
    const r = preemptedInsideTrampoline(1, 'ipi_only');
    expect(r.freed).toBe(1);
    expect(r.inUse).toEqual([`victim_ops: ${r.victim}`]);
    expect(r.problem).not.toBeNull();
    expect(r.problem!).toContain(`(${r.victim.replace(' (pid', ', pid').replace(/\)$/, '')}) irets back into ftrace trampoline (victim_ops), freed while it was inside`);
    const at = /it was interrupted in it at 0x([0-9a-f]+)/.exec(r.problem!);
    expect(at, r.problem!).not.toBeNull();
    const fault = BigInt(`0x${at![1]}`);
    expect(fault >= r.tramp && fault < r.tramp + BigInt(r.trampSize)).toBe(true);
    console.log(`rcu-tasks negative control: ${r.victim}, preempted at 0x${r.stoppedIp.toString(16)} in the trampoline at 0x${r.tramp.toString(16)}: ${r.problem!.split('\n')[0]}`);
  });
});

// ---------------------------------------------------------------- snapshots with ftrace on

describe('a snapshot taken while ftrace is on', () => {
  it('restores the core and the backend too: the run after the restore traces exactly what the run after the snapshot did, though ftrace was changed in between; without the hook the restored run breaks', () => {
    const b = bootSmp(2);
    const ft = b.ftrace!;
    const k = b.kernel;
    const log: string[] = [];
    const A = new FtraceOps('snap_a', (ip) => {
      const c = ft.arch.current!;
      log.push(`${c.id} ${ft.arch.formatSym(ip)} ${c.now()}`);
    }, FTRACE_OPS_FL_DYNAMIC);
    expect(register(b, 1, A, FUNCS.join(' '))).toBe(0);
    const trampA = A.trampoline;
    expect(runFor(b, 50_000)).toBeNull();
    expect(k.quiescent()).toBe(true);
    const snap = k.snapshot();

    log.length = 0;
    expect(runFor(b, 300_000)).toBeNull();
    const first = [...log];
    expect(first.length).toBeGreaterThan(20);
    // change ftrace: a second ops shares crc32_le, then A goes (its trampoline freed)
    const B = countingOps(b, 'snap_b');
    expect(register(b, 2, B.ops, 'crc32_le')).toBe(0);
    expect(ok(runLive(b, 3, ft.core.unregisterFtraceFunction(A)))).toBe(0);
    expect(k.vm.findArea(trampA)).toBeUndefined();
    expect(runFor(b, 50_000)).toBeNull();

    k.restore(snap);
    expect(ft.core.opsList).toEqual([A]);
    expect(A.trampoline).toBe(trampA);
    expect(B.ops.trampoline).toBe(0n);
    expect(ft.arch.trampolines().map((t) => t.ops)).toEqual([A]);
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
    log.length = 0;
    expect(runFor(b, 300_000)).toBeNull();
    expect(log).toEqual(first);
    // and ftrace goes on from there
    expect(ok(runLive(b, 3, ft.core.unregisterFtraceFunction(A)))).toBe(0);
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
    expect(k.vm.findArea(trampA)).toBeUndefined();

    // negative control: the same without the hook (the kernel's state alone)
    expect(register(b, 1, A, FUNCS.join(' '))).toBe(0);
    expect(runFor(b, 50_000)).toBeNull();
    k.snapshotHooks.length = 0;
    const bare = k.snapshot();
    expect(ok(runLive(b, 2, ft.core.unregisterFtraceFunction(A)))).toBe(0);
    k.restore(bare);
    expect(checkX86Records(ft.core, ft.arch).length).toBeGreaterThan(0);
    expect(runFor(b, 300_000)?.what).toMatch(/which no live trampoline has/);
  });
});

// ---------------------------------------------------------------- the protocol registry

describe('patching protocols by name', () => {
  it('the registry gives each named protocol, marks the negative controls, and refuses unknown names with the list of known ones', () => {
    expect(DEFAULT_PATCH_PROTOCOL).toBe('text_poke_bp');
    for (const n of PATCH_PROTOCOL_NAMES) expect(patchProtocol(n).name).toBe(n);
    expect(patchProtocol('text_poke_bp').negativeControl).toBe(false);
    expect(patchProtocol('int3_emulate').name).toBe('text_poke_bp');
    expect(patchProtocol('int3_skip').negativeControl).toBe(true);
    expect(patchProtocol('text_poke_bp_nosync2').negativeControl).toBe(true);
    const known = 'known protocols: text_poke_bp, int3_skip, text_poke_bp_nosync1, text_poke_bp_nosync2, text_poke_bp_nosync3, naive, two_part_nop, stop_machine, nmi_safe';
    expect(() => patchProtocol('text_poke')).toThrow(PatchProtocolError);
    expect(() => patchProtocol('text_poke')).toThrow(`unknown patching protocol 'text_poke'; ${known}`);
    expect(patchProtocol('stop_machine').name).toBe('stop_machine');
    expect(() => patchProtocol('stop-machine')).toThrow(`unknown patching protocol 'stop-machine'; ${known}`);
    expect(() => patchProtocol('toString')).toThrow(PatchProtocolError);
  });

  it('boot picks the protocol by name for every live batch; an unknown name is a BootError', () => {
    const b = boot(image, 'vmlinux', { cpus: 2, ftrace: { protocol: 'int3_skip' } });
    expect(b.ftrace!.arch.protocol.name).toBe('int3_skip');
    expect(boot(image, 'vmlinux', { cpus: 2 }).ftrace!.arch.protocol.name).toBe('text_poke_bp');
    expect(() => boot(image, 'vmlinux', { ftrace: { protocol: 'naive!' } })).toThrow(BootError);
    expect(() => boot(image, 'vmlinux', { ftrace: { protocol: 'naive!' } })).toThrow(/^unknown patching protocol 'naive!'; known protocols: text_poke_bp, /);
  });
});
