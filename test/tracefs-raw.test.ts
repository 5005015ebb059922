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

/** One event's format as libtraceevent reads it: its name and every field's offset, size and signedness. */
interface EventFormat { name: string; fields: Map<string, { offset: number; size: number; signed: boolean }> }

/** Every format file under events/, by ID. */
function allFormats(fs: Tracefs): Map<number, EventFormat> {
  const out = new Map<number, EventFormat>();
  const ls = (p: string): string[] => {
    const d = fs.lookup(p);
    if (typeof d === 'number' || d.kind !== 'dir') return [];
    return [...d.entries()].map(([n]) => n);
  };
  for (const sys of ls('events')) {
    for (const ev of ls(`events/${sys}`)) {
      if (typeof fs.lookup(`events/${sys}/${ev}/format`) === 'number') continue;
      const text = read(fs, `events/${sys}/${ev}/format`);
      const id = Number(/^ID: (\d+)$/m.exec(text)![1]);
      const fields = new Map<string, { offset: number; size: number; signed: boolean }>();
      for (const l of text.split('\n')) {
        const r = /^\tfield:.*?([A-Za-z_][A-Za-z_0-9]*)(\[[^\]]*\])?;\toffset:(\d+);\tsize:(\d+);\tsigned:([01]);$/.exec(l);
        if (r) fields.set(r[1]!, { offset: Number(r[3]), size: Number(r[4]), signed: r[5] === '1' });
      }
      out.set(id, { name: /^name: (\S+)$/m.exec(text)![1]!, fields });
    }
  }
  return out;
}

/** A field of a record by its format: a number (bigint past 2^53), or the NUL-terminated text of a char array. */
function field(f: EventFormat, p: Uint8Array, name: string): bigint | string {
  const d = f.fields.get(name);
  if (d === undefined) throw new Error(`${f.name}: no field ${name}`);
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (/comm$|^buf$/.test(name)) {
    const b = p.subarray(d.offset, d.size === 0 ? p.length : d.offset + d.size);
    const z = b.indexOf(0);
    return new TextDecoder().decode(z < 0 ? b : b.subarray(0, z));
  }
  if (d.size === 8) return d.signed ? dv.getBigInt64(d.offset, true) : dv.getBigUint64(d.offset, true);
  if (d.size === 4) return BigInt(d.signed ? dv.getInt32(d.offset, true) : dv.getUint32(d.offset, true));
  if (d.size === 2) return BigInt(dv.getUint16(d.offset, true));
  return BigInt(dv.getUint8(d.offset));
}

const STATE = (s: bigint): string => {
  const m = Number(s & 0xffn);
  let t = m ? [[1, 'S'], [2, 'D'], [4, 'T'], [8, 't'], [0x10, 'X'], [0x20, 'Z'], [0x40, 'P'], [0x80, 'I']].filter(([b]) => m & (b as number)).map(([, c]) => c).join('|') : 'R';
  if (s & 0x100n) t += '+';
  return t;
};

