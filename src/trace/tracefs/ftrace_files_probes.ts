// The function commands of set_ftrace_filter (traceon, traceoff, stacktrace, snapshot with :N counts) and the probe ops that run them when a function is hit (kernel/trace/ftrace.c register_ftrace_function_probe / unregister_ftrace_function_probe_func, kernel/trace/trace_functions.c, trace.c's snapshot command).

import type { TraceArray } from '../trace_functions.js';
import { FtraceOps, type FtraceHash } from '../../ftrace/ops.js';
import { filterParseRegex, ftraceMatch } from '../../ftrace/glob.js';
import { matchRecords } from '../../ftrace/filter.js';
import type { DynFtrace } from '../../ftrace/record.js';
import { EBUSY, EINVAL, ENODEV, kstrtoul } from './fs.js';
import { runKernelCall, type TracefsContext } from './index.js';

/**
 * A function command (struct ftrace_func_command): `glob:cmd[:param]` written to set_ftrace_filter
 * (enable = true) or set_ftrace_notrace (false). Returns 0 or -errno.
 */
export type FtraceCommand = (ctx: TracefsContext, tr: TraceArray, glob: string, cmd: string, param: string | null, enable: boolean) => number;

const commands = new Map<string, FtraceCommand>();

/** register_ftrace_command: -EBUSY when the name is taken (enable_event/disable_event belong to the events files). */
export function registerFtraceCommand(name: string, fn: FtraceCommand): number {
  if (commands.has(name)) return -EBUSY;
  commands.set(name, fn);
  return 0;
}

export function findFtraceCommand(name: string): FtraceCommand | undefined {
  return commands.get(name);
}

/** What the commands act on beyond tracing_on: the snapshot and the stack trace belong to other files. */
export interface FuncCommandHooks {
  /** tracing_alloc_snapshot_instance: 0 or -errno (absent: allocation always succeeds). */
  snapshotAlloc?(): number;
  /** tracing_snapshot_instance: swap the buffer with the snapshot. */
  snapshot?(): void;
  /** __trace_stack: a stack trace event for the function at `ip` on `cpu`. */
  stackTrace?(cpu: number, ip: bigint): void;
}

/** One probe kind (struct ftrace_probe_ops): the command's name and whether it counts. */
interface ProbeKind {
  name: 'traceon' | 'traceoff' | 'stacktrace' | 'snapshot';
  counted: boolean;
}

/** One registered probe (struct ftrace_func_probe): its ops, whose filter hash holds its functions, and their counts. */
interface Probe {
  kind: ProbeKind;
  ops: FtraceOps;
  counts: Map<bigint, number>;
}

interface ProbeState {
  /** tr->func_probes, newest first as list_add leaves them. */
  probes: Probe[];
  hooks: FuncCommandHooks;
  /** How many times each command acted (per `name` or `name:count`), for tests and the shell. */
  fired: Map<string, number>;
}

const states = new WeakMap<TraceArray, ProbeState>();

function stateOf(tr: TraceArray): ProbeState {
  let s = states.get(tr);
  if (s === undefined) {
    s = { probes: [], hooks: {}, fired: new Map() };
    states.set(tr, s);
  }
  return s;
}

/** Install what the snapshot/stacktrace commands do on this trace array (the control and stack files' work). */
export function setFuncCommandHooks(tr: TraceArray, hooks: FuncCommandHooks): void {
  stateOf(tr).hooks = hooks;
}

/** How many times a command acted on `tr`: key `traceoff`, `traceoff:count`, `snapshot`, ... */
export function funcCommandFired(tr: TraceArray, key: string): number {
  return stateOf(tr).fired.get(key) ?? 0;
}

function fired(st: ProbeState, kind: ProbeKind): void {
  const key = kind.counted ? `${kind.name}:count` : kind.name;
  st.fired.set(key, (st.fired.get(key) ?? 0) + 1);
}

/** The probe's callback when one of its functions is hit (ftrace_traceon/_count, ftrace_stacktrace/_count, ftrace_snapshot/ftrace_count_snapshot). */
function probeHit(tr: TraceArray, st: ProbeState, p: Probe, ip: bigint): void {
  const k = p.kind;
  const count = k.counted ? p.counts.get(ip) : undefined;
  if (k.name === 'traceon' || k.name === 'traceoff') {
    const on = k.name === 'traceon';
    if (count === undefined) {
      if (tr.tracingOn === on) return;
      tr.tracingOn = on;
      fired(st, k);
      return;
    }
    // update_traceon_count: a count is used only by a call that changes the state
    if (count <= 0 || tr.tracingOn === on) return;
    tr.tracingOn = on;
    p.counts.set(ip, count - 1);
    fired(st, k);
    return;
  }
  if (k.name === 'stacktrace') {
    if (count !== undefined) {
      if (!tr.tracingOn || count === 0) return;
      p.counts.set(ip, count - 1);
    }
    fired(st, k);
    st.hooks.stackTrace?.(tr.arch.current?.id ?? 0, ip);
    return;
  }
  if (count !== undefined) {
    if (count <= 0) return;
    p.counts.set(ip, count - 1);
  }
  fired(st, k);
  st.hooks.snapshot?.();
}

/** `%ps` of a record: its name, and ` [mod]` for a module's. */
export function recordName(rec: DynFtrace): string {
  const mod = rec.func.module ?? rec.mod;
  return mod ? `${rec.func.name} [${mod}]` : rec.func.name;
}

