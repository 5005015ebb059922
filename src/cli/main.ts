// ftsim command-line interface: run (boot an image), disasm (objdump-style listing).

import { Command, CommanderError } from 'commander';
import { readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve, relative } from 'node:path';
import pc from 'picocolors';
import { ElfError } from '../loader/elf.js';
import { BootError, bootAndRun, type RunResult } from '../runner.js';
import { ReplayChooser, ReplayDivergence } from '../machine/chooser.js';
import { readReplay, writeReplay, sha256, ReplayError, REPLAY_FORMAT, REPLAY_VERSION, type ReplayFile, type ReplayConfig } from '../explore/replay.js';
import { formatViolation } from '../explore/report.js';
import type { Insn } from '../machine/x86/insn.js';
import { disasmCommand } from './disasm.js';

/** Exit codes. */
export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_FAULT = 2;
export const EXIT_VIOLATION = 3;
export const EXIT_MAX_STEPS = 4;

const pkgRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEFAULT_KERNEL = resolve(pkgRoot, 'fixtures', 'vmlinux');

/** A user-facing error: printed without a stack trace. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = EXIT_BAD_INPUT) {
    super(message);
  }
}

function readInput(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${file}: cannot read: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
}

function parseCount(name: string) {
  return (v: string): number => {
    const s = v.replace(/_/g, '');
    const n = /^\d+(\.\d+)?e\d+$/i.test(s) ? Number(s) : /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${name}: expected a positive integer, got '${v}'`);
    return n;
  };
}

function parseRange(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = /^\d+$/.test(v.replace(/_/g, '')) ? Number(v.replace(/_/g, '')) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name}: expected an integer from ${min} to ${max}, got '${v}'`);
    return n;
  };
}

function displayName(file: string): string {
  const r = relative(process.cwd(), file);
  return r && !r.startsWith('..') ? r : file;
}

interface RunCliOptions {
  kernel: string;
  maxSteps?: number;
  console?: string;
  json?: boolean;
  cpus: number;
  seed: number;
  record?: string;
  replay?: string;
  timerHz: number;
  nmiRate: number;
  maxQuantum: number;
}

/** Where a violation's replay goes when --record was not given. */
export const DEFAULT_VIOLATION_REPLAY = 'ftsim-violation.replay';

