// Invariant monitors on the machine: call/ret integrity with a per-task shadow stack the kernel swaps on context switch (invariant 3), NMI nesting (invariant 7).

import { MachineViolation, type Cpu, type FlowMonitor } from './x86/cpu.js';
import { hex } from './memory.js';
import { TextLifetimes, type TextEvent } from './lifetimes.js';
import { arena, allocMovable, allocOwnedBlock, FC, SH, type MovableBlock } from './arena.js';

const CALL = 0;
const FRAME = 1;
const NMI = 2;
/** An open NMI frame after an IRET inside its handler unblocked NMIs (the vector's bit 7 set). */
const NMI_UNBLOCKED = NMI | 0x80;

/** Bytes per shadow-stack entry in the arena: return address and time (f64), kind and vector (u8). */
const ENTRY_BYTES = 18;

/**
 * A task's shadow of its return addresses and interrupt frames. Its depth lives in a handle in the
 * arena (SH) and, while there is room, its arrays too: compiled code (the wasm backend) pushes and
 * checks calls and returns there itself, as onCall and onRet would.
 */
export class ShadowStack {
  addrs!: Float64Array;
  kinds!: Uint8Array;
  /** interrupt vector of FRAME entries */
  vectors!: Uint8Array;
  /** machine time each entry was pushed (invariant 5: was the text it returns to freed or rewritten since?) */
  times!: Float64Array;
  /** Byte offset of the handle (SH) in the arena; 0 when the arena had no room (depth is then a field). */
  readonly handle: number;
  private readonly h32: Int32Array | null;
  private block: MovableBlock | null = null;
  private d = 0;

  constructor() {
    this.handle = allocOwnedBlock(this, SH.SIZE);
    this.h32 = this.handle === 0 ? null : new Int32Array(arena.buffer, this.handle, SH.SIZE >> 2);
    this.setArrays(256);
  }

  get depth(): number { return this.h32 !== null ? this.h32[SH.DEPTH >> 2] : this.d; }
  set depth(v: number) { if (this.h32 !== null) this.h32[SH.DEPTH >> 2] = v; else this.d = v; }

  /** Arrays of `cap` entries keeping the current ones: in the arena when there is room (the handle names them), else plain (the handle's CAP is 0). */
  private setArrays(cap: number): void {
    const old = this.addrs === undefined ? null : { a: this.addrs, k: this.kinds, v: this.vectors, t: this.times };
    let off = -1, freed = 0;
    if (this.h32 !== null) {
      if (this.block === null) {
        const b = allocMovable(this, cap * ENTRY_BYTES);
        if (b !== null) { this.block = b; off = b.off; }
      } else {
        off = arena.alloc(cap * ENTRY_BYTES);
        if (off >= 0) { freed = this.block.off; this.block.off = off; }
      }
    }
    if (off > 0) {
      const buf = arena.buffer;
      this.addrs = new Float64Array(buf, off, cap);
      this.times = new Float64Array(buf, off + 8 * cap, cap);
      this.kinds = new Uint8Array(buf, off + 16 * cap, cap);
      this.vectors = new Uint8Array(buf, off + 17 * cap, cap);
      const h = this.h32!;
      h[SH.CAP >> 2] = cap; h[SH.ADDRS >> 2] = off; h[SH.TIMES >> 2] = off + 8 * cap; h[SH.KINDS >> 2] = off + 16 * cap; h[SH.VECTORS >> 2] = off + 17 * cap;
    } else {
      this.addrs = new Float64Array(cap); this.times = new Float64Array(cap); this.kinds = new Uint8Array(cap); this.vectors = new Uint8Array(cap);
      if (this.h32 !== null) this.h32[SH.CAP >> 2] = 0;
    }
    if (old !== null) {
      const n = Math.min(old.a.length, cap);
      this.addrs.set(old.a.subarray(0, n)); this.kinds.set(old.k.subarray(0, n)); this.vectors.set(old.v.subarray(0, n)); this.times.set(old.t.subarray(0, n));
    }
    if (freed > 0) arena.free(freed);
  }

  push(addr: number, kind: number, vector = 0, time = 0): void {
    const depth = this.depth;
    if (depth === this.addrs.length) this.setArrays(depth * 2);
    this.addrs[depth] = addr;
    this.kinds[depth] = kind;
    this.vectors[depth] = vector;
    this.times[depth] = time;
    this.depth = depth + 1;
  }

