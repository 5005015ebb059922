// function_graph's `trace` text: entries, returns, leaves, durations, the context-switch block and comments, as kernel/trace/trace_functions_graph.c prints them.

import { TRACE_FN, TRACE_GRAPH_ENT, TRACE_GRAPH_RET, TRACE_PRINT, type EventCommon, type GraphEntryEvent, type GraphReturnEvent, type TraceEvent, type TraceReader } from './ring_buffer.js';
import { defaultLine, findComm, ipSym, padLeft, type Ctx } from './trace_output.js';


const FILL_FULL = '              |  ';

/** trace_find_mark: the duration marker, '$' above 1 s down to '+' above 10 us. */
export function durationMark(ns: number): string {
  if (ns > 1_000_000_000) return '$';
  if (ns > 100_000_000) return '@';
  if (ns > 10_000_000) return '*';
  if (ns > 1_000_000) return '#';
  if (ns > 100_000) return '!';
  if (ns > 10_000) return '+';
  return ' ';
}

/** trace_print_graph_duration: microseconds with up to 3 decimals, 7 digits at most before cutting decimals, then " us " and padding to 8. */
export function formatGraphDuration(ns: number): string {
  const d = Math.max(0, Math.floor(ns));
  const usecs = String(Math.floor(d / 1000));
  let s = usecs;
  let len = usecs.length;
  if (len < 7) {
    const keep = Math.min(5, 8 - len) - 1;
    const frac = String(d % 1000).padStart(3, '0').slice(0, keep);
    s += '.' + frac;
    len += frac.length + 1;
  }
  s += ' us ';
  for (let i = len; i < 8; i++) s += ' ';
  return s;
}

interface GraphCpuState {
  lastPid: number;
  depth: number;
  enterFuncs: Map<number, number>;
  /** depth_irq: the depth of the irqentry function being hidden under nofuncgraph-irqs, or -1. */
  depthIrq: number;
}

/** The graph tracer's per-reader state (struct fgraph_data): last pid and depth per CPU. */
export class GraphPrinter {
  private readonly cpus = new Map<number, GraphCpuState>();
  constructor(private readonly c: Ctx) {}

  private state(cpu: number): GraphCpuState {
    let s = this.cpus.get(cpu);
    if (s === undefined) {
      s = { lastPid: -1, depth: 0, enterFuncs: new Map(), depthIrq: -1 };
      this.cpus.set(cpu, s);
    }
    return s;
  }

  private cpuCol(cpu: number): string {
    return ' ' + padLeft(String(cpu), this.c.cpuWidth) + ') ';
  }

  /** print_graph_proc: comm cut to 7 and "comm-pid" centred in 14. */
  private proc(pid: number): string {
    const comm = findComm(this.c.comm, pid).slice(0, 7);
    const s = comm + '-' + pid;
    const spaces = s.length < 14 ? 14 - s.length : 0;
    const left = Math.floor(spaces / 2);
    return ' '.repeat(left) + s + ' '.repeat(spaces - left);
  }

  /** verif_pid: the context-switch block when the CPU's pid changed since its last line. */
  private verifPid(e: EventCommon): string {
    const st = this.state(e.cpu);
    if (st.lastPid === e.pid) return '';
    const prev = st.lastPid;
    st.lastPid = e.pid;
    if (prev === -1) return '';
    return ' ------------------------------------------\n' + this.cpuCol(e.cpu) + this.proc(prev) + ' => ' + this.proc(e.pid) +
      '\n ------------------------------------------\n\n';
  }

  /** The columns before the duration: abstime, CPU, proc (under context-info). */
  private columns(e: EventCommon): string {
    if (!this.c.o.contextInfo) return '';
    const g = this.c.g;
    let s = '';
    if (g.abstime) {
      const secs = Math.floor(e.ts / 1e9);
      s += padLeft(String(secs), 5) + '.' + String(Math.floor((e.ts - secs * 1e9) / 1000)).padStart(6, '0') + ' |  ';
    }
    if (g.cpu) s += this.cpuCol(e.cpu);
    if (g.proc) s += this.proc(e.pid) + ' | ';
    return s;
  }

  /**
   * print_graph_irq: for a function in [__irqentry_text_start, __irqentry_text_end), the marker line
   * `==========>` (entering) or `<==========` (its return), in the duration column's place.
   */
  private irqLine(e: EventCommon, addr: number, enter: boolean): string {
    if (!this.c.irqentry(addr)) return '';
    const dur = this.c.g.duration && this.c.o.contextInfo;
    return this.columns(e) + (dur ? '  ' : '') + (enter ? '==========>' : '<==========') + (dur ? ' |' : '') + '\n';
  }

  /** print_graph_prologue: the context-switch block, the entering marker for an entry, then the columns. */
  private prologue(e: EventCommon, irqEnter?: number): string {
    let s = this.verifPid(e);
    if (irqEnter !== undefined) s += this.irqLine(e, irqEnter, true);
    return s + this.columns(e);
  }

  /** check_irq_entry under nofuncgraph-irqs: hide an irqentry function's entry and everything under it. */
  private irqEntryHidden(e: GraphEntryEvent): boolean {
    if (this.c.g.irqs) return false;
    const st = this.state(e.cpu);
    if (st.depthIrq >= 0) return true;
    if (!this.c.irqentry(e.func)) return false;
    st.depthIrq = e.depth;
    return true;
  }

