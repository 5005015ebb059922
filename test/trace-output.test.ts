// trace-output.test.ts — the trace and trace_pipe text, byte for byte against the kernel's formats (real capture, ftrace.rst examples).

import { describe, it, expect } from 'vitest';
import { RingBuffer, TRACE_FLAG_HARDIRQ, TRACE_FLAG_IRQS_OFF, TRACE_FLAG_NMI, TRACE_FLAG_SOFTIRQ, TRACE_FLAG_NEED_RESCHED, TRACE_FLAG_PREEMPT_RESCHED, TRACE_FLAG_BH_OFF, TRACE_FLAG_NEED_RESCHED_LAZY } from '../src/trace/ring_buffer.js';
import {
  renderTrace, readTracePipe, TracePipe, traceHeader, formatGraphDuration, durationMark, latencyFlags, formatTimestamp, formatStats,
  hexAddr, type OutputContext,
} from '../src/trace/trace_output.js';

// A small symbol table: name -> [address, size], addresses in the machine's signed-double form.
const BASE = -2130706432; // 0xffffffff81000000
const SYMS: Record<string, [number, number]> = {
  sys_close: [BASE + 0x100, 0x40], system_call_fastpath: [BASE + 0x200, 0x80], hrtimer_interrupt: [BASE + 0x300, 0x120],
  smp_apic_timer_interrupt: [BASE + 0x500, 0x60], sys_open: [BASE + 0x600, 0x30], __might_sleep: [BASE + 0x700, 0x50],
  __switch_to: [BASE + 0x800, 0x200], simple_strtoul: [BASE + 0xa00, 0xa0], do_sys_open: [BASE + 0xb00, 0x100],
  kmem_cache_alloc: [BASE + 0xc00, 0x80], vfs_read: [BASE + 0xd00, 0x80],
};
const A = (name: string, off = 0): number => SYMS[name][0] + off;
function resolve(addr: number, withOffset: boolean): string {
  for (const [name, [v, size]] of Object.entries(SYMS)) {
    if (addr >= v && addr < v + size) return withOffset ? `${name}+0x${(addr - v).toString(16)}/0x${size.toString(16)}` : name;
  }
  return hexAddr(addr);
}
const COMMS: Record<number, string> = { 1977: 'bash', 4802: 'sh', 1755: 'sshd', 1: 'migration/0' };
const ctx = (tracer: string, nrCpus: number, extra: Partial<OutputContext> = {}): OutputContext => ({
  tracer, nrCpus, resolve, comm: (pid) => COMMS[pid], ...extra,
});
const body = (text: string): string => text.split('\n').filter((l) => l !== '#' && !l.startsWith('# ')).join('\n');

const NOP_EMPTY_2CPU =
`# tracer: nop
#
# entries-in-buffer/entries-written: 0/0   #P:2
#
#                                _-----=> irqs-off/BH-disabled
#                               / _----=> need-resched
#                              | / _---=> hardirq/softirq
#                              || / _--=> preempt-depth
#                              ||| / _-=> migrate-disable
#                              |||| /     delay
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
`;

