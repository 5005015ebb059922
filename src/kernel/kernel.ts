// The ftsim kernel: wires tasks, SMP services, text_poke and the trap handlers onto the machine and its scheduler; violation reports in the kernel's words (init/main.c's role).

import { Machine } from '../machine/machine.js';
import { MachineViolation, type Cpu } from '../machine/x86/cpu.js';
import { PERM_R, PERM_X, addrToNum, numToAddr, hex } from '../machine/memory.js';
import { FetchViolation, type FetchModel } from '../machine/fetch.js';
import { type Chooser, type Choice } from '../machine/chooser.js';
import { Scheduler, type HostThread, type StopReason, type SchedulerState } from '../machine/scheduler.js';
import { FlowIntegrity } from '../machine/flow.js';
import { saveMachine, restoreMachine, type MachineState } from '../machine/snapshot.js';
import { describeFault } from '../machine/machine.js';
import { buildEntryText, buildIdt, type EntryText, type StubSpec } from './entry.js';
import { IDT_BASE, IDT_SIZE, ENTRY_TEXT_BASE, ENTRY_TEXT_SIZE, NMI_VECTOR, LOCAL_TIMER_VECTOR, CALL_FUNCTION_VECTOR, RESCHEDULE_VECTOR, CYCLES_PER_SECOND } from './layout.js';
import { HC_IDLE } from './hypercalls.js';
import { Sched, type Task, type SchedState } from './sched.js';
import { Smp } from './smp.js';
import { TextPoke, type PokeGranularity } from './text_poke.js';
import { Traps, type Int3Handler } from './traps.js';
import { KernelVm, type VmState } from './vmalloc.js';
import { RAX } from '../machine/x86/cpu.js';

export type { Task, TaskState } from './sched.js';
export type { HostThread, StopReason } from '../machine/scheduler.js';

export interface KernelOptions {
  chooser: Chooser;
  /** Timer interrupts per second of simulated time (1 GHz clock); 0 = no timer. */
  timerHz?: number;
  /** NMIs per million cycles, per CPU. */
  nmiRate?: number;
  /** Largest slice, in instructions, the chooser may give a CPU. */
  maxQuantum?: number;
  /** How many slice boundaries a due interrupt may be held back at (see SchedulerOptions.maxDefer). */
  maxDefer?: number;
  /** End slices at operations other CPUs can observe (see SchedulerOptions.visibleSlices). */
  visibleSlices?: boolean;
  /** Offer a tick at instruction boundaries inside call sites (see SchedulerOptions.preemptAtSites). */
  preemptAtSites?: boolean;
  /** Offer an NMI at every slice start (see SchedulerOptions.nmiAnyTime). */
  nmiAnyTime?: boolean;
  /** Check call/ret integrity (invariant 3). */
  flowMonitor?: boolean;
  /** Model cross-modifying instruction fetch (invariant 1). */
  fetchModel?: boolean;
  /** Guest C handlers called by the entry stubs before the host part, by vector. */
  guestHandlers?: Map<number, bigint>;
  /**
   * The kernel's nested-NMI scheme in the NMI entry (default on): an NMI that arrives while the
   * handler runs is latched and the handler repeats. Off only to show what it prevents.
   */
  nmiRepeat?: boolean;
  symbolize?: (addr: bigint) => string;
}

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

/** Everything needed to continue a run exactly from a quiescent point (see Kernel.snapshot). */
export interface KernelSnapshot {
  machine: MachineState;
  scheduler: SchedulerState;
  tasks: SchedState;
  smp: ReturnType<Smp['save']>;
  traps: ReturnType<Traps['save']>;
  vm: VmState;
  /** What each snapshot hook saved, in the order of Kernel.snapshotHooks. */
  hooks: unknown[];
}

/** Host state of a layer above the kernel (ftrace's records and backend) that a snapshot must carry too. */
export interface SnapshotHook {
  /** Called at a quiescent point, after the kernel's own state; may refuse with an Error. */
  save(): unknown;
  /** Called after the kernel's own state was restored, with what save() returned. */
  restore(state: unknown): void;
}

