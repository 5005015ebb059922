// Pid filtering of trace events on the bundled kernel: set_event_pid / set_event_notrace_pid (readback, errors, the effect decided at switch and wakeup time), the event-fork option, and the userstacktrace option's user_stack entries (kernel/trace/trace_events.c event_pid_write, event_filter_pid_sched_*; trace.c ftrace_trace_userstack).

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import type { KernelSnapshot } from '../src/kernel/kernel.js';
import { warmUp, withTracefs, readFile as read, type TracefsMachine } from './helpers/tracefs.js';
import { EINVAL, EPERM } from '../src/trace/tracefs/fs.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

/** Just before the workload: init (pid 1) then forks kworkers 2..5 and exits. */
const WARM_STEPS = 5_000_000;
const RUN = 2_500_000;
const warm: { snap?: KernelSnapshot } = {};

function machine(nmiRate?: number): TracefsMachine {
  const b = boot(image, 'vmlinux', { cpus: 2, seed: 1, nmiRate });
  if (nmiRate === undefined) warmUp(b, warm, WARM_STEPS);
  return withTracefs(b);
}

const lines = (m: TracefsMachine): string[] => read(m, 'trace').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
/** The pid of the task a line was recorded in (common_pid). */
const pidOf = (l: string): number => Number(/^\s*.*?-(\d+)\s+\[\d{3}\]/.exec(l)![1]);

describe('set_event_pid / set_event_notrace_pid files', () => {
  const m = machine();

  for (const file of ['set_event_pid', 'set_event_notrace_pid']) {
    it(`${file}: empty reads nothing; > replaces, >> adds, sorted one a line; a bad word or pid changes nothing`, () => {
      expect(read(m, file)).toBe('');
      expect(m.fs.write(file, '7\n')).toBe(0);
      expect(read(m, file)).toBe('7\n');
      expect(m.fs.write(file, '9 3', { append: true })).toBe(0);
      expect(read(m, file)).toBe('3\n7\n9\n');
      expect(m.fs.write(file, '0x10 010', { append: true })).toBe(0);
      expect(read(m, file)).toBe('3\n7\n8\n9\n16\n');
      // the whole write fails: not even the good words before the bad one are added
      expect(m.fs.write(file, '11 x', { append: true })).toBe(-EINVAL);
      expect(m.fs.write(file, '-1', { append: true })).toBe(-EINVAL);
      expect(m.fs.write(file, '08', { append: true })).toBe(-EINVAL);
      expect(m.fs.write(file, '18446744073709551616', { append: true })).toBe(-EINVAL);
      // (pid_t)4294967295 is -1: trace_pid_list_set refuses it (ret = -1)
      expect(m.fs.write(file, '4294967295', { append: true })).toBe(-EPERM);
      expect(m.fs.write(file, '1073741824', { append: true })).toBe(-EPERM);
      expect(read(m, file)).toBe('3\n7\n8\n9\n16\n');
      expect(m.fs.write(file, '5')).toBe(0);
      expect(read(m, file)).toBe('5\n');
      // appending nothing keeps the list (its pids count as written); a truncating write of nothing clears it
      expect(m.fs.write(file, ' \n', { append: true })).toBe(0);
      expect(read(m, file)).toBe('5\n');
      expect(m.fs.write(file, '')).toBe(0);
      expect(read(m, file)).toBe('');
      expect(m.fs.write(file, ' \n', { append: true })).toBe(0);
      expect(read(m, file)).toBe('');
    });
  }

  it('the two lists are separate, and an instance has its own', () => {
    expect(m.fs.write('set_event_pid', '4')).toBe(0);
    expect(read(m, 'set_event_notrace_pid')).toBe('');
    const inst = m.fs.lookup('instances');
    if (typeof inst === 'number' || inst.kind !== 'dir') throw new Error('no instances/');
    expect(inst.mkdir!('pidtest')).toBe(0);
    expect(read(m, 'instances/pidtest/set_event_pid')).toBe('');
    expect(m.fs.write('instances/pidtest/set_event_notrace_pid', '2')).toBe(0);
    expect(read(m, 'set_event_notrace_pid')).toBe('');
    expect(read(m, 'instances/pidtest/set_event_notrace_pid')).toBe('2\n');
    expect(m.fs.write('set_event_pid', '')).toBe(0);
  });
});