  pushCall(addr: number, time = 0): void { this.push(addr, CALL, 0, time); }

  save(): { addrs: Float64Array; kinds: Uint8Array; vectors: Uint8Array; times: Float64Array } {
    const n = this.depth;
    return { addrs: this.addrs.slice(0, n), kinds: this.kinds.slice(0, n), vectors: this.vectors.slice(0, n), times: this.times.slice(0, n) };
  }

  restore(s: { addrs: Float64Array; kinds: Uint8Array; vectors: Uint8Array; times: Float64Array }): void {
    let cap = this.addrs.length;
    while (cap < s.addrs.length) cap *= 2;
    if (cap !== this.addrs.length) this.setArrays(cap);
    this.addrs.set(s.addrs); this.kinds.set(s.kinds); this.vectors.set(s.vectors); this.times.set(s.times);
    this.depth = s.addrs.length;
  }
  pushFrame(addr: number, vector = 0, time = 0): void { this.push(addr, FRAME, vector, time); }

  /** Move entries [from, depth) up by one (an entry is inserted at `from`). */
  shiftUp(from: number): void {
    this.push(0, 0);
    for (let k = this.depth - 1; k > from; k--) {
      this.addrs[k] = this.addrs[k - 1]; this.kinds[k] = this.kinds[k - 1]; this.vectors[k] = this.vectors[k - 1]; this.times[k] = this.times[k - 1];
    }
  }

  /** Remove entry `at`, moving the ones above it down. */
  remove(at: number): void {
    for (let k = at; k < this.depth - 1; k++) {
      this.addrs[k] = this.addrs[k + 1]; this.kinds[k] = this.kinds[k + 1]; this.vectors[k] = this.vectors[k + 1]; this.times[k] = this.times[k + 1];
    }
    this.depth--;
  }
}

/** What FlowIntegrity needs besides the CPUs' events. */
export interface FlowOptions {
  /** Frees and rewrites of text (invariant 5); null: not checked. */
  lifetimes?: TextLifetimes | null;
  /** Machine time for entries pushed by host code (int3 emulation, the kernel's task setup). */
  clock?: { now: number };
  /** Who runs on a CPU (the kernel's current task), for reports. */
  who?: (cpu: number) => string;
}

/**
 * Checks that every ret returns where its call came from and every iret to where the interrupt
 * struck. The kernel points `shadows[cpu]` at the running task's shadow on every context switch.
 * Blessed redirections (graph return hook, int3 call emulation, livepatch) update the shadow
 * through `emulateCall` / `redirectReturn`.
 */
export class FlowIntegrity implements FlowMonitor {
  readonly shadows: ShadowStack[];
  /** The cell (FC) compiled code counts its checked rets in and reads the text events' bounds from; 0 when the arena had no room. */
  readonly compiledCell: number;
  private readonly cellChecks: Int32Array | null;
  private readonly cellBounds: Float64Array | null;
  private counted = 0;

  private readonly lifetimes: TextLifetimes | null;
  private readonly clock: { now: number };

  constructor(ncpus: number, private readonly sym: (addr: number) => string, private readonly opts: FlowOptions = {}) {
    this.shadows = Array.from({ length: ncpus }, () => new ShadowStack());
    this.lifetimes = opts.lifetimes ?? null;
    this.clock = opts.clock ?? { now: 0 };
    this.compiledCell = allocOwnedBlock(this, FC.SIZE);
    this.cellChecks = this.compiledCell === 0 ? null : new Int32Array(arena.buffer, this.compiledCell + FC.CHECKS, 1);
    this.cellBounds = this.compiledCell === 0 ? null : new Float64Array(arena.buffer, this.compiledCell + FC.LOW, 2);
  }

  /** Returns and irets checked (by the monitor, and by compiled code in its cell). */
  get checks(): number {
    return this.counted + (this.cellChecks === null ? 0 : this.cellChecks[0]);
  }

  /**
   * Compiled code is about to run on `cpuId`: the handle of the shadow stack it may push and check
   * itself (0: none, every call and ret goes through onCall/onRet), with the bounds of the text events
   * (invariant 5) brought up to date in the cell.
   */
  compiledShadow(cpuId: number): number {
    const f = this.cellBounds;
    if (f === null) return 0;
    const lt = this.lifetimes;
    f[0] = lt === null ? Infinity : lt.low;
    f[1] = lt === null ? -Infinity : lt.high;
    return this.shadows[cpuId].handle;
  }

