// scheduler.test.ts — the machine's run loop as the explorer will drive it: choices with context, binary interrupt arrival, slices that end at visible operations, snapshots, lenient replay.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RAX, RDX, RSI } from '../src/machine/x86/encoder.js';
import { boot, memoryHash } from '../src/runner.js';
import { RandomChooser, RecordingChooser, ReplayChooser, ReplayDivergence, type Chooser, type ChoiceKind, type ChoiceContext } from '../src/machine/chooser.js';
import { tinyKernel, patchBed, runUntilReaders, writer, skipSiteHandler, DATA } from './helpers/tiny.js';
import { LOCAL_TIMER_VECTOR } from '../src/kernel/layout.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { HostThread } from '../src/machine/scheduler.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const image = new Uint8Array(readFileSync(join(root, 'fixtures', 'vmlinux')));

interface Asked { kind: ChoiceKind; n: number; ctx: ChoiceContext | undefined; answer: number }

/** Answers like `inner`, or with `policy` where it returns a number; keeps every question with its context. */
class Spy implements Chooser {
  readonly asked: Asked[] = [];
  constructor(private readonly inner: Chooser, private readonly policy: (kind: ChoiceKind, n: number, ctx?: ChoiceContext) => number | undefined = () => undefined) {}
  choose(kind: ChoiceKind, n: number, ctx?: ChoiceContext): number {
    const answer = this.policy(kind, n, ctx) ?? this.inner.choose(kind, n, ctx);
    this.asked.push({ kind, n, ctx: ctx === undefined ? undefined : { ...ctx, candidates: ctx.candidates?.slice(), waiting: ctx.waiting?.slice() }, answer });
    return answer;
  }
}

describe('choices carry their context and have small domains', () => {
  it('cpu choices name the runnable CPUs; arrivals and fetches name their CPU; no domain is a rate out of a million', () => {
    const spy = new Spy(new RandomChooser(3));
    const bed = patchBed({ cpus: 4, chooser: spy, loops: 20_000 });
    runUntilReaders(bed);
    bed.kernel.int3Handlers.push(skipSiteHandler(bed));
    bed.kernel.startHostThread(0, writer(bed, 'int3', 6));
    const o = bed.kernel.run(bed.kernel.steps + 3_000_000);
    expect(o.violation).toBeUndefined();
    const cpu = spy.asked.filter((a) => a.kind === 'cpu');
    expect(cpu.length).toBeGreaterThan(100);
    for (const a of cpu) {
      expect(a.ctx?.candidates?.length).toBe(a.n);
      expect(a.ctx!.candidates!.every((c) => c >= 0 && c < 4)).toBe(true);
    }
    const arrivals = spy.asked.filter((a) => a.kind === 'irq' || a.kind === 'nmi');
    expect(arrivals.length).toBeGreaterThan(10);
    for (const a of arrivals) {
      expect(a.n).toBe(2);
      expect(a.ctx?.cpu).toBeGreaterThanOrEqual(0);
      expect(a.ctx?.vector).toBeGreaterThanOrEqual(0);
    }
    // IPIs of on_each_cpu (text_poke_sync) and the timer are among them
    expect(new Set(arrivals.map((a) => a.ctx!.vector))).toContain(0xfb);
    const fetches = spy.asked.filter((a) => a.kind === 'fetch');
    expect(fetches.length).toBeGreaterThan(0);
    for (const f of fetches) expect(typeof f.ctx?.addr).toBe('number');
    expect(Math.max(...spy.asked.filter((a) => a.kind !== 'quantum').map((a) => a.n))).toBeLessThanOrEqual(4);
  });

  it('NMIs at a rate arrive through binary choices, never a threshold out of a million', () => {
    const spy = new Spy(new RandomChooser(1));
    const { kernel } = bootBundled(spy, { nmiRate: 50 });
    kernel.run(40_000_000);
    const nmi = spy.asked.filter((a) => a.kind === 'nmi');
    expect(nmi.length).toBeGreaterThan(0);
    expect(nmi.every((a) => a.n === 2)).toBe(true);
    expect(spy.asked.some((a) => a.n >= 1_000_000)).toBe(false);
  });
});

