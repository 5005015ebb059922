// tracefs trace events of interrupts and the scheduler's prev_state on the bundled kernel: nmi:nmi_handler, irq_vectors reschedule/call_function, sched_switch's R / R+ / X, set_event with soft mode (include/trace/events/nmi.h, arch/x86/include/asm/trace/irq_vectors.h, kernel/trace/trace_events.c).

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import { withTracefs, readFile, type TracefsMachine } from './helpers/tracefs.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));
const read = readFile;

function machine(opts: { cpus?: number; nmiRate?: number } = {}): TracefsMachine {
  const b = boot(image, 'vmlinux', { cpus: opts.cpus ?? 2, seed: 1, nmiRate: opts.nmiRate });
  return withTracefs(b);
}

const lines = (m: TracefsMachine): string[] => read(m, 'trace').split('\n').filter((l) => l !== '' && !l.startsWith('#'));

let workload: string[] | null = null;
/** One run of the workload from boot with every sched event and reschedule_entry on (shared by the tests that only read it). */
function workloadLines(): string[] {
  if (workload === null) {
    const m = machine();
    expect(m.fs.write('events/sched/enable', '1')).toBe(0);
    expect(m.fs.write('events/irq_vectors/reschedule_entry/enable', '1')).toBe(0);
    m.run(8_000_000);
    workload = lines(m);
  }
  return workload;
}

const COMMON = '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n' +
  '\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n' +
  '\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n' +
  '\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n';

describe('format files of the new events', () => {
  const m = machine();
  it('nmi:nmi_handler as nmi.h declares it', () => {
    expect(read(m, 'events/nmi/nmi_handler/format')).toBe('name: nmi_handler\nID: 308\nformat:\n' + COMMON +
      '\tfield:void * handler;\toffset:8;\tsize:8;\tsigned:0;\n' +
      '\tfield:s64 delta_ns;\toffset:16;\tsize:8;\tsigned:1;\n' +
      '\tfield:int handled;\toffset:24;\tsize:4;\tsigned:1;\n\n' +
      'print fmt: "%ps() delta_ns: %lld handled: %d", REC->handler, REC->delta_ns, REC->handled\n');
    expect(read(m, 'events/nmi/nmi_handler/id')).toBe('308\n');
    expect(read(m, 'events/nmi/enable')).toBe('0\n');
  });
  it('the irq_vectors IPI events are x86_irq_vector events, IDs in irq_vectors.h order', () => {
    const ids: [string, number][] = [['reschedule_entry', 302], ['reschedule_exit', 303], ['call_function_entry', 304],
      ['call_function_exit', 305], ['call_function_single_entry', 306], ['call_function_single_exit', 307]];
    for (const [name, id] of ids) {
      expect(read(m, `events/irq_vectors/${name}/format`)).toBe(`name: ${name}\nID: ${id}\nformat:\n` + COMMON +
        '\tfield:int vector;\toffset:8;\tsize:4;\tsigned:1;\n\nprint fmt: "vector=%d", REC->vector\n');
    }
  });
});

describe('nmi:nmi_handler', () => {
  it('one line per NMI the guest handled, in NMI context, naming the guest handler; none while disabled', () => {
    const m = machine({ nmiRate: 20 });
    m.run(3_000_000);
    expect(lines(m).filter((l) => l.includes('nmi_handler:'))).toEqual([]); // disabled: no line
    expect(m.fs.write('events/nmi/nmi_handler/enable', '1')).toBe(0);
    m.run(3_000_000);
    const nl = lines(m).filter((l) => l.includes(' nmi_handler: '));
    expect(nl.length).toBeGreaterThan(0);
    for (const l of nl) {
      // 'Z': NMI inside hardirq (the NMI entry counts both), as trace_print_lat_fmt prints it
      expect(l, l).toMatch(/^ +\S+-\d+ +\[00[01]\] [d.].Z[.0-9]. +\d+\.\d{6}: nmi_handler: nmi_handler\(\) delta_ns: \d+ handled: 1$/);
    }
    expect(nl.some((l) => !/delta_ns: 0 /.test(l))).toBe(true);
    expect(m.fs.write('events/nmi/nmi_handler/enable', '0')).toBe(0);
    expect(m.fs.write('trace', '')).toBe(0);
    m.run(2_000_000);
    expect(lines(m).filter((l) => l.includes('nmi_handler:'))).toEqual([]);
  });
  it('no NMIs, no lines (the machine sends none at --nmi-rate 0)', () => {
    const m = machine();
    expect(m.fs.write('events/nmi/enable', '1')).toBe(0);
    m.run(3_000_000);
    expect(lines(m).filter((l) => l.includes('nmi_handler:'))).toEqual([]);
  });
});

