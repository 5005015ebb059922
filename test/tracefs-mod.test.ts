// `:mod:` in set_ftrace_filter / set_ftrace_notrace as kernel/trace/ftrace.c handles it: patterns of modules not loaded are cached (cache_mod / ftrace_add_mod) and read back as written (t_mod_show), duplicates kept, newest first; a cached filter is an active filter (FTRACE_HASH_FL_MOD); `!` removes cached entries; a blank module matches every module; the cache applies when the module loads (process_cached_mods).
import { describe, expect, it } from 'vitest';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot, type Booted } from '../src/runner.js';
import { TraceArray } from '../src/trace/trace_functions.js';
import { buildTracefs, type TracefsContext } from '../src/trace/tracefs/index.js';
import { EINVAL, ENOMEM, type Tracefs } from '../src/trace/tracefs/fs.js';
import { TRACE_FN } from '../src/trace/ring_buffer.js';
import type { ModuleRequest } from '../src/kernel/module.js';
import { buildModule, hasGcc } from './helpers/gcc.js';
import { runUntilSmp } from './helpers/live.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const image = readFileSync(join(root, 'fixtures', 'vmlinux'));

interface M { b: Booted; tr: TraceArray; ctx: TracefsContext; fs: Tracefs }
function setup(small = false): M {
  const b = boot(image, 'vmlinux', { cpus: 2, seed: 1, ...(small ? { pokeSymbols: { workload_iterations: 5n, smp_workload_iterations: 100_000n } } : {}) });
  const tr = new TraceArray(b.kernel, b.ftrace!.core, b.ftrace!.arch, { sizeKb: 256 });
  const ctx: TracefsContext = { b, run: (n) => b.kernel.run(b.kernel.steps + n) };
  return { b, tr, ctx, fs: buildTracefs(ctx, tr) };
}
const rd = (m: M, f: string): string => m.fs.read(f) as string;
/** `echo t > f` (or `>>`): the newline ends the last word, so its error is the write's. */
const w = (m: M, f: string, t: string, append = false): number => m.fs.write(f, `${t}\n`, { append });
/** Names of the functions traced, from the buffer. */
function tracedFuncs(m: M): Set<string> {
  const out = new Set<string>();
  const it = m.tr.buffer.iterator();
  const o = m.tr.outputContext();
  for (let e = it.next(); e !== undefined; e = it.next()) if (e.type === TRACE_FN) out.add(o.resolve(e.ip, false));
  return out;
}