  onCall(cpu: Cpu, returnTo: number): void {
    this.shadows[cpu.id].pushCall(returnTo, cpu.now());
  }

  /**
   * Invariant 5: the entry at `i` takes the CPU back to `target`; the text there must not have been
   * freed or rewritten since the entry was pushed (the CPU was inside it all along).
   */
  private gone(cpu: Cpu, s: ShadowStack, i: number, target: number, via: string): void {
    const lt = this.lifetimes;
    if (lt === null) return;
    const e: TextEvent | undefined = lt.after(target, s.times[i]);
    if (e === undefined) return;
    const who = this.opts.who?.(cpu.id);
    const inside = s.kinds[i] === CALL ? `called out of it at t<=${s.times[i]} (return address ${hex(target)})` : `was interrupted in it at ${hex(target)} at t=${s.times[i]}`;
    throw new MachineViolation(5, cpu.id, target,
      `CPU ${cpu.id}${who ? ` (${who})` : ''} ${via} back into ${e.label}, ${e.how} while it was inside: it ${inside}; ` +
      `${TextLifetimes.describe(e)}; now t=${cpu.now()}`, new Uint8Array(0));
  }

  onRet(cpu: Cpu, target: number): string | null {
    const s = this.shadows[cpu.id];
    this.counted++;
    if (s.depth === 0) return null; // returning past where tracking began (e.g. out of the boot entry)
    const top = s.depth - 1;
    if (s.kinds[top] !== CALL) {
      return `ret to ${hex(target)} <${this.sym(target)}> while the innermost open frame is an interrupt frame returning to ${hex(s.addrs[top])} <${this.sym(s.addrs[top])}>`;
    }
    if (s.addrs[top] !== target) {
      return `ret to ${hex(target)} <${this.sym(target)}>, but the matching call returns to ${hex(s.addrs[top])} <${this.sym(s.addrs[top])}>`;
    }
    this.gone(cpu, s, top, target, 'returned');
    s.depth = top;
    return null;
  }

  onInterrupt(cpu: Cpu, vector: number, returnTo: number): string | null {
    const s = this.shadows[cpu.id];
    if (vector === NMI) {
      // invariant 7: an NMI never arrives while an NMI handler is still open on this CPU, unless an
      // IRET inside the handler (from an exception it took) unblocked NMIs, as it does on hardware:
      // then the kernel's NMI entry must cope (it latches the NMI and repeats the handler)
      for (let i = s.depth - 1; i >= 0; i--) {
        if (s.kinds[i] === FRAME && s.vectors[i] === NMI) return `NMI delivered at ${hex(returnTo)} <${this.sym(returnTo)}> while the NMI handler entered from ${hex(s.addrs[i])} had not returned (NMIs nested)`;
      }
    }
    s.pushFrame(returnTo, vector, cpu.now());
    return null;
  }

  onIret(cpu: Cpu, target: number): string | null {
    const s = this.shadows[cpu.id];
    this.counted++;
    // unwind calls left open by code that never returns to them (e.g. a task that exited)
    let i = s.depth - 1;
    while (i >= 0 && s.kinds[i] !== FRAME) i--;
    if (i < 0) return `iret to ${hex(target)} <${this.sym(target)}> with no interrupt frame open on this task`;
    if (s.depth - 1 !== i) {
      return `iret to ${hex(target)} <${this.sym(target)}> with ${s.depth - 1 - i} call(s) still open inside the handler (innermost returns to ${hex(s.addrs[s.depth - 1])})`;
    }
    if (s.addrs[i] !== target) {
      return `iret to ${hex(target)} <${this.sym(target)}>, but the interrupt struck at ${hex(s.addrs[i])} <${this.sym(s.addrs[i])}>`;
    }
    this.gone(cpu, s, i, target, 'irets');
    s.depth = i;
    // an IRET out of an exception taken inside an NMI handler unblocks NMIs
    for (let k = i - 1; k >= 0; k--) {
      if (s.kinds[k] === FRAME && s.vectors[k] === NMI) { s.vectors[k] = NMI_UNBLOCKED; break; }
    }
    return null;
  }

  /** A trusted handler changed where the innermost interrupt frame returns to (int3 skip or emulation). */
  redirectFrame(cpuId: number, target: number): void {
    const s = this.shadows[cpuId];
    for (let i = s.depth - 1; i >= 0; i--) {
      if (s.kinds[i] === FRAME) { s.addrs[i] = target; return; }
    }
  }

