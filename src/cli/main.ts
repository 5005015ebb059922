// ftsim command-line interface: run (boot an image), disasm (objdump-style listing).

import { Command, CommanderError } from 'commander';
import { readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve, relative } from 'node:path';
import pc from 'picocolors';
import { ElfError } from '../loader/elf.js';
import { BootError, bootAndRun, type RunResult } from '../runner.js';
import { disasmCommand } from './disasm.js';

/** Exit codes. */
export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_FAULT = 2;
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

function displayName(file: string): string {
  const r = relative(process.cwd(), file);
  return r && !r.startsWith('..') ? r : file;
}

interface RunCliOptions {
  kernel: string;
  maxSteps?: number;
  console?: string;
  json?: boolean;
}

function runCommand(opts: RunCliOptions): number {
  const file = displayName(resolve(opts.kernel));
  const bytes = readInput(opts.kernel);
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
  try {
    result = bootAndRun(bytes, file, {
      maxSteps: opts.maxSteps,
      onConsole: (b) => {
        pending.push(b);
        if (b === 10 || pending.length >= 4096) flush();
      },
    });
  } finally {
    flush();
    if (fd >= 0) closeSync(fd);
  }
  const code = result.exitReason === 'halted' ? EXIT_OK : result.exitReason === 'fault' ? EXIT_FAULT : EXIT_MAX_STEPS;
  if (opts.json) {
    const summary = {
      kernel: file,
      exitReason: result.exitReason,
      exitCode: code,
      steps: result.steps,
      cpus: result.instructions.map((n, i) => ({ cpu: i, instructions: n, halted: result.exitReason !== 'max-steps' || n === 0 })),
      wallMs: Math.round(result.wallMs * 1000) / 1000,
      instructionsPerSecond: result.wallMs > 0 ? Math.round(result.steps / (result.wallMs / 1000)) : null,
      ...(result.error ? { error: result.error } : {}),
      ...(opts.console ? {} : { console: result.console }),
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } else {
    const secs = result.wallMs / 1000;
    const rate = secs > 0 ? ` (${(result.steps / secs / 1e6).toFixed(1)} M instructions/s)` : '';
    if (result.exitReason === 'fault') {
      process.stderr.write(pc.red(`ftsim: guest fault: ${result.error}`) + '\n');
    } else if (result.exitReason === 'max-steps') {
      process.stderr.write(pc.yellow(`ftsim: stopped at --max-steps after ${result.steps} instructions; not every CPU halted`) + '\n');
    } else {
      process.stderr.write(pc.dim(`ftsim: all CPUs halted after ${result.steps} instructions in ${secs.toFixed(3)} s${rate}`) + '\n');
    }
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
    .option('--max-steps <n>', 'stop after this many guest instructions', parseCount('--max-steps'))
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