describe('trace_pipe_raw decoded with every offset from the format files, against the function_graph `trace`', () => {
  it('funcgraph_entry / funcgraph_exit (name, depth, calltime..rettime as the duration), print and the sched events match per_cpu/cpuN/trace line for line', () => {
    const s = setup();
    expect(s.fs.write('set_event', 'sched:*')).toBe(0);
    expect(s.fs.write('options/funcgraph-tail', '1')).toBe(0);
    expect(runKernelCall(s.ctx, s.tr.setTracer('function_graph'))).toBe(0);
    s.ctx.run(20_000);
    expect(s.fs.write('trace_marker', 'marked here')).toBe(0);
    s.ctx.run(100_000);
    expect(s.fs.write('tracing_on', '0')).toBe(0);
    const fmts = allFormats(s.fs);
    const byName = new Map([...fmts].map(([id, f]) => [f.name, id]));
    // the IDs are enum trace_type's
    expect([byName.get('funcgraph_exit'), byName.get('funcgraph_entry'), byName.get('print'), byName.get('function')]).toEqual([10, 11, 5, 1]);
    const o = s.tr.outputContext();
    const sym = (a: bigint): string => o.resolve(Number(BigInt.asIntN(64, a)), false);
    const kinds = new Set<string>();
    for (const cpu of [0, 1]) {
      const shown = read(s.fs, `per_cpu/cpu${cpu}/trace`).split('\n')
        .filter((l) => l.includes('|') && !l.startsWith('#') && !l.includes('=========='))
        .map((l) => {
          const m = /^ \d\)([^|]*)\|(.*)$/.exec(l);
          if (m === null) throw new Error(`unexpected line: ${JSON.stringify(l)}`);
          const dur = /(\d+\.\d{3}) us/.exec(m[1]!);
          return `${dur ? dur[1] : ''}|${m[2]}`;
        });
      const recs: { f: EventFormat; p: Uint8Array }[] = [];
      for (const pg of drain(openNb(s.fs, `per_cpu/cpu${cpu}/trace_pipe_raw`))) {
        for (const e of decodePage(pg).events) {
          const type = Number(new DataView(e.payload.buffer).getUint16(0, true));
          recs.push({ f: fmts.get(type)!, p: e.payload });
        }
      }
      const us = (a: bigint, b: bigint): string => `${(b - a) / 1000n}.${String((b - a) % 1000n).padStart(3, '0')}`;
      const ind = (d: bigint): string => ' '.repeat(2 + 2 * Number(d));
      const decoded: string[] = [];
      for (let i = 0; i < recs.length; i++) {
        const { f, p } = recs[i]!;
        const g = (n: string): bigint => field(f, p, n) as bigint;
        const t = (n: string): string => field(f, p, n) as string;
        kinds.add(f.name);
        if (f.name === 'funcgraph_entry') {
          const nx = recs[i + 1];
          const pid = (r: { f: EventFormat; p: Uint8Array }): bigint => field(r.f, r.p, 'common_pid') as bigint;
          if (nx !== undefined && nx.f.name === 'funcgraph_exit' && pid(nx) === pid(recs[i]!) && field(nx.f, nx.p, 'func') === g('func')) {
            decoded.push(`${us(field(nx.f, nx.p, 'calltime') as bigint, field(nx.f, nx.p, 'rettime') as bigint)}|${ind(g('depth'))}${sym(g('func'))}();`);
            i++;
          } else {
            decoded.push(`|${ind(g('depth'))}${sym(g('func'))}() {`);
          }
        } else if (f.name === 'funcgraph_exit') {
          decoded.push(`${us(g('calltime'), g('rettime'))}|${ind(g('depth'))}} /* ${sym(g('func'))} */`);
        } else {
          let c: string;
          if (f.name === 'print') c = t('buf').replace(/\n$/, '');
          else if (f.name === 'sched_switch') {
            c = `sched_switch: prev_comm=${t('prev_comm')} prev_pid=${g('prev_pid')} prev_prio=${g('prev_prio')} prev_state=${STATE(g('prev_state'))} ==> ` +
              `next_comm=${t('next_comm')} next_pid=${g('next_pid')} next_prio=${g('next_prio')}`;
          } else if (f.name.startsWith('sched_wak')) {
            c = `${f.name}: comm=${t('comm')} pid=${g('pid')} prio=${g('prio')} target_cpu=${String(g('target_cpu')).padStart(3, '0')}`;
          } else if (f.name === 'sched_process_fork') {
            c = `sched_process_fork: comm=${t('parent_comm')} pid=${g('parent_pid')} child_comm=${t('child_comm')} child_pid=${g('child_pid')}`;
          } else if (f.name === 'sched_process_exit') c = `sched_process_exit: comm=${t('comm')} pid=${g('pid')} prio=${g('prio')}`;
          else throw new Error(`unexpected ${f.name}`);
          decoded.push(`|/* ${c} */`);
        }
      }
      // comments sit at the CPU's current depth: compare them without their indentation
      const norm = (l: string): string => (l.includes('/* ') && !l.includes('} /*') ? l.replace(/\|\s+/, '|') : l);
      expect(decoded.length).toBeGreaterThan(50);
      expect(decoded.map(norm)).toEqual(shown.map(norm));
    }
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['funcgraph_entry', 'funcgraph_exit', 'print', 'sched_switch']));
  });

  it('negative control: decoding funcgraph_exit with the pre-6.18 order (depth before overrun at 16, calltime at 24) disagrees with `trace`', () => {
    const s = setup();
    expect(runKernelCall(s.ctx, s.tr.setTracer('function_graph'))).toBe(0);
    s.ctx.run(100_000);
    expect(s.fs.write('tracing_on', '0')).toBe(0);
    const fmt = allFormats(s.fs).get(10)!;
    const wrong: EventFormat = { name: fmt.name, fields: new Map(fmt.fields) };
    wrong.fields.set('calltime', { offset: 24, size: 8, signed: false });
    const durs = read(s.fs, 'per_cpu/cpu0/trace').split('\n').map((l) => /(\d+\.\d{3}) us/.exec(l)?.[1]).filter((d) => d !== undefined);
    const pages = drain(openNb(s.fs, 'per_cpu/cpu0/trace_pipe_raw'));
    const got = (f: EventFormat): string[] => {
      const out: string[] = [];
      for (const pg of pages) {
        for (const e of decodePage(pg).events) {
          if (new DataView(e.payload.buffer).getUint16(0, true) !== 10) continue;
          const d = (field(f, e.payload, 'rettime') as bigint) - (field(f, e.payload, 'calltime') as bigint);
          out.push(`${d / 1000n}.${String(d % 1000n).padStart(3, '0')}`);
        }
      }
      return out;
    };
    expect(durs.length).toBeGreaterThan(10);
    expect(got(fmt)).toEqual(durs);
    expect(got(wrong).slice(0, 10)).not.toEqual(durs.slice(0, 10));
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
