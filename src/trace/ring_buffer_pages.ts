// Ring-buffer pages in the kernel's binary form, as trace_pipe_raw / snapshot_raw hand them out (struct buffer_data_page, struct ring_buffer_event, ring_buffer_read_page); mirrors kernel/trace/ring_buffer.c.
//
// A page is `u64 time_stamp; local_t commit; data[4080]`, little-endian. Each event is a 4-byte header
// (type_len:5 low bits, time_delta:27 high bits) then its data: type_len 1..28 = data of type_len*4 bytes;
// 0 = the data length in array[0], data after it; 29 = padding (time_delta 0: the rest of the page is
// empty; else a discarded event of array[0] bytes after the header, its delta ignored); 30 = time extend
// (delta = time_delta + array[0] << 27); 31 = absolute time stamp (same encoding). commit's bit 31 says
// events were lost before this page, bit 30 that their count is stored (a long) right after the data.
//
// The pages are built from the ring buffer's decoded events (ftsim keeps addresses as signed doubles
// inside its own pages; these pages hold them as the kernel's unsigned longs), so every payload matches
// the event's `format` file byte for byte.

import { byteStrBytes } from './bytestr.js';
import {
  BUF_PAGE_HDR_SIZE, BUF_PAGE_SIZE, PAGE_SIZE, RB_EVNT_HDR_SIZE, RB_MAX_SMALL_DATA,
  TRACE_FN, TRACE_STACK, TRACE_GRAPH_ENT, TRACE_GRAPH_RETADDR_ENT, TRACE_GRAPH_RET, TRACE_PRINT, TRACE_RAW_EVENT, GRAPH_RETADDR_ENT_PAYLOAD, eventLength,
  type RingBuffer, type TraceEvent,
} from './ring_buffer.js';

export const RINGBUF_TYPE_PADDING = 29;
export const RINGBUF_TYPE_TIME_EXTEND = 30;
export const RINGBUF_TYPE_TIME_STAMP = 31;
export const RB_MISSED_EVENTS = 0x80000000;
export const RB_MISSED_STORED = 0x40000000;
const TS_SHIFT = 27n;
const TS_MASK = (1n << TS_SHIFT) - 1n;

/** An address (ftsim's signed-double form) as the kernel's unsigned long. */
export function addrU64(a: number): bigint {
  return BigInt.asUintN(64, BigInt(Math.trunc(a)));
}

/** The payload of one event as the kernel stores it: struct trace_entry, then the fields at their format offsets. */
export function encodePayload(e: TraceEvent): Uint8Array {
  let out: Uint8Array;
  const hdr = (size: number, type: number): DataView => {
    out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, type, true);
    out[2] = e.flags;
    out[3] = e.preemptCount;
    dv.setInt32(4, e.pid, true);
    return dv;
  };
  switch (e.type) {
    case TRACE_FN: {
      const dv = hdr(24, TRACE_FN);
      dv.setBigUint64(8, addrU64(e.ip), true);
      dv.setBigUint64(16, addrU64(e.parentIp), true);
      break;
    }
    case TRACE_GRAPH_ENT: {
      if (e.retaddr !== undefined) {
        // fgraph_retaddr_ent_entry, packed: func at 8, depth at 16, retaddr at 20
        const dv = hdr(GRAPH_RETADDR_ENT_PAYLOAD, TRACE_GRAPH_RETADDR_ENT);
        dv.setBigUint64(8, addrU64(e.func), true);
        dv.setUint32(16, e.depth, true);
        dv.setBigUint64(20, addrU64(e.retaddr), true);
        break;
      }
      const dv = hdr(24, TRACE_GRAPH_ENT);
      dv.setBigUint64(8, addrU64(e.func), true);
      dv.setInt32(16, e.depth, true);
      break;
    }
    case TRACE_GRAPH_RET: {
      const dv = hdr(48, TRACE_GRAPH_RET);
      dv.setBigUint64(8, addrU64(e.func), true);
      dv.setBigUint64(16, addrU64(e.retval), true);
      dv.setInt32(24, e.depth, true);
      dv.setUint32(28, e.overrun >>> 0, true);
      dv.setBigUint64(32, BigInt(Math.trunc(e.calltime)), true);
      dv.setBigUint64(40, BigInt(Math.trunc(e.rettime)), true);
      break;
    }
    case TRACE_PRINT: {
      const t = byteStrBytes(e.text);
      const dv = hdr(16 + t.length + 1, TRACE_PRINT);
      dv.setBigUint64(8, addrU64(e.ip), true);
      out!.set(t, 16);
      break;
    }
    case TRACE_RAW_EVENT: {
      out = e.data.slice();
      if (e.id === TRACE_STACK && out.length >= 16) {
        // struct stack_entry: int size; unsigned long caller[size]
        const dv = new DataView(out.buffer);
        for (let o = 16; o + 8 <= out.length; o += 8) dv.setBigUint64(o, addrU64(dv.getFloat64(o, true)), true);
      }
      break;
    }
  }
  return out!;
}

