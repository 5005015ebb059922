// ftsim command-line interface: run (boot an image), shell (its tracefs), mount (its tracefs through FUSE), check (explore a patching protocol), disasm (objdump-style listing).

import { Command, CommanderError, Option } from 'commander';
import { readFileSync, openSync, writeSync, closeSync, existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve, relative } from 'node:path';
import { createColors } from 'picocolors';

// Colour only for a person at a terminal: a pipe or a CI log gets plain text
// (picocolors alone also colours whenever a CI variable is set). NO_COLOR and
// FORCE_COLOR are honoured as everywhere.
const pc = createColors(!('NO_COLOR' in process.env) &&
  ('FORCE_COLOR' in process.env || process.stderr.isTTY === true));
import { ElfError } from '../loader/elf.js';
import { BootError, bootAndRun, DEFAULT_MAX_STEPS, type RunResult } from '../runner.js';
import { ReplayChooser, ReplayDivergence } from '../machine/chooser.js';
import {
  readReplay, writeReplay, sha256, unwritableReason, describeFsError, ReplayError, CONFIG_RANGES, REPLAY_FORMAT, REPLAY_VERSION,
  type ReplayFile, type ReplayConfig, type ReplayRunOptions, RUN_OPTION_LISTS, RUN_OPTION_SCALARS,
} from '../explore/replay.js';
import { formatViolation } from '../explore/report.js';
import type { Insn } from '../machine/x86/insn.js';
import { disasmCommand } from './disasm.js';
import { liveDriver, type LiveReport } from './live.js';
import { startBootTracing, type TraceArray } from '../trace/trace_functions.js';
import { parseElf } from '../loader/elf.js';
import type { Livepatch } from '../livepatch/patch.js';
import { applyBootLivepatches, livepatchSummary, parseLivepatchSpecs, type LivepatchSpec } from './livepatch.js';
import { FTRACE_RETFUNC_DEPTH } from '../ftrace/fgraph.js';
import { shellMain } from './shell_main.js';
import { registerCheck } from './check.js';
import { registerMount } from './mount.js';
import { DEFAULT_PATCH_PROTOCOL, PATCH_PROTOCOL_NAMES } from '../kernel/patch_protocol.js';
import { TierError, type Tier } from '../machine/tier.js';
import { tierOf, tierOption } from './tier.js';

/** The tracers `--tracer` accepts (available_tracers). */
const TRACERS = ['function_graph', 'function', 'nop'];

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

/**
 * The one parser of every numeric option: a decimal integer, optionally with `_` between digits
 * (`1_000_000`); an exponent form whose value is an integer (`2e9`, `2.5e6`); or hexadecimal (`0xff`).
 * Returns undefined for anything else, and for values beyond 2^53 - 1.
 */
