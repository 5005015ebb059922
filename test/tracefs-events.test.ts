// tracefs trace events on the bundled kernel: events/ (enable, format, filter, trigger), set_event, available_events, and event lines in `trace` (kernel/trace/trace_events*.c).

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import type { KernelSnapshot } from '../src/kernel/kernel.js';
import { TraceArray } from '../src/trace/trace_functions.js';
import { withTracefs, readFile, type TracefsMachine } from './helpers/tracefs.js';
import { EEXIST, EINVAL, EPERM } from '../src/trace/tracefs/fs.js';
import { formatErrorLog, releaseTraceEvents, traceEvents } from '../src/trace/trace_events.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

type M = TracefsMachine;

/** Steps after which the bundled kernel's workload (tasks forking, switching, exiting) is about to start. */
const WARM_STEPS = 5_000_000;
const warm = new Map<number, KernelSnapshot>();

/** A booted machine, restored to just before the workload (one boot-and-run per CPU count, shared by the tests). */
function machine(cpus = 2, warmUp = true): M {
  const b = boot(image, 'vmlinux', { cpus, seed: 1 });
  let snap = warm.get(cpus);
  if (!warmUp) {
    // files only: the machine never runs
  } else if (snap === undefined) {
    b.kernel.run(WARM_STEPS);
    while (!b.kernel.quiescent()) b.kernel.run(b.kernel.steps + 1000);
    snap = b.kernel.snapshot();
    warm.set(cpus, snap);
  } else {
    b.kernel.restore(snap);
  }
  return withTracefs(b);
}

const read = readFile;

/** The `trace` file's text (the control files serve it from the same trace array). */
const traceText = (m: M): string => m.tr.traceText();

