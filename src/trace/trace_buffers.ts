// A trace array's ring buffer size: the minimal boot buffer, its expansion on first use, resizes and the buffer_size_kb texts (kernel/trace/trace.c: tracer_alloc_buffers, __tracing_resize_ring_buffer, tracing_update_buffers, tracing_entries_read, tracing_total_entries_read).
//
// Linux boots with the top-level buffer at its minimum (ring_buffer_expanded false: tracer_alloc_buffers
// asks ring_buffer_alloc for 1 byte, which rounds up to 2 pages per CPU, 2 * 4080 bytes = 7 KB) and grows
// it to trace_buf_size when something is about to use it: a current_tracer write (tracing_set_tracer, even
// of an unknown name or of the tracer already set), an event enable (event_enable_write, system_enable_write,
// set_event writes), a set_event_pid write, a snapshot write. A buffer_size_kb or free_buffer write sizes it
// as asked and marks it expanded too. Growing keeps what the buffer holds (ring_buffer_resize adds pages).
// Instances are made expanded.

import { ENOMEM } from '../ftrace/arch.js';
import { BUF_PAGE_SIZE } from './ring_buffer.js';
import type { TraceArray } from './trace_functions.js';
import { controlState } from './tracefs/control_state.js';

/** ring_buffer_alloc's floor: fewer than 2 pages per CPU are never allocated. */
export const RB_MIN_PAGES = 2;
/** What buffer_size_kb reads for the boot buffer: entries = ring_buffer_size (2 pages of 4080 bytes) >> 10 = 7. */
export const MINIMAL_BUFFER_KB = Math.floor((RB_MIN_PAGES * BUF_PAGE_SIZE) / 1024);
/** The largest per-CPU size ftsim allocates (larger is -ENOMEM, as a failed ring_buffer_resize). */
export const MAX_BUFFER_KB = 1 << 20;

/** CPUs whose buffer is still the boot one: their entries are 2 * 4080 bytes, not a whole number of KB. */
const bootSized = new WeakMap<TraceArray, Set<number>>();

/** tracer_alloc_buffers without ring_buffer_expanded: every CPU of `tr` holds the 2-page minimum. */
export function markBootSized(tr: TraceArray): void {
  bootSized.set(tr, new Set(Array.from({ length: tr.buffer.nrCpus }, (_, c) => c)));
}

/** trace_array_cpu.entries in bytes: what the kernel compares when it decides between a size and `X`. */
function entriesBytes(tr: TraceArray, cpu: number): number {
  return bootSized.get(tr)?.has(cpu) ? RB_MIN_PAGES * BUF_PAGE_SIZE : tr.buffer.sizeKb(cpu) * 1024;
}

/**
 * __tracing_resize_ring_buffer: mark the array expanded (the size asked for is kept from now on, even when
 * the resize fails), then resize its buffer on every CPU or one, and the snapshot buffer with it when one
 * is allocated. Returns 0 or -ENOMEM (the sizes stay as they were).
 */
export function tracingResizeRingBuffer(tr: TraceArray, kb: number, cpu?: number): number {
  tr.ringBufferExpanded = true;
  if (kb > MAX_BUFFER_KB) return -ENOMEM;
  try {
    tr.buffer.resize(kb, cpu);
    controlState(tr).snapshot?.resize(kb, cpu);
  } catch (e) {
    if (e instanceof RangeError) return -ENOMEM;
    throw e;
  }
  const boot = bootSized.get(tr);
  if (cpu === undefined) boot?.clear();
  else boot?.delete(cpu);
  return 0;
}

/**
 * tracing_update_buffers: before first use, grow the array's buffer on every CPU to trace_buf_size
 * (keeping its events); once expanded, nothing. Returns 0 or -ENOMEM.
 */
export function tracingUpdateBuffers(tr: TraceArray): number {
  if (tr.ringBufferExpanded) return 0;
  return tracingResizeRingBuffer(tr, tr.traceBufSizeKb);
}

/**
 * tracing_entries_read: per_cpu/cpuN/buffer_size_kb is that CPU's size; buffer_size_kb is the size when
 * every CPU has the same, `X` when not, followed by ` (expanded: trace_buf_size)` until the array expands.
 */
export function showBufferSizeKb(tr: TraceArray, cpu?: number): string {
  const rb = tr.buffer;
  if (cpu !== undefined) return `${rb.sizeKb(cpu)}\n`;
  // the bytes of the first CPU with a non-zero size, as the kernel's "if (size == 0)" takes it
  let size = 0;
  for (let c = 0; c < rb.nrCpus; c++) {
    const s = entriesBytes(tr, c);
    if (size === 0) size = s;
    if (s !== size) return 'X\n';
  }
  const kb = Math.floor(size / 1024);
  return tr.ringBufferExpanded ? `${kb}\n` : `${kb} (expanded: ${tr.traceBufSizeKb})\n`;
}

/** tracing_total_entries_read: the sum over CPUs, and the sum trace_buf_size would make until the array expands. */
export function showBufferTotalSizeKb(tr: TraceArray): string {
  const rb = tr.buffer;
  let size = 0;
  for (let c = 0; c < rb.nrCpus; c++) size += rb.sizeKb(c);
  if (tr.ringBufferExpanded) return `${size}\n`;
  return `${size} (expanded: ${tr.traceBufSizeKb * rb.nrCpus})\n`;
}
