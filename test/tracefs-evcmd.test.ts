// The enable_event/disable_event function commands of set_ftrace_filter and the enable_event/disable_event/snapshot event triggers, through tracefs on the booted bundled kernel (kernel/trace/trace_events.c event_enable_func, trace_events_trigger.c).

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import type { KernelSnapshot } from '../src/kernel/kernel.js';
import { warmUp, withTracefs, readFile, type TracefsMachine } from './helpers/tracefs.js';
import { EEXIST, EINVAL } from '../src/trace/tracefs/fs.js';
import { eventCommandFired } from '../src/trace/tracefs/ftrace_files_events.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

type M = TracefsMachine;

/** Steps after which the bundled kernel's workload (tasks forking, switching, exiting, reading) is about to start. */
const WARM_STEPS = 5_000_000;
const warm: { snap?: KernelSnapshot } = {};

/**
 * A booted 1-CPU machine, restored to just before the workload (booted and run once, shared by the
 * tests); `fresh`: booted and run that many steps instead, COLD: not run at all. vfs_read runs often
 * between 0.5M and 5M steps, the timer ticks throughout, kmem_cache_init runs once, early; the machine
 * halts for good near 9M steps (a write to a running machine lets it run while the call completes).
 */
function machine(fresh = 0): M {
  const b = boot(image, 'vmlinux', { cpus: 1, seed: 1 });
  if (fresh < 0) {
    // cold: nothing has run; a write's kernel call runs as a host thread, taking no guest time
  } else if (fresh > 0) {
    b.kernel.run(fresh);
  } else {
    warmUp(b, warm, WARM_STEPS);
  }
  return withTracefs(b);
}

const read = readFile;
const append = { append: true };
const count = (s: string, sub: string): number => s.split(sub).length - 1;
const EMPTY = '#### all functions enabled ####\n';
const SW = 'events/sched/sched_switch/enable';
const TE = 'events/irq_vectors/local_timer_entry/enable';
const COLD = -1;

/** Run in chunks until `done` holds (at most `max` chunks). */
function runUntil(m: M, done: () => boolean, chunk = 200_000, max = 50): void {
  for (let i = 0; i < max && !done(); i++) m.run(chunk);
}

