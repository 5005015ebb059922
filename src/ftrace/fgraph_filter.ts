// The function-graph filters: set_graph_function (ftrace_graph_hash), set_graph_notrace (ftrace_graph_notrace_hash) and max_graph_depth (kernel/trace/ftrace.c's ftrace_graph_set_hash and g_show, kernel/trace/trace.h's ftrace_graph_addr / ftrace_graph_ignore_func / ftrace_graph_notrace_addr).

import { addrToNum } from '../machine/memory.js';
import { EINVAL, ENODEV } from './arch.js';
import { filterParseRegex, ftraceMatch } from './glob.js';
import { FTRACE_FL_DISABLED, type DynFtrace } from './record.js';

/** Which of the two graph files: set_graph_function (roots) or set_graph_notrace (pruned subtrees). */
export type GraphFilterType = 'function' | 'notrace';

/**
 * The per-task part (the kernel keeps it in current->trace_recursion): TRACE_GRAPH_BIT with
 * trace_recursion_depth(), i.e. the return stack depth of the graph root being traced, or -1.
 */
export interface GraphRootState {
  graphDepth: number;
  /** TRACE_IRQ_BIT: the root being traced was entered in hardirq context. */
  irqBit: boolean;
}

/** What the entry callback sees of a traced call (struct ftrace_graph_ent). */
export interface GraphEnt {
  func: number;
  depth: number;
}

/** The largest max_graph_depth accepted (the file takes an unsigned int). */
export const MAX_GRAPH_DEPTH_LIMIT = 0xffff_ffff;

export class FgraphFilter {
  /** ftrace_graph_hash: the graph roots, by site address (as the return stack stores it) -> record. */
  private readonly graphHash = new Map<number, DynFtrace>();
  /** ftrace_graph_notrace_hash. */
  private readonly notraceHash = new Map<number, DynFtrace>();
  /** fgraph_max_depth: 0 = no limit. */
  maxDepth = 0;

  constructor(
    /** Every call-site record (the core's record table). */
    private readonly records: () => Iterable<DynFtrace>,
    /** ftrace_disabled: a dead ftrace refuses every change with -ENODEV. */
    private readonly disabled: () => boolean = () => false,
  ) {}

  private hash(type: GraphFilterType): Map<number, DynFtrace> {
    return type === 'function' ? this.graphHash : this.notraceHash;
  }

  /**
   * ftrace_graph_set_hash: one pattern written to set_graph_function / set_graph_notrace. Every function
   * whose name matches is added (with a leading '!': removed). Returns 0, -EINVAL when no function
   * matches (also for '!'), -ENODEV when ftrace is disabled. Modules' functions match by name alone
   * (the graph files take no `:mod:`), and a digit-led pattern is a name, not an index, as there.
   */
  set(type: GraphFilterType, pattern: string): number {
    const word = pattern.trim();
    if (word.length === 0) return 0; // the parser loaded nothing
    if (this.disabled()) return -ENODEV;
    const p = filterParseRegex(word);
    const hash = this.hash(type);
    let fail = true;
    for (const rec of this.records()) {
      if (rec.has(FTRACE_FL_DISABLED) || rec.failed) continue;
      if (!ftraceMatch(rec.func.name, p.glob)) continue;
      fail = false;
      const key = addrToNum(rec.ip);
      if (p.not) hash.delete(key);
      else hash.set(key, rec);
    }
    return fail ? -EINVAL : 0;
  }

  /**
   * A write to set_graph_function / set_graph_notrace as the file takes it: opened with O_TRUNC (`>`)
   * the hash is emptied first, with O_APPEND (`>>`) it is kept; then every whitespace-separated word
   * is one pattern, in order. The first error stops the write and is returned (the words before it
   * stay applied, as the kernel's copy of the hash keeps them and is installed at close).
   */
  write(type: GraphFilterType, text: string, truncate: boolean): number {
    if (this.disabled()) return -ENODEV;
    if (truncate) this.clear(type);
    for (const word of text.split(/\s+/)) {
      if (word.length === 0) continue;
      const err = this.set(type, word);
      if (err) return err;
    }
    return 0;
  }

