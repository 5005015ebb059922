// The invariant-9 monitor: a live-patched function is never briefly unpatched while its ftrace site moves between targets (DESIGN.md §4; what kernel/livepatch/patch.c relies on ftrace for).

import type { Cpu, FlowMonitor } from '../machine/x86/cpu.js';
import { MachineViolation } from '../machine/x86/cpu.js';
import { addrToNum } from '../machine/memory.js';
import type { Livepatch, KlpFunc } from './patch.js';

/** One open call of a patched function on a task. */
interface Frame {
  f: KlpFunc;
  /** Where the call returns to (the caller's next instruction). */
  returnTo: number;
  /** The patch was in force (enabled and not being disabled) when the call began. */
  committed: boolean;
  /** The redirect happened: a ret landed on the replacement's first byte (the regs caller's return to regs->ip). */
  ranNew: boolean;
}

export interface KlpMonitorOptions {
  /** The task running on a CPU (frames are per task: a call may be preempted and resume elsewhere). */
  currentTask: (cpu: number) => object;
  /** Names of guest addresses, for the report. */
  symbolize: (addr: bigint) => string;
}

/**
 * Follows every call of every patched function, per task, from the CPUs' call and ret events (wrapping
 * each CPU's flow monitor). A call that begins while its patch is in force must run the replacement: the
 * IPMODIFY ops is still called whatever its site is doing (the list function goes in first; the #BP
 * handler emulates the new call). A call that instead returns from the old function having never been
 * redirected stops the run as a violation of invariant 9. Calls that begin while the patch is being
 * enabled or disabled may run either function (no per-task consistency model yet).
 */
export class KlpMonitor {
  /** Calls of patched functions checked (begun while committed and returned). */
  checked = 0;
  private stacks = new WeakMap<object, Frame[]>();

  constructor(private readonly lp: Livepatch, private readonly opts: KlpMonitorOptions) {}

  /** Wrap each CPU's flow monitor (which must be on: the call/ret events come from it). */
  install(cpus: readonly Cpu[]): void {
    for (const c of cpus) {
      const inner = c.flow;
      if (inner === null) throw new Error('the invariant-9 monitor needs the control-flow monitor on');
      const self = this;
      const wrapped: FlowMonitor = {
        onCall(cpu, returnTo) {
          self.onCall(cpu, returnTo);
          inner.onCall(cpu, returnTo);
        },
        onRet(cpu, target) {
          const bad = inner.onRet(cpu, target);
          if (bad === null) self.onRet(cpu, target);
          return bad;
        },
        onInterrupt: (cpu, vector, returnTo) => inner.onInterrupt(cpu, vector, returnTo),
        onIret: (cpu, target) => inner.onIret(cpu, target),
      };
      c.flow = wrapped;
    }
  }

  /** Forget every open call (the machine was restored to a snapshot: those calls never happened). */
  reset(): void {
    this.stacks = new WeakMap();
    this.checked = 0;
  }

  private stack(cpu: number): Frame[] {
    const t = this.opts.currentTask(cpu);
    let s = this.stacks.get(t);
    if (s === undefined) {
      s = [];
      this.stacks.set(t, s);
    }
    return s;
  }

  /** Each patch's old and new function as the CPU's numeric rip (converted once per patch: this is on every call and ret). */
  private readonly addrs = new WeakMap<KlpFunc, { old: number; neu: number }>();

  private addrsOf(f: KlpFunc): { old: number; neu: number } {
    let a = this.addrs.get(f);
    if (a === undefined) {
      a = { old: addrToNum(f.oldFunc), neu: addrToNum(f.newFunc) };
      this.addrs.set(f, a);
    }
    return a;
  }

  private funcAt(rip: number): KlpFunc | undefined {
    for (const f of this.lp.funcs.values()) if (this.addrsOf(f).old === rip) return f;
    return undefined;
  }

  private onCall(cpu: Cpu, returnTo: number): void {
    if (this.lp.funcs.size === 0) return;
    const f = this.funcAt(cpu.rip);
    if (f !== undefined) this.stack(cpu.id).push({ f, returnTo, committed: f.patched && !f.unpatching, ranNew: false });
  }

  private onRet(cpu: Cpu, target: number): void {
    const st = this.stacks.get(this.opts.currentTask(cpu.id));
    const top = st?.[st.length - 1];
    if (st === undefined || top === undefined) return;
    if (target === this.addrsOf(top.f).neu) {
      top.ranNew = true;
      return;
    }
    if (target !== top.returnTo) return;
    st.pop();
    if (!top.committed) return;
    this.checked++;
    if (top.ranNew) return;
    const ret = BigInt.asUintN(64, BigInt(top.returnTo));
    throw new MachineViolation(9, cpu.id, cpu.rip,
      `CPU ${cpu.id} ran ${top.f.oldName} unpatched: a call that began while it was live-patched to ${top.f.newName} ` +
      `returned to ${this.opts.symbolize(ret)} without being redirected (its IPMODIFY ops was not called)`, new Uint8Array(0));
  }
}
