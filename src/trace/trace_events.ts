// Trace events of one trace array: enable state, filters and triggers per event, the tracepoints in the scheduler and the timer entry that record them, set_event's parser (kernel/trace/trace_events.c, trace_events_trigger.c).

import { EEXIST, EINVAL } from '../ftrace/arch.js';
import { allocSnapshot, logError, tracingIsOn } from './tracefs/control_state.js';
import type { Cpu } from '../machine/x86/cpu.js';
import { CALL_FUNCTION_VECTOR, LOCAL_TIMER_VECTOR, NMI_VECTOR, RESCHEDULE_VECTOR } from '../kernel/layout.js';
import type { SchedObserver, Task } from '../kernel/sched.js';
import type { EntryObserver, NmiObserver } from '../kernel/traps.js';
import { addrToNum } from '../machine/memory.js';
import { TRACE_FLAG_HARDIRQ, TRACE_FLAG_NMI } from './ring_buffer.js';
import { EventPidFilter } from './trace_events_pid.js';
import { TRACE_USER_STACK, USER_STACK_PAYLOAD } from './trace_export.js';
import type { TraceArray } from './trace_functions.js';
import {
  COMMON_FIELDS, EVENT_CALLS, EXIT_DEAD, GENERIC_FIELDS, TASK_REPORT_MAX, TRACE_STACK,
  encodeFields, encodeStack, fieldName, findEventCall, registerEventPrinters, type TraceEventCall,
} from './trace_events_defs.js';
import {
  FILTER_ERR_TEXT, FILT_ERR_BAD_SUBSYS_FILTER, FILT_ERR_ERRNO, filterErrorText, filterMatch, parseFilter,
  type EventFilter, type FieldValues, type FilterError, type FilterField,
} from './trace_events_filter.js';

/** TRACING_LOG_ERRS_MAX: error_log keeps the newest 8 entries. */
const LOG_ERRS_MAX = 8;
/** Task priority of every task here (nice 0: MAX_RT_PRIO + 20). */
const PRIO = 120;

/** One error_log entry (struct tracing_log_err): when, where, what, the command and the caret's column. */
export interface TracingLogErr {
  ts: number;
  loc: string;
  err: string;
  cmd: string;
  pos: number;
}

/** error_log's text for these entries (tracing_err_log_seq_show). */
export function formatErrorLog(errs: readonly TracingLogErr[]): string {
  return errs.map((e) => {
    const us = Math.floor(e.ts / 1000);
    return `[${String(Math.floor(us / 1_000_000)).padStart(5)}.${String(us % 1_000_000).padStart(6, '0')}] ${e.loc}: error: ${e.err}\n` +
      `  Command: ${e.cmd}\n` + ' '.repeat('  Command: '.length + e.pos) + '^\n';
  }).join('');
}

export type TriggerCmd = 'traceon' | 'traceoff' | 'snapshot' | 'stacktrace' | 'enable_event' | 'disable_event';
/** The trigger commands in the order `trigger` lists them (register_trigger_cmds' order). */
export const TRIGGER_CMDS: readonly TriggerCmd[] = ['traceon', 'traceoff', 'snapshot', 'stacktrace', 'enable_event', 'disable_event'];

/** One trigger on an event (struct event_trigger_data). */
export interface EventTrigger {
  cmd: TriggerCmd;
  /** -1: unlimited. */
  count: number;
  filter: EventFilter | null;
  /** enable_event / disable_event: the event whose soft-disable the trigger flips (struct enable_trigger_data). */
  target?: EventFile;
}

/** One event in one trace array (struct trace_event_file). */
export interface EventFile {
  call: TraceEventCall;
  enabled: boolean;
  /** The filter in force (null: none, or the last write failed). */
  filter: EventFilter | null;
  /** What the filter file shows (null: "none"); after a failed write, the error text. */
  filterText: string | null;
  triggers: EventTrigger[];
  /**
   * sm_ref: the enable_event / disable_event probes and triggers holding the event in SOFT_MODE. In soft
   * mode the tracepoint stays armed and `enabled` is !SOFT_DISABLED (what those commands flip).
   */
  smRef: number;
}

