// kernel-services.test.ts — services the kernel already had: the hypercall registry, host handlers that throw, per-task slots with their notifiers, the time host code sees.

import { describe, it, expect } from 'vitest';
import { Asm, RAX, RCX, RDI, RDX, RSI, R12 } from '../src/machine/x86/encoder.js';
import { tinyKernel, TEXT, DATA } from './helpers/tiny.js';
import { storeRegs } from './helpers/kapi.js';
import { HC_EXIT, HC_IRQ, HC_SMP_BOOT, HC_SPAWN, HC_YIELD } from '../src/kernel/hypercalls.js';
import { addrToNum } from '../src/machine/memory.js';
import type { Task } from '../src/kernel/kernel.js';

const HC_TEST = 0x310;
const HC_BOOM = 0x311;

describe('hypercall registry', () => {
  it('refuses a number already taken, naming the owner, and keeps the first owner', () => {
    const { kernel: k } = tinyKernel((a: Asm) => {
      a.movImm32(RAX, HC_TEST).vmcall();
      storeRegs(a, DATA, [RAX]);
      a.cli().hlt();
    });
    const m = k.machine;
    expect(() => m.registerHypercall(HC_SPAWN, 'my spawn', () => undefined)).toThrow('hypercall 3 for my spawn: already taken by spawn');
    expect(() => m.registerHypercall(HC_IRQ, 'my entry', () => undefined)).toThrow('hypercall 256 for my entry: already taken by interrupt entry');
    expect(() => m.registerHypercall(-1, 'negative', () => undefined)).toThrow('hypercall number -1 for negative: not a non-negative integer');
    m.registerHypercall(HC_TEST, 'first', (cpu) => cpu.setReg(RAX, 77n));
    expect(() => m.registerHypercall(HC_TEST, 'second', (cpu) => cpu.setReg(RAX, 88n))).toThrow(`hypercall ${HC_TEST} for second: already taken by first`);
    expect(m.hypercallName(HC_TEST)).toBe('first');
    expect(k.run(10_000).reason).toBe('halted');
    expect(m.mem.readU64(DATA)).toBe(77n);
  });

  it('a host handler that throws stops the run with reason host-error and a message naming the hypercall, not a stack trace', () => {
    for (const thrown of [new Error('kaboom'), 'a plain string']) {
      const { kernel: k, asm } = tinyKernel((a: Asm) => {
        a.movImm32(RAX, HC_BOOM).vmcall();
        a.label('after');
        a.movImm32(RAX, 1);
        storeRegs(a, DATA, [RAX]);
        a.cli().hlt();
      });
      k.machine.registerHypercall(HC_BOOM, 'boom', () => { throw thrown; });
      const o = k.run(10_000);
      expect(o.reason).toBe('host-error');
      const why = thrown instanceof Error ? thrown.message : thrown;
      // the address named is the vmcall's own
      expect(o.error).toBe(`hypercall ${HC_BOOM} (boom) on CPU 0 at 0x${(asm.addressOf('after') - 3n).toString(16)} failed in host code: ${why}`);
      expect(o.error).not.toContain('\n');
      expect(k.machine.mem.readU64(DATA)).toBe(0n); // nothing after the vmcall ran
      expect(k.cpus[0].halted).toBe(true);
    }
  });
});

