// The machine's run loop: which CPU runs next and for how long, when NMIs, timer interrupts and IPIs arrive, host threads, fetch-history pruning.

import { RecordingChooser, type Chooser, type Choice, type Snapshotable } from './chooser.js';
import { CpuFault, MachineViolation, RSP, type Cpu } from './x86/cpu.js';
import { FetchViolation } from './fetch.js';
import type { Machine } from './machine.js';

/** Code running on a CPU in place of its guest context, written in TypeScript: each `yield` is one step; `yield WAIT` says the thread is waiting for another CPU (it made no progress of its own). */
export type HostThread = Generator<HostYield, void, void>;

/** What a host-thread step yields: nothing, or WAIT. */
export type HostYield = void | typeof WAIT;

/** What a host thread yields while it waits for another CPU (see Scheduler.hostWaiting). */
export const WAIT = 'wait' as const;

/** Why the run stopped. */
export type StopReason = 'halted' | 'max-steps' | 'fault' | 'violation' | 'deadlock' | 'host-error';

/** What stopped a run, as the machine sees it (the kernel turns it into a report). */
export interface SchedOutcome {
  reason: StopReason;
  steps: number;
  /** CPU that faulted, hit a violation, or whose host code failed. */
  cpu?: number;
  fault?: CpuFault;
  violation?: FetchViolation | MachineViolation;
  /** Set for 'deadlock' and 'host-error'. */
  error?: string;
}

export interface SchedulerOptions {
  /** Largest slice, in instructions, the chooser may give a CPU when several can run (default 1000). */
  maxQuantum?: number;
  /** NMIs per million cycles on each CPU (0: none). The NMI source of a CPU fires every 1e6/rate cycles. */
  nmiRate?: number;
  /**
   * How often an interrupt that has become due may be held back at a CPU's slice boundary before it
   * is delivered anyway (default 4). 0 makes arrival immediate and removes the choice.
   */
  maxDefer?: number;
  /**
   * End a CPU's slice right after each operation other CPUs can observe (default true). Off, slices
   * are as long as the chooser makes them: fewer decisions, coarser interleaving.
   */
  visibleSlices?: boolean;
  /**
   * At the start of a slice of a CPU stopped at an instruction boundary inside a call site (between
   * the halves of a two-instruction nop), ask whether the tick strikes right there ('preempt'): the
   * explorer's way of preempting a task at any instruction boundary that can matter (default false).
   */
  preemptAtSites?: boolean;
  /**
   * At the start of each slice of a CPU not already in or about to take an NMI, ask whether an NMI
   * strikes right there ('nmi-strike'), besides those its NMI source makes due: the explorer's way of
   * letting an NMI arrive at any instruction (default false).
   */
  nmiAnyTime?: boolean;
}

/** The NMI's slot in the per-CPU arrival tables (vectors 0..255 are maskable interrupts; the NMI is vector 2 but not maskable). */
const NMI_SLOT = 256;
const SLOTS = 257;

/** Machine time between fetch-history prunings. */
const PRUNE_EVERY = 1_000_000;

/** Slice of a CPU that runs with nothing to interleave against (no other CPU, no host thread). */
const ALONE_SLICE = 100_000;

/**
 * A slice the step limit of run() cut: the next run() goes on with it before anything else (no new
 * choice, no arrivals), so that a run divided into several run() calls is the run one call makes.
 */
export interface SliceCarry {
  cpu: number;
  /** Cycles of the slice still to run (it was chosen, and clipped to the deadlines, when it began). */
  rest: number;
  /** Cycles it has run so far (idle CPUs are credited with the whole slice when it ends). */
  used: number;
  alone: boolean;
  /** An NMI handler running under the CPU's host thread (see Cpu.frozen). */
  frozen: boolean;
  /** Some CPU idled in hlt when the slice began (see creditIdle). */
  idle: boolean;
  /** The CPU's slice end still pending from the part that ran (see Cpu.endSlice). */
  endSlice: boolean;
}

/**
 * The run loop at the machine level. Every nondeterministic decision goes through the chooser with
 * its context (see ChoiceKind): which CPU runs next (the candidates are the runnable CPUs), how long
 * its slice is, and, at the start of a CPU's slice, whether each interrupt that has become due for it
 * (an NMI, its local timer, an IPI another CPU sent) arrives now or is held back. A slice also ends
 * right after the CPU performs an operation other CPUs can observe or that changes what can happen
 * next (see Cpu.sliceAtVisible), so that choices are made exactly where they can matter; between
 * them CPUs run on the interpreter's fast path.
 */