/** One event to put in a page: its time and payload (type TRACE_RAW_EVENT-free: the payload carries the type). */
export interface PageEvent {
  ts: bigint;
  payload: Uint8Array;
  /** Write it as a discarded event (padding with a length) instead. */
  discarded?: boolean;
}

/** Builds one page: events are appended while they fit in `limit` bytes of data (ring_buffer_read_page's `len`). */
export class PageWriter {
  readonly page = new Uint8Array(PAGE_SIZE);
  private readonly dv = new DataView(this.page.buffer);
  private commit = 0;
  private last: bigint | null = null;
  count = 0;
  constructor(private readonly limit = BUF_PAGE_SIZE) {}

  /** Bytes this event would take after the previous one (time extend included). */
  private need(e: PageEvent): { ext: number; len: number } {
    const len = eventLength(e.payload.length);
    const delta = this.last === null ? 0n : e.ts - this.last;
    // a discarded event's delta is ignored by readers, so it needs no time extend
    return { ext: !e.discarded && (delta < 0n || delta > TS_MASK) ? 8 : 0, len };
  }

  /** Append `e`; false (nothing written) when it does not fit. */
  add(e: PageEvent): boolean {
    const { ext, len } = this.need(e);
    if (this.commit + ext + len > this.limit) return false;
    let at = BUF_PAGE_HDR_SIZE + this.commit;
    if (this.last === null) this.dv.setBigUint64(0, e.ts, true);
    let delta = this.last === null ? 0n : e.ts - this.last;
    if (ext) {
      const abs = delta < 0n;
      const v = abs ? e.ts : delta;
      this.dv.setUint32(at, Number(((v & TS_MASK) << 5n) | BigInt(abs ? RINGBUF_TYPE_TIME_STAMP : RINGBUF_TYPE_TIME_EXTEND)), true);
      this.dv.setUint32(at + 4, Number((v >> TS_SHIFT) & 0xffffffffn), true);
      at += 8;
      delta = 0n;
    }
    const n = e.payload.length;
    if (e.discarded) {
      // rb_event_discard: padding whose array[0] is the length after the header; its delta is ignored
      this.dv.setUint32(at, (1 << 5) | RINGBUF_TYPE_PADDING, true);
      this.dv.setUint32(at + 4, len - RB_EVNT_HDR_SIZE, true);
    } else if (n > RB_MAX_SMALL_DATA || n === 0) {
      this.dv.setUint32(at, Number(delta << 5n), true);
      this.dv.setUint32(at + 4, n, true);
      this.page.set(e.payload, at + 8);
    } else {
      this.dv.setUint32(at, Number((delta << 5n) | BigInt((len - RB_EVNT_HDR_SIZE) >> 2)), true);
      this.page.set(e.payload, at + 4);
    }
    this.commit += ext + len;
    if (!e.discarded) this.last = e.ts;
    this.count++;
    return true;
  }

