// tracefs files of dynamic ftrace: set_ftrace_filter/notrace with function commands, available_filter_functions, enabled_functions, pid filters, graph filters (kernel/trace/ftrace.c ftrace_init_tracefs, ftrace_regex_*).

import { FunctionTracer, type TraceArray } from '../trace_functions.js';
import type { FtraceCore } from '../../ftrace/ftrace.js';
import { FTRACE_OPS_FL_ENABLED, type FtraceHash, type FtraceOps } from '../../ftrace/ops.js';
import { matchRecords } from '../../ftrace/filter.js';
import type { GraphFilterType } from '../../ftrace/fgraph_filter.js';
import { showAvailableFilterFunctions, showDynFtraceTotalInfo, showEnabledFunctions, showTouchedFunctions } from '../../ftrace/show.js';
import { EINVAL, ENODEV, ENOMEM, kstrtoull, type FileNode, type OpenFile, type StaticDir, roFile, rwFile, text, textReader } from './fs.js';
import { runKernelCall, type TracefsContext } from './index.js';
import { findFtraceCommand, recordName, showProbes } from './ftrace_files_probes.js';
import { pidFile } from './ftrace_files_pid.js';

export { registerFtraceCommand, setFuncCommandHooks, funcCommandFired, type FtraceCommand, type FuncCommandHooks } from './ftrace_files_probes.js';

/** FTRACE_BUFF_MAX: the longest word the filter files' parser holds (longer is -EINVAL). */
const FTRACE_BUFF_MAX = 256;

/**
 * struct trace_parser: whitespace-separated words, a word cut by the end of one write() continuing in
 * the next. `feed` calls `word` for each complete word and stops at its first error.
 */
export class TraceParser {
  private buf = '';
  private cont = false;

  feed(data: string, word: (w: string) => number): number {
    let i = 0;
    while (i < data.length) {
      if (!this.cont) {
        while (i < data.length && /\s|\0/.test(data[i]!)) i++;
        if (i === data.length) break;
      }
      while (i < data.length && !/\s|\0/.test(data[i]!)) {
        if (this.buf.length >= FTRACE_BUFF_MAX - 1) return -EINVAL;
        this.buf += data[i++];
      }
      if (i === data.length) {
        this.cont = true; // wait for another write, or release
        break;
      }
      const w = this.buf;
      this.buf = '';
      this.cont = false;
      const r = word(w);
      if (r < 0) return r;
    }
    return 0;
  }

  /** The word left over at release (trace_parser_loaded), if any. */
  takeRest(): string | null {
    const w = this.buf;
    this.buf = '';
    this.cont = false;
    return w.length > 0 ? w : null;
  }
}

/** The function tracer of a trace array (its ops holds set_ftrace_filter / set_ftrace_notrace). */
export function functionOpsOf(tr: TraceArray): FtraceOps | null {
  const t = tr.tracers.get('function');
  return t instanceof FunctionTracer ? t.opsFor(tr) : null;
}

/** `:mod:` patterns of modules not loaded (ftrace_mod_load list), kept per ops and file. */
interface CachedMod { func: string; module: string }
const modCache = new WeakMap<FtraceOps, { filter: CachedMod[]; notrace: CachedMod[]; marked: boolean }>();

function cachedMods(ops: FtraceOps, enable: boolean): CachedMod[] {
  let c = modCache.get(ops);
  if (c === undefined) {
    c = { filter: [], notrace: [], marked: false };
    modCache.set(ops, c);
  }
  return enable ? c.filter : c.notrace;
}

/**
 * FTRACE_HASH_FL_MOD (ftrace_regex_release): while `:mod:` patterns are cached the filter is active even
 * with no function in it (ftrace_hash_empty is false: nothing is traced, the file shows no
 * "all functions enabled" line). ftsim marks such a hash with the never-matching address 0.
 */
function markModFilter(ops: FtraceOps, hash: FtraceHash): void {
  const c = modCache.get(ops);
  if (c === undefined) return;
  if (c.filter.length > 0 && hash.size === 0) {
    hash.add(0n);
    c.marked = true;
  } else if (c.filter.length === 0 && c.marked) {
    hash.delete(0n);
    c.marked = false;
  }
}

/**
 * process_mod_list for one ops: when module `mod` loads, its cached patterns leave the cache and are
 * matched against its records into the ops' hashes (called under ftrace_lock before the records are
 * counted, so the core makes them call as it enables them). Once no filter pattern is left, the "cached
 * module" mark goes, unless that would turn a registered ops' empty filter into "trace everything"
 * (that needs a live update of every site, which ftsim does not do from module loading).
 */
