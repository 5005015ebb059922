// The stack tracer: an ftrace ops that measures the guest stack at every traced function's entry and keeps the deepest one with its stack trace, and the stack_trace text (kernel/trace/trace_stack.c).

import type { Kernel } from '../kernel/kernel.js';
import type { FtraceCore, FtraceCall } from '../ftrace/ftrace.js';
import { FtraceOps } from '../ftrace/ops.js';
import type { X86Ftrace } from '../arch/x86/ftrace.js';
import type { SymbolTable } from '../loader/symbols.js';
import { RSP } from '../machine/x86/cpu.js';
import { PERM_X, addrToNum, numToAddr, type Region } from '../machine/memory.js';
import { THREAD_SIZE } from '../kernel/layout.js';

/** MCOUNT_INSN_SIZE: the traced function's `call __fentry__`; ip + 5 is the return address it pushed. */
const MCOUNT_INSN_SIZE = 5n;
/** STACK_TRACE_ENTRIES: stack_dump_trace holds one less. */
const STACK_TRACE_ENTRIES = 500;
/** How far above the callback's stack pointer the traced function's return slot may be (the callers' and trampolines' frames). */
const TRACER_FRAME_WORDS = 64;

/** One row of stack_trace: a return address and the stack depth where it sits (stack_dump_trace / stack_trace_index). */
export interface StackEntry {
  addr: bigint;
  /** Bytes from that slot to the top of the stack. */
  depth: number;
}

/** print_disabled's text, shown under the header while the tracer is off and nothing was recorded. */
const DISABLED_TEXT =
  '#\n' +
  '#  Stack tracer disabled\n' +
  '#\n' +
  "# To enable the stack tracer, either add 'stacktrace' to the\n" +
  '# kernel command line\n' +
  "# or 'echo 1 > /proc/sys/kernel/stack_tracer_enabled'\n" +
  '#\n';

/**
 * The stack tracer of one machine. Its ops (trace_ops, callback stack_trace_call) hooks every function,
 * or those of stack_trace_filter (the ops' filter hash). At each call it measures the depth of the
 * traced function's stack at entry: from the slot holding the return address its `call __fentry__`
 * pushed (ip + 5, directly below the return address into its caller) to the top of the
 * THREAD_SIZE-aligned stack. The kernel finds the same slot by searching the stack for the unwinder's
 * first entry and subtracts the tracer's own frame once; here the slot is found by its two words, and
 * the callers' and trampolines' frames below it never count.
 *
 * The guest kernel is built without frame pointers, so the trace at a new maximum is what the kernel's
 * guess unwinder reports: every word from that slot up to the top of the stack that points into
 * executable text with a symbol (kernel, module, entry code), each with its own depth. A return address
 * the function-return tracer replaced with return_to_handler is translated through the task's return
 * stack, as ftrace_graph_ret_addr does.
 */
export class StackTracer {
  /** /proc/sys/kernel/stack_tracer_enabled as proc_dointvec stored it (nonzero: on). */
  sysctl = 0;
  /** stack_trace_max_size. */
  maxSize = 0;
  /** stack_dump_trace with stack_trace_index, innermost first. */
  entries: StackEntry[] = [];
  readonly ops: FtraceOps;
  /**
   * Calls measured; skipped (in an NMI, on a stack that is not a task stack, no return slot found);
   * return addresses of a new maximum's trace that were return_to_handler and translated.
   */
  readonly stats = { calls: 0, nmi: 0, offStack: 0, noSlot: 0, graphRets: 0 };
  private registered = false;

  constructor(readonly kernel: Kernel, readonly core: FtraceCore, readonly arch: X86Ftrace, readonly symbols: SymbolTable) {
    this.ops = new FtraceOps('stack_trace_call', (ip, parentIp) => this.stackTraceCall(ip, parentIp));
  }

  get enabled(): boolean {
    return this.sysctl !== 0;
  }

  /**
   * stack_trace_sysctl: store the value; register the ops when it turns nonzero, unregister when it
   * turns zero. As in the kernel, the registration's own result is not reported.
   */
  *setSysctl(val: number): FtraceCall<number> {
    const was = this.enabled;
    this.sysctl = val;
    if (was === this.enabled) return 0;
    if (this.enabled && !this.registered) {
      const err = yield* this.core.registerFtraceFunction(this.ops);
      if (!err) this.registered = true;
    } else if (!this.enabled && this.registered) {
      const err = yield* this.core.unregisterFtraceFunction(this.ops);
      if (!err) this.registered = false;
    }
    return 0;
  }

  private u64(r: Region, addr: number): bigint | null {
    const off = addr - r.start;
    if (off < 0 || off + 8 > r.size) return null;
    return r.dv.getBigUint64(off, true);
  }

