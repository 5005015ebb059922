// tracefs ftrace files on the booted bundled kernel: set_ftrace_filter/notrace (open/write/release, globs, !, indexes, :mod:, O_TRUNC vs append), function commands, introspection files, pid filters, graph filters, and a property test against a model of the kernel's semantics.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, type Booted } from '../src/runner.js';
import { TraceArray } from '../src/trace/trace_functions.js';
import { buildTracefs, runKernelCall, type TracefsContext } from '../src/trace/tracefs/index.js';
import { EINVAL, ENODEV, EPERM, ERANGE, StaticDir, type Tracefs } from '../src/trace/tracefs/fs.js';
import { registerFtraceFiles, funcCommandFired, setFuncCommandHooks } from '../src/trace/tracefs/ftrace_files.js';
import { checkX86Records } from '../src/arch/x86/ftrace.js';
import { filterParseRegex, ftraceMatch } from '../src/ftrace/glob.js';
import { TRACE_FN } from '../src/trace/ring_buffer.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

interface M { b: Booted; tr: TraceArray; fs: Tracefs; ctx: TracefsContext }

function machine(steps = 200_000): M {
  const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
  const tr = new TraceArray(b.kernel, b.ftrace!.core, b.ftrace!.arch);
  const ctx: TracefsContext = { b, run: (n) => b.kernel.run(b.kernel.steps + n) };
  const fs = buildTracefs(ctx, tr);
  if (steps > 0) ctx.run(steps);
  return { b, tr, fs, ctx };
}

const rd = (m: M, f: string): string => m.fs.read(f) as string;
const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);
const names = (m: M): string[] => lines(rd(m, 'available_filter_functions'));

/** Names of the functions in the trace buffer, and the pids that wrote them. */
function traced(m: M): { funcs: Set<string>; pids: Set<number> } {
  const funcs = new Set<string>();
  const pids = new Set<number>();
  const it = m.tr.buffer.iterator();
  const o = m.tr.outputContext();
  for (let e = it.next(); e !== undefined; e = it.next()) {
    if (e.type !== TRACE_FN) continue;
    funcs.add(o.resolve(e.ip, false));
    pids.add(e.pid);
  }
  return { funcs, pids };
}

function startFunctionTracer(m: M): void {
  expect(runKernelCall(m.ctx, m.tr.setTracer('function'))).toBe(0);
}

