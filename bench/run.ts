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

/**
 * The guest figures, tracing off: the single-CPU workload and the 4-CPU one, each under both tiers in this
 * process (the figures without a tier prefix are the tiered run's, booted with tier 'jit').
 */
function guestFigures(iterations: number): { guest: GuestFigure; smp: GuestFigure; single: Record<string, unknown>; four: Record<string, unknown> } {
  // single CPU: only the single-CPU workload (the SMP phase off), as the native build runs it
  const single = { workload_iterations: BigInt(iterations), smp_workload_iterations: 0n };
  // warm up V8 on the interpreter only: the first tiered run below compiles its units itself (the compiler's
  // cache is process-wide, so the later tiered runs reuse what earlier ones compiled: see unitsReused)
  guestRun(1, { workload_iterations: BigInt(Math.max(1, Math.floor(iterations / 10))), smp_workload_iterations: 0n }, 'interp');
  const singleInterp = guestRun(1, single, 'interp');
  const guest = timedUnder('jit', (t, start) => guestRun(1, single, t, start));
  // a second boot in the same process: its units come from the cache (as in the test suite and the explorer's runs)
  const guestAgain = timedUnder('jit', (t, start) => guestRun(1, single, t, start));
  // four CPUs: a short single-CPU phase, then two workers per CPU over the syscalls
  const smpPoke = { workload_iterations: 100n, smp_workload_iterations: BigInt(Number(process.env.FTSIM_BENCH_SMP_ITERATIONS ?? 3000)) };
  const smpInterp = guestRun(4, smpPoke, 'interp');
  const smp = timedUnder('jit', (t, start) => guestRun(4, smpPoke, t, start));
  return {
    guest: withoutJit(guest), smp: withoutJit(smp),
    single: {
      workloadIterations: iterations, ...withoutJit(guest), ...tierFigures(singleInterp, guest, 'singleCpu'),
      secondBoot: secondBoot(tierFigures(singleInterp, guestAgain, 'singleCpu second boot')),
    },
    four: { ...withoutJit(smp), ...tierFigures(smpInterp, smp, 'fourCpus') },
  };
}

async function main(): Promise<void> {
  const iterations = Number(process.env.FTSIM_BENCH_ITERATIONS ?? 20000);
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

await main();
