// Boot-and-run facade: loads an ELF image into a fresh machine and kernel, runs it, and reports what happened.

import type { Tier } from './machine/tier.js';
import { createHash } from 'node:crypto';
import { parseElf, ElfError } from './loader/elf.js';
import { SymbolTable, type SymbolTableState } from './loader/symbols.js';
import { bootImage } from './loader/boot.js';
import { Machine } from './machine/machine.js';
import { PERM_W } from './machine/memory.js';
import { RandomChooser, type Chooser, type Choice } from './machine/chooser.js';
import { Kernel, type RunOutcome, type Violation } from './kernel/kernel.js';
import { LOCAL_TIMER_VECTOR, NMI_VECTOR } from './kernel/layout.js';
import { FtraceCore } from './ftrace/ftrace.js';
import { X86Ftrace, type X86FtraceState } from './arch/x86/ftrace.js';
import { saveFtraceCore, restoreFtraceCore, type FtraceCoreState } from './ftrace/snapshot.js';
import { patchProtocol, PatchProtocolError } from './kernel/patch_protocol.js';
import type { RcuTasksMode } from './kernel/rcu_tasks.js';
import { KernelModules, ModuleError, type KernelModulesState } from './kernel/module.js';

/** The step limit of a run that names none (`ftsim run` without --max-steps): 2,000,000,000 steps. */
export const DEFAULT_MAX_STEPS = 2_000_000_000;

export interface RunOptions {
  /** Stop after this many steps (instructions plus idle cycles, all CPUs together). Default: DEFAULT_MAX_STEPS. */
  maxSteps?: number;
  /** Number of CPUs (default 1; `ftsim run` defaults to 4). */
  cpus?: number;
  /** Execution tier (default: FTSIM_TIER from the environment, else the fastest; see src/machine/tier.ts). */
  tier?: Tier;
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
  /**
   * Dynamic ftrace (ftrace_init at boot: every __mcount_loc site checked and made the nop before any
   * secondary CPU runs). Default: on when the image has __mcount_loc; false turns it off.
   */
  ftrace?: boolean | FtraceBootOptions;
  /** Called after boot (ftrace_init done), before the first instruction runs (e.g. to start a tracer). */
  onBoot?: (b: Booted) => void;
  /** Runs the booted kernel in place of one `kernel.run(maxSteps)` (live tracing drives the run in phases). */
  drive?: (b: Booted, maxSteps: number) => RunOutcome;
  /**
   * Modules to load at boot, in order, right after ftrace_init and before any CPU runs (their sites are
   * nops, and enabled with the rest by a boot tracer); each one's init runs in an 'insmod' task on CPU 0.
   */
  modules?: readonly { file: string; bytes: Uint8Array }[];
  /** Scheduler options for the explorer's scenarios (see SchedulerOptions). */
  sched?: { preemptAtSites?: boolean; nmiAnyTime?: boolean };
}

export interface FtraceBootOptions {
  /**
   * The live patching protocol by name (default text_poke_bp; the negative controls int3_skip and
   * text_poke_bp_nosync1..3: see src/kernel/patch_protocol.ts). An unknown name is a BootError.
   */
  protocol?: string;
  /** Wait before freeing a trampoline: 'full' (default), or the negative controls 'ipi_only', 'none'. */
  rcuTasks?: RcuTasksMode;
  /** Per-ops trampolines (default true). */
  trampolines?: boolean;
}

/** Dynamic ftrace on a booted machine: the generic core and its x86 backend. */
export interface BootedFtrace {
  core: FtraceCore;
  arch: X86Ftrace;
  /** Records made at boot (the image's __mcount_loc sites). */
  records: number;
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
  /** Set when dynamic ftrace was initialised at boot. */
  ftrace?: BootedFtrace;
  /** Loadable modules (insmod, rmmod, the init_module / delete_module hypercalls). */
  modules: KernelModules;
}

