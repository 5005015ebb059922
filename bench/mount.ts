// Benchmark of `ftsim mount`: `cat trace` throughput through the FUSE mount (MB/s) against reading the same text from the tracefs model in process, and the latency of a small write (`echo 1 > tracing_on`) on a paused and on a running machine.

import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuseUnavailable } from '../src/mount/fuse.js';
import { mountTracefs, type Mounted } from '../src/mount/mount.js';
import { O_RDONLY } from '../src/trace/tracefs/fs.js';

const MB = 1024 * 1024;

function cat(path: string): Promise<number> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const p = spawn('cat', [path], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', rej);
    p.on('exit', (code) => (code === 0 ? res(Number(process.hrtime.bigint() - t0) / 1e9) : rej(new Error(`cat exited ${code}`))));
  });
}

async function mountOne(kernelPath: string, speed: number): Promise<Mounted> {
  const dir = mkdtempSync(join(tmpdir(), 'ftsim-bench-mount-'));
  return mountTracefs({
    dir, image: readFileSync(kernelPath), file: 'fixtures/vmlinux', cpus: 2, seed: 1, modules: [], speed,
    consoleFd: openSync('/dev/null', 'w'), pokeSymbols: speed === 0 ? {} : { smp_workload_loop: 1n }, log: () => {},
  });
}

/** Latencies (ms) of `count` writes of "1\n" to tracing_on (open O_TRUNC, write, close), through the mount. */
async function writeLatency(m: Mounted, count: number): Promise<{ medianMs: number; p99Ms: number; writes: number }> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await writeFile(join(m.dir, 'tracing_on'), '1\n');
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { medianMs: r(ms[Math.floor(ms.length / 2)]), p99Ms: r(ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))]), writes: count };
}

export async function mountBench(kernelPath: string): Promise<Record<string, unknown>> {
  const why = fuseUnavailable();
  if (why !== null) return { skipped: why };
  const paused = await mountOne(kernelPath, 0);
  try {
    // fill the buffer: the function tracer on a paused machine advanced 30 ms, then tracing off
    const fs = paused.fs;
    for (const [f, v] of [['buffer_size_kb', '4096'], ['current_tracer', 'function'], ['ftsim/run', '30ms'], ['tracing_on', '0']]) {
      const e = fs.write(`/${f}`, v + '\n');
      if (e < 0) throw new Error(`bench: writing ${f} failed: ${e}`);
    }
    const text = fs.read('/trace');
    if (typeof text === 'number') throw new Error(`bench: reading trace failed: ${text}`);
    const bytes = text.length;
    // in process: what the mount's server does for cat, without FUSE (open, reads of 128 KiB into a buffer, release)
    let inProcess = Infinity;
    const buf = Buffer.alloc(131072);
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      const f = fs.open('/trace', O_RDONLY);
      if (typeof f === 'number' || f.read === undefined) throw new Error('bench: cannot open trace');
      for (let pos = 0; ;) {
        const r = f.read(pos, buf.length);
        if (typeof r === 'number' || r.length === 0) break;
        buf.set(r);
        pos += r.length;
      }
      f.release?.();
      inProcess = Math.min(inProcess, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    let mounted = Infinity;
    for (let i = 0; i < 3; i++) mounted = Math.min(mounted, await cat(join(paused.dir, 'trace')));
    const r1 = (x: number): number => Math.round(x * 10) / 10;
    const result: Record<string, unknown> = {
      catTrace: {
        bytes,
        throughMountMBps: r1(bytes / MB / mounted),
        inProcessMBps: r1(bytes / MB / inProcess),
        slowdown: r1(mounted / inProcess),
      },
      writeTracingOnPaused: await writeLatency(paused, 200),
    };
    const running = await mountOne(kernelPath, Infinity);
    try {
      result.writeTracingOnRunning = await writeLatency(running, 200);
    } finally {
      await running.unmount();
      rmSync(running.dir, { recursive: true, force: true });
    }
    return result;
  } finally {
    await paused.unmount();
    rmSync(paused.dir, { recursive: true, force: true });
  }
}
