// The ftsim kernel: tasks and scheduler, interrupts and IPIs, on_each_cpu/stop_machine, text_poke, and the machine's run loop (kernel/sched/core.c, kernel/smp.c, kernel/stop_machine.c).

import { Machine, describeFault } from '../machine/machine.js';
import { Cpu, MachineViolation, RAX, RDX, RSP, RDI, IF, VEC_NAMES } from '../machine/x86/cpu.js';
import { PERM_R, PERM_W, PERM_X, addrToNum, numToAddr, hex, type Region } from '../machine/memory.js';
import { FetchModel, FetchViolation } from '../machine/fetch.js';
import { RecordingChooser, type Chooser, type Choice } from '../machine/chooser.js';
import { FlowIntegrity, ShadowStack } from '../machine/flow.js';
import { buildEntryText, buildIdt, type EntryText, type StubSpec } from './entry.js';
import { PtRegs, PT_REGS_SIZE } from './ptregs.js';
import { describeBytes } from '../machine/x86/format.js';
import {
  IDT_BASE, IDT_SIZE, ENTRY_TEXT_BASE, ENTRY_TEXT_SIZE, STACKS_BASE, THREAD_SIZE, STACK_STRIDE,
  NMI_VECTOR, LOCAL_TIMER_VECTOR, CALL_FUNCTION_VECTOR, RESCHEDULE_VECTOR, CYCLES_PER_SECOND,
} from './layout.js';
import { HC_SPAWN, HC_YIELD, HC_EXIT, HC_SMP_BOOT, HC_IDLE, HC_CURRENT, HC_IRQ, HC_STOP_POLL } from './hypercalls.js';

const EINVAL = 22;
const EAGAIN = 11;

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
  /** Instructions this task retired (approximate: charged at switch time). */
  switches: number;
}

/** A kernel thread written in TypeScript: each `yield` is one step of the CPU it runs on. */
export type HostThread = Generator<void, void, void>;

export interface KernelOptions {
  cpus: number;
  chooser: Chooser;
  /** Timer interrupts per second of simulated time (1 GHz clock); 0 = no timer. */
  timerHz?: number;
  /** NMIs per million instructions, per CPU. */
  nmiRate?: number;
  /** Largest quantum, in instructions, the chooser may give a CPU. */
  maxQuantum?: number;
  /** Check call/ret integrity (invariant 3). */
  flowMonitor?: boolean;
  /** Model cross-modifying instruction fetch (invariant 1). */
  fetchModel?: boolean;
  /** Guest C handlers called by the entry stubs before the host part, by vector. */
  guestHandlers?: Map<number, bigint>;
  onConsole?: (byte: number) => void;
  symbolize?: (addr: bigint) => string;
}

/** Why the run stopped. */
export type StopReason = 'halted' | 'max-steps' | 'fault' | 'violation' | 'deadlock';

export interface Violation {
  invariant: number;
  kind: string;
  cpu: number;
  task: string;
  rip: bigint;
  symbol: string;
  summary: string;
  details: string[];
  time: number;
}

export interface RunOutcome {
  reason: StopReason;
  steps: number;
  error?: string;
  violation?: Violation;
}

/** Pending cross-CPU function call (kernel/smp.c's call_single_data). */
interface CallEntry {
  cpu: number;
  fn: (cpu: Cpu) => void;
  done: boolean;
}

export class Kernel {
  readonly machine: Machine;
  readonly cpus: Cpu[];
  readonly chooser: RecordingChooser;
  readonly tasks: Task[] = [];
  readonly current: Task[] = [];
  readonly runqueue: Task[][] = [];
  readonly idleTasks: Task[] = [];
  readonly entry: EntryText;
  readonly fetch: FetchModel | null;
  readonly flow: FlowIntegrity | null;
  readonly clock: { now: number };
  private readonly hostThreads: (HostThread | null)[] = [];
  private readonly callQueue: CallEntry[][] = [];
  private readonly stopping: boolean[] = [];
  /** stop_machine: this CPU saw the release and left its spin loop. */
  private readonly leftStop: boolean[] = [];
  /** int3 notifier chain (poke_int3_handler first, then kprobes): returns true when it handled the trap. */
  readonly int3Handlers: ((cpu: Cpu, regs: PtRegs) => boolean)[] = [];
  private nextPid = 1;
  private nextStack = 0;
  private smpBooted = false;
  private readonly maxQuantum: number;
  private readonly nmiRate: number;
  private stopReason: RunOutcome | null = null;
  readonly symbolize: (addr: bigint) => string;
  /** Steps (cycles of all CPUs) run so far. */
  steps = 0;
  private pruneAt = 0;