function processCachedMods(core: FtraceCore, ops: FtraceOps, mod: string): void {
  const c = modCache.get(ops);
  if (c === undefined) return;
  for (const enable of [true, false]) {
    const list = enable ? c.filter : c.notrace;
    const mine = list.filter((m) => m.module === mod);
    if (mine.length === 0) continue;
    const hash = enable ? ops.filterHash : ops.notraceHash;
    for (const m of mine) {
      list.splice(list.indexOf(m), 1);
      matchRecords(core.allRecords(), hash, `${m.func}:mod:${mod}`);
    }
    if (enable && list.length === 0 && c.marked && (hash.size > 1 || !ops.has(FTRACE_OPS_FL_ENABLED))) {
      hash.delete(0n);
      c.marked = false;
    }
  }
}

/**
 * ftrace_process_regex: one word into the file's copy of the hash. A plain pattern must match
 * (-EINVAL otherwise); `func:cmd[:param]` runs the command (`mod` edits the hash, the probes register).
 */
export function processRegex(ctx: TracefsContext, tr: TraceArray, core: FtraceCore, ops: FtraceOps, hash: FtraceHash, word: string, enable: boolean): number {
  const colon = word.indexOf(':');
  if (colon < 0) return matchRecords(core.allRecords(), hash, word) > 0 ? 0 : -EINVAL;
  const func = word.slice(0, colon);
  const rest = word.slice(colon + 1);
  const c2 = rest.indexOf(':');
  const cmd = c2 < 0 ? rest : rest.slice(0, c2);
  const param = c2 < 0 ? null : rest.slice(c2 + 1);
  if (cmd === 'mod') {
    // ftrace_mod_callback: match now (a blank module matches every module's functions), or cache_mod
    const r = matchRecords(core.allRecords(), hash, param === null ? func : `${func}:mod:${param}`);
    if (r < 0) return r;
    if (r > 0) return 0;
    const mods = cachedMods(ops, enable);
    if (func.startsWith('!')) {
      // an inverse filter is not cached: it removes the cached entries of that module ('*' all of them)
      const f = func.slice(1);
      const before = mods.length;
      for (let i = mods.length - 1; i >= 0; i--) if (mods[i]!.module === param && (f === '*' || mods[i]!.func === f)) mods.splice(i, 1);
      return mods.length < before ? 0 : -EINVAL;
    }
    if (param === null) return -ENOMEM; // ftrace_add_mod: kstrdup(NULL) fails
    if (ctx.b.modules.find(param) !== undefined) return -EINVAL; // loaded: nothing matched
    mods.unshift({ func, module: param }); // list_add: newest first, duplicates kept
    return 0;
  }
  const fn = findFtraceCommand(cmd);
  if (fn === undefined) return -EINVAL;
  return fn(ctx, tr, func, cmd, param, enable);
}

/** t_show / t_mod_show / t_probe_show: the functions of a hash (or the empty hash's line), cached `:mod:` patterns, probes. */
function showRegex(ctx: TracefsContext, tr: TraceArray, core: FtraceCore, ops: FtraceOps, hash: FtraceHash, enable: boolean): string {
  let out = '';
  if (hash.size === 0) out = enable ? '#### all functions enabled ####\n' : '#### no functions disabled ####\n';
  else for (const rec of core.allRecords()) if (hash.has(rec.ip)) out += recordName(rec) + '\n';
  for (const m of cachedMods(ops, enable)) out += `${m.func}:mod:${m.module}\n`;
  if (enable) out += showProbes(ctx, tr);
  return out;
}

/**
 * set_ftrace_filter (enable) / set_ftrace_notrace: ftrace_regex_open copies the ops' hash (O_TRUNC: an
 * empty one), each write parses words into the copy (commands act at once), and release installs the
 * copy and patches, even after a failed write.
 */
function regexFile(ctx: TracefsContext, tr: TraceArray, core: FtraceCore, ops: FtraceOps, enable: boolean): FileNode {
  return {
    kind: 'file', mode: 0o640,
    open: (flags) => {
      if (core.disabled) return -ENODEV;
      const current = (): FtraceHash => (enable ? ops.filterHash : ops.notraceHash);
      if (!flags.write) return { read: textReader(() => showRegex(ctx, tr, core, ops, current(), enable)) };
      const hash: FtraceHash = flags.trunc ? new Set() : new Set(current());
      if (flags.trunc) cachedMods(ops, enable).length = 0;
      const parser = new TraceParser();
      const f: OpenFile = {
        read: flags.read ? textReader(() => showRegex(ctx, tr, core, ops, hash, enable)) : undefined,
        write: (data) => {
          const r = parser.feed(text(data), (w) => processRegex(ctx, tr, core, ops, hash, w, enable));
          return r < 0 ? r : data.length;
        },
        release: () => {
          const rest = parser.takeRest();
          if (rest !== null) processRegex(ctx, tr, core, ops, hash, rest, enable); // its error is lost, as the kernel's
          if (enable) markModFilter(ops, hash);
          runKernelCall(ctx, core.ftraceInstallHash(ops, hash, enable));
          return 0;
        },
      };
      return f;
    },
  };
}

