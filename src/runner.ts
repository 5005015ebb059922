// Boot-and-run facade: loads an ELF image into a fresh machine and runs it until every CPU halts.

import { parseElf, ElfError } from './loader/elf.js';
import { SymbolTable } from './loader/symbols.js';
import { bootImage } from './loader/boot.js';
import { Machine, describeFault } from './machine/machine.js';
import { numToAddr } from './machine/memory.js';

export interface RunOptions {
  /** Stop after this many guest instructions (all CPUs together). Default: 2e9. */
  maxSteps?: number;
  /** Number of CPUs (default 1). */
  cpus?: number;
  /** Receives every byte the guest writes to the debug console (port 0xE9). */
  onConsole?: (byte: number) => void;
  /** Symbol overrides applied after loading: symbol name -> 64-bit little-endian value written at it. */
  pokeSymbols?: Record<string, bigint>;
}

export type ExitReason = 'halted' | 'max-steps' | 'fault';

export interface RunResult {
  exitReason: ExitReason;
  /** Everything the guest wrote to port 0xE9, decoded as latin1. */
  console: string;
  /** Guest instructions retired, per CPU. */
  instructions: number[];
  /** Total guest instructions retired. */
  steps: number;
  /** Set when exitReason is 'fault': a precise description (CPU, vector, address, symbol, bytes). */
  error?: string;
  wallMs: number;
}

/** Instructions a CPU runs before the loop checks the step limit and the other CPUs. */
const QUANTUM = 100_000;

export class BootError extends Error {}

export interface Booted {
  machine: Machine;
  symbols: SymbolTable;
}

/** Parse and boot an image; throws ElfError (bad image) or BootError (bad option). */
export function boot(image: Uint8Array, file: string, options: RunOptions = {}, consoleSink?: (b: number) => void): Booted {
  const img = parseElf(image, file);
  const symbols = SymbolTable.fromImage(img);
  const machine = new Machine({ cpus: options.cpus ?? 1, onConsole: consoleSink });
  bootImage(machine, img);
  for (const [name, value] of Object.entries(options.pokeSymbols ?? {})) {
    const at = symbols.lookup(name);
    if (at === undefined) throw new BootError(`${file}: cannot set ${name}: no such symbol`);
    machine.mem.writeU64(at, value);
  }
  return { machine, symbols };
}

export function bootAndRun(image: Uint8Array, file: string, options: RunOptions = {}): RunResult {
  const t0 = performance.now();
  const out: number[] = [];
  const sink = (b: number): void => {
    out.push(b);
    options.onConsole?.(b);
  };
  const { machine, symbols } = boot(image, file, options, sink);
  const maxSteps = options.maxSteps ?? 2e9;
  let steps = 0;
  let exitReason: ExitReason = 'halted';
  let error: string | undefined;
  outer: while (!machine.allHalted()) {
    for (const cpu of machine.cpus) {
      if (cpu.halted) continue;
      const left = maxSteps - steps;
      if (left <= 0) { exitReason = 'max-steps'; break outer; }
      steps += cpu.run(Math.min(QUANTUM, left));
      if (cpu.fault) {
        exitReason = 'fault';
        error = describeFault(cpu.id, cpu.fault, (a) => symbols.format(numToAddr(a)));
        break outer;
      }
    }
  }
  return {
    exitReason,
    console: Buffer.from(out).toString('latin1'),
    instructions: machine.cpus.map((c) => c.retired),
    steps,
    error,
    wallMs: performance.now() - t0,
  };
}

export { ElfError };