/** The events of one trace array and the tracepoints feeding them. */
export class TraceEvents {
  readonly files: EventFile[];
  /** error_log's entries (the control files' error_log reads and clears this list). */
  readonly errorLog: TracingLogErr[] = [];
  /** Times each event's tracepoint was hit while it had a user (tests, statistics). */
  hits = 0;
  /** set_event_pid / set_event_notrace_pid and the per-CPU ignore_pid flag. */
  readonly pidFilter: EventPidFilter;

  constructor(readonly tr: TraceArray) {
    registerEventPrinters();
    this.pidFilter = new EventPidFilter(tr);
    this.files = EVENT_CALLS.map((call) => ({ call, enabled: false, filter: null, filterText: null, triggers: [], smRef: 0 }));
    const k = tr.kernel;
    k.sched.observers.push(this.schedObserver);
    k.traps.observers.push(this.trapObserver);
    k.traps.nmiObservers.push(this.nmiObserver);
  }

  /** Unhook the tracepoints (an instance's rmdir): its events can no longer record. */
  release(): void {
    const k = this.tr.kernel;
    const i = k.sched.observers.indexOf(this.schedObserver);
    if (i >= 0) k.sched.observers.splice(i, 1);
    const j = k.traps.observers.indexOf(this.trapObserver);
    if (j >= 0) k.traps.observers.splice(j, 1);
    const n = k.traps.nmiObservers.indexOf(this.nmiObserver);
    if (n >= 0) k.traps.nmiObservers.splice(n, 1);
  }

  private readonly schedObserver: SchedObserver = {
      switch: (cpu, prev, next, prevDead, preempt) => this.onSwitch(cpu, prev, next, prevDead, preempt),
      fork: (cpu, parent, child) => {
        this.hit('sched', 'sched_process_fork', cpu, () => ({
          parent_comm: parent.name, parent_pid: parent.pid, child_comm: child.name, child_pid: child.pid,
        }));
        // event-fork's probe runs last (INT_MIN priority)
        this.pidFilter.fork(parent.pid, child.pid);
      },
      wakeup: (waker, t, isNew) => {
        const cpu = waker ?? t.cpu;
        this.pidFilter.wakeupPre(cpu, t.pid);
        this.hit('sched', isNew ? 'sched_wakeup_new' : 'sched_wakeup', cpu, () => ({ comm: t.name, pid: t.pid, prio: PRIO, target_cpu: t.cpu }));
        this.pidFilter.wakeupPost(cpu);
      },
      exit: (cpu, t) => this.hit('sched', 'sched_process_exit', cpu, () => ({ comm: t.name, pid: t.pid, prio: PRIO })),
  };

  /**
   * The host half of an interrupt entry (after the guest's handler, before any switch it causes), in
   * hardirq context, entry and exit at that moment: local_timer_entry/exit for the timer,
   * reschedule_entry/exit for a reschedule IPI (not for the software entry of HC_YIELD or HC_EXIT, a
   * plain call to schedule() in the kernel), call_function_entry/exit for the cross-CPU call vector
   * (sysvec_call_function: ftsim sends no single-target call IPI, so call_function_single stays silent).
   */
  private readonly trapObserver: EntryObserver = (cpu, _regs, vector) => {
    let name: string;
    if (vector === LOCAL_TIMER_VECTOR) name = 'local_timer';
    else if (vector === RESCHEDULE_VECTOR && !this.tr.kernel.sched.softResched[cpu.id]) name = 'reschedule';
    else if (vector === CALL_FUNCTION_VECTOR) name = 'call_function';
    else return;
    this.hit('irq_vectors', `${name}_entry`, cpu.id, () => ({ vector }), TRACE_FLAG_HARDIRQ);
    this.hit('irq_vectors', `${name}_exit`, cpu.id, () => ({ vector }), TRACE_FLAG_HARDIRQ);
  };

