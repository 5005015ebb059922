// The explorer's scenarios, by name: what the machine does from the snapshot on (which tracer or patch goes on and off while the other CPUs run), and which call sites it touches.

import { TraceArray, type FunctionTracer } from '../trace/trace_functions.js';
import { FtraceOps } from '../ftrace/ops.js';
import { boot } from '../runner.js';
import { Livepatch, klpImageResolver } from '../livepatch/patch.js';
import { KlpMonitor } from '../livepatch/monitor.js';
import { parseElf } from '../loader/elf.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunStopped, type Explorer, type CheckConfig } from './engine.js';
import type { Kernel } from '../kernel/kernel.js';
import { CheckInputError } from './mutants.js';
import { sha256 } from './replay.js';

/** What a scenario does in each run, prepared once before the snapshot. */
export interface ScenarioRun {
  run(x: Explorer): void;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  /** NMIs per million cycles per CPU (default 0: NMIs only where the scenario is about them). */
  readonly nmiRate?: number;
  readonly timerHz?: number;
  /** Scheduler options beyond the defaults. */
  readonly sched?: { preemptAtSites?: boolean; nmiAnyTime?: boolean };
  /** The functions whose sites the scenario patches; `limit` = --sites (undefined: its default). */
  sites(x: Explorer, limit: number | undefined): string[];
  prepare(x: Explorer): ScenarioRun;
}

/** Steps the CPUs run with the tracer on, between switching it on and off. */
const TRACED_STEPS = 30_000;

/** Run `step` (100k steps of the machine) until every CPU has started, at most 400 times; whether they all did. */
export function untilEveryCpuRuns(k: Kernel, step: () => void): boolean {
  for (let i = 0; i < 400 && !k.cpus.every((c) => !c.halted); i++) step();
  return k.cpus.every((c) => !c.halted);
}

/** Functions the other CPUs call most (a profile on a separate boot of the same machine), hottest first; cached per configuration. */
const profiles = new Map<string, { all: string[]; nmi: string[] }>();

export function hotFunctions(cfg: CheckConfig, nmiRate: number): { all: string[]; nmi: string[] } {
  const key = `${sha256(cfg.kernel.bytes)}:${cfg.cpus}:${nmiRate}:${cfg.tier ?? ''}`;
  const hit = profiles.get(key);
  if (hit !== undefined) return hit;
  const b = boot(cfg.kernel.bytes, cfg.kernel.file, {
    cpus: cfg.cpus, seed: 1, nmiRate: nmiRate || 50, maxQuantum: 200, tier: cfg.tier,
    pokeSymbols: { workload_iterations: 50n, smp_workload_iterations: 1_000_000n },
  });
  const ft = b.ftrace;
  if (ft === undefined) throw new CheckInputError(`${cfg.kernel.file}: the kernel has no ftrace call sites (__mcount_loc)`);
  const all = new Map<bigint, number>();
  const nmi = new Map<bigint, number>();
  const ops = new FtraceOps('explore_profile', (ip) => {
    const cpu = ft.arch.current;
    if (cpu === null || cpu.id === 0) return;
    all.set(ip, (all.get(ip) ?? 0) + 1);
    if (b.kernel.traps.nmiRunningOn(cpu.id)) nmi.set(ip, (nmi.get(ip) ?? 0) + 1);
  });
  ft.arch.startLive(0, ft.core.registerFtraceFunction(ops));
  const k = b.kernel;
  untilEveryCpuRuns(k, () => k.run(k.steps + 100_000));
  k.run(k.steps + 400_000);
  const names = (m: Map<bigint, number>): string[] => [...m.entries()]
    .sort((a, c) => c[1] - a[1] || (a[0] < c[0] ? -1 : 1))
    .map(([ip]) => b.symbols.nearest(ip)?.name ?? '')
    .filter((n) => n !== '');
  const r = { all: names(all), nmi: names(nmi) };
  profiles.set(key, r);
  return r;
}