export class Scheduler implements Snapshotable<SchedulerState> {
  readonly chooser: RecordingChooser;
  readonly cpus: Cpu[];
  /** Steps (cycles of all CPUs, host-thread steps included) run so far. */
  steps = 0;
  private readonly hostThreads: (HostThread | null)[];
  /** Per CPU: its host thread's last step was a wait (`yield WAIT`); given to the chooser with each 'cpu' decision. */
  readonly hostWaiting: boolean[];
  /** Per CPU and slot: the interrupt is due (sent, or its timer expired) but has not arrived. */
  private readonly due: Uint8Array;
  /** Per CPU: how many slots are due. */
  private readonly dueCount: Uint16Array;
  /** Per CPU and slot: how many slice boundaries it has been held back at. */
  private readonly deferred: Uint8Array;
  /** Local timer per CPU: period in cycles (0 = off), vector, and next deadline in the CPU's cycles. */
  private readonly timerPeriod: Float64Array;
  private readonly timerNext: Float64Array;
  private readonly timerVector: Uint8Array;
  /** Next NMI of each CPU's NMI source, in its cycles (Infinity: none). */
  private readonly nmiNext: Float64Array;
  private readonly nmiPeriod: number;
  private readonly maxQuantum: number;
  private readonly maxDefer: number;
  private readonly visibleSlices: boolean;
  private readonly preemptAtSites: boolean;
  private readonly nmiAnyTime: boolean;
  private pruneAt = 0;
  private stopped: SchedOutcome | null = null;
  private readonly runnable: number[] = [];
  /** The CPU whose guest code is running now (-1: none, e.g. between slices or in a host-thread step). */
  private running = -1;
  /** The slice the last run()'s step limit cut, to go on with first (null: none). */
  private carry: SliceCarry | null = null;
  /** False: a slice the step limit cuts just ends, as before slices were carried over (tests' negative control). */
  carryCutSlices = true;

  constructor(private readonly machine: Machine, chooser: Chooser, opts: SchedulerOptions = {}) {
    this.chooser = chooser instanceof RecordingChooser ? chooser : new RecordingChooser(chooser);
    this.cpus = machine.cpus;
    const n = this.cpus.length;
    this.hostThreads = new Array<HostThread | null>(n).fill(null);
    this.hostWaiting = new Array<boolean>(n).fill(false);
    this.due = new Uint8Array(n * SLOTS);
    this.deferred = new Uint8Array(n * SLOTS);
    this.dueCount = new Uint16Array(n);
    this.timerPeriod = new Float64Array(n);
    this.timerNext = new Float64Array(n);
    this.timerVector = new Uint8Array(n);
    this.maxQuantum = opts.maxQuantum ?? 1000;
    this.maxDefer = opts.maxDefer ?? 4;
    this.visibleSlices = opts.visibleSlices ?? true;
    this.preemptAtSites = opts.preemptAtSites ?? false;
    this.nmiAnyTime = opts.nmiAnyTime ?? false;
    const rate = opts.nmiRate ?? 0;
    this.nmiPeriod = rate > 0 ? Math.max(1, Math.round(1_000_000 / rate)) : Infinity;
    this.nmiNext = new Float64Array(n).fill(this.nmiPeriod);
  }

  // ---- what the kernel registers -------------------------------------------------------

  /** Start a CPU's local timer: `vector` becomes due every `period` cycles from now. */
  startTimer(cpu: number, vector: number, period: number): void {
    this.endCarry();
    this.timerVector[cpu] = vector;
    this.timerPeriod[cpu] = period;
    this.timerNext[cpu] = period > 0 ? this.cpus[cpu].cycles + period : 0;
  }

  /** An inter-processor interrupt (or any interrupt from outside the CPU) is now on its way to `cpu`. */
  sendIpi(cpu: number, vector: number): void {
    this.machine.mem.events.sent++;
    this.endCarry();
    this.markDue(cpu, vector);
    this.senderDone();
  }

  /** An NMI is on its way to `cpu` (a test, a watchdog). */
  sendNmi(cpu: number): void {
    this.machine.mem.events.sent++;
    this.endCarry();
    this.markDue(cpu, NMI_SLOT);
    this.senderDone();
  }

  /**
   * Sending an interrupt changes what can happen next: the CPU whose guest code sent it (from a
   * hypercall) ends its slice there, so the receiver's arrival is decided without delay.
   */
  private senderDone(): void {
    if (this.running >= 0) this.cpus[this.running].interruptSlice();
  }