describe('set_ftrace_filter enable_event / disable_event', () => {
  it('reads back as the kernel prints it, soft-disables the event (0*), and enables it (1*) when the function is hit', () => {
    const m = machine(COLD);
    expect(read(m, SW)).toBe('0\n');
    expect(m.fs.write('set_ftrace_filter', 'vfs_read:enable_event:sched:sched_switch\n')).toBe(0);
    expect(read(m, 'set_ftrace_filter')).toBe(EMPTY + 'vfs_read:enable_event:sched:sched_switch:unlimited\n');
    // the probe patches vfs_read: it is an enabled function now
    expect(read(m, 'enabled_functions')).toMatch(/^vfs_read \(1\)/m);
    // soft-disabled: nothing ran yet; the tracepoint is armed but records nothing
    expect(read(m, SW)).toBe('0*\n');
    expect(read(m, 'trace')).not.toContain('sched_switch');
    runUntil(m, () => eventCommandFired(m.tr, 'enable_event') > 0);
    expect(eventCommandFired(m.tr, 'enable_event')).toBeGreaterThan(0);
    expect(read(m, SW)).toBe('1*\n');
    m.run(5_000_000); // into the workload: tasks switch
    expect(read(m, 'trace')).toContain(' sched_switch: prev_comm=');
    // removal: the line goes, soft mode ends, the event stays in the state the probe left
    expect(m.fs.write('set_ftrace_filter', '!vfs_read:enable_event:sched:sched_switch\n', append)).toBe(0);
    expect(read(m, 'set_ftrace_filter')).toBe(EMPTY);
    expect(read(m, SW)).toBe('1\n');
    expect(read(m, 'enabled_functions')).not.toMatch(/^vfs_read /m);
    expect(m.fs.write('set_ftrace_filter', '!vfs_read:enable_event:sched:sched_switch\n', append)).toBe(-EINVAL); // no such probe now
  });

  it('negative control: a probe on a function that never runs leaves the event soft-disabled and recording nothing', () => {
    const m = machine(); // kmem_cache_init ran during boot, before the workload
    expect(m.fs.write('set_ftrace_filter', 'kmem_cache_init:enable_event:sched:sched_switch\n')).toBe(0);
    m.run(2_000_000);
    expect(eventCommandFired(m.tr, 'enable_event')).toBe(0);
    expect(read(m, SW)).toBe('0*\n');
    expect(read(m, 'trace')).not.toContain('sched_switch');
    // removing the never-fired probe leaves the event disabled, out of soft mode
    expect(m.fs.write('set_ftrace_filter', '!kmem_cache_init:enable_event:sched:sched_switch\n', append)).toBe(0);
    expect(read(m, SW)).toBe('0\n');
  });

  it(':N counts only the calls that change the state; writing 0 to enable soft-disables again', () => {
    const m = machine(COLD);
    // the count reads back as written on a function that does not run
    expect(m.fs.write('set_ftrace_filter', 'kmem_cache_init:enable_event:irq_vectors:local_timer_entry:2\n')).toBe(0);
    expect(read(m, 'set_ftrace_filter')).toBe(EMPTY + 'kmem_cache_init:enable_event:irq_vectors:local_timer_entry:count=2\n');
    expect(read(m, TE)).toBe('0*\n');
    expect(m.fs.write('set_ftrace_filter', '!kmem_cache_init:enable_event:irq_vectors:local_timer_entry:2\n', append)).toBe(0);
    expect(read(m, TE)).toBe('0\n');
    expect(m.fs.write('set_ftrace_filter', 'vfs_read:enable_event:irq_vectors:local_timer_entry:2\n')).toBe(0);
    runUntil(m, () => eventCommandFired(m.tr, 'enable_event:count') > 0);
    m.run(500_000); // more vfs_read calls: the event is already enabled, the count stays
    expect(eventCommandFired(m.tr, 'enable_event:count')).toBe(1);
    expect(read(m, 'set_ftrace_filter')).toBe(EMPTY + 'vfs_read:enable_event:irq_vectors:local_timer_entry:count=1\n');
    expect(read(m, TE)).toBe('1*\n');
    // echo 0 > enable in soft mode sets SOFT_DISABLED: the probe enables it again, spending the last count
    expect(m.fs.write(TE, '0')).toBe(0);
    expect(read(m, TE)).toBe('0*\n');
    runUntil(m, () => eventCommandFired(m.tr, 'enable_event:count') > 1);
    expect(read(m, 'set_ftrace_filter')).toBe(EMPTY + 'vfs_read:enable_event:irq_vectors:local_timer_entry:count=0\n');
    expect(read(m, TE)).toBe('1*\n');
    // spent: disabled again, it stays disabled
    expect(m.fs.write(TE, '0')).toBe(0);
    m.run(1_000_000);
    expect(eventCommandFired(m.tr, 'enable_event:count')).toBe(2);
    expect(read(m, TE)).toBe('0*\n');
    // the counted probe is removed with :0 (the uncounted form names the other probe)
    expect(m.fs.write('set_ftrace_filter', '!vfs_read:enable_event:irq_vectors:local_timer_entry\n', append)).toBe(-EINVAL);
    expect(m.fs.write('set_ftrace_filter', '!vfs_read:enable_event:irq_vectors:local_timer_entry:0\n', append)).toBe(0);
    expect(read(m, 'set_ftrace_filter')).toBe(EMPTY);
    expect(read(m, TE)).toBe('0\n');
  });

  it('disable_event: an enabled event reads 1* and records nothing once the function was hit', () => {
    const m = machine(COLD);
    expect(m.fs.write(SW, '1')).toBe(0);
    expect(m.fs.write('set_ftrace_filter', 'vfs_read:disable_event:sched:sched_switch\n')).toBe(0);
    expect(read(m, 'set_ftrace_filter')).toBe(EMPTY + 'vfs_read:disable_event:sched:sched_switch:unlimited\n');
    expect(read(m, SW)).toBe('1*\n'); // enabled, in soft mode
    runUntil(m, () => eventCommandFired(m.tr, 'disable_event') > 0);
    expect(read(m, SW)).toBe('0*\n');
    m.run(6_000_000); // through the workload
    expect(read(m, 'trace')).not.toContain(' sched_switch: ');
    expect(m.fs.write('set_ftrace_filter', '!vfs_read:disable_event:sched:sched_switch\n', append)).toBe(0);
    expect(read(m, SW)).toBe('0\n');
    // negative control: without the probe the same run records switches
    const m2 = machine(COLD);
    expect(m2.fs.write(SW, '1')).toBe(0);
    m2.run(7_000_000);
    expect(read(m2, SW)).toBe('1\n');
    expect(read(m2, 'trace')).toContain(' sched_switch: ');
  });

  it('lists several probes; an unknown event, function or count, set_ftrace_notrace, or nothing new: -EINVAL, and no soft mode left', () => {
    const m = machine(COLD);
    const f = 'set_ftrace_filter';
    expect(m.fs.write(f, 'vfs_read:enable_event:irq_vectors:local_timer_entry\n')).toBe(0);
    expect(m.fs.write(f, 'vfs_write:disable_event:sched:sched_process_exit:3\n', append)).toBe(0);
    expect(m.fs.write(f, 'vfs_read:traceoff\n', append)).toBe(0);
    const got = read(m, f).split('\n').filter((l) => l !== '');
    expect(got.sort()).toEqual([
      '#### all functions enabled ####', 'vfs_read:enable_event:irq_vectors:local_timer_entry:unlimited',
      'vfs_read:traceoff:unlimited', 'vfs_write:disable_event:sched:sched_process_exit:count=3',
    ]);
    expect(read(m, 'events/sched/sched_process_exit/enable')).toBe('0*\n');
    const W = 'events/sched/sched_process_fork/enable';
    for (const bad of [
      'vfs_read:enable_event:sched:nosuch', 'vfs_read:enable_event:nosys:sched_switch', 'vfs_read:enable_event:sched',
      'vfs_read:enable_event', 'vfs_read:enable_event:sched:sched_process_fork:', 'vfs_read:enable_event:sched:sched_process_fork:abc',
      'nosuch_function_x:enable_event:sched:sched_process_fork', 'vfs_read:enable_event:ftrace:function',
      // vfs_read already is in the uncounted enable_event probe: nothing added (for another event too)
      'vfs_read:enable_event:sched:sched_process_fork', '!vfs_read:enable_event:sched:nosuch',
    ]) {
      expect(m.fs.write(f, bad + '\n', append), bad).toBe(-EINVAL);
      expect(read(m, W), bad).toBe('0\n');
    }
    expect(m.fs.write('set_ftrace_notrace', 'vfs_read:enable_event:sched:sched_process_fork\n')).toBe(-EINVAL);
    expect(read(m, W)).toBe('0\n');
    // the failed writes changed nothing
    expect(read(m, f).split('\n').filter((l) => l !== '').sort()).toEqual(got.sort());
    // '>' does not clear probes; '!*:cmd' drops every function of that probe, whatever its event
    expect(m.fs.write(f, '\n')).toBe(0);
    expect(read(m, f)).toContain('vfs_read:enable_event:irq_vectors:local_timer_entry:unlimited');
    expect(m.fs.write(f, '!*:disable_event:sched:sched_switch:0\n', append)).toBe(0);
    expect(read(m, 'events/sched/sched_process_exit/enable')).toBe('0\n');
    expect(read(m, f)).not.toContain('disable_event');
  });
});