  constructor(machine: Machine, readonly opts: KernelOptions) {
    this.machine = machine;
    this.cpus = machine.cpus;
    this.clock = machine.clock;
    this.chooser = opts.chooser instanceof RecordingChooser ? opts.chooser : new RecordingChooser(opts.chooser);
    this.maxQuantum = opts.maxQuantum ?? 1000;
    this.nmiRate = opts.nmiRate ?? 0;
    this.symbolize = opts.symbolize ?? ((a) => hex(a));
    const sym = (a: number): string => this.symbolize(numToAddr(a));
    this.fetch = opts.fetchModel === false ? null : new FetchModel(this.chooser);
    this.flow = opts.flowMonitor === false ? null : new FlowIntegrity(this.cpus.length, sym);

    // Entry text and IDT in the cpu_entry_area.
    const specs: StubSpec[] = [
      { vector: 0, name: 'asm_exc_divide_error', errorCode: false },
      { vector: NMI_VECTOR, name: 'asm_exc_nmi', errorCode: false, guestHandler: opts.guestHandlers?.get(NMI_VECTOR) },
      { vector: 3, name: 'asm_exc_int3', errorCode: false, createGap: true },
      { vector: 6, name: 'asm_exc_invalid_op', errorCode: false },
      { vector: 13, name: 'asm_exc_general_protection', errorCode: true },
      { vector: 14, name: 'asm_exc_page_fault', errorCode: true },
      { vector: LOCAL_TIMER_VECTOR, name: 'asm_sysvec_apic_timer_interrupt', errorCode: false, guestHandler: opts.guestHandlers?.get(LOCAL_TIMER_VECTOR) },
      { vector: CALL_FUNCTION_VECTOR, name: 'asm_sysvec_call_function', errorCode: false },
      { vector: RESCHEDULE_VECTOR, name: 'asm_sysvec_reschedule_ipi', errorCode: false },
    ];
    this.entry = buildEntryText(ENTRY_TEXT_BASE, specs);
    if (this.entry.code.length > ENTRY_TEXT_SIZE) throw new Error('entry text too large');
    const et = machine.mem.map('entry text', ENTRY_TEXT_BASE, ENTRY_TEXT_SIZE, PERM_R | PERM_X);
    et.bytes.set(this.entry.code);
    const idt = machine.mem.map('idt', IDT_BASE, IDT_SIZE, PERM_R);
    idt.bytes.set(buildIdt(this.entry.stubs));

    const period = opts.timerHz ? Math.max(1000, Math.round(CYCLES_PER_SECOND / opts.timerHz)) : 0;
    for (const cpu of this.cpus) {
      cpu.idtBase = addrToNum(IDT_BASE);
      cpu.fetchModel = this.fetch;
      cpu.flow = this.flow;
      cpu.timerVector = LOCAL_TIMER_VECTOR;
      cpu.timerPeriod = 0;
      cpu.timerNext = period;
      this.hostThreads.push(null);
      this.callQueue.push([]);
      this.stopping.push(false);
      this.runqueue.push([]);
    }
    this.timerPeriod = period;

    // The boot task runs start_kernel on CPU 0 and goes on as init (pid 1); every CPU gets an idle
    // task, swapper/N (pid 0), which the secondary CPUs start in (HC_SMP_BOOT).
    const boot = this.newTask('init', 0, null, false);
    boot.state = 'running';
    this.current.push(boot);
    if (this.flow) this.flow.shadows[0] = boot.shadow;
    for (let i = 0; i < this.cpus.length; i++) {
      const idle = this.newTask(`swapper/${i}`, i, this.allocStack(`idle stack ${i}`), true);
      idle.pid = 0;
      this.idleTasks.push(idle);
      if (i > 0) this.current.push(idle);
    }
    // Timer on CPU 0 from the start; the others start with their CPU.
    this.cpus[0].timerPeriod = period;

    machine.registerHypercall(HC_IRQ, (cpu) => this.onInterrupt(cpu));
    machine.registerHypercall(HC_STOP_POLL, (cpu) => {
      const spin = this.stopping[cpu.id];
      if (!spin) this.leftStop[cpu.id] = true;
      cpu.setReg(RAX, spin ? 1n : 0n);
    });
    machine.registerHypercall(HC_SPAWN, (cpu) => this.hcSpawn(cpu));
    machine.registerHypercall(HC_YIELD, (cpu) => this.hcYield(cpu));
    machine.registerHypercall(HC_EXIT, (cpu) => this.hcExit(cpu));
    machine.registerHypercall(HC_SMP_BOOT, (cpu) => this.hcSmpBoot(cpu));
    machine.registerHypercall(HC_IDLE, (cpu) => cpu.setReg(RAX, this.liveTasks() > 0 || this.anyHostThread() ? 1n : 0n));
    machine.registerHypercall(HC_CURRENT, (cpu) => cpu.setReg(RAX, BigInt(this.current[cpu.id].pid)));
  }