  private markDue(cpu: number, slot: number): void {
    const k = cpu * SLOTS + slot;
    if (this.due[k] === 0) { this.due[k] = 1; this.dueCount[cpu]++; }
  }

  /** Run a host thread on a CPU; the CPU's guest context is frozen while it runs (NMIs still arrive). */
  startHostThread(cpu: number, t: HostThread): void {
    if (this.hostThreads[cpu] !== null) throw new Error(`CPU ${cpu} already runs a host thread`);
    this.endCarry();
    this.hostThreads[cpu] = t;
    this.hostWaiting[cpu] = false;
    const c = this.cpus[cpu];
    c.waiting = false;
    // started by a hypercall of the running CPU: its guest context stops right here, even in a
    // slice of a CPU running alone (which does not end at a vmcall by itself)
    if (this.running === cpu) c.interruptSlice();
    c.frozenRip = c.getRip();
    c.frozenRsp = c.getReg(RSP);
  }

  hostThreadRunning(cpu: number): boolean {
    return this.hostThreads[cpu] !== null;
  }

  anyHostThread(): boolean {
    return this.hostThreads.some((h) => h !== null);
  }

  /** The recorded decisions so far. */
  get choices(): Choice[] {
    return this.chooser.log;
  }

  // ---- the loop ------------------------------------------------------------------------

  /** Run until every CPU halted, something stopped the run, or `maxSteps` steps have run in all. */
  run(maxSteps: number): SchedOutcome {
    const cpus = this.cpus;
    const runnable = this.runnable;
    while (this.stopped === null) {
      const carry = this.carry;
      if (carry !== null) {
        if (this.steps >= maxSteps) return { reason: 'max-steps', steps: this.steps };
        this.carry = null;
        this.cpus[carry.cpu].endSlice = carry.endSlice;
        this.guestSlice(carry.cpu, carry.rest, maxSteps, carry.alone, carry.frozen, carry.idle, carry.used);
        continue;
      }
      runnable.length = 0;
      let idle = 0;
      for (let i = 0; i < cpus.length; i++) {
        if (cpus[i].halted && this.hostThreads[i] === null) continue;
        runnable.push(i);
        if (this.idleNow(i)) idle++;
      }
      if (runnable.length === 0) return { reason: 'halted', steps: this.steps };
      // A CPU waiting in hlt with nothing due idles alongside the others (see creditIdle) and is no
      // candidate: nothing it does can be observed until an interrupt arrives, which makes it one.
      if (idle > 0 && idle < runnable.length) {
        let k = 0;
        for (const i of runnable) if (!this.idleNow(i)) runnable[k++] = i;
        runnable.length = k;
      }
      if (this.steps >= maxSteps) return { reason: 'max-steps', steps: this.steps };
      const alone = runnable.length === 1 && this.hostThreads[runnable[0]] === null;
      const id = runnable.length === 1 ? runnable[0] : runnable[this.chooser.choose('cpu', runnable.length, { candidates: runnable, waiting: this.hostWaiting })];
      const cpu = cpus[id];
      this.arrivals(cpu, alone);
      const ht = this.hostThreads[id];
      if (ht !== null && (cpu.halted || cpu.hostMayStep())) {
        const used = this.stepHost(id, ht);
        // whatever the host step left in the registers is where the guest context now waits
        cpu.frozenRip = cpu.getRip();
        cpu.frozenRsp = cpu.getReg(RSP);
        this.steps += used;
        this.sliceDone(id, idle > 0, used);
      } else {
        const q = this.clipToDeadlines(id, alone ? ALONE_SLICE : 1 + this.chooser.choose('quantum', this.maxQuantum, { cpu: id }));
        // guest code: the CPU's own context, or an NMI taken on a CPU whose host thread is frozen
        this.guestSlice(id, q, maxSteps, alone, ht !== null, idle > 0, 0);
      }
    }
    return this.stopped;
  }