function runCommand(opts: RunCliOptions): number {
  let replay: ReplayFile | undefined;
  if (opts.replay) {
    try {
      replay = readReplay(opts.replay);
    } catch (e) {
      if (e instanceof ReplayError) throw new UsageError(e.message);
      throw e;
    }
    if (opts.kernel === displayName(DEFAULT_KERNEL) && replay.kernel) opts.kernel = replay.kernel;
  }
  const file = displayName(resolve(opts.kernel));
  const bytes = readInput(opts.kernel);
  const kernelSha256 = sha256(bytes);
  if (replay && replay.kernelSha256 !== kernelSha256) {
    throw new UsageError(`--replay ${opts.replay}: recorded on a different kernel image (sha256 ${replay.kernelSha256.slice(0, 12)}…, ${file} is ${kernelSha256.slice(0, 12)}…)`);
  }
  const config: ReplayConfig = replay ? replay.config : {
    cpus: opts.cpus, seed: opts.seed, timerHz: opts.timerHz, nmiRate: opts.nmiRate, maxQuantum: opts.maxQuantum,
    maxSteps: opts.maxSteps ?? 2e9,
  };
  let fd = -1;
  const pending: number[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const buf = Buffer.from(pending);
    pending.length = 0;
    if (fd >= 0) writeSync(fd, buf);
    else if (!opts.json) process.stdout.write(buf);
  };
  if (opts.console) {
    try {
      fd = openSync(opts.console, 'w');
    } catch (e) {
      throw new UsageError(`--console ${opts.console}: cannot open for writing: ${(e as Error).message}`);
    }
  }
  let result: RunResult;
  let sym: (a: bigint) => string = (a) => `0x${a.toString(16)}`;
  let recent: Insn[] = [];
  try {
    result = bootAndRun(bytes, file, {
      maxSteps: config.maxSteps,
      cpus: config.cpus,
      seed: config.seed,
      chooser: replay ? new ReplayChooser(replay.choices, opts.replay) : undefined,
      timerHz: config.timerHz,
      nmiRate: config.nmiRate,
      maxQuantum: config.maxQuantum,
      onConsole: (b) => {
        pending.push(b);
        if (b === 10 || pending.length >= 4096) flush();
      },
      onStop: (booted) => {
        sym = (a) => booted.symbols.format(a);
        const v = booted.kernel.cpus.find((c) => c.violation !== null);
        if (v) recent = v.recent();
      },
    });
  } catch (e) {
    if (e instanceof ReplayDivergence) throw new UsageError(e.message, EXIT_FAULT);
    throw e;
  } finally {
    flush();
    if (fd >= 0) closeSync(fd);
  }
  const code = result.exitReason === 'halted' ? EXIT_OK : result.exitReason === 'violation' ? EXIT_VIOLATION
    : result.exitReason === 'fault' ? EXIT_FAULT : EXIT_MAX_STEPS;
  let recordPath = opts.record;
  if (!recordPath && result.exitReason === 'violation' && !replay) recordPath = DEFAULT_VIOLATION_REPLAY;
  if (recordPath) {
    writeReplay(recordPath, {
      format: REPLAY_FORMAT, version: REPLAY_VERSION, kernel: file, kernelSha256, config,
      outcome: { exitReason: result.exitReason, steps: result.steps, summary: result.violation?.summary ?? result.error },
      choices: result.choices,
    });
  }
  const report = result.violation ? formatViolation(result.violation, recent, sym, replay ? opts.replay : recordPath) : undefined;
  if (opts.json) {
    const summary = {
      kernel: file,
      exitReason: result.exitReason,
      exitCode: code,
      seed: config.seed,
      steps: result.steps,
      cpus: result.instructions.map((n, i) => ({ cpu: i, instructions: n, cycles: result.cycles[i], halted: result.halted[i] })),
      wallMs: Math.round(result.wallMs * 1000) / 1000,
      instructionsPerSecond: result.wallMs > 0 ? Math.round(result.steps / (result.wallMs / 1000)) : null,
      memorySha256: result.memoryHash,
      decisions: result.choices.length,
      ...(recordPath ? { replayFile: recordPath } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(result.violation ? { violation: { ...result.violation, rip: '0x' + result.violation.rip.toString(16), report } } : {}),
      ...(opts.console ? {} : { console: result.console }),
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } else {
    const secs = result.wallMs / 1000;
    const rate = secs > 0 ? ` (${(result.steps / secs / 1e6).toFixed(1)} M instructions/s)` : '';
    const per = result.instructions.map((n, i) => `cpu${i} ${n}`).join(', ');
    if (result.exitReason === 'violation') {
      process.stderr.write(pc.red(`ftsim: ${report}`) + '\n');
    } else if (result.exitReason === 'fault') {
      process.stderr.write(pc.red(`ftsim: guest fault: ${result.error}`) + '\n');
    } else if (result.exitReason === 'max-steps') {
      process.stderr.write(pc.yellow(`ftsim: stopped at --max-steps after ${result.steps} instructions; not every CPU halted`) + '\n');
    } else {
      process.stderr.write(pc.dim(`ftsim: all CPUs halted after ${result.steps} instructions (${per}) in ${secs.toFixed(3)} s${rate}`) + '\n');
    }
    if (recordPath && result.exitReason !== 'violation') process.stderr.write(pc.dim(`ftsim: recorded ${result.choices.length} decisions to ${recordPath}`) + '\n');
  }
  return code;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('ftsim')
    .description('Linux dynamic ftrace on a simulated x86-64 machine')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(pc.red(s)) });

  program
    .command('run')
    .description('boot a kernel image (any static x86-64 ELF) and run it until every CPU halts')
    .option('--kernel <file>', 'ELF image to boot', displayName(DEFAULT_KERNEL))
    .option('--cpus <n>', 'number of CPUs (1-64)', parseRange('--cpus', 1, 64), 4)
    .option('--seed <n>', 'seed of the random chooser that makes every nondeterministic decision', parseRange('--seed', 0, 0xffffffff), 1)
    .option('--max-steps <n>', 'stop after this many steps (instructions and idle cycles of all CPUs)', parseCount('--max-steps'))
    .option('--timer-hz <n>', 'timer interrupts per simulated second (CPUs run at 1 GHz)', parseRange('--timer-hz', 0, 1_000_000), 1000)
    .option('--nmi-rate <n>', 'NMIs per million instructions, per CPU', parseRange('--nmi-rate', 0, 1_000_000), 0)
    .option('--max-quantum <n>', 'largest number of instructions a CPU runs before the chooser picks again', parseRange('--max-quantum', 1, 1_000_000), 1000)
    .option('--record <file>', 'write a replay file of every decision of this run')
    .option('--replay <file>', 'rerun a recorded run decision for decision (its configuration wins)')
    .option('--console <file>', 'write the guest console (port 0xE9) to this file instead of stdout')
    .option('--json', 'print one JSON summary object (console included unless --console is given)')
    .action((opts: RunCliOptions) => {
      process.exitCode = runCommand(opts);
    });

  program
    .command('disasm')
    .description('objdump-style disassembly of an image, with the __mcount_loc (__fentry__) sites marked')
    .argument('<file>', 'ELF image or object')
    .argument('[symbol]', 'only this function')
    .action((file: string, symbol: string | undefined) => {
      process.stdout.write(disasmCommand(readInput(file), displayName(resolve(file)), symbol));
    });
  return program;
}

export function main(argv: string[]): number {
  const program = buildProgram();
  try {
    program.parse(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (e instanceof UsageError || e instanceof ElfError || e instanceof BootError) {
      process.stderr.write(pc.red(`ftsim: ${e.message}`) + '\n');
      return e instanceof UsageError ? e.exitCode : EXIT_BAD_INPUT;
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv);
}