/** Parse and boot an image; throws ElfError (bad image) or BootError (bad option). */
export function boot(image: Uint8Array, file: string, options: RunOptions = {}, consoleSink?: (b: number) => void): Booted {
  const ncpus = options.cpus ?? 1;
  if (!Number.isInteger(ncpus) || ncpus < 1 || ncpus > 64) throw new BootError(`--cpus must be between 1 and 64, got ${ncpus}`);
  const img = parseElf(image, file);
  const symbols = SymbolTable.fromImage(img);
  const machine = new Machine({ cpus: ncpus, tier: options.tier, onConsole: consoleSink });
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
    preemptAtSites: options.sched?.preemptAtSites,
    nmiAnyTime: options.sched?.nmiAnyTime,
    guestHandlers,
    symbolize: (a) => symbols.format(a),
  });
  for (const s of kernel.entry.symbols) symbols.add([{ name: s.name, value: s.value, size: s.size, type: 'func' }]);
  const exported = new Map<string, bigint>();
  for (const s of img.symbols) if (s.name && s.shndx !== 0 && (s.bind === 'global' || s.bind === 'weak')) exported.set(s.name, s.value);
  const modules = new KernelModules(kernel, { symbols, kernelSymbol: (n) => exported.get(n), printk: (t) => printText(t, consoleSink) });
  // a snapshot carries the loaded modules and kallsyms (module symbols come and go with them)
  kernel.snapshotHooks.push({
    save: () => ({ modules: modules.save(), symbols: symbols.save() }),
    restore: (st) => {
      const { modules: m, symbols: y } = st as { modules: KernelModulesState; symbols: SymbolTableState };
      symbols.restore(y);
      modules.restore(m);
    },
  });
  const booted: Booted = { machine, kernel, symbols, modules };
  const want = options.ftrace ?? true;
  if (want !== false && img.mcountLoc.length > 0) {
    const fentry = symbols.lookup('__fentry__');
    if (fentry === undefined) throw new BootError(`${file}: has __mcount_loc but no __fentry__ symbol`);
    booted.ftrace = ftraceInit(booted, fentry, img.mcountLoc, want === true ? {} : want, consoleSink);
    modules.ftrace = booted.ftrace.core;
  }
  for (const m of options.modules ?? []) {
    try {
      modules.loadEarly(m.bytes, m.file);
    } catch (e) {
      if (e instanceof ModuleError) throw new BootError(`--module ${e.message}`);
      throw e;
    }
  }
  return booted;
}

/**
 * ftrace_init: build the backend (callers in module text), the core, and convert every site of the
 * image to the nop with synchronous checked writes (no CPU has run yet). A bad site gets the ftrace bug
 * report on the console and disables ftrace; the machine boots on.
 */
function ftraceInit(b: Booted, mcountAddr: bigint, sites: readonly bigint[], opts: FtraceBootOptions, consoleSink?: (byte: number) => void): BootedFtrace {
  const { kernel, symbols } = b;
  try {
    patchProtocol(opts.protocol ?? 'text_poke_bp');
  } catch (e) {
    if (e instanceof PatchProtocolError) throw new BootError(e.message);
    throw e;
  }
  const arch = new X86Ftrace(kernel, {
    mcountAddr,
    symbolize: (a) => symbols.format(a),
    addSymbols: (syms) => symbols.add(syms.map((s) => ({ ...s, type: 'func' }))),
    protocol: opts.protocol,
    rcuTasks: opts.rcuTasks,
    trampolines: opts.trampolines,
  });
  const core = new FtraceCore(arch, { console: (t) => printText(t, consoleSink) });
  arch.functionTraceOp = () => core.functionTraceOp;
  // a snapshot taken while ftrace is on carries the core's records and ops and the backend's host state
  kernel.snapshotHooks.push({
    save: () => ({ core: saveFtraceCore(core), arch: arch.save() }),
    restore: (st) => {
      const { core: c, arch: a } = st as { core: FtraceCoreState; arch: X86FtraceState };
      restoreFtraceCore(core, c);
      arch.restore(a);
    },
  });
  const records = core.ftraceInit(sites, (ip) => {
    const n = symbols.nearest(ip);
    if (n === undefined || n.offset !== 0n) return undefined;
    return { name: n.name, start: n.value, size: symbols.sizeOf(ip) };
  });
  return { core, arch, records };
}

/** printk: kernel text to the console. */
function printText(text: string, consoleSink?: (byte: number) => void): void {
  if (consoleSink) for (const ch of Buffer.from(text, 'latin1')) consoleSink(ch);
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
  const booted = boot(image, file, options, sink);
  const { machine, kernel, symbols } = booted;
  options.onBoot?.(booted);
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const o = options.drive ? options.drive(booted, maxSteps) : kernel.run(maxSteps);
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
