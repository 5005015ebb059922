// Parallel exploration on worker threads: each worker boots its own machine and takes a deterministic share of the runs (a sub-shard of this shard); their summaries merge into one.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { explore, plannedRuns, type CheckSummary, type ExploreOptions } from './check.js';
import type { CheckConfig } from './engine.js';
import { mergeShards } from './merge.js';
import type { Shard } from './strategy.js';
import { CheckInputError } from './mutants.js';
import { ElfError } from '../loader/elf.js';
import { BootError } from '../runner.js';

interface WorkerJob {
  cfg: CheckConfig;
  o: Omit<ExploreOptions, 'onRun'>;
  /** Int32Array over it: [0] set to 1 once some worker found a violation (the others stop). */
  stop: SharedArrayBuffer;
}

type WorkerMessage =
  | { type: 'run'; done: number; violations: number }
  | { type: 'done'; summary: CheckSummary }
  | { type: 'error'; message: string; input: boolean };

/** Sub-shard `w` of `workers` within `shard`: the runs of worker w of shard I/N are shard I + N*w of N*workers. */
export function subShard(shard: Shard, w: number, workers: number): Shard {
  return { index: shard.index + shard.count * w, count: shard.count * workers };
}

/**
 * Explore on `workers` threads (1: in this thread). `onRun` gets the runs done and violations found
 * over all workers. The result is the summary of this shard, as one thread would give it.
 */
export async function exploreParallel(cfg: CheckConfig, o: ExploreOptions, workers: number): Promise<CheckSummary> {
  if (workers <= 1) return explore(cfg, o);
  const stop = new SharedArrayBuffer(4);
  const done = new Array<number>(workers).fill(0);
  const viol = new Array<number>(workers).fill(0);
  const total = plannedRuns(o);
  const parts = await Promise.all([...Array(workers).keys()].map((w) => new Promise<CheckSummary>((resolve, reject) => {
    const { onRun: _r, ...plain } = o;
    const job: WorkerJob = { cfg, o: { ...plain, shard: subShard(o.shard, w, workers) }, stop };
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'run') {
        done[w] = m.done;
        viol[w] = m.violations;
        o.onRun?.(done.reduce((a, b) => a + b, 0), total, viol.reduce((a, b) => a + b, 0));
      } else if (m.type === 'done') resolve(m.summary);
      else reject(m.input ? new CheckInputError(m.message) : new Error(m.message));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => { if (code !== 0) reject(new Error(`explorer worker ${w} exited with code ${code}`)); });
  })));
  // the workers' shares are sub-shards of one shard: merge them as shards of a count of `workers`
  const merged = mergeShards(parts.map((s, w) => ({ path: `worker ${w}`, s: { ...s, shard: { index: w, count: workers } } })));
  return { ...merged, shard: o.shard };
}

if (!isMainThread && parentPort !== null && (workerData as { cfg?: unknown } | null)?.cfg !== undefined) {
  const job = workerData as WorkerJob;
  const port = parentPort;
  const flag = new Int32Array(job.stop);
  try {
    const cfg: CheckConfig = { ...job.cfg, kernel: { file: job.cfg.kernel.file, bytes: new Uint8Array(job.cfg.kernel.bytes) } };
    let last = 0;
    const summary = explore(cfg, {
      ...job.o,
      shouldStop: () => Atomics.load(flag, 0) !== 0,
      onRun: (d, _t, v) => {
        if (v > 0 && !job.o.keepGoing) Atomics.store(flag, 0, 1);
        const now = performance.now();
        if (now - last > 100 || v > 0) { last = now; port.postMessage({ type: 'run', done: d, violations: v } satisfies WorkerMessage); }
      },
    });
    port.postMessage({ type: 'done', summary } satisfies WorkerMessage);
  } catch (e) {
    port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e), input: e instanceof CheckInputError || e instanceof ElfError || e instanceof BootError } satisfies WorkerMessage);
  }
}