describe('event triggers enable_event / disable_event / snapshot', () => {
  const T = 'events/sched/sched_process_fork/trigger';
  const WK = SW;

  it('enable_event reads back as the kernel prints it, soft-disables the target until the trigger fires', () => {
    const m = machine();
    expect(m.fs.write(T, 'enable_event:sched:sched_switch')).toBe(0);
    expect(read(m, T)).toBe('enable_event:sched:sched_switch:unlimited\n');
    expect(read(m, WK)).toBe('0*\n');
    expect(read(m, 'events/sched/sched_process_fork/enable')).toBe('0*\n'); // the triggering event is in trigger (soft) mode too
    m.run(2_000_000);
    expect(read(m, WK)).toBe('1*\n');
    const t = read(m, 'trace');
    expect(t).toContain(' sched_switch: prev_comm=');
    expect(t).not.toContain(' sched_process_fork: '); // the triggering event itself stays soft-disabled
    expect(m.fs.write(T, '!enable_event:sched:sched_switch')).toBe(0);
    expect(read(m, T)).toBe('# Available triggers:\n# traceon traceoff snapshot stacktrace enable_event disable_event\n');
    expect(read(m, WK)).toBe('1\n');
    expect(read(m, 'events/sched/sched_process_fork/enable')).toBe('0\n');
  });

  it('negative control: an enable_event trigger whose filter never matches leaves the target soft-disabled', () => {
    const m = machine();
    expect(m.fs.write(T, 'enable_event:sched:sched_switch:1 if child_pid == 77777')).toBe(0);
    expect(read(m, T)).toBe('enable_event:sched:sched_switch:count=1 if child_pid == 77777\n');
    m.run(2_000_000);
    expect(read(m, WK)).toBe('0*\n');
    expect(read(m, T)).toBe('enable_event:sched:sched_switch:count=1 if child_pid == 77777\n');
    expect(read(m, 'trace')).not.toContain('sched_switch:');
  });

  it('disable_event:N stops the target; counts read back decremented', () => {
    const m = machine();
    expect(m.fs.write(WK, '1')).toBe(0);
    expect(m.fs.write(T, 'disable_event:sched:sched_switch:1')).toBe(0);
    expect(read(m, WK)).toBe('1*\n');
    m.run(2_000_000);
    expect(read(m, T)).toBe('disable_event:sched:sched_switch:count=0\n');
    expect(read(m, WK)).toBe('0*\n');
    const n = count(read(m, 'trace'), ' sched_switch: ');
    m.run(1_000_000);
    expect(count(read(m, 'trace'), ' sched_switch: ')).toBe(n);
  });

  it('errors: unknown target, missing event, bad count or filter: -EINVAL; same target twice: -EEXIST; targets coexist', () => {
    const m = machine();
    expect(m.fs.write(T, 'enable_event:sched:sched_switch:2')).toBe(0);
    for (const bad of [
      'enable_event', 'enable_event:sched', 'enable_event:sched:nosuch', 'enable_event:nosys:sched_process_exit',
      'enable_event:sched:sched_process_exit:', 'enable_event:sched:sched_process_exit:x',
      'enable_event:sched:sched_process_exit when prev_pid == 1', 'enable_event:sched:sched_process_exit if nope == 1',
      '!enable_event:sched:nosuch', 'snapshot:x',
    ]) {
      expect(m.fs.write(T, bad), bad).toBe(-EINVAL);
      expect(read(m, 'events/sched/sched_process_exit/enable'), bad).toBe('0\n');
    }
    expect(m.fs.write(T, 'enable_event:sched:sched_switch')).toBe(-EEXIST);
    expect(m.fs.write(T, 'disable_event:sched:sched_switch')).toBe(0); // another command: fine
    expect(m.fs.write(T, 'enable_event:sched:sched_process_exit')).toBe(0); // another target: fine
    // newest first
    expect(read(m, T)).toBe('enable_event:sched:sched_process_exit:unlimited\ndisable_event:sched:sched_switch:unlimited\n' +
      'enable_event:sched:sched_switch:count=2\n');
    // two soft-mode users: one removal keeps the '*'
    expect(m.fs.write(T, '!enable_event:sched:sched_switch')).toBe(0);
    expect(read(m, WK)).toBe('0*\n');
    expect(m.fs.write(T, '!disable_event:sched:sched_switch')).toBe(0);
    expect(read(m, WK)).toBe('0\n');
    expect(m.fs.write(T, '!disable_event:sched:sched_switch')).toBe(0); // absent: silently
  });

  it('snapshot:N swaps the buffer into the snapshot N times; a filter that never matches swaps nothing', () => {
    const m = machine();
    expect(m.fs.write('events/sched/enable', '1')).toBe(0);
    const E = 'events/sched/sched_process_exit/trigger';
    expect(m.fs.write(E, 'snapshot:1')).toBe(0);
    expect(read(m, E)).toBe('snapshot:count=1\n');
    expect(read(m, 'snapshot')).toContain('# * Snapshot is allocated *'); // armed: allocated at once
    runUntil(m, () => read(m, E) === 'snapshot:count=0\n', 500_000, 20);
    expect(read(m, E)).toBe('snapshot:count=0\n');
    expect(read(m, 'snapshot')).toContain(' sched_process_fork: ');
    expect(m.fs.write(E, 'snapshot')).toBe(-EEXIST);
    expect(m.fs.write(E, '!snapshot')).toBe(0);
    expect(read(m, E)).toContain('# Available triggers:');
    // negative control
    const m2 = machine();
    expect(m2.fs.write('events/sched/enable', '1')).toBe(0);
    expect(m2.fs.write(E, 'snapshot if pid == 77777')).toBe(0);
    expect(read(m2, E)).toBe('snapshot:unlimited if pid == 77777\n');
    m2.run(3_000_000);
    expect(read(m2, 'trace')).toContain(' sched_switch: ');
    expect(read(m2, 'snapshot')).not.toContain(' sched_');
  });
});
