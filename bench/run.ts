// Benchmarks: guest instructions per second on the bundled kernel's workload (the interpreter alone and tiered), the slowdown against native, the ftrace figures (bench/ftrace.ts), the explorer's (bench/explorer.ts) and the FUSE mount's (bench/mount.ts). `node dist/bench/run.js guest` (or `explorer`, `mount`) runs only those.

import { readFileSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import { ftraceBench } from './ftrace.js';
import { explorerBench } from './explorer.js';
import { mountBench } from './mount.js';
import { tierFigures, timedUnder } from './tiers.js';
import type { Tier } from '../src/machine/tier.js';
import type { JitStats } from '../src/machine/x86/jit.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kernelPath = join(root, 'fixtures', 'vmlinux');

interface GuestFigure {
  cpus: number;
  instructions: number;
  perCpu: number[];
  seconds: number;
  instructionsPerSecond: number;
}

/** Boot the bundled kernel under `tier` and time the whole run (boot excluded), tracing off; `start` is called just before. */
function guestRun(cpus: number, poke: Record<string, bigint>, tier: Tier = 'jit', start: () => void = () => {}): GuestFigure {
  const image = readFileSync(kernelPath);
  const { kernel, machine } = boot(image, 'fixtures/vmlinux', { cpus, seed: 1, pokeSymbols: poke, tier }, () => undefined);
  start();
  const t0 = process.hrtime.bigint();
  const o = kernel.run(1e12);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (o.reason !== 'halted') throw new Error(`bench: the guest did not halt: ${o.reason} ${o.error ?? o.violation?.summary ?? ''}`);
  const perCpu = machine.cpus.map((c) => c.retired);
  const instructions = perCpu.reduce((x, y) => x + y, 0);
  return { cpus, instructions, perCpu, seconds, instructionsPerSecond: Math.round(instructions / seconds) };
}

/** Build the same kernel sources natively and time the same workload. */
function nativeRun(iterations: number): { iterations: number; seconds: number } | { skipped: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ftsim-bench-'));
  try {
    const srcs = [
      ...readdirSync(join(root, 'guest', 'kernel')).filter((f) => f.endsWith('.c')).map((f) => join(root, 'guest', 'kernel', f)),
      ...readdirSync(join(root, 'guest', 'native')).filter((f) => f.endsWith('.c')).map((f) => join(root, 'guest', 'native', f)),
    ];
    const exe = join(dir, 'kernel-native');
    const cc = spawnSync('gcc', ['-O2', '-DFTSIM_NATIVE', '-fno-builtin', '-I', join(root, 'guest', 'include'), ...srcs, '-o', exe], { encoding: 'utf8' });
    if (cc.error || cc.status !== 0) return { skipped: `native build failed: ${cc.error?.message ?? cc.stderr}` };
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
  const r = spawnSync(exe, [String(iterations), '1', '0'], { encoding: 'latin1', maxBuffer: 1 << 26 });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.status !== 0) return { skipped: `native run failed with status ${r.status}` };
      best = Math.min(best, s);
    }
    return { iterations, seconds: best };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The tiered figures of a second boot (units reused from the cache), against the same interpreter run. */
function secondBoot(f: Record<string, unknown>): Record<string, unknown> {
  return { tiered: f.tiered, tieredVsInterpreter: f.tieredVsInterpreter };
}

/** A figure without the compiler's raw counters (tierFigures reports them). */
function withoutJit<T extends { jit: unknown }>(r: T): Omit<T, 'jit'> {
  const { jit: _j, ...rest } = r;
  return rest;
}

/** A first boot's pair: the single-CPU workload under the interpreter, then tiered, its units compiled from nothing. */
interface FirstBoot { interp: GuestFigure; tiered: GuestFigure & { jit: JitStats } }

/**
 * The single-CPU workload in this process, as a fresh process runs it: V8 warmed up on the interpreter
 * only (a short run), the interpreter alone, then tiered, every unit compiled from nothing (the
 * compiler's cache is process-wide: later tiered runs in the process reuse what this one compiled).
 */
function firstBoot(iterations: number): FirstBoot {
  const single = { workload_iterations: BigInt(iterations), smp_workload_iterations: 0n };
  guestRun(1, { workload_iterations: BigInt(Math.max(1, Math.floor(iterations / 10))), smp_workload_iterations: 0n }, 'interp');
  const interp = guestRun(1, single, 'interp');
  const tiered = timedUnder('jit', (t, start) => guestRun(1, single, t, start));
  return { interp, tiered };
}

/**
 * First boots in fresh processes (this script's `first-boot`, with this process's node options), as
 * many as FTSIM_BENCH_FIRST_BOOTS says (5 unless told): a single first boot's ratio moves by ±10% from
 * run to run on this kind of machine; the median one is the figure. Sorted by tieredVsInterpreter.
 */
function firstBootSamples(iterations: number): FirstBoot[] {
  const given = process.env.FTSIM_BENCH_FIRST_BOOTS ?? '5';
  const n = Number(given);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench: FTSIM_BENCH_FIRST_BOOTS must be a whole number of at least 1, not '${given}'`);
  const out: FirstBoot[] = [];
  for (let i = 0; i < n; i++) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'first-boot'], {
      encoding: 'utf8', env: { ...process.env, FTSIM_BENCH_ITERATIONS: String(iterations) }, maxBuffer: 1 << 24,
    });
    if (r.status !== 0) throw new Error(`bench: a first boot failed (status ${r.status}): ${r.stderr}`);
    out.push(JSON.parse(r.stdout) as FirstBoot);
  }
  const ratio = (b: FirstBoot): number => b.tiered.instructionsPerSecond / b.interp.instructionsPerSecond;
  return out.sort((a, b) => ratio(a) - ratio(b));
}

/**
 * The guest figures, tracing off: the single-CPU workload and the 4-CPU one, each under both tiers
 * (the figures without a tier prefix are the tiered run's, booted with tier 'jit'). The single-CPU
 * first boot is the median of firstBootSamples; its second boot, and the 4-CPU workload, run in this process.
 */
function guestFigures(iterations: number): { guest: GuestFigure; smp: GuestFigure; single: Record<string, unknown>; four: Record<string, unknown> } {
  // single CPU: only the single-CPU workload (the SMP phase off), as the native build runs it
  const single = { workload_iterations: BigInt(iterations), smp_workload_iterations: 0n };
  const samples = firstBootSamples(iterations);
  const median = samples[samples.length >> 1];
  // this process's own first boot fills the compiler's cache for the second boot
  const here = firstBoot(iterations);
  const singleInterp = here.interp;
  // a second boot in the same process: its units come from the cache (as in the test suite and the explorer's runs)
  const guestAgain = timedUnder('jit', (t, start) => guestRun(1, single, t, start));
  // four CPUs: a short single-CPU phase, then two workers per CPU over the syscalls
  const smpPoke = { workload_iterations: 100n, smp_workload_iterations: BigInt(Number(process.env.FTSIM_BENCH_SMP_ITERATIONS ?? 3000)) };
  const smpInterp = guestRun(4, smpPoke, 'interp');
  const smp = timedUnder('jit', (t, start) => guestRun(4, smpPoke, t, start));
  const guest = median.tiered;
  const ratios = samples.map((b) => tierFigures(b.interp, b.tiered, 'singleCpu first boot').tieredVsInterpreter);
  return {
    guest: withoutJit(guest), smp: withoutJit(smp),
    single: {
      workloadIterations: iterations, ...withoutJit(guest), ...tierFigures(median.interp, guest, 'singleCpu'),
      firstBoots: { processes: samples.length, tieredVsInterpreter: ratios, which: 'each pair in a fresh process; the figures above are the median one\'s' },
      secondBoot: secondBoot(tierFigures(singleInterp, guestAgain, 'singleCpu second boot')),
    },
    four: { ...withoutJit(smp), ...tierFigures(smpInterp, smp, 'fourCpus') },
  };
}

async function main(): Promise<void> {
  const iterations = Number(process.env.FTSIM_BENCH_ITERATIONS ?? 20000);
  if (process.argv[2] === 'first-boot') {
    // one sample of firstBootSamples (a fresh process)
    process.stdout.write(JSON.stringify(firstBoot(iterations)) + '\n');
    return;
  }
  if (process.argv[2] === 'guest') {
    // the guest figures alone, without the native build, ftrace, the explorer and the mount
    const g = guestFigures(iterations);
    process.stdout.write(JSON.stringify({ node: process.version, singleCpu: g.single, fourCpus: g.four }, null, 2) + '\n');
    return;
  }
  if (process.argv[2] === 'explorer') {
    process.stdout.write(JSON.stringify({ node: process.version, explorer: await explorerBench(kernelPath) }, null, 2) + '\n');
    return;
  }
  if (process.argv[2] === 'mount') {
    process.stdout.write(JSON.stringify({ node: process.version, mount: await mountBench(kernelPath) }, null, 2) + '\n');
    return;
  }
  const { guest, smp, single: singleCpu, four } = guestFigures(iterations);
  const single = { workload_iterations: BigInt(iterations), smp_workload_iterations: 0n };
  // the single-CPU workload again, on a 4-CPU machine: the same instructions, now interleaved by the
  // chooser with three idle CPUs (quanta, idle cycles, the fetch model's checks)
  const same = guestRun(4, single);
  const nativeIters = iterations * 50;
  const native = nativeRun(nativeIters);
  const result: Record<string, unknown> = {
    benchmark: 'bundled kernel, tracing off',
    node: process.version,
    singleCpu,
    sameWorkOnFourCpus: {
      ...same,
      perInstructionCostVsSingleCpu: Math.round((guest.instructionsPerSecond / same.instructionsPerSecond) * 1000) / 1000,
    },
    fourCpus: {
      ...four,
      fetchModel: true,
      // wall time per instruction on 4 CPUs relative to 1 CPU (1.0 = the same; the target is <= 1.15)
      perInstructionCostVsSingleCpu: Math.round((guest.instructionsPerSecond / smp.instructionsPerSecond) * 1000) / 1000,
    },
  };
  if ('skipped' in native) {
    result.native = native;
  } else {
    const guestPerIter = guest.seconds / iterations;
    const nativePerIter = native.seconds / native.iterations;
    result.native = { ...native, secondsPerIteration: nativePerIter };
    result.slowdownVsNative = Math.round((guestPerIter / nativePerIter) * 10) / 10;
  }
  result.ftrace = ftraceBench(Number(process.env.FTSIM_BENCH_FTRACE_ITERATIONS ?? 2000));
  result.explorer = await explorerBench(kernelPath);
  result.mount = await mountBench(kernelPath);
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

try {
  await main();
} catch (e) {
  // the bench's own refusals (a bad setting, a guest that did not halt) are one line, not a stack trace
  if (e instanceof Error && e.message.startsWith('bench: ')) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