/** The event lines of `trace` (header dropped). */
const lines = (m: M): string[] => traceText(m).split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('events/ layout and formats', () => {
  const m = machine(1, false);

  it('has the kernel format of sched_switch, byte for byte', () => {
    const f = read(m, 'events/sched/sched_switch/format');
    expect(f.startsWith('name: sched_switch\nID: 312\nformat:\n' +
      '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n' +
      '\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n' +
      '\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n' +
      '\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n' +
      '\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n' +
      '\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n' +
      '\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n' +
      '\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n' +
      '\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n' +
      '\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n' +
      '\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n\n' +
      'print fmt: "prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d", REC->prev_comm,')).toBe(true);
    expect(f.endsWith('REC->next_comm, REC->next_pid, REC->next_prio\n')).toBe(true);
    expect(read(m, 'events/sched/sched_switch/id')).toBe('312\n');
  });

  it('has the other formats: wakeup, fork, exit, timer vectors, ftrace:print', () => {
    expect(read(m, 'events/sched/sched_wakeup_new/format')).toContain('\tfield:int target_cpu;\toffset:32;\tsize:4;\tsigned:1;\n\n' +
      'print fmt: "comm=%s pid=%d prio=%d target_cpu=%03d", REC->comm, REC->pid, REC->prio, REC->target_cpu\n');
    expect(read(m, 'events/sched/sched_process_fork/format')).toContain('\tfield:char child_comm[16];\toffset:28;\tsize:16;\tsigned:0;\n' +
      '\tfield:pid_t child_pid;\toffset:44;\tsize:4;\tsigned:1;\n');
    expect(read(m, 'events/sched/sched_process_exit/format')).toContain('print fmt: "comm=%s pid=%d prio=%d", REC->comm, REC->pid, REC->prio\n');
    expect(read(m, 'events/irq_vectors/local_timer_entry/format')).toContain('\tfield:int vector;\toffset:8;\tsize:4;\tsigned:1;\n\nprint fmt: "vector=%d", REC->vector\n');
    expect(read(m, 'events/ftrace/print/format')).toBe('name: print\nID: 5\nformat:\n' +
      '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n' +
      '\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n' +
      '\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n' +
      '\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n' +
      '\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;\n' +
      '\tfield:char buf[];\toffset:16;\tsize:0;\tsigned:0;\n\n' +
      'print fmt: "%ps: %s", (void *)REC->ip, REC->buf\n');
  });

  it('ftrace:print has its format only, and is not an event set_event or enable deals with', () => {
    expect(m.fs.lookup('events/ftrace/print/enable')).toBe(-2);
    expect(m.fs.lookup('events/ftrace/enable')).toBe(-2);
    expect(m.fs.lookup('events/sched/enable')).not.toBe(-2);
    expect(read(m, 'available_events')).toBe('irq_vectors:local_timer_entry\nirq_vectors:local_timer_exit\n' +
      'irq_vectors:reschedule_entry\nirq_vectors:reschedule_exit\nirq_vectors:call_function_entry\nirq_vectors:call_function_exit\n' +
      'irq_vectors:call_function_single_entry\nirq_vectors:call_function_single_exit\nnmi:nmi_handler\nsched:sched_process_exit\n' +
      'sched:sched_process_fork\nsched:sched_switch\nsched:sched_wakeup\nsched:sched_wakeup_new\nsched:sched_waking\n');
    expect(m.fs.write('set_event', 'ftrace:print')).toBe(-EINVAL);
    expect(m.fs.write('set_event', 'print')).toBe(-EINVAL);
  });

  it('events/ftrace has every trace_entries.h entry, each with its enum trace_type ID; only function and print have an id file, none has enable, filter or trigger', () => {
    const d = m.fs.lookup('events/ftrace');
    if (typeof d === 'number' || d.kind !== 'dir') throw new Error('no events/ftrace');
    expect([...d.entries()].map(([n]) => n).sort()).toEqual(['bprint', 'bputs', 'branch', 'context_switch', 'fgraph_retaddr_entry', 'func_repeats',
      'funcgraph_entry', 'funcgraph_exit', 'function', 'hwlat', 'kernel_stack', 'mmiotrace_map', 'mmiotrace_rw', 'osnoise', 'print', 'raw_data',
      'timerlat', 'user_stack', 'wakeup']);
    const ids: Record<string, number> = {
      function: 1, context_switch: 2, wakeup: 3, kernel_stack: 4, print: 5, bprint: 6, mmiotrace_rw: 7, mmiotrace_map: 8, branch: 9,
      funcgraph_exit: 10, funcgraph_entry: 11, fgraph_retaddr_entry: 12, user_stack: 13, bputs: 15, hwlat: 16, osnoise: 17, timerlat: 18,
      raw_data: 19, func_repeats: 20,
    };
    for (const [name, id] of Object.entries(ids)) {
      expect(read(m, `events/ftrace/${name}/format`).startsWith(`name: ${name}\nID: ${id}\nformat:\n`)).toBe(true);
      expect(m.fs.lookup(`events/ftrace/${name}/id`) === -2).toBe(name !== 'function' && name !== 'print');
      for (const f of ['enable', 'filter', 'trigger']) expect(m.fs.lookup(`events/ftrace/${name}/${f}`)).toBe(-2);
    }
    expect(read(m, 'events/ftrace/function/id')).toBe('1\n');
    expect(m.fs.write('events/ftrace/function/id', '2')).toBeLessThan(0);
  });

  it('the graph entries and the stacks have 6.18 x86-64 layouts and print fmts, byte for byte', () => {
    const common = '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n' +
      '\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n' +
      '\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n' +
      '\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n';
    expect(read(m, 'events/ftrace/function/format')).toBe('name: function\nID: 1\nformat:\n' + common +
      '\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;\n' +
      '\tfield:unsigned long parent_ip;\toffset:16;\tsize:8;\tsigned:0;\n' +
      '\tfield:unsigned long args[];\toffset:24;\tsize:0;\tsigned:0;\n\n' +
      'print fmt: " %ps <-- %ps", (void *)REC->ip, (void *)REC->parent_ip\n');
    expect(read(m, 'events/ftrace/funcgraph_entry/format')).toBe('name: funcgraph_entry\nID: 11\nformat:\n' + common +
      '\tfield:unsigned long func;\toffset:8;\tsize:8;\tsigned:0;\n' +
      '\tfield:unsigned int depth;\toffset:16;\tsize:4;\tsigned:0;\n' +
      '\tfield:unsigned long args[];\toffset:24;\tsize:0;\tsigned:0;\n\n' +
      'print fmt: "--> %ps (%u)", (void *)REC->func, REC->depth\n');
    expect(read(m, 'events/ftrace/funcgraph_exit/format')).toBe('name: funcgraph_exit\nID: 10\nformat:\n' + common +
      '\tfield:unsigned long func;\toffset:8;\tsize:8;\tsigned:0;\n' +
      '\tfield:unsigned long retval;\toffset:16;\tsize:8;\tsigned:0;\n' +
      '\tfield:unsigned int depth;\toffset:24;\tsize:4;\tsigned:0;\n' +
      '\tfield:unsigned int overrun;\toffset:28;\tsize:4;\tsigned:0;\n' +
      '\tfield:unsigned long long calltime;\toffset:32;\tsize:8;\tsigned:0;\n' +
      '\tfield:unsigned long long rettime;\toffset:40;\tsize:8;\tsigned:0;\n\n' +
      'print fmt: "<-- %ps (%u) (start: %llx  end: %llx) over: %u retval: %lx", (void *)REC->func, REC->depth, REC->calltime, REC->rettime, REC->depth, REC->retval\n');
    // packed: retaddr right after depth, unaligned
    expect(read(m, 'events/ftrace/fgraph_retaddr_entry/format')).toContain('\tfield:unsigned int depth;\toffset:16;\tsize:4;\tsigned:0;\n' +
      '\tfield:unsigned long retaddr;\toffset:20;\tsize:8;\tsigned:0;\n\nprint fmt: "--> %ps (%u) <- %ps", (void *)REC->func, REC->depth, (void *)REC->retaddr\n');
    const stackFmt = 'print fmt: "\\t=> %ps\\n\\t=> %ps\\n\\t=> %ps\\n" "\\t=> %ps\\n\\t=> %ps\\n\\t=> %ps\\n" "\\t=> %ps\\n\\t=> %ps\\n", (void *)REC->caller[0], ' +
      '(void *)REC->caller[1], (void *)REC->caller[2], (void *)REC->caller[3], (void *)REC->caller[4], (void *)REC->caller[5], (void *)REC->caller[6], (void *)REC->caller[7]\n';
    expect(read(m, 'events/ftrace/kernel_stack/format')).toBe('name: kernel_stack\nID: 4\nformat:\n' + common +
      '\tfield:int size;\toffset:8;\tsize:4;\tsigned:1;\n' +
      '\tfield:unsigned long caller[];\toffset:16;\tsize:0;\tsigned:0;\n\n' + stackFmt);
    expect(read(m, 'events/ftrace/user_stack/format')).toBe('name: user_stack\nID: 13\nformat:\n' + common +
      '\tfield:unsigned int tgid;\toffset:8;\tsize:4;\tsigned:0;\n' +
      '\tfield:unsigned long caller[8];\toffset:16;\tsize:64;\tsigned:0;\n\n' + stackFmt);
    expect(read(m, 'events/ftrace/func_repeats/format')).toContain('\tfield:unsigned long parent_ip;\toffset:16;\tsize:8;\tsigned:0;\n' +
      '\tfield:u16 count;\toffset:24;\tsize:2;\tsigned:0;\n' +
      '\tfield:u16 top_delta_ts;\toffset:26;\tsize:2;\tsigned:0;\n' +
      '\tfield:u32 bottom_delta_ts;\toffset:28;\tsize:4;\tsigned:0;\n\n' +
      'print fmt: " %ps <-%ps\\t(repeats:%u  delta: -%llu)", (void *)REC->ip, (void *)REC->parent_ip, REC->count, (((u64)(REC)->top_delta_ts << 32) | (REC)->bottom_delta_ts)\n');
    expect(read(m, 'events/ftrace/context_switch/format')).toContain('\tfield:unsigned int next_cpu;\toffset:16;\tsize:4;\tsigned:0;\n' +
      '\tfield:unsigned char prev_prio;\toffset:20;\tsize:1;\tsigned:0;\n');
    expect(read(m, 'events/ftrace/branch/format')).toContain('\tfield:char func[31];\toffset:12;\tsize:31;\tsigned:0;\n' +
      '\tfield:char file[21];\toffset:43;\tsize:21;\tsigned:0;\n\tfield:char correct;\toffset:64;\tsize:1;\tsigned:0;\n');
  });

  it('has header_page and header_event', () => {
    expect(read(m, 'events/header_event')).toContain('\ttime_extend : type == 30\n');
    expect(read(m, 'events/header_page')).toContain('\tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n');
  });
});

