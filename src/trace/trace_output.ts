// The text of `trace`, `trace_pipe` and per_cpu stats, byte for byte as the kernel prints it; mirrors kernel/trace/trace_output.c, trace.c's headers and trace_functions_graph.c.

import {
  TRACE_FN, TRACE_GRAPH_ENT, TRACE_GRAPH_RET, TRACE_PRINT, TRACE_RAW_EVENT,
  TRACE_FLAG_BH_OFF, TRACE_FLAG_HARDIRQ, TRACE_FLAG_IRQS_OFF, TRACE_FLAG_NEED_RESCHED,
  TRACE_FLAG_NEED_RESCHED_LAZY, TRACE_FLAG_NMI, TRACE_FLAG_PREEMPT_RESCHED, TRACE_FLAG_SOFTIRQ,
  type EventCommon, type RawEvent, type RingBuffer, type RingBufferCpuStats,
  type TraceEvent, type TraceReader,
} from './ring_buffer.js';
import { GraphPrinter } from './trace_output_graph.js';
import { fieldsText } from './trace_output_fields.js';
import { TRACE_FUNC_REPEATS, decodeRepeats } from './trace_func_repeats.js';
import {
  LAT_HELP_HEADER, binLine, hexLine, irqHelpHeader, latContextStart, latTimestamp, latencyTraceHeader, plainHelpHeader, rawLine, tgidColumn,
} from './trace_output_fmt.js';

/**
 * Address to symbol text, as the kernel's %ps (`withOffset` false: "name") and %pS (`withOffset`
 * true: "name+0xoff/0xsize"). An address with no symbol should come back as hex ("0x…").
 */
export type SymbolResolver = (addr: number, withOffset: boolean) => string;

/** The trace_options that change the text (defaults as in the kernel). */
export interface TraceTextOptions {
  printParent: boolean;
  symOffset: boolean;
  symAddr: boolean;
  contextInfo: boolean;
  irqInfo: boolean;
  annotate: boolean;
  verbose: boolean;
  raw: boolean;
  hex: boolean;
  bin: boolean;
  /** trace_printk: with printk-msg-only, print events show their message alone. */
  printk: boolean;
  printkMsgOnly: boolean;
  latencyFormat: boolean;
  recordTgid: boolean;
  /** fields: print_event_fields instead of the event's own printer. */
  fields: boolean;
}

/** function_graph's own options (funcgraph-*), defaults as in the kernel: cpu, overhead, duration and irqs on. */
export interface GraphOptions {
  cpu: boolean;
  overhead: boolean;
  proc: boolean;
  duration: boolean;
  abstime: boolean;
  tail: boolean;
  overrun: boolean;
  /** funcgraph-irqs: trace functions in hardirq context (the tracer reads it; off is ftrace_graph_skip_irqs). */
  irqs: boolean;
  /** funcgraph-retval / funcgraph-retval-hex: print return values (print_graph_retval). */
  retval: boolean;
  retvalHex: boolean;
  /** funcgraph-retaddr: entries are written with the caller's return address, printed ` <-caller+0x../0x..` (print_graph_retaddr). */
  retaddr: boolean;
}

export const DEFAULT_TRACE_OPTIONS: Readonly<TraceTextOptions> = {
  printParent: true, symOffset: false, symAddr: false, contextInfo: true, irqInfo: true, annotate: true,
  verbose: false, raw: false, hex: false, bin: false, printk: true, printkMsgOnly: false, latencyFormat: false, recordTgid: false, fields: false,
};
export const DEFAULT_GRAPH_OPTIONS: Readonly<GraphOptions> = {
  cpu: true, overhead: true, proc: false, duration: true, abstime: false, tail: false, overrun: false,
  irqs: true, retval: false, retvalHex: false, retaddr: false,
};