export function parseInteger(text: string): number | undefined {
  let n: number;
  if (/^\d+(_\d+)*$/.test(text) || /^0x[0-9a-f]+(_[0-9a-f]+)*$/i.test(text)) n = Number(text.replace(/_/g, ''));
  else if (/^\d+(_\d+)*(\.\d+)?e\+?\d+$/i.test(text)) n = Number(text.replace(/_/g, ''));
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A number for messages: digits grouped by `_` from 100_000 up, the form the parser accepts back. */
export function formatInteger(n: number): string {
  const s = String(n);
  return n < 100_000 ? s : s.replace(/\B(?=(\d{3})+$)/g, '_');
}

function intOption(name: string, [min, max]: readonly [number, number]) {
  return (v: string): number => {
    const n = parseInteger(v);
    if (n === undefined || n < min || n > max) {
      throw new UsageError(`${name}: expected an integer from ${formatInteger(min)} to ${formatInteger(max)}, got '${v}'`);
    }
    return n;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** -EINVAL as the kernel's name for it. */
function errnoName(err: number): string {
  const names: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 12: 'ENOMEM', 14: 'EFAULT', 16: 'EBUSY', 19: 'ENODEV', 22: 'EINVAL' };
  return `-${names[-err] ?? String(-err)}`;
}

function displayName(file: string): string {
  const r = relative(process.cwd(), file);
  return r && !r.startsWith('..') ? r : file;
}

interface RunCliOptions {
  kernel: string;
  maxSteps: number;
  console?: string;
  json?: boolean;
  cpus: number;
  seed: number;
  record?: string;
  replay?: string;
  timerHz: number;
  nmiRate: number;
  maxQuantum: number;
  tracer?: string;
  filter: string[];
  notrace: string[];
  graphFunction: string[];
  graphNotrace: string[];
  maxGraphDepth?: number;
  trace?: string;
  live?: string;
  liveSteps: number;
  livepatch: string[];
  module: string[];
  protocol?: string;
  tier?: Tier;
}

/** Where each option's value came from: the command line, or its default. */
type GivenFn = (key: keyof RunCliOptions) => boolean;

/** Where a violation's replay goes when --record was not given. */
export const DEFAULT_VIOLATION_REPLAY = 'ftsim-violation.replay';

/** The options a replay file fixes (its configuration), as [option key, flag]. */
const REPLAY_FIXED: readonly [keyof RunCliOptions & keyof ReplayConfig, string][] = [
  ['cpus', '--cpus'], ['seed', '--seed'], ['maxSteps', '--max-steps'], ['timerHz', '--timer-hz'],
  ['nmiRate', '--nmi-rate'], ['maxQuantum', '--max-quantum'],
];

/** The command-line flag of each recorded run option. */
const RUN_OPTION_FLAGS: Record<keyof ReplayRunOptions, string> = {
  tracer: '--tracer', filter: '--filter', notrace: '--notrace', graphFunction: '--graph-function', graphNotrace: '--graph-notrace',
  maxGraphDepth: '--max-graph-depth', live: '--live', liveSteps: '--live-steps', livepatch: '--livepatch', module: '--module',
  protocol: '--protocol',
};

/** The run options to record with a run, or undefined when none was given (a plain run). */
function runOptionsOf(opts: RunCliOptions): ReplayRunOptions | undefined {
  const run: ReplayRunOptions = {
    filter: opts.filter, notrace: opts.notrace, graphFunction: opts.graphFunction, graphNotrace: opts.graphNotrace,
    livepatch: opts.livepatch, module: opts.module,
    ...(opts.tracer !== undefined ? { tracer: opts.tracer } : {}),
    ...(opts.maxGraphDepth !== undefined ? { maxGraphDepth: opts.maxGraphDepth } : {}),
    ...(opts.live !== undefined ? { live: opts.live, liveSteps: opts.liveSteps } : {}),
    ...(opts.protocol !== undefined ? { protocol: opts.protocol } : {}),
  };
  const any = RUN_OPTION_LISTS.some((k) => run[k].length > 0) || Object.keys(RUN_OPTION_SCALARS).some((k) => k in run);
  return any ? run : undefined;
}

/**
 * A replay reruns the recorded run's tracing, live-patching and module options: those not given again
 * are taken from the file; one given with another value is refused (the decisions would not match).
 */
function applyRecordedRunOptions(opts: RunCliOptions, given: GivenFn, replay: ReplayFile, file: string): void {
  const rec: ReplayRunOptions = replay.run ?? { filter: [], notrace: [], graphFunction: [], graphNotrace: [], livepatch: [], module: [] };
  const differ: string[] = [];
  for (const k of Object.keys(RUN_OPTION_FLAGS) as (keyof ReplayRunOptions)[]) {
    const want = JSON.stringify(rec[k] ?? null);
    if (given(k) && JSON.stringify(opts[k] ?? null) !== want) differ.push(RUN_OPTION_FLAGS[k]);
  }
  if (differ.length > 0) {
    const recorded = (Object.keys(RUN_OPTION_FLAGS) as (keyof ReplayRunOptions)[]).flatMap((k) => {
      const v = rec[k];
      return (v === undefined ? [] : Array.isArray(v) ? v : [v]).map((x) => `${RUN_OPTION_FLAGS[k]} ${String(x)}`);
    });
    throw new UsageError(`${differ.join(', ')}: not what the replay file ${file} recorded (${recorded.length > 0 ? recorded.join(' ') : 'none of them'}); ` +
      'drop them to rerun the recorded ones, or record a new run');
  }
  Object.assign(opts, rec);
}

function loadReplay(opts: RunCliOptions, given: GivenFn): ReplayFile | undefined {
  if (!opts.replay) return undefined;
  const fixed = REPLAY_FIXED.filter(([k]) => given(k)).map(([, flag]) => flag);
  if (fixed.length > 0) {
    throw new UsageError(`${fixed.join(', ')} cannot be combined with --replay: the replay file ${opts.replay} fixes the configuration of the run ` +
      `(${REPLAY_FIXED.map(([, flag]) => flag).join(', ')}); drop ${fixed.length === 1 ? 'it' : 'them'}, or record a new run`);
  }
  try {
    return readReplay(opts.replay);
  } catch (e) {
    if (e instanceof ReplayError) throw new UsageError(e.message);
    throw e;
  }
}

/** How the step limit was set, for messages: "--max-steps 100_000", "the default ...", "from the replay file ...". */
function describeLimit(maxSteps: number, source: 'option' | 'default' | 'replay', replayFile?: string): string {
  const n = formatInteger(maxSteps);
  if (source === 'option') return `--max-steps ${n}`;
  if (source === 'replay') return `${n} steps, the limit recorded in ${replayFile}`;
  return `${n} steps, the default limit (set another with --max-steps N)`;
}

function cpuState(result: RunResult, i: number): 'running' | 'waiting' | 'halted' | 'never-started' | 'host-thread' {
  const w = result.stoppedAt[i];
  if (w.hostThread) return 'host-thread';
  if (w.halted) return result.cycles[i] === 0 ? 'never-started' : 'halted';
  return w.waiting ? 'waiting' : 'running';
}

function describeCpu(result: RunResult, i: number): string {
  const w = result.stoppedAt[i];
  const at = `0x${w.rip.toString(16)} <${w.symbol}>`;
  switch (cpuState(result, i)) {
    case 'never-started': return `cpu${i}: never started`;
    case 'halted': return `cpu${i}: halted at ${at}`;
    case 'waiting': return `cpu${i}: waiting in hlt for an interrupt at ${at}`;
    case 'host-thread': return `cpu${i}: in a kernel host thread, guest code stopped at ${at}`;
    default: return `cpu${i}: running at ${at}`;
  }
}

function runCommand(opts: RunCliOptions, given: GivenFn): number {
  const replay = loadReplay(opts, given);
  if (replay && opts.replay) applyRecordedRunOptions(opts, given, replay, opts.replay);
  if (opts.record) {
    const why = unwritableReason(opts.record);
    if (why) throw new UsageError(`--record ${opts.record}: cannot write the replay file there: ${why}`);
  }
  if (opts.tracer !== undefined && !TRACERS.includes(opts.tracer)) {
    throw new UsageError(`--tracer ${opts.tracer}: no such tracer (available: ${TRACERS.join(' ')})`);
  }
  if ((opts.filter.length > 0 || opts.notrace.length > 0) && opts.tracer !== 'function') {
    throw new UsageError('--filter and --notrace apply to the function tracer: give --tracer function');
  }
  if ((opts.graphFunction.length > 0 || opts.graphNotrace.length > 0 || opts.maxGraphDepth !== undefined) && opts.tracer !== 'function_graph') {
    throw new UsageError('--graph-function, --graph-notrace and --max-graph-depth apply to the function_graph tracer: give --tracer function_graph');
  }
  if (opts.live !== undefined) {
    if (!TRACERS.includes(opts.live) || opts.live === 'nop') {
      throw new UsageError(`--live ${opts.live}: no such tracer to switch on (available: ${TRACERS.filter((t) => t !== 'nop').join(' ')})`);
    }
    if (opts.tracer !== undefined) throw new UsageError('--live and --tracer exclude each other: --tracer traces from boot, --live switches a tracer on and off while the kernel runs');
  } else if (given('liveSteps')) {
    throw new UsageError('--live-steps needs --live TRACER');
  }
  let patches: LivepatchSpec[];
  try {
    patches = parseLivepatchSpecs(opts.livepatch);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (opts.trace) {
    const why = unwritableReason(opts.trace);
    if (why) throw new UsageError(`--trace ${opts.trace}: cannot write the trace there: ${why}`);
  }
  let kernelPath = opts.kernel;
  if (replay && !given('kernel') && replay.kernel) {
    kernelPath = replay.kernel;
    if (!existsSync(kernelPath)) {
      throw new UsageError(`${opts.replay}: the recorded image ${kernelPath} does not exist here; give the image with --kernel FILE`);
    }
  }
  const file = displayName(resolve(kernelPath));
  const bytes = readInput(kernelPath);
  const modules = opts.module.map((m) => ({ file: displayName(resolve(m)), bytes: readInput(m) }));
  const kernelSha256 = sha256(bytes);
  if (replay && replay.kernelSha256 !== kernelSha256) {
    throw new UsageError(`--replay ${opts.replay}: recorded on a different kernel image (sha256 ${replay.kernelSha256.slice(0, 12)}…, ${file} is ${kernelSha256.slice(0, 12)}…)`);
  }
  const config: ReplayConfig = replay ? replay.config : {
    cpus: opts.cpus, seed: opts.seed, timerHz: opts.timerHz, nmiRate: opts.nmiRate, maxQuantum: opts.maxQuantum, maxSteps: opts.maxSteps,
  };
  const limitSource = replay ? 'replay' : given('maxSteps') ? 'option' : 'default';
  const tier = tierOf(opts.tier);
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
      throw new UsageError(`--console ${opts.console}: cannot open for writing: ${describeFsError(e)}`);
    }
  }
  let result: RunResult;
  let sym: (a: bigint) => string = (a) => `0x${a.toString(16)}`;
  let recent: Insn[] = [];
  const chooser = replay ? new ReplayChooser(replay.choices, opts.replay) : undefined;
  let tracing: TraceArray | undefined;
  let tracingError: string | undefined;
  const live: LiveReport = { switches: [] };
  const liveLog = (line: string): void => {
    flush();
    process.stderr.write(pc.cyan(`ftsim: ${line}`) + '\n');
  };
  let livepatch: Livepatch | undefined;
  try {
    result = bootAndRun(bytes, file, {
      maxSteps: config.maxSteps,
      cpus: config.cpus,
      seed: config.seed,
      chooser,
      timerHz: config.timerHz,
      nmiRate: config.nmiRate,
      maxQuantum: config.maxQuantum,
      tier,
      modules,
      ...(opts.protocol !== undefined ? { ftrace: { protocol: opts.protocol } } : {}),
      onConsole: (b) => {
        pending.push(b);
        if (b === 10 || pending.length >= 4096) flush();
      },
      drive: opts.live === undefined ? undefined : liveDriver({ tracer: opts.live, steps: opts.liveSteps, excerpt: 12 }, live, opts.json ? () => {} : liveLog),
      onBoot: (booted) => {
        if (patches.length > 0) {
          try {
            livepatch = applyBootLivepatches(booted, parseElf(bytes, file), patches);
          } catch (e) {
            throw new UsageError((e as Error).message);
          }
        }
        if (opts.live !== undefined || (opts.tracer === undefined && !opts.trace)) return;
        if (!booted.ftrace) {
          tracingError = `${file} has no __mcount_loc: nothing to trace`;
          return;
        }
        tracing = startBootTracing(booted.kernel, booted.ftrace.core, booted.ftrace.arch,
          {
            tracer: opts.tracer ?? 'nop', filter: opts.filter, notrace: opts.notrace,
            graphFunction: opts.graphFunction, graphNotrace: opts.graphNotrace, maxGraphDepth: opts.maxGraphDepth,
          },
          (err, what) => { if (err) tracingError = `${what}: ${errnoName(err)}`; });
      },
      onStop: (booted) => {
        sym = (a) => booted.symbols.format(a);
        const v = booted.kernel.cpus.find((c) => c.violation !== null);
        if (v) recent = v.recent();
      },
    });
  } catch (e) {
    if (e instanceof ReplayDivergence && chooser && replay) {
      throw new UsageError(`--replay ${e.message} (the recording has ${replay.choices.length} decisions). ` +
        'The image, the options or the ftsim version differ from those of the recorded run.');
    }
    throw e;
  } finally {
    flush();
    if (fd >= 0) closeSync(fd);
  }
  if (tracingError) process.stderr.write(pc.red(`ftsim: tracing: ${tracingError}`) + '\n');
  const traceText = tracing ? tracing.traceText() : live.traceText;
  if (opts.trace && traceText !== undefined) {
    try {
      writeFileSync(opts.trace, traceText, 'latin1'); // a byte string: the trace's bytes as they are
    } catch (e) {
      throw new UsageError(`--trace ${opts.trace}: cannot write the trace: ${describeFsError(e)}`);
    }
  }
  let code = result.exitReason === 'halted' ? EXIT_OK : result.exitReason === 'violation' ? EXIT_VIOLATION
    : result.exitReason === 'fault' ? EXIT_FAULT : EXIT_MAX_STEPS;
  // a tracing option the kernel refused (a filter that matches nothing): the run went on untraced
  if (tracingError && code === EXIT_OK) code = EXIT_BAD_INPUT;
  let recordPath = opts.record;
  if (!recordPath && result.exitReason === 'violation' && !replay) recordPath = DEFAULT_VIOLATION_REPLAY;
  let recorded: string | undefined;
  let recordError: string | undefined;
  if (recordPath) {
    const run = runOptionsOf(opts);
    try {
      writeReplay(recordPath, {
        format: REPLAY_FORMAT, version: REPLAY_VERSION, kernel: file, kernelSha256, config,
        ...(run ? { run } : {}),
        outcome: { exitReason: result.exitReason, steps: result.steps, summary: result.violation?.summary ?? result.error },
        choices: result.choices,
      });
      recorded = recordPath;
    } catch (e) {
      if (!(e instanceof ReplayError)) throw e;
      recordError = e.message;
      // the run's own outcome wins; only a run that was otherwise fine fails on its lost record
      if (code === EXIT_OK) code = EXIT_BAD_INPUT;
    }
  }
  const report = result.violation ? formatViolation(result.violation, recent, sym, replay ? opts.replay : recorded) : undefined;
  if (opts.json) {
    const summary = {
      kernel: file,
      exitReason: result.exitReason,
      exitCode: code,
      seed: config.seed,
      steps: result.steps,
      maxSteps: result.maxSteps,
      maxStepsSource: limitSource,
      cpus: result.instructions.map((n, i) => ({
        cpu: i, instructions: n, cycles: result.cycles[i], halted: result.halted[i],
        state: cpuState(result, i), rip: '0x' + result.stoppedAt[i].rip.toString(16), symbol: result.stoppedAt[i].symbol,
      })),
      wallMs: Math.round(result.wallMs * 1000) / 1000,
      instructionsPerSecond: result.wallMs > 0 ? Math.round(result.steps / (result.wallMs / 1000)) : null,
      memorySha256: result.memoryHash,
      tier,
      decisions: result.choices.length,
      ...(recorded ? { replayFile: recorded } : {}),
      ...(recordError ? { replayError: recordError } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(result.violation ? { violation: { ...result.violation, rip: '0x' + result.violation.rip.toString(16), report } } : {}),
      ...(opts.live !== undefined ? { live: { switches: live.switches, entries: live.entries, overruns: live.overruns } } : {}),
      ...(livepatch ? { livepatch: livepatchSummary(livepatch) } : {}),
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
      const where = result.stoppedAt.map((_, i) => `  ${describeCpu(result, i)}`).join('\n');
      process.stderr.write(pc.yellow(`ftsim: stopped at the step limit (${describeLimit(result.maxSteps, limitSource, opts.replay)}) ` +
        `after ${result.steps} instructions; not every CPU halted. Where each CPU was:\n${where}`) + '\n');
    } else {
      process.stderr.write(pc.dim(`ftsim: all CPUs halted after ${result.steps} instructions (${per}) in ${secs.toFixed(3)} s${rate}`) + '\n');
    }
    for (const p of livepatch ? livepatchSummary(livepatch) : []) {
      process.stderr.write(pc.dim(`ftsim: livepatch ${p.old} -> ${p.new}: ${p.redirected} calls redirected`) + '\n');
    }
    if (recordError) {
      const what = result.exitReason === 'violation' && !opts.record ? 'the replay of this violation was not saved' : 'the replay file was not saved';
      const hint = opts.record ? '' : ' (give --record FILE to save it elsewhere)';
      process.stderr.write(pc.red(`ftsim: ${what}: ${recordError}${hint}`) + '\n');
    } else if (recorded && result.exitReason !== 'violation') {
      process.stderr.write(pc.dim(`ftsim: recorded ${result.choices.length} decisions to ${recorded}`) + '\n');
    }
  }
  return code;
}

const NUMBERS_HELP = 'Numbers: a decimal integer, optionally with _ between digits (1_000_000),\n' +
  'an exponent form whose value is an integer (2e9, 2.5e6), or hexadecimal (0xff).';

const EXIT_CODES_HELP = `Exit codes:
  ${EXIT_OK}  every CPU halted normally
  ${EXIT_BAD_INPUT}  bad input: unreadable or malformed ELF, bad option, bad or diverged
     replay file, a replay or console file that cannot be written
  ${EXIT_FAULT}  a guest fault the machine cannot deliver, or an instruction the
     interpreter does not implement
  ${EXIT_VIOLATION}  an invariant violation (the report is printed; its replay goes to
     --record FILE, or to ${DEFAULT_VIOLATION_REPLAY})
  ${EXIT_MAX_STEPS}  stopped at the step limit (--max-steps; default ${formatInteger(DEFAULT_MAX_STEPS)} steps)`;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('ftsim')
    .description('Linux dynamic ftrace on a simulated x86-64 machine')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(pc.red(s)) })
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nRun 'ftsim run --help' for the options of a run and their defaults.`);

  const range = (k: keyof ReplayConfig): string => `${formatInteger(CONFIG_RANGES[k][0])}-${formatInteger(CONFIG_RANGES[k][1])}`;
  program
    .command('run')
    .description('boot a kernel image (any static x86-64 ELF) and run it until every CPU halts')
    .option('--kernel <file>', 'ELF image to boot', displayName(DEFAULT_KERNEL))
    .option('--cpus <n>', `number of CPUs (${range('cpus')})`, intOption('--cpus', CONFIG_RANGES.cpus), 4)
    .option('--seed <n>', `seed of the random chooser that makes every nondeterministic decision (${range('seed')})`, intOption('--seed', CONFIG_RANGES.seed), 1)
    .addOption(new Option('--max-steps <n>', 'stop after this many steps: instructions and idle cycles of all CPUs together (the default lets a guest that never halts run for about a minute)')
      .argParser(intOption('--max-steps', CONFIG_RANGES.maxSteps)).default(DEFAULT_MAX_STEPS, formatInteger(DEFAULT_MAX_STEPS)))
    .option('--timer-hz <n>', `timer interrupts per simulated second, CPUs run at 1 GHz (${range('timerHz')})`, intOption('--timer-hz', CONFIG_RANGES.timerHz), 1000)
    .option('--nmi-rate <n>', `NMIs per million cycles on each CPU (a periodic NMI source, like a perf counter overflow) (${range('nmiRate')})`, intOption('--nmi-rate', CONFIG_RANGES.nmiRate), 0)
    .option('--max-quantum <n>', `largest number of instructions a CPU runs before the chooser picks again (${range('maxQuantum')})`, intOption('--max-quantum', CONFIG_RANGES.maxQuantum), 1000)
    .option('--record <file>', 'write a replay file of every decision of this run')
    .option('--replay <file>', 'rerun a recorded run decision for decision (the file fixes --cpus, --seed, --max-steps, --timer-hz, --nmi-rate and --max-quantum)')
    .option('--console <file>', 'write the guest console (port 0xE9) to this file instead of stdout')
    .option('--json', 'print one JSON summary object (console included unless --console is given)')
    .option('--tracer <name>', `start this tracer at boot, before the image's entry point runs, like the kernel's ftrace= (${TRACERS.join(', ')})`)
    .option('--filter <glob>', 'trace only matching functions (set_ftrace_filter; repeatable)', collect, [])
    .option('--notrace <glob>', 'never trace matching functions (set_ftrace_notrace; repeatable)', collect, [])
    .option('--graph-function <glob>', 'function_graph: trace only matching functions and what they call (set_graph_function; repeatable)', collect, [])
    .option('--graph-notrace <glob>', 'function_graph: never trace matching functions nor what they call (set_graph_notrace; repeatable)', collect, [])
    .option('--max-graph-depth <n>', 'function_graph: trace calls only down to this depth, 0 for no limit (max_graph_depth)', intOption('--max-graph-depth', [0, FTRACE_RETFUNC_DEPTH]))
    .option('--trace <file>', 'write the final trace (the tracefs `trace` file) there; with --live, the trace as it stood just before the switch back to nop (which clears it)')
    .option('--live <tracer>', 'once every CPU runs, switch current_tracer to this tracer live (the --protocol patching running CPUs), keep it for --live-steps, then switch back to nop; shows an excerpt and the sites patched each way')
    .option('--live-steps <n>', 'steps (all CPUs together) the --live tracer stays on', intOption('--live-steps', [1, 1e12]), 2_000_000)
    .option('--protocol <name>', `the live text-patching protocol every ftrace update goes through (${PATCH_PROTOCOL_NAMES.join(', ')}; int3_emulate is text_poke_bp; default ${DEFAULT_PATCH_PROTOCOL})`)
    .option('--livepatch <old=new>', 'live-patch function OLD with function NEW of the image, at boot before the entry point runs (an IPMODIFY ftrace ops sets regs->ip; repeatable); the end summary says how many calls each patch redirected', collect, [])
    .option('--module <file>', 'load this kernel module (an object from gcc -c -pg -mfentry -mrecord-mcount -mcmodel=kernel) at boot, after ftrace_init and before any CPU runs; its init_module runs in an insmod task on CPU 0 (repeatable)', collect, [])
    .addOption(tierOption())
    .addHelpText('after', `\n${NUMBERS_HELP}\n\n${EXIT_CODES_HELP}`)
    .action((opts: RunCliOptions, cmd: Command) => {
      process.exitCode = runCommand(opts, (k) => cmd.getOptionValueSource(k) === 'cli');
    });

  program
    .command('shell')
    .description('boot a kernel image paused before its entry point and give a shell on its tracefs, mounted at /sys/kernel/tracing (a script on stdin runs as is); `run 10ms` lets the machine run')
    .option('--kernel <file>', 'ELF image to boot', displayName(DEFAULT_KERNEL))
    .option('--cpus <n>', `number of CPUs (${range('cpus')})`, intOption('--cpus', CONFIG_RANGES.cpus), 4)
    .option('--seed <n>', `seed of the random chooser (${range('seed')})`, intOption('--seed', CONFIG_RANGES.seed), 1)
    .option('--nmi-rate <n>', `NMIs per million cycles on each CPU (${range('nmiRate')})`, intOption('--nmi-rate', CONFIG_RANGES.nmiRate), 0)
    .option('--module <file>', 'load this kernel module at boot, before any CPU runs (repeatable)', collect, [])
    .option('--console <file>', 'write the guest console (port 0xE9) to this file instead of stdout')
    .addOption(tierOption())
    .action((opts: { kernel: string; cpus: number; seed: number; nmiRate: number; module: string[]; console?: string; tier?: Tier }) => {
      const tier = tierOf(opts.tier);
      const modules = opts.module.map((m) => ({ file: displayName(resolve(m)), bytes: readInput(m) }));
      const image = readInput(opts.kernel);
      let consoleFd: number | undefined;
      if (opts.console !== undefined) {
        try {
          consoleFd = openSync(opts.console, 'w');
        } catch (e) {
          throw new UsageError(`--console ${opts.console}: cannot open for writing: ${describeFsError(e)}`);
        }
      }
      void shellMain({ image, file: displayName(resolve(opts.kernel)), cpus: opts.cpus, seed: opts.seed, nmiRate: opts.nmiRate, modules, consoleFd, tier })
        .then((code) => { process.exitCode = code; });
    });

  program
    .command('disasm')
    .description('objdump-style disassembly of an image, with the __mcount_loc (__fentry__) sites marked')
    .argument('<file>', 'ELF image or object')
    .argument('[symbol]', 'only this function')
    .action((file: string, symbol: string | undefined) => {
      process.stdout.write(disasmCommand(readInput(file), displayName(resolve(file)), symbol));
    });
  registerMount(program, {
    UsageError, intOption, displayName, readInput, defaultKernel: DEFAULT_KERNEL,
    ranges: { cpus: CONFIG_RANGES.cpus, seed: CONFIG_RANGES.seed, nmiRate: CONFIG_RANGES.nmiRate },
  });
  registerCheck(program, {
    UsageError, intOption, displayName, readInput, defaultKernel: DEFAULT_KERNEL, color: pc,
    exit: { ok: EXIT_OK, badInput: EXIT_BAD_INPUT, violation: EXIT_VIOLATION },
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
    if (e instanceof UsageError || e instanceof ElfError || e instanceof BootError || e instanceof TierError) {
      process.stderr.write(pc.red(`ftsim: ${e.message}`) + '\n');
      return e instanceof UsageError ? e.exitCode : EXIT_BAD_INPUT;
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv);
}
