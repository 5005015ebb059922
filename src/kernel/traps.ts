// The host half of every interrupt and exception entry: timer and reschedule, cross-CPU calls, the int3 notifier chain, unexpected faults in kernel text (arch/x86/kernel/traps.c, idt.c).

import type { Machine } from '../machine/machine.js';
import { MachineViolation, RAX, RDX, RDI, RSI, IF, VEC_NAMES, type Cpu } from '../machine/x86/cpu.js';
import { PERM_X, addrToNum, hex } from '../machine/memory.js';
import type { FlowIntegrity } from '../machine/flow.js';
import { TextLifetimes } from '../machine/lifetimes.js';
import { describeBytes } from '../machine/x86/format.js';
import { PtRegs } from './ptregs.js';
import type { EntryText } from './entry.js';
import { ENTRY_TEXT_BASE, ENTRY_TEXT_SIZE, NMI_VECTOR, LOCAL_TIMER_VECTOR, CALL_FUNCTION_VECTOR, RESCHEDULE_VECTOR } from './layout.js';
import { HC_IRQ, HC_NMI_ENTER, HC_NMI_EXIT } from './hypercalls.js';
import type { Sched } from './sched.js';
import type { Smp } from './smp.js';

/** An int3 notifier (poke_int3_handler, kprobes): true when it handled the trap; it may move regs->ip. */
export type Int3Handler = (cpu: Cpu, regs: PtRegs) => boolean;

/** Observes every entry before the kernel handles it (tests, tracers of interrupts). */
export type EntryObserver = (cpu: Cpu, regs: PtRegs, vector: number) => void;

/**
 * The nmi_handler tracepoint's view of one NMI (arch/x86/kernel/nmi.c nmi_handle): the guest's NMI
 * handler has just returned after `deltaNs` (from the NMI entry, or the latched repeat, to its return).
 */
export type NmiObserver = (cpu: Cpu, deltaNs: number) => void;

/** Vectors whose frame carries an error code from the CPU. */
const HAS_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);

/** A #PF error code in words (arch/x86/include/asm/trap_pf.h bits). */
export function describePfError(code: number): string {
  const what = code & 0x10 ? 'instruction fetch' : code & 2 ? 'write' : 'read';
  const page = code & 1 ? 'protection violation on a present page' : 'page not present';
  return `${what}, ${page}${code & 4 ? ', user mode' : ', kernel mode'}${code & 8 ? ', reserved bit set' : ''}`;
}

export class Traps {
  /** int3 notifier chain (poke_int3_handler first, then kprobes). */
  readonly int3Handlers: Int3Handler[] = [];
  readonly observers: EntryObserver[] = [];
  /** Called after the guest's NMI handler ran (not for a latched nested NMI): must not change state. */
  readonly nmiObservers: NmiObserver[] = [];
  /**
   * nmi_enter()'s arch hooks (ftrace_nmi_enter of 2008): run on the NMI's CPU before its handler
   * executes anything, once per handler run (a latched NMI's repeat is a new run).
   */
  readonly nmiEnterHooks: ((cpu: Cpu) => void)[] = [];
  /** nmi_exit()'s arch hooks (ftrace_nmi_exit): run after the handler, before the NMI returns or repeats. */
  readonly nmiExitHooks: ((cpu: Cpu) => void)[] = [];

  constructor(
    private readonly machine: Machine,
    private readonly entry: EntryText,
    private readonly tasks: Sched,
    private readonly smp: Smp,
    private readonly flow: FlowIntegrity | null,
    private readonly symbolize: (addr: bigint) => string,
  ) {
    machine.registerHypercall(HC_IRQ, 'interrupt entry', (cpu) => this.onInterrupt(cpu));
    const n = machine.cpus.length;
    this.nmiExecuting = new Uint8Array(n);
    this.nmiLatched = new Uint8Array(n);
    machine.registerHypercall(HC_NMI_ENTER, 'nmi entry', (cpu) => {
      const nested = this.nmiExecuting[cpu.id] === 1;
      if (nested) { this.nmiLatched[cpu.id] = 1; this.nmisLatched++; } else { this.nmiExecuting[cpu.id] = 1; this.nmiStart[cpu.id] = cpu.now(); }
      if (!nested) for (const h of this.nmiEnterHooks) h(cpu);
      cpu.setReg(RAX, nested ? 1n : 0n);
    });
    machine.registerHypercall(HC_NMI_EXIT, 'nmi exit', (cpu) => {
      const again = this.nmiLatched[cpu.id] === 1;
      for (const h of this.nmiExitHooks) h(cpu);
      if (again) for (const h of this.nmiEnterHooks) h(cpu);
      if (again) { this.nmiLatched[cpu.id] = 0; this.nmiStart[cpu.id] = cpu.now(); } else this.nmiExecuting[cpu.id] = 0;
      cpu.setReg(RAX, again ? 1n : 0n);
    });
  }

  /** Per CPU: an NMI handler is running; an NMI arrived meanwhile and the handler must run again. */
  private readonly nmiExecuting: Uint8Array;
  private readonly nmiLatched: Uint8Array;
  /** Per CPU: when the running NMI handler (or its repeat) began, for the nmi_handler tracepoint's delta. */
  private readonly nmiStart: number[] = [];
  /** NMIs that arrived while the handler ran (after an IRET inside it) and were latched for a repeat. */
  nmisLatched = 0;