  private readonly timerPeriod: number;

  // ---- tasks ---------------------------------------------------------------------------

  private allocStack(name: string): Region {
    const base = STACKS_BASE + BigInt(this.nextStack++) * STACK_STRIDE;
    return this.machine.mem.map(name, base, THREAD_SIZE, PERM_R | PERM_W);
  }

  private newTask(name: string, cpu: number, stack: Region | null, idle: boolean): Task {
    const t: Task = { pid: idle ? 0 : this.nextPid++, name, cpu, state: 'runnable', sp: 0n, stack, shadow: new ShadowStack(), idle, switches: 0 };
    if (stack !== null && idle) this.initFrame(t, numToAddr(stack.end), this.entry.idle, 0n);
    if (!idle) this.tasks.push(t);
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
    if (!t.idle) t.shadow.pushCall(addrToNum(this.entry.taskExit));
    t.shadow.pushFrame(addrToNum(fn));
  }

  /** Tasks not yet dead (idle tasks excluded). */
  liveTasks(): number {
    let n = 0;
    for (const t of this.tasks) if (t.state !== 'dead') n++;
    return n;
  }

  private anyHostThread(): boolean {
    return this.hostThreads.some((h) => h !== null);
  }

  /** Create a task running guest function `fn(arg)` on `cpu`. */
  spawn(fn: bigint, arg: bigint, cpu: number, name?: string): Task {
    const t = this.newTask(name ?? `kworker/${cpu}:${this.nextPid}`, cpu, this.allocStack(`task stack ${this.nextPid}`), false);
    this.initFrame(t, numToAddr(t.stack!.end), fn, arg);
    this.runqueue[cpu].push(t);
    const c = this.cpus[cpu];
    if (this.current[cpu].idle) c.raiseIrq(RESCHEDULE_VECTOR);
    return t;
  }

  private hcSpawn(cpu: Cpu): void {
    const fn = cpu.getReg(RDI);
    const arg = cpu.getReg(6 /* rsi */);
    const target = Number(BigInt.asIntN(64, cpu.getReg(RDX)));
    if (target < 0 || target >= this.cpus.length || this.cpus[target].halted && !this.isStartable(target)) {
      cpu.setReg(RAX, BigInt(-EINVAL));
      return;
    }
    if (this.tasks.length >= 4096) { cpu.setReg(RAX, BigInt(-EAGAIN)); return; }
    const t = this.spawn(fn, arg, target);
    cpu.setReg(RAX, BigInt(t.pid));
  }

