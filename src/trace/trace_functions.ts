// The function and nop tracers, the trace array they write into, and current_tracer selection by name (kernel/trace/trace_functions.c, trace_nop.c, trace.c).

import type { Kernel } from '../kernel/kernel.js';
import type { SchedObserver } from '../kernel/sched.js';
import type { Cpu } from '../machine/x86/cpu.js';
import { addrToNum, numToAddr } from '../machine/memory.js';
import { EBUSY, EINVAL, ENODEV } from '../ftrace/arch.js';
import type { FtraceCore, FtraceCall } from '../ftrace/ftrace.js';
import { FtraceOps } from '../ftrace/ops.js';
import type { X86Ftrace } from '../arch/x86/ftrace.js';
import { RSP } from '../machine/x86/cpu.js';
import { HARDIRQ_MASK, NMI_MASK, PREEMPT_MASK, SOFTIRQ_MASK, SOFTIRQ_OFFSET, readGuestPreempt } from '../kernel/preempt.js';
import {
  RingBuffer, TRACE_BUF_SIZE_DEFAULT_KB, TRACE_FLAG_BH_OFF, TRACE_FLAG_HARDIRQ, TRACE_FLAG_IRQS_OFF, TRACE_FLAG_NEED_RESCHED, TRACE_FLAG_NMI, TRACE_FLAG_SOFTIRQ,
} from './ring_buffer.js';
import { renderTrace, type GraphOptions, type OutputContext, type TraceTextOptions } from './trace_output.js';
import { GraphTracer, irqentryText } from './trace_functions_graph.js';
import { writeStackTrace } from './trace_events.js';
import { clockDef, readTraceClock } from './trace_clock.js';
import { SavedCmdlines, savedCmdlinesOf } from './trace_cmdlines.js';
import { FuncRepeats } from './trace_func_repeats.js';
import { MINIMAL_BUFFER_KB, markBootSized, tracingUpdateBuffers } from './trace_buffers.js';

/** The generic flags of optionFlags that are on by default (TRACE_DEFAULT_FLAGS). */
const OPTION_FLAG_DEFAULTS: ReadonlySet<string> = new Set(['trace_printk_dest', 'copy_trace_marker', 'hash-ptr', 'function-trace']);

/** One tracer (struct tracer): init when it becomes current_tracer, reset when it stops being it. */
export interface Tracer {
  readonly name: string;
  init(tr: TraceArray): FtraceCall<number>;
  reset(tr: TraceArray): FtraceCall<number>;
}

/**
 * The global trace array: the ring buffer, the current tracer, and what the tracers need from the
 * machine (the CPU a traced call runs on, its task, its clock).
 */
export class TraceArray {
  readonly buffer: RingBuffer;
  readonly tracers = new Map<string, Tracer>();
  current: Tracer;
  /**
   * tracing_on (tracer_tracing_is_on): while false, the ring buffer refuses new events; the tracing_on
   * file, the traceon/traceoff function commands and the event triggers all flip this one switch.
   */
  get tracingOn(): boolean { return this.buffer.isRecording(); }
  set tracingOn(on: boolean) { this.buffer.setRecording(on); }
  /** The machine's saved_cmdlines cache (shared by every trace array, as the kernel's savedcmd). */
  readonly savedCmdlines: SavedCmdlines;
  /** trace_clock: the clock the events are stamped with (one of TRACE_CLOCKS). */
  traceClock = 'local';
  private busy = false;
  /** Events written (in the buffer or overrun) that tracer switches cleared, for accounting in tests. */
  eventsCleared = 0;
  /** set_ftrace_pid / set_ftrace_notrace_pid (null: no list): the function tracer skips the tasks they exclude (ftrace_pid_func). */
  ftracePids: Set<number> | null = null;
  ftraceNoPids: Set<number> | null = null;
  /** Option function-fork: children of a listed task join the pid lists, exiting tasks leave them (setFunctionFork). */
  functionFork = false;
  private forkObserver: SchedObserver | null = null;
  /** The function tracer's func_stack_trace option: a stack trace entry after each function event. */
  funcStackTrace = false;
  /** The function tracer's func-no-repeats option: the per-CPU repeat state while it is on, else null. */
  funcRepeats: FuncRepeats | null = null;
  /** trace_options that change the text (print-parent, sym-offset...) and function_graph's funcgraph-* options. */
  textOptions: Partial<TraceTextOptions> = {};
  graphOptions: Partial<GraphOptions> = {};
  /** The record-cmd option: save the comm of each traced pid (saved_cmdlines). */
  recordCmd = true;
  /** saved_tgids under record-tgid: every task of the bundled kernel is its own thread group (tgid = pid). */
  readonly savedTgids = new Map<number, number>();
  /**
   * Generic trace_options kept by name (block, fields, userstacktrace, sym-userobj, disable_on_free,
   * event-fork, trace_printk_dest, copy_trace_marker, pause-on-trace, hash-ptr, function-trace, stacktrace);
   * the defaults are OPTION_FLAG_DEFAULTS.
   */
  readonly optionFlags = new Map<string, boolean>();
  /** tracing_stop_tr nesting (pause-on-trace opens of `trace`). */
  stopCount = 0;
  /** Symbol sizes for %pS (sym-offset): the loader's ELF sizes; 0 when unknown. */
  symbolSize: ((addr: bigint) => number) | null = null;
  /** trace_buf_size in KB: the per-CPU size the buffer is allocated at, or grows to when it expands. */
  readonly traceBufSizeKb: number;
  /**
   * tr->ring_buffer_expanded: false while the buffer is the minimal boot one (the top-level array of a
   * booted machine, made with `minimal`), until tracingUpdateBuffers or a resize (trace_buffers.ts).
   */
  ringBufferExpanded = true;