export class Kernel {
  readonly machine: Machine;
  readonly cpus: Cpu[];
  readonly scheduler: Scheduler;
  readonly entry: EntryText;
  readonly fetch: FetchModel | null;
  readonly flow: FlowIntegrity | null;
  readonly clock: { now: number };
  readonly sched: Sched;
  readonly smp: Smp;
  readonly poke: TextPoke;
  readonly traps: Traps;
  /** module_alloc / vmalloc and their frees. */
  readonly vm: KernelVm;
  readonly symbolize: (addr: bigint) => string;
  /** Saved and restored with every snapshot, in order. */
  readonly snapshotHooks: SnapshotHook[] = [];

  constructor(machine: Machine, readonly opts: KernelOptions) {
    this.machine = machine;
    this.cpus = machine.cpus;
    this.clock = machine.clock;
    this.symbolize = opts.symbolize ?? ((a) => hex(a));
    const sym = (a: number): string => this.symbolize(numToAddr(a));
    this.scheduler = new Scheduler(machine, opts.chooser, { maxQuantum: opts.maxQuantum, nmiRate: opts.nmiRate, maxDefer: opts.maxDefer, visibleSlices: opts.visibleSlices, preemptAtSites: opts.preemptAtSites, nmiAnyTime: opts.nmiAnyTime });
    this.fetch = opts.fetchModel === false ? null : machine.attachFetchModel(this.scheduler.chooser);
    this.flow = opts.flowMonitor === false ? null : new FlowIntegrity(this.cpus.length, sym, {
      lifetimes: machine.lifetimes, clock: machine.clock,
      who: (c) => { const t = this.sched?.current[c]; return t === undefined ? '' : `${t.name}, pid ${t.pid}`; },
    });

    // Entry text and IDT in the cpu_entry_area.
    const specs: StubSpec[] = [
      { vector: 0, name: 'asm_exc_divide_error', errorCode: false },
      { vector: NMI_VECTOR, name: 'asm_exc_nmi', errorCode: false, guestHandler: opts.guestHandlers?.get(NMI_VECTOR), nmi: opts.nmiRepeat !== false },
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
    for (const cpu of this.cpus) {
      cpu.idtBase = addrToNum(IDT_BASE);
      cpu.flow = this.flow;
    }

    const period = opts.timerHz ? Math.max(1000, Math.round(CYCLES_PER_SECOND / opts.timerHz)) : 0;
    this.sched = new Sched(machine, this.scheduler, this.entry, this.flow);
    this.smp = new Smp(machine, this.scheduler, this.sched, { vector: LOCAL_TIMER_VECTOR, period });
    this.poke = new TextPoke(machine);
    this.traps = new Traps(machine, this.entry, this.sched, this.smp, this.flow, this.symbolize);
    // poke_int3_handler runs first in the int3 chain, as in the kernel
    this.traps.int3Handlers.push(this.poke.int3Handler);
    this.vm = new KernelVm(machine.mem, (addr, size, name) => machine.lifetimes.retire(addrToNum(addr), size, machine.clock.now, name));
    // the boot CPU's timer runs from the start; the others start with their CPU
    this.scheduler.startTimer(0, LOCAL_TIMER_VECTOR, period);
    machine.registerHypercall(HC_IDLE, 'idle', (cpu) => cpu.setReg(RAX, this.sched.liveTasks() > 0 || this.scheduler.anyHostThread() ? 1n : 0n));
  }

  // ---- the services, by their kernel names ---------------------------------------------

  get tasks(): Task[] { return this.sched.tasks; }
  get current(): Task[] { return this.sched.current; }
  get int3Handlers(): Int3Handler[] { return this.traps.int3Handlers; }
  /** Steps (cycles of all CPUs, host-thread steps included) run so far. */
  get steps(): number { return this.scheduler.steps; }
  /** The recorded decisions so far (for replay files). */
  get choices(): Choice[] { return this.scheduler.choices; }

  liveTasks(): number { return this.sched.liveTasks(); }
  spawn(fn: bigint, arg: bigint, cpu: number, name?: string): Task { return this.sched.spawn(fn, arg, cpu, name); }
  onEachCpu(self: Cpu, fn: (cpu: Cpu) => void, wait = true): HostThread { return this.smp.onEachCpu(self, fn, wait); }
  syncCore(cpu: Cpu): void { this.smp.syncCore(cpu); }
  syncCoreAll(self: Cpu): HostThread { return this.smp.syncCoreAll(self); }
  stopMachine(self: Cpu, fn: () => HostThread): HostThread { return this.smp.stopMachine(self, fn); }
  textPoke(self: Cpu, addr: bigint, bytes: Uint8Array | number[], granularity: PokeGranularity = 'byte'): HostThread {
    return this.poke.textPoke(self, addr, bytes, granularity);
  }
  startHostThread(cpu: number, t: HostThread): void { this.scheduler.startHostThread(cpu, t); }
  hostThreadRunning(cpu: number): boolean { return this.scheduler.hostThreadRunning(cpu); }

  // ---- running -------------------------------------------------------------------------

  /** Run until every CPU halted, something stopped the run, or `maxSteps` steps have run in all. */
  run(maxSteps: number): RunOutcome {
    const o = this.scheduler.run(maxSteps);
    const out: RunOutcome = { reason: o.reason, steps: o.steps };
    if (o.fault !== undefined && o.cpu !== undefined) out.error = describeFault(o.cpu, o.fault, (a) => this.symbolize(numToAddr(a)));
    else if (o.violation !== undefined && o.cpu !== undefined) out.violation = this.describeViolation(this.cpus[o.cpu]);
    else if (o.error !== undefined) out.error = o.error;
    return out;
  }

  // ---- snapshots -----------------------------------------------------------------------

  /** True at a point where a snapshot may be taken: no host thread, cross-CPU call or stop_machine in flight. */
  quiescent(): boolean {
    return this.scheduler.quiescent() && this.smp.quiescent();
  }

  /**
   * Save the whole run at a quiescent point: memory, CPUs, fetch history, clock, tasks and their
   * shadow stacks, the scheduler and the chooser's state. Restoring it and running gives exactly
   * the run that continuing from here would have given.
   */
  snapshot(): KernelSnapshot {
    if (!this.quiescent()) throw new Error('cannot snapshot: a host thread, cross-CPU call or stop_machine is in flight');
    return { machine: saveMachine(this.machine), scheduler: this.scheduler.save(), tasks: this.sched.save(), smp: this.smp.save(), traps: this.traps.save(), vm: this.vm.save(),
      hooks: this.snapshotHooks.map((h) => h.save()) };
  }

  restore(s: KernelSnapshot): void {
    restoreMachine(this.machine, s.machine);
    this.scheduler.restore(s.scheduler);
    this.sched.restore(s.tasks);
    this.smp.restore(s.smp);
    this.traps.restore(s.traps);
    this.poke.restore();
    this.vm.restore(s.vm);
    this.snapshotHooks.forEach((h, i) => { if (i < s.hooks.length) h.restore(s.hooks[i]); });
  }

  // ---- reports -------------------------------------------------------------------------

  /** The report of the violation that stopped `cpu`. */
  describeViolation(cpu: Cpu): Violation {
    const v = cpu.violation!;
    const task = this.sched.current[cpu.id];
    const taskName = `${task.name} (pid ${task.pid})`;
    const fmtByte = (b: number): string => b.toString(16).padStart(2, '0');
    if (v instanceof FetchViolation) {
      const rip = numToAddr(v.rip);
      const details: string[] = [];
      const fmtBytes = (bs: number[]): string => bs.map(fmtByte).join(' ');
      if (v.kind === 'mid-instruction' && v.site !== null) {
        const s = v.site;
        const site = numToAddr(s.addr);
        details.push(`patch site ${hex(site)} <${this.symbolize(site)}>, ${s.len} bytes, now holds: ${fmtBytes(s.contents)}`);
        details.push(`the fetch is at offset ${s.offset} of the site; bytes from there: ${fmtBytes(v.bytes.map((b) => b.observed))}   (decode as a ${v.insn.len}-byte instruction)`);
        for (const ver of s.versions) details.push(`  contents ${fmtBytes(ver.bytes)} have instructions starting at offsets ${ver.bounds.slice(0, -1).join(', ')}`);
        if (task.stoppedIp === rip) {
          details.push(`${taskName} was switched out at ${hex(rip)} at t=${task.stoppedAt}; the site changed while it was away; it resumed here at t=${v.now}`);
        } else {
          details.push(`${taskName} reached ${hex(rip)} without being switched out there (last switched out at t=${task.stoppedAt} at ${hex(task.stoppedIp)}): it was interrupted there, or jumped into the site; fetched at t=${v.now}`);
        }
        return {
          invariant: 1, kind: v.kind, cpu: cpu.id, task: taskName, rip, symbol: this.symbolize(rip),
          summary: `CPU ${cpu.id} fetched at ${hex(rip)} <${this.symbolize(rip)}>, offset ${s.offset} inside the patch site at ${hex(site)}: not an instruction boundary of what the site holds (${fmtBytes(s.contents)})`,
          details, time: v.now,
        };
      }
      details.push(`CPU ${cpu.id} last serialized at t=${v.serialTime}; fetched at t=${v.now}`);
      details.push(`observed bytes: ${v.bytes.map((b) => fmtByte(b.observed)).join(' ')}   (decodes as a ${v.insn.len}-byte instruction)`);
      details.push(`memory now:     ${v.bytes.map((b) => fmtByte(b.current)).join(' ')}`);
      let midWrite = false;
      for (const b of v.bytes) {
        const hist = b.window.map(([t, val, w, end]) => {
          const part = end > t ? (end === Infinity ? ', part of a text_poke still in progress' : `, part of a text_poke whose last store was at t=${end}`) : '';
          if (end > t) midWrite = true;
          return `${fmtByte(val)}@t=${t}${w >= 0 ? ` by CPU ${w}` : ' (initial)'}${part}`;
        }).join('; ');
        details.push(`  ${hex(b.addr)}: observed ${fmtByte(b.observed)}; values in window: ${hist || `${fmtByte(b.current)} only`}`);
      }
      if (v.kind === 'torn' && midWrite) details.push('one text_poke is one write: the states between its stores never stood in memory as an instruction');
      if (v.kind === 'stale') details.push(`the observed instruction stood in memory at t=${v.stoodAt}, and was modified after it without this CPU serializing`);
      return {
        invariant: 1, kind: v.kind, cpu: cpu.id, task: taskName, rip, symbol: this.symbolize(rip),
        summary: v.kind === 'torn'
          ? `CPU ${cpu.id} executed a torn instruction at ${hex(rip)} <${this.symbolize(rip)}>: its bytes never stood in memory together${midWrite ? ' outside a text_poke in progress' : ''}`
          : `CPU ${cpu.id} executed a stale instruction at ${hex(rip)} <${this.symbolize(rip)}> that had been modified by another CPU without serializing since`,
        details, time: v.now,
      };
    }
    const rip = numToAddr(v.rip);
    const kinds: Record<number, string> = { 2: 'bad-opcode-or-fault', 3: 'control-flow', 5: 'text-freed-or-rewritten-in-use', 7: 'interrupt-state', 9: 'unpatched-call' };
    return {
      invariant: v.invariant, kind: kinds[v.invariant] ?? 'machine', cpu: cpu.id, task: taskName, rip, symbol: this.symbolize(rip),
      summary: v.detail,
      details: v.bytes.length ? [`bytes at ${hex(rip)}: ${Array.from(v.bytes, fmtByte).join(' ')}`] : [],
      time: this.clock.now,
    };
  }
}

export { MachineViolation };
