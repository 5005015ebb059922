// The per-CPU trace ring buffer (pages of 4096 bytes, overwrite or drop, counters, readers); mirrors kernel/trace/ring_buffer.c.
//
// Each CPU owns `nrPages` pages stored back to back in one ArrayBuffer, so the memory held is
// exactly the configured size whatever the trace volume. A page is a 16-byte header (time_stamp,
// commit) and 4080 bytes of events. Each event is the kernel's 4-byte header (type_len:5,
// time_delta:27) followed by its payload; payloads of more than 112 bytes carry their length in
// an extra word; deltas that do not fit in 27 bits are preceded by an 8-byte time-extend event
// (an absolute time-stamp event when time goes backwards). Sizes are rounded to 4 bytes, as on
// x86-64. The payload starts with the kernel's `struct trace_entry` (type u16, flags u8,
// preempt_count u8, pid s32) and then the event's own fields; addresses are stored in 8 bytes
// in the machine's signed-double form.
//
// Not modelled: the separate reader page (the head page is read in place, so a full buffer
// holds nrPages pages rather than nrPages+1) and commit overruns (no writer is interrupted by
// a nested writer in the middle of a commit here, so `commitOverrun` stays 0).

export const PAGE_SIZE = 4096;
/** struct buffer_data_page: u64 time_stamp + local_t commit. */
export const BUF_PAGE_HDR_SIZE = 16;
/** Bytes of events per page. */
export const BUF_PAGE_SIZE = PAGE_SIZE - BUF_PAGE_HDR_SIZE;
/** The largest event payload a page takes (ring_buffer_max_event_size: the page less a big event's two header words). */
export const RB_MAX_DATA_SIZE = BUF_PAGE_SIZE - 2 * 4;
/** trace_buf_size's default, in KB per CPU (buffer_size_kb). */
export const TRACE_BUF_SIZE_DEFAULT_KB = 1408;

const TYPE_LEN_TIME_EXTEND = 30;
const TYPE_LEN_TIME_STAMP = 31;
const TS_SHIFT = 27;
const TS_DELTA_LIMIT = 2 ** TS_SHIFT;

export * from './ring_buffer_types.js';
import { byteStrBytes, bytesByteStr } from './bytestr.js';
import {
  TRACE_FN, TRACE_PRINT, TRACE_GRAPH_RET, TRACE_GRAPH_ENT, TRACE_GRAPH_RETADDR_ENT, TRACE_RAW_EVENT, FN_PAYLOAD, GRAPH_ENT_PAYLOAD, GRAPH_RETADDR_ENT_PAYLOAD, GRAPH_RET_PAYLOAD, PRINT_HDR_PAYLOAD, eventLength, RB_EVNT_HDR_SIZE, RB_MAX_SMALL_DATA, type TraceEvent, type RingBufferCpuStats, type TraceReader,
} from './ring_buffer_types.js';


function pagesFor(kb: number): number {
  if (!Number.isFinite(kb) || kb < 0) throw new RangeError(`ring buffer: invalid size ${kb} KB`);
  return Math.max(2, Math.ceil((Math.floor(kb) * 1024) / BUF_PAGE_SIZE));
}

/** One CPU's buffer (struct ring_buffer_per_cpu). */
class CpuBuffer {
  nrPages: number;
  /** The size asked for, in KB (what buffer_size_kb reads back). */
  sizeKb = TRACE_BUF_SIZE_DEFAULT_KB;
  data: ArrayBuffer;
  dv: DataView;
  u8: Uint8Array;
  /** Events on each page. */
  pageEntries: Uint32Array;
  /** Oldest page holding events, page being written. */
  head = 0;
  tail = 0;
  /** Time of the last event written (the delta base). */
  writeStamp = 0;
  /** Consumer position in the head page: byte offset, events consumed, time of the last consumed event. */
  readOff = 0;
  readCount = 0;
  readStamp = 0;
  // Counters (per_cpu/cpuN/stats).
  entries = 0; // committed
  overrun = 0;
  commitOverrun = 0;
  dropped = 0;
  read = 0;
  bytes = 0;
  lastOverrun = 0;
  /** Bumped whenever events vanish under a reader (reset, overwrite of the head page). */
  gen = 0;

