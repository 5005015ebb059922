// trace-output-options.test.ts — the generic trace options' layouts of `trace` (raw, hex, bin, fields, latency-format, verbose, record-tgid, printk-msg-only, func_repeats), byte for byte against trace.c/trace_output.c.

import { describe, it, expect } from 'vitest';
import { RingBuffer, TRACE_FLAG_IRQS_OFF } from '../src/trace/ring_buffer.js';
import { renderTrace, hexAddr, type OutputContext } from '../src/trace/trace_output.js';
import { registerEventPrinters } from '../src/trace/trace_events_defs.js';
import { TRACE_FUNC_REPEATS } from '../src/trace/trace_func_repeats.js';

const BASE = -2130706432; // 0xffffffff81000000
const SYMS: Record<string, [number, number]> = { simple_strtoul: [BASE + 0xa00, 0xa0], vfs_read: [BASE + 0xd00, 0x80] };
const A = (name: string, off = 0): number => SYMS[name][0] + off;
function resolve(addr: number, withOffset: boolean): string {
  for (const [name, [v, size]] of Object.entries(SYMS)) {
    if (addr >= v && addr < v + size) return withOffset ? `${name}+0x${(addr - v).toString(16)}/0x${size.toString(16)}` : name;
  }
  return hexAddr(addr);
}
const ctx = (o: OutputContext['options'], extra: Partial<OutputContext> = {}): OutputContext => ({
  tracer: 'function', nrCpus: 1, resolve, comm: (pid) => (pid === 4242 ? 'bash' : undefined), options: o, ...extra,
});
/** The lines after the header. */
const body = (t: string): string => t.split('\n').filter((l) => !l.startsWith('#')).join('\n');

/** One function event: bash-4242 on CPU 0 at 1.001 s, simple_strtoul+6 called from vfs_read+0x21. */
function fnBuffer(): RingBuffer {
  const rb = new RingBuffer({ nrCpus: 1 });
  rb.writeFunction(0, 1_001_000_000, 4242, 0, 0, A('simple_strtoul', 6), A('vfs_read', 0x21));
  return rb;
}

describe('raw, hex and bin (print_raw_fmt, print_hex_fmt, print_bin_fmt)', () => {
  it('a function event: raw `pid cpu ts ip parent` in hex addresses; hex fields; bin bytes; bin over hex over raw', () => {
    const rb = fnBuffer();
    const def = body(renderTrace(rb, ctx({})));
    expect(def).toBe('            bash-4242    [000] .....     1.001000: simple_strtoul <-vfs_read\n');
    expect(body(renderTrace(rb, ctx({ raw: true })))).toBe('4242 0 1001000000 ffffffff81000a06 ffffffff81000d21\n');
    expect(body(renderTrace(rb, ctx({ raw: true, contextInfo: false })))).toBe('ffffffff81000a06 ffffffff81000d21\n');
    const hex = '00001092 00000000 000000003baa0c40 ffffffff81000a06 ffffffff81000d21 \n';
    expect(body(renderTrace(rb, ctx({ hex: true })))).toBe(hex);
    expect(body(renderTrace(rb, ctx({ hex: true, raw: true })))).toBe(hex);
    const bin = renderTrace(rb, ctx({ bin: true, hex: true, raw: true, contextInfo: false }));
    // nocontext-info: the header is `# tracer:` alone, then the two addresses little-endian
    expect(bin).toBe('# tracer: function\n#\n' + '\x06\x0a\x00\x81\xff\xff\xff\xff' + '\x21\x0d\x00\x81\xff\xff\xff\xff');
  });

  it('a print event: raw `# ip text`; hex and bin have no function of their own (trace_nop_print: `type: 5`)', () => {
    const rb = new RingBuffer({ nrCpus: 1 });
    rb.writePrint(0, 2_000_000, 4242, 0, 0, 0, 'hello\n');
    expect(body(renderTrace(rb, ctx({ raw: true })))).toBe('4242 0 2000000 # 0 hello\n');
    expect(body(renderTrace(rb, ctx({ hex: true, contextInfo: false })))).toBe('type: 5\n\n');
  });

  it('a trace event (sched_process_exit): raw is trace_nop_print (`type: ID`); the default prints its format', () => {
    registerEventPrinters();
    const rb = new RingBuffer({ nrCpus: 1 });
    const data = new Uint8Array(24);
    data.set(new TextEncoder().encode('bash'), 0);
    new DataView(data.buffer).setInt32(16, 4242, true);
    new DataView(data.buffer).setInt32(20, 120, true);
    rb.writeRaw(0, 3_000_000, 4242, 0, 0, 310, data);
    expect(body(renderTrace(rb, ctx({})))).toMatch(/: sched_process_exit: comm=bash pid=4242 prio=120\n$/);
    expect(body(renderTrace(rb, ctx({ raw: true })))).toBe('4242 0 3000000 type: 310\n');
    // fields: the event's fields, last defined first (list_add), by size: 0x%x (%d) for 4 bytes
    expect(body(renderTrace(rb, ctx({ fields: true })))).toBe(
      '            bash-4242    [000] .....     0.003000: sched_process_exit: prio=0x78 (120) pid=0x1092 (4242) comm=bash\n');
  });
});