  private isStartable(cpu: number): boolean {
    return !this.smpBooted && cpu > 0;
  }

  /** Enter the scheduler from a hypercall: deliver the reschedule vector right after the vmcall. */
  private hcYield(cpu: Cpu): void {
    cpu.setReg(RAX, 0n);
    if (this.runqueue[cpu.id].length > 0) this.selfInterrupt(cpu);
  }

  private hcExit(cpu: Cpu): void {
    const t = this.current[cpu.id];
    if (t.idle) throw new MachineViolation(2, cpu.id, cpu.rip, 'the idle task tried to exit', new Uint8Array(0));
    t.state = 'dead';
    if (this.liveTasks() === 0 && !this.anyHostThread()) {
      // the last task is gone: wake every idle CPU so its idle loop sees it and halts
      for (const c of this.cpus) if (c !== cpu && c.waiting) c.raiseIrq(RESCHEDULE_VECTOR);
    }
    this.selfInterrupt(cpu);
  }

  private selfInterrupt(cpu: Cpu): void {
    // a software entry into the scheduler: the frame returns right after the vmcall
    cpu.deliver(RESCHEDULE_VECTOR, -1, cpu.rip);
  }

  private hcSmpBoot(cpu: Cpu): void {
    if (this.smpBooted) { cpu.setReg(RAX, 0n); return; }
    this.smpBooted = true;
    for (let i = 1; i < this.cpus.length; i++) {
      const c = this.cpus[i];
      const idle = this.idleTasks[i];
      // start in the idle task: pop its initial frame the way the entry code would
      const r = new PtRegs(this.machine.mem, idle.sp);
      c.setRip(r.ip);
      c.setReg(RSP, r.sp);
      c.setFlags(0x2);
      c.halted = false;
      c.serialTime = this.clock.now;
      c.timerPeriod = this.timerPeriod;
      c.timerNext = c.cycles + this.timerPeriod;
      idle.state = 'running';
      idle.shadow = new ShadowStack();
      if (this.flow) this.flow.shadows[i] = idle.shadow;
    }
    cpu.setReg(RAX, BigInt(this.cpus.length));
  }

  // ---- interrupts --------------------------------------------------------------------

  /** HC_IRQ: the host half of every entry stub. rdi = pt_regs, rsi = vector. Returns the rsp to resume with. */
  private onInterrupt(cpu: Cpu): void {
    const regsAddr = cpu.getReg(RDI);
    const vector = Number(cpu.getReg(6));
    const regs = new PtRegs(this.machine.mem, regsAddr);
    let spin = false;
    let resume = regsAddr;
    const me = this.current[cpu.id];
    switch (vector) {
      case NMI_VECTOR:
        break; // the guest's nmi_handler (if any) already ran in the stub
      case LOCAL_TIMER_VECTOR:
        this.checkIf(cpu, regs, vector);
        if (this.preemptible(regs)) resume = this.schedule(cpu, regsAddr, false);
        break;
      case RESCHEDULE_VECTOR:
        resume = this.schedule(cpu, regsAddr, me.state === 'dead');
        break;
      case CALL_FUNCTION_VECTOR: {
        this.checkIf(cpu, regs, vector);
        const q = this.callQueue[cpu.id];
        this.callQueue[cpu.id] = [];
        for (const e of q) { e.fn(cpu); e.done = true; }
        spin = this.stopping[cpu.id];
        break;
      }
      case 3: {
        // int3: regs->ip points after the int3
        const before = regs.ip;
        for (const h of this.int3Handlers) {
          if (h(cpu, regs)) {
            // a trusted handler may move the return point (skip or emulate): a blessed redirection
            if (this.flow && regs.ip !== before) this.flow.redirectFrame(cpu.id, addrToNum(regs.ip));
            cpu.setReg(RAX, regsAddr);
            cpu.setReg(RDX, 0n);
            return;
          }
        }
        const at = regs.ip - 1n;
        throw new MachineViolation(2, cpu.id, addrToNum(at), `unexpected int3 at ${hex(at)} <${this.symbolize(at)}>: no int3 handler claimed it`, this.bytesAt(at, 1));
      }
      default: {
        const ip = regs.ip;
        const cr2 = vector === 14 ? ` accessing ${hex(cpu.cr2)}` : '';
        const what = vector === 6 ? 'invalid opcode' : `${VEC_NAMES[vector] ?? `vector ${vector}`} exception`;
        throw new MachineViolation(2, cpu.id, addrToNum(ip), `${what} in kernel text at ${hex(ip)} <${this.symbolize(ip)}>${this.insnText(ip)}${cr2} (error code ${regs.get('orig_ax')})`, this.bytesAt(ip, 8));
      }
    }
    cpu.setReg(RAX, resume);
    cpu.setReg(RDX, spin ? 1n : 0n);
  }