  constructor(nrPages: number) {
    this.nrPages = nrPages;
    this.data = new ArrayBuffer(nrPages * PAGE_SIZE);
    this.dv = new DataView(this.data);
    this.u8 = new Uint8Array(this.data);
    this.pageEntries = new Uint32Array(nrPages);
  }

  pageTs(p: number): number {
    return this.dv.getFloat64(p * PAGE_SIZE, true);
  }
  commit(p: number): number {
    return this.dv.getUint32(p * PAGE_SIZE + 8, true);
  }
  setCommit(p: number, c: number): void {
    this.dv.setUint32(p * PAGE_SIZE + 8, c, true);
  }
  initPage(p: number, ts: number): void {
    this.dv.setFloat64(p * PAGE_SIZE, ts, true);
    this.dv.setUint32(p * PAGE_SIZE + 8, 0, true);
    this.dv.setUint32(p * PAGE_SIZE + 12, 0, true);
    this.pageEntries[p] = 0;
  }

  reset(): void {
    this.head = this.tail = 0;
    this.initPage(0, 0);
    this.writeStamp = this.readOff = this.readCount = this.readStamp = 0;
    this.entries = this.overrun = this.commitOverrun = this.dropped = this.read = this.bytes = this.lastOverrun = 0;
    this.gen++;
  }

  /** Drop the head page (overwrite): its unread events become overrun. */
  dropHead(): void {
    const h = this.head;
    this.overrun += this.pageEntries[h] - this.readCount;
    this.bytes -= this.commit(h) - this.readOff;
    this.head = (h + 1) % this.nrPages;
    this.readOff = 0;
    this.readCount = 0;
    this.readStamp = this.pageTs(this.head);
    this.gen++;
  }

  /**
   * Reserve room for an event of `payload` bytes written at `ts`; returns the payload's byte
   * offset in `data`, or -1 when the event is dropped (buffer full, no-overwrite mode).
   */
  reserve(ts: number, payload: number, overwrite: boolean): number {
    const len = eventLength(payload);
    let p = this.tail;
    let c = this.commit(p);
    let ext = 0;
    if (c !== 0) {
      const delta = ts - this.writeStamp;
      if (delta < 0 || delta >= TS_DELTA_LIMIT) ext = 8;
    }
    if (c + ext + len > BUF_PAGE_SIZE) {
      const next = (p + 1) % this.nrPages;
      if (next === this.head) {
        if (!overwrite) {
          this.dropped++;
          return -1;
        }
        this.dropHead();
      }
      p = this.tail = next;
      this.initPage(p, ts);
      c = 0;
      ext = 0;
    } else if (c === 0) {
      this.dv.setFloat64(p * PAGE_SIZE, ts, true);
      if (p === this.head && this.readOff === 0) this.readStamp = ts;
    }
    const base = p * PAGE_SIZE + BUF_PAGE_HDR_SIZE;
    let off = base + c;
    let delta = c === 0 ? 0 : ts - this.writeStamp;
    if (ext !== 0) {
      // Time extend (delta too big) or absolute time stamp (time went backwards).
      const v = delta < 0 ? ts : delta;
      const type = delta < 0 ? TYPE_LEN_TIME_STAMP : TYPE_LEN_TIME_EXTEND;
      this.dv.setUint32(off, (((v % TS_DELTA_LIMIT) << 5) | type) >>> 0, true);
      this.dv.setUint32(off + 4, Math.floor(v / TS_DELTA_LIMIT), true);
      off += 8;
      delta = 0;
    }
    let dataOff: number;
    if (payload > RB_MAX_SMALL_DATA) {
      this.dv.setUint32(off, (delta << 5) >>> 0, true);
      this.dv.setUint32(off + 4, payload, true);
      dataOff = off + 8;
    } else {
      this.dv.setUint32(off, ((delta << 5) | ((len - RB_EVNT_HDR_SIZE) >> 2)) >>> 0, true);
      dataOff = off + 4;
    }
    this.setCommit(p, c + ext + len);
    this.pageEntries[p]++;
    this.writeStamp = ts;
    this.entries++;
    this.bytes += ext + len;
    return dataOff;
  }
}

/** A cursor over one CPU's events (page, offset, time base, events passed on that page). */
class Cursor {
  page = 0;
  off = 0;
  stamp = 0;
  count = 0;
  /** The decoded event at the cursor and the cursor just past it, when peeked. */
  cached: TraceEvent | undefined = undefined;
  nextPage = 0;
  nextOff = 0;
  nextStamp = 0;
  nextCount = 0;
  /** Bytes from the cursor to the end of the cached event (time extends included). */
  evBytes = 0;
  owner: CpuBuffer | undefined = undefined;
  gen = -1;
}

