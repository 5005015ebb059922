// Per-ops trampolines: a copy of ftrace_caller or ftrace_regs_caller whose call goes straight to one ops' function and whose ops pointer is that ops, and the table of live ones (create_trampoline, arch_ftrace_update_trampoline, arch_ftrace_trampoline_free in arch/x86/kernel/ftrace.c).
//
// Layout of a trampoline (the kernel's, with our ending):
//   [copy of the caller from its start up to ftrace_caller_end / ftrace_regs_caller_end]
//   jmp <that end label in the shared caller>     (RET_SIZE in the kernel: see below)
//   .align 8; .quad <ops id>                       (the kernel stores the ops pointer here)
// In the copy, `movq function_trace_op(%rip), %rdx` is retargeted at the trailing word, and the call
// at ftrace_call / ftrace_regs_call is fixed to ftrace_ops_get_func(ops).
//
// The ending: kernels 3.19-5.x ended a trampoline with `jmp ftrace_epilogue` (ftrace_return before),
// whose first instruction is the patchable graph jmp, so that sites calling a trampoline are graph
// traced like the others; since the graph tracer became an ops of its own (6.x, WITH_ARGS), the
// trampoline ends with a plain `ret`. Our callers still carry the graph jmp at ftrace_caller_end (the
// 4.x/5.x shape), so a trampoline jumps back there: to the graph jmp for ftrace_caller's copy, to the
// shared tail (popfq is already done; the `ret` that follows) for ftrace_regs_caller's.

import { addrToNum, hex } from '../../machine/memory.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { RcuTasks } from '../../kernel/rcu_tasks.js';
import { FTRACE_OPS_FL_ALLOC_TRAMP, FTRACE_OPS_FL_ENABLED, FTRACE_OPS_FL_SAVE_REGS, type FtraceOps } from '../../ftrace/ops.js';
import type { FtraceCallersText } from './ftrace_64.js';

const CALL_INSN_OPCODE = 0xe8;
const JMP32_INSN_OPCODE = 0xe9;
/** `movq disp32(%rip), %rdx`: what op_ref checks before retargeting. */
const OP_REF = [0x48, 0x8b, 0x15];
const OP_REF_SIZE = 7;

export interface TrampolineText {
  code: Uint8Array;
  /** Where the copy's patchable call is (calc_trampoline_call_offset). */
  callAt: bigint;
  /** The word holding the ops id. */
  opsSlot: bigint;
}

function putRel32(code: Uint8Array, off: number, opcode: number, at: bigint, target: bigint): void {
  const disp = BigInt.asIntN(64, target - (at + 5n));
  if (disp < -(1n << 31n) || disp >= 1n << 31n) throw new RangeError(`ftrace trampoline: ${hex(target)} is out of reach of ${hex(at)}`);
  code[off] = opcode;
  new DataView(code.buffer, code.byteOffset).setInt32(off + 1, Number(disp), true);
}

/** Bytes a trampoline needs for the regs caller (`regs`) or the plain one. */
export function trampolineSize(callers: FtraceCallersText, regs: boolean): number {
  const start = regs ? callers.ftraceRegsCaller : callers.ftraceCaller;
  const end = regs ? callers.ftraceRegsCallerEnd : callers.ftraceCallerEnd;
  const body = Number(end - start) + 5;
  return ((body + 7) & ~7) + 8;
}

/**
 * create_trampoline: the bytes of a trampoline at `at` for an ops whose id is `opsId` and whose
 * function's entry is `func`. `callersCode` is the shared callers' text as it stands (its call and jmp
 * targets do not matter: the call is replaced, the jmp is not copied).
 */
