// The `trace` text's alternative layouts: raw, hex and bin lines, printk-msg-only, the TGID column and the latency format (kernel/trace/trace.c print_raw_fmt/print_hex_fmt/print_bin_fmt, print_trace_header, print_lat_help_header; trace_output.c trace_fn_raw/hex/bin, trace_nop_print, lat_print_generic, lat_print_timestamp).

import { TRACE_FUNC_REPEATS, decodeRepeats } from './trace_func_repeats.js';
import { TRACE_FN, TRACE_GRAPH_ENT, TRACE_GRAPH_RET, TRACE_PRINT, type TraceEvent } from './ring_buffer.js';

/** struct trace_entry's type of an event: TRACE_FN, TRACE_PRINT..., or a trace event's ID. */
export function entryType(e: TraceEvent): number {
  return e.type === 0 ? e.id : e.type;
}

/** An unsigned long as the kernel holds it (the buffer stores addresses as signed doubles). */
function ulong(v: number): bigint {
  return BigInt.asUintN(64, BigInt(Math.trunc(v)));
}

/** trace_seq_putmem_hex of a little-endian field of `size` bytes: the digits most significant first, then a space. */
function hexField(v: bigint, size: number): string {
  return BigInt.asUintN(size * 8, v).toString(16).padStart(size * 2, '0') + ' ';
}

/** trace_seq_putmem of a little-endian field, as latin1 characters (one per byte). */
function binField(v: bigint, size: number): string {
  let s = '';
  let x = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) {
    s += String.fromCharCode(Number(x & 0xffn));
    x >>= 8n;
  }
  return s;
}

/** trace_nop_print: what an event without its own raw/hex/binary function prints. */
function nopPrint(e: TraceEvent): string {
  return `type: ${entryType(e)}\n`;
}

/** print_raw_fmt: `pid cpu ts ` (under context-info), then the event's raw function. */
export function rawLine(e: TraceEvent, contextInfo: boolean): string {
  const ctx = contextInfo ? `${e.pid} ${e.cpu} ${e.ts} ` : '';
  switch (e.type) {
    case TRACE_FN: return ctx + `${ulong(e.ip).toString(16)} ${ulong(e.parentIp).toString(16)}\n`;
    case TRACE_PRINT: return ctx + `# ${ulong(e.ip).toString(16)} ${e.text}`;
    default: {
      if (e.type === 0 && e.id === TRACE_FUNC_REPEATS) {
        // trace_func_repeats_raw: "%lu %lu %u %llu"
        const r = decodeRepeats(e.data);
        return ctx + `${ulong(r.ip)} ${ulong(r.parentIp)} ${r.count} ${r.delta}\n`;
      }
      return ctx + nopPrint(e);
    }
  }
}

/** print_hex_fmt: pid, cpu, ts as hex fields (under context-info), the event's hex function, then a newline. */
export function hexLine(e: TraceEvent, contextInfo: boolean): string {
  let s = contextInfo ? hexField(BigInt(e.pid), 4) + hexField(BigInt(e.cpu), 4) + hexField(BigInt(e.ts), 8) : '';
  if (e.type === TRACE_FN) s += hexField(ulong(e.ip), 8) + hexField(ulong(e.parentIp), 8);
  else s += nopPrint(e);
  return s + '\n';
}

/** print_bin_fmt: pid, cpu, ts in binary (under context-info), then the event's binary function. */
export function binLine(e: TraceEvent, contextInfo: boolean): string {
  let s = contextInfo ? binField(BigInt(e.pid), 4) + binField(BigInt(e.cpu), 4) + binField(BigInt(e.ts), 8) : '';
  if (e.type === TRACE_FN) s += binField(ulong(e.ip), 8) + binField(ulong(e.parentIp), 8);
  else s += nopPrint(e);
  return s;
}

/** The graph entries print through the graph tracer; these are the types the generic layouts know. */
export function isGraphEntry(e: TraceEvent): boolean {
  return e.type === TRACE_GRAPH_ENT || e.type === TRACE_GRAPH_RET;
}

/** trace_print_context's TGID column under record-tgid: `(%7d) `, `(-------) ` when unknown. */
export function tgidColumn(tgid: number | undefined): string {
  return tgid === undefined || tgid === 0 ? '(-------) ' : `(${String(tgid).padStart(7)}) `;
}