describe('enable at every level, set_event', () => {
  it('reads 0, 1 and X as the events below are set, and writes only 0 or 1', () => {
    const m = machine(1, false);
    expect(read(m, 'events/enable')).toBe('0\n');
    expect(m.fs.write('events/sched/sched_switch/enable', '1')).toBe(0);
    expect(read(m, 'events/sched/sched_switch/enable')).toBe('1\n');
    expect(read(m, 'events/sched/enable')).toBe('X\n');
    expect(read(m, 'events/irq_vectors/enable')).toBe('0\n');
    expect(read(m, 'events/enable')).toBe('X\n');
    expect(read(m, 'set_event')).toBe('sched:sched_switch\n');
    expect(m.fs.write('events/sched/enable', '1')).toBe(0);
    expect(read(m, 'events/sched/enable')).toBe('1\n');
    expect(read(m, 'events/sched/sched_process_exit/enable')).toBe('1\n');
    expect(m.fs.write('events/enable', '1')).toBe(0);
    expect(read(m, 'events/enable')).toBe('1\n');
    expect(read(m, 'events/irq_vectors/local_timer_exit/enable')).toBe('1\n');
    // bad values: -EINVAL, nothing changes
    // (kstrtoul base 10: no hex, no leading space)
    for (const bad of ['2', 'x', '', '-1', '0x1', ' 1', '1 ']) {
      expect(m.fs.write('events/sched/sched_switch/enable', bad)).toBe(-EINVAL);
      expect(m.fs.write('events/sched/enable', bad)).toBe(-EINVAL);
      expect(m.fs.write('events/enable', bad)).toBe(-EINVAL);
    }
    expect(read(m, 'events/enable')).toBe('1\n');
    expect(m.fs.write('events/enable', '0')).toBe(0);
    expect(read(m, 'events/enable')).toBe('0\n');
    expect(read(m, 'events/sched/enable')).toBe('0\n');
    expect(read(m, 'set_event')).toBe('');
  });

  it('set_event: > replaces, >> adds, ! removes, sys:* and *:*, a bad word is -EINVAL', () => {
    const m = machine(1, false);
    expect(m.fs.write('set_event', 'sched:sched_switch')).toBe(0);
    expect(m.fs.write('set_event', 'sched:sched_process_fork', { append: true })).toBe(0);
    expect(read(m, 'set_event')).toBe('sched:sched_process_fork\nsched:sched_switch\n');
    expect(m.fs.write('set_event', 'irq_vectors:local_timer_entry')).toBe(0);
    expect(read(m, 'set_event')).toBe('irq_vectors:local_timer_entry\n');
    expect(m.fs.write('set_event', 'sched:*')).toBe(0);
    expect(read(m, 'events/sched/enable')).toBe('1\n');
    expect(read(m, 'events/irq_vectors/enable')).toBe('0\n');
    expect(m.fs.write('set_event', '!sched:sched_wakeup', { append: true })).toBe(0);
    expect(read(m, 'events/sched/enable')).toBe('X\n');
    expect(read(m, 'events/sched/sched_wakeup/enable')).toBe('0\n');
    expect(m.fs.write('set_event', '*:*')).toBe(0);
    expect(read(m, 'events/enable')).toBe('1\n');
    expect(m.fs.write('set_event', '!*:*', { append: true })).toBe(0);
    expect(read(m, 'events/enable')).toBe('0\n');
    // a bare name matches an event or a whole system; 'sys:' is every event of the system
    expect(m.fs.write('set_event', 'nmi')).toBe(0);
    expect(read(m, 'set_event')).toBe('nmi:nmi_handler\n');
    expect(m.fs.write('set_event', 'irq_vectors')).toBe(0);
    expect(read(m, 'set_event')).toBe('irq_vectors:local_timer_entry\nirq_vectors:local_timer_exit\nirq_vectors:reschedule_entry\n' +
      'irq_vectors:reschedule_exit\nirq_vectors:call_function_entry\nirq_vectors:call_function_exit\n' +
      'irq_vectors:call_function_single_entry\nirq_vectors:call_function_single_exit\n');
    expect(m.fs.write('set_event', 'sched_switch sched:', { append: false })).toBe(0);
    expect(read(m, 'events/sched/enable')).toBe('1\n');
    // unknown: -EINVAL; with '>' the truncation already cleared everything, the words before the bad one stand
    expect(m.fs.write('set_event', 'sched:nope')).toBe(-EINVAL);
    expect(read(m, 'set_event')).toBe('');
    expect(m.fs.write('set_event', 'sched:sched_switch bogus:x sched:sched_wakeup')).toBe(-EINVAL);
    expect(read(m, 'set_event')).toBe('sched:sched_switch\n');
    // globs are not event names here (strcmp), except the '*' that means any
    expect(m.fs.write('set_event', 'sched:sched_s*', { append: true })).toBe(-EINVAL);
    // echo > set_event clears
    expect(m.fs.write('set_event', '')).toBe(0);
    expect(read(m, 'set_event')).toBe('');
  });
});

