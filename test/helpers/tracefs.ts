// tracefs.ts — test helpers: a booted machine with its tracefs tree over a fresh top-level trace array, and a read that throws on an errno.

import { expect } from 'vitest';
import type { Booted } from '../../src/runner.js';
import { TraceArray } from '../../src/trace/trace_functions.js';
import { buildTracefs, type TracefsContext } from '../../src/trace/tracefs/index.js';
import type { Tracefs } from '../../src/trace/tracefs/fs.js';

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
