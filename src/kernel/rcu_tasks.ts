// synchronize_rcu_tasks_rude + synchronize_rcu_tasks for the simulated kernel: wait until no task can still be executing in text that is about to be freed (kernel/rcu/tasks.h).
//
// The caller has already made the text unreachable (no site calls it any more, and every CPU has
// serialized since), so only a context that was inside it before can still be there:
//  - an interrupt or NMI handler, or an irqs-off region, on some CPU: the "rude" flavour sends every
//    CPU an IPI and waits; a CPU takes it only with interrupts on, after such a region has left;
//  - a task, running or preempted, with the text in its current instruction, a saved interrupt frame
//    or a return address (it called out of the text, or was interrupted or preempted inside it).
// The task flavour takes every live task except the caller as a holdout and waits until each one
// has either entered the scheduler voluntarily (the kernel's rcu_tasks_qs on a voluntary switch:
// no task schedules voluntarily from inside a trampoline), or exited, or — what the kernel gets from
// a task in user mode or idle — is seen at an instruction boundary with none of its contexts in the
// retiring text: its ip (the CPU's, or the one saved when it was preempted) and the flow monitor's
// shadow of its return addresses and interrupt frames. Without the flow monitor only the first two
// apply. Idle tasks are covered by the rude flavour (they never run trampolines outside handlers).
//
// Negative controls: 'ipi_only' stops after the rude IPI round; 'none' does not wait at all.

import type { Cpu } from '../machine/x86/cpu.js';
import { WAIT, type HostThread } from '../machine/scheduler.js';
import { addrToNum } from '../machine/memory.js';
import type { Kernel, Task } from './kernel.js';

export type RcuTasksMode = 'full' | 'ipi_only' | 'none';
export const RCU_TASKS_MODES: readonly RcuTasksMode[] = ['full', 'ipi_only', 'none'];

export interface RcuTasksStats {
  /** Grace periods waited for. */
  gps: number;
  /** Tasks that were holdouts at a first check (not yet quiescent when the task phase began). */
  holdouts: number;
  /** Checks that found some holdout left (each followed by a sleep or a spin step). */
  waits: number;
}

export class RcuTasks {
  readonly stats: RcuTasksStats = { gps: 0, holdouts: 0, waits: 0 };

  constructor(private readonly kernel: Kernel, public mode: RcuTasksMode = 'full') {}

  /** Whether any context of task `t` lies in the retiring text (see the header). */
  inside(t: Task, retiring: (addr: number) => boolean): boolean {
    const sh = t.shadow;
    for (let i = 0; i < sh.depth; i++) if (retiring(sh.addrs[i])) return true;
    const ip = t.state === 'running' ? this.kernel.cpus[t.cpu].getRip() : t.stoppedIp;
    return retiring(addrToNum(ip));
  }

  /**
   * Wait for a grace period, as a host thread on `self`. `retiring` says whether a guest address lies
   * in the text to be freed; `sleep`, called before each wait step, lets a caller that runs in a task
   * give its CPU to the other tasks there (one of them may be the holdout) instead of spinning: it
   * says whether it will. A caller that cannot sleep while a holdout waits in its own CPU's run queue
   * would wait forever: that is an Error naming the task.
   */
  *synchronize(self: Cpu, retiring: (addr: number) => boolean, sleep?: () => boolean): HostThread {
    if (this.mode === 'none') return;
    this.stats.gps++;
    // synchronize_rcu_tasks_rude: every CPU passes through a point with interrupts on
    yield* this.kernel.syncCoreAll(self);
    if (this.mode === 'ipi_only') return;
    const sched = this.kernel.sched;
    const me = sched.current[self.id];
    const useStacks = this.kernel.flow !== null;
    let holdouts = sched.tasks.filter((t) => t !== me && t.state !== 'dead').map((t) => ({ t, nvcsw: t.nvcsw }));
    let first = true;
    for (;;) {
      holdouts = holdouts.filter(({ t, nvcsw }) => t.state !== 'dead' && t.nvcsw === nvcsw && !(useStacks && !this.inside(t, retiring)));
      if (first) this.stats.holdouts += holdouts.length;
      first = false;
      if (holdouts.length === 0) return;
      this.stats.waits++;
      const sleeps = sleep?.() ?? false;
      if (!sleeps) {
        const stuck = holdouts.find(({ t }) => t.state === 'runnable' && t.cpu === self.id);
        if (stuck !== undefined) {
          throw new Error(`synchronize_rcu_tasks on CPU ${self.id} would wait forever: ${stuck.t.name} (pid ${stuck.t.pid}) is preempted ` +
            `in the text being freed, queued on this CPU, and the caller cannot sleep (run the update from a task)`);
        }
      }
      yield WAIT;
    }
  }
}