  /** A generic option kept by name, or its default. */
  optionFlag(name: string): boolean {
    return this.optionFlags.get(name) ?? OPTION_FLAG_DEFAULTS.has(name);
  }

  /** disable_on_free: releasing free_buffer also turns tracing off. */
  get disableOnFree(): boolean { return this.optionFlag('disable_on_free'); }

  /**
   * `sizeKb` is trace_buf_size (default 1408); `minimal` makes the buffer as tracer_alloc_buffers does on a
   * boot without a tracer: 2 pages per CPU, unexpanded, to grow to `sizeKb` on first use.
   */
  constructor(readonly kernel: Kernel, readonly core: FtraceCore, readonly arch: X86Ftrace, opts: { sizeKb?: number; minimal?: boolean } = {}) {
    const cpus = kernel.cpus;
    this.traceBufSizeKb = Math.floor(opts.sizeKb ?? TRACE_BUF_SIZE_DEFAULT_KB);
    const sizeKb = opts.minimal ? MINIMAL_BUFFER_KB : this.traceBufSizeKb;
    this.buffer = new RingBuffer({ nrCpus: cpus.length, sizeKb, clock: (c) => this.clockNow(c) });
    if (opts.minimal) {
      this.ringBufferExpanded = false;
      markBootSized(this);
    }
    this.savedCmdlines = savedCmdlinesOf(kernel);
    const nop = new NopTracer();
    this.current = nop;
    for (const t of [nop, new FunctionTracer(), new GraphTracer()]) this.tracers.set(t.name, t);
  }

  /** Names of the available tracers (available_tracers). */
  available(): string[] {
    return [...this.tracers.keys()];
  }

  /**
   * Write current_tracer: reset the old tracer, init the new. An unknown name is -EINVAL and changes
   * nothing but the buffer's expansion; the same name again is a no-op.
   */
  *setTracer(name: string): FtraceCall<number> {
    // tracing_set_tracer grows the buffer before it even looks the name up
    const grown = tracingUpdateBuffers(this);
    if (grown < 0) return grown;
    const t = this.tracers.get(name.trim());
    if (t === undefined) return -EINVAL;
    if (t === this.current) return 0;
    if (this.busy) return -EBUSY;
    if (this.core.disabled && t.name !== 'nop') return -ENODEV;
    this.busy = true;
    try {
      yield* this.current.reset(this);
      this.current = this.tracers.get('nop')!;
      // tracer_init: tracing_reset_online_cpus, then the tracer's init (a switch clears the buffer)
      this.eventsCleared += this.buffer.totalEntries().written;
      this.buffer.reset();
      const err = yield* t.init(this);
      if (err) return err;
      this.current = t;
      return 0;
    } finally {
      this.busy = false;
    }
  }

