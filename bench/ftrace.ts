// Benchmarks of dynamic ftrace on the bundled kernel: guest instructions per traced call, simulator throughput with tracing on, the host cost of patching every site (text_poke_bp against plain writes), trace lines formatted per second, and a tracefs filter write that patches every site.

import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot, type Booted } from '../src/runner.js';
import { startBootTracing, TraceArray } from '../src/trace/trace_functions.js';
import type { FtraceCall } from '../src/ftrace/ftrace.js';
import { buildTracefs, runKernelCall } from '../src/trace/tracefs/index.js';
import type { Tier } from '../src/machine/tier.js';
import { tierFigures, timedUnder } from './tiers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const image = readFileSync(join(root, 'fixtures', 'vmlinux'));

interface TracedRun {
  tracer: string;
  instructions: number;
  seconds: number;
  instructionsPerSecond: number;
  /** Calls that reached the tracer: function entries written, or graph entries pushed. */
  tracedCalls: number;
}

function bootKernel(cpus: number, poke: Record<string, bigint>, tier: Tier = 'jit'): Booted {
  return boot(image, 'fixtures/vmlinux', { cpus, seed: 1, pokeSymbols: poke, tier }, () => undefined);
}

/** The single-CPU workload to the end with `tracer` on every function from boot, under `tier`; `start` is called just before the timed run. */
function tracedRun(tracer: 'nop' | 'function' | 'function_graph', poke: Record<string, bigint>, tier: Tier = 'jit', start: () => void = () => {}): TracedRun {
  const b = bootKernel(1, poke, tier);
  const ft = b.ftrace!;
  let err = '';
  const tr = startBootTracing(b.kernel, ft.core, ft.arch, { tracer }, (e, what) => { if (e) err = what; });
  start();
  const t0 = process.hrtime.bigint();
  const o = b.kernel.run(1e12);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (o.reason !== 'halted' || err) throw new Error(`bench: ${tracer} run ended ${o.reason} ${err} ${o.error ?? o.violation?.summary ?? ''}`);
  const instructions = b.machine.cpus[0].retired;
  const tracedCalls = tracer === 'function' ? tr.buffer.written(0)
    : tracer === 'function_graph' ? ft.arch.fgraph(ft.core).stats.entries : 0;
  return { tracer, instructions, seconds, instructionsPerSecond: Math.round(instructions / seconds), tracedCalls };
}

/** Run a live ftrace call as a tracefs write does (runKernelCall: a writer task on CPU 0 while every CPU runs); host seconds and steps it took. */
function live(b: Booted, call: FtraceCall<number>): { seconds: number; steps: number } {
  const k = b.kernel;
  const s0 = k.steps;
  const t0 = process.hrtime.bigint();
  const r = runKernelCall({ b, run: (n) => k.run(k.steps + n) }, call);
  if (r !== 0) throw new Error(`bench: the live update failed or did not finish: ${r}`);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, steps: k.steps - s0 };
}

/** Enable and disable `function` on every site while 4 CPUs run, several times; host time per site patched. */
function livePatching(rounds: number): Record<string, number> {
  const b = bootKernel(4, { smp_workload_iterations: 1_000_000n });
  const k = b.kernel;
  while (!k.cpus.every((c) => !c.halted)) k.run(k.steps + 100_000);
  const tr = new TraceArray(k, b.ftrace!.core, b.ftrace!.arch);
  const arch = b.ftrace!.arch;
  let seconds = 0;
  let steps = 0;
  const sites0 = arch.stats.sitesPatched;
  for (let i = 0; i < rounds; i++) {
    for (const t of ['function', 'nop']) {
      const r = live(b, tr.setTracer(t));
      seconds += r.seconds;
      steps += r.steps;
    }
  }
  const sites = arch.stats.sitesPatched - sites0;
  return {
    rounds, sitesPatched: sites, hostSeconds: round(seconds, 3),
    sitesPerSecond: Math.round(sites / seconds),
    // the machine keeps running while the batch waits for its syncs: steps of all CPUs per switch
    guestStepsPerSwitch: Math.round(steps / (2 * rounds)),
  };
}

/**
 * The protocol's own host cost, the machine not running: every site made a call and back with
 * text_poke_bp batches (host threads stepped to completion on an idle CPU) against plain checked
 * writes (ftrace_make_call / ftrace_make_nop, as at boot).
 */
