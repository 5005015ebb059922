// The simulated machine: one memory, N x86-64 CPUs, the debug console port and the hypercall gate.

import { Cpu, CpuBus, CpuFault, MachineViolation, VEC_NAMES, RAX } from './x86/cpu.js';
import { Memory, hex, addrToNum } from './memory.js';
import { describeBytes } from './x86/format.js';
import { FetchModel, FetchViolation } from './fetch.js';
import { x86FetchPolicy } from './x86/fetch-policy.js';
import type { Chooser } from './chooser.js';
import { TextLifetimes } from './lifetimes.js';
import type { MachineEvents } from './events.js';
import { defaultTier, type Tier } from './tier.js';

/** I/O port of the debug console (QEMU's debugcon convention). */
export const CONSOLE_PORT = 0xe9;

/** Hypercall numbers (vmcall with the number in rax). Mirrored in guest/include/ftsim.h. */
export const HC_NOP = 0;
export const HC_CPU_ID = 1;
export const HC_CYCLES = 2;

const ENOSYS = 38;

export type HypercallHandler = (cpu: Cpu) => void;

/** A hypercall number registered twice, or out of range. */
export class HypercallError extends Error {}

export interface MachineOptions {
  cpus?: number;
  /** Execution tier of every CPU (default: defaultTier(), FTSIM_TIER or the fastest). */
  tier?: Tier;
  /** Receives every byte written to the console port. */
  onConsole?: (byte: number) => void;
}

export class Machine implements CpuBus {
  readonly mem = new Memory();
  readonly cpus: Cpu[] = [];
  /** Machine time: one tick per instruction or idle cycle of whichever CPU runs, and per host-thread step. */
  readonly clock = { now: 1 };
  /** The cross-modifying-code fetch model, once attached (null: every fetch sees current memory). */
  fetchModel: FetchModel | null = null;
  /** Frees and rewrites of text that CPUs may still be inside (invariant 5; the owner reports them). */
  readonly lifetimes = new TextLifetimes();
  /** Counters of events other CPUs can observe (shared with memory, CPUs and scheduler). */
  get events(): MachineEvents {
    return this.mem.events;
  }
  private readonly hypercalls = new Map<number, { name: string; handler: HypercallHandler }>();
  private readonly onConsole: (byte: number) => void;

  constructor(private readonly opts: MachineOptions = {}) {
    this.onConsole = opts.onConsole ?? (() => undefined);
    this.mem.onTextWrite = (a, n, t, c) => this.lifetimes.onTextWrite(a, n, t, c);
    this.registerHypercall(HC_NOP, 'nop', (cpu) => cpu.setReg(RAX, 0n));
    this.registerHypercall(HC_CPU_ID, 'cpu_id', (cpu) => cpu.setReg(RAX, BigInt(cpu.id)));
    this.registerHypercall(HC_CYCLES, 'cycles', (cpu) => cpu.setReg(RAX, BigInt(cpu.cycles)));
  }

  /** Create the CPUs; call after memory is mapped. */
  createCpus(): void {
    const n = this.opts.cpus ?? 1;
    const tier = this.opts.tier ?? defaultTier();
    for (let i = 0; i < n; i++) {
      const c = new Cpu(i, this.mem, this, this.clock);
      c.tier = tier;
      this.cpus.push(c);
    }
  }

  /** Model cross-modifying instruction fetch on every CPU, with `chooser` picking observed byte values. */
  attachFetchModel(chooser: Chooser): FetchModel {
    this.fetchModel = new FetchModel(chooser, x86FetchPolicy);
    for (const c of this.cpus) c.fetchModel = this.fetchModel;
    return this.fetchModel;
  }

  /**
   * Give hypercall `nr` a host handler. A number can be taken once: a second registration is a
   * programming error (two services would fight over it), refused with the owner's name.
   */
  registerHypercall(nr: number, name: string, handler: HypercallHandler): void {
    if (!Number.isInteger(nr) || nr < 0) throw new HypercallError(`hypercall number ${nr} for ${name}: not a non-negative integer`);
    const had = this.hypercalls.get(nr);
    if (had !== undefined) throw new HypercallError(`hypercall ${nr} for ${name}: already taken by ${had.name}`);
    this.hypercalls.set(nr, { name, handler });
  }

  /** Name of the service that owns hypercall `nr`. */
  hypercallName(nr: number): string | undefined {
    return this.hypercalls.get(nr)?.name;
  }

  out(_cpu: Cpu, port: number, _size: number, value: number): void {
    // debugcon takes the low byte of every access
    if (port === CONSOLE_PORT) this.onConsole(value & 0xff);
  }

  in(_cpu: Cpu, port: number, _size: number): number {
    // reading the debugcon port returns 0xe9 (lets a guest detect it); other ports float high
    return port === CONSOLE_PORT ? CONSOLE_PORT : 0xffffffff;
  }

  /**
   * vmcall: run the host handler. A handler that throws (a bug in host code, not a guest error)
   * stops the run with a message naming the hypercall; machine invariant violations pass through.
   */
  hypercall(cpu: Cpu): void {
    this.mem.events.hypercalls++;
    const nr = Number(cpu.getReg(RAX));
    const h = this.hypercalls.get(nr);
    if (h === undefined) { cpu.setReg(RAX, BigInt(-ENOSYS)); return; }
    try {
      h.handler(cpu);
    } catch (e) {
      if (e instanceof MachineViolation || e instanceof FetchViolation || e instanceof CpuFault) throw e;
      const why = e instanceof Error ? e.message : String(e);
      // the vmcall (3 bytes) has already moved rip past itself: name the vmcall
      cpu.hostError = `hypercall ${nr} (${h.name}) on CPU ${cpu.id} at ${hex(cpu.rip - 3)} failed in host code: ${why}`;
      cpu.halted = true;
      cpu.interruptSlice();
    }
  }

  allHalted(): boolean {
    return this.cpus.every((c) => c.halted);
  }
}

/** A one-line description of a CPU fault, with the nearest symbol when a formatter is given. */
export function describeFault(cpuId: number, f: CpuFault, sym: (addr: number) => string): string {
  const bytes = Array.from(f.bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const where = `${hex(f.rip)} <${sym(f.rip)}>`;
  // the instruction in objdump's syntax, when the interpreter can decode it
  const insn = describeBytes(f.bytes, f.rip, (a) => sym(addrToNum(a)));
  const text = insn ? ` (${insn})` : '';
  return `CPU ${cpuId}: ${VEC_NAMES[f.vector] ?? `vector ${f.vector}`} at ${where}` +
    (bytes ? `, bytes ${bytes}${text}` : '') + `: ${f.detail}`;
}