  /**
   * nmi_handle's trace_nmi_handler, once per NMI the guest's handler ran: the handler is the guest's
   * NMI entry function (its handler chain is guest code the host does not see link by link), delta_ns
   * its run time; handled is 1 (the bundled kernel's NMI actions always return NMI_HANDLED). In NMI
   * context. No guest NMI handler: no event, as with no registered handler.
   */
  private readonly nmiObserver: NmiObserver = (cpu, deltaNs) => {
    const handler = this.tr.kernel.opts.guestHandlers?.get(NMI_VECTOR);
    if (handler === undefined) return;
    this.hit('nmi', 'nmi_handler', cpu.id, () => ({ handler: addrToNum(handler), delta_ns: deltaNs, handled: 1 }), TRACE_FLAG_NMI | TRACE_FLAG_HARDIRQ);
  };

  file(system: string, name: string): EventFile | undefined {
    const c = findEventCall(system, name);
    return c === undefined ? undefined : this.files.find((f) => f.call === c);
  }

  /** The files set_event, enable and available_events deal with (not the ftrace system's). */
  enableable(): EventFile[] {
    return this.files.filter((f) => !f.call.ignoreEnable);
  }

  systems(): string[] {
    return [...new Set(this.files.map((f) => f.call.system))];
  }

  /**
   * __trace_sched_switch_state: preempted (timer or reschedule IPI) → TASK_REPORT_MAX ("R+"); a runnable
   * task that yields (HC_YIELD) and the idle task → TASK_RUNNING ("R"); an exited task → its exit_state,
   * EXIT_DEAD ("X"): ftsim's tasks are kernel threads, autoreaped as kthreadd ignores SIGCHLD.
   */
  private onSwitch(cpu: number, prev: Task, next: Task, prevDead: boolean, preempt: boolean): void {
    this.pidFilter.switchPre(cpu, prev.pid, next.pid);
    this.hit('sched', 'sched_switch', cpu, () => ({
      prev_comm: prev.name, prev_pid: prev.pid, prev_prio: PRIO,
      prev_state: prevDead ? EXIT_DEAD : preempt ? TASK_REPORT_MAX : 0,
      next_comm: next.name, next_pid: next.pid, next_prio: PRIO,
    }));
    this.pidFilter.switchPost(cpu, next.pid);
    // a dead task is freed after its last switch (sched_process_free: event-fork drops it from the lists)
    if (prevDead) this.pidFilter.free(prev.pid);
  }

  /**
   * A tracepoint was hit on `cpu` (trace_event_raw_event_<call>). Without any conditional trigger, the
   * triggers run first, with no record (trace_trigger_soft_disabled): a stack trace lands before the
   * event and a traceoff keeps the event out. Then the record (if the event is enabled, tracing is on
   * and the filter passes). With a conditional trigger, every trigger runs after, on the record, those
   * with a filter only when it matches (__event_trigger_test_discard, event_triggers_post_call).
   */
  private hit(system: string, name: string, cpuId: number, fields: () => Record<string, number | string>, extraFlags = 0): void {
    const file = this.file(system, name);
    if (file === undefined || (!file.enabled && !this.softMode(file))) return;
    this.hits++;
    const tr = this.tr;
    const cpu = tr.kernel.cpus[cpuId];
    const task = tr.kernel.sched.current[cpuId];
    const ctx = tr.traceCtx(cpu);
    const flags = ctx.flags | extraFlags;
    // the generic CPU/COMM fields, shadowed by an event field of the same name (sched_wakeup's comm)
    const values: FieldValues = {
      CPU: cpuId, cpu: cpuId, COMM: task.name, comm: task.name,
      ...fields(), common_type: file.call.id, common_flags: flags, common_preempt_count: ctx.pc, common_pid: task.pid,
    };
    // EVENT_FILE_FL_TRIGGER_COND: once any trigger has a condition, every trigger runs on the record
    const cond = file.triggers.some((t) => t.filter !== null);
    if (!cond) for (const t of file.triggers) this.fire(t, cpu, task);
    // trace_event_buffer_reserve: nothing recorded (nor conditional triggers) for a pid the CPU ignores
    if (this.pidFilter.ignored(cpuId)) return;
    if (file.enabled && tr.tracingOn && (file.filter === null || filterMatch(file.filter, values))) {
      if (!tr.savedCmdlines.has(task.pid)) tr.savedCmdlines.set(task.pid, task.name);
      tr.saveTgid(task.pid);
      // trace_buffer_unlock_commit_regs: under the stacktrace option, a stack trace entry after the event
      // and under userstacktrace, a user stack entry (not in NMI context)
      if (tr.buffer.writeRaw(cpuId, cpu.now(), task.pid, flags, ctx.pc, file.call.id, encodeFields(file.call, values))) {
        if (tr.optionFlag('stacktrace')) writeStackTrace(tr, cpu, task);
        if (tr.optionFlag('userstacktrace') && !(flags & TRACE_FLAG_NMI)) writeUserStack(tr, cpuId, task, flags, ctx.pc);
      }
    }
    if (cond) for (const t of file.triggers) if (t.filter === null || filterMatch(t.filter, values)) this.fire(t, cpu, task);
  }