  /**
   * Run `q` cycles of a slice of CPU `id` (`before` of it ran in earlier run() calls), no more than
   * the step limit allows; a slice the limit cuts is carried over to the next run().
   */
  private guestSlice(id: number, q: number, maxSteps: number, alone: boolean, frozen: boolean, idle: boolean, before: number): void {
    const cpu = this.cpus[id];
    cpu.sliceAtVisible = this.visibleSlices && !alone;
    cpu.frozen = frozen;
    this.running = id;
    const used = cpu.run(Math.min(q, maxSteps - this.steps), before > 0);
    this.running = -1;
    cpu.frozen = false;
    if (cpu.fault !== null) this.stopped = { reason: 'fault', steps: this.steps + used, cpu: id, fault: cpu.fault };
    else if (cpu.violation !== null) this.stopped = { reason: 'violation', steps: this.steps + used, cpu: id, violation: cpu.violation };
    else if (cpu.hostError !== null) this.stopped = { reason: 'host-error', steps: this.steps + used, cpu: id, error: cpu.hostError };
    else if (used === 0 && !cpu.halted && !frozen) {
      this.stopped = { reason: 'deadlock', steps: this.steps, cpu: id, error: `CPU ${id} made no progress` };
    }
    this.steps += used;
    if (this.stopped === null && cpu.budgetStop && used < q && this.carryCutSlices) {
      // cut by the step limit, not ended by itself: the rest runs first in the next run()
      this.carry = { cpu: id, rest: q - used, used: before + used, alone, frozen, idle, endSlice: cpu.endSlice };
      return;
    }
    this.sliceDone(id, idle, before + used);
  }

  /** A slice of CPU `id` that ran `used` steps in all has ended. */
  private sliceDone(id: number, idle: boolean, used: number): void {
    if (idle && used > 0) this.creditIdle(id, used);
    if (this.machine.fetchModel !== null && this.machine.clock.now >= this.pruneAt) this.prune();
  }

  /** Something outside the run (a write, a test) changes what can happen next: a slice the step limit cut ends where it stopped. */
  private endCarry(): void {
    const c = this.carry;
    if (c === null) return;
    this.carry = null;
    this.cpus[c.cpu].endSlice = false;
    this.sliceDone(c.cpu, c.idle, c.used);
  }

  /** Waiting in hlt with nothing pending, due or coming due: it would only count idle cycles. */
  private idleNow(i: number): boolean {
    const c = this.cpus[i];
    if (!c.waiting || c.halted || this.hostThreads[i] !== null || c.pendingCount > 0 || c.nmiPending || this.dueCount[i] > 0) return false;
    if (this.timerPeriod[i] > 0 && c.cycles >= this.timerNext[i]) return false;
    return c.cycles < this.nmiNext[i];
  }

  /**
   * While CPU `ran` ran `used` cycles, every CPU idling in hlt idled as long, up to its next timer
   * or NMI deadline (where it becomes a candidate again). Idle cycles count in no step budget.
   */
  private creditIdle(ran: number, used: number): void {
    for (let i = 0; i < this.cpus.length; i++) {
      if (i === ran || !this.idleNow(i)) continue;
      const c = this.cpus[i];
      let credit = used;
      if (this.timerPeriod[i] > 0) credit = Math.min(credit, this.timerNext[i] - c.cycles);
      credit = Math.min(credit, this.nmiNext[i] - c.cycles);
      if (credit > 0) { c.cycles += credit; c.idleCycles += credit; }
    }
  }

  /** One step of a host thread: one machine tick on its CPU. */
  private stepHost(id: number, ht: HostThread): number {
    const cpu = this.cpus[id];
    let done: boolean | undefined;
    try {
      const r = ht.next();
      done = r.done;
      this.hostWaiting[id] = r.done !== true && r.value === WAIT;
    } catch (e) {
      this.hostThreads[id] = null;
      this.hostWaiting[id] = false;
      this.stopped = { reason: 'host-error', steps: this.steps, cpu: id, error: `host thread on CPU ${id} failed: ${e instanceof Error ? e.message : String(e)}` };
      return 0;
    }
    this.machine.clock.now++;
    cpu.cycles++;
    cpu.idleCycles++;
    if (done) { this.hostThreads[id] = null; this.hostWaiting[id] = false; }
    return 1;
  }