  /** stack_trace_call / check_stack. */
  private stackTraceCall(ip: bigint, parentIp: bigint): void {
    const cpu = this.arch.current;
    if (cpu === null) return;
    this.stats.calls++;
    const rsp = cpu.getReg(RSP);
    const top = (rsp & ~BigInt(THREAD_SIZE - 1)) + BigInt(THREAD_SIZE);
    // the depth can only be smaller than from the callback's own stack pointer: the common case stops here
    if (Number(top - rsp) <= this.maxSize) return;
    // object_is_on_stack: a task's stack (or the boot stack), the whole THREAD_SIZE block mapped
    const topN = addrToNum(top);
    const r = this.kernel.machine.mem.find(addrToNum(rsp));
    if (r === undefined || r.start > topN - THREAD_SIZE || r.end < topN) {
      this.stats.offStack++;
      return;
    }
    // no new maximum from NMI context (the kernel cannot take the lock there)
    if (this.arch.contextOf(cpu) === 'nmi') {
      this.stats.nmi++;
      return;
    }
    const retAddr = BigInt.asUintN(64, ip + MCOUNT_INSN_SIZE);
    const parent = BigInt.asUintN(64, parentIp);
    const rspN = addrToNum(rsp);
    let slot: number | null = null;
    for (let i = 0, p = rspN; i < TRACER_FRAME_WORDS && p + 16 <= topN; i++, p += 8) {
      if (this.u64(r, p) === retAddr && this.u64(r, p + 8) === parent) {
        slot = p;
        break;
      }
    }
    if (slot === null) {
      this.stats.noSlot++;
      return;
    }
    const size = topN - slot;
    if (size <= this.maxSize) return;
    this.maxSize = size;
    this.entries = this.saveTrace(r, cpu.id, retAddr, slot, topN);
  }

  /** stack_trace_save as a guess unwinder from the traced function's return slot, with each entry's depth. */
  private saveTrace(r: Region, cpuId: number, retAddr: bigint, slot: number, topN: number): StackEntry[] {
    const out: StackEntry[] = [{ addr: retAddr, depth: topN - slot }];
    const rth = this.arch.callers.returnToHandler;
    const task = this.kernel.sched.current[cpuId];
    const g = this.arch.fgraph(this.core);
    const retStack = this.kernel.sched.slots.get(task, g.key).entries;
    let hooked = 0;
    for (let p = slot + 8; p + 8 <= topN && out.length < STACK_TRACE_ENTRIES - 1; p += 8) {
      let v = this.u64(r, p);
      if (v === null) break;
      if (v === rth) {
        // ftrace_graph_ret_addr: the next saved return down the task's return stack, past the frames whose
        // saved return is return_to_handler itself (a traced function another one tail-called: one slot)
        let e = retStack[retStack.length - 1 - hooked++];
        while (e !== undefined && numToAddr(e.ret) === rth) e = retStack[retStack.length - 1 - hooked++];
        if (e !== undefined) {
          v = numToAddr(e.ret);
          this.stats.graphRets++;
        }
      }
      if (this.isTextAddress(v)) out.push({ addr: v, depth: topN - p });
    }
    return out;
  }

  /** __kernel_text_address for the guess unwinder: executable memory with a symbol covering it, or an ftrace trampoline. */
  private isTextAddress(v: bigint): boolean {
    const n = addrToNum(v);
    const r = this.kernel.machine.mem.find(n);
    if (r === undefined || (r.perm & PERM_X) === 0) return false;
    if (this.arch.tramps.at(v) !== undefined) return true;
    const s = this.symbols.nearest(v);
    if (s === undefined) return false;
    const size = this.symbols.sizeOf(v);
    return size === 0 || s.offset < BigInt(size);
  }

  /** stack_max_size write: any value, 0 to start over (the recorded trace stays until a deeper one replaces it). */
  setMaxSize(v: number): void {
    this.maxSize = v;
  }

  /** %pS: `func+0xoff/0xsize`, ` [mod]` for a module's, the bare address where no symbol covers it. */
  formatPS(addr: bigint): string {
    const bare = `0x${BigInt.asUintN(64, addr).toString(16)}`;
    if (this.arch.tramps.at(addr) !== undefined) return bare;
    const s = this.symbols.nearest(addr);
    if (s === undefined) return bare;
    const size = this.symbols.sizeOf(addr);
    const text = `${s.name}+0x${s.offset.toString(16)}/0x${size.toString(16)}`;
    return s.module !== undefined ? `${text} [${s.module}]` : text;
  }

  /** The stack_trace file (t_show). */
  text(): string {
    let out = `        Depth    Size   Location    (${this.entries.length} entries)\n` +
      '        -----    ----   --------\n';
    if (!this.enabled && this.maxSize === 0) out += DISABLED_TEXT;
    const e = this.entries;
    for (let i = 0; i < e.length; i++) {
      const size = i + 1 === e.length ? e[i].depth : e[i].depth - e[i + 1].depth;
      out += `${String(i).padStart(3)}) ${String(e[i].depth).padStart(8)}   ${String(size).padStart(5)}   ${this.formatPS(e[i].addr)}\n`;
    }
    return out;
  }
}