/** Limit a list of functions to `limit` (undefined: every site, no filter). */
function take(list: string[], limit: number | undefined): string[] {
  return limit === undefined ? [] : list.slice(0, limit);
}

/** A function tracer instance for one run, filtered on `patterns` (default the sites; empty: every function). */
function functionTracer(x: Explorer, patterns: readonly string[] = x.sites): TraceArray {
  const ft = x.b.ftrace!;
  const tr = new TraceArray(x.b.kernel, ft.core, ft.arch, { sizeKb: 8 });
  const ops = (tr.tracers.get('function') as FunctionTracer).opsFor(tr);
  for (const s of patterns) {
    const err = x.now(ft.core.ftraceSetFilter(ops, s, false));
    if (err !== 0) throw new Error(`set_ftrace_filter '${s}' failed: ${err}`);
  }
  return tr;
}

/** Switch tracers in turn, the CPUs running TRACED_STEPS between switches. */
function switches(...tracers: string[]): (x: Explorer) => ScenarioRun {
  return () => ({
    run(x) {
      const tr = functionTracer(x);
      for (const [i, t] of tracers.entries()) {
        const err = x.live(tr.setTracer(t));
        if (err !== 0) throw new Error(`current_tracer '${t}' failed: ${err}`);
        if (i < tracers.length - 1) x.runFor(TRACED_STEPS);
      }
    },
  });
}

const hot = (x: Explorer, limit: number | undefined): string[] => take(hotFunctions(x.cfg, 0).all, limit);

/** The module of module-load: guest/modules/ftwork.c, committed prebuilt (guest/build.sh) so that no compiler is needed. */
export const WORK_MODULE = { name: 'ftwork', file: 'ftwork.ko' } as const;

/** Its functions the callers run, innermost (hottest) first: --sites N keeps the first N. */
const WORK_FUNCS = ['ftwork_mix', 'ftwork_step', 'ftwork_sum', 'ftwork_run'];

/** fixtures/ftwork.ko, found from this file up (src/explore under the tests, dist/src/explore when built). */
let workModule: Uint8Array | undefined;
export function workModuleBytes(): Uint8Array {
  if (workModule !== undefined) return workModule;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const f = join(dir, 'fixtures', WORK_MODULE.file);
    if (existsSync(f)) return (workModule = new Uint8Array(readFileSync(f)));
  }
  throw new CheckInputError(`module-load: fixtures/${WORK_MODULE.file} was not found above ${dirname(fileURLToPath(import.meta.url))}; rebuild it with guest/build.sh`);
}

/** Let the CPUs run until `done()` (checked every 5,000 steps); RunStopped after `budget` steps. */
function runUntil(x: Explorer, done: () => boolean, what: string, budget = 5_000_000): void {
  for (let n = 0; !done(); n += 5_000) {
    if (n >= budget) throw new RunStopped(undefined, `${what} did not happen within ${budget} steps`);
    x.runFor(5_000);
  }
}

/** What a caller passes to ftwork_run: ftwork_sum loops this many times. */
const CALL_ARG = 4n;

/**
 * module-load: insmod ftwork from a task on CPU 0; on every other CPU a task calls ftwork_run in a loop,
 * holding a module reference around each call; the function tracer goes on for the module's functions
 * and off again; the callers are stopped (they let go of the module) and rmmod unloads it.
 */
function moduleLoad(x: Explorer): ScenarioRun {
  const bytes = workModuleBytes();
  const mods = x.b.modules;
  const { name, file } = WORK_MODULE;
  return {
    run(y) {
      const ins = mods.insmod(bytes, file, 0);
      runUntil(y, () => ins.result !== null, `insmod ${name}`);
      if (ins.result !== 0) throw new Error(`module-load: insmod ${name} failed: ${ins.message ?? ins.result}`);
      for (let c = 1; c < y.b.kernel.cpus.length; c++) mods.startCaller(name, 'ftwork_run', CALL_ARG, c);
      const tr = functionTracer(y, y.sites.map((f) => `${f}:mod:${name}`));
      let err = y.live(tr.setTracer('function'));
      if (err !== 0) throw new Error(`current_tracer 'function' failed: ${err}`);
      y.runFor(TRACED_STEPS);
      err = y.live(tr.setTracer('nop'));
      if (err !== 0) throw new Error(`current_tracer 'nop' failed: ${err}`);
      mods.stopCallers(name);
      runUntil(y, () => mods.callersRunning(name) === 0, `the callers of ${name} letting go of it`);
      const rm = mods.rmmod(name, 0);
      runUntil(y, () => rm.result !== null, `rmmod ${name}`);
      if (rm.result !== 0) throw new Error(`module-load: rmmod ${name} failed: ${rm.message ?? rm.result}`);
    },
  };
}