/** print_func_help_header_irq with and without record-tgid. */
export function irqHelpHeader(tgid: boolean): string {
  const sp = ' '.repeat(tgid ? 12 : 2);
  const pre = '#                            ' + sp;
  return pre + '  _-----=> irqs-off/BH-disabled\n' +
    pre + ' / _----=> need-resched\n' +
    pre + '| / _---=> hardirq/softirq\n' +
    pre + '|| / _--=> preempt-depth\n' +
    pre + '||| / _-=> migrate-disable\n' +
    pre + '|||| /     delay\n' +
    '#           TASK-PID  ' + (tgid ? '     TGID   ' : '  ') + ' CPU#  |||||  TIMESTAMP  FUNCTION\n' +
    '#              | |    ' + (tgid ? '       |    ' : '  ') + '   |   |||||     |         |\n';
}

/** print_func_help_header (noirq-info) with and without record-tgid. */
export function plainHelpHeader(tgid: boolean): string {
  return '#           TASK-PID    ' + (tgid ? '   TGID   ' : '') + ' CPU#     TIMESTAMP  FUNCTION\n' +
    '#              | |      ' + (tgid ? '     |    ' : '') + '   |         |         |\n';
}

/** print_lat_help_header (latency-format without verbose). */
export const LAT_HELP_HEADER =
  '#                    _------=> CPU#            \n' +
  '#                   / _-----=> irqs-off/BH-disabled\n' +
  '#                  | / _----=> need-resched    \n' +
  '#                  || / _---=> hardirq/softirq \n' +
  '#                  ||| / _--=> preempt-depth   \n' +
  '#                  |||| / _-=> migrate-disable \n' +
  '#                  ||||| /     delay           \n' +
  '#  cmd     pid     |||||| time  |   caller     \n' +
  '#     \\   /        ||||||  \\    |    /       \n';

/**
 * print_trace_header: the latency block. The function tracer keeps no max latency (saved_latency 0,
 * no task saved: comm empty, pid 0), CPU#0 is the buffer's cpu field, the preemption model is the
 * guest's (it has no preempt_disable: "server", CONFIG_PREEMPT_NONE).
 */
export function latencyTraceHeader(tracer: string, release: string, entries: number, written: number, nrCpus: number): string {
  return `# ${tracer} latency trace v1.1.5 on ${release}\n` +
    '# --------------------------------------------------------------------\n' +
    `# latency: 0 us, #${entries}/${written}, CPU#0 | (M:server VP:0, KP:0, SP:0 HP:0 #P:${nrCpus})\n` +
    '#    -----------------\n' +
    '#    | task: -0 (uid:0 nice:0 policy:0 rt_prio:0)\n' +
    '#    -----------------\n' +
    '#\n';
}

/** trace_find_mark: the delay mark of a gap of `d` ns. */
export function traceFindMark(d: number): string {
  if (d > 1e9) return '$';
  if (d > 1e8) return '@';
  if (d > 1e7) return '*';
  if (d > 1e6) return '#';
  if (d > 1e5) return '!';
  if (d > 1e4) return '+';
  return ' ';
}

/** ns2usecs: ns to µs, rounded to the nearest. */
function usecs(ns: number): number {
  return Math.floor((ns + 500) / 1000);
}

/** lat_print_timestamp (clock in ns): ` %4lldus%c: `, or verbose `[%08llx] %ld.%03ldms (+%ld.%03ldms): `. */
export function latTimestamp(ts: number, nextTs: number, timeStart: number, verbose: boolean): string {
  const abs = usecs(ts - timeStart);
  const rel = usecs(nextTs - ts);
  if (verbose) {
    return `[${usecs(ts).toString(16).padStart(8, '0')}] ${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}ms ` +
      `(+${Math.floor(rel / 1000)}.${String(rel % 1000).padStart(3, '0')}ms): `;
  }
  return ' ' + String(abs).padStart(4) + 'us' + traceFindMark(rel * 1000) + ': ';
}

/** lat_print_generic's start (`%8.8s-%-7d %3d`) or the verbose columns (`%16s %7d %3d %d %08x %08lx `). */
export function latContextStart(comm: string, e: TraceEvent, idx: number, verbose: boolean): string {
  if (verbose) {
    return comm.padStart(16) + ' ' + String(e.pid).padStart(7) + ' ' + String(e.cpu).padStart(3) + ' ' + e.flags + ' ' +
      (e.preemptCount & 0xf).toString(16).padStart(8, '0') + ' ' + idx.toString(16).padStart(8, '0') + ' ';
  }
  return comm.slice(0, 8).padStart(8) + '-' + String(e.pid).padEnd(7) + ' ' + String(e.cpu).padStart(3);
}