export interface OutputContext {
  /** current_tracer: 'nop', 'function', 'function_graph', ... (function_graph selects the graph layout). */
  tracer: string;
  /** Online CPUs (#P: and the width of the graph tracer's CPU column). */
  nrCpus: number;
  resolve: SymbolResolver;
  /** The saved comm of a pid (saved_cmdlines), or undefined when unknown; pid 0 is always <idle>. */
  comm: (pid: number) => string | undefined;
  options?: Partial<TraceTextOptions>;
  graph?: Partial<GraphOptions>;
  /** Only this CPU's events and figures (per_cpu/cpuN/trace); all CPUs when undefined. */
  cpu?: number;
  /** TRACE_FILE_TIME_IN_NS: the trace clock counts ns (default); false prints the raw stamp (" %12llu"). */
  timeInNs?: boolean;
  /** The saved tgid of a pid (saved_tgids), for record-tgid. */
  tgid?: (pid: number) => number | undefined;
  /** The kernel release the latency header names (UTS_RELEASE). */
  release?: string;
  /** Whether an address lies in [__irqentry_text_start, __irqentry_text_end) (function_graph's interrupt markers). */
  irqentry?: (addr: number) => boolean;
}

/** The options filled in, shared with the graph printer. */
export interface Ctx {
  tracer: string;
  nrCpus: number;
  resolve: SymbolResolver;
  comm: (pid: number) => string | undefined;
  o: TraceTextOptions;
  g: GraphOptions;
  cpuWidth: number;
  timeInNs: boolean;
  tgid: (pid: number) => number | undefined;
  irqentry: (addr: number) => boolean;
}

function fill(ctx: OutputContext): Ctx {
  return {
    tracer: ctx.tracer,
    nrCpus: ctx.nrCpus,
    resolve: ctx.resolve,
    comm: ctx.comm,
    o: { ...DEFAULT_TRACE_OPTIONS, ...ctx.options },
    g: { ...DEFAULT_GRAPH_OPTIONS, ...ctx.graph },
    cpuWidth: String(Math.max(0, ctx.nrCpus - 1)).length,
    timeInNs: ctx.timeInNs ?? true,
    tgid: ctx.tgid ?? (() => undefined),
    irqentry: ctx.irqentry ?? (() => false),
  };
}

/** An address in hex as the default resolver prints unknown ones. */
export function hexAddr(addr: number): string {
  return '0x' + BigInt.asUintN(64, BigInt(addr)).toString(16);
}

// ---- small formatters ----

export function padLeft(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}
function padRight(s: string, w: number): string {
  return s.length >= w ? s : s + ' '.repeat(w - s.length);
}

/** trace_find_cmdline: <idle> for pid 0, <...> when the comm was not saved. */
export function findComm(comm: (pid: number) => string | undefined, pid: number): string {
  if (pid === 0) return '<idle>';
  return comm(pid) ?? '<...>';
}

/** " %5lu.%06lu" of ns2usecs(ts): microseconds rounded to the nearest, then seconds and the remainder. */
export function formatTimestamp(ts: number): string {
  const us = Math.floor((ts + 500) / 1000);
  const secs = Math.floor(us / 1_000_000);
  return padLeft(String(secs), 5) + '.' + String(us % 1_000_000).padStart(6, '0');
}

/** The latency-format flags: irqs-off, need-resched, hardirq/softirq, preempt depth, migrate-disable (trace_print_lat_fmt). */
export function latencyFlags(flags: number, preemptCount: number): string {
  const bh = (flags & TRACE_FLAG_BH_OFF) !== 0;
  const irqsOff = (flags & TRACE_FLAG_IRQS_OFF) !== 0;
  const c1 = irqsOff && bh ? 'D' : irqsOff ? 'd' : bh ? 'b' : '.';
  let c2: string;
  switch (flags & (TRACE_FLAG_NEED_RESCHED | TRACE_FLAG_NEED_RESCHED_LAZY | TRACE_FLAG_PREEMPT_RESCHED)) {
    case TRACE_FLAG_NEED_RESCHED | TRACE_FLAG_NEED_RESCHED_LAZY | TRACE_FLAG_PREEMPT_RESCHED: c2 = 'B'; break;
    case TRACE_FLAG_NEED_RESCHED | TRACE_FLAG_PREEMPT_RESCHED: c2 = 'N'; break;
    case TRACE_FLAG_NEED_RESCHED_LAZY | TRACE_FLAG_PREEMPT_RESCHED: c2 = 'L'; break;
    case TRACE_FLAG_NEED_RESCHED | TRACE_FLAG_NEED_RESCHED_LAZY: c2 = 'b'; break;
    case TRACE_FLAG_NEED_RESCHED: c2 = 'n'; break;
    case TRACE_FLAG_PREEMPT_RESCHED: c2 = 'p'; break;
    case TRACE_FLAG_NEED_RESCHED_LAZY: c2 = 'l'; break;
    default: c2 = '.';
  }
  const nmi = (flags & TRACE_FLAG_NMI) !== 0;
  const hard = (flags & TRACE_FLAG_HARDIRQ) !== 0;
  const soft = (flags & TRACE_FLAG_SOFTIRQ) !== 0;
  const c3 = nmi && hard ? 'Z' : nmi ? 'z' : hard && soft ? 'H' : hard ? 'h' : soft ? 's' : '.';
  const c4 = (preemptCount & 0xf) !== 0 ? (preemptCount & 0xf).toString(16) : '.';
  const c5 = (preemptCount & 0xf0) !== 0 ? ((preemptCount >> 4) & 0xf).toString(16) : '.';
  return c1 + c2 + c3 + c4 + c5;
}