const SCENARIOS: Scenario[] = [
  {
    name: 'enable-function-tracer',
    summary: 'CPUs busy in traced code; CPU 0 enables the function tracer on every function (or --sites N of the hottest), then disables it',
    sites: hot,
    prepare: switches('function', 'nop'),
  },
  {
    name: 'switch-tracer',
    summary: 'function -> function_graph -> function -> nop while the CPUs run: nop->call, call->call and the graph hook',
    sites: hot,
    prepare: switches('function', 'function_graph', 'function', 'nop'),
  },
  {
    name: 'nmi-during-patch',
    summary: 'as enable-function-tracer, with NMIs (50 per million cycles per CPU) whose handler calls traced functions arriving at any instruction',
    nmiRate: 50,
    sched: { nmiAnyTime: true },
    sites: (x, limit) => {
      const p = hotFunctions(x.cfg, 50);
      const first = ['nmi_handler', ...p.nmi.filter((n) => n !== 'nmi_handler')];
      return limit === undefined ? [] : [...first, ...p.all.filter((n) => !first.includes(n))].slice(0, limit);
    },
    prepare: switches('function', 'nop'),
  },
  {
    name: 'preempt-mid-nop',
    summary: 'as enable-function-tracer, and the tick may strike at any instruction boundary inside a call site, preempting the task there',
    sched: { preemptAtSites: true },
    sites: hot,
    prepare: switches('function', 'nop'),
  },
  {
    name: 'livepatch-then-trace',
    summary: 'crc32_le live-patched to crc32_le_v2 (an IPMODIFY ops with its own trampoline); the function tracer goes on and off on it, moving its site to the regs caller and back',
    sites: (x, limit) => ['crc32_le', ...hotFunctions(x.cfg, 0).all.filter((n) => n !== 'crc32_le')].slice(0, limit ?? 1),
    prepare(x) {
      const ft = x.b.ftrace!;
      const lp = new Livepatch(ft.core, klpImageResolver(parseElf(x.cfg.kernel.bytes, x.cfg.kernel.file)));
      const mon = new KlpMonitor(lp, { currentTask: (c) => x.b.kernel.sched.current[c], symbolize: (a) => x.b.symbols.format(a) });
      mon.install(x.b.kernel.cpus);
      const r = x.live(lp.klpEnable('crc32_le', 'crc32_le_v2'));
      if (r.err !== 0) throw new CheckInputError(`livepatch-then-trace: cannot live-patch crc32_le: ${r.message ?? r.err}`);
      x.runFor(50_000);
      const inner = switches('function', 'nop')(x);
      return { run: (y) => { mon.reset(); inner.run(y); } };
    },
  },
  {
    name: 'module-load',
    summary: 'a module (fixtures/ftwork.ko) is loaded, traced and unloaded while tasks on the other CPUs call its functions (each call holding a module reference); --sites N traces N of its functions (default all 4 they run)',
    sites: (_x, limit) => WORK_FUNCS.slice(0, limit ?? WORK_FUNCS.length),
    prepare: moduleLoad,
  },
];

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

export function scenarioList(): readonly Scenario[] {
  return SCENARIOS;
}

export function scenarioByName(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new CheckInputError(`--scenario: unknown scenario '${name}'; known scenarios: ${scenarioNames().join(', ')}`);
  return s;
}
