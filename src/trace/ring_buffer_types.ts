// The trace ring buffer's entry types, flags, payload sizes and decoded event shapes (kernel/trace/trace.h enum trace_type and trace_entries.h, ring_buffer.c's event sizing).

export const RB_EVNT_HDR_SIZE = 4;
/** Payloads up to this size encode their length in type_len. */
export const RB_MAX_SMALL_DATA = 28 * 4;

/** struct trace_entry's `type`: kernel/trace/trace.h's enum trace_type (6.18, with CONFIG_FUNCTION_GRAPH_RETADDR). */
export const TRACE_FN = 1;
export const TRACE_CTX = 2;
export const TRACE_WAKE = 3;
export const TRACE_STACK = 4;
export const TRACE_PRINT = 5;
export const TRACE_BPRINT = 6;
export const TRACE_MMIO_RW = 7;
export const TRACE_MMIO_MAP = 8;
export const TRACE_BRANCH = 9;
export const TRACE_GRAPH_RET = 10;
export const TRACE_GRAPH_ENT = 11;
/** The entry the graph tracer writes under funcgraph-retaddr (fgraph_retaddr_ent_entry). */
export const TRACE_GRAPH_RETADDR_ENT = 12;
export const TRACE_USER_STACK = 13;
export const TRACE_BPUTS = 15;
export const TRACE_HWLAT = 16;
export const TRACE_OSNOISE = 17;
export const TRACE_TIMERLAT = 18;
export const TRACE_RAW_DATA = 19;
export const TRACE_FUNC_REPEATS = 20;
/**
 * Not a trace_entry type: the decoded kind of every other event, whose entry type is a trace event's
 * ID (the events of events/, the stack trace entry): a RawEvent carries its bytes, which the event's
 * own code decodes and prints (trace_output.ts registerEventPrinter).
 */
export const TRACE_RAW_EVENT = 0;

/** struct trace_entry's `flags` bits (include/linux/trace_events.h, enum trace_flag_type). */
export const TRACE_FLAG_IRQS_OFF = 0x01;
export const TRACE_FLAG_NEED_RESCHED_LAZY = 0x02;
export const TRACE_FLAG_NEED_RESCHED = 0x04;
export const TRACE_FLAG_HARDIRQ = 0x08;
export const TRACE_FLAG_SOFTIRQ = 0x10;
export const TRACE_FLAG_PREEMPT_RESCHED = 0x20;
export const TRACE_FLAG_NMI = 0x40;
export const TRACE_FLAG_BH_OFF = 0x80;

/** Payload sizes (struct trace_entry + the event's fields), as on x86-64. */
export const FN_PAYLOAD = 24; // ftrace_entry: ip, parent_ip
export const GRAPH_ENT_PAYLOAD = 24; // ftrace_graph_ent_entry: func, depth (+pad)
export const GRAPH_RETADDR_ENT_PAYLOAD = 28; // fgraph_retaddr_ent_entry (packed): func, depth, retaddr
export const GRAPH_RET_PAYLOAD = 48; // ftrace_graph_ret_entry: func, retval, depth, overrun, calltime, rettime
export const PRINT_HDR_PAYLOAD = 16; // print_entry: ip, then the text and its NUL

/** Bytes an event with this payload takes in a page (rb_calculate_event_length). */
export function eventLength(payload: number): number {
  let len = payload === 0 ? 1 : payload;
  if (len > RB_MAX_SMALL_DATA) len += 4;
  len += RB_EVNT_HDR_SIZE;
  return (len + 3) & ~3;
}

/** Fields every event has (struct trace_entry, plus the CPU and time the buffer knows). */
export interface EventCommon {
  /** Nanoseconds, from the CPU's clock. */
  ts: number;
  cpu: number;
  pid: number;
  /** TRACE_FLAG_* bits. */
  flags: number;
  /** Low nibble: preempt depth; high nibble: migrate-disable depth (as trace_entry.preempt_count). */
  preemptCount: number;
}
export interface FunctionEvent extends EventCommon {
  type: typeof TRACE_FN;
  ip: number;
  parentIp: number;
}
export interface GraphEntryEvent extends EventCommon {
  type: typeof TRACE_GRAPH_ENT;
  func: number;
  depth: number;
  /**
   * Present when the entry was written as TRACE_GRAPH_RETADDR_ENT (funcgraph-retaddr): the caller's
   * return address (ftrace_graph_top_ret_addr). The printers treat both entry types as a graph entry,
   * as the kernel's print_graph_function does.
   */
  retaddr?: number;
}
export interface GraphReturnEvent extends EventCommon {
  type: typeof TRACE_GRAPH_RET;
  func: number;
  depth: number;
  calltime: number;
  rettime: number;
  overrun: number;
  retval: number;
}
export interface PrintEvent extends EventCommon {
  type: typeof TRACE_PRINT;
  /** Where the text was written from; 0 stands for tracing_mark_write (the trace_marker file). */
  ip: number;
  text: string;
}
export interface RawEvent extends EventCommon {
  type: typeof TRACE_RAW_EVENT;
  /** The entry's type: the event's ID. */
  id: number;
  /** The whole payload, struct trace_entry included (fields at their format offsets). */
  data: Uint8Array;
}
export type TraceEvent = FunctionEvent | GraphEntryEvent | GraphReturnEvent | PrintEvent | RawEvent;

/** The figures of per_cpu/cpuN/stats. */
export interface RingBufferCpuStats {
  /** Events in the buffer, not yet consumed. */
  entries: number;
  /** Events lost because the writer overwrote them (overwrite mode, or a shrink). */
  overrun: number;
  commitOverrun: number;
  /** Bytes of events in the buffer, not yet consumed. */
  bytes: number;
  /** ns: the time of the oldest unconsumed event (the kernel reports its head page's stamp, a coarser figure). */
  oldestEventTs: number;
  /** ns */
  nowTs: number;
  /** Events refused because the buffer was full (no-overwrite mode). */
  droppedEvents: number;
  /** Events consumed by readers. */
  readEvents: number;
}

/** A reader over the buffer: merged by timestamp across CPUs, with same-CPU look-ahead for the graph tracer's leaf detection. */
export interface TraceReader {
  /** The next event in timestamp order (ties: the lower CPU first), or undefined at the end. */
  next(): TraceEvent | undefined;
  /** Events lost on the last returned event's CPU just before it (consuming readers only), else 0. */
  readonly lostEvents: number;
  /** The next event of this CPU, without moving. */
  peek(cpu: number): TraceEvent | undefined;
  /** Skip the next event of this CPU (after peek). */
  advance(cpu: number): void;
}