describe('event lines in trace on 2 CPUs', () => {
  it('records sched_switch, wakeup_new, fork, exit and the timer vectors as the kernel prints them', () => {
    const m = machine(2);
    expect(m.fs.write('set_event', '*:*')).toBe(0);
    m.run(3_000_000);
    const ls = lines(m);
    const sw = ls.filter((l) => l.includes(' sched_switch: '));
    expect(sw.length).toBeGreaterThan(0);
    const re = /^ +(\S+)-(\d+) +\[(\d{3})\] [.dDbBnNpLlZzHhs0-9]{5} +\d+\.\d{6}: sched_switch: prev_comm=(\S+) prev_pid=(\d+) prev_prio=120 prev_state=(R\+?|X) ==> next_comm=(\S+) next_pid=(\d+) next_prio=120$/;
    for (const l of sw) {
      const g = re.exec(l);
      expect(g, l).not.toBeNull();
      // the event is recorded by the task leaving the CPU
      expect(g![2]).toBe(g![5]);
    }
    const cpus = new Set(sw.map((l) => re.exec(l)![3]));
    expect(cpus.size).toBe(2);
    // wakeup_new: recorded by the forking task, naming the child
    const wk = ls.filter((l) => l.includes(' sched_wakeup_new: '));
    expect(wk.length).toBeGreaterThan(0);
    for (const l of wk) {
      const g = /^ +(\S+)-(\d+) .*: sched_wakeup_new: comm=(\S+) pid=(\d+) prio=120 target_cpu=00[01]$/.exec(l);
      expect(g, l).not.toBeNull();
      expect(g![4]).not.toBe(g![2]);
      expect(g![3]).not.toBe(g![1]);
    }
    expect(ls.some((l) => /: local_timer_entry: vector=236$/.test(l))).toBe(true);
    expect(ls.some((l) => /: local_timer_exit: vector=236$/.test(l))).toBe(true);
    const fork = ls.filter((l) => l.includes(' sched_process_fork: '));
    expect(fork.length).toBeGreaterThan(0);
    expect(fork[0]).toMatch(/: sched_process_fork: comm=\S+ pid=\d+ child_comm=\S+ child_pid=\d+$/);
    const exits = ls.filter((l) => l.includes(' sched_process_exit: '));
    expect(exits.length).toBeGreaterThan(0);
    // an exiting task leaves the CPU dead: its switch-out shows X
    const pid = /pid=(\d+) prio/.exec(exits[0]!)![1];
    expect(sw.some((l) => l.includes(`prev_pid=${pid} prev_prio=120 prev_state=X`))).toBe(true);
  });

  it('records nothing while no event is enabled, and stops when disabled (negative control)', () => {
    const m = machine(2);
    m.run(1_000_000);
    expect(lines(m)).toEqual([]);
    expect(m.fs.write('events/sched/sched_switch/enable', '1')).toBe(0);
    m.run(1_000_000);
    const n = lines(m).length;
    expect(n).toBeGreaterThan(0);
    expect(lines(m).every((l) => l.includes(' sched_switch: '))).toBe(true);
    expect(m.fs.write('events/sched/sched_switch/enable', '0')).toBe(0);
    m.run(1_000_000);
    expect(lines(m).length).toBe(n);
  });
});

