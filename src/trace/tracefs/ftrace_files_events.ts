// The enable_event / disable_event function commands of set_ftrace_filter: probes that flip an event's soft-disable when a function is hit (kernel/trace/trace_events.c event_enable_func, event_enable_probe/_count_probe, event_enable_print, event_enable_init/free).

import type { TraceArray } from '../trace_functions.js';
import { traceEvents, type EventFile, type TraceEvents } from '../trace_events.js';
import { FtraceOps, type FtraceHash } from '../../ftrace/ops.js';
import { filterParseRegex, ftraceMatch } from '../../ftrace/glob.js';
import { matchRecords } from '../../ftrace/filter.js';
import { EINVAL, ENODEV, kstrtoul } from './fs.js';
import { runKernelCall, type TracefsContext } from './index.js';
import { recordName, registerFtraceCommand, registerProbeShow } from './ftrace_files_probes.js';

/** The four probe ops (event_enable_probe_ops, event_enable_count_probe_ops and the disable pair). */
type OpsKey = 'enable_event' | 'enable_event:count' | 'disable_event' | 'disable_event:count';

/** struct event_probe_data: one registration's event, direction and count, shared by the functions it added. */
interface EventProbeData {
  ev: TraceEvents;
  file: EventFile;
  enable: boolean;
  /** -1: unlimited. */
  count: number;
  /** How many functions use this data; the last one gone releases the event's soft mode. */
  ref: number;
}

/** One probe (struct ftrace_func_probe): its ops, whose filter hash holds its functions, and each function's data (the func mapper). */
interface EventProbe {
  key: OpsKey;
  ops: FtraceOps;
  data: Map<bigint, EventProbeData>;
}

interface EventProbeState {
  /** Newest first, as tr->func_probes lists them. */
  probes: EventProbe[];
  /** How many times each ops flipped an event (key: OpsKey), for tests and the shell. */
  fired: Map<string, number>;
}

const states = new WeakMap<TraceArray, EventProbeState>();

function stateOf(tr: TraceArray): EventProbeState {
  let s = states.get(tr);
  if (s === undefined) {
    s = { probes: [], fired: new Map() };
    states.set(tr, s);
  }
  return s;
}

/** How many times the enable_event/disable_event probes of `tr` acted: key `enable_event`, `disable_event:count`, ... */
export function eventCommandFired(tr: TraceArray, key: string): number {
  return stateOf(tr).fired.get(key) ?? 0;
}

/** event_enable_probe / event_enable_count_probe: a function of the probe was hit. */
function probeHit(st: EventProbeState, p: EventProbe, ip: bigint): void {
  const d = p.data.get(ip);
  if (d === undefined) return;
  if (p.key.endsWith(':count')) {
    if (d.count === 0) return;
    // skip when the event already is in the state this probe switches to
    if (d.enable === d.file.enabled) return;
    if (d.count !== -1) d.count--;
  }
  d.file.enabled = d.enable; // clear (enable) or set (disable) SOFT_DISABLED
  st.fired.set(p.key, (st.fired.get(p.key) ?? 0) + 1);
}

/** event_enable_print: `func:enable_event:sys:event:unlimited` or `...:count=N`, one line per function. */
function showEventProbes(ctx: TracefsContext, tr: TraceArray): string {
  const core = ctx.b.ftrace?.core;
  if (core === undefined) return '';
  let out = '';
  for (const p of stateOf(tr).probes) {
    for (const rec of core.allRecords()) {
      const d = p.data.get(rec.ip);
      if (d === undefined || !p.ops.filterHash.has(rec.ip)) continue;
      const cmd = d.enable ? 'enable_event' : 'disable_event';
      out += `${recordName(rec)}:${cmd}:${d.file.call.system}:${d.file.call.name}${d.count === -1 ? ':unlimited' : `:count=${d.count}`}\n`;
    }
  }
  return out;
}

/** Drop one function's use of its data (event_enable_free): the last use releases the event's soft mode. */
function putData(d: EventProbeData): void {
  if (--d.ref > 0) return;
  d.ev.softRef(d.file, false);
}

/**
 * register_ftrace_function_probe: add the functions `glob` matches and the probe lacks, each with
 * `d` (event_enable_init). -EINVAL when nothing matched or nothing was added.
 */