  /** Close the page: commit, and the lost-events flags (the count stored after the data when it fits). */
  finish(missed = 0): Uint8Array {
    let commit = this.commit;
    let flags = 0;
    if (missed > 0) {
      if (BUF_PAGE_SIZE - commit >= 8) {
        this.dv.setBigUint64(BUF_PAGE_HDR_SIZE + commit, BigInt(missed), true);
        flags |= RB_MISSED_STORED;
        commit += 8;
      }
      flags |= RB_MISSED_EVENTS;
    }
    this.dv.setUint32(8, (commit | flags) >>> 0, true);
    this.dv.setUint32(12, 0, true);
    return this.page;
  }
}

/** A decoded event of a page: absolute time (page time_stamp + deltas) and its payload. */
export interface DecodedEvent {
  ts: bigint;
  payload: Uint8Array;
}
export interface DecodedPage {
  timeStamp: bigint;
  /** Bytes of events (flags removed). */
  commit: number;
  missedEvents: boolean;
  /** The stored count of lost events, if stored. */
  missed: bigint | null;
  events: DecodedEvent[];
  /** Discarded events (padding with a length) passed over. */
  discarded: number;
}

/** Parse a page as libtraceevent's kbuffer does; throws on a malformed one. */
export function decodePage(page: Uint8Array): DecodedPage {
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const timeStamp = dv.getBigUint64(0, true);
  const raw = dv.getUint32(8, true);
  const missedEvents = (raw & RB_MISSED_EVENTS) !== 0;
  const stored = (raw & RB_MISSED_STORED) !== 0;
  let commit = raw & 0x3fffffff;
  let missed: bigint | null = null;
  if (stored) {
    commit -= 8;
    missed = dv.getBigUint64(BUF_PAGE_HDR_SIZE + commit, true);
  }
  if (commit > BUF_PAGE_SIZE) throw new Error(`page: commit ${commit} past the page`);
  const events: DecodedEvent[] = [];
  let ts = timeStamp;
  let off = 0;
  let discarded = 0;
  while (off < commit) {
    const at = BUF_PAGE_HDR_SIZE + off;
    const h = dv.getUint32(at, true);
    const typeLen = h & 31;
    const delta = BigInt(h >>> 5);
    if (typeLen === RINGBUF_TYPE_PADDING) {
      if (delta === 0n) break;
      const len = dv.getUint32(at + 4, true);
      off += RB_EVNT_HDR_SIZE + len;
      discarded++;
      continue;
    }
    if (typeLen === RINGBUF_TYPE_TIME_EXTEND || typeLen === RINGBUF_TYPE_TIME_STAMP) {
      const v = delta | (BigInt(dv.getUint32(at + 4, true)) << TS_SHIFT);
      ts = typeLen === RINGBUF_TYPE_TIME_STAMP ? v : ts + v;
      off += 8;
      continue;
    }
    ts += delta;
    let data: number;
    let n: number;
    if (typeLen === 0) {
      n = dv.getUint32(at + 4, true);
      data = at + 8;
      off += (8 + n + 3) & ~3;
    } else {
      n = typeLen * 4;
      data = at + 4;
      off += 4 + n;
    }
    if (data + n > BUF_PAGE_HDR_SIZE + commit) throw new Error(`page: event at ${at} runs past commit`);
    events.push({ ts, payload: page.slice(data, data + n) });
  }
  return { timeStamp, commit, missedEvents, missed, events, discarded };
}

/**
 * ring_buffer_read_page for one CPU: consume the oldest unread events of `rb` into a new page, as many
 * as fit in `len` - 16 bytes; null when the CPU has none (or `len` cannot hold the page header).
 */
export function readPage(rb: RingBuffer, cpu: number, len = PAGE_SIZE): Uint8Array | null {
  if (len < BUF_PAGE_HDR_SIZE) return null;
  const limit = Math.min(len, PAGE_SIZE) - BUF_PAGE_HDR_SIZE;
  const reader = rb.consumer(cpu);
  const w = new PageWriter(limit);
  let missed = 0;
  for (;;) {
    const e = reader.peek(cpu);
    if (e === undefined) break;
    if (!w.add({ ts: BigInt(Math.trunc(e.ts)), payload: encodePayload(e) })) break;
    reader.next();
    if (w.count === 1) missed = reader.lostEvents;
  }
  if (w.count === 0) return null;
  return w.finish(missed);
}
