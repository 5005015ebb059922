// Tasks and the per-CPU run queues: creation, context switch on the timer and reschedule vectors, exit (kernel/sched/core.c, kernel/fork.c).

import type { Machine } from '../machine/machine.js';
import type { Scheduler } from '../machine/scheduler.js';
import { MachineViolation, RAX, RDX, IF, type Cpu } from '../machine/x86/cpu.js';
import { PERM_R, PERM_W, addrToNum, numToAddr, type Region } from '../machine/memory.js';
import { ShadowStack, type FlowIntegrity } from '../machine/flow.js';
import { PtRegs, PT_REGS_SIZE } from './ptregs.js';
import type { EntryText } from './entry.js';
import { STACKS_BASE, THREAD_SIZE, STACK_STRIDE, RESCHEDULE_VECTOR } from './layout.js';
import { HC_SPAWN, HC_YIELD, HC_EXIT, HC_CURRENT } from './hypercalls.js';
import { TaskSlots, type TaskHooks } from './task_slots.js';

const EINVAL = 22;
const EAGAIN = 11;
/** Most tasks the kernel keeps (dead ones included). */
const MAX_TASKS = 4096;

export type TaskState = 'running' | 'runnable' | 'dead';

export interface Task {
  pid: number;
  name: string;
  cpu: number;
  state: TaskState;
  /** Saved stack pointer (address of its pt_regs frame) while not running. */
  sp: bigint;
  stack: Region | null;
  shadow: ShadowStack;
  idle: boolean;
  /** Times this task was switched in. */
  switches: number;
  /** Voluntary entries into the scheduler (HC_YIELD), switch or not: RCU-tasks quiescent states (the kernel's nvcsw). */
  nvcsw: number;
  /** Machine time and guest ip of its last switch out (reports: where a resumed task had stopped). */
  stoppedAt: number;
  stoppedIp: bigint;
}

/**
 * What the scheduler's tracepoints see (the sched_switch / sched_wakeup_new / sched_process_fork /
 * sched_process_exit call sites of kernel/sched/core.c, kernel/fork.c, kernel/exit.c). Each runs at
 * the point the kernel traces it: `switch` before `current` changes (prev is still current on `cpu`),
 * `fork` when a guest task spawns a child (HC_SPAWN; host-created tasks have no parent and no fork),
 * `wakeup` when a new task is queued (`waker` is the CPU that queued it, or null for a host spawn),
 * `exit` when the current task on `cpu` exits.
 */
export interface SchedObserver {
  /** `preempt`: prev left the CPU involuntarily (timer or reschedule IPI), not by HC_YIELD or exit (__schedule's preempt). */
  switch?(cpu: number, prev: Task, next: Task, prevDead: boolean, preempt: boolean): void;
  fork?(cpu: number, parent: Task, child: Task): void;
  wakeup?(waker: number | null, t: Task, isNew: boolean): void;
  exit?(cpu: number, t: Task): void;
}

/** The task half of the ftsim kernel. */
export class Sched {
  /** Tracepoint observers (trace events): called in order, must not change the scheduler's state. */
  readonly observers: SchedObserver[] = [];
  readonly tasks: Task[] = [];
  readonly current: Task[] = [];
  readonly runqueue: Task[][] = [];
  readonly idleTasks: Task[] = [];
  /** Per-task data that higher layers attach, with fork/exit/switch notifiers. */
  readonly slots = new TaskSlots<Task>();
  private nextPid = 1;
  private nextStack = 0;
  /**
   * Per CPU: the RESCHEDULE_VECTOR entry in flight is the software one of HC_YIELD or HC_EXIT (a call to
   * schedule()), not a reschedule IPI. Cleared by schedule(). Read by the reschedule_entry tracepoint.
   */
  readonly softResched: boolean[] = [];
  /** Per CPU: that software entry is a voluntary yield of a runnable task (sched_switch's prev_state "R", not "R+"). */
  private readonly yielding: boolean[] = [];

  constructor(
    private readonly machine: Machine,
    private readonly sched: Scheduler,
    private readonly entry: EntryText,
    private readonly flow: FlowIntegrity | null,
  ) {
    const n = machine.cpus.length;
    for (let i = 0; i < n; i++) { this.runqueue.push([]); this.softResched.push(false); this.yielding.push(false); }
    // The boot task runs start_kernel on CPU 0 and goes on as init (pid 1); every CPU gets an idle
    // task, swapper/N (pid 0), which the secondary CPUs start in (HC_SMP_BOOT).
    const boot = this.newTask('init', 0, null, false);
    boot.state = 'running';
    this.current.push(boot);
    if (flow) flow.shadows[0] = boot.shadow;
    for (let i = 0; i < n; i++) {
      const idle = this.newTask(`swapper/${i}`, i, this.allocStack(`idle stack ${i}`), true);
      idle.pid = 0;
      this.idleTasks.push(idle);
      if (i > 0) this.current.push(idle);
    }
    machine.registerHypercall(HC_SPAWN, 'spawn', (cpu) => this.hcSpawn(cpu));
    machine.registerHypercall(HC_YIELD, 'yield', (cpu) => this.hcYield(cpu));
    machine.registerHypercall(HC_EXIT, 'exit', (cpu) => this.hcExit(cpu));
    machine.registerHypercall(HC_CURRENT, 'current', (cpu) => cpu.setReg(RAX, BigInt(this.current[cpu.id].pid)));
  }

