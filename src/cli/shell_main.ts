// `ftsim shell`: boots the machine paused before the entry point, mounts its tracefs at /sys/kernel/tracing and reads commands (a terminal gets a prompt and line editing; a pipe or file runs as a script), with `run` letting the machine advance.

import { closeSync, constants as fsConstants, openSync, readSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { boot, BootError } from '../runner.js';
import { TraceArray } from '../trace/trace_functions.js';
import { buildTracefs, type TracefsContext } from '../trace/tracefs/index.js';
import type { Kernel } from '../kernel/kernel.js';
import { MOUNT, Shell, type Command, type ShellIO } from './shell.js';
import type { Tier } from '../machine/tier.js';

export interface ShellMachineOptions {
  image: Uint8Array;
  file: string;
  cpus: number;
  seed: number;
  /** NMIs per million cycles on each CPU (0: none). */
  nmiRate?: number;
  modules: { file: string; bytes: Uint8Array }[];
  /** Where the guest console goes (an open file), instead of stdout. */
  consoleFd?: number;
  /** Variables of the image set before it boots (`ftsim mount` sets the bundled kernel's smp_workload_loop). */
  pokeSymbols?: Record<string, bigint>;
  /** Execution tier (undefined: FTSIM_TIER, else jit). */
  tier?: Tier;
}

/** Cycles per unit of `run`'s durations: the CPUs run at 1 GHz. */
const UNITS: Record<string, number> = { ns: 1, us: 1_000, ms: 1_000_000, s: 1_000_000_000 };

/** A duration of `run`: cycles per CPU (`10ms`, `500us`, `1s`, `2.5ms`), or a bare count of steps (all CPUs together). */
export function parseDuration(arg: string): { cycles: number } | { steps: number } | undefined {
  const m = /^(\d+(?:_\d+)*(?:\.\d+)?)(ns|us|ms|s)?$/.exec(arg);
  if (m === null) return undefined;
  const v = Number(m[1].replace(/_/g, ''));
  if (m[2] === undefined) return Number.isSafeInteger(v) && v > 0 ? { steps: v } : undefined;
  const cycles = Math.round(v * UNITS[m[2]]);
  return cycles > 0 && Number.isSafeInteger(cycles) ? { cycles } : undefined;
}

/**
 * The steps a `run DURATION` still has to make: a step count less the steps run since `start`, or, for
 * a duration, enough for every running CPU to reach its `target` cycle count (CPUs run in turn).
 */
export function runStepsLeft(k: Kernel, d: { cycles: number } | { steps: number }, start: number, target: readonly number[]): number {
  if ('steps' in d) return d.steps - (k.steps - start);
  const live = k.cpus.filter((c) => !c.halted);
  const need = Math.max(0, ...live.map((c) => target[c.id] - c.cycles));
  return need * Math.max(1, live.length);
}

/** At most this many rounds of a `run`: each round runs every live CPU up to its target at least once. */
const MAX_ROUNDS = 10_000;

/** Steps between two looks for a ^C: about 10 ms of host time. */
const CHUNK_STEPS = 250_000;

/** Polls the terminal for a ^C while `run` keeps the event loop busy; `true` once one was typed. */
export type InterruptCheck = () => boolean;

/**
 * The `run DURATION` builtin over a machine: every CPU that has not halted for good runs DURATION more
 * cycles (a step count: that many steps of all CPUs together). Stops early, and says so, once every
 * CPU has halted; a fault or a violation stops the machine: the report and status 1.
 */
export function runBuiltin(ctx: TracefsContext, flushConsole: () => void, interrupted: InterruptCheck = () => false): Command {
  const k: Kernel = ctx.b.kernel;
  return (args, x) => {
    if (args.length !== 1) {
      x.err.write('ftsim: run: usage: run DURATION (10ms, 500us, 1s at 1 GHz per CPU, or a number of steps)\n');
      return 2;
    }
    const d = parseDuration(args[0]);
    if (d === undefined) {
      x.err.write(`ftsim: run: ${args[0]}: invalid duration (10ms, 500us, 1s at 1 GHz per CPU, or a number of steps)\n`);
      return 1;
    }
    const allHalted = (): boolean => k.cpus.every((c) => c.halted);
    const startedOnce = k.cpus.some((c) => c.retired > 0);
    if (startedOnce && allHalted()) {
      x.out.write('run: every CPU has halted: nothing runs any more\n');
      return 0;
    }
    const start = k.steps;
    const target = k.cpus.map((c) => c.cycles + ('cycles' in d ? d.cycles : 0));
    let outcome = { reason: 'max-steps' as string, error: undefined as string | undefined, summary: undefined as string | undefined };
    let stopped = false;
    for (let round = 0; round < MAX_ROUNDS && !stopped; round++) {
      const steps = runStepsLeft(k, d, start, target);
      if (steps <= 0) break;
      // in chunks of a fixed size, so a ^C is seen between two; a stop at a chunk's end and a later run
      // go on exactly as one long run in the same chunks would
      const o = ctx.run(Math.min(steps, CHUNK_STEPS));
      if (o.reason !== 'max-steps') {
        outcome = { reason: o.reason, error: o.error, summary: o.violation?.summary };
        break;
      }
      stopped = interrupted();
    }
    flushConsole();
    const done = k.steps - start;
    if (stopped) {
      // the terminal is raw (readline), so no ^C echo came from the tty driver: print it as bash's line would
      x.out.write(`^C\nrun: interrupted after ${done} steps\n`);
      return 130;
    }
    if (outcome.reason === 'halted') {
      x.out.write(`run: every CPU has halted, after ${done} steps\n`);
      return 0;
    }
    if (outcome.reason === 'violation') {
      x.err.write(`ftsim: run: invariant violation: ${outcome.summary ?? 'unknown'}\n`);
      return 1;
    }
    if (outcome.reason !== 'max-steps') {
      x.err.write(`ftsim: run: the machine stopped (${outcome.reason}): ${outcome.error ?? 'no detail'}\n`);
      return 1;
    }
    return 0;
  };
}

/** Boot the machine and build its tracefs; throws BootError (or ElfError) for what the user must fix. */
export function bootShellMachine(o: ShellMachineOptions, consoleSink: (b: number) => void): { ctx: TracefsContext; top: TraceArray } {
  const b = boot(o.image, o.file, { cpus: o.cpus, seed: o.seed, nmiRate: o.nmiRate, modules: o.modules, pokeSymbols: o.pokeSymbols, tier: o.tier }, consoleSink);
  if (b.ftrace === undefined) throw new BootError(`${o.file} has no __mcount_loc: no dynamic ftrace, no tracefs to show`);
  const ctx: TracefsContext = { b, run: (steps) => b.kernel.run(b.kernel.steps + steps) };
  // no ftrace= on this command line: the top-level buffer starts at its boot minimum (tracer_alloc_buffers)
  const top = new TraceArray(b.kernel, b.ftrace.core, b.ftrace.arch, { minimal: true });
  return { ctx, top };
}

/**
 * Run `ftsim shell` on the process's stdin and stdout: boots synchronously (errors are thrown), then
 * reads lines until `exit` or end of input; the promise gives the status the process exits with.
 */
export function shellMain(o: ShellMachineOptions): Promise<number> {
  const pending: number[] = [];
  const flushConsole = (): void => {
    if (pending.length === 0) return;
    if (o.consoleFd !== undefined) writeSync(o.consoleFd, Buffer.from(pending));
    else process.stdout.write(Buffer.from(pending));
    pending.length = 0;
  };
  const { ctx, top } = bootShellMachine(o, (byte) => {
    pending.push(byte);
    if (byte === 10 || pending.length >= 4096) flushConsole();
  });
  const fs = buildTracefs(ctx, top);
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  // the shell deals in byte strings, as tracefs does (bytestr.ts): bytes in and out unchanged
  const io: ShellIO = {
    out: (t) => { process.stdout.write(Buffer.from(t, 'latin1')); },
    err: (t) => { process.stderr.write(Buffer.from(t, 'latin1')); },
  };
  const ttyPoll = tty ? openTtyPoll() : null;
  const shell = new Shell({ fs, io, run: runBuiltin(ctx, flushConsole, ttyPoll?.interrupted), tty, columns: process.stdout.columns ?? 80 });
  // a reader gone away (`ftsim shell < s | head`) ends nothing but the output
  process.stdout.on('error', () => {});
  return new Promise((resolvePromise) => {
    const rl = createInterface({
      input: process.stdin,
      output: tty ? process.stdout : undefined,
      terminal: tty,
      historySize: 1000,
      completer: tty ? (line: string) => shell.complete(line) : undefined,
      crlfDelay: Infinity,
    });
    const prompt = (): void => {
      if (!tty) return;
      rl.setPrompt(shell.continuing ? '> ' : `ftsim:${shell.cwd}# `);
      rl.prompt();
    };
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (shell.exited === null) shell.endOfInput();
      flushConsole();
      resolvePromise(shell.exited ?? shell.status);
    };
    rl.on('line', (line) => {
      if (done || shell.exited !== null) return;
      shell.feed(Buffer.from(line, 'utf8').toString('latin1'));
      if (shell.exited !== null) {
        // an interactive bash says `exit` as it leaves
        if (tty) process.stderr.write('exit\n');
        rl.close();
        return;
      }
      prompt();
    });
    rl.on('SIGINT', () => {
      // ^C at the prompt drops the line, as bash does
      process.stdout.write('^C\n');
      rl.write(null, { ctrl: true, name: 'u' });
      shell.status = 130;
      prompt();
    });
    rl.on('close', () => {
      ttyPoll?.close();
      if (tty && shell.exited === null) process.stdout.write('exit\n');
      finish();
      process.stdin.destroy();
    });
    if (tty) process.stdout.write(`ftsim shell: ${o.file}, ${o.cpus} CPU${o.cpus === 1 ? '' : 's'}, paused before the entry point; tracefs at ${MOUNT} ('help' lists the commands)\n`);
    prompt();
  });
}

/**
 * A second, non-blocking handle on the controlling terminal, read while `run` holds the event loop:
 * a ^C (0x03; the terminal is raw under readline, so it raises no SIGINT) interrupts the run and drops
 * what was typed with it, as the tty driver does; other bytes typed meanwhile go back to stdin for readline. Null when there is no /dev/tty.
 */
export function openTtyPoll(): { interrupted: InterruptCheck; close: () => void } | null {
  let fd: number;
  try {
    fd = openSync('/dev/tty', fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch {
    return null;
  }
  const buf = Buffer.alloc(256);
  return {
    interrupted: () => {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch {
        return false; // EAGAIN: nothing typed
      }
      const got = buf.subarray(0, n);
      // the tty driver flushes what was typed with an interrupt (no NOFLSH): so do we
      if (got.includes(3)) return true;
      if (n > 0) process.stdin.unshift(Buffer.from(got));
      return false;
    },
    close: () => { try { closeSync(fd); } catch { /* already closed */ } },
  };
}
