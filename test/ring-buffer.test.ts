// ring-buffer.test.ts — the per-CPU trace ring buffer: kernel event sizes, page capacity, overwrite and drop accounting, readers, resize, bounded memory.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  RingBuffer, eventLength, BUF_PAGE_SIZE, PAGE_SIZE, FN_PAYLOAD, GRAPH_ENT_PAYLOAD, GRAPH_RET_PAYLOAD,
  TRACE_FN, TRACE_GRAPH_ENT, TRACE_GRAPH_RET, TRACE_PRINT, type TraceEvent,
} from '../src/trace/ring_buffer.js';

const FN_LEN = eventLength(FN_PAYLOAD);
const PER_PAGE = Math.floor(BUF_PAGE_SIZE / FN_LEN);

function fnTrace(rb: RingBuffer, cpu: number, n: number, t0 = 1000, step = 10): void {
  for (let i = 0; i < n; i++) rb.writeFunction(cpu, t0 + i * step, 100 + cpu, 0, 0, -2130706432 + i, -2130706000);
}

function drain(r: { next(): TraceEvent | undefined }): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let e = r.next(); e !== undefined; e = r.next()) out.push(e);
  return out;
}

describe('event sizes and capacity as on x86-64 Linux', () => {
  it('events take the kernel sizes: 4-byte header, payload, 4-byte alignment, a length word above 112 bytes', () => {
    expect(FN_LEN).toBe(28);
    expect(eventLength(GRAPH_ENT_PAYLOAD)).toBe(28);
    expect(eventLength(GRAPH_RET_PAYLOAD)).toBe(52);
    expect(eventLength(112)).toBe(116);
    expect(eventLength(113)).toBe(124);
    expect(eventLength(0)).toBe(8);
  });

  it('buffer_size_kb 1408 gives 354 pages of 4080 bytes: 51330 function events, then the oldest page goes', () => {
    const rb = new RingBuffer({ nrCpus: 1 });
    expect(rb.nrPages()).toBe(354);
    expect(rb.sizeKb()).toBe(1408);
    expect(rb.storageBytes()).toBe(354 * PAGE_SIZE);
    expect(PER_PAGE).toBe(145);
    fnTrace(rb, 0, 51330);
    expect(rb.entries(0)).toBe(51330);
    expect(rb.overrun(0)).toBe(0);
    fnTrace(rb, 0, 60000 - 51330, 1_000_000);
    expect(rb.overrun(0)).toBe(8700);
    expect(rb.entries(0)).toBe(51300);
    expect(rb.totalEntries()).toEqual({ entries: 51300, written: 60000 });
  });

  it('a delta that does not fit in 27 bits costs an 8-byte time extend; timestamps come back exact, time going backwards included', () => {
    const rb = new RingBuffer({ nrCpus: 1, sizeKb: 4 });
    const stamps = [5, 6, 6 + 2 ** 27, 7 + 2 ** 27, 2 ** 45 + 3, 7, 2 ** 40];
    for (const t of stamps) rb.writeFunction(0, t, 1, 0, 0, 1, 2);
    // Extends before 6+2^27, 2^45+3, 7 (an absolute stamp: time went back) and 2^40.
    expect(rb.stats(0).bytes).toBe(stamps.length * FN_LEN + 4 * 8);
    expect(drain(rb.iterator()).map((e) => e.ts)).toEqual(stamps);
    expect(drain(rb.consumer(0)).map((e) => e.ts)).toEqual(stamps);
    expect(rb.stats(0).bytes).toBe(0);
  });

  it('the merged readers take the oldest event first, the lower CPU on equal timestamps', () => {
    const rb = new RingBuffer({ nrCpus: 3, sizeKb: 8 });
    rb.writeFunction(2, 10, 1, 0, 0, 1, 0);
    rb.writeFunction(1, 10, 1, 0, 0, 1, 0);
    rb.writeFunction(0, 20, 1, 0, 0, 1, 0);
    rb.writeFunction(2, 5, 1, 0, 0, 1, 0);
    expect(drain(rb.iterator()).map((e) => [e.cpu, e.ts])).toEqual([[1, 10], [2, 10], [2, 5], [0, 20]]);
    expect(drain(rb.consumer()).map((e) => [e.cpu, e.ts])).toEqual([[1, 10], [2, 10], [2, 5], [0, 20]]);
  });

  it('every event type round-trips with its common fields', () => {
    const rb = new RingBuffer({ nrCpus: 2, sizeKb: 8 });
    // text is a byte string (bytestr.ts): UTF-8 bytes go in and come back unchanged
    const long = Buffer.from('x'.repeat(300) + ' é ✓\n', 'utf8').toString('latin1');
    rb.writeFunction(1, 10, 7, 0x09, 0x21, -2130706432, -2130706400);
    rb.writeGraphEntry(1, 11, 7, 0x01, 0, -2130706000, 3);
    rb.writeGraphReturn(1, 12, 7, 0, 2, -2130706000, 3, 11, 12, 4, -22);
    rb.writePrint(1, 13, 8, 0x40, 0, 0, 'hello\n');
    rb.writePrint(1, 14, 8, 0, 0, -2130705000, long);
    const evs = drain(rb.iterator());
    expect(evs).toEqual([
      { type: TRACE_FN, ts: 10, cpu: 1, pid: 7, flags: 0x09, preemptCount: 0x21, ip: -2130706432, parentIp: -2130706400 },
      { type: TRACE_GRAPH_ENT, ts: 11, cpu: 1, pid: 7, flags: 1, preemptCount: 0, func: -2130706000, depth: 3 },
      { type: TRACE_GRAPH_RET, ts: 12, cpu: 1, pid: 7, flags: 0, preemptCount: 2, func: -2130706000, depth: 3, calltime: 11, rettime: 12, overrun: 4, retval: -22 },
      { type: TRACE_PRINT, ts: 13, cpu: 1, pid: 8, flags: 0x40, preemptCount: 0, ip: 0, text: 'hello\n' },
      { type: TRACE_PRINT, ts: 14, cpu: 1, pid: 8, flags: 0, preemptCount: 0, ip: -2130705000, text: long },
    ]);
  });
});