  /** Register fork/exit/switch notifiers (e.g. the graph tracer's per-task return stack). */
  addHooks(h: TaskHooks<Task>): void {
    this.slots.addHooks(h);
  }

  private allocStack(name: string): Region {
    const base = STACKS_BASE + BigInt(this.nextStack++) * STACK_STRIDE;
    return this.machine.mem.map(name, base, THREAD_SIZE, PERM_R | PERM_W);
  }

  private newTask(name: string, cpu: number, stack: Region | null, idle: boolean): Task {
    const t: Task = {
      pid: idle ? 0 : this.nextPid++, name, cpu, state: 'runnable', sp: 0n, stack, shadow: new ShadowStack(), idle, switches: 0, nvcsw: 0,
      stoppedAt: 0, stoppedIp: 0n,
    };
    if (stack !== null && idle) this.initFrame(t, numToAddr(stack.end), this.entry.idle, 0n);
    if (!idle) this.tasks.push(t);
    this.slots.fork(t);
    return t;
  }

  /** Lay out a fresh task's stack: the exit stub as return address, and a pt_regs frame that irets into fn(arg). */
  private initFrame(t: Task, top: bigint, fn: bigint, arg: bigint): void {
    const mem = this.machine.mem;
    const retSlot = top - 16n; // rsp at function entry is 8 mod 16, as after a call
    mem.writeU64(retSlot, this.entry.taskExit);
    const frame = retSlot - BigInt(PT_REGS_SIZE);
    mem.write(frame, new Uint8Array(PT_REGS_SIZE));
    const r = new PtRegs(mem, frame);
    r.set('ip', fn);
    r.set('cs', 0x10n);
    r.set('flags', BigInt(0x2 | IF));
    r.set('sp', retSlot);
    r.set('ss', 0x18n);
    r.set('di', arg);
    r.set('orig_ax', BigInt.asUintN(64, -1n));
    t.sp = frame;
    t.shadow = new ShadowStack();
    if (!t.idle) t.shadow.pushCall(addrToNum(this.entry.taskExit), this.machine.clock.now);
    t.shadow.pushFrame(addrToNum(fn), 0, this.machine.clock.now);
  }

  /** Tasks not yet dead (idle tasks excluded). */
  liveTasks(): number {
    let n = 0;
    for (const t of this.tasks) if (t.state !== 'dead') n++;
    return n;
  }

  /** Create a task running guest function `fn(arg)` on `cpu`. */
  spawn(fn: bigint, arg: bigint, cpu: number, name?: string, parentCpu?: number): Task {
    const t = this.newTask(name ?? `kworker/${cpu}:${this.nextPid}`, cpu, this.allocStack(`task stack ${this.nextPid}`), false);
    this.initFrame(t, numToAddr(t.stack!.end), fn, arg);
    if (parentCpu !== undefined) for (const o of this.observers) o.fork?.(parentCpu, this.current[parentCpu], t);
    for (const o of this.observers) o.wakeup?.(parentCpu ?? null, t, true);
    this.runqueue[cpu].push(t);
    if (this.current[cpu].idle) this.sched.sendIpi(cpu, RESCHEDULE_VECTOR);
    return t;
  }

  /** Whether `cpu` can take a new task (it is started, or will be by HC_SMP_BOOT). */
  canRunOn: (cpu: number) => boolean = () => true;

  private hcSpawn(cpu: Cpu): void {
    const fn = cpu.getReg(7 /* rdi */);
    const arg = cpu.getReg(6 /* rsi */);
    const target = Number(BigInt.asIntN(64, cpu.getReg(RDX)));
    if (target < 0 || target >= this.machine.cpus.length || !this.canRunOn(target)) {
      cpu.setReg(RAX, BigInt(-EINVAL));
      return;
    }
    if (this.tasks.length >= MAX_TASKS) { cpu.setReg(RAX, BigInt(-EAGAIN)); return; }
    const t = this.spawn(fn, arg, target, undefined, cpu.id);
    cpu.setReg(RAX, BigInt(t.pid));
  }

  /** Enter the scheduler from a hypercall: deliver the reschedule vector right after the vmcall. */
  private hcYield(cpu: Cpu): void {
    cpu.setReg(RAX, 0n);
    this.current[cpu.id].nvcsw++;
    if (this.runqueue[cpu.id].length > 0) {
      this.yielding[cpu.id] = true;
      this.selfInterrupt(cpu);
    }
  }