export interface RingBufferOptions {
  nrCpus: number;
  /** Per-CPU size in KB (buffer_size_kb); default 1408. */
  sizeKb?: number;
  /** Overwrite the oldest events when full (default), or drop new ones. */
  overwrite?: boolean;
  /** The CPU's current time in ns, for the stats' "now ts" (ring_buffer_time_stamp); default the last event's time. */
  clock?: (cpu: number) => number;
}

export class RingBuffer {
  readonly nrCpus: number;
  overwrite: boolean;
  private readonly cpus: CpuBuffer[];
  private readonly clock: ((cpu: number) => number) | undefined;

  constructor(opts: RingBufferOptions) {
    if (!Number.isInteger(opts.nrCpus) || opts.nrCpus < 1) throw new RangeError(`ring buffer: invalid CPU count ${opts.nrCpus}`);
    this.nrCpus = opts.nrCpus;
    this.overwrite = opts.overwrite ?? true;
    this.clock = opts.clock;
    const kb = opts.sizeKb ?? TRACE_BUF_SIZE_DEFAULT_KB;
    const pages = pagesFor(kb);
    this.cpus = [];
    for (let i = 0; i < this.nrCpus; i++) {
      const b = new CpuBuffer(pages);
      b.sizeKb = Math.floor(kb);
      b.reset();
      this.cpus.push(b);
    }
  }

  private cpu(cpu: number): CpuBuffer {
    const b = this.cpus[cpu];
    if (b === undefined) throw new RangeError(`ring buffer: no CPU ${cpu}`);
    return b;
  }

  /** ring_buffer_record_off/on (tracing_on) and ring_buffer_record_disable_cpu/enable_cpu (tracing_cpumask). */
  private recordOff = false;
  private readonly cpuRecordOff = new Set<number>();

  /** Stop (false) or restart (true) recording on every CPU: writers are refused, nothing is counted as dropped. */
  setRecording(on: boolean): void {
    this.recordOff = !on;
  }
  /** True unless recording was switched off with setRecording(false). */
  isRecording(): boolean {
    return !this.recordOff;
  }
  /**
   * ring_buffer_record_disable/enable: a nesting count that stops writers without turning tracing_on off
   * (tracing_stop_tr, tracing_start_tr).
   */
  private disableCount = 0;
  recordDisable(): void { this.disableCount++; }
  recordEnable(): void { if (this.disableCount > 0) this.disableCount--; }
  /** Stop or restart recording on one CPU (tracing_cpumask). */
  setCpuRecording(cpu: number, on: boolean): void {
    this.cpu(cpu);
    if (on) this.cpuRecordOff.delete(cpu);
    else this.cpuRecordOff.add(cpu);
  }

  /** The buffer a writer on `cpu` may reserve in, or undefined when recording is off there. */
  private writer(cpu: number): CpuBuffer | undefined {
    const b = this.cpu(cpu);
    return this.recordOff || this.disableCount > 0 || this.cpuRecordOff.has(cpu) ? undefined : b;
  }

  /**
   * Swap every CPU's pages and counters with `other` (ring_buffer_swap_cpu for each CPU: the snapshot's
   * swap of the main and max buffers); readers of either follow the swap.
   */
  swap(other: RingBuffer): void {
    if (other.nrCpus !== this.nrCpus) throw new RangeError('ring buffer: swap with a different CPU count');
    for (let i = 0; i < this.nrCpus; i++) {
      const a = this.cpus[i];
      this.cpus[i] = other.cpus[i];
      other.cpus[i] = a;
      a.gen++;
      this.cpus[i].gen++;
    }
  }

  /** ring_buffer_swap_cpu: swap one CPU's pages and counters with `other` (the per-CPU snapshot file's swap). */
  swapCpu(other: RingBuffer, cpu: number): void {
    const a = this.cpu(cpu);
    this.cpus[cpu] = other.cpu(cpu);
    other.cpus[cpu] = a;
    a.gen++;
    this.cpus[cpu].gen++;
  }

  // ---- writers (one reservation, no allocation) ----