  /** traceon/traceoff_count_trigger, stacktrace_count_trigger, snapshot_count_trigger, event_enable_count_trigger. */
  private fire(t: EventTrigger, cpu: Cpu, task: Task): void {
    const tr = this.tr;
    if (t.cmd === 'enable_event' || t.cmd === 'disable_event') {
      const on = t.cmd === 'enable_event';
      if (t.count === 0) return;
      // skip when the target already is in the state the trigger switches to
      if (t.count !== -1 && t.target!.enabled === on) return;
      if (t.count !== -1) t.count--;
      t.target!.enabled = on;
      return;
    }
    if (t.cmd === 'snapshot') {
      if (t.count === 0) return;
      if (t.count !== -1) t.count--;
      if (tracingIsOn(tr)) tr.buffer.swap(allocSnapshot(tr));
      return;
    }
    if (t.cmd === 'traceon' && tr.tracingOn) return;
    if (t.cmd === 'traceoff' && !tr.tracingOn) return;
    if (t.count === 0) return;
    if (t.count !== -1) t.count--;
    if (t.cmd === 'traceon') tr.tracingOn = true;
    else if (t.cmd === 'traceoff') tr.tracingOn = false;
    else writeStackTrace(tr, cpu, task);
  }

  // ---- control ----

  /** Whether the event is in SOFT_MODE (triggers on it, or enable_event/disable_event commands naming it): enable reads '*'. */
  softMode(file: EventFile): boolean {
    return file.smRef > 0 || file.triggers.length > 0;
  }

  /**
   * __ftrace_event_enable_disable(file, on, soft_disable=1): take (on) or drop a SOFT_MODE reference. A
   * disabled event entering soft mode stays disabled (SOFT_DISABLED); leaving it keeps its current state.
   */
  softRef(file: EventFile, on: boolean): void {
    file.smRef = Math.max(0, file.smRef + (on ? 1 : -1));
  }

  /** The fields a filter on this event may name. */
  filterField(call: TraceEventCall, name: string): FilterField | undefined {
    const own = [...COMMON_FIELDS, ...call.fields].find((fl) => fieldName(fl) === name);
    if (own !== undefined) return { ...own, name };
    return GENERIC_FIELDS.find((g) => g.name === name);
  }

  /** tracing_log_err. */
  logErr(loc: string, cmd: string, err: string, pos: number): void {
    this.errorLog.push({ ts: this.tr.kernel.cpus[0]!.now(), loc, err, cmd, pos });
    if (this.errorLog.length > LOG_ERRS_MAX) this.errorLog.splice(0, this.errorLog.length - LOG_ERRS_MAX);
    // what the error_log file shows
    logError(this.tr, loc, err, cmd, pos);
  }

