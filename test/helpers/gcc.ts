// gcc.ts — test helpers that compile C with gcc: guest images (the kernel's tracing flags) and native reference binaries, cached by content.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Flags of a guest build: those the bundled kernel uses, linked as a static image at kernel text. */
export const GUEST_CFLAGS: readonly string[] = [
  '-O2',
  '-pg',
  '-mfentry',
  '-mrecord-mcount',
  '-mcmodel=kernel',
  '-fno-pic',
  '-ffreestanding',
  '-nostdlib',
  '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables',
  '-mno-red-zone',
  '-mgeneral-regs-only',
  '-fcf-protection=none',
  '-static',
  '-no-pie',
  '-Wl,-Ttext=0xffffffff81000000',
  '-Wl,--build-id=none',
  '-Wl,-e,_start',
];

/** Flags of a module build: the kernel's tracing flags, a relocatable object (gcc -c) for the module loader. */
export const MODULE_CFLAGS: readonly string[] = [
  ...GUEST_CFLAGS.filter((f) => !f.startsWith('-Wl,') && f !== '-static' && f !== '-no-pie'),
  '-fno-common',
  '-c',
];

/** Flags of a native reference build of a test/c program. */
export const NATIVE_CFLAGS: readonly string[] = ['-O2', '-DFTSIM_NATIVE', '-fcf-protection=none'];

const here = dirname(fileURLToPath(import.meta.url));

/** The folder holding the C test corpus (test/c). */
export function corpusDir(): string {
  return resolve(here, '..', 'c');
}

/** Absolute paths of every self-contained C test program in test/c, sorted by name. */
export function corpusFiles(): string[] {
  const dir = corpusDir();
  return readdirSync(dir)
    .filter((name) => name.endsWith('.c'))
    .sort()
    .map((name) => join(dir, name));
}