describe('fields (print_event_fields)', () => {
  it('the function entry prints its ip and parent_ip with %pS; off: the usual line', () => {
    const rb = fnBuffer();
    expect(body(renderTrace(rb, ctx({ fields: true })))).toBe(
      '            bash-4242    [000] .....     1.001000: function: parent_ip=vfs_read+0x21/0x80 ip=simple_strtoul+0x6/0xa0\n');
    expect(body(renderTrace(rb, ctx({ fields: false })))).toContain(': simple_strtoul <-vfs_read\n');
  });
});

describe('latency-format and verbose', () => {
  const LAT_HEADER =
    '# tracer: function\n#\n' +
    '# function latency trace v1.1.5 on 6.18.0\n' +
    '# --------------------------------------------------------------------\n' +
    '# latency: 0 us, #2/2, CPU#0 | (M:server VP:0, KP:0, SP:0 HP:0 #P:1)\n' +
    '#    -----------------\n' +
    '#    | task: -0 (uid:0 nice:0 policy:0 rt_prio:0)\n' +
    '#    -----------------\n' +
    '#\n';
  const LAT_HELP =
    '#                    _------=> CPU#            \n' +
    '#                   / _-----=> irqs-off/BH-disabled\n' +
    '#                  | / _----=> need-resched    \n' +
    '#                  || / _---=> hardirq/softirq \n' +
    '#                  ||| / _--=> preempt-depth   \n' +
    '#                  |||| / _-=> migrate-disable \n' +
    '#                  ||||| /     delay           \n' +
    '#  cmd     pid     |||||| time  |   caller     \n' +
    '#     \\   /        ||||||  \\    |    /       \n';

  function twoEvents(): RingBuffer {
    const rb = new RingBuffer({ nrCpus: 1 });
    rb.writeFunction(0, 1_000_000, 4242, TRACE_FLAG_IRQS_OFF, 1, A('simple_strtoul'), A('vfs_read', 0x21));
    rb.writeFunction(0, 1_150_000, 0, 0, 0, A('vfs_read'), 0);
    return rb;
  }

  it('prints the latency header, the lat help, and lat lines with the delay mark of the gap to the next event', () => {
    const t = renderTrace(twoEvents(), ctx({ latencyFormat: true }, { release: '6.18.0' }));
    expect(t).toBe(LAT_HEADER + LAT_HELP +
      // %8.8s-%-7d %3d, the flags, then ` %4lldus%c: ` (150 µs to the next event: '!', the last has none)
      '    bash-4242      0d..1. 1000us!: simple_strtoul <-vfs_read\n' +
      '  <idle>-0         0..... 1150us : vfs_read\n');
  });

  it('verbose: no help lines, the verbose columns and the ms timestamps', () => {
    const t = renderTrace(twoEvents(), ctx({ latencyFormat: true, verbose: true }, { release: '6.18.0' }));
    expect(t).toBe(LAT_HEADER +
      '            bash    4242   0 1 00000001 00000000 [000003e8] 1.000ms (+0.150ms): simple_strtoul <-vfs_read\n' +
      '          <idle>       0   0 0 00000000 00000001 [0000047e] 1.150ms (+0.000ms): vfs_read\n');
  });

  it('an empty buffer prints no latency header; noverbose without latency-format: verbose drops the help lines', () => {
    expect(renderTrace(new RingBuffer({ nrCpus: 1 }), ctx({ latencyFormat: true }))).toBe('# tracer: function\n#\n');
    const v = renderTrace(fnBuffer(), ctx({ verbose: true }));
    expect(v).toBe('# tracer: function\n#\n# entries-in-buffer/entries-written: 1/1   #P:1\n#\n' +
      '            bash-4242    [000] .....     1.001000: simple_strtoul <-vfs_read\n');
  });
});