/** seq_print_ip_sym: "0" for a null address, the symbol (with offset under sym-offset), " <addr>" under sym-addr. */
export function ipSym(c: Ctx, ip: number): string {
  if (ip === 0) return '0';
  // without sym-offset seq_print_sym uses kallsyms_lookup, which leaves out a module's [name]
  let s = c.o.symOffset ? c.resolve(ip, true) : c.resolve(ip, false).replace(/ \[[^\]]*\]$/, '');
  if (c.o.symAddr) s += ' <' + BigInt.asUintN(64, BigInt(ip)).toString(16).padStart(16, '0') + '>';
  return s;
}

// ---- headers ----

/** function_graph's column header (__print_graph_headers_flags, latency format off). */
export function graphHeader(g: GraphOptions): string {
  let l1 = '#';
  let l2 = '#';
  if (g.abstime) { l1 += '     TIME       '; l2 += '      |         '; }
  if (g.cpu) { l1 += ' CPU'; l2 += ' |  '; }
  if (g.proc) { l1 += '  TASK/PID       '; l2 += '   |    |        '; }
  if (g.duration) { l1 += '  DURATION   '; l2 += '   |   |      '; }
  return l1 + '               FUNCTION CALLS\n' + l2 + '               |   |   |   |\n';
}

/** The header block of the `trace` file (s_show's first lines and the tracer's print_header). */
export function traceHeader(rb: RingBuffer, ctx: OutputContext): string {
  const c = fill(ctx);
  let s = `# tracer: ${c.tracer}\n#\n`;
  if (c.tracer === 'function_graph') {
    if (c.o.contextInfo) s += graphHeader(c.g);
    return s;
  }
  if (!c.o.contextInfo) return s;
  const { entries, written } = ctx.cpu === undefined ? rb.totalEntries()
    : { entries: rb.entries(ctx.cpu), written: rb.entries(ctx.cpu) + rb.overrun(ctx.cpu) };
  if (c.o.latencyFormat) {
    // trace_default_header: nothing for an empty buffer; the help lines only without verbose
    if (entries === 0) return s;
    s += latencyTraceHeader(c.tracer, ctx.release ?? '6.18.0', entries, written, c.nrCpus);
    return c.o.verbose ? s : s + LAT_HELP_HEADER;
  }
  s += `# entries-in-buffer/entries-written: ${entries}/${written}   #P:${c.nrCpus}\n#\n`;
  if (c.o.verbose) return s;
  return s + (c.o.irqInfo ? irqHelpHeader(c.o.recordTgid) : plainHelpHeader(c.o.recordTgid));
}

// ---- the default line format (function, nop and print events) ----

/** Prints a trace event's own text (its trace_event_functions.trace): e.g. "sched_switch: prev_comm=...". */
export type EventPrinter = (e: RawEvent, resolve: SymbolResolver) => string;
const eventPrinters = new Map<number, EventPrinter>();

