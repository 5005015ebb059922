// The binary buffer files: per_cpu/cpuN/trace_pipe_raw and snapshot_raw pages in the kernel's buffer_data_page / ring_buffer_event form (decoded here as libtraceevent's kbuffer does, with the format files' offsets, and checked against `trace`), the page encoder's round trip, and the per-CPU snapshot file.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import { TraceArray } from '../src/trace/trace_functions.js';
import { buildTracefs, runKernelCall, type TracefsContext } from '../src/trace/tracefs/index.js';
import { EAGAIN, EINVAL, O_RDONLY, type OpenFile, type Tracefs } from '../src/trace/tracefs/fs.js';
import { PageWriter, decodePage, RINGBUF_TYPE_TIME_EXTEND, RINGBUF_TYPE_TIME_STAMP, RINGBUF_TYPE_PADDING, RB_MISSED_EVENTS } from '../src/trace/ring_buffer_pages.js';
import { TRACE_FN } from '../src/trace/ring_buffer.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

function setup(): { tr: TraceArray; ctx: TracefsContext; fs: Tracefs } {
  const b = boot(image, 'vmlinux', { cpus: 2, seed: 1 });
  const tr = new TraceArray(b.kernel, b.ftrace!.core, b.ftrace!.arch, { sizeKb: 256 });
  const ctx: TracefsContext = { b, run: (n) => b.kernel.run(b.kernel.steps + n) };
  for (let i = 0; i < 400 && !b.kernel.cpus.every((c) => !c.halted); i++) ctx.run(50_000);
  return { tr, ctx, fs: buildTracefs(ctx, tr) };
}
const read = (fs: Tracefs, p: string): string => {
  const r = fs.read(p);
  if (typeof r === 'number') throw new Error(`read ${p}: ${r}`);
  return r;
};
const openNb = (fs: Tracefs, p: string): OpenFile => {
  const f = fs.open(p, { ...O_RDONLY, nonblock: true });
  if (typeof f === 'number') throw new Error(`open ${p}: ${f}`);
  return f;
};
/** Every page a non-blocking reader gets until -EAGAIN. */
function drain(f: OpenFile): Uint8Array[] {
  const pages: Uint8Array[] = [];
  for (;;) {
    const r = f.read!(0, 4096);
    if (typeof r === 'number') {
      expect(r).toBe(-EAGAIN);
      return pages;
    }
    expect(r.length).toBe(4096);
    pages.push(r);
  }
}

/** A format file's fields: name -> offset/size (what libtraceevent reads). */
function formatFields(text: string): Map<string, { offset: number; size: number }> {
  const m = new Map<string, { offset: number; size: number }>();
  for (const l of text.split('\n')) {
    const r = /^\tfield:.*?([A-Za-z_][A-Za-z_0-9]*)(\[[^\]]*\])?;\toffset:(\d+);\tsize:(\d+);/.exec(l);
    if (r) m.set(r[1]!, { offset: Number(r[3]), size: Number(r[4]) });
  }
  return m;
}

