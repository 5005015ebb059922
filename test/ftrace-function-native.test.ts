// The function tracer from boot against the hardware: the bundled kernel's sources built natively with -pg -mfentry and a native __fentry__ that logs every entered function, compared with `function` tracing of the guest image built from the same sources by the same gcc.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootAndRun } from '../src/runner.js';
import { startBootTracing, type TraceArray } from '../src/trace/trace_functions.js';
import { canRunNativeX86, hasGcc } from './helpers/gcc.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A native __fentry__: saves the argument registers, logs the site (return address - 5), returns. */
const FENTRY_S = `
	.text
	.globl __fentry__
__fentry__:
	push %rdi; push %rsi; push %rdx; push %rcx; push %rax; push %r8; push %r9; push %r10; push %r11
	mov 72(%rsp), %rdi
	sub $5, %rdi
	mov %rsp, %rax
	and $-16, %rsp
	push %rax
	push %rax
	call fentry_log
	pop %rax
	mov %rax, %rsp
	pop %r11; pop %r10; pop %r9; pop %r8; pop %rax; pop %rcx; pop %rdx; pop %rsi; pop %rdi
	ret
	.section .note.GNU-stack,"",@progbits
`;
const LOG_C = `
#include <stdio.h>
#include <stdlib.h>
static FILE *f;
void fentry_log(unsigned long ip)
{
	if (!f) f = fopen(getenv("FENTRY_LOG"), "w");
	fprintf(f, "%lx\\n", ip);
}
`;

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Function names the native build entered, in order (the native shim's renames undone, its own helpers dropped). */
function nativeSequence(dir: string): string[] {
  const kernelC = readdirSync(join(ROOT, 'guest/kernel')).filter((f) => f.endsWith('.c')).sort();
  const objs: string[] = [];
  for (const f of kernelC) {
    const o = join(dir, `k_${f}.o`);
    sh('gcc', ['-O2', '-pg', '-mfentry', '-DFTSIM_NATIVE', '-Iguest/include', '-fcf-protection=none', '-fno-pie', '-c', `guest/kernel/${f}`, '-o', o]);
    objs.push(o);
  }
  writeFileSync(join(dir, 'fentry.S'), FENTRY_S);
  writeFileSync(join(dir, 'log.c'), LOG_C);
  sh('gcc', ['-O2', '-DFTSIM_NATIVE', '-Iguest/include', '-fno-pie', '-c', 'guest/native/main.c', '-o', join(dir, 'main.o')]);
  sh('gcc', ['-O2', '-fno-pie', '-c', join(dir, 'log.c'), '-o', join(dir, 'log.o')]);
  sh('gcc', ['-c', join(dir, 'fentry.S'), '-o', join(dir, 'fentry.o')]);
  const exe = join(dir, 'vmlinux-pg');
  sh('gcc', ['-no-pie', '-o', exe, ...objs, join(dir, 'main.o'), join(dir, 'log.o'), join(dir, 'fentry.o')]);
  const log = join(dir, 'fentry.log');
  sh(exe, ['-', '1'], { env: { ...process.env, FENTRY_LOG: log } });
  const names = new Map<number, string>();
  for (const line of sh('nm', [exe]).split('\n')) {
    const m = /^([0-9a-f]+) [tT] (\S+)$/.exec(line);
    if (m) names.set(parseInt(m[1], 16), m[2]);
  }
  return readFileSync(log, 'utf8').trim().split('\n')
    .map((l) => names.get(parseInt(l, 16)) ?? `?${l}`)
    .filter((n) => !n.startsWith('ftsim_'))
    .map((n) => n.replace(/^kernel_/, ''));
}

/** Function names the guest's `function` trace shows, in order, on 1 CPU without timer interrupts. */
function guestSequence(image: Uint8Array): { seq: string[]; tr: TraceArray } {
  let tr: TraceArray | undefined;
  let bootErr = 0;
  const r = bootAndRun(image, 'vmlinux', {
    cpus: 1, timerHz: 0,
    onBoot: (b) => { tr = startBootTracing(b.kernel, b.ftrace!.core, b.ftrace!.arch, { tracer: 'function', sizeKb: 16384 }, (e) => { bootErr = e; }); },
  });
  expect(r.exitReason).toBe('halted');
  expect(bootErr).toBe(0);
  const seq = tr!.traceText().split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.slice(l.indexOf(': ') + 2).split(' <-')[0].replace(/^kernel_/, ''));
  return { seq, tr: tr! };
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
      expect(guest.slice(0, cut)).toEqual(native.slice(0, cut));
      // and over the whole run, the same calls of the same functions
      expect(guest.length).toBe(native.length);
      expect(counts(guest)).toEqual(counts(native));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
