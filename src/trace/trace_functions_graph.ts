// The function_graph tracer: trace_graph_entry / trace_graph_return write the graph events of the traced call's CPU and task (kernel/trace/trace_functions_graph.c).

import type { FtraceCall } from '../ftrace/ftrace.js';
import type { FgraphOps, FtraceGraphEnt, FtraceGraphRet } from '../ftrace/fgraph.js';
import type { TraceArray, Tracer } from './trace_functions.js';
import { DEFAULT_GRAPH_OPTIONS } from './trace_output.js';
import { TRACE_FLAG_HARDIRQ } from './ring_buffer.js';

export class GraphTracer implements Tracer {
  readonly name = 'function_graph';
  /** Entry and return events the callbacks were asked to write (tests compare with the buffer). */
  entries = 0;
  returns = 0;
  private gops: FgraphOps | null = null;

  private gopsFor(tr: TraceArray): FgraphOps {
    if (this.gops === null) {
      this.gops = {
        entryfunc: (trace: FtraceGraphEnt): boolean => {
          const cpu = tr.arch.current;
          if (cpu === null) return false;
          const ctx = tr.traceCtx(cpu);
          // ftrace_graph_ignore_irqs: under nofuncgraph-irqs, nothing in hardirq context (in_hardirq()) is traced
          if (!(tr.graphOptions.irqs ?? DEFAULT_GRAPH_OPTIONS.irqs) && (ctx.flags & TRACE_FLAG_HARDIRQ) !== 0) return false;
          const task = tr.kernel.sched.current[cpu.id];
          tr.saveCmdline(task.pid, task.name);
          this.entries++;
          tr.buffer.writeGraphEntry(cpu.id, cpu.now(), task.pid, ctx.flags, ctx.pc, trace.func, trace.depth);
          return true;
        },
        retfunc: (trace: FtraceGraphRet): void => {
          const cpu = tr.arch.current;
          if (cpu === null) return;
          const task = tr.kernel.sched.current[cpu.id];
          this.returns++;
          const ctx = tr.traceCtx(cpu);
          tr.buffer.writeGraphReturn(
            cpu.id, trace.rettime, task.pid, ctx.flags, ctx.pc,
            trace.func, trace.depth, trace.calltime, trace.rettime, trace.overrun, trace.retval,
          );
        },
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