describe('filters', () => {
  it('keeps only the events that match, and 0 clears (with a negative control)', () => {
    const m = machine(2);
    expect(read(m, 'events/sched/sched_switch/filter')).toBe('none\n');
    expect(m.fs.write('events/sched/sched_switch/filter', 'next_pid == 0 && (prev_comm ~ "swap*" || prev_state & 0x10)')).toBe(0);
    expect(read(m, 'events/sched/sched_switch/filter')).toBe('next_pid == 0 && (prev_comm ~ "swap*" || prev_state & 0x10)\n');
    expect(m.fs.write('events/sched/sched_switch/enable', '1')).toBe(0);
    m.run(2_000_000);
    const filtered = lines(m);
    // swapper never switches to itself: only dead tasks switching to idle pass
    for (const l of filtered) expect(l).toMatch(/prev_state=X ==> next_comm=swapper\/\d next_pid=0/);
    // negative control: the switches the filter dropped did happen
    expect(m.fs.write('events/sched/sched_switch/filter', '0')).toBe(0);
    expect(read(m, 'events/sched/sched_switch/filter')).toBe('none\n');
    m.tr.buffer.reset();
    m.run(2_000_000);
    const all = lines(m);
    expect(all.some((l) => /prev_state=R\+? ==> /.test(l))).toBe(true);
    expect(all.some((l) => !/next_pid=0 /.test(l) && !/next_pid=0$/.test(l))).toBe(true);
  });

  it('compares numbers by the field type, strings with == and globs with ~, common fields too', () => {
    const m = machine(2);
    expect(m.fs.write('events/sched/sched_switch/filter', 'common_pid != 0 && next_comm != "nobody" && prev_pid >= 1')).toBe(0);
    expect(m.fs.write('events/sched/sched_switch/enable', '1')).toBe(0);
    m.run(2_000_000);
    const ls = lines(m);
    expect(ls.length).toBeGreaterThan(0);
    for (const l of ls) expect(l).not.toMatch(/prev_pid=0 /);
    expect(m.fs.write('events/sched/sched_switch/filter', '!(prev_pid < 1)')).toBe(0);
    expect(m.fs.write('events/sched/sched_switch/filter', 'prev_comm == "swapper/0"')).toBe(0);
    m.tr.buffer.reset();
    m.run(2_000_000);
    for (const l of lines(m)) expect(l).toContain('prev_comm=swapper/0 ');
  });

  it('a bad expression is -EINVAL, shows the caret and the error, disables the filter and logs to error_log', () => {
    const m = machine(2);
    const ev = traceEvents(m.tr);
    const cases: [string, number, string, number][] = [
      // parse_pred counts from one past the predicate's start (the kernel's own off-by-one)
      ['prev_pidx == 1', -EINVAL, 'Field not found', 10],
      ['prev_pid = 1', -EINVAL, 'Invalid operator', 10],
      ['prev_pid == "a"', -EINVAL, 'Expecting numeric field', 13],
      ['prev_comm == 1', -EINVAL, 'Expecting string field', 14],
      ['prev_comm < "a"', -EINVAL, 'Illegal operation for field type', 13],
      ['prev_pid ~ 1', -EINVAL, 'Illegal operation for field type', 12],
      ['prev_pid == 1z', -EINVAL, 'Illegal integer value', 13],
      ['prev_pid == x', -EINVAL, 'Invalid value (did you forget quotes)?', 13],
      ['common_pid == 1 && (next_pid == 2 || next_pidx == 3)', -EINVAL, 'Field not found', 47],
      // predicate_parse and calc_stack return -1/-2/-3 as they are: -EPERM, -ENOENT, -ESRCH
      ['prev_pid == 1 prev_pid == 2', -EPERM, 'Too many terms in predicate expression', 14],
      ['prev_comm == "abc', -3, 'Missing matching quote', 13],
      ['(prev_pid == 1', -2, "Too many '('", 0],
      ['prev_pid == 1)', -EPERM, "Too few '('", 13],
    ];
    for (const [expr, errno, err, pos] of cases) {
      ev.errorLog.length = 0;
      expect(m.fs.write('events/sched/sched_switch/filter', expr), expr).toBe(errno);
      const shown = read(m, 'events/sched/sched_switch/filter');
      const caretCol = pos === 0 ? 0 : Math.min(pos, expr.length);
      expect(shown, expr).toBe(`${expr}\n${' '.repeat(caretCol)}^\nparse_error: ${err}\n\n`);
      expect(ev.errorLog.length).toBe(1);
      expect(ev.errorLog[0]).toMatchObject({ loc: 'event filter parse error', err, cmd: expr, pos });
      expect(formatErrorLog(ev.errorLog)).toMatch(new RegExp(`^\\[ *\\d+\\.\\d{6}\\] event filter parse error: error: ${err.replace(/[()?]/g, '\\$&')}\\n` +
        `  Command: ${expr.replace(/[()|]/g, '\\$&')}\\n {${11 + pos}}\\^\\n$`));
    }
    // the failed filter does not filter: every switch is recorded
    expect(m.fs.write('events/sched/sched_switch/filter', 'next_pid == 99999')).toBe(0);
    expect(m.fs.write('events/sched/sched_switch/filter', 'next_pidx == 99999')).toBe(-EINVAL);
    expect(m.fs.write('events/sched/sched_switch/enable', '1')).toBe(0);
    m.run(1_000_000);
    expect(lines(m).length).toBeGreaterThan(0);
    // an expression with no field: an error without a position
    ev.errorLog.length = 0;
    expect(m.fs.write('events/sched/sched_switch/filter', '== 1')).toBe(-EPERM);
    expect(read(m, 'events/sched/sched_switch/filter')).toBe('== 1\nError: (0)\n\n');
    expect(ev.errorLog[0]).toMatchObject({ err: 'Error', pos: 0 });
  });

  it('a system filter goes to each event that takes it; the others show the subsystem error; the write succeeds either way', () => {
    const m = machine(1, false);
    expect(read(m, 'events/sched/filter')).toContain('### global filter ###\n');
    expect(m.fs.write('events/sched/filter', 'common_pid == 7')).toBe(0);
    expect(read(m, 'events/sched/sched_switch/filter')).toBe('common_pid == 7\n');
    expect(read(m, 'events/sched/sched_process_exit/filter')).toBe('common_pid == 7\n');
    // process_system_preds marks the write done after every event, taken or not
    // the event's filter string is the error text, and the filter file prints it with a newline of its own
    const subsysErr = "^\nparse_error: Couldn't find or set field in one of a subsystem's events\n\n";
    expect(m.fs.write('events/sched/filter', 'prev_pid == 7')).toBe(0);
    expect(read(m, 'events/sched/sched_switch/filter')).toBe('prev_pid == 7\n');
    expect(read(m, 'events/sched/sched_process_exit/filter')).toBe(`prev_pid == 7\n${subsysErr}`);
    expect(read(m, 'error_log')).toContain("event filter parse error: error: Couldn't find or set field in one of a subsystem's events\n  Command: prev_pid == 7\n");
    expect(m.fs.write('events/sched/filter', 'nosuchfield == 7')).toBe(0);
    expect(read(m, 'events/sched/sched_switch/filter')).toBe(`nosuchfield == 7\n${subsysErr}`);
    expect(read(m, 'events/sched/filter')).toContain('### global filter ###\n');
    expect(m.fs.write('events/sched/filter', '0')).toBe(0);
    expect(read(m, 'events/sched/sched_switch/filter')).toBe('none\n');
  });
});