describe('event pid filtering on the workload', () => {
  let all: string[] = [];

  it('negative control: unfiltered, init (1) forks 2..5 and exits, and the kworkers record events of their own', () => {
    const m = machine();
    expect(m.fs.write('set_event', 'sched:* irq_vectors:*')).toBe(0);
    m.run(RUN);
    all = lines(m);
    expect(all.filter((l) => l.includes('sched_process_fork: comm=init pid=1 ')).length).toBe(4);
    expect(new Set(all.map(pidOf))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });

  it('set_event_pid 4: only what task 4 does, the switches to it and its wakeups are recorded', () => {
    const m = machine();
    expect(m.fs.write('set_event', 'sched:* irq_vectors:*')).toBe(0);
    expect(m.fs.write('set_event_pid', '4')).toBe(0);
    m.run(RUN);
    const ls = lines(m);
    const kept = (l: string): boolean => pidOf(l) === 4 || / next_pid=4 /.test(l) || /: sched_wak\w*: comm=\S+ pid=4 /.test(l);
    expect(ls.length).toBeGreaterThan(0);
    expect(ls.filter((l) => !kept(l))).toEqual([]);
    expect(ls.some((l) => pidOf(l) === 4 && l.includes('local_timer_exit'))).toBe(true);
    expect(ls.some((l) => / next_pid=4 /.test(l) && pidOf(l) !== 4)).toBe(true);
    // the same predicate rejects lines of the unfiltered run, and keeps every one of them that it accepts
    expect(all.some((l) => !kept(l))).toBe(true);
    expect(ls).toEqual(all.filter(kept));
  });

  it('set_event_notrace_pid 1: init records nothing but the switch away from it and the wakeups of others', () => {
    const m = machine();
    expect(m.fs.write('set_event', 'sched:* irq_vectors:*')).toBe(0);
    expect(m.fs.write('set_event_notrace_pid', '1')).toBe(0);
    m.run(RUN);
    const ls = lines(m);
    const fromInit = ls.filter((l) => pidOf(l) === 1);
    expect(ls.filter((l) => l.includes('sched_process_fork:'))).toEqual([]);
    expect(fromInit.filter((l) => !/ sched_switch: prev_comm=init prev_pid=1 /.test(l) && !/ sched_wakeup_new: comm=\S+ pid=[2-5] /.test(l))).toEqual([]);
    expect(fromInit.length).toBeGreaterThan(0);
    expect(all.filter((l) => pidOf(l) === 1).length).toBeGreaterThan(fromInit.length);
    expect(ls.filter((l) => pidOf(l) !== 1)).toEqual(all.filter((l) => pidOf(l) !== 1));
  });

  it('event-fork: the children of a listed task join the list (and are traced); a freed task leaves it', () => {
    const m = machine();
    expect(m.fs.write('set_event', 'sched:* irq_vectors:*')).toBe(0);
    expect(m.fs.write('options/event-fork', '1')).toBe(0);
    expect(m.fs.write('set_event_pid', '1')).toBe(0);
    m.run(RUN);
    expect(read(m, 'set_event_pid')).toBe('2\n3\n4\n5\n');
    // everything but what the idle tasks do (an IPI taken in idle), the switches to the kworkers kept
    const ls = lines(m);
    expect(ls.filter((l) => pidOf(l) >= 2).length).toBeGreaterThan(3);
    expect(ls).toEqual(all.filter((l) => pidOf(l) !== 0 || / next_pid=[1-5] /.test(l)));
  });

  it('negative control: without event-fork the list stays, and the children are not traced', () => {
    const m = machine();
    expect(m.fs.write('set_event', 'sched:* irq_vectors:*')).toBe(0);
    expect(m.fs.write('set_event_pid', '1')).toBe(0);
    m.run(RUN);
    expect(read(m, 'set_event_pid')).toBe('1\n');
    const ls = lines(m);
    expect(ls.filter((l) => pidOf(l) !== 1 && !/ next_pid=1 /.test(l))).toEqual([]);
    expect(ls.length).toBeGreaterThan(0);
  });
});

describe('userstacktrace', () => {
  it('each recorded event is followed by an empty <user stack trace> (kernel threads have no user stack), after the kernel stack', () => {
    const m = machine();
    expect(m.fs.write('set_event', 'sched:sched_switch')).toBe(0);
    expect(m.fs.write('options/userstacktrace', '1')).toBe(0);
    expect(m.fs.write('options/stacktrace', '1')).toBe(0);
    m.run(RUN);
    const ls = lines(m);
    const sw = ls.map((l, i) => [l, i] as const).filter(([l]) => l.includes(' sched_switch: '));
    expect(sw.length).toBeGreaterThan(3);
    for (const [l, i] of sw) {
      expect(ls[i + 1], l).toMatch(/: <stack trace>$/);
      let j = i + 2;
      while (ls[j]!.startsWith(' => ')) j++;
      expect(ls[j]).toBe(l.slice(0, l.indexOf(' sched_switch: ')) + ' <user stack trace>');
    }
    expect(ls.filter((l) => l.endsWith(' <user stack trace>')).length).toBe(sw.length);
    // the user_stack entry's own fields: the task's tgid, and no caller
    expect(read(m, 'events/ftrace/user_stack/format')).toContain('\tfield:unsigned int tgid;\toffset:8;');
  });

  it('negative control: off, no entry; and not after an NMI-context event', () => {
    const m = machine();
    expect(m.fs.write('set_event', 'sched:sched_switch')).toBe(0);
    m.run(RUN);
    expect(lines(m).filter((l) => l.includes('user stack'))).toEqual([]);
    const n = machine(20);
    expect(n.fs.write('set_event', 'nmi:nmi_handler')).toBe(0);
    expect(n.fs.write('options/userstacktrace', '1')).toBe(0);
    n.run(3_000_000);
    const ls = lines(n);
    expect(ls.filter((l) => l.includes(' nmi_handler: ')).length).toBeGreaterThan(0);
    expect(ls.filter((l) => l.includes('user stack'))).toEqual([]);
  });
});
