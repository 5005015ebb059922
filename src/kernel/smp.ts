// Cross-CPU function calls, on_each_cpu, sync_core on every CPU, stop_machine, and bringing up the secondary CPUs (kernel/smp.c, kernel/stop_machine.c).

import type { Machine } from '../machine/machine.js';
import { WAIT, type Scheduler, type HostThread } from '../machine/scheduler.js';
import { RAX, type Cpu } from '../machine/x86/cpu.js';
import { CALL_FUNCTION_VECTOR } from './layout.js';
import { HC_SMP_BOOT, HC_STOP_POLL } from './hypercalls.js';
import type { Sched } from './sched.js';

/** Pending cross-CPU function call (kernel/smp.c's call_single_data). */
interface CallEntry {
  cpu: number;
  fn: (cpu: Cpu) => void;
  done: boolean;
}

export class Smp {
  private readonly callQueue: CallEntry[][] = [];
  /** stop_machine: this CPU must keep spinning. */
  private readonly stopping: boolean[] = [];
  /** stop_machine: this CPU saw the release and left its spin loop. */
  private readonly leftStop: boolean[] = [];
  private smpBooted = false;

  constructor(
    private readonly machine: Machine,
    private readonly sched: Scheduler,
    private readonly tasks: Sched,
    private readonly timer: { vector: number; period: number },
  ) {
    for (let i = 0; i < machine.cpus.length; i++) { this.callQueue.push([]); this.stopping.push(false); this.leftStop.push(false); }
    machine.registerHypercall(HC_STOP_POLL, 'stop_machine poll', (cpu) => {
      const spin = this.stopping[cpu.id];
      if (!spin) this.leftStop[cpu.id] = true;
      cpu.setReg(RAX, spin ? 1n : 0n);
    });
    machine.registerHypercall(HC_SMP_BOOT, 'smp_boot', (cpu) => this.hcSmpBoot(cpu));
    // before HC_SMP_BOOT, tasks may be queued on any CPU: it will start
    tasks.canRunOn = (c) => !machine.cpus[c].halted || !this.smpBooted;
  }

  private hcSmpBoot(cpu: Cpu): void {
    if (this.smpBooted) { cpu.setReg(RAX, 0n); return; }
    this.smpBooted = true;
    for (let i = 1; i < this.machine.cpus.length; i++) {
      const c = this.machine.cpus[i];
      this.tasks.startIdle(c);
      c.halted = false;
      c.serialTime = this.machine.clock.now;
      this.sched.startTimer(i, this.timer.vector, this.timer.period);
    }
    cpu.setReg(RAX, BigInt(this.machine.cpus.length));
    // the boot CPU no longer runs alone: let the scheduler decide again
    cpu.interruptSlice();
  }

  /** CPUs that can take IPIs (started and not halted for good). */
  online(): Cpu[] {
    return this.machine.cpus.filter((c) => !c.halted);
  }

  /** The call-function vector's host half: run what was queued for this CPU. Returns true when it must spin (stop_machine). */
  handleCallFunction(cpu: Cpu): boolean {
    const q = this.callQueue[cpu.id];
    this.callQueue[cpu.id] = [];
    for (const e of q) { e.fn(cpu); e.done = true; }
    return this.stopping[cpu.id];
  }

  /** No cross-CPU call is queued or being waited for (a snapshot may be taken). */
  quiescent(): boolean {
    return this.callQueue.every((q) => q.length === 0) && this.stopping.every((s) => !s);
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
      this.sched.sendIpi(c.id, CALL_FUNCTION_VECTOR);
    }
    fn(self);
    yield;
    if (wait) while (entries.some((e) => !e.done && !this.machine.cpus[e.cpu].halted)) yield WAIT;
  }

  /** sync_core(): a serializing instruction on this CPU (IRET-to-self / SERIALIZE). */
  syncCore(cpu: Cpu): void {
    cpu.serialTime = this.machine.clock.now;
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
      this.sched.sendIpi(c.id, CALL_FUNCTION_VECTOR);
    }
    while (others.some((c) => !entered[c.id] && !c.halted)) yield WAIT;
    yield* fn();
    for (const c of others) { this.leftStop[c.id] = false; this.stopping[c.id] = false; }
    // as multi_cpu_stop's last state: every CPU has left before the next stop_machine may begin
    while (others.some((c) => !this.leftStop[c.id] && !c.halted)) yield WAIT;
  }

  save(): { smpBooted: boolean } {
    return { smpBooted: this.smpBooted };
  }

  restore(s: { smpBooted: boolean }): void {
    this.smpBooted = s.smpBooted;
    for (let i = 0; i < this.callQueue.length; i++) { this.callQueue[i] = []; this.stopping[i] = false; this.leftStop[i] = false; }
  }
}