describe('irq_vectors IPIs', () => {
  it('reschedule_entry/exit for the IPI that wakes an idle CPU for a new task, in hardirq context', () => {
    const m = machine();
    expect(m.fs.write('set_event', 'irq_vectors:reschedule_entry irq_vectors:reschedule_exit')).toBe(0);
    // the workload's first task queued on the idle CPU 1 (spawn's IPI to an idle CPU)
    m.run(10_000_000);
    const rs = lines(m).filter((l) => / reschedule_(entry|exit): /.test(l));
    expect(rs.length).toBeGreaterThan(0);
    for (const l of rs) expect(l, l).toMatch(/^ +\S+-\d+ +\[00[01]\] [d.].h[.0-9]. +\d+\.\d{6}: reschedule_(entry|exit): vector=253$/);
    expect(rs.some((l) => /^ +<idle>-0 +\[001\] d\.h\.\. +\d+\.\d{6}: reschedule_entry: vector=253$/.test(l))).toBe(true);
    const entries = rs.filter((l) => l.includes('_entry:')).length;
    expect(rs.length - entries).toBe(entries);
  });
  it('call_function_entry/exit on the CPU the text-patching IPIs reach; none while disabled; never call_function_single', () => {
    const m = machine();
    m.run(5_000_000);
    expect(m.fs.write('current_tracer', 'function')).toBe(0);
    expect(m.fs.write('set_ftrace_filter', 'schedule')).toBe(0);
    expect(lines(m).some((l) => l.includes('call_function'))).toBe(false); // disabled: no line
    expect(m.fs.write('set_event', 'irq_vectors:call_function_entry irq_vectors:call_function_exit irq_vectors:call_function_single_entry')).toBe(0);
    expect(m.fs.write('set_ftrace_filter', 'do_sched_yield')).toBe(0);
    const ls = lines(m);
    const cf = ls.filter((l) => / call_function_(entry|exit): /.test(l));
    expect(cf.length).toBeGreaterThan(0);
    // ftsim's cross-CPU call vector is 0xfb (its CALL_FUNCTION_VECTOR)
    for (const l of cf) expect(l, l).toMatch(/^ +\S+-\d+ +\[00[01]\] d.h[.0-9]. +\d+\.\d{6}: call_function_(entry|exit): vector=251$/);
    const entries = cf.filter((l) => l.includes('_entry:')).length;
    expect(cf.length - entries).toBe(entries);
    // each entry is followed by its exit on the same CPU, with nothing of that CPU between
    const cpu1 = ls.filter((l) => l.includes('[001]'));
    cpu1.forEach((l, i) => { if (l.includes('call_function_entry:')) expect(cpu1[i + 1], l).toMatch(/call_function_exit: vector=251$/); });
    expect(ls.some((l) => l.includes('call_function_single'))).toBe(false);
  });
  it('a yield (a call to schedule(), not an IPI) gives no reschedule_entry', () => {
    const ls = workloadLines().filter((l) => / (reschedule_entry|sched_switch): /.test(l));
    // every switch by a yield or an exit ("R" or "X" from a non-idle task) has no reschedule_entry just before it on its CPU
    const byCpu = new Map<string, string[]>();
    for (const l of ls) {
      const cpu = /\[(\d{3})\]/.exec(l)![1]!;
      byCpu.set(cpu, [...(byCpu.get(cpu) ?? []), l]);
    }
    let soft = 0;
    for (const cl of byCpu.values()) {
      cl.forEach((l, i) => {
        if (!/prev_state=(R|X) ==>/.test(l) || / prev_pid=0 /.test(l)) return;
        soft++;
        expect(cl[i - 1] ?? '', l).not.toMatch(/reschedule_entry/);
      });
    }
    expect(soft).toBeGreaterThan(0);
  });
});