describe('set_ftrace_filter / set_ftrace_notrace', () => {
  it('reads the empty hashes, and replaces, appends, removes with > >> and !', () => {
    const m = machine();
    expect(rd(m, 'set_ftrace_filter')).toBe('#### all functions enabled ####\n');
    expect(rd(m, 'set_ftrace_notrace')).toBe('#### no functions disabled ####\n');
    expect(m.fs.write('set_ftrace_filter', 'vfs_read\n')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read\n');
    expect(m.fs.write('set_ftrace_filter', 'vfs_write\n', { append: true })).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read\nvfs_write\n');
    expect(m.fs.write('set_ftrace_filter', 'ksys_read\n')).toBe(0); // > replaces
    expect(rd(m, 'set_ftrace_filter')).toBe('ksys_read\n');
    expect(m.fs.write('set_ftrace_filter', 'vfs_* !vfs_write\n', { append: true })).toBe(0);
    const got = lines(rd(m, 'set_ftrace_filter'));
    expect(got).toContain('ksys_read');
    expect(got).toContain('vfs_read');
    expect(got).not.toContain('vfs_write');
    expect(m.fs.write('set_ftrace_filter', '\n')).toBe(0); // echo > clears
    expect(rd(m, 'set_ftrace_filter')).toBe('#### all functions enabled ####\n');
    expect(m.fs.write('set_ftrace_notrace', 'kfree\n')).toBe(0);
    expect(rd(m, 'set_ftrace_notrace')).toBe('kfree\n');
    expect(rd(m, 'set_ftrace_filter')).toBe('#### all functions enabled ####\n');
  });

  it('globs match what a grep of available_filter_functions finds (func-filter-glob.tc)', () => {
    const m = machine();
    const all = names(m);
    for (const g of ['*lock', 'vfs_*', '*spin*lock*', 'kmem*alloc', 'sch?dule', '[kv]fs_*', 'ksys_[rw]*', '*_v2']) {
      expect(m.fs.write('set_ftrace_filter', `${g}\n`), g).toBe(0);
      const p = filterParseRegex(g).glob;
      const want = all.filter((n) => ftraceMatch(n, p));
      expect(want.length, g).toBeGreaterThan(0);
      expect(lines(rd(m, 'set_ftrace_filter')), g).toEqual(want);
    }
  });

  it('a number selects that line of available_filter_functions; out of range is -EINVAL', () => {
    const m = machine();
    const all = names(m);
    expect(m.fs.write('set_ftrace_filter', '1 5\n')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe(`${all[0]}\n${all[4]}\n`);
    expect(m.fs.write('set_ftrace_filter', `${all.length + 1}\n`)).toBe(-EINVAL);
    expect(m.fs.write('set_ftrace_filter', `${all.length}\n`)).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe(`${all[all.length - 1]}\n`);
  });

  it('an unknown name is -EINVAL: with > the filter is left empty, with >> unchanged; words before it stay', () => {
    const m = machine();
    expect(m.fs.write('set_ftrace_filter', 'vfs_read\n')).toBe(0);
    expect(m.fs.write('set_ftrace_filter', 'nosuch\n', { append: true })).toBe(-EINVAL);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read\n');
    expect(m.fs.write('set_ftrace_filter', 'nosuch\n')).toBe(-EINVAL);
    expect(rd(m, 'set_ftrace_filter')).toBe('#### all functions enabled ####\n');
    expect(m.fs.write('set_ftrace_filter', 'vfs_write nosuch vfs_read\n')).toBe(-EINVAL);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_write\n');
    // a last word with no newline is parsed at release, whose error is lost (echo -n nosuch > ...)
    expect(m.fs.write('set_ftrace_filter', 'nosuch', { append: true })).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_write\n');
    expect(m.fs.write('set_ftrace_filter', 'vfs_read', { append: true })).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read\nvfs_write\n');
    // an over-long word
    expect(m.fs.write('set_ftrace_filter', `${'a'.repeat(300)}\n`, { append: true })).toBe(-EINVAL);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read\nvfs_write\n');
  });

  it('a word split across two write() calls is one word; an unknown command is -EINVAL', () => {
    const m = machine();
    const f = m.fs.open('set_ftrace_filter', { read: false, write: true, trunc: true, append: false });
    if (typeof f === 'number') throw new Error('open');
    expect(f.write!(new TextEncoder().encode('vfs_r'))).toBe(5);
    expect(f.write!(new TextEncoder().encode('ead\n'))).toBe(4);
    expect(f.release!()).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read\n');
    expect(m.fs.write('set_ftrace_filter', 'vfs_read:nosuchcmd\n', { append: true })).toBe(-EINVAL);
    expect(m.fs.write('set_ftrace_notrace', 'vfs_read:traceoff\n')).toBe(-EINVAL); // probes only in set_ftrace_filter
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read\n');
  });

  it(':mod: of a module not loaded is cached and listed as written, newest first, with no "all functions" line (FTRACE_HASH_FL_MOD); a blank module name is cached too', () => {
    const m = machine();
    expect(m.fs.write('set_ftrace_filter', ':mod:nosuchmod\n')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe(':mod:nosuchmod\n');
    expect(m.fs.write('set_ftrace_filter', 'foo*:mod:nosuchmod\n', { append: true })).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('foo*:mod:nosuchmod\n:mod:nosuchmod\n');
    expect(m.fs.write('set_ftrace_filter', '!foo*:mod:nosuchmod\n', { append: true })).toBe(0);
    expect(m.fs.write('set_ftrace_filter', '!foo*:mod:nosuchmod\n', { append: true })).toBe(-EINVAL);
    expect(m.fs.write('set_ftrace_filter', 'vfs_read:mod:\n', { append: true })).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read:mod:\n:mod:nosuchmod\n');
    expect(m.fs.write('set_ftrace_filter', '\n')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('#### all functions enabled ####\n');
  });

  it('the live function tracer traces the filter minus notrace; text agrees with the records', () => {
    const m = machine();
    startFunctionTracer(m);
    expect(m.fs.write('set_ftrace_filter', 'vfs_* ksys_*\n')).toBe(0);
    expect(m.fs.write('set_ftrace_notrace', 'vfs_write\n')).toBe(0);
    expect(checkX86Records(m.b.ftrace!.core, m.b.ftrace!.arch)).toEqual([]);
    const en = lines(rd(m, 'enabled_functions')).map((l) => l.split(' ')[0]);
    expect(en).toContain('vfs_read');
    expect(en).not.toContain('vfs_write');
    expect(en.every((n) => n.startsWith('vfs_') || n.startsWith('ksys_'))).toBe(true);
    m.tr.buffer.reset();
    m.ctx.run(600_000);
    const t = traced(m).funcs;
    expect(t.size).toBeGreaterThan(0);
    for (const f of t) expect(f.startsWith('vfs_') || f.startsWith('ksys_'), f).toBe(true);
    expect(t.has('vfs_write')).toBe(false);
    // negative control: with the hashes emptied, other functions are traced again
    expect(m.fs.write('set_ftrace_filter', '\n')).toBe(0);
    expect(m.fs.write('set_ftrace_notrace', '\n')).toBe(0);
    m.tr.buffer.reset();
    m.ctx.run(100_000);
    expect([...traced(m).funcs].some((f) => !f.startsWith('vfs_') && !f.startsWith('ksys_'))).toBe(true);
    expect(checkX86Records(m.b.ftrace!.core, m.b.ftrace!.arch)).toEqual([]);
  });

  it('opening with ftrace disabled is -ENODEV', () => {
    const m = machine();
    m.b.ftrace!.core.ftraceKill('test');
    for (const f of ['set_ftrace_filter', 'set_ftrace_notrace', 'set_graph_function', 'set_graph_notrace']) {
      expect(m.fs.read(f), f).toBe(-ENODEV);
      expect(m.fs.write(f, 'vfs_read\n'), f).toBe(-ENODEV);
    }
  });
});

describe('function commands', () => {
  it('read back as the kernel prints them and are removed with !func:cmd (counted ones with a count)', () => {
    const m = machine();
    expect(m.fs.write('set_ftrace_filter', 'vfs_read:traceoff\n')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('#### all functions enabled ####\nvfs_read:traceoff:unlimited\n');
    expect(m.fs.write('set_ftrace_filter', 'vfs_write:traceoff:3\n')).toBe(0); // > does not clear probes
    expect(m.fs.write('set_ftrace_filter', 'dcache_init:stacktrace:0x2 kmem_cache_init:snapshot:5 ksys_read:traceon\n', { append: true })).toBe(0);
    const got = lines(rd(m, 'set_ftrace_filter'));
    expect(got[0]).toBe('#### all functions enabled ####');
    expect(new Set(got.slice(1))).toEqual(new Set([
      'vfs_read:traceoff:unlimited', 'vfs_write:traceoff:count=3', 'dcache_init:stacktrace:count=2', 'kmem_cache_init:snapshot:count=5', 'ksys_read:traceon:unlimited',
    ]));
    expect(m.fs.write('set_ftrace_filter', 'vfs_read:traceoff\n', { append: true })).toBe(-EINVAL); // nothing added
    expect(m.fs.write('set_ftrace_filter', 'nosuch:traceoff\n', { append: true })).toBe(-EINVAL);
    expect(m.fs.write('set_ftrace_filter', 'vfs_read:traceoff:abc\n', { append: true })).toBe(-EINVAL);
    expect(m.fs.write('set_ftrace_filter', '!vfs_write:traceoff\n', { append: true })).toBe(-EINVAL); // the uncounted probe has no vfs_write
    expect(m.fs.write('set_ftrace_filter', '!vfs_write:traceoff:0\n', { append: true })).toBe(0);
    expect(m.fs.write('set_ftrace_filter', '!vfs_read:traceoff\n', { append: true })).toBe(0);
    expect(m.fs.write('set_ftrace_filter', '!vfs_read:traceoff\n', { append: true })).toBe(-EINVAL);
    expect(m.fs.write('set_ftrace_filter', '!*:stacktrace:0 !kmem_cache_init:snapshot:0 !*:traceon\n', { append: true })).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('#### all functions enabled ####\n');
    // every probe ops is gone: no site calls into ftrace
    expect(rd(m, 'enabled_functions')).toBe('');
    expect(checkX86Records(m.b.ftrace!.core, m.b.ftrace!.arch)).toEqual([]);
  });

  it('traceoff:N turns tracing_on off N times; traceon turns it back; counts read back decremented', () => {
    const m = machine();
    startFunctionTracer(m);
    expect(m.fs.write('set_ftrace_filter', 'vfs_read:traceoff:3\n')).toBe(0);
    expect(m.fs.write('set_ftrace_filter', 'ksys_read:traceon\n', { append: true })).toBe(0);
    expect(checkX86Records(m.b.ftrace!.core, m.b.ftrace!.arch)).toEqual([]);
    for (let i = 0; i < 40 && funcCommandFired(m.tr, 'traceoff:count') < 3; i++) m.ctx.run(100_000);
    expect(funcCommandFired(m.tr, 'traceoff:count')).toBe(3);
    expect(lines(rd(m, 'set_ftrace_filter'))).toContain('vfs_read:traceoff:count=0');
    const ons = funcCommandFired(m.tr, 'traceon');
    expect(ons).toBeGreaterThanOrEqual(2);
    m.ctx.run(500_000);
    expect(funcCommandFired(m.tr, 'traceoff:count')).toBe(3); // spent
    expect(m.tr.tracingOn).toBe(true);
  });

  it('traceoff (unlimited) freezes the buffer once the function is hit', () => {
    const m = machine();
    startFunctionTracer(m);
    expect(m.fs.write('set_ftrace_filter', '*spin_lock*:traceoff\n')).toBe(0);
    for (let i = 0; i < 40 && m.tr.tracingOn; i++) m.ctx.run(50_000);
    expect(m.tr.tracingOn).toBe(false);
    expect(funcCommandFired(m.tr, 'traceoff')).toBe(1);
    const before = m.tr.buffer.totalEntries().written;
    m.ctx.run(300_000);
    expect(m.tr.buffer.totalEntries().written).toBe(before);
  });

  it('stacktrace:N and snapshot fire through the hooks the right number of times', () => {
    const m = machine();
    let stacks = 0;
    let snaps = 0;
    setFuncCommandHooks(m.tr, { stackTrace: () => { stacks++; }, snapshot: () => { snaps++; } });
    expect(m.fs.write('set_ftrace_filter', 'vfs_read:stacktrace:2 vfs_read:snapshot:1\n')).toBe(0);
    for (let i = 0; i < 40 && (stacks < 2 || snaps < 1); i++) m.ctx.run(100_000);
    m.ctx.run(500_000);
    expect(stacks).toBe(2);
    expect(snaps).toBe(1);
    expect(lines(rd(m, 'set_ftrace_filter'))).toEqual(['#### all functions enabled ####', 'vfs_read:snapshot:count=0', 'vfs_read:stacktrace:count=0']);
    setFuncCommandHooks(m.tr, { snapshotAlloc: () => -ENODEV });
    expect(m.fs.write('set_ftrace_filter', 'vfs_write:snapshot\n')).toBe(-ENODEV);
  });
});

describe('introspection files', () => {
  it('available_filter_functions, enabled/touched_functions and dyn_ftrace_total_info formats; read-only', () => {
    const m = machine();
    const core = m.b.ftrace!.core;
    expect(names(m).length).toBe([...core.allRecords()].length);
    expect(rd(m, 'enabled_functions')).toBe('');
    expect(rd(m, 'dyn_ftrace_total_info')).toMatch(/^\d+ pages:\d+ groups: \d+\nftrace boot update time = 0 \(ns\)\nftrace module total update time = 0 \(ns\)\n$/);
    expect(Number(rd(m, 'dyn_ftrace_total_info').split(' ')[0])).toBe(core.updateTotCnt);
    expect(m.fs.write('set_ftrace_filter', 'vfs_read\n')).toBe(0);
    startFunctionTracer(m);
    expect(rd(m, 'enabled_functions')).toMatch(/^vfs_read \(1\) {2}[ RIDOM]*(\ttramp: \S+ \(function_trace_call\))? ->\S+\n$/);
    expect(rd(m, 'touched_functions')).toContain('vfs_read (1)');
    for (const f of ['available_filter_functions', 'enabled_functions', 'touched_functions', 'dyn_ftrace_total_info']) expect(m.fs.write(f, 'x\n'), f).toBe(-EINVAL);
  });
});

describe('set_ftrace_pid / set_ftrace_notrace_pid', () => {
  it('format, O_TRUNC vs append, and errnos', () => {
    const m = machine();
    for (const f of ['set_ftrace_pid', 'set_ftrace_notrace_pid']) {
      expect(rd(m, f)).toBe('no pid\n');
      expect(m.fs.write(f, '7 3\n')).toBe(0);
      expect(rd(m, f)).toBe('3\n7\n');
      expect(m.fs.write(f, '0x10\n', { append: true })).toBe(0);
      expect(rd(m, f)).toBe('3\n7\n16\n');
      expect(m.fs.write(f, 'abc\n', { append: true })).toBe(-EINVAL);
      expect(rd(m, f)).toBe('3\n7\n16\n');
      expect(m.fs.write(f, `${2 ** 30}\n`, { append: true })).toBe(-EPERM);
      expect(rd(m, f)).toBe('3\n7\n16\n');
      expect(m.fs.write(f, '-1\n')).toBe(-EINVAL); // open cleared it
      expect(rd(m, f)).toBe('no pid\n');
      expect(m.fs.write(f, '5\n')).toBe(0);
      // appending nothing keeps the list (trace_pid_write counts the pids it copied); `>` empties it at open
      expect(m.fs.write(f, '\n', { append: true })).toBe(0);
      expect(rd(m, f)).toBe('5\n');
      expect(m.fs.write(f, '\n')).toBe(0);
      expect(rd(m, f)).toBe('no pid\n');
    }
  });

  it('only listed pids are traced; a notrace pid is not; a pid in both is not', () => {
    const m = machine(0);
    m.ctx.run(1_500_000);
    startFunctionTracer(m);
    m.ctx.run(500_000);
    const all = traced(m).pids;
    expect(all.size).toBeGreaterThan(1);
    const pid = [...all].find((p) => p !== 0)!;
    expect(m.fs.write('set_ftrace_pid', `${pid}\n`)).toBe(0);
    m.tr.buffer.reset();
    m.ctx.run(500_000);
    expect([...traced(m).pids]).toEqual([pid]);
    expect(m.fs.write('set_ftrace_pid', '\n')).toBe(0);
    expect(m.fs.write('set_ftrace_notrace_pid', `${pid}\n`)).toBe(0);
    m.tr.buffer.reset();
    m.ctx.run(500_000);
    const p2 = traced(m).pids;
    expect(p2.size).toBeGreaterThan(0);
    expect(p2.has(pid)).toBe(false);
    expect(m.fs.write('set_ftrace_pid', `${pid}\n`)).toBe(0);
    m.tr.buffer.reset();
    m.ctx.run(300_000);
    expect(traced(m).pids.size).toBe(0);
  });
});

describe('graph filters', () => {
  it('set_graph_function / set_graph_notrace / max_graph_depth formats and errnos', () => {
    const m = machine();
    expect(rd(m, 'set_graph_function')).toBe('#### all functions enabled ####\n');
    expect(rd(m, 'set_graph_notrace')).toBe('#### no functions disabled ####\n');
    expect(m.fs.write('set_graph_function', 'vfs_read\n')).toBe(0);
    expect(m.fs.write('set_graph_function', 'vfs_write\n', { append: true })).toBe(0);
    expect(rd(m, 'set_graph_function')).toBe('vfs_read\nvfs_write\n');
    expect(m.fs.write('set_graph_function', 'nosuch\n', { append: true })).toBe(-EINVAL);
    expect(rd(m, 'set_graph_function')).toBe('vfs_read\nvfs_write\n');
    expect(m.fs.write('set_graph_function', 'nosuch\n')).toBe(-EINVAL);
    expect(rd(m, 'set_graph_function')).toBe('#### all functions enabled ####\n');
    expect(m.fs.write('set_graph_notrace', 'kfree\n')).toBe(0);
    expect(rd(m, 'set_graph_notrace')).toBe('kfree\n');
    expect(rd(m, 'max_graph_depth')).toBe('0\n');
    expect(m.fs.write('max_graph_depth', '3\n')).toBe(0);
    expect(rd(m, 'max_graph_depth')).toBe('3\n');
    for (const bad of ['x\n', '-1\n', '\n', '3x\n']) expect(m.fs.write('max_graph_depth', bad), bad).toBe(-EINVAL);
    expect(m.fs.write('max_graph_depth', '999999999999999999999\n')).toBe(-ERANGE);
    expect(rd(m, 'max_graph_depth')).toBe('3\n');
    // kstrtoul takes what the core API refuses (a leading +, zeros); fgraph_max_depth is an unsigned int, so 2^32 + 4 is 4
    expect(m.fs.write('max_graph_depth', '+007\n')).toBe(0);
    expect(rd(m, 'max_graph_depth')).toBe('7\n');
    expect(m.fs.write('max_graph_depth', `${2 ** 32 + 4}\n`)).toBe(0);
    expect(rd(m, 'max_graph_depth')).toBe('4\n');
    expect(m.fs.write('max_graph_depth', '3\n')).toBe(0);
    expect(m.b.ftrace!.arch.fgraph(m.b.ftrace!.core).filter.maxDepth).toBe(3);
  });

  it('an instance gets the filter and pid files but not the top-level-only ones', () => {
    const m = machine();
    const dir = new StaticDir();
    registerFtraceFiles(dir, m.ctx, new TraceArray(m.b.kernel, m.b.ftrace!.core, m.b.ftrace!.arch), false);
    expect([...dir.entries()].map(([n]) => n).sort()).toEqual(['set_ftrace_filter', 'set_ftrace_notrace', 'set_ftrace_notrace_pid', 'set_ftrace_pid']);
    expect(m.fs.lookup('max_graph_depth')).not.toBeTypeOf('number');
  });
});

describe('property: filter writes against a model of the kernel', () => {
  it('any sequence of >, >>, globs, ! and indexes leaves the model\'s hash, and text agrees with records', () => {
    const m = machine();
    startFunctionTracer(m);
    const all = names(m);
    const pats = ['vfs_*', '*lock', '*_read*', 'k?alloc', '[dp]put', 'ksys_*', 'nosuch', 'schedule', '*', 'memcpy'];
    const word = fc.oneof(
      fc.constantFrom(...pats),
      fc.constantFrom(...pats).map((p) => `!${p}`),
      fc.integer({ min: 0, max: all.length + 2 }).map(String),
    );
    const op = fc.record({ append: fc.boolean(), words: fc.array(word, { minLength: 0, maxLength: 3 }) });
    let model = new Set<string>();
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), (ops) => {
      for (const o of ops) {
        // the kernel: the copy starts empty (>) or as the hash (>>); words apply until the first failure; release installs
        const h = o.append ? new Set(model) : new Set<string>();
        let err = 0;
        for (const w of o.words) {
          const not = w.startsWith('!');
          const body = not ? w.slice(1) : w;
          let hit: string[];
          if (/^[0-9]/.test(body)) {
            const i = Number(body);
            hit = i >= 1 && i <= all.length ? [all[i - 1]!] : [];
          } else {
            const g = filterParseRegex(body).glob;
            hit = all.filter((n) => ftraceMatch(n, g));
          }
          if (hit.length === 0) { err = -EINVAL; break; }
          for (const n of hit) if (not) h.delete(n); else h.add(n);
        }
        model = h;
        expect(m.fs.write('set_ftrace_filter', o.words.map((w) => `${w}\n`).join(''), { append: o.append })).toBe(err);
        const want = model.size === 0 ? ['#### all functions enabled ####'] : all.filter((n) => model.has(n));
        expect(lines(rd(m, 'set_ftrace_filter'))).toEqual(want);
        expect(checkX86Records(m.b.ftrace!.core, m.b.ftrace!.arch)).toEqual([]);
        const en = lines(rd(m, 'enabled_functions')).map((l) => l.split(' ')[0]!);
        expect(en).toEqual(model.size === 0 ? all : all.filter((n) => model.has(n)));
        m.ctx.run(5_000);
      }
    }), { numRuns: 12, seed: 8 });
  });
});