  /**
   * The trace clock (ring_buffer_set_clock): maps the machine time a writer passes to the stamp the
   * event gets; called once per event that gets to reserve, as the kernel reads its clock. Null: as given.
   */
  stamp: ((cpu: number, ts: number) => number) | null = null;

  private stampOf(cpu: number, ts: number): number {
    return this.stamp === null ? ts : this.stamp(cpu, ts);
  }

  private header(b: CpuBuffer, off: number, type: number, pid: number, flags: number, pc: number): void {
    b.dv.setUint16(off, type, true);
    b.u8[off + 2] = flags;
    b.u8[off + 3] = pc;
    b.dv.setInt32(off + 4, pid, true);
  }

  /** The function tracer's event (trace_function). Returns false when dropped. */
  writeFunction(cpu: number, ts: number, pid: number, flags: number, pc: number, ip: number, parentIp: number): boolean {
    const b = this.writer(cpu);
    if (b === undefined) return false;
    const o = b.reserve(this.stampOf(cpu, ts), FN_PAYLOAD, this.overwrite);
    if (o < 0) return false;
    this.header(b, o, TRACE_FN, pid, flags, pc);
    b.dv.setFloat64(o + 8, ip, true);
    b.dv.setFloat64(o + 16, parentIp, true);
    return true;
  }

  /** function_graph's entry event (__trace_graph_entry). */
  writeGraphEntry(cpu: number, ts: number, pid: number, flags: number, pc: number, func: number, depth: number): boolean {
    const b = this.writer(cpu);
    if (b === undefined) return false;
    const o = b.reserve(this.stampOf(cpu, ts), GRAPH_ENT_PAYLOAD, this.overwrite);
    if (o < 0) return false;
    this.header(b, o, TRACE_GRAPH_ENT, pid, flags, pc);
    b.dv.setFloat64(o + 8, func, true);
    b.dv.setInt32(o + 16, depth, true);
    b.dv.setInt32(o + 20, 0, true);
    return true;
  }

  /** function_graph's entry event under funcgraph-retaddr (__trace_graph_retaddr_entry): func, depth, the caller's return address, packed. */
  writeGraphRetaddrEntry(cpu: number, ts: number, pid: number, flags: number, pc: number, func: number, depth: number, retaddr: number): boolean {
    const b = this.writer(cpu);
    if (b === undefined) return false;
    const o = b.reserve(this.stampOf(cpu, ts), GRAPH_RETADDR_ENT_PAYLOAD, this.overwrite);
    if (o < 0) return false;
    this.header(b, o, TRACE_GRAPH_RETADDR_ENT, pid, flags, pc);
    b.dv.setFloat64(o + 8, func, true);
    b.dv.setInt32(o + 16, depth, true);
    b.dv.setFloat64(o + 20, retaddr, true);
    return true;
  }

  /** function_graph's return event (__trace_graph_return); `ts` is the time it is written (normally rettime). */
  writeGraphReturn(
    cpu: number, ts: number, pid: number, flags: number, pc: number,
    func: number, depth: number, calltime: number, rettime: number, overrun = 0, retval = 0,
  ): boolean {
    const b = this.writer(cpu);
    if (b === undefined) return false;
    const o = b.reserve(this.stampOf(cpu, ts), GRAPH_RET_PAYLOAD, this.overwrite);
    if (o < 0) return false;
    this.header(b, o, TRACE_GRAPH_RET, pid, flags, pc);
    b.dv.setFloat64(o + 8, func, true);
    b.dv.setFloat64(o + 16, retval, true);
    b.dv.setInt32(o + 24, depth, true);
    b.dv.setUint32(o + 28, overrun >>> 0, true);
    b.dv.setFloat64(o + 32, calltime, true);
    b.dv.setFloat64(o + 40, rettime, true);
    return true;
  }

  /** A print event (trace_marker's tracing_mark_write, trace_printk). Text that would not fit in the largest event is cut. */
  writePrint(cpu: number, ts: number, pid: number, flags: number, pc: number, ip: number, text: string): boolean {
    let bytes = byteStrBytes(text);
    const room = RB_MAX_DATA_SIZE - PRINT_HDR_PAYLOAD - 1;
    if (bytes.length > room) bytes = bytes.subarray(0, room);
    const b = this.writer(cpu);
    if (b === undefined) return false;
    const o = b.reserve(this.stampOf(cpu, ts), PRINT_HDR_PAYLOAD + bytes.length + 1, this.overwrite);
    if (o < 0) return false;
    this.header(b, o, TRACE_PRINT, pid, flags, pc);
    b.dv.setFloat64(o + 8, ip, true);
    b.u8.set(bytes, o + 16);
    b.u8[o + 16 + bytes.length] = 0;
    return true;
  }