export function buildTrampoline(callers: FtraceCallersText, callersCode: Uint8Array, regs: boolean, at: bigint, opsId: bigint, func: bigint): TrampolineText {
  const base = callers.base;
  const start = regs ? callers.ftraceRegsCaller : callers.ftraceCaller;
  const end = regs ? callers.ftraceRegsCallerEnd : callers.ftraceCallerEnd;
  const opPtr = regs ? callers.ftraceRegsCallerOpPtr : callers.ftraceCallerOpPtr;
  const call = regs ? callers.ftraceRegsCall : callers.ftraceCall;
  const from = Number(start - base);
  const size = Number(end - start);
  const code = new Uint8Array(trampolineSize(callers, regs)).fill(0xcc);
  code.set(callersCode.subarray(from, from + size), 0);
  // the ending: back to the shared caller's tail
  putRel32(code, size, JMP32_INSN_OPCODE, at + BigInt(size), end);
  const slotOff = code.length - 8;
  const opsSlot = at + BigInt(slotOff);
  new DataView(code.buffer).setBigUint64(slotOff, opsId, true);
  // the ops pointer: movq <slot>(%rip), %rdx
  const o = Number(opPtr - start);
  if (!OP_REF.every((b, i) => code[o + i] === b)) {
    throw new Error(`ftrace trampoline: no movq function_trace_op(%rip), %rdx at ${hex(opPtr)} (the callers changed shape)`);
  }
  new DataView(code.buffer).setInt32(o + 3, Number(opsSlot - (at + BigInt(o + OP_REF_SIZE))), true);
  // the call: straight to the ops' function
  const c = Number(call - start);
  if (code[c] !== CALL_INSN_OPCODE) throw new Error(`ftrace trampoline: no call at ${hex(call)} (the callers changed shape)`);
  putRel32(code, c, CALL_INSN_OPCODE, at + BigInt(c), func);
  return { code, callAt: at + BigInt(c), opsSlot };
}

/** One live trampoline. */
export interface Trampoline {
  ops: FtraceOps;
  addr: bigint;
  size: number;
  /** The id its ops slot holds (what the host reads as the callback's ops). */
  id: bigint;
}

/** What a snapshot keeps of the table (the ops stay host objects: a snapshot restores into the same run's objects). */
export interface TrampolinesState {
  tramps: Trampoline[];
  nextId: bigint;
}

/** The live per-ops trampolines of one machine. */
export class Trampolines {
  private readonly byAddr = new Map<bigint, Trampoline>();
  private readonly byId = new Map<bigint, Trampoline>();
  private nextId = 1n;
  /** Trampolines freed while some task still had a context inside (invariant 5; only a broken wait leaves any). */
  readonly freedInUse: { ops: string; addr: bigint; tasks: string[] }[] = [];

  constructor(private readonly kernel: Kernel, private readonly callers: FtraceCallersText, private readonly rcu: RcuTasks) {}

  list(): readonly Trampoline[] {
    return [...this.byAddr.values()];
  }

  /** The trampoline containing `addr`. */
  at(addr: bigint): Trampoline | undefined {
    for (const t of this.byAddr.values()) if (addr >= t.addr && addr < t.addr + BigInt(t.size)) return t;
    return undefined;
  }

  /** The ops whose trampoline passed `id` in rdx; an Error for an id no live trampoline has. */
  opsOf(id: bigint): FtraceOps {
    const t = this.byId.get(id);
    if (t === undefined) throw new Error(`ftrace: a trampoline passed ops id ${id}, which no live trampoline has`);
    return t.ops;
  }

  /** Whether a guest address lies in the trampoline of an ops no longer registered (one about to be freed). */
  retiringAt(addr: number): boolean {
    for (const t of this.byAddr.values()) {
      if (t.ops.has(FTRACE_OPS_FL_ENABLED)) continue;
      const start = addrToNum(t.addr);
      if (addr >= start && addr < start + t.size) return true;
    }
    return false;
  }

  /** Where the call of the trampoline at `addr` goes now. */
  callTarget(addr: bigint): bigint {
    const regs = this.byAddr.get(addr)?.ops.has(FTRACE_OPS_FL_SAVE_REGS) ?? false;
    const c = this.callers;
    const at = addr + ((regs ? c.ftraceRegsCall : c.ftraceCall) - (regs ? c.ftraceRegsCaller : c.ftraceCaller));
    const b = this.kernel.machine.mem.read(at, 5);
    return at + 5n + BigInt(new DataView(b.buffer, b.byteOffset).getInt32(1, true));
  }