  /** check_irq_return: inside hidden irq code; its own return ends the hiding. */
  private irqReturnHidden(e: GraphReturnEvent): boolean {
    if (this.c.g.irqs) return false;
    const st = this.state(e.cpu);
    if (st.depthIrq === -1) return false;
    if (st.depthIrq >= e.depth) st.depthIrq = -1;
    return true;
  }

  /** print_graph_retaddr: ` <-caller+0x../0x..` (seq_print_ip_sym with sym-offset forced). */
  private retaddr(addr: number): string {
    return ' <-' + ipSym({ ...this.c, o: { ...this.c.o, symOffset: true } }, addr);
  }

  private duration(ns: number | undefined): string {
    if (!this.c.g.duration || !this.c.o.contextInfo) return '';
    if (ns === undefined) return FILL_FULL;
    return (this.c.g.overhead ? durationMark(ns) + ' ' : '  ') + formatGraphDuration(ns) + '|  ';
  }

  private indent(depth: number): string {
    return depth > 0 ? ' '.repeat(depth * 2) : '';
  }

  private entry(e: GraphEntryEvent, r: TraceReader): string {
    if (this.irqEntryHidden(e)) return '';
    let s = this.prologue(e, e.func);
    const st = this.state(e.cpu);
    const showAddr = this.c.g.retaddr && e.retaddr !== undefined;
    // get_return_for_leaf: the very next event of this CPU is our return.
    const next = r.peek(e.cpu);
    if (next !== undefined && next.type === TRACE_GRAPH_RET && next.pid === e.pid && next.func === e.func) {
      r.advance(e.cpu);
      st.depth = e.depth - 1;
      st.enterFuncs.delete(e.depth);
      s += this.duration(next.rettime - next.calltime) + this.indent(e.depth) + this.c.resolve(e.func, false) + '();';
      // print_graph_retval for a leaf: ` /*`, the return address, the value, ` */`
      if (showAddr || this.c.g.retval) {
        s += ' /*' + (showAddr ? this.retaddr(e.retaddr!) : '') + (this.c.g.retval ? this.retval(next.retval) : '') + ' */';
      }
      return s + '\n' + this.irqLine(e, next.func, false); // iter->ts and pid: the entry's
    }
    st.depth = e.depth;
    st.enterFuncs.set(e.depth, e.func);
    s += this.duration(undefined) + this.indent(e.depth) + this.c.resolve(e.func, false) + '() {';
    if (showAddr) s += ' /*' + this.retaddr(e.retaddr!) + ' */';
    return s + '\n';
  }

  private ret(e: GraphReturnEvent): string {
    if (this.irqReturnHidden(e)) return '';
    const st = this.state(e.cpu);
    st.depth = e.depth - 1;
    const match = st.enterFuncs.get(e.depth) === e.func;
    st.enterFuncs.delete(e.depth);
    let s = this.prologue(e) + this.duration(e.rettime - e.calltime) + this.indent(e.depth);
    if (this.c.g.retval) s += '} /* ' + this.c.resolve(e.func, false) + this.retval(e.retval) + ' */\n';
    else s += match && !this.c.g.tail ? '}\n' : '} /* ' + this.c.resolve(e.func, false) + ' */\n';
    if (this.c.g.overrun) s += ` (Overruns: ${e.overrun >>> 0})\n`;
    return s + this.irqLine(e, e.func, false);
  }

  /**
   * print_graph_retval's value: ` ret=%ld` for an error code (a value in the last 4095 of the unsigned
   * range, also after sign-extending a 32-bit one), ` ret=0x%lx` for anything else or under funcgraph-retval-hex.
   */
  private retval(v: number): string {
    const u = BigInt.asUintN(64, BigInt(v));
    if (u !== 0n && !this.c.g.retvalHex) {
      const ext = (u & 0x80000000n) !== 0n && u >> 32n === 0n ? BigInt.asUintN(64, BigInt.asIntN(32, u)) : u;
      if (ext >= BigInt.asUintN(64, -4095n)) return ' ret=' + BigInt.asIntN(64, ext).toString();
    }
    return ' ret=0x' + u.toString(16);
  }

  /** print_graph_comment: other events as C comments at the current depth. */
  private comment(e: TraceEvent): string {
    const depth = this.state(e.cpu).depth;
    let s = this.prologue(e) + this.duration(undefined);
    if (depth > 0) s += ' '.repeat((depth + 1) * 2);
    let msg: string;
    if (e.type === TRACE_PRINT) msg = e.text;
    else msg = defaultLine({ ...this.c, o: { ...this.c.o, contextInfo: false } }, e);
    if (msg.endsWith('\n')) msg = msg.slice(0, -1);
    return s + '/* ' + msg + ' */\n';
  }

  line(e: TraceEvent, r: TraceReader): string {
    switch (e.type) {
      case TRACE_GRAPH_ENT: return this.entry(e, r);
      case TRACE_GRAPH_RET: return this.ret(e);
      case TRACE_FN: return defaultLine(this.c, e);
      default: return this.comment(e);
    }
  }
}