describe('cached :mod: patterns', () => {
  it('`:mod:M` of a module not loaded is cached and reads back as written, with no "all functions" line (the filter is active)', () => {
    const m = setup();
    expect(w(m, 'set_ftrace_filter', ':mod:nosuchmod')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe(':mod:nosuchmod\n');
    expect(w(m, 'set_ftrace_filter', '*:mod:nosuchmod', true)).toBe(0);
    expect(w(m, 'set_ftrace_filter', 'ftmod_*:mod:nosuchmod', true)).toBe(0);
    // newest first (list_add); a duplicate is kept
    expect(w(m, 'set_ftrace_filter', ':mod:nosuchmod', true)).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe(':mod:nosuchmod\nftmod_*:mod:nosuchmod\n*:mod:nosuchmod\n:mod:nosuchmod\n');
    // the notrace file keeps its own list, and shows its empty-hash line
    expect(w(m, 'set_ftrace_notrace', 'a*:mod:other')).toBe(0);
    expect(rd(m, 'set_ftrace_notrace')).toBe('#### no functions disabled ####\na*:mod:other\n');
    // O_TRUNC clears the list
    expect(w(m, 'set_ftrace_filter', '')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('#### all functions enabled ####\n');
  });

  it('a cached pattern alone is a filter: the function tracer traces nothing (negative control: without it, it traces)', () => {
    const m = setup();
    expect(w(m, 'set_ftrace_filter', ':mod:nosuchmod')).toBe(0);
    expect(w(m, 'current_tracer', 'function')).toBe(0);
    m.ctx.run(100_000);
    expect(tracedFuncs(m).size).toBe(0);
    expect(w(m, 'set_ftrace_filter', '')).toBe(0);
    m.ctx.run(100_000);
    expect(tracedFuncs(m).size).toBeGreaterThan(3);
  });

  it('`!func:mod:M` removes the matching cached entries, `!*:mod:M` all of M\'s; nothing to remove is -EINVAL', () => {
    const m = setup();
    expect(w(m, 'set_ftrace_filter', 'a*:mod:x b*:mod:x :mod:x c*:mod:y')).toBe(0);
    expect(w(m, 'set_ftrace_filter', '!b*:mod:x', true)).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('c*:mod:y\n:mod:x\na*:mod:x\n');
    expect(w(m, 'set_ftrace_filter', '!b*:mod:x', true)).toBe(-EINVAL);
    expect(w(m, 'set_ftrace_filter', '!:mod:x', true)).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('c*:mod:y\na*:mod:x\n');
    expect(w(m, 'set_ftrace_filter', '!*:mod:x', true)).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('c*:mod:y\n');
    expect(w(m, 'set_ftrace_filter', '!*:mod:x', true)).toBe(-EINVAL);
    // the last one gone: the filter is empty again (trace everything)
    expect(w(m, 'set_ftrace_filter', '!*:mod:y', true)).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('#### all functions enabled ####\n');
  });

  it('`func:mod` without a module is a plain match (no match: -ENOMEM, as ftrace_add_mod of a NULL module); a blank module with `!` matches the core kernel', () => {
    const m = setup();
    expect(w(m, 'set_ftrace_filter', 'vfs_read:mod')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read\n');
    expect(w(m, 'set_ftrace_filter', 'no_such_function:mod')).toBe(-ENOMEM);
    expect(w(m, 'set_ftrace_filter', 'vfs_read:mod:!')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read\n');
    // a blank module without `!`: module functions only; none loaded, so it is cached as written
    expect(w(m, 'set_ftrace_filter', 'vfs_read:mod:')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('vfs_read:mod:\n');
  });
});

/** Run the machine until a request made through an insmod/rmmod task has its result. */
function await_(m: M, req: ModuleRequest): number {
  for (let i = 0; i < 500 && req.result === null; i++) {
    const o = m.ctx.run(20_000);
    if (o.reason !== 'max-steps') throw new Error(`the machine stopped: ${o.reason}`);
  }
  if (req.result === null) throw new Error(`${req.name}: the request never finished`);
  return req.result;
}

describe.skipIf(!hasGcc())(':mod: and module loading', () => {
  it('a pattern cached before insmod filters the module\'s functions once it loads, and leaves the cache; a pattern for a loaded module that matches nothing is -EINVAL', () => {
    const m = setup(true);
    expect(runUntilSmp(m.b)).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'ftsim-mod-'));
    const file = buildModule(join(root, 'test', 'modules', 'ftmod.c'), join(dir, 'ftmod.o'), []);
    expect(w(m, 'set_ftrace_filter', 'ftmod_*:mod:ftmod')).toBe(0);
    expect(w(m, 'set_ftrace_notrace', 'ftmod_say:mod:ftmod')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('ftmod_*:mod:ftmod\n');
    expect(w(m, 'current_tracer', 'function')).toBe(0);
    expect(await_(m, m.b.modules.insmod(readFileSync(file), file, 1))).toBe(0);
    expect(rd(m, 'set_ftrace_filter').split('\n').filter((l) => l !== '').sort()).toEqual(['ftmod_add [ftmod]', 'ftmod_say [ftmod]', 'ftmod_work [ftmod]']);
    expect(rd(m, 'set_ftrace_notrace')).toBe('ftmod_say [ftmod]\n');
    // the init ran with the module's sites calling the tracer: only the filtered, not-notraced functions
    expect([...tracedFuncs(m)].sort()).toEqual(['ftmod_add [ftmod]', 'ftmod_work [ftmod]']);
    expect(w(m, 'set_ftrace_filter', 'nothing_here*:mod:ftmod', true)).toBe(-EINVAL);
    expect(w(m, 'set_ftrace_filter', 'ftmod_add:mod:ftmod')).toBe(0);
    expect(rd(m, 'set_ftrace_filter')).toBe('ftmod_add [ftmod]\n');
  });
});