  /**
   * arch_ftrace_update_trampoline: give `ops` a trampoline whose call goes to `func` (true when one was
   * made). An ops with a trampoline of its own making (not ALLOC_TRAMP) keeps it; one of ours keeps it
   * while it calls `func`; should the function have changed, the ops gets a fresh one and the old one
   * stays mapped (only DYNAMIC ops' trampolines are freed, and theirs are gone by re-registration).
   */
  update(ops: FtraceOps, func: bigint): boolean {
    if (ops.trampoline !== 0n && !ops.has(FTRACE_OPS_FL_ALLOC_TRAMP)) return false;
    const cur = this.byAddr.get(ops.trampoline);
    if (cur !== undefined && this.callTarget(cur.addr) === func) return false;
    const regs = ops.has(FTRACE_OPS_FL_SAVE_REGS);
    const addr = this.kernel.vm.moduleAlloc(trampolineSize(this.callers, regs), `ftrace trampoline (${ops.name})`);
    const id = this.nextId++;
    const t = buildTrampoline(this.callers, this.callers.code, regs, addr, id, func);
    this.kernel.machine.mem.write(addr, t.code); // new text nothing calls yet: text_poke_early
    // invariant 5: only its call (text_poke_bp's to rewrite) may change while a CPU can be inside
    this.kernel.machine.lifetimes.guard(addrToNum(addr), t.code.length, `ftrace trampoline (${ops.name})`, [[addrToNum(t.callAt), 5]]);
    const tramp: Trampoline = { ops, addr, size: t.code.length, id };
    if (cur !== undefined) this.byAddr.delete(cur.addr);
    this.byAddr.set(addr, tramp);
    this.byId.set(id, tramp);
    ops.trampoline = addr;
    ops.trampolineSize = t.code.length;
    ops.flags |= FTRACE_OPS_FL_ALLOC_TRAMP;
    return true;
  }

  /** arch_ftrace_trampoline_free: unmap the ops' trampoline (true when there was one of ours). */
  free(ops: FtraceOps): boolean {
    if (!ops.has(FTRACE_OPS_FL_ALLOC_TRAMP) || ops.trampoline === 0n) return false;
    const t = this.byAddr.get(ops.trampoline);
    if (t !== undefined) {
      if (this.kernel.flow !== null) {
        const lo = addrToNum(t.addr);
        const inside = (a: number): boolean => a >= lo && a < lo + t.size;
        const tasks = [...this.kernel.sched.tasks, ...this.kernel.sched.idleTasks]
          .filter((task) => task.state !== 'dead' && this.rcu.inside(task, inside)).map((task) => `${task.name} (pid ${task.pid})`);
        if (tasks.length > 0) this.freedInUse.push({ ops: ops.name, addr: t.addr, tasks });
      }
      this.byAddr.delete(t.addr);
      this.byId.delete(t.id);
    }
    this.kernel.vm.moduleMemfree(ops.trampoline);
    ops.trampoline = 0n;
    ops.trampolineSize = 0;
    ops.flags &= ~FTRACE_OPS_FL_ALLOC_TRAMP;
    return true;
  }

  save(): TrampolinesState {
    return { tramps: this.list().map((t) => ({ ...t })), nextId: this.nextId };
  }

  restore(s: TrampolinesState): void {
    for (const t of this.byAddr.values()) {
      // made after the snapshot: its text is gone with the restored memory
      if (!s.tramps.some((x) => x.addr === t.addr && x.ops === t.ops)) {
        t.ops.trampoline = 0n;
        t.ops.trampolineSize = 0;
        t.ops.flags &= ~FTRACE_OPS_FL_ALLOC_TRAMP;
      }
    }
    this.byAddr.clear();
    this.byId.clear();
    for (const x of s.tramps) {
      const t: Trampoline = { ops: x.ops, addr: x.addr, size: x.size, id: x.id };
      this.byAddr.set(t.addr, t);
      this.byId.set(t.id, t);
      t.ops.trampoline = t.addr;
      t.ops.trampolineSize = t.size;
      t.ops.flags |= FTRACE_OPS_FL_ALLOC_TRAMP;
    }
    this.nextId = s.nextId;
  }
}