  /**
   * Write an event's filter (apply_event_filter): "0" clears; otherwise the new filter replaces the
   * old even when it fails, disabled and showing the error (and the error goes to error_log).
   */
  setFilter(file: EventFile, text: string): number {
    const s = text.replace(/\s+$/, '');
    if (s.replace(/^\s+/, '') === '0') {
      file.filter = null;
      file.filterText = null;
      return 0;
    }
    const r = parseFilter(s, (n) => this.filterField(file.call, n));
    if ('errno' in r) {
      this.recordFilterError(file, s, r);
      return r.errno;
    }
    file.filter = r;
    file.filterText = s;
    return 0;
  }

  /**
   * process_system_preds for one event of a system: the filter when it parses for this event; otherwise
   * the event's filter is disabled and shows the subsystem error (FILT_ERR_BAD_SUBSYS_FILTER at 0) in
   * place of its own, logged to error_log. Returns whether the event took it.
   */
  setSystemFilter(file: EventFile, text: string): boolean {
    const s = text.replace(/\s+$/, '');
    const r = parseFilter(s, (n) => this.filterField(file.call, n));
    if ('errno' in r) {
      this.recordFilterError(file, s, { errno: r.errno, code: FILT_ERR_BAD_SUBSYS_FILTER, pos: 0 });
      return false;
    }
    file.filter = r;
    file.filterText = s;
    return true;
  }

  private recordFilterError(file: EventFile, s: string, e: FilterError): void {
    file.filter = null;
    file.filterText = filterErrorText(s, e);
    if (e.code > 0) this.logErr('event filter parse error', s, FILTER_ERR_TEXT[e.code]!, e.pos);
    else this.logErr('event filter parse error', s, FILTER_ERR_TEXT[FILT_ERR_ERRNO]!, 0);
  }

  /** Enable or disable one event (ftrace_event_enable_disable); the ftrace system's are -EINVAL. */
  setEnabled(file: EventFile, on: boolean): number {
    if (file.call.ignoreEnable) return -EINVAL;
    file.enabled = on;
    return 0;
  }

  /**
   * __ftrace_set_clr_event: every event matching (`match`: an event or system name; `sub`: the system;
   * `event`: the name; null for any). -EINVAL when nothing matched.
   */
  setClr(match: string | null, sub: string | null, event: string | null, on: boolean): number {
    let ret = -EINVAL;
    for (const f of this.enableable()) {
      const c = f.call;
      if (match !== null && match !== c.name && match !== c.system) continue;
      if (sub !== null && sub !== c.system) continue;
      if (event !== null && event !== c.name) continue;
      f.enabled = on;
      ret = 0;
    }
    return ret;
  }

  /** One word of set_event (ftrace_set_clr_event): "sys:event", "sys:", "sys:*", "*:event", ":event", "name". */
  setClrWord(word: string, on: boolean): number {
    const colon = word.indexOf(':');
    if (colon < 0) return this.setClr(word, null, null, on);
    let sub: string | null = word.slice(0, colon);
    let event: string | null = word.slice(colon + 1);
    if (sub === '' || sub === '*') sub = null;
    if (event === '' || event === '*') event = null;
    return this.setClr(null, sub, event, on);
  }

  /**
   * set_event's text (s_next / t_show): every event with EVENT_FILE_FL_ENABLED as system:name. Soft
   * mode keeps the tracepoint registered, so an event held by a trigger or an enable_event/disable_event
   * command is listed even while soft-disabled.
   */
  setEventText(): string {
    return this.enableable().filter((f) => f.enabled || this.softMode(f)).map((f) => `${f.call.system}:${f.call.name}\n`).join('');
  }

  /** A system's (or all systems', for null) enable file: '0', '1', 'X' mixed, '?' none (system_enable_read). */
  enableState(system: string | null): string {
    let set = 0;
    for (const f of this.enableable()) {
      if (system !== null && f.call.system !== system) continue;
      set |= f.enabled ? 2 : 1;
      if (set === 3) break;
    }
    return '?01X'[set]! + '\n';
  }

