// Boot-and-run facade: loads an ELF image into a fresh machine and runs it to completion.
// (Stub interface; the implementation lands with the interpreter.)

export interface RunOptions {
  /** Stop after this many guest instructions (all CPUs together). Default: 2e9. */
  maxSteps?: number;
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
  /** Set when exitReason is 'fault': a one-paragraph precise description (address, bytes, nearest symbol). */
  error?: string;
  wallMs: number;
}

export function bootAndRun(image: Uint8Array, file: string, options: RunOptions = {}): RunResult {
  void image; void file; void options;
  throw new Error('bootAndRun: not implemented yet');
}
