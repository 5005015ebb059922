// The function_graph tracer: graph_entry / trace_graph_return write the graph events of the traced call's CPU and task, behind the graph filters and funcgraph-irqs (kernel/trace/trace_functions_graph.c).

import type { FtraceCall } from '../ftrace/ftrace.js';
import type { FtraceOps } from '../ftrace/ops.js';
import type { Fgraph, FgraphEntryCtx, FgraphOps, FgraphReturnCtx, FtraceGraphEnt, FtraceGraphRet } from '../ftrace/fgraph.js';
import type { TraceArray, Tracer } from './trace_functions.js';
import { DEFAULT_GRAPH_OPTIONS } from './trace_output.js';
import { TRACE_FLAG_HARDIRQ } from './ring_buffer.js';
import type { Kernel } from '../kernel/kernel.js';
import { NMI_VECTOR } from '../kernel/layout.js';
import { addrToNum } from '../machine/memory.js';

/**
 * [__irqentry_text_start, __irqentry_text_end): the guest's C interrupt handlers that the entry stubs
 * call for hardirq vectors (the timer's tick_handler), the functions the kernel marks __irq_entry
 * (sysvec_apic_timer_interrupt and the like). The NMI's handler is left out, as the kernel's exc_nmi is
 * not in that section. The bundled guest has no .irqentry.text section: the range is derived from the
 * stubs' handlers (each handler's symbol bounds; its start alone without a size).
 */
export function irqentryText(kernel: Kernel, symbolSize: ((addr: bigint) => number) | null): (addr: number) => boolean {
  const ranges: [number, number][] = [];
  for (const [vector, h] of kernel.opts.guestHandlers ?? []) {
    if (vector === NMI_VECTOR) continue;
    const start = addrToNum(h);
    ranges.push([start, start + Math.max(1, symbolSize?.(h) ?? 1)]);
  }
  return (addr) => ranges.some(([a, b]) => addr >= a && addr < b);
}

/** The function tracer's shape: it holds the trace array's ftrace_ops (tr->ops). */
function hasOpsFor(t: Tracer): t is Tracer & { opsFor(tr: TraceArray): FtraceOps } {
  return 'opsFor' in t && typeof (t as { opsFor?: unknown }).opsFor === 'function';
}

/** struct fgraph_times: what the tracer keeps with each frame it takes. */
interface FgraphTimes {
  calltime: number;
  sleeptime: number;
}

export class GraphTracer implements Tracer {
  readonly name = 'function_graph';
  /** Entry and return events the callbacks were asked to write (tests compare with the buffer). */
  entries = 0;
  returns = 0;
  private gops: FgraphOps | null = null;

  /**
   * graph_entry: a set_graph_notrace function sets the task's NOTRACE bit and is taken without an event
   * (its return clears the bit); while the bit is set nothing is taken; then set_graph_function and
   * max_graph_depth (ftrace_graph_ignore_func) and, under nofuncgraph-irqs, hardirq context unless the
   * root being traced was entered there (ftrace_graph_ignore_irqs with TRACE_IRQ_BIT).
   */
  private entry(tr: TraceArray, g: Fgraph, trace: FtraceGraphEnt, c: FgraphEntryCtx): boolean {
    const cpu = tr.arch.current;
    if (cpu === null) return false;
    const v = c.var;
    if (v.notraceAt >= 0) { g.stats.notraced++; return false; }
    if (g.filter.isNotrace(trace.func)) { v.notraceAt = trace.depth; return true; }
    const ctx = tr.traceCtx(cpu);
    const hardirq = (ctx.flags & TRACE_FLAG_HARDIRQ) !== 0;
    if (g.filter.ignoreFunc(v, trace, hardirq)) return false;
    if (!(tr.graphOptions.irqs ?? DEFAULT_GRAPH_OPTIONS.irqs) && !v.irqBit && hardirq) return false;
    const times: FgraphTimes = { calltime: cpu.now(), sleeptime: c.sleeptime };
    c.reserveData(times);
    const task = tr.kernel.sched.current[cpu.id];
    tr.saveCmdline(task.pid, task.name);
    this.entries++;
    // funcgraph-retaddr: __trace_graph_retaddr_entry with ftrace_graph_top_ret_addr (the caller's return address)
    if (tr.graphOptions.retaddr ?? DEFAULT_GRAPH_OPTIONS.retaddr) {
      tr.buffer.writeGraphRetaddrEntry(cpu.id, times.calltime, task.pid, ctx.flags, ctx.pc, trace.func, trace.depth, trace.retaddr);
    } else {
      tr.buffer.writeGraphEntry(cpu.id, times.calltime, task.pid, ctx.flags, ctx.pc, trace.func, trace.depth);
    }
    return true;
  }

  /** trace_graph_return: the root's return clears the graph bit; the notrace function's clears NOTRACE; handle_nosleeptime. */
  private ret(tr: TraceArray, g: Fgraph, trace: FtraceGraphRet, c: FgraphReturnCtx): void {
    const cpu = tr.arch.current;
    if (cpu === null) return;
    const v = c.var;
    g.filter.addrFinish(v, trace);
    if (v.notraceAt >= 0) { v.notraceAt = -1; return; }
    const times = c.data as FgraphTimes | undefined;
    if (times === undefined) return;
    let calltime = times.calltime;
    if (!g.sleepTime) calltime += c.sleeptime - times.sleeptime;
    const task = tr.kernel.sched.current[cpu.id];
    this.returns++;
    const ctx = tr.traceCtx(cpu);
    tr.buffer.writeGraphReturn(
      cpu.id, trace.rettime, task.pid, ctx.flags, ctx.pc,
      trace.func, trace.depth, calltime, trace.rettime, trace.overrun, trace.retval,
    );
  }

  private gopsFor(tr: TraceArray): FgraphOps {
    if (this.gops === null) {
      const g = tr.arch.fgraph(tr.core);
      // allocate_fgraph_ops / init_array_fgraph_ops: the ops shares the trace array's filter hashes
      // (set_ftrace_filter / set_ftrace_notrace of the top array or of the instance)
      const ft = tr.tracers.get('function');
      this.gops = {
        entryfunc: (trace, c) => this.entry(tr, g, trace, c),
        retfunc: (trace, c) => this.ret(tr, g, trace, c),
        ops: ft !== undefined && hasOpsFor(ft) ? ft.opsFor(tr) : null,
      };
    }
    return this.gops;
  }

  *init(tr: TraceArray): FtraceCall<number> {
    return yield* tr.arch.fgraph(tr.core).registerFtraceGraph(this.gopsFor(tr));
  }

  *reset(tr: TraceArray): FtraceCall<number> {
    if (this.gops === null) return 0;
    return yield* tr.arch.fgraph(tr.core).unregisterFtraceGraph(this.gops);
  }
}