/** Register how events of type `id` print (register_trace_event; the IDs are the same on every machine). */
export function registerEventPrinter(id: number, p: EventPrinter): void {
  eventPrinters.set(id, p);
}

/** trace_print_context: "comm-pid [cpu] flags timestamp: ". */
function context(c: Ctx, e: EventCommon): string {
  if (!c.o.contextInfo) return '';
  let s = padLeft(findComm(c.comm, e.pid), 16) + '-' + padRight(String(e.pid), 7) + ' ';
  if (c.o.recordTgid) s += tgidColumn(c.tgid(e.pid));
  s += '[' + String(e.cpu).padStart(3, '0') + '] ';
  if (c.o.irqInfo) s += latencyFlags(e.flags, e.preemptCount);
  return s + ' ' + (c.timeInNs ? formatTimestamp(e.ts) : String(e.ts).padStart(12)) + ': ';
}

function printText(text: string): string {
  return text.endsWith('\n') ? text : text + '\n';
}

/** One event in the default format (print_trace_fmt), newline included; `lat` is the latency context when latency-format is on. */
export function defaultLine(c: Ctx, e: TraceEvent, lat?: string): string {
  const ctx = lat ?? context(c, e);
  if (c.o.fields) {
    const f = fieldsText(e, c.resolve);
    if (f !== undefined) return ctx + f;
  }
  switch (e.type) {
    case TRACE_FN: {
      let s = ctx + ipSym(c, e.ip);
      if (c.o.printParent && e.parentIp !== 0) s += ' <-' + ipSym(c, e.parentIp);
      return s + '\n';
    }
    case TRACE_PRINT:
      return ctx + (e.ip === 0 ? 'tracing_mark_write' : ipSym(c, e.ip)) + ': ' + printText(e.text);
    case TRACE_GRAPH_ENT:
      return ctx + 'graph_ent: func=' + ipSym(c, e.func) + '\n';
    case TRACE_GRAPH_RET:
      return ctx + 'graph_ret: func=' + ipSym(c, e.func) + '\n';
    case TRACE_RAW_EVENT: {
      if (e.id === TRACE_FUNC_REPEATS) {
        // trace_func_repeats_print: print_fn_trace, then the count and the last repeat's time
        const r = decodeRepeats(e.data);
        let t = ctx + ipSym(c, r.ip);
        if (c.o.printParent && r.parentIp !== 0) t += ' <-' + ipSym(c, r.parentIp);
        return t + ` (repeats: ${r.count}, last_ts: ${formatTimestamp(e.ts - r.delta)})\n`;
      }
      const p = eventPrinters.get(e.id);
      return ctx + (p === undefined ? `Unknown type ${e.id}\n` : printText(p(e, c.resolve)));
    }
  }
}

// ---- whole files ----

function lostLine(cpu: number, lost: number): string {
  return lost > 0 ? `CPU:${cpu} [LOST ${lost} EVENTS]\n` : '';
}

/**
 * Prints the events a reader yields (print_trace_line), with lost-event lines and, when
 * `annotate`, "##### CPU N buffer started ####". Keeps the graph tracer's per-CPU state (last
 * pid, depth) between calls, as one open file does.
 */
class LinePrinter {
  private readonly graph: GraphPrinter | undefined;
  private readonly started = new Set<number>();
  private idx = 0;
  constructor(private readonly c: Ctx, private readonly annotate: boolean) {
    this.graph = c.tracer === 'function_graph' ? new GraphPrinter(c) : undefined;
  }

  /** print_trace_line after the lost-events line: printk-msg-only, bin, hex, raw, then print_trace_fmt. */
  private line(e: TraceEvent, r: TraceReader): string {
    const o = this.c.o;
    if (e.type === TRACE_PRINT && o.printk && o.printkMsgOnly) return e.text;
    if (o.bin) return binLine(e, o.contextInfo);
    if (o.hex) return hexLine(e, o.contextInfo);
    if (o.raw) return rawLine(e, o.contextInfo);
    if (!o.latencyFormat || !o.contextInfo) return defaultLine(this.c, e);
    // trace_print_lat_context: the gap to the next event (of any CPU) gives the delay mark
    let next: number | undefined;
    for (let cpu = 0; cpu < this.c.nrCpus; cpu++) {
      const n = r.peek(cpu);
      if (n !== undefined && (next === undefined || n.ts < next)) next = n.ts;
    }
    const comm = findComm(this.c.comm, e.pid);
    let lat = latContextStart(comm, e, this.idx - 1, o.verbose);
    if (!o.verbose) lat += latencyFlags(e.flags, e.preemptCount);
    lat += latTimestamp(e.ts, next ?? e.ts, 0, o.verbose);
    return defaultLine(this.c, e, lat);
  }