  // ---- triggers ----

  /** The trigger file's text (trigger_show / event_trigger_print). */
  triggerText(file: EventFile): string {
    if (file.triggers.length === 0) return `# Available triggers:\n#${TRIGGER_CMDS.map((c) => ' ' + c).join('')}\n`;
    return file.triggers.map((t) => {
      const count = t.count === -1 ? ':unlimited' : `:count=${t.count}`;
      const name = t.target !== undefined ? `${t.cmd}:${t.target.call.system}:${t.target.call.name}` : t.cmd;
      return name + count + (t.filter !== null ? ` if ${t.filter.text}\n` : '\n');
    }).join('');
  }

  /**
   * One write to a trigger file (trigger_process_regex, event_trigger_parse): `cmd[:N] [if filter]`,
   * `!cmd` removes. Unknown command, bad count or bad filter: -EINVAL (a bad filter is not logged); the
   * same command twice: -EEXIST.
   */
  writeTrigger(file: EventFile, text: string): number {
    const buff = text.trim();
    const m = /^([^: \t]*)[: \t]?(.*)$/s.exec(buff)!;
    let command = m[1]!;
    let next: string | null = m[2]!.trim();
    if (next === '') next = null;
    const remove = command.startsWith('!');
    if (remove) command = command.slice(1);
    const cmd = TRIGGER_CMDS.find((c) => c === command);
    if (cmd === undefined) return -EINVAL;
    if (cmd === 'enable_event' || cmd === 'disable_event') return this.writeEnableTrigger(file, cmd, next, remove);
    if (remove) {
      file.triggers = file.triggers.filter((t) => t.cmd !== cmd);
      return 0;
    }
    let param: string | null = null;
    let filterStr: string | null = null;
    if (next !== null) {
      if (!/^[0-9]/.test(next)) filterStr = next;
      else {
        const sp = next.search(/[ \t]/);
        param = sp < 0 ? next : next.slice(0, sp);
        const rest = sp < 0 ? '' : next.slice(sp).trim();
        if (rest !== '') filterStr = rest;
      }
    }
    let count = -1;
    if (param !== null) {
      const n = /^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(param) ? Number(param) : NaN;
      if (!Number.isSafeInteger(n)) return -EINVAL;
      count = n;
    }
    let filter: EventFilter | null = null;
    if (filterStr !== null) {
      const sp = filterStr.search(/[ \t]/);
      const word = sp < 0 ? filterStr : filterStr.slice(0, sp);
      if (word !== 'if' || sp < 0) return -EINVAL;
      const expr = filterStr.slice(sp + 1);
      const r = parseFilter(expr, (n) => this.filterField(file.call, n));
      if ('errno' in r) return r.errno;
      filter = r;
    }
    if (file.triggers.some((t) => t.cmd === cmd)) return -EEXIST;
    file.triggers.unshift({ cmd, count, filter }); // list_add_rcu: at the head, listed and run newest first
    if (cmd === 'snapshot') allocSnapshot(this.tr); // tracing_arm_snapshot / tracing_alloc_snapshot_instance
    return 0;
  }

  /** The trigger's `if filter` part (event_trigger_separate_filter / set_filter): null, an error, or the filter. */
  private triggerFilter(file: EventFile, s: string): EventFilter | null | number {
    if (s === '') return null;
    const sp = s.search(/[ \t]/);
    const word = sp < 0 ? s : s.slice(0, sp);
    if (word !== 'if' || sp < 0) return -EINVAL;
    const r = parseFilter(s.slice(sp + 1), (n) => this.filterField(file.call, n));
    return 'errno' in r ? r.errno : r;
  }