  /**
   * An event of another type (a trace event of events/): struct trace_entry with type `id`, then
   * `body` as the event's fields from offset 8. Returns false when dropped.
   */
  writeRaw(cpu: number, ts: number, pid: number, flags: number, pc: number, id: number, body: Uint8Array): boolean {
    const b = this.cpu(cpu);
    const o = b.reserve(this.stampOf(cpu, ts), 8 + body.length, this.overwrite);
    if (o < 0) return false;
    this.header(b, o, id, pid, flags, pc);
    b.u8.set(body, o + 8);
    return true;
  }

  // ---- decoding ----

  /** Decode the event at the cursor into c.cached and compute the position after it; false at the end of the CPU's data. */
  private load(b: CpuBuffer, cpu: number, c: Cursor): boolean {
    if (c.cached !== undefined) return true;
    let page = c.page;
    let off = c.off;
    let stamp = c.stamp;
    let count = c.count;
    let start = off;
    for (;;) {
      const commit = b.commit(page);
      if (off >= commit) {
        if (page === b.tail) return false;
        page = (page + 1) % b.nrPages;
        off = 0;
        start = 0;
        count = 0;
        stamp = b.pageTs(page);
        continue;
      }
      const at = page * PAGE_SIZE + BUF_PAGE_HDR_SIZE + off;
      const h = b.dv.getUint32(at, true);
      const typeLen = h & 31;
      const delta = h >>> 5;
      if (typeLen === TYPE_LEN_TIME_EXTEND || typeLen === TYPE_LEN_TIME_STAMP) {
        const v = delta + b.dv.getUint32(at + 4, true) * TS_DELTA_LIMIT;
        stamp = typeLen === TYPE_LEN_TIME_STAMP ? v : stamp + v;
        off += 8;
        continue;
      }
      let data: number;
      let len: number;
      let payload: number;
      if (typeLen === 0) {
        payload = b.dv.getUint32(at + 4, true);
        data = at + 8;
        len = eventLength(payload);
      } else {
        payload = typeLen * 4;
        data = at + 4;
        len = payload + RB_EVNT_HDR_SIZE;
      }
      stamp += delta;
      c.cached = this.decode(b, cpu, data, payload, stamp);
      c.nextPage = page;
      c.nextOff = off + len;
      c.nextStamp = stamp;
      c.nextCount = count + 1;
      c.evBytes = off + len - start;
      return true;
    }
  }

  private decode(b: CpuBuffer, cpu: number, o: number, payload: number, ts: number): TraceEvent {
    const dv = b.dv;
    const type = dv.getUint16(o, true);
    const flags = b.u8[o + 2];
    const preemptCount = b.u8[o + 3];
    const pid = dv.getInt32(o + 4, true);
    switch (type) {
      case TRACE_FN:
        return { type, ts, cpu, pid, flags, preemptCount, ip: dv.getFloat64(o + 8, true), parentIp: dv.getFloat64(o + 16, true) };
      case TRACE_GRAPH_ENT:
        return { type, ts, cpu, pid, flags, preemptCount, func: dv.getFloat64(o + 8, true), depth: dv.getInt32(o + 16, true) };
      case TRACE_GRAPH_RETADDR_ENT:
        return {
          type: TRACE_GRAPH_ENT, ts, cpu, pid, flags, preemptCount,
          func: dv.getFloat64(o + 8, true), depth: dv.getInt32(o + 16, true), retaddr: dv.getFloat64(o + 20, true),
        };
      case TRACE_GRAPH_RET:
        return {
          type, ts, cpu, pid, flags, preemptCount,
          func: dv.getFloat64(o + 8, true), retval: dv.getFloat64(o + 16, true), depth: dv.getInt32(o + 24, true),
          overrun: dv.getUint32(o + 28, true), calltime: dv.getFloat64(o + 32, true), rettime: dv.getFloat64(o + 40, true),
        };
      case TRACE_PRINT: {
        let end = o + 16;
        const limit = o + payload;
        while (end < limit && b.u8[end] !== 0) end++;
        return { type, ts, cpu, pid, flags, preemptCount, ip: dv.getFloat64(o + 8, true), text: bytesByteStr(b.u8.subarray(o + 16, end)) };
      }
      default:
        if (type === TRACE_RAW_EVENT) throw new Error(`ring buffer: CPU ${cpu} holds an event of type 0`);
        return { type: TRACE_RAW_EVENT, id: type, ts, cpu, pid, flags, preemptCount, data: b.u8.slice(o, o + payload) };
    }
  }