describe('triggers', () => {
  it('lists the available triggers, reads back as the kernel prints them, and removes with !', () => {
    const m = machine(1, false);
    const t = 'events/sched/sched_switch/trigger';
    expect(read(m, t)).toBe('# Available triggers:\n# traceon traceoff snapshot stacktrace enable_event disable_event\n');
    expect(m.fs.write(t, 'traceoff:3 if prev_pid == 1')).toBe(0);
    expect(read(m, t)).toBe('traceoff:count=3 if prev_pid == 1\n');
    expect(m.fs.write(t, 'stacktrace')).toBe(0);
    // newest first (list_add_rcu at the head of file->triggers)
    expect(read(m, t)).toBe('stacktrace:unlimited\ntraceoff:count=3 if prev_pid == 1\n');
    // soft mode: enable shows '*'
    expect(read(m, 'events/sched/sched_switch/enable')).toBe('0*\n');
    // errors: the same command twice, unknown command, bad count, bad or missing 'if', bad filter
    expect(m.fs.write(t, 'traceoff')).toBe(-EEXIST);
    expect(m.fs.write(t, 'hist')).toBe(-EINVAL);
    expect(m.fs.write(t, 'traceon:x')).toBe(-EINVAL);
    expect(m.fs.write(t, 'traceon:2 when prev_pid == 1')).toBe(-EINVAL);
    expect(m.fs.write(t, 'traceon if')).toBe(-EINVAL);
    expect(m.fs.write(t, 'traceon if nope == 1')).toBe(-EINVAL);
    expect(m.fs.write(t, '')).toBe(-EINVAL);
    expect(read(m, t)).toBe('stacktrace:unlimited\ntraceoff:count=3 if prev_pid == 1\n');
    // '>' does not clear triggers; '!' removes one (an absent one too, silently)
    expect(m.fs.write(t, '!traceoff')).toBe(0);
    expect(m.fs.write(t, '!traceon')).toBe(0);
    expect(read(m, t)).toBe('stacktrace:unlimited\n');
    expect(m.fs.write(t, '!stacktrace')).toBe(0);
    expect(read(m, t)).toBe('# Available triggers:\n# traceon traceoff snapshot stacktrace enable_event disable_event\n');
    expect(read(m, 'events/sched/sched_switch/enable')).toBe('0\n');
  });

  it('traceoff stops recording and counts down; traceon restarts it', () => {
    const m = machine(2);
    expect(m.fs.write('events/sched/enable', '1')).toBe(0);
    expect(m.fs.write('events/sched/sched_process_exit/trigger', 'traceoff:1')).toBe(0);
    m.run(3_000_000);
    expect(m.tr.tracingOn).toBe(false);
    expect(read(m, 'events/sched/sched_process_exit/trigger')).toBe('traceoff:count=0\n');
    // the unconditional trigger runs before the record: no exit event was recorded
    const frozen = traceText(m);
    expect(frozen).not.toContain('sched_process_exit:');
    m.run(1_000_000);
    expect(traceText(m)).toBe(frozen);
    // traceon on switches (conditional: it runs after the record, which tracing off drops)
    expect(m.fs.write('events/sched/sched_switch/trigger', 'traceon if prev_pid >= 0')).toBe(0);
    m.run(1_000_000);
    expect(m.tr.tracingOn).toBe(true);
    expect(traceText(m)).not.toBe(frozen);
  });

  it('stacktrace:N records N stack traces after the event, and a trigger filter that never matches fires nothing', () => {
    const m = machine(2);
    expect(m.fs.write('events/sched/sched_switch/enable', '1')).toBe(0);
    expect(m.fs.write('events/sched/sched_switch/trigger', 'stacktrace:2')).toBe(0);
    m.run(2_000_000);
    const txt = traceText(m);
    expect(txt.split('<stack trace>').length - 1).toBe(2);
    expect(txt).toMatch(/: <stack trace>\n => \S+\n/);
    expect(read(m, 'events/sched/sched_switch/trigger')).toBe('stacktrace:count=0\n');
    // unconditional: the trigger runs before the record, so the stack comes first
    expect(lines(m)[0]).toMatch(/: <stack trace>$/);
    // conditional: it runs on the record, after it
    const m3 = machine(2);
    expect(m3.fs.write('events/sched/sched_switch/trigger', 'stacktrace:1 if next_pid >= 0')).toBe(0);
    expect(m3.fs.write('events/sched/sched_switch/enable', '1')).toBe(0);
    m3.run(1_000_000);
    const l3 = lines(m3);
    expect(l3[0]).toMatch(/: sched_switch: /);
    expect(l3[1]).toMatch(/: <stack trace>$/);
    // negative control: a filter no switch matches
    const m2 = machine(2);
    expect(m2.fs.write('events/sched/sched_switch/trigger', 'stacktrace if next_pid == 77777')).toBe(0);
    expect(m2.fs.write('events/sched/sched_switch/enable', '1')).toBe(0);
    m2.run(2_000_000);
    expect(traceText(m2)).not.toContain('<stack trace>');
    expect(traceText(m2)).toContain('sched_switch:');
  });
});