function toolWorks(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

let gccState: boolean | undefined;
/** True when `gcc` is on PATH and runs. */
export function hasGcc(): boolean {
  if (gccState === undefined) gccState = toolWorks('gcc', ['--version']);
  return gccState;
}

let objdumpState: boolean | undefined;
/** True when binutils' `objdump` is on PATH and runs. */
export function hasObjdump(): boolean {
  if (objdumpState === undefined) objdumpState = toolWorks('objdump', ['--version']);
  return objdumpState;
}

/** Native reference runs need an x86-64 Linux host: the programs use x86 inline assembly. */
export function canRunNativeX86(): boolean {
  return process.arch === 'x64' && process.platform === 'linux';
}

let cpuFlagsCache: Set<string> | undefined;
/** The host CPU's feature flags from /proc/cpuinfo (empty where that file does not exist). */
export function hostCpuFlags(): Set<string> {
  if (cpuFlagsCache === undefined) {
    cpuFlagsCache = new Set<string>();
    try {
      const text = readFileSync('/proc/cpuinfo', 'latin1');
      const line = text.split('\n').find((l) => l.startsWith('flags'));
      if (line !== undefined) {
        for (const flag of line.slice(line.indexOf(':') + 1).trim().split(/\s+/)) cpuFlagsCache.add(flag);
      }
    } catch {
      // no /proc/cpuinfo: no flags known
    }
  }
  return cpuFlagsCache;
}

/**
 * Defines to pass to BOTH builds of a program so they agree on which optional
 * instructions are tested: without popcnt/lzcnt/tzcnt on the host, those tests are
 * compiled out of the native and the guest build alike.
 */
export function cpuFeatureDefines(): string[] {
  const flags = hostCpuFlags();
  const hasAbm = flags.has('popcnt') && flags.has('abm') && flags.has('bmi1');
  return hasAbm ? [] : ['-DFTSIM_NO_ABM'];
}

let gccVersionCache: string | undefined;
function gccVersion(): string {
  if (gccVersionCache === undefined) {
    const r = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
    gccVersionCache = r.status === 0 ? (r.stdout.split('\n')[0] ?? '') : 'unknown';
  }
  return gccVersionCache;
}

/** Where compiled binaries are kept between runs, keyed by a hash of sources, headers and flags. */
export function cacheDir(): string {
  const dir = join(tmpdir(), 'ftsim-gcc-cache');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Headers next to the sources: they are part of what a build depends on. */
function headersBeside(srcFiles: readonly string[]): string[] {
  const dirs = [...new Set(srcFiles.map((f) => dirname(resolve(f))))].sort();
  const headers: string[] = [];
  for (const dir of dirs) {
    for (const name of readdirSync(dir).sort()) if (name.endsWith('.h')) headers.push(join(dir, name));
  }
  return headers;
}

function buildKey(kind: string, srcFiles: readonly string[], flags: readonly string[]): string {
  const h = createHash('sha256');
  h.update(`${kind}\0${gccVersion()}\0${flags.join('\0')}\0`);
  for (const file of srcFiles) {
    h.update(`src\0${file.split(/[\\/]/).pop() ?? file}\0`);
    h.update(readFileSync(file));
  }
  for (const file of headersBeside(srcFiles)) {
    h.update(`hdr\0${file.split(/[\\/]/).pop() ?? file}\0`);
    h.update(readFileSync(file));
  }
  return h.digest('hex').slice(0, 32);
}

function compile(kind: string, srcFiles: readonly string[], outPath: string, flags: readonly string[]): string {
  if (srcFiles.length === 0) throw new Error(`gcc (${kind}): no source files given for ${outPath}`);
  for (const f of srcFiles) {
    if (!existsSync(f)) throw new Error(`gcc (${kind}): source file ${f} does not exist`);
  }
  const cached = join(cacheDir(), `${kind}-${buildKey(kind, srcFiles, flags)}.bin`);
  if (!existsSync(cached)) {
    // Build beside the cache entry and rename into place, so concurrent test workers
    // never see a half-written file.
    const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const r = spawnSync('gcc', [...flags, '-o', tmp, ...srcFiles], { encoding: 'utf8' });
    if (r.error !== undefined || r.status !== 0) {
      rmSync(tmp, { force: true });
      const why = r.error !== undefined ? r.error.message : r.stderr.trim();
      throw new Error(`gcc (${kind}) failed for ${srcFiles.join(' ')}:\n${why}`);
    }
    renameSync(tmp, cached);
  }
  mkdirSync(dirname(resolve(outPath)), { recursive: true });
  copyFileSync(cached, outPath);
  return outPath;
}

/**
 * Builds a static guest image from C sources with the kernel's tracing flags (every
 * traced function starts with `call __fentry__`). Returns outPath.
 */
export function buildGuest(srcFiles: string[], outPath: string, extraFlags: string[] = []): string {
  return compile('guest', srcFiles, outPath, [...GUEST_CFLAGS, ...extraFlags]);
}

/** Builds a loadable module (a relocatable object) from one C source. Returns outPath. */
export function buildModule(srcFile: string, outPath: string, extraFlags: string[] = []): string {
  return compile('module', [srcFile], outPath, [...MODULE_CFLAGS, ...extraFlags]);
}

/** Builds a native reference binary (-DFTSIM_NATIVE: output on stdout). Returns outPath. */
export function buildNative(srcFiles: string[], outPath: string, extraFlags: string[] = []): string {
  return compile('native', srcFiles, outPath, [...NATIVE_CFLAGS, ...extraFlags]);
}

/** Runs a native binary and returns its stdout (latin1); throws with stderr on failure. */
export function runNative(path: string, timeoutMs = 60_000): string {
  const r = spawnSync(path, [], { encoding: 'latin1', maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs });
  if (r.error !== undefined) throw new Error(`running ${path} failed: ${r.error.message}`);
  if (r.status !== 0) {
    const how = r.status === null ? `signal ${r.signal ?? '?'}` : `exit status ${r.status}`;
    throw new Error(`${path} ended with ${how}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** `objdump -d` of a file (AT&T syntax, as objdump prints by default). */
export function objdump(path: string, extraArgs: string[] = []): string {
  const r = spawnSync('objdump', ['-d', ...extraArgs, path], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`objdump -d ${path} failed: ${r.error !== undefined ? r.error.message : r.stderr.trim()}`);
  }
  return r.stdout;
}