  /** " (mov %rax,(%rdi))": the instruction at addr in objdump's syntax, for reports. */
  private insnText(addr: bigint): string {
    const text = describeBytes(this.bytesAt(addr, 15), addrToNum(addr), (a) => this.symbolize(a));
    return text ? ` (${text})` : '';
  }

  private bytesAt(addr: bigint, n: number): Uint8Array {
    for (let k = n; k > 0; k--) {
      try { return this.machine.mem.read(addr, k); } catch { /* shorter, up to the end of the region */ }
    }
    return new Uint8Array(0);
  }

  /** Invariant 7: a maskable interrupt only ever arrives with IF set in the interrupted context. */
  private checkIf(cpu: Cpu, regs: PtRegs, vector: number): void {
    if (!(regs.flags & BigInt(IF))) {
      throw new MachineViolation(7, cpu.id, addrToNum(regs.ip), `maskable interrupt ${vector} delivered while interrupts were off`, new Uint8Array(0));
    }
  }

  /** Preemption is allowed when the interrupt struck task code (not the entry code itself). */
  private preemptible(regs: PtRegs): boolean {
    const ip = regs.ip;
    const inEntry = ip >= ENTRY_TEXT_BASE && ip < ENTRY_TEXT_BASE + BigInt(ENTRY_TEXT_SIZE);
    return !inEntry || (ip >= this.entry.idle && ip < this.entry.idleEnd);
  }

  /** Pick the next task on this CPU; returns the pt_regs address to resume. */
  private schedule(cpu: Cpu, regsAddr: bigint, prevDead: boolean): bigint {
    const id = cpu.id;
    const prev = this.current[id];
    const rq = this.runqueue[id];
    if (rq.length === 0 && !prevDead) return regsAddr;
    const next = rq.length > 0 ? rq.shift()! : this.idleTasks[id];
    if (!prevDead) {
      prev.sp = regsAddr;
      prev.state = 'runnable';
      if (!prev.idle) rq.push(prev);
    }
    next.state = 'running';
    next.switches++;
    this.current[id] = next;
    if (this.flow) this.flow.shadows[id] = next.shadow;
    return next.sp;
  }

  // ---- SMP -----------------------------------------------------------------------------

  /** CPUs that can take IPIs (started and not halted for good). */
  online(): Cpu[] {
    return this.cpus.filter((c) => !c.halted);
  }

  /**
   * Run fn on every other online CPU by IPI and, when `wait`, until all have run it (kernel/smp.c
   * on_each_cpu). A host-thread step: yields while waiting. fn also runs on `self` directly.
   */
  *onEachCpu(self: Cpu, fn: (cpu: Cpu) => void, wait = true): HostThread {
    const entries: CallEntry[] = [];
    for (const c of this.online()) {
      if (c === self) continue;
      const e: CallEntry = { cpu: c.id, fn, done: false };
      this.callQueue[c.id].push(e);
      entries.push(e);
      c.raiseIrq(CALL_FUNCTION_VECTOR);
    }
    fn(self);
    yield;
    if (wait) while (entries.some((e) => !e.done && !this.cpus[e.cpu].halted)) yield;
  }

  /** sync_core(): a serializing instruction on this CPU (IRET-to-self / SERIALIZE). */
  syncCore(cpu: Cpu): void {
    cpu.serialTime = this.clock.now;
  }

