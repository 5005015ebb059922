// The function tracer from boot against the hardware: the bundled kernel's sources built natively with -pg -mfentry and a native __fentry__ that logs every entered function, compared with `function` tracing of the guest image built from the same sources by the same gcc.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceArray } from '../src/trace/trace_functions.js';
import { canRunNativeX86, hasGcc } from './helpers/gcc.js';
import { ROOT, buildFentryShim, firstDifference, runLogged, sh, traceFromBoot, traceNames } from './helpers/fentry-native.js';

/** Function names the native build entered, in order (the native shim's renames undone, its own helpers dropped). */
function nativeSequence(dir: string): string[] {
  const kernelC = readdirSync(join(ROOT, 'guest/kernel')).filter((f) => f.endsWith('.c')).sort();
  const objs: string[] = [];
  for (const f of kernelC) {
    const o = join(dir, `k_${f}.o`);
    sh('gcc', ['-O2', '-pg', '-mfentry', '-DFTSIM_NATIVE', '-Iguest/include', '-fcf-protection=none', '-fno-pie', '-c', `guest/kernel/${f}`, '-o', o]);
    objs.push(o);
  }
  sh('gcc', ['-O2', '-DFTSIM_NATIVE', '-Iguest/include', '-fno-pie', '-c', 'guest/native/main.c', '-o', join(dir, 'main.o')]);
  const exe = join(dir, 'vmlinux-pg');
  sh('gcc', ['-no-pie', '-o', exe, ...objs, join(dir, 'main.o'), ...buildFentryShim(dir)]);
  return runLogged(exe, ['-', '1'], dir)
    .filter((n) => !n.startsWith('ftsim_'))
    .map((n) => n.replace(/^kernel_/, ''));
}

/** Function names the guest's `function` trace shows, in order, on 1 CPU without timer interrupts. */
function guestSequence(image: Uint8Array): { seq: string[]; tr: TraceArray } {
  const { run, tr, bootErr } = traceFromBoot(image, 'vmlinux', { tracer: 'function', sizeKb: 16384 });
  expect(run.exitReason).toBe('halted');
  expect(bootErr).toBe('');
  return { seq: traceNames(tr).map((n) => n.replace(/^kernel_/, '')), tr };
}

const counts = (s: string[]): [string, number][] => {
  const m = new Map<string, number>();
  for (const n of s) m.set(n, (m.get(n) ?? 0) + 1);
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
};

describe.skipIf(!hasGcc() || !canRunNativeX86())('function tracer vs a native -pg -mfentry build (needs gcc on x86-64 Linux)', () => {
  it('the guest trace of the bundled kernel on 1 CPU enters the same functions in the same order as the native build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftsim-fentry-'));
    try {
      sh('sh', ['guest/build.sh', '--out', dir]);
      const native = nativeSequence(dir);
      const { seq: guest, tr } = guestSequence(readFileSync(join(dir, 'vmlinux')));
      expect(tr.buffer.stats(0).overrun).toBe(0);
      expect(native.some((n) => n.startsWith('?'))).toBe(false);
      // Identical until the second SMP worker runs: from there the guest switches between tasks at each
      // yield, while the native shim runs each spawned task to completion inside the spawn.
      const second = guest.indexOf('smp_worker_fn', guest.indexOf('smp_worker_fn') + 1);
      const cut = second < 0 ? guest.length : second;
      expect(cut).toBeGreaterThan(50_000);
      expect(firstDifference(native.slice(0, cut), guest.slice(0, cut))?.message).toBeUndefined();
      // and over the whole run, the same calls of the same functions
      expect(guest.length).toBe(native.length);
      expect(counts(guest)).toEqual(counts(native));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