describe('the trace file of the nop and function tracers', () => {
  it('an empty nop buffer reads exactly as the real 6.18 capture', () => {
    expect(renderTrace(new RingBuffer({ nrCpus: 2 }), ctx('nop', 2))).toBe(NOP_EMPTY_2CPU);
  });

  it('the function tracer prints the ftrace.rst example lines byte for byte under the same header', () => {
    const rb = new RingBuffer({ nrCpus: 4 });
    rb.writeFunction(0, 17284993652_000, 1977, 0, 0, A('sys_close'), A('system_call_fastpath', 0x16));
    rb.writeFunction(3, 4186475409_000, 0, TRACE_FLAG_IRQS_OFF | TRACE_FLAG_HARDIRQ, 1, A('hrtimer_interrupt'), A('smp_apic_timer_interrupt', 0x3c));
    expect(renderTrace(rb, ctx('function', 4))).toBe(
      NOP_EMPTY_2CPU.replace('# tracer: nop', '# tracer: function').replace('0/0   #P:2', '2/2   #P:4') +
      '          <idle>-0       [003] d.h1.  4186.475409: hrtimer_interrupt <-smp_apic_timer_interrupt\n' +
      '            bash-1977    [000] ..... 17284.993652: sys_close <-system_call_fastpath\n');
  });

  it('timestamps are microseconds rounded to the nearest, seconds right-aligned in 5', () => {
    expect(formatTimestamp(0)).toBe('    0.000000');
    expect(formatTimestamp(1_499)).toBe('    0.000001');
    expect(formatTimestamp(1_500)).toBe('    0.000002');
    expect(formatTimestamp(999_999_500)).toBe('    1.000000');
    expect(formatTimestamp(123456_789012_345)).toBe('123456.789012');
  });

  it('options: noprint-parent, sym-offset, sym-addr, noirq-info, nocontext-info; <...> for an unknown comm', () => {
    const rb = new RingBuffer({ nrCpus: 1 });
    rb.writeFunction(0, 1_001_000_000, 4242, 0, 0, A('simple_strtoul', 6), A('vfs_read', 0x21));
    const line = (o: OutputContext['options']): string => body(renderTrace(rb, ctx('function', 1, { options: o })));
    expect(line({ printParent: false })).toBe('           <...>-4242    [000] .....     1.001000: simple_strtoul\n');
    expect(line({ symOffset: true })).toBe('           <...>-4242    [000] .....     1.001000: simple_strtoul+0x6/0xa0 <-vfs_read+0x21/0x80\n');
    expect(line({ symAddr: true, printParent: false })).toBe('           <...>-4242    [000] .....     1.001000: simple_strtoul <ffffffff81000a06>\n');
    expect(line({ irqInfo: false })).toBe('           <...>-4242    [000]      1.001000: simple_strtoul <-vfs_read\n');
    expect(line({ contextInfo: false })).toBe('simple_strtoul <-vfs_read\n');
    const hdr = renderTrace(rb, ctx('function', 1, { options: { irqInfo: false } })).split('\n').slice(4, 6).join('\n');
    expect(hdr).toBe('#           TASK-PID     CPU#     TIMESTAMP  FUNCTION\n#              | |         |         |         |');
  });

  it('the five flag columns follow trace_print_lat_fmt', () => {
    expect(latencyFlags(0, 0)).toBe('.....');
    expect(latencyFlags(TRACE_FLAG_IRQS_OFF | TRACE_FLAG_BH_OFF, 0)).toBe('D....');
    expect(latencyFlags(TRACE_FLAG_BH_OFF, 0)).toBe('b....');
    expect(latencyFlags(TRACE_FLAG_NEED_RESCHED, 0)).toBe('.n...');
    expect(latencyFlags(TRACE_FLAG_NEED_RESCHED | TRACE_FLAG_PREEMPT_RESCHED, 0)).toBe('.N...');
    expect(latencyFlags(TRACE_FLAG_NEED_RESCHED_LAZY, 0)).toBe('.l...');
    expect(latencyFlags(TRACE_FLAG_PREEMPT_RESCHED, 0)).toBe('.p...');
    expect(latencyFlags(TRACE_FLAG_NMI | TRACE_FLAG_HARDIRQ, 0)).toBe('..Z..');
    expect(latencyFlags(TRACE_FLAG_NMI, 0)).toBe('..z..');
    expect(latencyFlags(TRACE_FLAG_HARDIRQ | TRACE_FLAG_SOFTIRQ, 0)).toBe('..H..');
    expect(latencyFlags(TRACE_FLAG_SOFTIRQ, 0)).toBe('..s..');
    expect(latencyFlags(0, 0x1c)).toBe('...c1');
  });

  it('trace_marker text prints as tracing_mark_write: text', () => {
    const rb = new RingBuffer({ nrCpus: 2 });
    rb.writePrint(1, 5_000_000_000, 4802, 0, 0, 0, 'hello world\n');
    expect(body(renderTrace(rb, ctx('nop', 2)))).toBe('              sh-4802    [001] .....     5.000000: tracing_mark_write: hello world\n');
  });

  it('after overruns, each CPU but the first printed is announced (annotate)', () => {
    const rb = new RingBuffer({ nrCpus: 2, sizeKb: 8 });
    for (let i = 0; i < 3 * 145 + 1; i++) rb.writeFunction(0, 1000 + i, 1977, 0, 0, A('sys_close'), 0);
    rb.writeFunction(1, 1500, 1977, 0, 0, A('vfs_read'), 0);
    const lines = body(renderTrace(rb, ctx('function', 2))).split('\n');
    expect(lines[0]).toBe('            bash-1977    [000] .....     0.000001: sys_close');
    expect(lines.indexOf('##### CPU 1 buffer started ####')).toBeGreaterThan(0);
    expect(lines.filter((l) => l.startsWith('#####'))).toEqual(['##### CPU 1 buffer started ####']);
    expect(body(renderTrace(rb, ctx('function', 2, { options: { annotate: false } })))).not.toContain('#####');
  });
});