  private static step(c: Cursor): void {
    c.page = c.nextPage;
    c.off = c.nextOff;
    c.stamp = c.nextStamp;
    c.count = c.nextCount;
    c.cached = undefined;
  }

  // ---- readers ----

  /** A non-consuming iterator (the `trace` file): all unconsumed events; valid until the next write, reset or resize. */
  iterator(): TraceReader {
    const cursors = this.cpus.map((b) => {
      const c = new Cursor();
      c.page = b.head;
      c.off = b.readOff;
      c.stamp = b.readStamp;
      c.count = b.readCount;
      return c;
    });
    const peek = (cpu: number): TraceEvent | undefined => {
      const c = cursors[cpu];
      return c !== undefined && this.load(this.cpu(cpu), cpu, c) ? c.cached : undefined;
    };
    const advance = (cpu: number): void => {
      const c = cursors[cpu];
      if (c !== undefined && this.load(this.cpu(cpu), cpu, c)) RingBuffer.step(c);
    };
    return {
      lostEvents: 0,
      peek,
      advance,
      next: () => {
        const cpu = this.oldestCpu(peek);
        if (cpu < 0) return undefined;
        const e = peek(cpu);
        advance(cpu);
        return e;
      },
    };
  }

  private oldestCpu(peek: (cpu: number) => TraceEvent | undefined): number {
    let best = -1;
    let bestTs = 0;
    for (let i = 0; i < this.nrCpus; i++) {
      const e = peek(i);
      if (e !== undefined && (best < 0 || e.ts < bestTs)) {
        best = i;
        bestTs = e.ts;
      }
    }
    return best;
  }

  /** A consuming reader (`trace_pipe`), over every CPU (merged) or one (per_cpu/cpuN/trace_pipe). */
  consumer(onlyCpu?: number): TraceReader {
    const cursors = new Map<number, Cursor>();
    const cursorOf = (cpu: number): Cursor => {
      const b = this.cpu(cpu);
      let c = cursors.get(cpu);
      if (c === undefined) {
        c = new Cursor();
        cursors.set(cpu, c);
      }
      // Follow the buffer: overwrites, resets and resizes may have happened since the last call.
      if (c.owner !== b || c.gen !== b.gen || c.page !== b.head || c.off !== b.readOff) c.cached = undefined;
      c.owner = b;
      c.gen = b.gen;
      c.page = b.head;
      c.off = b.readOff;
      c.stamp = b.readStamp;
      c.count = b.readCount;
      return c;
    };
    const peek = (cpu: number): TraceEvent | undefined => {
      if (onlyCpu !== undefined && cpu !== onlyCpu) return undefined;
      const c = cursorOf(cpu);
      return this.load(this.cpu(cpu), cpu, c) ? c.cached : undefined;
    };
    const reader = {
      lostEvents: 0,
      peek,
      advance: (cpu: number): void => {
        if (onlyCpu !== undefined && cpu !== onlyCpu) return;
        const b = this.cpu(cpu);
        const c = cursorOf(cpu);
        if (!this.load(b, cpu, c)) return;
        b.read++;
        b.bytes -= c.evBytes;
        RingBuffer.step(c);
        // A finished head page is free again.
        b.head = c.page;
        b.readOff = c.off;
        b.readCount = c.count;
        b.readStamp = c.stamp;
        if (b.readOff >= b.commit(b.head) && b.head !== b.tail) {
          b.head = (b.head + 1) % b.nrPages;
          b.readOff = 0;
          b.readCount = 0;
          b.readStamp = b.pageTs(b.head);
        }
      },
      next: (): TraceEvent | undefined => {
        const cpu = onlyCpu ?? this.oldestCpu(peek);
        if (cpu < 0) return undefined;
        const e = peek(cpu);
        if (e === undefined) return undefined;
        const b = this.cpu(cpu);
        reader.lostEvents = b.overrun - b.lastOverrun;
        b.lastOverrun = b.overrun;
        reader.advance(cpu);
        return e;
      },
    };
    return reader;
  }