  /** An NMI handler is running on this CPU (between nmi entry and its final exit). */
  nmiRunningOn(cpu: number): boolean {
    return this.nmiExecuting[cpu] === 1;
  }

  save(): { nmiExecuting: Uint8Array; nmiLatched: Uint8Array; nmisLatched: number } {
    return { nmiExecuting: this.nmiExecuting.slice(), nmiLatched: this.nmiLatched.slice(), nmisLatched: this.nmisLatched };
  }

  restore(s: { nmiExecuting: Uint8Array; nmiLatched: Uint8Array; nmisLatched: number }): void {
    this.nmiExecuting.set(s.nmiExecuting);
    this.nmiLatched.set(s.nmiLatched);
    this.nmisLatched = s.nmisLatched;
  }

  /** HC_IRQ: the host half of every entry stub. rdi = pt_regs, rsi = vector. Returns the rsp to resume with. */
  private onInterrupt(cpu: Cpu): void {
    const regsAddr = cpu.getReg(RDI);
    const vector = Number(cpu.getReg(RSI));
    const regs = new PtRegs(this.machine.mem, regsAddr);
    for (const o of this.observers) o(cpu, regs, vector);
    let spin = false;
    let resume = regsAddr;
    const me = this.tasks.current[cpu.id];
    switch (vector) {
      case NMI_VECTOR: {
        // the guest's nmi_handler (if any) already ran in the stub
        const start = this.nmiStart[cpu.id];
        for (const o of this.nmiObservers) o(cpu, start === undefined ? 0 : Math.max(0, cpu.now() - start));
        break;
      }
      case LOCAL_TIMER_VECTOR:
        this.checkIf(cpu, regs, vector);
        if (this.preemptible(regs)) resume = this.tasks.schedule(cpu, regsAddr, false);
        break;
      case RESCHEDULE_VECTOR:
        resume = this.tasks.schedule(cpu, regsAddr, me.state === 'dead');
        break;
      case CALL_FUNCTION_VECTOR:
        this.checkIf(cpu, regs, vector);
        spin = this.smp.handleCallFunction(cpu);
        break;
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
        throw new MachineViolation(2, cpu.id, addrToNum(at), `unexpected int3 at ${hex(at)} <${this.symbolize(at)}>: no int3 handler claimed it`, this.bytesAt(at, 1), true);
      }
      default:
        throw this.unexpectedFault(cpu, regs, vector);
    }
    cpu.setReg(RAX, resume);
    cpu.setReg(RDX, spin ? 1n : 0n);
  }

  /** Invariant 2: an exception the kernel does not expect, described as a kernel oops would. */
  private unexpectedFault(cpu: Cpu, regs: PtRegs, vector: number): MachineViolation {
    const ip = regs.ip;
    const name = vector === 6 ? 'invalid opcode (#UD)' : vector === 0 ? 'divide error (#DE)' : `${VEC_NAMES[vector] ?? `vector ${vector}`} exception`;
    const code = HAS_ERROR_CODE.has(vector) ? Number(regs.get('orig_ax') & 0xffffffffn) : -1;
    const mapped = this.machine.mem.find(addrToNum(ip), 1);
    let where: string;
    if (vector === 14 && (code & 0x10) && mapped === undefined) {
      // invariant 5: the CPU was still executing in text that has been freed under it (its previous
      // instruction was in there too); one that branched into text freed before is a plain oops
      const e = this.machine.lifetimes.freedAt(addrToNum(ip));
      const prev = cpu.lastBeforeException();
      if (e !== undefined && prev >= e.lo && prev < e.hi) {
        const t = this.tasks.current[cpu.id];
        return new MachineViolation(5, cpu.id, addrToNum(ip),
          `CPU ${cpu.id} (${t.name}, pid ${t.pid}) fetched at ${hex(ip)} in ${e.label}, freed while it was inside: ${TextLifetimes.describe(e)}; ` +
          `its previous instruction was at ${hex(prev)}; page fault at t=${this.machine.clock.now}`, new Uint8Array(0), true);
      }
    }
    if (vector === 14 && (code & 0x10)) {
      where = mapped === undefined
        ? `on instruction fetch at ${hex(ip)}: nothing is mapped there (the last instructions show how the CPU got there)`
        : `on instruction fetch at ${hex(ip)} <${this.symbolize(ip)}> in ${mapped.name}, which is not executable`;
    } else {
      where = `at ${hex(ip)} <${this.symbolize(ip)}>${this.insnText(ip)}`;
      if (mapped !== undefined && (mapped.perm & PERM_X)) where = `in kernel text ${where}`;
    }
    const access = vector === 14 && !(code & 0x10) ? ` accessing ${hex(cpu.cr2)}` : '';
    const err = code >= 0 ? ` (error code ${code}${vector === 14 ? `: ${describePfError(code)}` : ''})` : '';
    return new MachineViolation(2, cpu.id, addrToNum(ip), `${name} ${where}${access}${err}`, this.bytesAt(ip, 8), true);
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
}
