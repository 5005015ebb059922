// guest-build.test.ts: the bundled kernel (fixtures/vmlinux) matches its sources, is built with the
// tracing layout ftrace expects, and boots on the interpreter to the native build's console output.
//
// fixtures/vmlinux.console is the native build's output for 4 CPUs (`vmlinux-native - 4`), the CPU
// count `npm start` runs; the guest prints exactly that on 4 CPUs whatever the seed.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootAndRun } from '../src/runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const imagePath = join(root, 'fixtures', 'vmlinux');
const consolePath = join(root, 'fixtures', 'vmlinux.console');

const image = new Uint8Array(readFileSync(imagePath));
const expectedConsole = readFileSync(consolePath, 'latin1');

// ---------------------------------------------------------------- a minimal ELF64 reader

interface Section { name: string; type: number; addr: bigint; offset: number; size: number; link: number }
interface ElfSymbol { name: string; value: bigint; size: number; type: number; shndx: number }

function cString(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return Buffer.from(bytes.subarray(at, end)).toString('latin1');
}

function readSections(elf: Uint8Array): Section[] {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      nameOff: dv.getUint32(o, true),
      type: dv.getUint32(o + 4, true),
      addr: dv.getBigUint64(o + 16, true),
      offset: Number(dv.getBigUint64(o + 24, true)),
      size: Number(dv.getBigUint64(o + 32, true)),
      link: dv.getUint32(o + 40, true),
    });
  }
  const strOff = raw[shstrndx].offset;
  return raw.map((s) => ({ name: cString(elf, strOff + s.nameOff), type: s.type, addr: s.addr, offset: s.offset, size: s.size, link: s.link }));
}

function readSymbols(elf: Uint8Array, sections: Section[]): ElfSymbol[] {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const symtab = sections.find((s) => s.name === '.symtab');
  if (!symtab) throw new Error('fixtures/vmlinux has no .symtab');
  const strtab = sections[symtab.link];
  const out: ElfSymbol[] = [];
  for (let o = symtab.offset; o < symtab.offset + symtab.size; o += 24) {
    out.push({
      name: cString(elf, strtab.offset + dv.getUint32(o, true)),
      type: dv.getUint8(o + 4) & 0xf,
      shndx: dv.getUint16(o + 6, true),
      value: dv.getBigUint64(o + 8, true),
      size: Number(dv.getBigUint64(o + 16, true)),
    });
  }
  return out;
}

const STT_FUNC = 2;

/** The CPU count fixtures/vmlinux.console was printed for (guest/build.sh's CONSOLE_CPUS). */
const CONSOLE_CPUS = 4;

// ---------------------------------------------------------------- gcc availability

function run(cmd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'latin1', maxBuffer: 64 << 20 });
  return { ok: r.error === undefined && r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

const gccVersion = run('gcc', ['-dumpfullversion']);
const noGccReason = gccVersion.ok ? undefined : 'gcc is not installed, so guest/ cannot be built here';

/** Why the byte-for-byte rebuild tests cannot run here, or undefined when they can. */
function rebuildSkipReason(): string | undefined {
  if (noGccReason) return noGccReason;
  const banner = /\(gcc version ([^)]+)\)/.exec(expectedConsole);
  const have = gccVersion.stdout.trim();
  if (banner && banner[1] !== have) {
    return `fixtures/vmlinux was built with gcc ${banner[1]}; this machine has gcc ${have}, whose output may differ`;
  }
  return undefined;
}

/** One run of guest/build.sh --out into a temporary directory, shared by the tests below. */
let buildDir: string | undefined;
let buildError = '';
function buildOnce(): string {
  if (buildDir === undefined) {
    buildDir = mkdtempSync(join(tmpdir(), 'ftsim-guest-build-'));
    const r = run('sh', ['guest/build.sh', '--out', buildDir]);
    if (!r.ok) buildError = `guest/build.sh --out failed:\n${r.stderr}`;
  }
  return buildDir;
}