function bootBundled(chooser: Chooser, opts: { nmiRate?: number; cpus?: number } = {}): { kernel: Kernel; console: number[] } {
  const out: number[] = [];
  const b = boot(image, 'fixtures/vmlinux', { cpus: opts.cpus ?? 4, chooser, nmiRate: opts.nmiRate ?? 0 }, (c) => out.push(c));
  return { kernel: b.kernel, console: out };
}

describe('interrupt arrival', () => {
  /** A task that spins with interrupts on on CPU 1 while CPU 0 spins too; timer ticks counted per CPU by the host. */
  function timerBed(chooser: Chooser) {
    const bed = tinyKernel((a) => {
      a.label('start');
      a.movImm32(RAX, 6 /* HC_SMP_BOOT */).vmcall();
      a.sti();
      a.movImm32(RDX, 3_000_000);
      a.label('loop');
      a.subImm(RDX, 1);
      a.jccLabel(5, 'loop');
      a.cli().hlt();
    }, { cpus: 2, chooser, timerHz: 100_000 });
    const ticks: number[] = [];
    bed.kernel.traps.observers.push((cpu, _regs, vector) => { if (vector === LOCAL_TIMER_VECTOR && cpu.id === 0) ticks.push(cpu.cycles); });
    return { ...bed, ticks };
  }

  it('a due timer interrupt may be held back at slice boundaries, at most maxDefer times, then arrives', () => {
    const now = timerBed(new Spy(new RandomChooser(2), (k) => (k === 'irq' ? 0 : undefined)));
    now.kernel.run(2_000_000);
    const late = timerBed(new Spy(new RandomChooser(2), (k) => (k === 'irq' ? 1 : undefined)));
    late.kernel.run(2_000_000);
    expect(now.ticks.length).toBeGreaterThan(5);
    expect(late.ticks.length).toBeGreaterThan(5);
    // held back: the first tick lands later than the deadline of 10,000 cycles, but it does land
    const period = 10_000;
    expect(now.ticks[0] - period).toBeLessThan(50);
    expect(late.ticks[0]).toBeGreaterThan(now.ticks[0]);
  });
});

describe('an IPI from a CPU that runs alone', () => {
  it('ends the sender\'s slice: the idle receiver runs its new task at once, not after the sender\'s long lone slice', () => {
    // CPU 0 spawns a task on idle CPU 1, then counts loop iterations until the task's store is visible
    const { kernel, machine } = tinyKernel((a) => {
      a.label('start');
      a.movImm32(RAX, 6 /* HC_SMP_BOOT */).vmcall();
      // let CPU 1 reach its idle hlt first: from then on CPU 0 runs alone
      a.movImm32(RDX, 20_000);
      a.label('settle');
      a.subImm(RDX, 1);
      a.jccLabel(5, 'settle');
      a.movLabel(7 /* rdi */, 'task');
      a.movImm32(RSI, 0).movImm32(RDX, 1).movImm32(RAX, 3 /* HC_SPAWN */).vmcall();
      a.movImm64(RSI, DATA);
      a.movImm32(RDX, 0);
      a.label('wait');
      a.addImm(RDX, 1);
      a.cmpImm(RDX, 200_000);
      a.jccLabel(4, 'out');
      a.bytes(0x48, 0x83, 0x3e, 0x00); // cmpq $0,(%rsi)
      a.jccLabel(4, 'wait');
      a.label('out');
      a.bytes(0x48, 0x89, 0x56, 0x08); // mov %rdx,8(%rsi)
      a.movImm32(RAX, 5 /* HC_EXIT */).vmcall().ud2();
      a.align(16);
      a.label('task');
      a.movImm64(RSI, DATA);
      a.bytes(0x48, 0xc7, 0x06, 0x01, 0x00, 0x00, 0x00); // movq $1,(%rsi)
      a.ret();
    }, { cpus: 2 });
    const o = kernel.run(10_000_000);
    expect(o.reason).toBe('halted');
    const iterations = Number(machine.mem.readU64(DATA + 8n));
    // a lone slice is 100,000 instructions, about 20,000 iterations of this loop
    expect(iterations).toBeLessThan(5_000);
    expect(iterations).toBeGreaterThan(0);
  });
});