  /**
   * tracing_gen_ctx: the latency flags and the preempt depth of the traced context on `cpu`. Sources:
   * - irqs-off 'd': RFLAGS.IF of the traced context (the callers and stubs leave IF as the function found it);
   * - NMI: the NMI bits of the guest's preempt_count (its nmi_handler adds NMI_OFFSET + HARDIRQ_OFFSET, as
   *   nmi_enter), or an NMI frame open on the CPU (the machine delivered an NMI, and the guest's
   *   nmi_handler, entered from it, is traced before it counts itself): so nmi_handler's own entry
   *   shows 'z' and its callees 'Z', as trace_print_lat_fmt prints NMI without and with HARDIRQ;
   * - hardirq 'h': the HARDIRQ bits of the guest's preempt_count (irq_enter in tick_handler). The
   *   interrupt's own handler runs before its irq_enter and shows none, as 4.x smp_apic_timer_interrupt did;
   * - softirq 's' ('H' with hardirq): in_serving_softirq(), __do_softirq's SOFTIRQ_OFFSET;
   * - BH-off 'b' ('D' with irqs-off): local_bh_disable's count in preempt_count (the guest's syscall exit disables BHs around raising RCU_SOFTIRQ);
   * - need-resched 'n': current->need_resched (TIF_NEED_RESCHED) of the guest task whose thread_info is at
   *   the base of the stack; the guest has no folded PREEMPT_NEED_RESCHED bit, so 'N' and 'p' never show,
   *   and a stack with no task yet (ti->task == NULL) shows none;
   * - preempt depth: preempt_count & 0xff, capped at 15 (the guest has no preempt_disable, so it stays '.');
   * - migrate-disable: the guest has none, so the fifth column stays '.'.
   * The guest's thread_info is read at the THREAD_SIZE-aligned base of the CPU's stack pointer, where
   * its preempt_count() and current find it (src/kernel/preempt.ts).
   */
  traceCtx(cpu: Cpu): { flags: number; pc: number } {
    let flags = 0;
    if (this.arch.irqsOff(cpu)) flags |= TRACE_FLAG_IRQS_OFF;
    if (this.arch.contextOf(cpu) === 'nmi') flags |= TRACE_FLAG_NMI;
    const g = readGuestPreempt(this.kernel.machine.mem, cpu.getReg(RSP));
    let pc = 0;
    if (g !== null) {
      const count = g.preemptCount;
      if (count & NMI_MASK) flags |= TRACE_FLAG_NMI;
      if (count & HARDIRQ_MASK) flags |= TRACE_FLAG_HARDIRQ;
      if (count & SOFTIRQ_OFFSET) flags |= TRACE_FLAG_SOFTIRQ;
      if ((count & SOFTIRQ_MASK) >>> 9) flags |= TRACE_FLAG_BH_OFF;
      if (g.needResched === true) flags |= TRACE_FLAG_NEED_RESCHED;
      pc = Math.min(count & PREEMPT_MASK, 0xf);
    }
    return { flags, pc };
  }

  /**
   * ftrace_pid_follow_fork: with `on`, hook sched_process_fork (a child of a task in a pid list joins
   * that list) and the task's exit (it leaves both lists); off unhooks them.
   */
  setFunctionFork(on: boolean): void {
    this.functionFork = on;
    const obs = this.kernel.sched.observers;
    if (on && this.forkObserver === null) {
      this.forkObserver = {
        fork: (_cpu, parent, child) => {
          if (this.ftracePids?.has(parent.pid)) this.ftracePids.add(child.pid);
          if (this.ftraceNoPids?.has(parent.pid)) this.ftraceNoPids.add(child.pid);
        },
        exit: (_cpu, t) => {
          this.ftracePids?.delete(t.pid);
          this.ftraceNoPids?.delete(t.pid);
        },
      };
      obs.push(this.forkObserver);
    } else if (!on && this.forkObserver !== null) {
      const i = obs.indexOf(this.forkObserver);
      if (i >= 0) obs.splice(i, 1);
      this.forkObserver = null;
    }
  }

  /** trace_ignore_this_task: a pid filter excludes `pid` (not in set_ftrace_pid, or in set_ftrace_notrace_pid). */
  ftraceIgnorePid(pid: number): boolean {
    return (this.ftracePids !== null && !this.ftracePids.has(pid)) || (this.ftraceNoPids !== null && this.ftraceNoPids.has(pid));
  }

  /** The latency flags alone (TRACE_FLAG_*). */
  genCtx(cpu: Cpu): number {
    return this.traceCtx(cpu).flags;
  }