afterAll(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- the tests

describe('bundled kernel image layout (fixtures/vmlinux)', () => {
  const sections = readSections(image);
  const symbols = readSymbols(image, sections);
  const text = sections.find((s) => s.name === '.text')!;
  const byName = new Map(symbols.map((s) => [s.name, s]));

  it('is linked at kernel text with entry startup_64', () => {
    const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
    expect(text.addr).toBe(0xffffffff81000000n);
    expect(dv.getBigUint64(0x18, true)).toBe(byName.get('startup_64')!.value);
  });

  it('records exactly one __mcount_loc site per traced function, each a call to __fentry__', () => {
    const mcount = sections.find((s) => s.name === '__mcount_loc');
    expect(mcount, '__mcount_loc section present').toBeDefined();
    expect(mcount!.size % 8).toBe(0);
    expect(mcount!.addr % 8n).toBe(0n);
    const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
    const fentry = byName.get('__fentry__')!.value;
    const funcStarts = new Map(symbols.filter((s) => s.type === STT_FUNC).map((s) => [s.value, s.name]));
    const sites = new Set<bigint>();
    for (let o = mcount!.offset; o < mcount!.offset + mcount!.size; o += 8) {
      const site = dv.getBigUint64(o, true);
      const at = text.offset + Number(site - text.addr);
      const target = site + 5n + BigInt(dv.getInt32(at + 1, true));
      expect(image[at], `opcode at ${site.toString(16)}`).toBe(0xe8);
      expect(target, `call target at ${site.toString(16)}`).toBe(fentry);
      expect(funcStarts.has(site), `site ${site.toString(16)} starts a function`).toBe(true);
      sites.add(site);
    }
    expect(sites.size).toBe(mcount!.size / 8);
    expect(sites.size).toBeGreaterThan(200);
    const untraced = [...funcStarts].filter(([addr]) => !sites.has(addr)).map(([, name]) => name).sort();
    // The entry code, __fentry__ itself, and the notrace functions (as in the kernel: sched_clock, __schedule).
    expect(untraced).toEqual(['__fentry__', '__schedule.constprop.0', 'sched_clock', 'startup_64']);
  });

  it('has the kernel functions the tracers will be pointed at', () => {
    for (const name of ['start_kernel', 'vfs_read', 'vfs_write', 'do_sys_open', 'ksys_read', 'ksys_write',
      'do_filp_open', 'getname', 'path_lookup', 'schedule', 'tick_handler', 'nmi_handler', 'jhash',
      'full_name_hash', 'kmem_cache_alloc', 'kmem_cache_free', 'list_add', 'list_del', 'do_syscall_64',
      'x64_sys_call', 'printk', 'memcpy', 'memset', 'strcmp', 'strlen']) {
      const sym = byName.get(name);
      expect(sym, name).toBeDefined();
      expect(sym!.type, name).toBe(STT_FUNC);
    }
  });

  it('exposes workload_iterations and smp_workload_iterations as writable 8-byte variables', () => {
    for (const name of ['workload_iterations', 'smp_workload_iterations']) {
      const sym = byName.get(name);
      expect(sym, name).toBeDefined();
      expect(sym!.size, name).toBe(8);
      expect(sections[sym!.shndx].name, name).toBe('.data');
    }
  });
});

describe('bundled kernel rebuild (guest/build.sh)', () => {
  const skipReason = rebuildSkipReason();
  let outDir = '';

  beforeAll(() => {
    if (!skipReason) outDir = buildOnce();
  }, 120_000);

  it('rebuilds fixtures/vmlinux byte for byte', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    expect(buildError).toBe('');
    const rebuilt = new Uint8Array(readFileSync(join(outDir, 'vmlinux')));
    expect(rebuilt.length).toBe(image.length);
    // A first differing offset says more than a byte-array diff.
    const first = rebuilt.findIndex((b, i) => b !== image[i]);
    expect(first, 'first differing byte; run guest/build.sh and commit fixtures/').toBe(-1);
  });

  it(`the native build prints fixtures/vmlinux.console for ${CONSOLE_CPUS} CPUs`, (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    expect(buildError).toBe('');
    const native = join(outDir, 'vmlinux-native');
    expect(existsSync(native)).toBe(true);
    const r = run(native, ['-', String(CONSOLE_CPUS)]);
    expect(r.ok, r.stderr).toBe(true);
    expect(r.stdout).toBe(expectedConsole);
  });

  it('the native build takes workload_iterations from argv', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    expect(buildError).toBe('');
    const r = run(join(outDir, 'vmlinux-native'), ['40']);
    expect(r.ok, r.stderr).toBe(true);
    expect(r.stdout).toMatch(/init: workload finished: 40 steps/);
    expect(r.stdout).toMatch(/reboot: System halted\n$/);
  });
});

describe('booting fixtures/vmlinux on the interpreter', () => {
  for (const seed of [1, 2]) {
    it(`halts on ${CONSOLE_CPUS} CPUs (seed ${seed}) with the console output of the native build`, () => {
      const result = bootAndRun(image, 'fixtures/vmlinux', { cpus: CONSOLE_CPUS, seed });
      if (result.violation) console.error(result.violation);
      expect(result.error).toBeUndefined();
      expect(result.violation).toBeUndefined();
      expect(result.exitReason).toBe('halted');
      expect(result.console).toBe(expectedConsole);
    }, 60_000);
  }

  it('halts on 1 CPU with the console output of the native build run for 1 CPU', (ctx) => {
    const skipReason = rebuildSkipReason();
    if (skipReason) ctx.skip(skipReason);
    const native = join(buildOnce(), 'vmlinux-native');
    expect(buildError).toBe('');
    const expected = run(native, ['-', '1']);
    expect(expected.ok, expected.stderr).toBe(true);
    const result = bootAndRun(image, 'fixtures/vmlinux', { cpus: 1 });
    expect(result.error).toBeUndefined();
    expect(result.exitReason).toBe('halted');
    expect(result.console).toBe(expected.stdout);
  }, 60_000);

  it('runs a poked workload_iterations like the native build given it on the command line', (ctx) => {
    if (noGccReason) ctx.skip(noGccReason);
    const native = join(buildOnce(), 'vmlinux-native');
    expect(buildError).toBe('');
    const expected = run(native, ['25']);
    expect(expected.ok, expected.stderr).toBe(true);
    const result = bootAndRun(image, 'fixtures/vmlinux', { pokeSymbols: { workload_iterations: 25n } });
    expect(result.exitReason).toBe('halted');
    expect(result.console).toBe(expected.stdout);
  }, 30_000);
});