describe('slices end at operations other CPUs can observe', () => {
  function lockBed(chooser: Chooser, visibleSlices = true) {
    // two CPUs each run 2,000 `lock incq (DATA)` separated by 20 plain instructions
    return tinyKernel((a) => {
      a.label('start');
      a.movImm32(RAX, 6 /* HC_SMP_BOOT */).vmcall();
      a.movLabel(7 /* rdi */, 'worker');
      a.movImm32(RSI, 0).movImm32(RDX, 1).movImm32(RAX, 3 /* HC_SPAWN */).vmcall();
      a.label('worker');
      a.movImm32(RDX, 2000);
      a.label('loop');
      a.movImm64(RSI, DATA);
      a.bytes(0xf0, 0x48, 0xff, 0x06); // lock incq (%rsi)
      for (let i = 0; i < 10; i++) a.bytes(0x48, 0x89, 0xc0); // mov %rax,%rax
      a.subImm(RDX, 1);
      a.jccLabel(5, 'loop');
      a.cli().hlt();
    }, { cpus: 2, chooser, visibleSlices });
  }

  it('with two CPUs running, each slice holds at most one locked instruction', () => {
    const spy = new Spy(new RandomChooser(4), (k, n) => (k === 'quantum' ? n - 1 : undefined));
    const { kernel, machine } = lockBed(spy);
    const o = kernel.run(5_000_000);
    expect(o.reason).toBe('halted');
    expect(machine.mem.readU64(DATA)).toBe(4000n);
    // even with the longest quanta, every locked instruction ended a slice: one cpu decision each at least
    expect(spy.asked.filter((a) => a.kind === 'cpu').length).toBeGreaterThanOrEqual(3000);
  });

  it('negative control: without slice ends at visible operations, the longest quanta need far fewer decisions', () => {
    const spy = new Spy(new RandomChooser(4), (k, n) => (k === 'quantum' ? n - 1 : undefined));
    const { kernel } = lockBed(spy, false);
    kernel.run(5_000_000);
    expect(spy.asked.filter((a) => a.kind === 'cpu').length).toBeLessThan(400);
  });
});

describe('snapshots', () => {
  function runToEnd(kernel: Kernel, console: number[]) {
    const o = kernel.run(1e10);
    return {
      reason: o.reason, steps: kernel.steps, now: kernel.clock.now, console: Buffer.from(console).toString('latin1'),
      hash: memoryHash(kernel.machine), retired: kernel.cpus.map((c) => c.retired), choices: kernel.choices.length,
      last: kernel.choices.slice(-50),
    };
  }

  it('restoring a snapshot taken at a quiescent point gives exactly the run that continuing would have given, many times', () => {
    const { kernel, console } = bootBundled(new RandomChooser(9), { nmiRate: 20 });
    kernel.run(3_000_000);
    while (!kernel.quiescent()) kernel.run(kernel.steps + 100);
    const snap = kernel.snapshot();
    const mark = console.length;
    const a = runToEnd(kernel, console);
    expect(a.reason).toBe('halted');
    for (let i = 0; i < 2; i++) {
      kernel.restore(snap);
      console.length = mark;
      const b = runToEnd(kernel, console);
      expect(b).toEqual(a);
    }
  });

  it('negative control: a restore that leaves the chooser where the first run ended gives another run', () => {
    const { kernel, console } = bootBundled(new RandomChooser(9));
    kernel.run(3_000_000);
    while (!kernel.quiescent()) kernel.run(kernel.steps + 100);
    const snap = kernel.snapshot();
    const mark = console.length;
    const a = runToEnd(kernel, console);
    const broken = { ...snap, scheduler: { ...snap.scheduler, chooser: { ...snap.scheduler.chooser, inner: (kernel.scheduler.chooser.inner as RandomChooser).save() } } };
    kernel.restore(broken);
    console.length = mark;
    const b = runToEnd(kernel, console);
    expect(b.console).toBe(a.console); // the bundled kernel's console does not depend on interleaving...
    expect(b.last).not.toEqual(a.last); // ...but the run does
  });

  it('refuses a snapshot while a host thread is in flight', () => {
    const bed = patchBed({ cpus: 2, seed: 1, loops: 1000 });
    runUntilReaders(bed);
    bed.kernel.startHostThread(0, writer(bed, 'naive', 2));
    expect(() => bed.kernel.snapshot()).toThrow(/host thread/);
  });
});

