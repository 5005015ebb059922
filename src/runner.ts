// Boot-and-run facade: loads an ELF image into a fresh machine and kernel, runs it, and reports what happened.

import { createHash } from 'node:crypto';
import { parseElf, ElfError } from './loader/elf.js';
import { SymbolTable } from './loader/symbols.js';
import { bootImage } from './loader/boot.js';
import { Machine } from './machine/machine.js';
import { PERM_W } from './machine/memory.js';
import { RandomChooser, type Chooser, type Choice } from './machine/chooser.js';
import { Kernel, type Violation } from './kernel/kernel.js';
import { LOCAL_TIMER_VECTOR, NMI_VECTOR } from './kernel/layout.js';

/** The step limit of a run that names none (`ftsim run` without --max-steps): 2,000,000,000 steps. */
export const DEFAULT_MAX_STEPS = 2_000_000_000;

export interface RunOptions {
  /** Stop after this many steps (instructions plus idle cycles, all CPUs together). Default: DEFAULT_MAX_STEPS. */
  maxSteps?: number;
  /** Number of CPUs (default 1; `ftsim run` defaults to 4). */
  cpus?: number;
  /** Seed of the random chooser (default 1). Ignored when `chooser` is given. */
  seed?: number;
  /** Make every nondeterministic decision through this chooser (e.g. a ReplayChooser). */
  chooser?: Chooser;
  /** Timer interrupts per simulated second (1 GHz clock). Default 1000. */
  timerHz?: number;
  /** NMIs per million cycles on each CPU (a periodic source whose arrival the chooser may delay). Default 0. */
  nmiRate?: number;
  /** Largest scheduling quantum in instructions (default 1000). */
  maxQuantum?: number;
  /** Receives every byte the guest writes to the debug console (port 0xE9). */
  onConsole?: (byte: number) => void;
  /** Symbol overrides applied after loading: symbol name -> 64-bit little-endian value written at it. */
  pokeSymbols?: Record<string, bigint>;
  /** Called once the run stopped, with the machine still intact (reports, inspection). */
  onStop?: (b: Booted) => void;
}

export type ExitReason = 'halted' | 'max-steps' | 'fault' | 'violation';

/** Where one CPU was when the run stopped. */
export interface CpuStopLocation {
  /** Its instruction pointer (for a CPU that never started: 0). */
  rip: bigint;
  /** `rip` as symbol+offset (SymbolTable.format). */
  symbol: string;
  /** Halted for good (hlt with interrupts off, a fault, a violation, or never started). */
  halted: boolean;
  /** Waiting in hlt with interrupts on for an interrupt. */
  waiting: boolean;
  /** Running a host thread (kernel service written in TypeScript); its guest context is frozen at rip. */
  hostThread: boolean;
}

export interface RunResult {
  exitReason: ExitReason;
  /** Everything the guest wrote to port 0xE9, decoded as latin1. */
  console: string;
  /** Guest instructions retired, per CPU. */
  instructions: number[];
  /** Cycles per CPU (instructions plus idle). */
  cycles: number[];
  /** Per CPU: halted for good at the end. */
  halted: boolean[];
  /** Per CPU: where it was when the run stopped. */
  stoppedAt: CpuStopLocation[];
  /** Total guest instructions retired. */
  steps: number;
  /** The step limit the run had (RunOptions.maxSteps or DEFAULT_MAX_STEPS). */
  maxSteps: number;
  /** Set when exitReason is 'fault': a precise description (CPU, vector, address, symbol, bytes). */
  error?: string;
  /** Set when exitReason is 'violation'. */
  violation?: Violation;
  /** The chooser's decisions, in order (a replay file's body). */
  choices: Choice[];
  /** SHA-256 of all writable guest memory at the end. */
  memoryHash: string;
  wallMs: number;
}

export class BootError extends Error {}

export interface Booted {
  machine: Machine;
  kernel: Kernel;
  symbols: SymbolTable;
}

/** Parse and boot an image; throws ElfError (bad image) or BootError (bad option). */
export function boot(image: Uint8Array, file: string, options: RunOptions = {}, consoleSink?: (b: number) => void): Booted {
  const ncpus = options.cpus ?? 1;
  if (!Number.isInteger(ncpus) || ncpus < 1 || ncpus > 64) throw new BootError(`--cpus must be between 1 and 64, got ${ncpus}`);
  const img = parseElf(image, file);
  const symbols = SymbolTable.fromImage(img);
  const machine = new Machine({ cpus: ncpus, onConsole: consoleSink });
  bootImage(machine, img);
  for (const [name, value] of Object.entries(options.pokeSymbols ?? {})) {
    const at = symbols.lookup(name);
    if (at === undefined) throw new BootError(`${file}: cannot set ${name}: no such symbol`);
    machine.mem.writeU64(at, value);
  }
  const guestHandlers = new Map<number, bigint>();
  const tick = symbols.lookup('tick_handler');
  if (tick !== undefined) guestHandlers.set(LOCAL_TIMER_VECTOR, tick);
  const nmi = symbols.lookup('nmi_handler');
  if (nmi !== undefined) guestHandlers.set(NMI_VECTOR, nmi);
  const kernel = new Kernel(machine, {
    chooser: options.chooser ?? new RandomChooser(options.seed ?? 1),
    timerHz: options.timerHz ?? 1000,
    nmiRate: options.nmiRate ?? 0,
    maxQuantum: options.maxQuantum,
    guestHandlers,
    symbolize: (a) => symbols.format(a),
  });
  for (const s of kernel.entry.symbols) symbols.add([{ name: s.name, value: s.value, size: s.size, type: 'func' }]);
  return { machine, kernel, symbols };
}

/** SHA-256 over every writable region (data, bss, stacks), in address order. */
export function memoryHash(m: Machine): string {
  const h = createHash('sha256');
  for (const r of m.mem.regions) if (r.perm & PERM_W) h.update(r.bytes);
  return h.digest('hex');
}

export function bootAndRun(image: Uint8Array, file: string, options: RunOptions = {}): RunResult {
  const t0 = performance.now();
  const out: number[] = [];
  const sink = (b: number): void => {
    out.push(b);
    options.onConsole?.(b);
  };
  const { machine, kernel, symbols } = boot(image, file, options, sink);
  const booted = { machine, kernel, symbols };
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const o = kernel.run(maxSteps);
  options.onStop?.(booted);
  const instructions = machine.cpus.map((c) => c.retired);
  return {
    exitReason: o.reason === 'deadlock' || o.reason === 'host-error' ? 'fault' : o.reason,
    console: Buffer.from(out).toString('latin1'),
    instructions,
    cycles: machine.cpus.map((c) => c.cycles),
    halted: machine.cpus.map((c) => c.halted),
    stoppedAt: machine.cpus.map((c, i) => {
      const rip = c.getRip();
      return { rip, symbol: symbols.format(rip), halted: c.halted, waiting: c.waiting, hostThread: kernel.hostThreadRunning(i) };
    }),
    steps: instructions.reduce((a, b) => a + b, 0),
    maxSteps,
    error: o.error,
    violation: o.violation,
    choices: kernel.choices,
    memoryHash: memoryHash(machine),
    wallMs: performance.now() - t0,
  };
}

export { ElfError };
