// The simulated machine: one memory, N x86-64 CPUs, the debug console port and the hypercall gate.

import { Cpu, CpuBus, CpuFault, VEC_NAMES, RAX } from './x86/cpu.js';
import { Memory, hex, addrToNum } from './memory.js';
import { describeBytes } from './x86/format.js';

/** I/O port of the debug console (QEMU's debugcon convention). */
export const CONSOLE_PORT = 0xe9;

/** Hypercall numbers (vmcall with the number in rax). Mirrored in guest/include/ftsim.h. */
export const HC_NOP = 0;
export const HC_CPU_ID = 1;
export const HC_CYCLES = 2;

const ENOSYS = 38;

export type HypercallHandler = (cpu: Cpu) => void;

export interface MachineOptions {
  cpus?: number;
  /** Receives every byte written to the console port. */
  onConsole?: (byte: number) => void;
}

export class Machine implements CpuBus {
  readonly mem = new Memory();
  readonly cpus: Cpu[] = [];
  /** Machine time: one tick per instruction or idle cycle of whichever CPU runs, and per host-thread step. */
  readonly clock = { now: 1 };
  private readonly hypercalls = new Map<number, HypercallHandler>();
  private readonly onConsole: (byte: number) => void;

  constructor(private readonly opts: MachineOptions = {}) {
    this.onConsole = opts.onConsole ?? (() => undefined);
    this.hypercalls.set(HC_NOP, (cpu) => cpu.setReg(RAX, 0n));
    this.hypercalls.set(HC_CPU_ID, (cpu) => cpu.setReg(RAX, BigInt(cpu.id)));
    this.hypercalls.set(HC_CYCLES, (cpu) => cpu.setReg(RAX, BigInt(cpu.cycles)));
  }

  /** Create the CPUs; call after memory is mapped. */
  createCpus(): void {
    const n = this.opts.cpus ?? 1;
    for (let i = 0; i < n; i++) this.cpus.push(new Cpu(i, this.mem, this, this.clock));
  }

  registerHypercall(nr: number, handler: HypercallHandler): void {
    this.hypercalls.set(nr, handler);
  }

  out(_cpu: Cpu, port: number, _size: number, value: number): void {
    // debugcon takes the low byte of every access
    if (port === CONSOLE_PORT) this.onConsole(value & 0xff);
  }

  in(_cpu: Cpu, port: number, _size: number): number {
    // reading the debugcon port returns 0xe9 (lets a guest detect it); other ports float high
    return port === CONSOLE_PORT ? CONSOLE_PORT : 0xffffffff;
  }

  hypercall(cpu: Cpu): void {
    const nr = Number(cpu.getReg(RAX));
    const h = this.hypercalls.get(nr);
    if (h) h(cpu);
    else cpu.setReg(RAX, BigInt(-ENOSYS));
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