describe('trace arrays', () => {
  it('each trace array has its own enables; a released one records nothing more', () => {
    const m = machine(2);
    const other = new TraceArray(m.b.kernel, m.b.ftrace!.core, m.b.ftrace!.arch, { sizeKb: 1024 });
    const ev2 = traceEvents(other);
    expect(ev2.setClrWord('sched:sched_switch', true)).toBe(0);
    m.run(1_000_000);
    expect(lines(m)).toEqual([]);
    const n = other.buffer.totalEntries().written;
    expect(n).toBeGreaterThan(0);
    expect(read(m, 'set_event')).toBe('');
    releaseTraceEvents(other);
    m.run(1_000_000);
    expect(other.buffer.totalEntries().written).toBe(n);
  });

  it('error_log keeps the newest 8 entries (TRACING_LOG_ERRS_MAX), and the error_log file shows them', () => {
    const m = machine(1, false);
    const ev = traceEvents(m.tr);
    for (let i = 0; i < 20; i++) expect(m.fs.write('events/sched/sched_switch/filter', `bad${i} == 1`)).toBe(-EINVAL);
    expect(ev.errorLog.length).toBe(8);
    expect(ev.errorLog[0]!.cmd).toBe('bad12 == 1');
    const log = m.fs.read('error_log');
    expect(typeof log).toBe('string');
    expect((log as string).match(/^\[ *\d+\.\d{6}\] event filter parse error: error: /gm)?.length).toBe(8);
    expect(log as string).toContain('Command: bad19 == 1');
    expect(log as string).not.toContain('Command: bad11 == 1');
  });
});
