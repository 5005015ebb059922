// What a trace array's control files keep besides its buffer and tracer: clock, snapshot (max) buffer, cpumask, markers, open files, error_log (struct trace_array's fields in kernel/trace/trace.h, tracing_on and tracing_log_err in trace.c).

import { RingBuffer } from '../ring_buffer.js';
import type { TraceArray } from '../trace_functions.js';
import { ERROR_LOG_MAX, type ErrorLogEntry } from './control_util.js';

export interface ControlState {
  /** The snapshot (max) buffer once `echo 1 > snapshot` allocated it. */
  snapshot: RingBuffer | null;
  /** tracing_cpumask, one bit per CPU. */
  cpumask: bigint;
  /** The markers option: trace_marker writes are taken. */
  markers: boolean;
  /** Open trace_pipe readers (tr->trace_ref): current_tracer cannot change meanwhile. */
  pipeReaders: number;
  /** Files of this trace array open now (tr->ref - 1): an instance cannot be removed meanwhile. */
  refs: number;
  errors: ErrorLogEntry[];
  /** The top level's instances (set by instances/), for trace_marker's copies. */
  instances?: () => TraceArray[];
}

const states = new WeakMap<TraceArray, ControlState>();

/** The control state of a trace array, made on first use. */
export function controlState(tr: TraceArray): ControlState {
  let s = states.get(tr);
  if (s === undefined) {
    const n = tr.kernel.cpus.length;
    s = { snapshot: null, cpumask: (1n << BigInt(n)) - 1n, markers: true, pipeReaders: 0, refs: 0, errors: [] };
    states.set(tr, s);
  }
  return s;
}

/** tracer_tracing_on / tracer_tracing_off: start or stop recording into the buffer; the tracer stays registered. */
export function setTracingOn(tr: TraceArray, on: boolean): void {
  tr.buffer.setRecording(on);
}

/** tracer_tracing_is_on. */
export function tracingIsOn(tr: TraceArray): boolean {
  return tr.buffer.isRecording();
}

/** The time an error_log entry or a marker carries: the machine's clock (CPU 0's synchronized counter, ns). */
export function traceClockNow(tr: TraceArray): number {
  return tr.kernel.cpus[0].now();
}

/**
 * tracing_log_err: add an entry to the trace array's error_log (the oldest of more than 8 goes). `pos` is
 * the column of the command the caret points at. Others' files (filters, triggers, events) call this.
 */
export function logError(tr: TraceArray, location: string, error: string, command: string, pos: number): void {
  const s = controlState(tr);
  s.errors.push({ ts: traceClockNow(tr), location, error, command, pos: Math.max(0, Math.min(pos, command.length)) });
  while (s.errors.length > ERROR_LOG_MAX) s.errors.shift();
}

/** alloc_snapshot: a max buffer the size of the main one (per CPU), empty, with the same overwrite mode. */
export function allocSnapshot(tr: TraceArray): RingBuffer {
  const s = controlState(tr);
  if (s.snapshot === null) {
    const rb = tr.buffer;
    const cpus = tr.kernel.cpus;
    s.snapshot = new RingBuffer({ nrCpus: rb.nrCpus, sizeKb: rb.sizeKb(0), overwrite: rb.overwrite, clock: (c) => cpus[c].now() });
    for (let c = 1; c < rb.nrCpus; c++) if (rb.sizeKb(c) !== rb.sizeKb(0)) s.snapshot.resize(rb.sizeKb(c), c);
  }
  return s.snapshot;
}

/** free_snapshot. */
export function freeSnapshot(tr: TraceArray): void {
  controlState(tr).snapshot = null;
}