describe('overwrite, drop and the counters of per_cpu/cpuN/stats', () => {
  it('no-overwrite mode keeps the oldest events and counts the refused ones as dropped, not written', () => {
    const rb = new RingBuffer({ nrCpus: 1, sizeKb: 8, overwrite: false });
    const cap = rb.nrPages() * PER_PAGE;
    fnTrace(rb, 0, cap + 50);
    const s = rb.stats(0);
    expect(s.entries).toBe(cap);
    expect(s.droppedEvents).toBe(50);
    expect(s.overrun).toBe(0);
    expect(rb.totalEntries()).toEqual({ entries: cap, written: cap });
    expect(drain(rb.iterator())[0].ts).toBe(1000);
  });

  it('consumed pages become free again in no-overwrite mode', () => {
    const rb = new RingBuffer({ nrCpus: 1, sizeKb: 8, overwrite: false });
    const cap = rb.nrPages() * PER_PAGE;
    fnTrace(rb, 0, cap);
    const c = rb.consumer(0);
    for (let i = 0; i < PER_PAGE; i++) c.next();
    fnTrace(rb, 0, PER_PAGE, 1e9);
    expect(rb.stats(0).droppedEvents).toBe(0);
    expect(rb.entries(0)).toBe(cap);
  });

  it('stats: entries, overrun, bytes, oldest and now ts, read events', () => {
    let now = 0;
    const rb = new RingBuffer({ nrCpus: 1, sizeKb: 8, clock: () => now });
    fnTrace(rb, 0, 3 * PER_PAGE + 1, 2_000_000_000, 1000);
    now = 5_000_000_000;
    const c = rb.consumer(0);
    c.next();
    c.next();
    const s = rb.stats(0);
    expect(s).toEqual({
      entries: 2 * PER_PAGE + 1 - 2, overrun: PER_PAGE, commitOverrun: 0, bytes: (2 * PER_PAGE - 1) * FN_LEN,
      oldestEventTs: 2_000_000_000 + (PER_PAGE + 2) * 1000, nowTs: 5e9, droppedEvents: 0, readEvents: 2,
    });
  });

  it('the first consuming read after an overwrite reports the lost events, once', () => {
    const rb = new RingBuffer({ nrCpus: 3, sizeKb: 8 });
    fnTrace(rb, 2, 3 * PER_PAGE + PER_PAGE + 1);
    const c = rb.consumer();
    expect(c.next()?.cpu).toBe(2);
    expect(c.lostEvents).toBe(2 * PER_PAGE);
    c.next();
    expect(c.lostEvents).toBe(0);
  });

  it('reset clears events and counters; resize keeps the newest pages and counts the rest as overrun', () => {
    const rb = new RingBuffer({ nrCpus: 2, sizeKb: 16 });
    expect(rb.nrPages()).toBe(5);
    fnTrace(rb, 0, 5 * PER_PAGE);
    fnTrace(rb, 1, 10);
    rb.resize(8);
    expect(rb.sizeKb(1)).toBe(8);
    expect(rb.nrPages(0)).toBe(3);
    expect(rb.storageBytes(0)).toBe(3 * PAGE_SIZE);
    expect(rb.overrun(0)).toBe(2 * PER_PAGE);
    expect(rb.entries(0)).toBe(3 * PER_PAGE);
    const evs = drain(rb.iterator()).filter((e) => e.cpu === 0);
    expect(evs[0].ts).toBe(1000 + 2 * PER_PAGE * 10);
    expect(evs.at(-1)?.ts).toBe(1000 + (5 * PER_PAGE - 1) * 10);
    rb.resize(64);
    expect(rb.entries(0)).toBe(3 * PER_PAGE);
    expect(rb.entries(1)).toBe(10);
    fnTrace(rb, 0, 5, 1e9);
    expect(drain(rb.iterator()).length).toBe(3 * PER_PAGE + 15);
    rb.reset(0);
    expect(rb.stats(0)).toMatchObject({ entries: 0, overrun: 0, bytes: 0, readEvents: 0 });
    expect(rb.entries(1)).toBe(10);
    rb.reset();
    expect(rb.empty()).toBe(true);
    expect(drain(rb.iterator())).toEqual([]);
  });
});