describe('trace_pipe', () => {
  it('consumes, has no header, and announces overwritten events as CPU:N [LOST M EVENTS]', () => {
    const rb = new RingBuffer({ nrCpus: 3, sizeKb: 8 });
    for (let i = 0; i < 3 * 145 + 146; i++) rb.writeFunction(2, 1_000_000_000 + i * 1_000_000, 1977, 0, 0, A('sys_close'), A('system_call_fastpath'));
    const first = readTracePipe(rb, ctx('function', 3), { maxEvents: 2 });
    expect(first).toBe(
      'CPU:2 [LOST 290 EVENTS]\n' +
      '            bash-1977    [002] .....     1.290000: sys_close <-system_call_fastpath\n' +
      '            bash-1977    [002] .....     1.291000: sys_close <-system_call_fastpath\n');
    expect(rb.stats(2).readEvents).toBe(2);
    expect(readTracePipe(rb, ctx('function', 3)).split('\n').length - 1).toBe(3 * 145 + 146 - 290 - 2);
    expect(readTracePipe(rb, ctx('function', 3))).toBe('');
    expect(traceHeader(rb, ctx('function', 3))).toContain('# entries-in-buffer/entries-written: 0/290   #P:3\n');
  });
});

describe('function_graph', () => {
  const G_HEADER = '# tracer: function_graph\n#\n# CPU  DURATION                  FUNCTION CALLS\n# |     |   |                     |   |   |   |\n';
  const ent = (rb: RingBuffer, cpu: number, ts: number, pid: number, f: string, depth: number): void => {
    rb.writeGraphEntry(cpu, ts, pid, 0, 0, A(f), depth);
  };
  const ret = (rb: RingBuffer, cpu: number, call: number, rt: number, pid: number, f: string, depth: number): void => {
    rb.writeGraphReturn(cpu, rt, pid, 0, 0, A(f), depth, call, rt);
  };

  it('prints the ftrace.rst example byte for byte: nested entry, collapsed leaf, closing brace with duration, orphan closer', () => {
    const rb = new RingBuffer({ nrCpus: 4 });
    ent(rb, 0, 1000, 1977, 'sys_open', 0);
    ent(rb, 0, 2000, 1977, '__might_sleep', 1);
    ret(rb, 0, 2000, 3382, 1977, '__might_sleep', 1);
    ret(rb, 0, 1000, 15237, 1977, 'sys_open', 0);
    ret(rb, 3, 100, 1837809, 1755, '__switch_to', 0);
    expect(renderTrace(rb, ctx('function_graph', 4))).toBe(G_HEADER +
      ' 0)               |  sys_open() {\n' +
      ' 0)   1.382 us    |    __might_sleep();\n' +
      ' 0) + 14.237 us   |  }\n' +
      ' 3) # 1837.709 us |  } /* __switch_to */\n');
  });

  it('duration markers switch strictly above each threshold', () => {
    const cases: Array<[number, string]> = [
      [10_000, ' '], [10_001, '+'], [100_000, '+'], [100_001, '!'], [1_000_000, '!'], [1_000_001, '#'],
      [10_000_001, '*'], [100_000_001, '@'], [1_000_000_000, '@'], [1_000_000_001, '$'],
    ];
    for (const [ns, mark] of cases) expect([ns, durationMark(ns)]).toEqual([ns, mark]);
    const rb = new RingBuffer({ nrCpus: 1 });
    let t = 0;
    for (const [ns] of cases) { ent(rb, 0, t, 1977, 'vfs_read', 0); ret(rb, 0, t, t + ns, 1977, 'vfs_read', 0); t += ns + 1; }
    expect(body(renderTrace(rb, ctx('function_graph', 1)))).toBe(
      ' 0)   10.000 us   |  vfs_read();\n' +
      ' 0) + 10.001 us   |  vfs_read();\n' +
      ' 0) + 100.000 us  |  vfs_read();\n' +
      ' 0) ! 100.001 us  |  vfs_read();\n' +
      ' 0) ! 1000.000 us |  vfs_read();\n' +
      ' 0) # 1000.001 us |  vfs_read();\n' +
      ' 0) * 10000.00 us |  vfs_read();\n' +
      ' 0) @ 100000.0 us |  vfs_read();\n' +
      ' 0) @ 1000000 us  |  vfs_read();\n' +
      ' 0) $ 1000000 us  |  vfs_read();\n');
  });

  it('durations keep 7 digits, dropping decimals as the integer part grows, then grow left', () => {
    expect(formatGraphDuration(0)).toBe('0.000 us    ');
    expect(formatGraphDuration(1_382)).toBe('1.382 us    ');
    expect(formatGraphDuration(14_237)).toBe('14.237 us   ');
    expect(formatGraphDuration(1_837_709)).toBe('1837.709 us ');
    expect(formatGraphDuration(12_345_678)).toBe('12345.67 us ');
    expect(formatGraphDuration(123_456_789)).toBe('123456.7 us ');
    expect(formatGraphDuration(1_234_567_890)).toBe('1234567 us  ');
    expect(formatGraphDuration(12_345_678_901)).toBe('12345678 us ');
  });

  it('a leaf is an entry whose very next event on the same CPU is its return; other CPUs may interleave', () => {
    const rb = new RingBuffer({ nrCpus: 2 });
    ent(rb, 0, 100, 1977, 'do_sys_open', 0);
    ent(rb, 0, 200, 1977, 'kmem_cache_alloc', 1);
    ent(rb, 1, 250, 4802, 'vfs_read', 0);
    ret(rb, 0, 200, 300, 1977, 'kmem_cache_alloc', 1);
    ent(rb, 0, 400, 1977, '__might_sleep', 1);
    ent(rb, 0, 500, 1977, 'sys_close', 2);
    ret(rb, 0, 500, 600, 1977, 'sys_close', 2);
    ret(rb, 0, 400, 700, 1977, '__might_sleep', 1);
    ret(rb, 1, 250, 800, 4802, 'vfs_read', 0);
    ret(rb, 0, 100, 900, 1977, 'do_sys_open', 0);
    expect(body(renderTrace(rb, ctx('function_graph', 2)))).toBe(
      ' 0)               |  do_sys_open() {\n' +
      ' 0)   0.100 us    |    kmem_cache_alloc();\n' +
      ' 1)   0.550 us    |  vfs_read();\n' +
      ' 0)               |    __might_sleep() {\n' +
      ' 0)   0.100 us    |      sys_close();\n' +
      ' 0)   0.300 us    |    }\n' +
      ' 0)   0.800 us    |  }\n');
  });

  it('funcgraph-tail names every closer; funcgraph-proc and funcgraph-abstime add their columns and headers', () => {
    const rb = new RingBuffer({ nrCpus: 2 });
    ent(rb, 1, 360_774_522_000, 4802, 'sys_open', 0);
    ent(rb, 1, 360_774_523_000, 4802, 'kmem_cache_alloc', 1);
    ret(rb, 1, 360_774_523_000, 360_774_524_000, 4802, 'kmem_cache_alloc', 1);
    ret(rb, 1, 360_774_522_000, 360_774_530_000, 4802, 'sys_open', 0);
    expect(body(renderTrace(rb, ctx('function_graph', 2, { graph: { tail: true } })))).toBe(
      ' 1)               |  sys_open() {\n' +
      ' 1)   1.000 us    |    kmem_cache_alloc();\n' +
      ' 1)   8.000 us    |  } /* sys_open */\n');
    const all = renderTrace(rb, ctx('function_graph', 2, { graph: { proc: true, abstime: true } }));
    expect(all).toBe('# tracer: function_graph\n#\n' +
      '#     TIME        CPU  TASK/PID         DURATION                  FUNCTION CALLS\n' +
      '#      |          |     |    |           |   |                     |   |   |   |\n' +
      '  360.774522 |   1)    sh-4802     |               |  sys_open() {\n' +
      '  360.774523 |   1)    sh-4802     |   1.000 us    |    kmem_cache_alloc();\n' +
      '  360.774530 |   1)    sh-4802     |   8.000 us    |  }\n');
  });

  it('a pid change on a CPU prints the context-switch block; marker text prints as a comment', () => {
    const rb = new RingBuffer({ nrCpus: 2 });
    ent(rb, 1, 100, 1, 'vfs_read', 0);
    ret(rb, 1, 100, 200, 1, 'vfs_read', 0);
    ent(rb, 1, 300, 1755, 'sys_open', 0);
    rb.writePrint(1, 350, 1755, 0, 0, 0, 'hi there\n');
    ret(rb, 1, 300, 400, 1755, 'sys_open', 0);
    expect(body(renderTrace(rb, ctx('function_graph', 2)))).toBe(
      ' 1)   0.100 us    |  vfs_read();\n' +
      ' ------------------------------------------\n' +
      ' 1)   migrati-1    =>   sshd-1755   \n' +
      ' ------------------------------------------\n' +
      '\n' +
      ' 1)               |  sys_open() {\n' +
      ' 1)               |  /* hi there */\n' +
      ' 1)   0.100 us    |  }\n');
  });

  it('the CPU column is as wide as the largest CPU number', () => {
    const rb = new RingBuffer({ nrCpus: 12 });
    ent(rb, 3, 100, 1977, 'vfs_read', 0);
    ret(rb, 3, 100, 200, 1977, 'vfs_read', 0);
    expect(body(renderTrace(rb, ctx('function_graph', 12)))).toBe('  3)   0.100 us    |  vfs_read();\n');
  });

  it('trace_pipe in function_graph consumes the leaf return with its entry', () => {
    const rb = new RingBuffer({ nrCpus: 1 });
    ent(rb, 0, 100, 1977, 'vfs_read', 0);
    ret(rb, 0, 100, 200, 1977, 'vfs_read', 0);
    expect(readTracePipe(rb, ctx('function_graph', 1))).toBe(' 0)   0.100 us    |  vfs_read();\n');
    expect(rb.stats(0).readEvents).toBe(2);
  });

  it('one open trace_pipe keeps its per-CPU state between reads: the context switch shows across reads', () => {
    const rb = new RingBuffer({ nrCpus: 1 });
    const pipe = new TracePipe(rb, ctx('function_graph', 1));
    ent(rb, 0, 100, 1977, 'vfs_read', 0);
    ret(rb, 0, 100, 200, 1977, 'vfs_read', 0);
    expect(pipe.read()).toBe(' 0)   0.100 us    |  vfs_read();\n');
    expect(pipe.read()).toBe('');
    ent(rb, 0, 300, 4802, 'vfs_read', 0);
    ret(rb, 0, 300, 400, 4802, 'vfs_read', 0);
    expect(pipe.read()).toBe(
      ' ------------------------------------------\n' +
      ' 0)   bash-1977    =>    sh-4802    \n' +
      ' ------------------------------------------\n\n' +
      ' 0)   0.100 us    |  vfs_read();\n');
  });
});

describe('per_cpu stats', () => {
  it('prints the kernel fields in order', () => {
    const rb = new RingBuffer({ nrCpus: 1, sizeKb: 8, clock: () => 9_000_000_500 });
    for (let i = 0; i < 3 * 145 + 1; i++) rb.writeFunction(0, 2_000_000_000 + i * 1000, 1, 0, 0, A('sys_close'), 0);
    expect(formatStats(rb.stats(0))).toBe(
      'entries: 291\noverrun: 145\ncommit overrun: 0\nbytes: 8148\noldest event ts:     2.000145\nnow ts:     9.000001\ndropped events: 0\nread events: 0\n');
  });
});