  print(r: TraceReader, maxEvents: number): string {
    const out: string[] = [];
    for (let n = 0; n < maxEvents; n++) {
      const e = r.next();
      if (e === undefined) break;
      this.idx++;
      let s = lostLine(e.cpu, r.lostEvents);
      if (this.graph !== undefined && e.type !== TRACE_FN) {
        s += this.graph.line(e, r);
      } else {
        if (this.annotate && !this.started.has(e.cpu)) {
          this.started.add(e.cpu);
          if (this.idx > 1) s += `##### CPU ${e.cpu} buffer started ####\n`;
        }
        s += this.line(e, r);
      }
      out.push(s);
    }
    return out.join('');
  }
}

/** The `trace` file: header and every unconsumed event, merged across CPUs; does not consume. */
export function renderTrace(rb: RingBuffer, ctx: OutputContext): string {
  const c = fill(ctx);
  let overruns = false;
  for (let i = 0; i < rb.nrCpus; i++) if (rb.overrun(i) > 0) overruns = true;
  return traceHeader(rb, ctx) + new LinePrinter(c, c.o.annotate && overruns).print(cpuReader(rb.iterator(), ctx.cpu), Infinity);
}

/** A reader restricted to one CPU's events (or the reader itself when `cpu` is undefined). */
function cpuReader(r: TraceReader, cpu: number | undefined): TraceReader {
  if (cpu === undefined) return r;
  return {
    get lostEvents() { return r.lostEvents; },
    peek: (c) => (c === cpu ? r.peek(c) : undefined),
    advance: (c) => { if (c === cpu) r.advance(c); },
    next: () => {
      const e = r.peek(cpu);
      if (e !== undefined) r.advance(cpu);
      return e;
    },
  };
}

/**
 * An open `trace_pipe` (or per_cpu/cpuN/trace_pipe with `cpu`): each read consumes and returns
 * the lines of up to `maxEvents` events (all by default), each preceded by
 * `CPU:N [LOST M EVENTS]` when the writer overwrote events since the last read on that CPU.
 * A read of an empty buffer returns '' (where the file would block).
 */
export class TracePipe {
  private readonly printer: LinePrinter;
  private readonly reader: TraceReader;
  constructor(rb: RingBuffer, ctx: OutputContext, cpu?: number) {
    this.printer = new LinePrinter(fill(ctx), false);
    this.reader = rb.consumer(cpu);
  }

  read(maxEvents = Infinity): string {
    return this.printer.print(this.reader, maxEvents);
  }
}

/** One read from a freshly opened trace_pipe (see TracePipe). */
export function readTracePipe(rb: RingBuffer, ctx: OutputContext, opts: { cpu?: number; maxEvents?: number } = {}): string {
  return new TracePipe(rb, ctx, opts.cpu).read(opts.maxEvents);
}

/** The text of per_cpu/cpuN/stats (tracing_stats_read). */
export function formatStats(s: RingBufferCpuStats, inNs = true): string {
  const ts = (t: number): string => (inNs ? formatTimestamp(t) : String(t));
  return `entries: ${s.entries}\n` +
    `overrun: ${s.overrun}\n` +
    `commit overrun: ${s.commitOverrun}\n` +
    `bytes: ${s.bytes}\n` +
    `oldest event ts: ${ts(s.oldestEventTs)}\n` +
    `now ts: ${ts(s.nowTs)}\n` +
    `dropped events: ${s.droppedEvents}\n` +
    `read events: ${s.readEvents}\n`;
}
export { durationMark, formatGraphDuration } from './trace_output_graph.js';
