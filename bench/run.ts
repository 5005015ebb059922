// Benchmarks: guest instructions per second on the bundled kernel's workload, and the slowdown against native.

import { readFileSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kernelPath = join(root, 'fixtures', 'vmlinux');

interface GuestFigure {
  iterations: number;
  instructions: number;
  seconds: number;
  instructionsPerSecond: number;
}

/** Run the bundled kernel's workload on one CPU with tracing off; time only the run, not the boot. */
function guestRun(iterations: number): GuestFigure {
  const image = readFileSync(kernelPath);
  const { machine } = boot(image, 'fixtures/vmlinux', { cpus: 1, pokeSymbols: { workload_iterations: BigInt(iterations) } }, () => undefined);
  const cpu = machine.cpus[0];
  const t0 = process.hrtime.bigint();
  while (!cpu.halted) cpu.run(1_000_000);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (cpu.fault) throw new Error(`bench: guest faulted: ${cpu.fault.detail}`);
  return { iterations, instructions: cpu.cycles, seconds, instructionsPerSecond: Math.round(cpu.cycles / seconds) };
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
      const r = spawnSync(exe, [String(iterations)], { encoding: 'latin1', maxBuffer: 1 << 26 });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.status !== 0) return { skipped: `native run failed with status ${r.status}` };
      best = Math.min(best, s);
    }
    return { iterations, seconds: best };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const iterations = Number(process.env.FTSIM_BENCH_ITERATIONS ?? 20000);
  guestRun(Math.max(1, Math.floor(iterations / 10))); // warm up the JIT
  const guest = guestRun(iterations);
  const nativeIters = iterations * 50;
  const native = nativeRun(nativeIters);
  const result: Record<string, unknown> = {
    benchmark: 'bundled kernel workload, 1 CPU, tracing off',
    node: process.version,
    guest,
  };
  if ('skipped' in native) {
    result.native = native;
  } else {
    const guestPerIter = guest.seconds / guest.iterations;
    const nativePerIter = native.seconds / native.iterations;
    result.native = { ...native, secondsPerIteration: nativePerIter };
    result.slowdown = Math.round((guestPerIter / nativePerIter) * 10) / 10;
  }
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main();
