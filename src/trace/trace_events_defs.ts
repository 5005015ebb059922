// The trace events this machine has, with their IDs, field layouts, format texts and printers (include/trace/events/sched.h, nmi.h, arch/x86/include/asm/trace/irq_vectors.h, kernel/trace/trace_entries.h, trace_events.c's format file).

import { byteStrBytes, bytesByteStr } from './bytestr.js';
import type { RawEvent } from './ring_buffer.js';
import { FTRACE_ENTRIES, TRACE_PRINT, TRACE_STACK, TRACE_USER_STACK } from './trace_export.js';
import { registerEventPrinter, type SymbolResolver } from './trace_output.js';
import type { FieldValues, FilterField } from './trace_events_filter.js';

/** One field of an event record (struct ftrace_event_field). */
export interface EventField extends FilterField {
  /** The C type as the format file prints it (for an array, the name carries the [N]). */
  type: string;
  offset: number;
}

/** One event (struct trace_event_call). */
export interface TraceEventCall {
  system: string;
  name: string;
  id: number;
  /** The event's own fields, after the common ones. */
  fields: readonly EventField[];
  /** The record's size (struct trace_event_raw_<name>), trace_entry included. */
  size: number;
  printFmt: string;
  /** The text after "<name>: " in `trace`. */
  show?(v: FieldValues, resolve: SymbolResolver): string;
  /** TRACE_EVENT_FL_IGNORE_ENABLE (the ftrace system): no enable, filter or trigger, not in set_event. */
  ignoreEnable?: boolean;
  /** An ftrace entry with a class->reg (FTRACE_ENTRY_REG: function, print): it has an `id` file. */
  hasId?: boolean;
}

function f(type: string, name: string, offset: number, size: number, signed: boolean): EventField {
  return { type, name, offset, size, signed, isString: name.includes('[') && /\bchar\b/.test(type) };
}

/** The fields every event starts with (struct trace_entry). */
export const COMMON_FIELDS: readonly EventField[] = [
  f('unsigned short', 'common_type', 0, 2, false),
  f('unsigned char', 'common_flags', 2, 1, false),
  f('unsigned char', 'common_preempt_count', 3, 1, false),
  f('int', 'common_pid', 4, 4, true),
];

/** Generic fields a filter may also name (ftrace_generic_fields): the CPU and the current task's comm. */
export const GENERIC_FIELDS: readonly FilterField[] = [
  { name: 'CPU', size: 4, signed: true, isString: false }, { name: 'cpu', size: 4, signed: true, isString: false },
  { name: 'COMM', size: 16, signed: false, isString: true }, { name: 'comm', size: 16, signed: false, isString: true },
];

const TASK_REPORT = '(0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040)';
const SWITCH_FMT = '"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d", ' +
  `REC->prev_comm, REC->prev_pid, REC->prev_prio, (REC->prev_state & (((${TASK_REPORT} + 1) << 1) - 1)) ? ` +
  `__print_flags(REC->prev_state & (((${TASK_REPORT} + 1) << 1) - 1), "|", { 0x00000001, "S" }, { 0x00000002, "D" }, ` +
  '{ 0x00000004, "T" }, { 0x00000008, "t" }, { 0x00000010, "X" }, { 0x00000020, "Z" }, { 0x00000040, "P" }, { 0x00000080, "I" }) : "R", ' +
  `REC->prev_state & ((${TASK_REPORT} + 1) << 1) ? "+" : "", REC->next_comm, REC->next_pid, REC->next_prio`;

/** TASK_REPORT state letters, by bit (task_index_to_char). */
const STATE_CHARS: readonly [number, string][] = [[1, 'S'], [2, 'D'], [4, 'T'], [8, 't'], [0x10, 'X'], [0x20, 'Z'], [0x40, 'P'], [0x80, 'I']];
/** prev_state of a task switched out dead (EXIT_DEAD: our tasks are reaped at once, as kernel threads). */
export const EXIT_DEAD = 0x10;
/** TASK_REPORT_MAX: prev_state of a task preempted while runnable ("R+"). */
export const TASK_REPORT_MAX = 0x100;