  // ---- control and figures ----

  /** Clear one CPU or all, counters included (ring_buffer_reset_cpu / `echo > trace`). */
  reset(cpu?: number): void {
    if (cpu === undefined) for (const b of this.cpus) b.reset();
    else this.cpu(cpu).reset();
  }

  /**
   * Resize every CPU (or one) to `kb` KB. Growing keeps everything; shrinking keeps the newest
   * pages that fit and counts the events of the dropped oldest pages as overrun, as
   * rb_remove_pages does.
   */
  resize(kb: number, cpu?: number): void {
    const pages = pagesFor(kb);
    const list = cpu === undefined ? this.cpus.map((_, i) => i) : [cpu];
    for (const i of list) {
      const b = this.cpu(i);
      b.sizeKb = Math.floor(kb);
      if (b.nrPages === pages) continue;
      const used: number[] = [];
      for (let p = b.head; ; p = (p + 1) % b.nrPages) {
        used.push(p);
        if (p === b.tail) break;
      }
      while (used.length > pages) {
        b.dropHead();
        used.shift();
      }
      const nb = new CpuBuffer(pages);
      nb.sizeKb = b.sizeKb;
      used.forEach((p, k) => {
        nb.u8.set(b.u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), k * PAGE_SIZE);
        nb.pageEntries[k] = b.pageEntries[p];
      });
      nb.head = 0;
      nb.tail = used.length - 1;
      nb.writeStamp = b.writeStamp;
      nb.readOff = b.readOff;
      nb.readCount = b.readCount;
      nb.readStamp = b.readStamp;
      nb.entries = b.entries;
      nb.overrun = b.overrun;
      nb.commitOverrun = b.commitOverrun;
      nb.dropped = b.dropped;
      nb.read = b.read;
      nb.bytes = b.bytes;
      nb.lastOverrun = b.lastOverrun;
      this.cpus[i] = nb;
    }
  }

  /** Pages per CPU. */
  nrPages(cpu = 0): number {
    return this.cpu(cpu).nrPages;
  }

  /**
   * Size in KB as buffer_size_kb reads it after a resize: the size asked for (the kernel keeps
   * the requested bytes in trace_array_cpu.entries; the pages behind it are ceil(size / 4080)).
   */
  sizeKb(cpu = 0): number {
    return this.cpu(cpu).sizeKb;
  }

  /** Bytes of storage held for this CPU's events: exactly nrPages pages. */
  storageBytes(cpu = 0): number {
    return this.cpu(cpu).data.byteLength;
  }

  /** Events in the buffer, unconsumed (ring_buffer_entries_cpu). */
  entries(cpu: number): number {
    const b = this.cpu(cpu);
    return b.entries - (b.overrun + b.read);
  }

  overrun(cpu: number): number {
    return this.cpu(cpu).overrun;
  }

  /** Every event ever committed on this CPU since the last reset. */
  written(cpu: number): number {
    return this.cpu(cpu).entries;
  }

  /** The `# entries-in-buffer/entries-written: N/M` figures (get_total_entries: written = in buffer + overrun). */
  totalEntries(): { entries: number; written: number } {
    let entries = 0;
    let written = 0;
    for (let i = 0; i < this.nrCpus; i++) {
      const n = this.entries(i);
      entries += n;
      written += n + this.cpu(i).overrun;
    }
    return { entries, written };
  }

  /** True when no CPU holds an unconsumed event. */
  empty(): boolean {
    for (let i = 0; i < this.nrCpus; i++) if (this.entries(i) > 0) return false;
    return true;
  }

  stats(cpu: number): RingBufferCpuStats {
    const b = this.cpu(cpu);
    return {
      entries: this.entries(cpu),
      overrun: b.overrun,
      commitOverrun: b.commitOverrun,
      bytes: b.bytes,
      oldestEventTs: this.consumer(cpu).peek(cpu)?.ts ?? b.readStamp,
      nowTs: this.clock ? this.clock(cpu) : b.writeStamp,
      droppedEvents: b.dropped,
      readEvents: b.read,
    };
  }
}