  private hcExit(cpu: Cpu): void {
    const t = this.current[cpu.id];
    if (t.idle) throw new MachineViolation(2, cpu.id, cpu.rip, 'the idle task tried to exit', new Uint8Array(0));
    for (const o of this.observers) o.exit?.(cpu.id, t);
    t.state = 'dead';
    this.slots.exit(t);
    if (this.liveTasks() === 0 && !this.sched.anyHostThread()) {
      // the last task is gone: wake every idle CPU so its idle loop sees it and halts
      for (const c of this.machine.cpus) if (c !== cpu && c.waiting) this.sched.sendIpi(c.id, RESCHEDULE_VECTOR);
    }
    this.selfInterrupt(cpu);
  }

  private selfInterrupt(cpu: Cpu): void {
    // a software entry into the scheduler: the frame returns right after the vmcall
    this.softResched[cpu.id] = true;
    cpu.deliver(RESCHEDULE_VECTOR, -1, cpu.rip);
  }

  /** Pick the next task on this CPU; returns the pt_regs address to resume. */
  schedule(cpu: Cpu, regsAddr: bigint, prevDead: boolean): bigint {
    const id = cpu.id;
    const prev = this.current[id];
    const rq = this.runqueue[id];
    const voluntary = this.yielding[id];
    this.yielding[id] = false;
    this.softResched[id] = false;
    if (rq.length === 0 && !prevDead) return regsAddr;
    const next = rq.length > 0 ? rq.shift()! : this.idleTasks[id];
    const preempt = !prevDead && !prev.idle && !voluntary;
    for (const o of this.observers) o.switch?.(id, prev, next, prevDead, preempt);
    if (!prevDead) {
      prev.sp = regsAddr;
      prev.state = 'runnable';
      prev.stoppedAt = this.machine.clock.now;
      prev.stoppedIp = new PtRegs(this.machine.mem, regsAddr).ip;
      if (!prev.idle) rq.push(prev);
    }
    next.state = 'running';
    next.switches++;
    this.current[id] = next;
    if (this.flow) this.flow.shadows[id] = next.shadow;
    this.slots.switchTo(prev, next);
    return next.sp;
  }

  /** A secondary CPU starts in its idle task: pop its initial frame the way the entry code would. */
  startIdle(c: Cpu): void {
    const idle = this.idleTasks[c.id];
    const r = new PtRegs(this.machine.mem, idle.sp);
    c.setRip(r.ip);
    c.setReg(4 /* rsp */, r.sp);
    c.setFlags(0x2);
    idle.state = 'running';
    idle.shadow = new ShadowStack();
    if (this.flow) this.flow.shadows[c.id] = idle.shadow;
  }

  // ---- snapshots -------------------------------------------------------------------------

  save(): SchedState {
    const all = [...this.tasks, ...this.idleTasks];
    return {
      nextPid: this.nextPid, nextStack: this.nextStack,
      tasks: all.map((t) => ({
        pid: t.pid, name: t.name, cpu: t.cpu, state: t.state, sp: t.sp, stack: t.stack?.name ?? null, idle: t.idle,
        switches: t.switches, nvcsw: t.nvcsw, stoppedAt: t.stoppedAt, stoppedIp: t.stoppedIp, shadow: t.shadow.save(),
      })),
      ntasks: this.tasks.length,
      current: this.current.map((t) => all.indexOf(t)),
      runqueue: this.runqueue.map((q) => q.map((t) => all.indexOf(t))),
      slots: this.slots.save(all),
    };
  }

  restore(s: SchedState): void {
    this.nextPid = s.nextPid;
    this.nextStack = s.nextStack;
    const all = s.tasks.map((d) => {
      const stack = d.stack === null ? null : this.machine.mem.regions.find((r) => r.name === d.stack) ?? null;
      const t: Task = {
        pid: d.pid, name: d.name, cpu: d.cpu, state: d.state, sp: d.sp, stack, idle: d.idle, switches: d.switches, nvcsw: d.nvcsw,
        stoppedAt: d.stoppedAt, stoppedIp: d.stoppedIp, shadow: new ShadowStack(),
      };
      t.shadow.restore(d.shadow);
      return t;
    });
    this.tasks.length = 0;
    this.tasks.push(...all.slice(0, s.ntasks));
    this.idleTasks.length = 0;
    this.idleTasks.push(...all.slice(s.ntasks));
    for (let i = 0; i < this.current.length; i++) {
      this.current[i] = all[s.current[i]];
      if (this.flow) this.flow.shadows[i] = this.current[i].shadow;
    }
    for (let i = 0; i < this.runqueue.length; i++) this.runqueue[i] = s.runqueue[i].map((k) => all[k]);
    this.slots.restore(s.slots, all);
  }
}

export interface SchedState {
  nextPid: number;
  nextStack: number;
  tasks: {
    pid: number; name: string; cpu: number; state: TaskState; sp: bigint; stack: string | null; idle: boolean;
    switches: number; nvcsw: number; stoppedAt: number; stoppedIp: bigint; shadow: ReturnType<ShadowStack['save']>;
  }[];
  ntasks: number;
  current: number[];
  runqueue: number[][];
  slots: unknown;
}