  /**
   * trace_function: one function event on the CPU running the traced call. The timestamp is the CPU's
   * time stamp counter in ns (1 GHz: one cycle is one ns), synchronized across CPUs as an invariant TSC
   * is: the machine time of the traced call, so that a CPU started late does not restart at 0.
   */
  traceFunction(cpu: Cpu, ip: bigint, parentIp: bigint): void {
    if (!this.tracingOn) return;
    const task = this.kernel.sched.current[cpu.id];
    this.saveCmdline(task.pid, task.name);
    const ctx = this.traceCtx(cpu);
    this.buffer.writeFunction(cpu.id, cpu.now(), task.pid, ctx.flags, ctx.pc, addrToNum(ip), addrToNum(parentIp));
  }

  /** trace_save_cmdline: remember a pid's comm (not under norecord-cmd). */
  saveCmdline(pid: number, comm: string): void {
    if (this.recordCmd) this.savedCmdlines.set(pid, comm);
    this.saveTgid(pid);
  }

  /**
   * tracing_set_clock: stamp events with clock `name` from now on (ring_buffer_set_clock). The caller
   * clears the buffers, as the kernel does. Returns false for an unknown name.
   */
  setClock(name: string): boolean {
    if (clockDef(name) === undefined) return false;
    this.traceClock = name;
    const k = this.kernel;
    this.buffer.stamp = name === 'local' ? null : (cpu, ns) => readTraceClock(k, name, cpu, ns);
    return true;
  }

  /** The trace clock now on `cpu` (ring_buffer_time_stamp: the per_cpu stats' "now ts"). */
  clockNow(cpu: number): number {
    const c = this.kernel.cpus[cpu];
    return readTraceClock(this.kernel, this.traceClock, cpu, c.now());
  }

  /** trace_clocks[clock_id].in_ns: `trace` prints seconds.microseconds, else the raw count. */
  clockInNs(): boolean {
    return clockDef(this.traceClock)?.inNs ?? true;
  }

  /** trace_save_tgid under record-tgid: not the idle task; the tgid is the pid (no task of the guest shares a thread group). */
  saveTgid(pid: number): void {
    if (pid !== 0 && this.textOptions.recordTgid === true) this.savedTgids.set(pid, pid);
  }

  /** The `trace` file's text. */
  traceText(): string {
    return renderTrace(this.buffer, this.outputContext());
  }

  outputContext(): OutputContext {
    const symbolize = (a: number, withOffset: boolean): string => {
      const s = this.arch.formatSym(numToAddr(a));
      if (withOffset && !s.startsWith('0x') && this.symbolSize !== null) {
        // %pS: name+0xoff/0xsize [mod], the offset written even when it is 0
        const m = /^([^+ ]+)(?:\+0x([0-9a-f]+))?( \[[^\]]*\])?$/.exec(s);
        if (m !== null) return `${m[1]}+0x${m[2] ?? '0'}/0x${this.symbolSize(numToAddr(a)).toString(16)}${m[3] ?? ''}`;
      }
      if (withOffset || s.startsWith('0x')) return s;
      // %ps: the name, and ` [mod]` for a module's (sprint_symbol_no_offset)
      return s.replace(/\+0x[0-9a-f]+( \[[^\]]*\])?$/, '$1');
    };
    return {
      tracer: this.current.name,
      nrCpus: this.kernel.cpus.length,
      resolve: symbolize,
      // a pid whose slot went to another pid is `<...>`; one never saved is named from the task list
      // (ftsim has no sched_switch cmdline recorder: the tracers save the comms of the tasks they trace)
      comm: (pid) => this.savedCmdlines.get(pid) ?? (this.savedCmdlines.evicted(pid) ? undefined : this.kernel.sched.tasks.find((t) => t.pid === pid)?.name),
      timeInNs: this.clockInNs(),
      options: this.textOptions,
      graph: this.graphOptions,
      tgid: (pid) => this.savedTgids.get(pid),
      irqentry: irqentryText(this.kernel, this.symbolSize),
    };
  }
}

/** The nop tracer: traces nothing. */
export class NopTracer implements Tracer {
  readonly name = 'nop';
  *init(): FtraceCall<number> { return 0; }
  *reset(): FtraceCall<number> { return 0; }
}

/**
 * The function tracer: an ops whose callback (function_trace_call) records ip (the traced function's
 * site, i.e. its start) and parent ip (its return address into the caller) with the CPU's clock, the
 * current task's pid and the latency flags. Its filter and notrace hashes are set_ftrace_filter and
 * set_ftrace_notrace.
 */