  /** Opening the file for writing without O_APPEND (`echo > set_graph_function`): the hash is emptied. */
  clear(type: GraphFilterType): void {
    this.hash(type).clear();
  }

  /** The functions in a hash, as g_show prints them: "name" or "name [module]", in address order. */
  list(type: GraphFilterType): string[] {
    return [...this.hash(type).values()]
      .sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0))
      .map((r) => {
        const mod = r.func.module ?? r.mod;
        return mod ? `${r.func.name} [${mod}]` : r.func.name;
      });
  }

  /** The text of set_graph_function / set_graph_notrace: one function a line, or the empty hash's line. */
  show(type: GraphFilterType): string {
    const names = this.list(type);
    if (names.length === 0) return type === 'function' ? '#### all functions enabled ####\n' : '#### no functions disabled ####\n';
    return names.map((n) => n + '\n').join('');
  }

  /** Write max_graph_depth: 0 (no limit) or a depth; -EINVAL for anything else (not an unsigned integer). */
  setMaxDepth(text: string | number): number {
    const s = String(text).trim();
    if (!/^(0|[1-9][0-9]*)$/.test(s)) return -EINVAL;
    const n = Number(s);
    if (n > MAX_GRAPH_DEPTH_LIMIT) return -EINVAL;
    this.maxDepth = n;
    return 0;
  }

  /** The text of max_graph_depth. */
  showMaxDepth(): string {
    return `${this.maxDepth}\n`;
  }

  /** ftrace_graph_notrace_addr: is this function's subtree pruned? */
  isNotrace(func: number): boolean {
    return this.notraceHash.size > 0 && this.notraceHash.has(func);
  }

  /**
   * ftrace_graph_ignore_func: true when the entry callback must decline the call. A call is traced when
   * the task is already inside a graph root (TRACE_GRAPH_BIT) or is a root itself (ftrace_graph_addr,
   * which then sets the bit and remembers the root's depth); an empty set_graph_function makes every
   * function a root. max_graph_depth declines calls at that depth and deeper.
   */
  ignoreFunc(st: GraphRootState, trace: GraphEnt, inHardirq = false): boolean {
    let traced = st.graphDepth >= 0;
    if (!traced) traced = this.graphAddr(st, trace, inHardirq);
    return !traced || trace.depth < 0 || (this.maxDepth > 0 && trace.depth >= this.maxDepth);
  }

  /**
   * ftrace_graph_addr: with roots set, a root sets the task's graph bit at its depth, and TRACE_IRQ_BIT
   * when it was entered in hardirq context (cleared by a root entered outside it), so that a root an
   * interrupt handler calls is traced even under nofuncgraph-irqs.
   */
  private graphAddr(st: GraphRootState, trace: GraphEnt, inHardirq: boolean): boolean {
    if (this.graphHash.size === 0) return true;
    if (!this.graphHash.has(trace.func)) return false;
    st.graphDepth = trace.depth;
    st.irqBit = inHardirq;
    return true;
  }

  /** ftrace_graph_addr_finish: the root's return clears the task's graph bit. */
  addrFinish(st: GraphRootState, trace: GraphEnt): void {
    if (st.graphDepth >= 0 && trace.depth === st.graphDepth) st.graphDepth = -1;
  }

  /**
   * A module's records went away (ftrace_release_mod): drop its functions from both hashes, so that
   * neither a listing nor a module loaded later at the same addresses sees them.
   */
  releaseMod(mod: string): void {
    for (const h of [this.graphHash, this.notraceHash]) {
      for (const [k, r] of h) if (r.mod === mod) h.delete(k);
    }
  }

  /** Whether any filter is in force (set_graph_function, set_graph_notrace or max_graph_depth). */
  active(): boolean {
    return this.graphHash.size > 0 || this.notraceHash.size > 0 || this.maxDepth > 0;
  }
}