  /** The int3 handler emulated `call` at a site: the emulated return address is now on the stack. */
  emulateCall(cpuId: number, returnTo: number): void {
    const s = this.shadows[cpuId];
    // the call happens in the interrupted context: below the #BP frame
    let i = s.depth - 1;
    while (i >= 0 && s.kinds[i] !== FRAME) i--;
    if (i < 0) { s.pushCall(returnTo, this.clock.now); return; }
    s.shiftUp(i);
    s.addrs[i] = returnTo; s.kinds[i] = CALL; s.vectors[i] = 0; s.times[i] = this.clock.now;
  }

  /**
   * The int3 handler emulated `ret` at a site (int3_emulate_ret): the interrupted context's innermost
   * open call, the entry just below the #BP frame, returns to `target`. Returns why not, or null.
   */
  emulateRet(cpuId: number, target: number): string | null {
    const s = this.shadows[cpuId];
    this.counted++;
    let i = s.depth - 1;
    while (i >= 0 && s.kinds[i] !== FRAME) i--;
    const c = i - 1;
    if (i < 0) return `emulated ret to ${hex(target)} <${this.sym(target)}> outside any interrupt frame`;
    if (c < 0) return null; // returning past where tracking began, as onRet allows
    if (s.kinds[c] !== CALL) {
      return `emulated ret to ${hex(target)} <${this.sym(target)}> while the interrupted context's innermost open frame is an interrupt frame returning to ${hex(s.addrs[c])}`;
    }
    if (s.addrs[c] !== target) {
      return `emulated ret to ${hex(target)} <${this.sym(target)}>, but the matching call returns to ${hex(s.addrs[c])} <${this.sym(s.addrs[c])}>`;
    }
    s.remove(c);
    return null;
  }

  /**
   * A trusted host handler replaced a return address on the guest stack: the innermost open call of
   * the running task (searching from the top, never across an interrupt frame) that returns to
   * `oldAddr` now returns to `newAddr`. This is how the function-graph tracer's return hook is
   * blessed (invariant 3):
   *
   *   prepare_ftrace_return(ip, parent): the host reads old = *parent, writes *parent =
   *     return_to_handler, then calls redirectReturn(cpu, old, return_to_handler). The traced
   *     function's own `ret` then lands in return_to_handler and checks out. The search from the
   *     top finds the right entry: when the hook runs (from ftrace_caller, entered by the call at
   *     the function's fentry site, or from a host callback), the innermost open call returning to
   *     `old` is the traced function's; the ftrace_caller call above it returns into the function
   *     itself, not to its parent.
   *   If the entry callback declines after the slot was rewritten, writing *parent = old back and
   *     calling redirectReturn(cpu, return_to_handler, old) undoes it.
   *   return_to_handler: ftrace_return_to_handler() gives back the original address. If the guest
   *     stub then continues with `jmp *%rdi` (as x86-64's does), the shadow needs nothing: the
   *     function's ret already popped the entry. If it instead pushes the original and executes
   *     `ret`, call expectReturn(cpu, original) from the host part first, so that ret checks out.
   *
   * Must run on the CPU where the task runs (its shadow is the CPU's current one). Returns false,
   * changing nothing, when no open call returns to `oldAddr`.
   */
  redirectReturn(cpuId: number, oldAddr: number, newAddr: number): boolean {
    const s = this.shadows[cpuId];
    for (let i = s.depth - 1; i >= 0 && s.kinds[i] !== FRAME; i--) {
      if (s.kinds[i] === CALL && s.addrs[i] === oldAddr) { s.addrs[i] = newAddr; return true; }
    }
    return false;
  }

  /**
   * A trusted host handler arranged for the guest to `ret` to `addr` without a call having pushed
   * it (return_to_handler pushing the original return address, then `ret`): the next ret of the
   * running task is expected to go there.
   */
  expectReturn(cpuId: number, addr: number): void {
    this.shadows[cpuId].pushCall(addr, this.clock.now);
  }

  /** The return addresses the running task's shadow expects, innermost first, up to the innermost interrupt frame (tests, reports). */
  openCalls(cpuId: number): number[] {
    const s = this.shadows[cpuId];
    const out: number[] = [];
    for (let i = s.depth - 1; i >= 0 && s.kinds[i] !== FRAME; i--) out.push(s.addrs[i]);
    return out;
  }
}
