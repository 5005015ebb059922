// Pid filtering of trace events: set_event_pid / set_event_notrace_pid lists, the per-CPU ignore_pid flag the sched probes keep, and event-fork (kernel/trace/trace_events.c event_pid_write, event_filter_pid_sched_*, ignore_task_cpu, __ftrace_clear_event_pids; trace.c trace_pid_write, trace_ignore_this_task, trace_filter_add_remove_task).

import { tracePidWrite } from './trace_pids.js';
import type { TraceArray } from './trace_functions.js';

export type EventPidType = 'pid' | 'notrace_pid';

/** The event pid lists of one trace array (tr->filtered_pids, tr->filtered_no_pids) and each CPU's ignore_pid. */
export class EventPidFilter {
  pids: Set<number> | null = null;
  noPids: Set<number> | null = null;
  /** trace_array_cpu.ignore_pid: whether events on this CPU are dropped now (set at switch and wakeup time). */
  private readonly ignore: boolean[];

  constructor(private readonly tr: TraceArray) {
    this.ignore = tr.kernel.cpus.map(() => false);
  }

  list(type: EventPidType): Set<number> | null {
    return type === 'pid' ? this.pids : this.noPids;
  }

  private setList(type: EventPidType, l: Set<number> | null): void {
    if (type === 'pid') this.pids = l;
    else this.noPids = l;
  }

  /** trace_ignore_this_task: listed in the notrace list, or a trace list exists without it. */
  ignoreTask(pid: number): boolean {
    return (this.pids !== null && !this.pids.has(pid)) || (this.noPids !== null && this.noPids.has(pid));
  }

  /** trace_event_ignore_this_pid: the CPU's flag. */
  ignored(cpu: number): boolean {
    return this.ignore[cpu] ?? false;
  }

  /** ignore_task_cpu on every CPU: the flag from the task running there now. */
  private refresh(): void {
    const cur = this.tr.kernel.sched.current;
    for (let c = 0; c < this.ignore.length; c++) this.ignore[c] = this.ignoreTask(cur[c]!.pid);
  }

  /** __ftrace_clear_event_pids (O_TRUNC at open): with no list left, no CPU ignores anything any more. */
  clear(type: EventPidType): void {
    if (this.list(type) === null) return;
    this.setList(type, null);
    if (this.pids === null && this.noPids === null) this.ignore.fill(false);
  }

  /** event_pid_write: trace_pid_write (tracePidWrite) builds the new list, then every CPU re-checks its current task. */
  write(type: EventPidType, data: string): number {
    const r = tracePidWrite(this.list(type), data);
    if ('err' in r) return r.err;
    this.setList(type, r.list);
    this.refresh();
    return 0;
  }

  /** event_filter_pid_sched_switch_probe_pre: the switch itself is kept if either task is traced. */
  switchPre(cpu: number, prevPid: number, nextPid: number): void {
    this.ignore[cpu] = this.ignoreTask(prevPid) && this.ignoreTask(nextPid);
  }

  /** event_filter_pid_sched_switch_probe_post: from now on, the next task decides. */
  switchPost(cpu: number, nextPid: number): void {
    this.ignore[cpu] = this.ignoreTask(nextPid);
  }

  /** event_filter_pid_sched_wakeup_probe_pre: an ignored CPU still records the wakeup of a traced task. */
  wakeupPre(cpu: number, pid: number): void {
    if (this.ignore[cpu]) this.ignore[cpu] = this.ignoreTask(pid);
  }

  /** event_filter_pid_sched_wakeup_probe_post: back to the current task. */
  wakeupPost(cpu: number): void {
    this.ignore[cpu] = this.ignoreTask(this.tr.kernel.sched.current[cpu]!.pid);
  }

  /** event_filter_pid_sched_process_fork (event-fork): a child of a listed task joins each list its parent is in. */
  fork(parentPid: number, childPid: number): void {
    if (!this.tr.optionFlag('event-fork')) return;
    for (const l of [this.pids, this.noPids]) if (l !== null && l.has(parentPid)) l.add(childPid);
  }

  /** event_filter_pid_sched_process_exit on sched_process_free (event-fork): the freed task leaves both lists. */
  free(pid: number): void {
    if (!this.tr.optionFlag('event-fork')) return;
    this.pids?.delete(pid);
    this.noPids?.delete(pid);
  }
}

/** trace_pid_show: one pid a line, increasing; nothing for no list. */
export function eventPidText(l: Set<number> | null): string {
  return l === null ? '' : [...l].sort((a, b) => a - b).map((p) => `${p}\n`).join('');
}