  /**
   * At the start of a CPU's slice: mark what has become due (its timer, its NMI source), then decide
   * for each due interrupt whether it arrives now. Alone, a CPU takes everything at once: there is
   * nothing to interleave against.
   */
  private arrivals(cpu: Cpu, alone: boolean): void {
    const id = cpu.id;
    const base = id * SLOTS;
    if (this.timerPeriod[id] > 0 && cpu.cycles >= this.timerNext[id]) {
      this.markDue(id, this.timerVector[id]);
      while (this.timerNext[id] <= cpu.cycles) this.timerNext[id] += this.timerPeriod[id];
    }
    if (cpu.cycles >= this.nmiNext[id]) {
      this.markDue(id, NMI_SLOT);
      while (this.nmiNext[id] <= cpu.cycles) this.nmiNext[id] += this.nmiPeriod;
    }
    if (this.preemptAtSites && !alone && this.timerPeriod[id] > 0 && this.insideSite(cpu)
      && this.chooser.choose('preempt', 2, { cpu: id, vector: this.timerVector[id] }) === 1) this.markDue(id, this.timerVector[id]);
    if (this.nmiAnyTime && !alone && !cpu.nmiPending && !cpu.nmiBlocked && this.due[base + NMI_SLOT] === 0
      && this.chooser.choose('nmi-strike', 2, { cpu: id, vector: 2 }) === 1) this.markDue(id, NMI_SLOT);
    const due = this.due;
    if (this.dueCount[id] === 0) return;
    for (let s = 0; s < SLOTS; s++) {
      if (due[base + s] === 0) continue;
      const held = this.deferred[base + s];
      // 0: arrives now; 1: held back until this CPU's next slice
      const later = !alone && held < this.maxDefer && this.chooser.choose(s === NMI_SLOT ? 'nmi' : 'irq', 2, { cpu: id, vector: s === NMI_SLOT ? 2 : s }) === 1;
      if (later) { this.deferred[base + s] = held + 1; continue; }
      due[base + s] = 0;
      this.dueCount[id]--;
      this.deferred[base + s] = 0;
      if (s === NMI_SLOT) cpu.raiseNmi();
      else cpu.raiseIrq(s);
    }
  }

  /** The CPU's next instruction is inside a patch site, not at its start. */
  private insideSite(cpu: Cpu): boolean {
    const rip = cpu.rip;
    const r = this.machine.mem.find(rip, 1);
    return r !== undefined && r.siteInterior.has(rip - r.start);
  }

  /** A slice ends no later than the CPU's next timer or NMI deadline, so that it becomes due at its time. */
  private clipToDeadlines(id: number, q: number): number {
    const c = this.cpus[id].cycles;
    if (this.timerPeriod[id] > 0 && this.timerNext[id] - c < q) q = Math.max(1, this.timerNext[id] - c);
    if (this.nmiNext[id] - c < q) q = Math.max(1, this.nmiNext[id] - c);
    return q;
  }

  /** Drop write history no running CPU can observe any more. */
  private prune(): void {
    this.pruneAt = this.machine.clock.now + PRUNE_EVERY;
    let min = Infinity;
    for (const c of this.cpus) if (!c.halted && c.serialTime < min) min = c.serialTime;
    this.machine.mem.pruneHistory(min === Infinity ? this.machine.clock.now : min);
  }

  // ---- snapshots -----------------------------------------------------------------------

  /** True when no host thread is in flight: the state is plain data and can be snapshotted. */
  quiescent(): boolean {
    return !this.anyHostThread() && this.stopped === null;
  }

  save(): SchedulerState {
    if (this.anyHostThread()) throw new Error('cannot snapshot: a host thread is in flight');
    return {
      steps: this.steps, pruneAt: this.pruneAt, carry: this.carry === null ? null : { ...this.carry },
      due: this.due.slice(), dueCount: this.dueCount.slice(), deferred: this.deferred.slice(),
      timerPeriod: this.timerPeriod.slice(), timerNext: this.timerNext.slice(), timerVector: this.timerVector.slice(),
      nmiNext: this.nmiNext.slice(),
      chooser: this.chooser.save(),
    };
  }

  restore(s: SchedulerState): void {
    this.steps = s.steps;
    this.pruneAt = s.pruneAt;
    this.carry = s.carry === null ? null : { ...s.carry };
    this.due.set(s.due); this.dueCount.set(s.dueCount); this.deferred.set(s.deferred);
    this.timerPeriod.set(s.timerPeriod); this.timerNext.set(s.timerNext); this.timerVector.set(s.timerVector);
    this.nmiNext.set(s.nmiNext);
    this.hostThreads.fill(null);
    this.stopped = null;
    this.chooser.restore(s.chooser);
  }
}

export interface SchedulerState {
  steps: number;
  pruneAt: number;
  /** A slice the last run()'s step limit cut (the next run() goes on with it). */
  carry: SliceCarry | null;
  due: Uint8Array;
  dueCount: Uint16Array;
  deferred: Uint8Array;
  timerPeriod: Float64Array;
  timerNext: Float64Array;
  timerVector: Uint8Array;
  nmiNext: Float64Array;
  chooser: { length: number; inner: unknown };
}

export { CpuFault, MachineViolation, FetchViolation };