export class FunctionTracer implements Tracer {
  readonly name = 'function';
  /** Calls that reached the callback (tests compare it with entries + overruns). */
  calls = 0;
  ops: FtraceOps | null = null;
  private tr: TraceArray | null = null;

  /** The tracer's ops, made on first use so that filters can be set before the tracer starts. */
  opsFor(tr: TraceArray): FtraceOps {
    if (this.ops === null) {
      this.tr = tr;
      this.ops = new FtraceOps('function_trace_call', (ip, parentIp) => {
        const cpu = tr.arch.current;
        if (cpu === null) return;
        if ((tr.ftracePids !== null || tr.ftraceNoPids !== null) && tr.ftraceIgnorePid(tr.kernel.sched.current[cpu.id].pid)) return;
        this.calls++;
        // function_no_repeats_trace_call: a repeat is only counted; a new call first flushes the count
        if (tr.funcRepeats !== null && tr.funcRepeats.repeat(tr, cpu, ip, parentIp)) return;
        tr.traceFunction(cpu, ip, parentIp);
        // function_stack_trace_call: the event, then __trace_stack from the traced function's frame (its
        // fentry call's return address) outward, the callback's and the trampoline's frames skipped
        if (tr.funcStackTrace) writeStackTrace(tr, cpu, tr.kernel.sched.current[cpu.id], addrToNum(ip) + tr.arch.mcountInsnSize);
      });
    }
    return this.ops;
  }

  *init(tr: TraceArray): FtraceCall<number> {
    return yield* tr.core.registerFtraceFunction(this.opsFor(tr));
  }

  *reset(tr: TraceArray): FtraceCall<number> {
    if (this.ops === null || this.tr !== tr) return 0;
    return yield* tr.core.unregisterFtraceFunction(this.ops);
  }
}

/** What `ftrace=` and `ftrace_filter=` / `ftrace_notrace=` on the kernel command line ask for. */
export interface BootTracing {
  tracer: string;
  filter?: readonly string[];
  notrace?: readonly string[];
  /** `ftrace_graph_filter=` / `ftrace_graph_notrace=` / `ftrace_graph_max_depth=`: set_graph_function, set_graph_notrace, max_graph_depth. */
  graphFunction?: readonly string[];
  graphNotrace?: readonly string[];
  maxGraphDepth?: number;
  /** Per-CPU buffer size in KB (buffer_size_kb). */
  sizeKb?: number;
}

/**
 * Start tracing at boot, before the image's entry point runs: filters first, then the tracer, as one
 * host thread on CPU 0 (no other CPU runs yet). `done` gets 0 or the first -errno, with what failed.
 */
export function startBootTracing(
  kernel: Kernel, core: FtraceCore, arch: X86Ftrace, bt: BootTracing,
  done: (err: number, what: string) => void = () => {},
): TraceArray {
  const tr = new TraceArray(kernel, core, arch, { sizeKb: bt.sizeKb });
  const tracer = tr.tracers.get(bt.tracer);
  if (tracer === undefined) {
    done(-EINVAL, `unknown tracer '${bt.tracer}' (available: ${tr.available().join(' ')})`);
    return tr;
  }
  arch.startLive(0, (function* (): FtraceCall<[number, string]> {
    if (tracer instanceof FunctionTracer) {
      const ops = tracer.opsFor(tr);
      for (const g of bt.filter ?? []) {
        const err = yield* core.ftraceSetFilter(ops, g, false);
        if (err) return [err, `set_ftrace_filter '${g}'`];
      }
      for (const g of bt.notrace ?? []) {
        const err = yield* core.ftraceSetNotrace(ops, g, false);
        if (err) return [err, `set_ftrace_notrace '${g}'`];
      }
    }
    const gf = arch.fgraph(core).filter;
    for (const g of bt.graphFunction ?? []) {
      const err = gf.set('function', g);
      if (err) return [err, `set_graph_function '${g}'`];
    }
    for (const g of bt.graphNotrace ?? []) {
      const err = gf.set('notrace', g);
      if (err) return [err, `set_graph_notrace '${g}'`];
    }
    if (bt.maxGraphDepth !== undefined) {
      const err = gf.setMaxDepth(bt.maxGraphDepth);
      if (err) return [err, `max_graph_depth '${bt.maxGraphDepth}'`];
    }
    const err = yield* tr.setTracer(bt.tracer);
    return [err, err ? `current_tracer '${bt.tracer}'` : ''];
  })(), ([err, what]) => done(err, what));
  return tr;
}
