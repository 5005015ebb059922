// The `fields` option: each event printed as its name and every field of its format (kernel/trace/trace_output.c print_event_fields, print_fields; trace_export.c's function and print entries).

import { TRACE_FN, TRACE_PRINT, type TraceEvent } from './ring_buffer.js';
import { EVENT_CALLS, FTRACE_PRINT, TRACE_STACK, TRACE_USER_STACK, fieldName, type EventField } from './trace_events_defs.js';
import type { SymbolResolver } from './trace_output.js';
import { TRACE_FUNC_REPEATS } from './trace_func_repeats.js';

/** The value of one field as print_fields shows it: by its filter type, then by its size. */
function fieldText(fl: EventField, dv: DataView, resolve: SymbolResolver, fn: boolean): string {
  if (fl.offset + fl.size > dv.byteLength) return '<OVERFLOW>';
  if (fl.isString) {
    // FILTER_STATIC_STRING / FILTER_COMM: %.*s of the field's bytes (a char[] of size 0 prints nothing)
    let s = '';
    for (let i = 0; i < fl.size; i++) {
      const c = dv.getUint8(fl.offset + i);
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }
  switch (fl.size) {
    case 1: {
      const v = dv.getUint8(fl.offset);
      return (v >= 0x20 && v < 0x7f ? `'${String.fromCharCode(v)}'` : '') + `(${v})`;
    }
    case 2: {
      const v = dv.getUint16(fl.offset, true);
      return `0x${v.toString(16)} (${v})`;
    }
    case 4: {
      const v = dv.getUint32(fl.offset, true);
      return `0x${v.toString(16)} (${v | 0})`;
    }
    case 8: {
      const v = dv.getBigUint64(fl.offset, true);
      // FILTER_TRACE_FN (__field_fn): %pS
      if (fn) return resolve(Number(BigInt.asIntN(64, v)), true);
      return `0x${v.toString(16)} (${BigInt.asIntN(64, v)})`;
    }
    default:
      return '<INVALID-SIZE>';
  }
}

/** The fields of the function entry (struct ftrace_entry): ip, parent_ip, both __field_fn. */
const FUNCTION_FIELDS: readonly EventField[] = [
  { type: 'unsigned long', name: 'ip', offset: 8, size: 8, signed: false, isString: false },
  { type: 'unsigned long', name: 'parent_ip', offset: 16, size: 8, signed: false, isString: false },
];

/** An unsigned long into 8 little-endian bytes at `at`. */
function putULong(dv: DataView, at: number, v: number): void {
  dv.setBigUint64(at, BigInt.asUintN(64, BigInt(Math.trunc(v))), true);
}

/**
 * print_event_fields: `name:` then ` field=value` for each field, newline-terminated; undefined for an
 * entry whose printer stays the default (the stack trace entry, the graph entries). The fields are
 * walked in list order, and __trace_define_field adds each at the head of the list (list_add), so they
 * print last-defined first.
 */
export function fieldsText(e: TraceEvent, resolve: SymbolResolver): string | undefined {
  let name: string;
  let fields: readonly EventField[];
  let dv: DataView;
  let fn = false;
  if (e.type === TRACE_FN) {
    name = 'function';
    fields = FUNCTION_FIELDS;
    fn = true;
    dv = new DataView(new ArrayBuffer(24));
    putULong(dv, 8, e.ip);
    putULong(dv, 16, e.parentIp);
  } else if (e.type === TRACE_PRINT) {
    name = FTRACE_PRINT.name;
    fields = FTRACE_PRINT.fields;
    dv = new DataView(new ArrayBuffer(16));
    putULong(dv, 8, e.ip);
  } else if (e.type === 0 && e.id !== TRACE_STACK && e.id !== TRACE_USER_STACK && e.id !== TRACE_FUNC_REPEATS) {
    const call = EVENT_CALLS.find((c) => c.id === e.id);
    if (call === undefined) return `UNKNOWN TYPE ${e.id}\n`;
    name = call.name;
    fields = call.fields;
    dv = new DataView(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  } else {
    return undefined;
  }
  let s = `${name}:`;
  if (fields.length === 0) return s + 'No fields found\n';
  for (let i = fields.length - 1; i >= 0; i--) s += ` ${fieldName(fields[i])}=` + fieldText(fields[i], dv, resolve, fn);
  return s + '\n';
}