describe('page encoding (ring_buffer_event, buffer_data_page)', () => {
  it('round trip: random events with deltas needing time extends, time going backwards (absolute stamps), long payloads and discarded events', () => {
    const ev = fc.record({
      gap: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 2 ** 27, max: 2 ** 40 }), fc.integer({ min: -5000, max: -1 })),
      size: fc.integer({ min: 8, max: 300 }),
      discarded: fc.boolean(),
      fill: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 50n }), fc.array(ev, { minLength: 1, maxLength: 40 }), (t0, evs) => {
      const w = new PageWriter();
      const kept: { ts: bigint; payload: Uint8Array }[] = [];
      let ts = t0 + 10n ** 6n;
      let discards = 0;
      for (const e of evs) {
        ts += BigInt(e.gap);
        const payload = new Uint8Array(e.size).fill(e.fill);
        if (!w.add({ ts, payload, discarded: e.discarded })) break;
        if (e.discarded) discards++;
        else kept.push({ ts, payload });
      }
      const d = decodePage(w.finish());
      expect(d.discarded).toBe(discards);
      expect(d.events.map((x) => x.ts)).toEqual(kept.map((x) => x.ts));
      // payloads come back rounded up to 4 bytes (the kernel's alignment), the data first
      d.events.forEach((x, i) => expect(x.payload.subarray(0, kept[i]!.payload.length)).toEqual(kept[i]!.payload));
    }), { numRuns: 200 });
  });

  it('writes the kernel type_len values: 30 for a delta of 2^27 or more, 31 when time goes back, 29 for a discarded event; a delta of 2^27-1 needs none', () => {
    const typesOf = (p: Uint8Array): number[] => {
      const dv = new DataView(p.buffer);
      const out: number[] = [];
      const commit = dv.getUint32(8, true) & 0x3fffffff;
      for (let off = 0; off < commit;) {
        const h = dv.getUint32(16 + off, true);
        const t = h & 31;
        out.push(t);
        if (t === RINGBUF_TYPE_TIME_EXTEND || t === RINGBUF_TYPE_TIME_STAMP) off += 8;
        else if (t === RINGBUF_TYPE_PADDING) off += 4 + dv.getUint32(20 + off, true);
        else off += 4 + (t === 0 ? 4 + dv.getUint32(20 + off, true) : t * 4);
      }
      return out;
    };
    const pl = new Uint8Array(24);
    const w = new PageWriter();
    w.add({ ts: 1000n, payload: pl });
    w.add({ ts: 1000n + 2n ** 27n - 1n, payload: pl });
    w.add({ ts: 1000n + 2n ** 28n, payload: pl });
    w.add({ ts: 5n, payload: pl });
    w.add({ ts: 6n, payload: pl, discarded: true });
    w.add({ ts: 7n, payload: new Uint8Array(200) });
    expect(typesOf(w.finish())).toEqual([6, 6, 30, 6, 31, 6, 29, 0]);
    const d = decodePage(w.page);
    expect(d.timeStamp).toBe(1000n);
    expect(d.events.map((e) => e.ts)).toEqual([1000n, 1000n + 2n ** 27n - 1n, 1000n + 2n ** 28n, 5n, 7n]);
  });

  it('marks lost events in commit (RB_MISSED_EVENTS) and stores their count after the data (RB_MISSED_STORED)', () => {
    const w = new PageWriter();
    w.add({ ts: 1n, payload: new Uint8Array(24) });
    const p = w.finish(7);
    const commit = new DataView(p.buffer).getUint32(8, true);
    expect(commit & RB_MISSED_EVENTS).not.toBe(0);
    const d = decodePage(p);
    expect([d.missedEvents, d.missed, d.commit, d.events.length]).toEqual([true, 7n, 28, 1]);
    expect(decodePage(new PageWriter().finish()).missedEvents).toBe(false);
  });
});