describe('per-task slots and the fork / exit / switch notifiers', () => {
  it('on 2 CPUs with preemption and yields, notifiers see the right tasks at the right times and counted switches match Task.switches', () => {
    const WORKERS: [number, number][] = [[0, 3000], [1, 5000], [1, 2000], [0, 4000]]; // (cpu, loops)
    const { kernel: k, asm } = tinyKernel((a: Asm) => {
      a.label('start');
      a.movImm32(RAX, HC_SMP_BOOT).vmcall();
      for (const [cpu, loops] of WORKERS) {
        a.movLabel(RDI, 'worker').movImm32(RSI, loops).movImm32(RDX, cpu).movImm32(RAX, HC_SPAWN).vmcall();
      }
      a.movImm32(RAX, HC_EXIT).vmcall().ud2();
      a.align(16);
      a.label('worker'); // for (i = arg; i; i--) { spin 20; if (i % 64 == 0) yield(); }
      a.mov(R12, RDI);
      a.label('loop');
      a.movImm32(RCX, 20);
      a.label('spin');
      a.subImm(RCX, 1);
      a.jccLabel(5, 'spin');
      a.mov(RAX, R12);
      a.andImm(RAX, 63);
      a.jccLabel(5, 'no_yield');
      a.movImm32(RAX, HC_YIELD).vmcall();
      a.label('no_yield');
      a.subImm(R12, 1);
      a.jccLabel(5, 'loop');
      a.ret();
    }, { cpus: 2, timerHz: 200_000, seed: 3 });
    expect(asm.addressOf('worker')).toBeGreaterThan(TEXT);
    const problems: string[] = [];
    const forked: number[] = [];
    const exited: number[] = [];
    const count = k.sched.slots.register('switches seen', () => 0);
    const pids = k.sched.slots.register('pid at fork', () => -1);
    expect(() => k.sched.slots.register('switches seen', () => 1)).toThrow("task slot 'switches seen' is already registered");
    k.sched.addHooks({
      fork(t: Task) {
        forked.push(t.pid);
        k.sched.slots.set(t, pids, t.pid);
        if (t.state !== 'runnable' || t.switches !== 0) problems.push(`fork of ${t.pid} in state ${t.state}`);
      },
      exit(t: Task) {
        exited.push(t.pid);
        if (t.state !== 'dead') problems.push(`exit of ${t.pid} while ${t.state}`);
        if (k.current[t.cpu] !== t) problems.push(`exit of ${t.pid}, which is not current on its CPU ${t.cpu}`);
      },
      switchTo(prev: Task, next: Task) {
        k.sched.slots.set(next, count, k.sched.slots.get(next, count) + 1);
        if (prev === next) problems.push(`switch from ${prev.pid} to itself`);
        if (prev.cpu !== next.cpu) problems.push(`switch on CPU ${next.cpu} from ${prev.name}, a task of CPU ${prev.cpu}`);
        if (k.current[next.cpu] !== next) problems.push(`switch to ${next.name} that is not current`);
        if (next.state !== 'running') problems.push(`switch to ${next.name} in state ${next.state}`);
        if (next.switches !== k.sched.slots.get(next, count)) problems.push(`${next.name}: notifier ran before Task.switches moved`);
      },
    });
    const o = k.run(50_000_000);
    expect(o.error ?? o.violation?.summary).toBeUndefined();
    expect(o.reason).toBe('halted');
    expect(problems).toEqual([]);
    expect(forked).toEqual([2, 3, 4, 5]);
    expect([...exited].sort()).toEqual([1, 2, 3, 4, 5]);
    const all = [...k.tasks, ...k.sched.idleTasks];
    for (const t of all) expect(`${t.name}: ${k.sched.slots.get(t, count)}`).toBe(`${t.name}: ${t.switches}`);
    for (const t of k.tasks.filter((x) => x.pid > 1)) {
      expect(k.sched.slots.get(t, pids)).toBe(t.pid);
      expect(t.switches).toBeGreaterThan(10); // preempted and yielding, many times
    }
  });
});

describe('the time host code sees', () => {
  it('is the time of the current instruction: two hypercalls 100 instructions apart in one slice see times 100 apart, and so do their text writes', () => {
    const { kernel: k, machine, asm } = tinyKernel((a: Asm) => {
      a.movImm32(RAX, HC_TEST).vmcall();
      for (let i = 0; i < 98; i++) a.bytes(0x90);
      a.movImm32(RAX, HC_TEST).vmcall(); // 100 instructions after the first vmcall
      a.cli().hlt();
      a.label('scratch');
      a.bytes(0xcc, 0xcc);
    });
    const scratch = asm.addressOf('scratch');
    const region = machine.mem.find(addrToNum(scratch))!;
    const off = addrToNum(scratch) - region.start;
    const stamps: { now: number; cpuNow: number; written: number }[] = [];
    machine.registerHypercall(HC_TEST, 'stamp', (cpu) => {
      const now = machine.clock.now;
      const o = off + stamps.length;
      machine.mem.textWrite(scratch + BigInt(stamps.length), Uint8Array.of(0x90), now, cpu.id);
      // (read back at once: the scheduler prunes history no CPU can observe any more)
      stamps.push({ now, cpuNow: cpu.now(), written: region.history.get(o)!.times.at(-1)! });
    });
    const o = k.run(100_000);
    expect(o.reason).toBe('halted');
    expect(stamps).toHaveLength(2);
    expect(stamps[1].now - stamps[0].now).toBe(100);
    expect(stamps[0].now).toBe(stamps[0].cpuNow);
    expect(stamps[1].now).toBe(stamps[1].cpuNow);
    expect(stamps.map((s) => s.written)).toEqual(stamps.map((s) => s.now));
    expect(stamps[0].now).toBeGreaterThan(1); // not the start of the slice (the clock starts at 1)
  });
});