describe('sched_switch prev_state follows what happened', () => {
  it('R+ for a preempted task, R for one that yields and for the idle task, X for one that exits', () => {
    const sw = workloadLines().filter((l) => l.includes(' sched_switch: '));
    const states = (re: RegExp): number => sw.filter((l) => re.test(l)).length;
    expect(states(/prev_pid=[1-9]\d* prev_prio=120 prev_state=R\+ ==>/)).toBeGreaterThan(0);
    expect(states(/prev_pid=[1-9]\d* prev_prio=120 prev_state=R ==>/)).toBeGreaterThan(0);
    expect(states(/prev_pid=[1-9]\d* prev_prio=120 prev_state=X ==>/)).toBeGreaterThan(0);
    // the idle task is never "preempted" in the trace (schedule_idle: SM_IDLE)
    expect(states(/prev_pid=0 prev_prio=120 prev_state=R\+/)).toBe(0);
    // each X follows that task's sched_process_exit
    const ls = workloadLines();
    for (const l of sw.filter((x) => / prev_state=X /.test(x))) {
      const pid = / prev_pid=(\d+) /.exec(l)![1]!;
      const i = ls.indexOf(l);
      expect(ls.slice(0, i).some((x) => x.includes(`sched_process_exit: `) && x.includes(` pid=${pid} `)), l).toBe(true);
    }
  });
});

describe('sched_wakeup and sched_waking', () => {
  it('are defined but never fire: the bundled kernel tasks never sleep (a yield keeps them runnable), new tasks give wakeup_new', () => {
    const m = machine();
    expect(read(m, 'events/sched/sched_waking/format')).toContain('print fmt: "comm=%s pid=%d prio=%d target_cpu=%03d", REC->comm, REC->pid, REC->prio, REC->target_cpu\n');
    const ls = workloadLines();
    expect(ls.some((l) => l.includes(' sched_wakeup_new: '))).toBe(true); // control: the system records
    expect(ls.some((l) => / sched_(wakeup|waking): /.test(l))).toBe(false);
  });
});

describe('set_event and soft mode', () => {
  it('lists an event a trigger holds in soft mode (EVENT_FILE_FL_ENABLED), not after the trigger goes', () => {
    const m = machine();
    expect(read(m, 'set_event')).toBe('');
    expect(m.fs.write('events/sched/sched_process_exit/trigger', 'traceoff')).toBe(0);
    expect(read(m, 'events/sched/sched_process_exit/enable')).toBe('0*\n');
    expect(read(m, 'set_event')).toBe('sched:sched_process_exit\n');
    // enable_event holds its target in soft mode too
    expect(m.fs.write('events/sched/sched_process_exit/trigger', 'enable_event:nmi:nmi_handler')).toBe(0);
    expect(read(m, 'set_event')).toBe('nmi:nmi_handler\nsched:sched_process_exit\n');
    // '>' set_event clears the enabled state but the soft-mode events stay (soft-disabled)
    expect(m.fs.write('set_event', '')).toBe(0);
    expect(read(m, 'set_event')).toBe('nmi:nmi_handler\nsched:sched_process_exit\n');
    expect(m.fs.write('events/sched/sched_process_exit/trigger', '!enable_event:nmi:nmi_handler')).toBe(0);
    expect(m.fs.write('events/sched/sched_process_exit/trigger', '!traceoff')).toBe(0);
    expect(read(m, 'set_event')).toBe('');
  });
  it('a bad trigger is -EINVAL and logs nothing to error_log (only hist triggers log)', () => {
    const m = machine();
    for (const bad of ['nosuch', 'traceon:x', 'traceon if nope == 1', 'enable_event:nosuch:ev']) {
      expect(m.fs.write('events/sched/sched_switch/trigger', bad), bad).toBe(-22);
    }
    expect(read(m, 'error_log')).toBe('');
    // negative control: a bad filter does log
    expect(m.fs.write('events/sched/sched_switch/filter', 'nope == 1')).toBe(-22);
    expect(read(m, 'error_log')).not.toBe('');
  });
});