describe('properties against a model', () => {
  type Op = { kind: 'write'; cpu: number; dt: number } | { kind: 'consume'; cpu: number | undefined; n: number } | { kind: 'reset' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('write' as const), cpu: fc.integer({ min: 0, max: 2 }), dt: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant(2 ** 27 + 5)) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('consume' as const), cpu: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }), n: fc.integer({ min: 1, max: 300 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const)}) },
  );

  it('entries + overrun + read = written; entries never exceed capacity; readers agree with the model; merged order is by time', () => {
    fc.assert(fc.property(fc.array(fc.tuple(op, fc.integer({ min: 1, max: 400 })), { maxLength: 40 }), fc.boolean(), (ops, overwrite) => {
      const rb = new RingBuffer({ nrCpus: 3, sizeKb: 8, overwrite });
      const cap = rb.nrPages() * PER_PAGE;
      const model: number[][] = [[], [], []]; // timestamps held per CPU, oldest first
      const written = [0, 0, 0];
      const read = [0, 0, 0];
      const now = [0, 0, 0];
      let seq = 0;
      for (const [o, count] of ops) {
        if (o.kind === 'write') {
          for (let i = 0; i < count; i++) {
            now[o.cpu] += o.dt;
            const ok = rb.writeFunction(o.cpu, now[o.cpu], o.cpu, 0, 0, seq++, 0);
            if (ok) { model[o.cpu].push(now[o.cpu]); written[o.cpu]++; }
          }
        } else if (o.kind === 'consume') {
          const c = rb.consumer(o.cpu);
          for (let i = 0; i < o.n; i++) {
            const e = c.next();
            if (e === undefined) break;
            read[e.cpu]++;
            // The event returned is the oldest that the model still holds after overwrites.
            const held = rb.entries(e.cpu) + 1;
            const m = model[e.cpu];
            m.splice(0, m.length - held);
            expect(e.ts).toBe(m.shift());
          }
        } else {
          rb.reset();
          for (let i = 0; i < 3; i++) { model[i] = []; written[i] = 0; read[i] = 0; }
        }
        for (let cpu = 0; cpu < 3; cpu++) {
          const s = rb.stats(cpu);
          expect(s.entries + s.overrun + s.readEvents).toBe(written[cpu]);
          expect(s.readEvents).toBe(read[cpu]);
          expect(s.entries).toBeLessThanOrEqual(cap);
          if (!overwrite) expect(s.overrun).toBe(0);
        }
      }
      const all = drain(rb.iterator());
      for (let cpu = 0; cpu < 3; cpu++) {
        const mine = all.filter((e) => e.cpu === cpu).map((e) => e.ts);
        expect(mine.length).toBe(rb.entries(cpu));
        expect(mine).toEqual(model[cpu].slice(model[cpu].length - mine.length));
      }
      for (let i = 1; i < all.length; i++) expect(all[i].ts).toBeGreaterThanOrEqual(all[i - 1].ts);
      // Consuming everything returns exactly what the iterator showed, then nothing is left.
      const consumed = drain(rb.consumer());
      expect(consumed).toEqual(all);
      expect(rb.empty()).toBe(true);
    }), { numRuns: 150 });
  });

  it('memory stays bounded: ten million events leave the storage at the configured size', () => {
    const rb = new RingBuffer({ nrCpus: 2 });
    const before = [rb.storageBytes(0), rb.storageBytes(1)];
    let t = 0;
    for (let i = 0; i < 10_000_000; i++) rb.writeFunction(i & 1, (t += 7), 1, 0, 0, -2130706432, -2130706000);
    expect([rb.storageBytes(0), rb.storageBytes(1)]).toEqual(before);
    expect(before[0]).toBe(354 * PAGE_SIZE);
    for (let cpu = 0; cpu < 2; cpu++) {
      expect(rb.entries(cpu) + rb.overrun(cpu)).toBe(5_000_000);
      expect(rb.entries(cpu)).toBeLessThanOrEqual(354 * PER_PAGE);
      expect(rb.entries(cpu)).toBeGreaterThan(353 * PER_PAGE);
    }
  });
});
