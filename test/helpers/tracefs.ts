// tracefs.ts — test helpers: a booted machine with its tracefs tree over a fresh top-level trace array, and a read that throws on an errno.

import { expect } from 'vitest';
import type { Booted } from '../../src/runner.js';
import { TraceArray } from '../../src/trace/trace_functions.js';
import { buildTracefs, type TracefsContext } from '../../src/trace/tracefs/index.js';
import type { Tracefs } from '../../src/trace/tracefs/fs.js';
import type { KernelSnapshot } from '../../src/kernel/kernel.js';

export interface TracefsMachine { b: Booted; tr: TraceArray; fs: Tracefs; run(steps: number): void }

/** The tracefs tree of `b` over a new trace array; `run` lets the machine go on and fails the test on a violation or fault. */
export function withTracefs(b: Booted, sizeKb = 4096): TracefsMachine {
  const tr = new TraceArray(b.kernel, b.ftrace!.core, b.ftrace!.arch, { sizeKb });
  const ctx: TracefsContext = { b, run: (n) => b.kernel.run(b.kernel.steps + n) };
  const fs = buildTracefs(ctx, tr);
  return {
    b, tr, fs,
    run: (steps) => {
      const o = b.kernel.run(b.kernel.steps + steps);
      expect(o.violation).toBeUndefined();
      expect(o.error).toBeUndefined();
    },
  };
}

/** Read a whole file; an errno fails the test with the path. */
export function readFile(m: { fs: Tracefs }, path: string): string {
  const r = m.fs.read(path);
  if (typeof r === 'number') throw new Error(`read ${path}: ${r}`);
  return r;
}

/** The pieces a tracefs test drives: the machine, a fresh top-level trace array, its context and tree. */
export interface TracefsSetup { b: Booted; tr: TraceArray; ctx: TracefsContext; fs: Tracefs }

/** The tree of a booted machine over a new trace array of the default size (what `ftsim shell` builds, expanded). */
export function tracefsOf(b: Booted): TracefsSetup {
  const ft = b.ftrace!;
  const tr = new TraceArray(b.kernel, ft.core, ft.arch);
  const ctx: TracefsContext = { b, run: (n) => b.kernel.run(b.kernel.steps + n) };
  return { b, tr, ctx, fs: buildTracefs(ctx, tr) };
}

/**
 * Bring `b` to a warm point shared by a test file: the first call runs `steps` steps (and on to a quiescent
 * point) and keeps a snapshot in `cache`; later calls restore it, so each test starts from the same state fast.
 */
export function warmUp(b: Booted, cache: { snap?: KernelSnapshot }, steps: number): void {
  if (cache.snap !== undefined) {
    b.kernel.restore(cache.snap);
    return;
  }
  b.kernel.run(steps);
  while (!b.kernel.quiescent()) b.kernel.run(b.kernel.steps + 1000);
  cache.snap = b.kernel.snapshot();
}