function stateText(s: number): string {
  const m = s & 0xff;
  let t = m ? STATE_CHARS.filter(([b]) => m & b).map(([, c]) => c).join('|') : 'R';
  if (s & TASK_REPORT_MAX) t += '+';
  return t;
}

const num = (v: FieldValues, k: string): number => Number(v[k] ?? 0);
const str = (v: FieldValues, k: string): string => String(v[k] ?? '');
/** A pointer field as the buffer's address number (signed, as addrToNum makes it). */
const ptr = (v: FieldValues, k: string): number => {
  const x = v[k];
  return typeof x === 'bigint' ? Number(BigInt.asIntN(64, x)) : Number(x ?? 0);
};

const wakeupFields = [f('char', 'comm[16]', 8, 16, false), f('pid_t', 'pid', 24, 4, true), f('int', 'prio', 28, 4, true), f('int', 'target_cpu', 32, 4, true)];
const wakeupShow = (v: FieldValues): string =>
  `comm=${str(v, 'comm')} pid=${num(v, 'pid')} prio=${num(v, 'prio')} target_cpu=${String(num(v, 'target_cpu')).padStart(3, '0')}`;
const WAKEUP_FMT = '"comm=%s pid=%d prio=%d target_cpu=%03d", REC->comm, REC->pid, REC->prio, REC->target_cpu';
const vectorFields = [f('int', 'vector', 8, 4, true)];

/** One x86_irq_vector event (DEFINE_IRQ_VECTOR_EVENT's _entry or _exit): `vector=%d`. */
function vectorEvent(name: string, id: number): TraceEventCall {
  return { system: 'irq_vectors', name, id, size: 16, fields: vectorFields, printFmt: '"vector=%d", REC->vector', show: (v) => `vector=${num(v, 'vector')}` };
}

/** The ftrace system's print event (trace_marker, trace_printk): only its format file; `trace` prints it as TRACE_PRINT. */
export const FTRACE_PRINT: TraceEventCall = FTRACE_ENTRIES.find((c) => c.id === TRACE_PRINT)!;

/** TRACE_STACK: the stacktrace trigger's entry (struct stack_entry). */
export { TRACE_STACK, TRACE_USER_STACK };