/** Probes kept by other files (the events' enable_event/disable_event): their set_ftrace_filter lines. */
export type ProbeShow = (ctx: TracefsContext, tr: TraceArray) => string;
const probeShows: ProbeShow[] = [];

/** Add another file's probes to what set_ftrace_filter lists after this file's (once per function). */
export function registerProbeShow(fn: ProbeShow): void {
  if (!probeShows.includes(fn)) probeShows.push(fn);
}

/** t_probe_show: one line per function of each probe, `func:cmd:unlimited` or `func:cmd:count=N`. */
export function showProbes(ctx: TracefsContext, tr: TraceArray): string {
  const core = ctx.b.ftrace?.core;
  if (core === undefined) return '';
  let out = '';
  for (const p of stateOf(tr).probes) {
    for (const rec of core.allRecords()) {
      if (!p.ops.filterHash.has(rec.ip)) continue;
      const c = p.kind.counted ? p.counts.get(rec.ip) : undefined;
      out += `${recordName(rec)}:${p.kind.name}${c === undefined ? ':unlimited' : `:count=${c}`}\n`;
    }
  }
  for (const show of probeShows) out += show(ctx, tr);
  return out;
}

/** register_ftrace_function_probe: add the functions `glob` matches to the probe of `kind`, each with `count` (-1: none given). */
function registerProbe(ctx: TracefsContext, tr: TraceArray, kind: ProbeKind, glob: string, count: number): number {
  const core = ctx.b.ftrace!.core;
  if (core.disabled) return -ENODEV;
  const st = stateOf(tr);
  let p = st.probes.find((x) => x.kind.name === kind.name && x.kind.counted === kind.counted);
  const fresh = p === undefined;
  if (p === undefined) {
    const probe: Probe = { kind, ops: null as unknown as FtraceOps, counts: new Map() };
    probe.ops = new FtraceOps('function_trace_probe_call', (ip) => probeHit(tr, st, probe, ip));
    p = probe;
  }
  const hash: FtraceHash = new Set(p.ops.filterHash);
  const found = matchRecords(core.allRecords(), hash, glob);
  if (found <= 0) return -EINVAL;
  let added = 0;
  for (const ip of hash) {
    if (p.ops.filterHash.has(ip)) continue;
    if (kind.counted) p.counts.set(ip, count);
    added++;
  }
  if (added === 0) return -EINVAL; // nothing was added
  let r: number;
  if (fresh) {
    p.ops.filterHash = hash;
    r = runKernelCall(ctx, core.registerFtraceFunction(p.ops));
    if (r === 0) st.probes.unshift(p);
  } else {
    r = runKernelCall(ctx, core.ftraceInstallHash(p.ops, hash, true));
  }
  if (r < 0) for (const ip of hash) if (!p.ops.filterHash.has(ip)) p.counts.delete(ip);
  return r < 0 ? r : 0;
}

/** unregister_ftrace_function_probe_func: `!glob:cmd` drops the functions `glob` names from that probe. */
function unregisterProbe(ctx: TracefsContext, tr: TraceArray, kind: ProbeKind, glob: string): number {
  const core = ctx.b.ftrace!.core;
  const st = stateOf(tr);
  const p = st.probes.find((x) => x.kind.name === kind.name && x.kind.counted === kind.counted);
  if (p === undefined) return -EINVAL;
  const all = glob === '' || glob === '*';
  const g = filterParseRegex(glob).glob;
  const hash: FtraceHash = new Set(p.ops.filterHash);
  let removed = 0;
  for (const rec of core.allRecords()) {
    if (!hash.has(rec.ip)) continue;
    if (!all && !ftraceMatch(rec.func.name, g)) continue;
    hash.delete(rec.ip);
    removed++;
  }
  if (removed === 0) return -EINVAL;
  let r: number;
  if (hash.size === 0) {
    r = runKernelCall(ctx, core.unregisterFtraceFunction(p.ops));
    if (r === 0) {
      st.probes.splice(st.probes.indexOf(p), 1);
      p.ops.filterHash = new Set();
      p.counts.clear();
    }
  } else {
    r = runKernelCall(ctx, core.ftraceInstallHash(p.ops, hash, true));
    if (r === 0) for (const ip of [...p.counts.keys()]) if (!hash.has(ip)) p.counts.delete(ip);
  }
  return r < 0 ? r : 0;
}

/** ftrace_trace_probe_callback and the snapshot command's: `!` unregisters, a count selects the counting probe. */
function probeCommand(name: ProbeKind['name']): FtraceCommand {
  return (ctx, tr, glob, _cmd, param, enable) => {
    if (!enable) return -EINVAL; // hash funcs only work with set_ftrace_filter
    const kind: ProbeKind = { name, counted: param !== null };
    if (glob.startsWith('!')) return unregisterProbe(ctx, tr, kind, glob.slice(1));
    let count = -1;
    const number = param?.split(':')[0] ?? '';
    if (number.length > 0) {
      const n = kstrtoul(number, 0);
      if (n < 0) return -EINVAL;
      count = n;
    }
    if (name === 'snapshot') {
      const r = stateOf(tr).hooks.snapshotAlloc?.() ?? 0;
      if (r < 0) return r;
    }
    return registerProbe(ctx, tr, kind, glob, count);
  };
}

for (const name of ['traceoff', 'traceon', 'stacktrace', 'snapshot'] as const) registerFtraceCommand(name, probeCommand(name));