describe('replay', () => {
  function recorded(seed: number) {
    const rec = new RecordingChooser(new RandomChooser(seed));
    const bed = patchBed({ cpus: 3, chooser: rec, loops: 2000 });
    runUntilReaders(bed);
    bed.kernel.int3Handlers.push(skipSiteHandler(bed));
    bed.kernel.startHostThread(0, writer(bed, 'int3', 4));
    const o = bed.kernel.run(3_000_000);
    return { log: rec.log.slice(), reason: o.reason, hash: memoryHash(bed.machine) };
  }

  function replay(chooser: Chooser) {
    const bed = patchBed({ cpus: 3, chooser, loops: 2000 });
    runUntilReaders(bed);
    bed.kernel.int3Handlers.push(skipSiteHandler(bed));
    bed.kernel.startHostThread(0, writer(bed, 'int3', 4));
    const o = bed.kernel.run(3_000_000);
    return { reason: o.reason, hash: memoryHash(bed.machine) };
  }

  it('strict replay refuses a recording the run no longer follows; lenient replay goes on with its fallback and says where it left the log', () => {
    const a = recorded(5);
    expect(a.reason).toBe('halted');
    const i = a.log.findIndex((c, k) => k > 200 && c[0] === 'cpu');
    const broken = a.log.map((c) => [...c] as typeof c);
    broken[i] = ['fetch', 7, 0];
    expect(() => replay(new ReplayChooser(broken, 'x.replay'))).toThrow(ReplayDivergence);
    const lenient = new ReplayChooser(broken, 'x.replay', new RandomChooser(1));
    const b = replay(lenient);
    expect(b.reason).toBe('halted');
    expect(lenient.divergedAt).toBe(i);
    // an intact log replays to the same end in lenient mode without diverging
    const ok = new ReplayChooser(a.log, 'x.replay', new RandomChooser(1));
    expect(replay(ok).hash).toBe(a.hash);
    expect(ok.divergedAt).toBe(-1);
  });
});


describe('host threads that wait say so', () => {
  /** Whether CPU 0's host thread was waiting, at each 'cpu' decision while `thread` ran on it. */
  const waitingSeen = (thread: (bed: ReturnType<typeof patchBed>) => HostThread): boolean[] => {
    const spy = new Spy(new RandomChooser(5));
    const bed = patchBed({ cpus: 2, chooser: spy, loops: 20_000 });
    runUntilReaders(bed);
    const from = spy.asked.length;
    bed.kernel.startHostThread(0, thread(bed));
    for (let i = 0; i < 100 && bed.kernel.hostThreadRunning(0); i++) bed.kernel.run(bed.kernel.steps + 10_000);
    expect(bed.kernel.hostThreadRunning(0)).toBe(false);
    return spy.asked.slice(from).filter((a) => a.kind === 'cpu').map((a) => a.ctx?.waiting?.[0] === true);
  };

  it("a sync waiting for the other CPU's IPI yields WAIT: the 'cpu' decisions see it, and not once it is over", () => {
    const seen = waitingSeen((bed) => bed.kernel.syncCoreAll(bed.kernel.cpus[0]));
    expect(seen.some((w) => w)).toBe(true);
    expect(seen[seen.length - 1]).toBe(false);
  });

  it('negative control: a thread that only steps never reads as waiting', () => {
    const seen = waitingSeen(() => (function* (): HostThread { for (let i = 0; i < 50; i++) yield; })());
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.some((w) => w)).toBe(false);
  });
});