describe('per_cpu/cpuN/trace_pipe_raw on the booted kernel', () => {
  it('hands out whole pages that decode (format-file offsets) to exactly what per_cpu/cpuN/trace shows, and consumes them', () => {
    const s = setup();
    expect(runKernelCall(s.ctx, s.tr.setTracer('function'))).toBe(0);
    s.ctx.run(300_000);
    expect(s.fs.write('tracing_on', '0')).toBe(0);
    const o = s.tr.outputContext();
    const common = formatFields(read(s.fs, 'events/ftrace/print/format'));
    expect(common.get('common_type')).toEqual({ offset: 0, size: 2 });
    expect(common.get('common_pid')).toEqual({ offset: 4, size: 4 });
    for (const cpu of [0, 1]) {
      const text = read(s.fs, `per_cpu/cpu${cpu}/trace`).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      expect(text.length).toBeGreaterThan(100);
      const pages = drain(openNb(s.fs, `per_cpu/cpu${cpu}/trace_pipe_raw`));
      expect(pages.length).toBeGreaterThan(1);
      const decoded: string[] = [];
      for (const p of pages) {
        for (const e of decodePage(p).events) {
          const dv = new DataView(e.payload.buffer);
          expect(dv.getUint16(common.get('common_type')!.offset, true)).toBe(TRACE_FN);
          const pid = dv.getInt32(common.get('common_pid')!.offset, true);
          // struct ftrace_entry: unsigned long ip @8, parent_ip @16
          const ip = Number(BigInt.asIntN(64, dv.getBigUint64(8, true)));
          const parent = Number(BigInt.asIntN(64, dv.getBigUint64(16, true)));
          const us = (e.ts + 500n) / 1000n; // ns_to_usecs, as `trace` rounds
          const stamp = `${us / 1000000n}.${String(us % 1000000n).padStart(6, '0')}`;
          decoded.push(`${pid} ${stamp}: ${o.resolve(ip, false)} <-${o.resolve(parent, false)}`);
        }
      }
      const shown = text.map((l) => {
        const m = /^\s*\S+-(\d+)\s+\[\d+\].{6}\s+(\d+\.\d+): (.*)$/.exec(l)!;
        return `${m[1]} ${m[2]}: ${m[3]}`;
      });
      expect(decoded).toEqual(shown);
      expect(read(s.fs, `per_cpu/cpu${cpu}/trace`).split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
    }
  });

  it('a short read takes a page holding only the events that fit in it, and the next reads continue in that page; under 16 bytes nothing is taken', () => {
    const s = setup();
    expect(read(s.fs, 'per_cpu/cpu0/stats')).toContain('entries: 0');
    expect(runKernelCall(s.ctx, s.tr.setTracer('function'))).toBe(0);
    s.ctx.run(100_000);
    expect(s.fs.write('tracing_on', '0')).toBe(0);
    const before = s.tr.buffer.entries(0);
    const f = openNb(s.fs, 'per_cpu/cpu0/trace_pipe_raw');
    expect(f.read!(0, 15)).toEqual(new Uint8Array(0));
    expect(s.tr.buffer.entries(0)).toBe(before);
    const a = f.read!(0, 100) as Uint8Array;
    expect(a.length).toBe(100);
    // 84 bytes of data: three 28-byte function events (time extends aside)
    expect(s.tr.buffer.entries(0)).toBeLessThanOrEqual(before - 2);
    const taken = before - s.tr.buffer.entries(0);
    const b2 = f.read!(0, 4096) as Uint8Array;
    expect(b2.length).toBe(3996);
    const page = new Uint8Array(4096);
    page.set(a, 0);
    page.set(b2, 100);
    expect(decodePage(page).events.length).toBe(taken);
    expect(s.tr.buffer.entries(0)).toBe(before - taken);
    expect((f.read!(0, 4096) as Uint8Array).length).toBe(4096);
    expect(s.tr.buffer.entries(0)).toBeLessThan(before - taken);
  });

  it('an empty buffer: -EAGAIN under O_NONBLOCK; a read of 0 bytes is 0; snapshot_raw without a snapshot is end of file', () => {
    const s = setup();
    const f = openNb(s.fs, 'per_cpu/cpu1/trace_pipe_raw');
    expect(f.read!(0, 4096)).toBe(-EAGAIN);
    expect(f.read!(0, 0)).toEqual(new Uint8Array(0));
    expect(openNb(s.fs, 'per_cpu/cpu0/snapshot_raw').read!(0, 4096)).toBe(-EAGAIN);
    const g = s.fs.open('per_cpu/cpu0/snapshot_raw', O_RDONLY) as OpenFile;
    expect(g.read!(0, 4096)).toEqual(new Uint8Array(0));
  });
});

describe('per_cpu/cpuN/snapshot', () => {
  it('reads the per-CPU help; 0 is -EINVAL; 1 swaps only that CPU (snapshot_raw then has its pages); 2 clears that CPU of the snapshot', () => {
    const s = setup();
    const t0 = read(s.fs, 'per_cpu/cpu1/snapshot');
    expect(t0).toBe('# tracer: nop\n#\n#\n# * Snapshot is freed *\n#\n# Snapshot commands:\n' +
      '# echo 0 > snapshot : Invalid for per_cpu snapshot file.\n' +
      '# echo 1 > snapshot : Allocates snapshot buffer, if not already allocated.\n' +
      '#                      Takes a snapshot of the main buffer for this cpu.\n' +
      '# echo 2 > snapshot : Clears this cpu\'s snapshot buffer (but does not allocate)\n' +
      '#                      (Doesn\'t have to be \'2\' works with any number that\n' +
      '#                       is not a \'0\' or \'1\')\n');
    expect(s.fs.write('per_cpu/cpu1/snapshot', '0\n')).toBe(-EINVAL);
    expect(s.fs.write('per_cpu/cpu1/snapshot', 'x\n')).toBe(-EINVAL);
    expect(runKernelCall(s.ctx, s.tr.setTracer('function'))).toBe(0);
    s.ctx.run(200_000);
    expect(s.fs.write('tracing_on', '0')).toBe(0);
    const main0 = s.tr.buffer.entries(0);
    const main1 = s.tr.buffer.entries(1);
    expect(main0 * main1).toBeGreaterThan(0);
    expect(s.fs.write('per_cpu/cpu1/snapshot', '1\n')).toBe(0);
    expect(s.tr.buffer.entries(0)).toBe(main0);
    expect(s.tr.buffer.entries(1)).toBe(0);
    expect(read(s.fs, 'per_cpu/cpu0/snapshot')).toContain('# * Snapshot is allocated *');
    expect(read(s.fs, 'per_cpu/cpu1/snapshot').split('\n').filter((l) => l.includes('[001]')).length).toBe(main1);
    expect(read(s.fs, 'snapshot')).not.toContain('[000]');
    expect(s.fs.write('per_cpu/cpu1/snapshot', '2\n')).toBe(0);
    expect(read(s.fs, 'per_cpu/cpu1/snapshot')).toContain('# * Snapshot is allocated *');
    expect(s.fs.write('per_cpu/cpu0/snapshot', '1\n')).toBe(0);
    const pages = drain(openNb(s.fs, 'per_cpu/cpu0/snapshot_raw'));
    expect(pages.reduce((n, p) => n + decodePage(p).events.length, 0)).toBe(main0);
  });
});