  /** text_poke_sync(): serialize every online CPU and wait for all of them. */
  *syncCoreAll(self: Cpu): HostThread {
    yield* this.onEachCpu(self, (c) => this.syncCore(c), true);
  }

  /**
   * stop_machine(): every other online CPU takes an IPI and spins with interrupts off (NMIs still
   * arrive) while `fn` runs on `self`; then they are released and return through IRET.
   */
  *stopMachine(self: Cpu, fn: () => HostThread): HostThread {
    const others = this.online().filter((c) => c !== self);
    for (const c of others) this.stopping[c.id] = true;
    const entered: boolean[] = [];
    for (const c of others) {
      const e: CallEntry = { cpu: c.id, fn: () => { entered[c.id] = true; }, done: false };
      this.callQueue[c.id].push(e);
      c.raiseIrq(CALL_FUNCTION_VECTOR);
    }
    while (others.some((c) => !entered[c.id] && !c.halted)) yield;
    yield* fn();
    for (const c of others) { this.leftStop[c.id] = false; this.stopping[c.id] = false; }
    // as multi_cpu_stop's last state: every CPU has left before the next stop_machine may begin
    while (others.some((c) => !this.leftStop[c.id] && !c.halted)) yield;
  }

  /**
   * text_poke(): write kernel text through the writable alias. 'byte' granularity stores one byte per
   * step; 'word' stores each naturally aligned 8-byte word's share at once.
   */
  *textPoke(self: Cpu, addr: bigint, bytes: Uint8Array | number[], granularity: 'byte' | 'word' = 'byte'): HostThread {
    const data = Uint8Array.from(bytes);
    let i = 0;
    while (i < data.length) {
      let n = 1;
      if (granularity === 'word') {
        const a = addr + BigInt(i);
        n = Math.min(data.length - i, 8 - Number(a & 7n));
      }
      this.machine.mem.textWrite(addr + BigInt(i), data.subarray(i, i + n), this.clock.now, self.id);
      i += n;
      yield;
    }
  }

  /** Run a host thread on a CPU; the CPU's guest context is frozen while it runs. */
  startHostThread(cpu: number, t: HostThread): void {
    if (this.hostThreads[cpu] !== null) throw new Error(`CPU ${cpu} already runs a host thread`);
    this.hostThreads[cpu] = t;
    this.cpus[cpu].waiting = false;
  }

  hostThreadRunning(cpu: number): boolean {
    return this.hostThreads[cpu] !== null;
  }

  // ---- the run loop --------------------------------------------------------------------

  /** Record how the run stopped (a host component can stop it, e.g. a test writer on a violation). */
  stop(o: RunOutcome): void {
    this.stopReason = o;
  }

  /** The recorded decisions so far (for replay files). */
  get choices(): Choice[] {
    return this.chooser.log;
  }