/** The events with files under events/, by system (IDs past the kernel's built-in entry types). */
export const EVENT_CALLS: readonly TraceEventCall[] = [
  ...FTRACE_ENTRIES,
  // IDs in irq_vectors.h's order (local_timer, ..., reschedule, call_function, call_function_single)
  vectorEvent('local_timer_entry', 300),
  vectorEvent('local_timer_exit', 301),
  vectorEvent('reschedule_entry', 302),
  vectorEvent('reschedule_exit', 303),
  vectorEvent('call_function_entry', 304),
  vectorEvent('call_function_exit', 305),
  vectorEvent('call_function_single_entry', 306),
  vectorEvent('call_function_single_exit', 307),
  {
    system: 'nmi', name: 'nmi_handler', id: 308, size: 32,
    fields: [f('void *', 'handler', 8, 8, false), f('s64', 'delta_ns', 16, 8, true), f('int', 'handled', 24, 4, true)],
    printFmt: '"%ps() delta_ns: %lld handled: %d", REC->handler, REC->delta_ns, REC->handled',
    show: (v, resolve) => `${resolve(ptr(v, 'handler'), false)}() delta_ns: ${num(v, 'delta_ns')} handled: ${num(v, 'handled')}`,
  },
  {
    system: 'sched', name: 'sched_process_exit', id: 310, size: 32,
    fields: [f('char', 'comm[16]', 8, 16, false), f('pid_t', 'pid', 24, 4, true), f('int', 'prio', 28, 4, true)],
    printFmt: '"comm=%s pid=%d prio=%d", REC->comm, REC->pid, REC->prio',
    show: (v) => `comm=${str(v, 'comm')} pid=${num(v, 'pid')} prio=${num(v, 'prio')}`,
  },
  {
    system: 'sched', name: 'sched_process_fork', id: 311, size: 48,
    fields: [f('char', 'parent_comm[16]', 8, 16, false), f('pid_t', 'parent_pid', 24, 4, true), f('char', 'child_comm[16]', 28, 16, false), f('pid_t', 'child_pid', 44, 4, true)],
    printFmt: '"comm=%s pid=%d child_comm=%s child_pid=%d", REC->parent_comm, REC->parent_pid, REC->child_comm, REC->child_pid',
    show: (v) => `comm=${str(v, 'parent_comm')} pid=${num(v, 'parent_pid')} child_comm=${str(v, 'child_comm')} child_pid=${num(v, 'child_pid')}`,
  },
  {
    system: 'sched', name: 'sched_switch', id: 312, size: 64,
    fields: [
      f('char', 'prev_comm[16]', 8, 16, false), f('pid_t', 'prev_pid', 24, 4, true), f('int', 'prev_prio', 28, 4, true), f('long', 'prev_state', 32, 8, true),
      f('char', 'next_comm[16]', 40, 16, false), f('pid_t', 'next_pid', 56, 4, true), f('int', 'next_prio', 60, 4, true),
    ],
    printFmt: SWITCH_FMT,
    show: (v) => `prev_comm=${str(v, 'prev_comm')} prev_pid=${num(v, 'prev_pid')} prev_prio=${num(v, 'prev_prio')} prev_state=${stateText(num(v, 'prev_state'))}` +
      ` ==> next_comm=${str(v, 'next_comm')} next_pid=${num(v, 'next_pid')} next_prio=${num(v, 'next_prio')}`,
  },
  { system: 'sched', name: 'sched_wakeup', id: 313, size: 40, fields: wakeupFields, printFmt: WAKEUP_FMT, show: wakeupShow },
  { system: 'sched', name: 'sched_wakeup_new', id: 314, size: 40, fields: wakeupFields, printFmt: WAKEUP_FMT, show: wakeupShow },
  // try_to_wake_up's first tracepoint: defined, never hit (the bundled kernel's tasks never sleep; a new task has only wakeup_new)
  { system: 'sched', name: 'sched_waking', id: 315, size: 40, fields: wakeupFields, printFmt: WAKEUP_FMT, show: wakeupShow },
];

/** The event called system:name, if any. */
export function findEventCall(system: string, name: string): TraceEventCall | undefined {
  return EVENT_CALLS.find((c) => c.system === system && c.name === name);
}

/** A field's name without its [N]. */
export function fieldName(fl: EventField): string {
  const k = fl.name.indexOf('[');
  return k < 0 ? fl.name : fl.name.slice(0, k);
}

/** The event's `format` file (event_format_show / f_show). */
export function formatText(c: TraceEventCall): string {
  const line = (fl: EventField): string => {
    return `\tfield:${fl.type} ${fl.name};\toffset:${fl.offset};\tsize:${fl.size};\tsigned:${fl.signed ? 1 : 0};\n`;
  };
  return `name: ${c.name}\nID: ${c.id}\nformat:\n` + COMMON_FIELDS.map(line).join('') + '\n' + c.fields.map(line).join('') +
    `\nprint fmt: ${c.printFmt}\n`;
}