function registerProbe(ctx: TracefsContext, tr: TraceArray, key: OpsKey, glob: string, d: EventProbeData): number {
  const core = ctx.b.ftrace!.core;
  const st = stateOf(tr);
  let p = st.probes.find((x) => x.key === key);
  const fresh = p === undefined;
  if (p === undefined) {
    const probe: EventProbe = { key, ops: null as unknown as FtraceOps, data: new Map() };
    probe.ops = new FtraceOps('function_trace_probe_call', (ip) => probeHit(st, probe, ip));
    p = probe;
  }
  const hash: FtraceHash = new Set(p.ops.filterHash);
  if (matchRecords(core.allRecords(), hash, glob) <= 0) return -EINVAL;
  const added = [...hash].filter((ip) => !p.ops.filterHash.has(ip));
  if (added.length === 0) return -EINVAL; // nothing was added
  for (const ip of added) p.data.set(ip, d);
  d.ref += added.length;
  let r: number;
  if (fresh) {
    p.ops.filterHash = hash;
    r = runKernelCall(ctx, core.registerFtraceFunction(p.ops));
    if (r === 0) st.probes.unshift(p);
    else p.ops.filterHash = new Set();
  } else {
    r = runKernelCall(ctx, core.ftraceInstallHash(p.ops, hash, true));
  }
  if (r < 0) {
    for (const ip of added) p.data.delete(ip);
    d.ref -= added.length;
    return r;
  }
  return 0;
}

/** unregister_ftrace_function_probe_func: `!glob:cmd:...` drops the functions `glob` names from that ops, whatever their event. */
function unregisterProbe(ctx: TracefsContext, tr: TraceArray, key: OpsKey, glob: string): number {
  const core = ctx.b.ftrace!.core;
  const st = stateOf(tr);
  const p = st.probes.find((x) => x.key === key);
  if (p === undefined) return -EINVAL;
  const all = glob === '' || glob === '*';
  const g = filterParseRegex(glob).glob;
  const hash: FtraceHash = new Set(p.ops.filterHash);
  const removed: bigint[] = [];
  for (const rec of core.allRecords()) {
    if (!hash.has(rec.ip)) continue;
    if (!all && !ftraceMatch(rec.func.name, g)) continue;
    hash.delete(rec.ip);
    removed.push(rec.ip);
  }
  if (removed.length === 0) return -EINVAL;
  const r = hash.size === 0
    ? runKernelCall(ctx, core.unregisterFtraceFunction(p.ops))
    : runKernelCall(ctx, core.ftraceInstallHash(p.ops, hash, true));
  if (r < 0) return r;
  if (hash.size === 0) {
    st.probes.splice(st.probes.indexOf(p), 1);
    p.ops.filterHash = new Set();
  }
  for (const ip of removed) {
    const d = p.data.get(ip);
    p.data.delete(ip);
    if (d !== undefined) putData(d);
  }
  return 0;
}

/**
 * event_enable_func: `glob:enable_event:SYS:EVENT[:N]` (or disable_event) in set_ftrace_filter. Only
 * set_ftrace_filter, a SYS and an EVENT that exist (else -EINVAL), a count that parses when given (an
 * empty one is -EINVAL). The event enters soft mode (disabled events stay disabled: `enable` reads
 * `0*`) for as long as a function of this registration is in the probe. `!` removes functions from the
 * probe of that command (with or without count), whatever event they flip.
 */
function eventEnableFunc(ctx: TracefsContext, tr: TraceArray, glob: string, cmd: string, param: string | null, enable: boolean): number {
  const core = ctx.b.ftrace?.core;
  if (core === undefined || core.disabled) return -ENODEV;
  if (!enable || param === null) return -EINVAL; // hash funcs only work with set_ftrace_filter
  const parts = param.split(':');
  if (parts.length < 2) return -EINVAL;
  const ev = traceEvents(tr);
  const file = ev.enableable().find((f) => f.call.system === parts[0] && f.call.name === parts[1]);
  if (file === undefined) return -EINVAL;
  const on = cmd === 'enable_event';
  const counted = parts.length > 2;
  const key: OpsKey = on ? (counted ? 'enable_event:count' : 'enable_event') : (counted ? 'disable_event:count' : 'disable_event');
  if (glob.startsWith('!')) return unregisterProbe(ctx, tr, key, glob.slice(1));
  let count = -1;
  if (counted) {
    const number = parts[2]!;
    if (number.length === 0) return -EINVAL;
    const n = kstrtoul(number, 0);
    if (n < 0) return -EINVAL;
    count = n;
  }
  const d: EventProbeData = { ev, file, enable: on, count, ref: 0 };
  ev.softRef(file, true);
  const r = registerProbe(ctx, tr, key, glob, d);
  if (r < 0) ev.softRef(file, false);
  return r;
}

let registered = false;

/** Register the two commands and their set_ftrace_filter lines (once; done when a tracefs tree is built). */
export function registerEventFuncCommands(): void {
  if (registered) return;
  registered = true;
  registerFtraceCommand('enable_event', eventEnableFunc);
  registerFtraceCommand('disable_event', eventEnableFunc);
  registerProbeShow(showEventProbes);
}