  run(maxSteps: number): RunOutcome {
    const cpus = this.cpus;
    const runnable: number[] = [];
    while (this.stopReason === null) {
      runnable.length = 0;
      for (let i = 0; i < cpus.length; i++) if (!cpus[i].halted || this.hostThreads[i] !== null) runnable.push(i);
      if (runnable.length === 0) return { reason: 'halted', steps: this.steps };
      if (this.steps >= maxSteps) return { reason: 'max-steps', steps: this.steps };
      const id = runnable.length === 1 ? runnable[0] : runnable[this.chooser.choose('cpu', runnable.length)];
      const cpu = cpus[id];
      // One CPU and no host thread: interleaving cannot matter, so run long stretches without asking.
      const alone = runnable.length === 1 && this.hostThreads[id] === null && this.nmiRate === 0;
      let q = alone ? 100_000 : 1 + this.chooser.choose('quantum', this.maxQuantum);
      if (q > maxSteps - this.steps) q = maxSteps - this.steps;
      if (this.nmiRate > 0 && !cpu.halted) {
        // NMIs arrive at nmiRate per million cycles: one decision per quantum
        const p = Math.min(1_000_000, Math.round(this.nmiRate * q));
        if (this.chooser.choose('nmi', 1_000_000) < p) cpu.raiseNmi();
      }
      let used: number;
      const ht = this.hostThreads[id];
      if (ht !== null) {
        // A host thread advances one step per decision, so every point between its steps is a place
        // where the chooser can let other CPUs run (the generator's resume points).
        const r = ht.next();
        used = 1;
        this.clock.now++;
        cpu.cycles++;
        cpu.idleCycles++;
        if (r.done) this.hostThreads[id] = null;
      } else {
        used = cpu.run(q);
        this.clock.now += used;
        if (cpu.fault) {
          this.stopReason = { reason: 'fault', steps: this.steps + used, error: describeFault(cpu.id, cpu.fault, (a) => this.symbolize(numToAddr(a))) };
        } else if (cpu.violation) {
          this.stopReason = { reason: 'violation', steps: this.steps + used, violation: this.describeViolation(cpu) };
        }
      }
      this.steps += used;
      if (this.fetch !== null && this.clock.now >= this.pruneAt) {
        this.pruneAt = this.clock.now + 1_000_000;
        let min = Infinity;
        for (const c of cpus) if (!c.halted && c.serialTime < min) min = c.serialTime;
        this.machine.mem.pruneHistory(min === Infinity ? this.clock.now : min);
      }
      if (used === 0 && ht === null && !cpu.halted) {
        // a CPU that cannot make progress (should not happen): avoid spinning forever
        this.stopReason = { reason: 'deadlock', steps: this.steps, error: `CPU ${id} made no progress` };
      }
    }
    return this.stopReason;
  }

  private describeViolation(cpu: Cpu): Violation {
    const v = cpu.violation!;
    const task = this.current[cpu.id];
    const taskName = `${task.name} (pid ${task.pid})`;
    const fmtByte = (b: number): string => b.toString(16).padStart(2, '0');
    if (v instanceof FetchViolation) {
      const rip = numToAddr(v.rip);
      const details: string[] = [];
      details.push(`CPU ${cpu.id} last serialized at t=${v.serialTime}; fetched at t=${v.now}`);
      details.push(`observed bytes: ${v.bytes.map((b) => fmtByte(b.observed)).join(' ')}   (decodes as a ${v.insn.len}-byte instruction)`);
      details.push(`memory now:     ${v.bytes.map((b) => fmtByte(b.current)).join(' ')}`);
      for (const b of v.bytes) {
        const hist = b.window.map(([t, val, w]) => `${fmtByte(val)}@t=${t}${w >= 0 ? ` by CPU ${w}` : ' (initial)'}`).join(', ');
        details.push(`  ${hex(b.addr)}: observed ${fmtByte(b.observed)}; values in window: ${hist || `${fmtByte(b.current)} only`}`);
      }
      if (v.kind === 'stale') details.push(`the observed instruction stood in memory at t=${v.stoodAt}, and was modified after it without this CPU serializing`);
      return {
        invariant: 1, kind: v.kind, cpu: cpu.id, task: taskName, rip, symbol: this.symbolize(rip),
        summary: v.kind === 'torn'
          ? `CPU ${cpu.id} executed a torn instruction at ${hex(rip)} <${this.symbolize(rip)}>: its bytes never stood in memory together`
          : `CPU ${cpu.id} executed a stale instruction at ${hex(rip)} <${this.symbolize(rip)}> that had been modified by another CPU without serializing since`,
        details, time: v.now,
      };
    }
    const rip = numToAddr(v.rip);
    const kinds: Record<number, string> = { 2: 'bad-opcode-or-fault', 3: 'control-flow', 7: 'interrupt-state' };
    return {
      invariant: v.invariant, kind: kinds[v.invariant] ?? 'machine', cpu: cpu.id, task: taskName, rip, symbol: this.symbolize(rip),
      summary: v.detail,
      details: v.bytes.length ? [`bytes at ${hex(rip)}: ${Array.from(v.bytes, fmtByte).join(' ')}`] : [],
      time: this.clock.now,
    };
  }
}