describe('record-tgid (print_func_help_header_irq / print_func_help_header, trace_print_context)', () => {
  it('adds the TGID column: the saved tgid, (-------) for a pid without one', () => {
    const rb = fnBuffer();
    rb.writeFunction(0, 1_002_000_000, 7, 0, 0, A('vfs_read'), 0);
    const t = renderTrace(rb, ctx({ recordTgid: true }, { tgid: (p) => (p === 4242 ? 4242 : undefined) }));
    // the kernel's format pieces with %.*s of precision 12
    const pre = '#                            ' + ' '.repeat(12);
    expect(t).toContain(
      pre + '  _-----=> irqs-off/BH-disabled\n' +
      pre + ' / _----=> need-resched\n' +
      pre + '| / _---=> hardirq/softirq\n' +
      pre + '|| / _--=> preempt-depth\n' +
      pre + '||| / _-=> migrate-disable\n' +
      pre + '|||| /     delay\n' +
      '#           TASK-PID       TGID    CPU#  |||||  TIMESTAMP  FUNCTION\n' +
      '#              | |           |       |   |||||     |         |\n');
    expect(body(t)).toBe(
      '            bash-4242    (   4242) [000] .....     1.001000: simple_strtoul <-vfs_read\n' +
      '           <...>-7       (-------) [000] .....     1.002000: vfs_read\n');
    const plain = renderTrace(rb, ctx({ recordTgid: true, irqInfo: false }));
    expect(plain).toContain('#           TASK-PID       TGID    CPU#     TIMESTAMP  FUNCTION\n#              | |           |       |         |         |\n');
    // negative control: norecord-tgid keeps the capture's columns
    expect(renderTrace(rb, ctx({}))).toContain('#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n');
  });
});

describe('printk-msg-only and trace_printk (print_trace_line)', () => {
  it('a print event shows its message alone; notrace_printk or noprintk-msg-only keep the context', () => {
    const rb = new RingBuffer({ nrCpus: 1 });
    rb.writePrint(0, 2_000_000, 4242, 0, 0, 0, 'hello\n');
    expect(body(renderTrace(rb, ctx({ printkMsgOnly: true })))).toBe('hello\n');
    expect(body(renderTrace(rb, ctx({ printkMsgOnly: true, printk: false })))).toBe('            bash-4242    [000] .....     0.002000: tracing_mark_write: hello\n');
    expect(body(renderTrace(rb, ctx({})))).toBe('            bash-4242    [000] .....     0.002000: tracing_mark_write: hello\n');
  });
});

describe('func_repeats entries (trace_func_repeats_print, trace_func_repeats_raw)', () => {
  it('print the function, its parent, the count and the last repeat\'s time; raw prints the fields in decimal', () => {
    const rb = new RingBuffer({ nrCpus: 1 });
    const d = new Uint8Array(24);
    const dv = new DataView(d.buffer);
    dv.setBigUint64(0, BigInt.asUintN(64, BigInt(A('simple_strtoul'))), true);
    dv.setBigUint64(8, BigInt.asUintN(64, BigInt(A('vfs_read', 0x21))), true);
    dv.setUint16(16, 3, true);
    dv.setUint32(20, 250_000, true);
    rb.writeRaw(0, 5_000_000, 4242, 0, 0, TRACE_FUNC_REPEATS, d);
    expect(body(renderTrace(rb, ctx({})))).toBe(
      '            bash-4242    [000] .....     0.005000: simple_strtoul <-vfs_read (repeats: 3, last_ts:     0.004750)\n');
    expect(body(renderTrace(rb, ctx({ raw: true })))).toBe('4242 0 5000000 18446744071578847744 18446744071578848545 3 250000\n');
  });
});