/**
 * set_graph_function / set_graph_notrace (ftrace_graph_open/write/release): O_TRUNC empties the hash,
 * each word adds (or with `!` removes) the functions it matches, -EINVAL when none does.
 */
function graphFile(ctx: TracefsContext, core: FtraceCore, type: GraphFilterType): FileNode {
  const gf = ctx.b.ftrace!.arch.fgraph(core).filter;
  return {
    kind: 'file', mode: 0o640,
    open: (flags) => {
      if (core.disabled) return -ENODEV;
      if (!flags.write) return { read: textReader(() => gf.show(type)) };
      if (flags.trunc) gf.clear(type);
      const parser = new TraceParser();
      return {
        read: flags.read ? textReader(() => gf.show(type)) : undefined,
        write: (data) => {
          const r = parser.feed(text(data), (w) => gf.set(type, w));
          return r < 0 ? r : data.length;
        },
        release: () => {
          const rest = parser.takeRest();
          if (rest !== null) gf.set(type, rest);
          return 0;
        },
      };
    },
  };
}

/** dyn_ftrace_total_info, with the update times a 6.x kernel adds (the conversions take no guest time here). */
function totalInfo(core: FtraceCore): string {
  return `${showDynFtraceTotalInfo(core)}ftrace boot update time = 0 (ns)\nftrace module total update time = 0 (ns)\n`;
}

/**
 * The ftrace files of one trace array: set_ftrace_filter / set_ftrace_notrace (its function tracer's
 * ops) and the pid files in every instance; available_filter_functions, enabled_functions,
 * touched_functions, dyn_ftrace_total_info and the graph files only at the top level, as
 * ftrace_init_dyn_tracefs and init_graph_tracefs make them. Nothing without dynamic ftrace.
 */
/** Each trace array's hook in core.moduleEnableHooks (process_cached_mods walks ftrace_trace_arrays). */
const moduleHooks = new WeakMap<TraceArray, (mod: string) => void>();

/**
 * An instance goes (__remove_instance): it leaves the trace arrays a module load looks at for cached
 * `:mod:` filters, so nothing keeps it (and its ring buffer) alive.
 */
export function releaseFtraceFiles(tr: TraceArray): void {
  const hook = moduleHooks.get(tr);
  if (hook === undefined) return;
  moduleHooks.delete(tr);
  const hooks = tr.core.moduleEnableHooks;
  const i = hooks.indexOf(hook);
  if (i >= 0) hooks.splice(i, 1);
}

export function registerFtraceFiles(dir: StaticDir, ctx: TracefsContext, tr: TraceArray, top: boolean): void {
  const ft = ctx.b.ftrace;
  if (ft === undefined) return;
  const core = ft.core;
  if (top) {
    dir.add('available_filter_functions', roFile(() => showAvailableFilterFunctions(core)));
    dir.add('enabled_functions', roFile(() => showEnabledFunctions(core)));
    dir.add('touched_functions', roFile(() => showTouchedFunctions(core)));
    dir.add('dyn_ftrace_total_info', roFile(() => totalInfo(core)));
  }
  const ops = functionOpsOf(tr);
  if (ops !== null) {
    const hook = (mod: string): void => processCachedMods(core, ops, mod);
    core.moduleEnableHooks.push(hook);
    moduleHooks.set(tr, hook);
    dir.add('set_ftrace_filter', regexFile(ctx, tr, core, ops, true));
    dir.add('set_ftrace_notrace', regexFile(ctx, tr, core, ops, false));
  }
  dir.add('set_ftrace_pid', pidFile(tr, 'pid'));
  dir.add('set_ftrace_notrace_pid', pidFile(tr, 'notrace_pid'));
  if (top) {
    dir.add('set_graph_function', graphFile(ctx, core, 'function'));
    dir.add('set_graph_notrace', graphFile(ctx, core, 'notrace'));
    const gf = ft.arch.fgraph(core).filter;
    // graph_depth_write: kstrtoul_from_user's errno, else the value goes into an unsigned int (truncated)
    dir.add('max_graph_depth', rwFile(() => gf.showMaxDepth(), (t) => {
      const v = kstrtoull(t);
      return typeof v === 'number' ? v : gf.setMaxDepth(Number(BigInt.asUintN(32, v)));
    }));
  }
}