function protocolCost(rounds: number): Record<string, number> {
  // plain writes
  const plain = bootKernel(1, {});
  const pf = plain.ftrace!;
  const recs = [...pf.core.allRecords()].filter((r) => !r.failed);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    for (const rec of recs) if (pf.arch.ftraceMakeCall(rec, pf.arch.ftraceCaller)) throw new Error('bench: make_call failed');
    for (const rec of recs) if (pf.arch.ftraceMakeNop(null, rec, pf.arch.ftraceCaller)) throw new Error('bench: make_nop failed');
  }
  const plainSec = Number(process.hrtime.bigint() - t0) / 1e9;
  // text_poke_bp batches on a one-CPU machine: the writer's syncs have no other CPU to wait for
  const bp = bootKernel(1, {});
  const bf = bp.ftrace!;
  const brecs = [...bf.core.allRecords()].filter((r) => !r.failed);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    for (const [from, to] of [[null, bf.arch.ftraceCaller], [bf.arch.ftraceCaller, null]] as const) {
      const t = bf.arch.replaceCode(brecs.map((rec) => ({ rec, from, to })));
      let r = t.next();
      while (!r.done) r = t.next();
      if (r.value !== null) throw new Error(`bench: text_poke_bp batch failed: ${r.value.err}`);
    }
  }
  const bpSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const n = 2 * rounds * recs.length;
  return {
    sites: recs.length, rounds,
    plainWriteSitesPerSecond: Math.round(n / plainSec),
    textPokeBpSitesPerSecond: Math.round(n / bpSec),
    textPokeBpCostVsPlain: round(bpSec / plainSec, 2),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** `trace` text formatted per second: the whole buffer of a traced single-CPU run, formatted a few times. */
function traceFormatting(poke: Record<string, bigint>): Record<string, number> {
  const b = bootKernel(1, poke);
  const ft = b.ftrace!;
  const tr = startBootTracing(b.kernel, ft.core, ft.arch, { tracer: 'function', sizeKb: 1 << 15 });
  b.kernel.run(1e12);
  let lines = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 3; i++) lines += tr.traceText().split('\n').length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { lines: lines / 3, linesPerSecond: Math.round(lines / seconds) };
}

/**
 * tracefs: `echo '*' > set_ftrace_filter` while the function tracer runs on one function, on 4 busy
 * CPUs (a full-batch patch of every site through the file's release), and back to one function.
 */
function fullFilterWrite(): Record<string, number> {
  const b = bootKernel(4, { smp_workload_iterations: 1_000_000n });
  const k = b.kernel;
  while (!k.cpus.every((c) => !c.halted)) k.run(k.steps + 100_000);
  const tr = new TraceArray(k, b.ftrace!.core, b.ftrace!.arch);
  const fs = buildTracefs({ b, run: (n) => k.run(k.steps + n) }, tr);
  const must = (r: number): void => { if (r !== 0) throw new Error(`bench: tracefs write failed: ${r}`); };
  must(fs.write('set_ftrace_filter', 'vfs_read\n'));
  must(fs.write('current_tracer', 'function\n'));
  const sites0 = b.ftrace!.arch.stats.sitesPatched;
  const s0 = k.steps;
  const t0 = process.hrtime.bigint();
  must(fs.write('set_ftrace_filter', '*\n'));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const sites = b.ftrace!.arch.stats.sitesPatched - sites0;
  return { sitesPatched: sites, hostSeconds: round(seconds, 3), guestSteps: k.steps - s0 };
}

/** All ftrace figures, for bench/run.ts. */
export function ftraceBench(iterations: number): Record<string, unknown> {
  const poke = { workload_iterations: BigInt(iterations), smp_workload_iterations: 0n };
  tracedRun('function', { workload_iterations: 50n, smp_workload_iterations: 0n }, 'interp'); // warm up V8
  const off = tracedRun('nop', poke);
  // the function tracer on every function under both tiers, in this process (its figures without a tier prefix: the tiered run)
  const fnInterp = tracedRun('function', poke, 'interp');
  const fnTiered = timedUnder('jit', (t, start) => tracedRun('function', poke, t, start));
  const { jit: _j, ...fn } = fnTiered;
  const graph = tracedRun('function_graph', poke);
  const per = (r: TracedRun): number => round((r.instructions - off.instructions) / r.tracedCalls, 1);
  return {
    workloadIterations: iterations,
    tracingOff: off,
    // instructionsPerSecondVsOff: simulator speed with the tracer on (1.0 = unchanged);
    // wallTimeVsOff: how much longer the same workload takes to finish
    function: { ...fn, ...tierFigures(fnInterp, fnTiered, 'ftrace.function'), guestInstructionsPerTracedCall: per(fn), instructionsPerSecondVsOff: round(fn.instructionsPerSecond / off.instructionsPerSecond, 3), wallTimeVsOff: round(fn.seconds / off.seconds, 2) },
    functionGraph: { ...graph, guestInstructionsPerTracedCall: per(graph), instructionsPerSecondVsOff: round(graph.instructionsPerSecond / off.instructionsPerSecond, 3), wallTimeVsOff: round(graph.seconds / off.seconds, 2) },
    liveEnableDisableOn4Cpus: livePatching(5),
    protocolHostCost: protocolCost(20),
    traceFormatting: traceFormatting(poke),
    tracefsFilterEveryFunctionOn4Cpus: fullFilterWrite(),
  };
}
