// fentry-native.ts — test helpers for comparing `function` traces with the hardware: a native logging __fentry__, native and guest function-entry sequences, and their comparison.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootAndRun, type RunResult } from '../../src/runner.js';
import { startBootTracing, type BootTracing, type TraceArray } from '../../src/trace/trace_functions.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
/** The logger the shim calls (built without -pg): one hex site address a line into $FENTRY_LOG. */
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

/** Runs a command; its stdout, or an Error naming the command and its stderr. */
export function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error !== undefined) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Builds the logging __fentry__ shim in `dir`; returns the two objects to link with a -pg -mfentry program. */
export function buildFentryShim(dir: string): string[] {
  writeFileSync(join(dir, 'fentry.S'), FENTRY_S);
  writeFileSync(join(dir, 'log.c'), LOG_C);
  sh('gcc', ['-O2', '-fno-pie', '-c', join(dir, 'log.c'), '-o', join(dir, 'log.o')]);
  sh('gcc', ['-c', join(dir, 'fentry.S'), '-o', join(dir, 'fentry.o')]);
  return [join(dir, 'log.o'), join(dir, 'fentry.o')];
}

function nmText(file: string): [number, string][] {
  const out: [number, string][] = [];
  for (const line of sh('nm', [file]).split('\n')) {
    const m = /^([0-9a-f]+) [tT] (\S+)$/.exec(line);
    if (m) out.push([parseInt(m[1], 16), m[2]]);
  }
  return out;
}

/** Text symbols of a linked executable by address (nm). */
export function textSymbols(exe: string): Map<number, string> {
  return new Map(nmText(exe));
}

/** Names of the text symbols of an object (nm; in an object several sections' symbols share an address). */
export function textSymbolNames(file: string): Set<string> {
  return new Set(nmText(file).map(([, n]) => n));
}

/**
 * Runs a native executable linked with the shim; the names of the functions it entered, in order
 * (an address nm does not name comes back as `?addr`).
 */
export function runLogged(exe: string, args: string[], dir: string): string[] {
  const log = join(dir, 'fentry.log');
  writeFileSync(log, '');
  sh(exe, args, { env: { ...process.env, FENTRY_LOG: log } });
  const names = textSymbols(exe);
  const text = readFileSync(log, 'utf8').trim();
  return text === '' ? [] : text.split('\n').map((l) => names.get(parseInt(l, 16)) ?? `?${l}`);
}

/** Function names in a `function` trace's text, in order (headers skipped, the `<-parent` dropped). */
export function traceNames(tr: TraceArray): string[] {
  return tr.traceText().split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.slice(l.indexOf(': ') + 2).split(' <-')[0]);
}

/** Boots an image on 1 CPU without timer interrupts, tracing from boot as `bt` asks; the run and the trace. */
export function traceFromBoot(image: Uint8Array, file: string, bt: BootTracing): { run: RunResult; tr: TraceArray; bootErr: string } {
  let tr: TraceArray | undefined;
  let bootErr = '';
  const run = bootAndRun(image, file, {
    cpus: 1, timerHz: 0,
    onBoot: (b) => {
      if (b.ftrace === undefined) throw new Error(`${file}: no dynamic ftrace (no __mcount_loc)`);
      tr = startBootTracing(b.kernel, b.ftrace.core, b.ftrace.arch, bt, (e, what) => { if (e) bootErr = `${what}: ${e}`; });
    },
  });
  if (tr === undefined) throw new Error(`${file}: the boot did not reach onBoot`);
  return { run, tr, bootErr };
}

/**
 * Compares two function-entry sequences element by element. Undefined when equal; else the first
 * differing index (or where the shorter one ends) with a few entries of context on both sides.
 */
export function firstDifference(want: readonly string[], got: readonly string[], names: [string, string] = ['native', 'guest'], context = 4): { index: number; message: string } | undefined {
  const n = Math.min(want.length, got.length);
  let i = 0;
  while (i < n && want[i] === got[i]) i++;
  if (i === n && want.length === got.length) return undefined;
  const from = Math.max(0, i - context);
  const show = (s: readonly string[]): string =>
    s.slice(from, i + context + 1).map((x, k) => (from + k === i ? `[${x}]` : x)).join(' ') || '(empty)';
  const message = `sequences differ at index ${i} (lengths ${names[0]} ${want.length}, ${names[1]} ${got.length}); from index ${from}:\n`
    + `  ${names[0]}: ${show(want)}${i >= want.length ? ' [end]' : ''}\n`
    + `  ${names[1]}: ${show(got)}${i >= got.length ? ' [end]' : ''}`;
  return { index: i, message };
}