/** The record's bytes after struct trace_entry (offset 8 on), from field values. */
export function encodeFields(c: TraceEventCall, v: FieldValues): Uint8Array {
  const out = new Uint8Array(c.size - 8);
  const dv = new DataView(out.buffer);
  for (const fl of c.fields) {
    const at = fl.offset - 8;
    const val = v[fieldName(fl)];
    if (fl.isString) {
      out.set(byteStrBytes(String(val ?? '')).subarray(0, fl.size - 1), at);
      continue;
    }
    const n = typeof val === 'bigint' ? val : BigInt(Math.trunc(Number(val ?? 0)));
    if (fl.size === 8) dv.setBigUint64(at, BigInt.asUintN(64, n), true);
    else if (fl.size === 4) dv.setUint32(at, Number(BigInt.asUintN(32, n)), true);
    else if (fl.size === 2) dv.setUint16(at, Number(BigInt.asUintN(16, n)), true);
    else dv.setUint8(at, Number(BigInt.asUintN(8, n)));
  }
  return out;
}

/** Field values back from a record's payload (trace_entry included). */
export function decodeFields(c: TraceEventCall, data: Uint8Array): Record<string, number | bigint | string> {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const v: Record<string, number | bigint | string> = {};
  for (const fl of c.fields) {
    if (fl.offset + fl.size > data.length) continue;
    if (fl.isString) {
      const b = data.subarray(fl.offset, fl.offset + fl.size);
      const z = b.indexOf(0);
      v[fieldName(fl)] = bytesByteStr(z < 0 ? b : b.subarray(0, z));
    } else if (fl.size === 8) {
      const x = fl.signed ? dv.getBigInt64(fl.offset, true) : dv.getBigUint64(fl.offset, true);
      v[fieldName(fl)] = x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
    } else if (fl.size === 4) v[fieldName(fl)] = fl.signed ? dv.getInt32(fl.offset, true) : dv.getUint32(fl.offset, true);
    else if (fl.size === 2) v[fieldName(fl)] = fl.signed ? dv.getInt16(fl.offset, true) : dv.getUint16(fl.offset, true);
    else v[fieldName(fl)] = fl.signed ? dv.getInt8(fl.offset) : dv.getUint8(fl.offset);
  }
  return v;
}

/** The stack entry's bytes: a count, then the addresses (in the buffer's number form), innermost first. */
export function encodeStack(addrs: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 + addrs.length * 8);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, addrs.length, true);
  addrs.forEach((a, i) => dv.setFloat64(8 + i * 8, a, true));
  return out;
}

function stackText(e: RawEvent, resolve: SymbolResolver): string {
  const dv = new DataView(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  const n = dv.getInt32(8, true);
  let s = '<stack trace>\n';
  for (let i = 0; i < n && 16 + i * 8 + 8 <= e.data.length; i++) s += ' => ' + resolve(dv.getFloat64(16 + i * 8, true), false).replace(/ \[[^\]]*\]$/, '') + '\n';
  return s;
}

/**
 * trace_user_stack_print: `<user stack trace>`, then ` => ` and the address for each caller up to the
 * first zero (no symbol resolution here: ftsim's tasks have no user space, so there are never frames).
 */
function userStackText(e: RawEvent): string {
  const dv = new DataView(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  let s = '<user stack trace>\n';
  for (let i = 0; i < 8 && 16 + i * 8 + 8 <= e.data.length; i++) {
    const ip = dv.getBigUint64(16 + i * 8, true);
    if (ip === 0n) break;
    s += ` => 0x${ip.toString(16)}\n`;
  }
  return s;
}

let printersRegistered = false;

/** register_trace_event for every event here (once per process: IDs are global, as in the kernel). */
export function registerEventPrinters(): void {
  if (printersRegistered) return;
  printersRegistered = true;
  for (const c of EVENT_CALLS) {
    const show = c.show;
    if (show === undefined) continue;
    registerEventPrinter(c.id, (e, resolve) => `${c.name}: ${show(decodeFields(c, e.data), resolve)}`);
  }
  registerEventPrinter(TRACE_STACK, stackText);
  registerEventPrinter(TRACE_USER_STACK, userStackText);
}