  /**
   * event_enable_trigger_parse: `enable_event:SYS:EVENT[:N] [if filter]` (or disable_event). An unknown
   * event, a missing EVENT, an empty or bad count, a bad filter: -EINVAL; the same command for the same
   * event twice: -EEXIST. `!` removes the trigger for that event (silently when absent). The target
   * event enters soft mode for as long as the trigger exists.
   */
  private writeEnableTrigger(file: EventFile, cmd: 'enable_event' | 'disable_event', next: string | null, remove: boolean): number {
    if (next === null) return -EINVAL;
    const sp = next.search(/[ \t]/);
    const trigger = sp < 0 ? next : next.slice(0, sp);
    const rest = sp < 0 ? '' : next.slice(sp).trim();
    const parts = trigger.split(':');
    if (parts.length < 2) return -EINVAL;
    const target = this.enableable().find((f) => f.call.system === parts[0] && f.call.name === parts[1]);
    if (target === undefined) return -EINVAL;
    const same = (t: EventTrigger): boolean => t.cmd === cmd && t.target === target;
    if (remove) {
      const i = file.triggers.findIndex(same);
      if (i >= 0) {
        file.triggers.splice(i, 1);
        this.softRef(target, false);
      }
      return 0;
    }
    let count = -1;
    if (parts.length > 2) {
      const number = parts[2]!;
      const n = /^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(number) ? Number(number) : NaN;
      if (!Number.isSafeInteger(n)) return -EINVAL;
      count = n;
    }
    const filter = this.triggerFilter(file, rest);
    if (typeof filter === 'number') return filter;
    if (file.triggers.some(same)) return -EEXIST;
    this.softRef(target, true);
    file.triggers.unshift({ cmd, count, filter, target });
    return 0;
  }
}

const perArray = new WeakMap<TraceArray, TraceEvents>();

/** Unhook and forget a trace array's events (instances/ rmdir). */
export function releaseTraceEvents(tr: TraceArray): void {
  perArray.get(tr)?.release();
  perArray.delete(tr);
}

/** The events of a trace array, made (and hooked into the scheduler and the timer entry) on first use. */
export function traceEvents(tr: TraceArray): TraceEvents {
  let e = perArray.get(tr);
  if (e === undefined) {
    e = new TraceEvents(tr);
    perArray.set(tr, e);
  }
  return e;
}

/**
 * __trace_stack: a stack trace entry on `cpu` for `task` (while tracing is on): where the CPU is, then
 * the task's shadow call stack (return addresses, interrupted ips), innermost first. Serves the
 * stacktrace event trigger and the stacktrace function command. With `from` (a return address in the
 * shadow stack), the frames inside it are skipped and the trace starts there, as STACK_SKIP drops the
 * tracer's own frames (func_stack_trace); when it is not on the stack, nothing is skipped.
 */
export function writeStackTrace(tr: TraceArray, cpu: Cpu, task: Task, from?: number): void {
  if (!tr.tracingOn) return;
  registerEventPrinters();
  const s = task.shadow;
  let top = s.depth - 1;
  if (from !== undefined) while (top >= 0 && s.addrs[top] !== from) top--;
  const addrs = top < 0 || from === undefined ? [cpu.rip] : [];
  if (top < 0) top = s.depth - 1;
  for (let i = top; i >= 0; i--) addrs.push(s.addrs[i]!);
  const ctx = tr.traceCtx(cpu);
  tr.buffer.writeRaw(cpu.id, cpu.now(), task.pid, ctx.flags, ctx.pc, TRACE_STACK, encodeStack(addrs));
}

/**
 * ftrace_trace_userstack: a user_stack entry (tgid, FTRACE_STACK_ENTRIES callers zeroed, then
 * stack_trace_save_user). ftsim's tasks are kernel threads with no user mode, so no caller is saved.
 */
function writeUserStack(tr: TraceArray, cpuId: number, task: Task, flags: number, pc: number): void {
  const body = new Uint8Array(USER_STACK_PAYLOAD - 8);
  new DataView(body.buffer).setUint32(0, task.pid, true); // tgid: a kernel thread leads its own group
  tr.buffer.writeRaw(cpuId, tr.kernel.cpus[cpuId]!.now(), task.pid, flags, pc, TRACE_USER_STACK, body);
}
