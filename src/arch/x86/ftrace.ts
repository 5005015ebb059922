// The x86-64 dynamic ftrace backend: site bytes, checked make_nop/make_call/modify_call, live updates as batches of the patching protocol in force (text_poke_bp by default), the callers' patchable call and jmp, per-ops trampolines freed after RCU-tasks (arch/x86/kernel/ftrace.c).

import type { Cpu } from '../../machine/x86/cpu.js';
import { RAX, RCX, RDI, RDX, RSI, RSP, IF } from '../../machine/x86/cpu.js';
import { R11 } from '../../machine/x86/encoder.js';
import { PERM_X, addrToNum, numToAddr, hex } from '../../machine/memory.js';
import type { HostThread, HostYield } from '../../machine/scheduler.js';
import type { Kernel } from '../../kernel/kernel.js';
import { PtRegs, PT } from '../../kernel/ptregs.js';
import { int3Context, int3EmulateCall, int3EmulateJmp } from '../../kernel/text_patching.js';
import { patchProtocol, DEFAULT_PATCH_PROTOCOL, type PatchProtocol, type PatchSite } from '../../kernel/patch_protocol.js';
import { RcuTasks, type RcuTasksMode, type RcuTasksStats } from '../../kernel/rcu_tasks.js';
import { HC_FTRACE_FUNC, HC_FTRACE_GRAPH_ENTRY, HC_FTRACE_GRAPH_RETURN, HC_FTRACE_LIVE } from '../../kernel/hypercalls.js';
import { NMI_VECTOR } from '../../kernel/layout.js';
import type { Task } from '../../kernel/sched.js';
import {
  EFAULT, EINVAL, EPERM,
  type ArchThread, type BatchFault, type FtraceArch, type FtraceFault, type SiteChange,
} from '../../ftrace/arch.js';
import type { DynFtrace } from '../../ftrace/record.js';
import type { FtraceCore } from '../../ftrace/ftrace.js';
import { checkRecords } from '../../ftrace/check.js';
import { Fgraph, newRetStack, type FgraphEnv, type RetStack } from '../../ftrace/fgraph.js';
import {
  FTRACE_OPS_FL_STUB,
  type FtraceOps, type TraceContextLevel, type TraceCtx, type TraceFunc, type TraceRecursion,
} from '../../ftrace/ops.js';
import { Trampolines, type TrampolinesState } from './ftrace_trampoline.js';
import { buildFtraceCallers, buildFuncStub, buildLiveTaskStub, FUNC_STUB_SIZE, MCOUNT_INSN_SIZE, type FtraceCallersText } from './ftrace_64.js';

/** The 5-byte P6 nop (x86_nops[5], ideal_nops on every CPU we model): one instruction, never two. */
export const X86_NOP5 = Uint8Array.from([0x0f, 0x1f, 0x44, 0x00, 0x00]);
const CALL_INSN_OPCODE = 0xe8;
const JMP32_INSN_OPCODE = 0xe9;

export interface X86FtraceOptions {
  /** MCOUNT_ADDR: __fentry__ in the image. */
  mcountAddr: bigint;
  /** Names of guest addresses, for %pS (the image's symbols plus ours). */
  symbolize: (addr: bigint) => string;
  /** Where the callers and stubs are named (symbols added for disassembly and reports). */
  addSymbols?: (syms: { name: string; value: bigint; size: number }[]) => void;
  /** The live patching protocol, by name (src/kernel/patch_protocol.ts; default text_poke_bp). */
  protocol?: string;
  /** How trampolines are waited for before they are freed (negative controls: 'ipi_only', 'none'). */
  rcuTasks?: RcuTasksMode;
  /** Give each registered ops its own trampoline (default true, as x86 does). */
  trampolines?: boolean;
}

/** What X86Ftrace.save keeps. */
export interface X86FtraceState {
  callTarget: bigint;
  graphTarget: bigint;
  nfuncs: number;
  funcAddrs: Map<TraceFunc, bigint>;
  stubPage: bigint;
  stubUsed: number;
  liveTaskStub: bigint;
  nextLiveCall: number;
  doneLive: number[];
  tramps: TrampolinesState;
  stats: X86FtraceStats;
  graphStats: { entries: number; returns: number; inWindow: number };
  rcu: RcuTasksStats;
}

/** A writer task's live call: its host thread, and where it stands. */
interface LiveCall {
  call: HostThread;
  state: 'ready' | 'running' | 'sleeping' | 'done';
}

/** Counters for tests and benchmarks. */
export interface X86FtraceStats {
  /** Sites written by live batches (nop <-> call, call -> call). */
  sitesPatched: number;
  batches: number;
  /** Calls that reached a TraceFunc stub. */
  funcCalls: number;
  /** Calls that came through a per-ops trampoline (with its ops id). */
  trampolineCalls: number;
  /** Per-ops trampolines created and freed. */
  trampolines: number;
  trampolinesFreed: number;
  /** Times a writer task slept (gave its CPU away) while waiting. */
  sleeps: number;
}

function callBytes(ip: bigint, target: bigint, opcode = CALL_INSN_OPCODE): Uint8Array {
  const out = new Uint8Array(5);
  out[0] = opcode;
  new DataView(out.buffer).setInt32(1, Number(BigInt.asIntN(64, target - (ip + 5n))), true);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class X86Ftrace implements FtraceArch {
  readonly mcountInsnSize = MCOUNT_INSN_SIZE;
  readonly mcountAddr: bigint;
  readonly ftraceCaller: bigint;
  readonly ftraceRegsCaller: bigint;
  readonly callers: FtraceCallersText;
  readonly stats: X86FtraceStats = { sitesPatched: 0, batches: 0, funcCalls: 0, trampolineCalls: 0, trampolines: 0, trampolinesFreed: 0, sleeps: 0 };
  /** The protocol every live batch goes through. */
  protocol: PatchProtocol;
  /** synchronize_rcu_tasks(_rude) before a trampoline is freed. */
  readonly rcu: RcuTasks;
  /** Whether newly registered ops get their own trampoline (off: every site goes through the shared callers). */
  trampolinesEnabled: boolean;
  /** The CPU whose host thread runs the live updates (set by startLive). */
  patchCpu: Cpu;
  /** function_trace_op as the core published it (the callers pass it as the third argument). */
  functionTraceOp: () => FtraceOps | null = () => null;

  private readonly funcs: TraceFunc[] = [];
  private readonly funcAddrs = new Map<TraceFunc, bigint>();
  private stubPage = 0n;
  private stubUsed = 0;
  private readonly stubPageSize = 4096;
  /** What ftrace_call / ftrace_regs_call / ftrace_graph_call target now. */
  private callTarget: bigint;
  private graphTarget: bigint;
  /** current->trace_recursion, per task. */
  private readonly recursion = new WeakMap<Task, TraceRecursion>();
  private readonly symbolize: (addr: bigint) => string;
  private readonly addSymbols: (syms: { name: string; value: bigint; size: number }[]) => void;

  constructor(readonly kernel: Kernel, opts: X86FtraceOptions) {
    this.mcountAddr = opts.mcountAddr;
    this.symbolize = opts.symbolize;
    this.addSymbols = opts.addSymbols ?? (() => {});
    this.protocol = patchProtocol(opts.protocol ?? DEFAULT_PATCH_PROTOCOL);
    this.rcu = new RcuTasks(kernel, opts.rcuTasks ?? 'full');
    this.trampolinesEnabled = opts.trampolines ?? true;
    this.patchCpu = kernel.cpus[0];
    this.graphWindowDepth = kernel.cpus.map(() => 0);
    const base = kernel.vm.moduleAlloc(4096, 'ftrace callers');
    this.callers = buildFtraceCallers(base);
    kernel.machine.mem.write(base, this.callers.code); // text_poke_early: no CPU runs it yet
    // invariant 5: from now on only the patchable call and jmp (and the ops word) may change under running CPUs
    const c = this.callers;
    kernel.machine.lifetimes.guard(addrToNum(base), c.code.length, 'ftrace callers',
      [[addrToNum(c.ftraceCall), 5], [addrToNum(c.ftraceRegsCall), 5], [addrToNum(c.ftraceGraphCall), 5], [addrToNum(c.functionTraceOpSlot), 8]]);
    this.addSymbols(this.callers.symbols);
    this.tramps = new Trampolines(kernel, this.callers, this.rcu);
    this.ftraceCaller = this.callers.ftraceCaller;
    this.ftraceRegsCaller = this.callers.ftraceRegsCaller;
    this.callTarget = this.callers.ftraceStub;
    this.graphTarget = this.callers.ftraceStub;
    kernel.machine.registerHypercall(HC_FTRACE_FUNC, 'ftrace function', (cpu) => this.onFuncStub(cpu));
    kernel.machine.registerHypercall(HC_FTRACE_GRAPH_ENTRY, 'ftrace graph entry', (cpu) => this.prepareFtraceReturn(cpu));
    kernel.machine.registerHypercall(HC_FTRACE_GRAPH_RETURN, 'ftrace graph return', (cpu) => this.ftraceReturnToHandler(cpu));
  }

  // ---------------------------------------------------------------- bytes

  /** The disabled site: the single-instruction P6 nop, unless the protocol's era used another (two_part_nop). */
  siteBytes(ip: bigint, target: bigint | null): Uint8Array {
    return target === null ? (this.protocol.siteNop ?? X86_NOP5).slice() : callBytes(ip, target);
  }

  readSite(ip: bigint): Uint8Array | null {
    try {
      return this.kernel.machine.mem.read(ip, MCOUNT_INSN_SIZE);
    } catch {
      return null;
    }
  }

  /** ftrace_verify_code: the site holds exactly `want`. */
  private verify(ip: bigint, want: Uint8Array): FtraceFault | null {
    const cur = this.readSite(ip);
    if (cur === null) return { err: -EFAULT };
    if (!sameBytes(cur, want)) return { err: -EINVAL, expected: want };
    return null;
  }

  /**
   * text_poke_early: write text no CPU executes, then check it stuck. The machine learns the call site
   * there (its contents before and after, with their instruction boundaries), as a live write tells it.
   */
  private writeEarly(ip: bigint, bytes: Uint8Array): FtraceFault | null {
    try {
      const r = this.kernel.machine.mem.find(addrToNum(ip), bytes.length);
      if (r === undefined || !(r.perm & PERM_X)) return { err: -EPERM };
      const fm = this.kernel.machine.fetchModel;
      const off = addrToNum(ip) - r.start;
      fm?.beforeWrite(r, off, bytes, { off, len: bytes.length });
      this.kernel.machine.mem.write(ip, bytes);
      fm?.afterWrite(r, off, bytes.length);
    } catch {
      return { err: -EPERM };
    }
    const back = this.readSite(ip);
    return back !== null && sameBytes(back, bytes) ? null : { err: -EPERM };
  }

  private modifyEarly(ip: bigint, from: bigint | null, to: bigint | null): FtraceFault | null {
    return this.verify(ip, this.siteBytes(ip, from)) ?? this.writeEarly(ip, this.siteBytes(ip, to));
  }

  ftraceMakeNop(_mod: string | null, rec: DynFtrace, addr: bigint): FtraceFault | null {
    return this.modifyEarly(rec.ip, addr, null);
  }

  ftraceMakeCall(rec: DynFtrace, addr: bigint): FtraceFault | null {
    return this.modifyEarly(rec.ip, null, addr);
  }

  ftraceModifyCall(rec: DynFtrace, oldAddr: bigint, addr: bigint): FtraceFault | null {
    return this.modifyEarly(rec.ip, oldAddr, addr);
  }

  // ---------------------------------------------------------------- live patching

  /** The #BP emulation of what a site becomes: `call target`, `jmp target`, or the nop (null). */
  private emulator(addr: bigint, to: bigint | null, opcode = CALL_INSN_OPCODE): PatchSite['emulate'] {
    const k = this.kernel;
    const after = addr + BigInt(MCOUNT_INSN_SIZE);
    if (to === null) return (cpu, regs) => int3EmulateJmp(regs, after, int3Context(k, cpu));
    if (opcode === JMP32_INSN_OPCODE) return (cpu, regs) => int3EmulateJmp(regs, to, int3Context(k, cpu));
    return (cpu, regs) => int3EmulateCall(regs, to, int3Context(k, cpu));
  }

  /** One batch of the protocol in force over 5-byte instructions, sorted by address; returns the first that did not stick. */
  private *pokeBatch(sites: PatchSite[]): Generator<HostYield, number, void> {
    const sorted = [...sites].sort((x, y) => (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : 0));
    this.stats.batches++;
    yield* this.protocol.apply(this.kernel, this.patchCpu, sorted);
    for (let i = 0; i < sorted.length; i++) {
      const back = this.readSite(sorted[i].addr);
      if (back === null || !sameBytes(back, sorted[i].bytes)) return i;
    }
    this.stats.sitesPatched += sorted.length;
    return -1;
  }

  *replaceCode(changes: readonly SiteChange[]): ArchThread<BatchFault | null> {
    for (const c of changes) {
      const f = this.verify(c.rec.ip, this.siteBytes(c.rec.ip, c.from));
      if (f) return { ...f, rec: c.rec, written: [] };
    }
    const sorted = [...changes].sort((x, y) => (x.rec.ip < y.rec.ip ? -1 : x.rec.ip > y.rec.ip ? 1 : 0));
    const bad = yield* this.pokeBatch(sorted.map((c) => ({
      addr: c.rec.ip, old: this.siteBytes(c.rec.ip, c.from), bytes: this.siteBytes(c.rec.ip, c.to), emulate: this.emulator(c.rec.ip, c.to),
    })));
    if (bad >= 0) return { err: -EPERM, rec: sorted[bad].rec, written: sorted.slice(0, bad) };
    return null;
  }

  /** Move a patchable call/jmp inside the callers from `from` to `to`, checking first. */
  private *retarget(addrs: bigint[], from: bigint, to: bigint, opcode: number): Generator<HostYield, number, void> {
    if (from === to) return 0;
    for (const a of addrs) {
      const cur = this.readSite(a);
      if (cur === null) return -EFAULT;
      if (!sameBytes(cur, callBytes(a, from, opcode))) return -EINVAL;
    }
    const bad = yield* this.pokeBatch(addrs.map((a) => ({
      addr: a, old: callBytes(a, from, opcode), bytes: callBytes(a, to, opcode), emulate: this.emulator(a, to, opcode),
    })));
    return bad >= 0 ? -EPERM : 0;
  }

  *ftraceUpdateFtraceFunc(func: TraceFunc): ArchThread<number> {
    const to = this.funcAddr(func);
    const err = yield* this.retarget([this.callers.ftraceCall, this.callers.ftraceRegsCall], this.callTarget, to, CALL_INSN_OPCODE);
    if (!err) this.callTarget = to;
    return err;
  }

  *ftraceEnableGraphCaller(): ArchThread<number> {
    const err = yield* this.retarget([this.callers.ftraceGraphCall], this.graphTarget, this.callers.ftraceGraphCaller, JMP32_INSN_OPCODE);
    if (!err) this.graphTarget = this.callers.ftraceGraphCaller;
    return err;
  }

  *ftraceDisableGraphCaller(): ArchThread<number> {
    const err = yield* this.retarget([this.callers.ftraceGraphCall], this.graphTarget, this.callers.ftraceStub, JMP32_INSN_OPCODE);
    if (!err) this.graphTarget = this.callers.ftraceStub;
    return err;
  }

  ftraceSyncIpi(): HostThread {
    return this.kernel.syncCoreAll(this.patchCpu);
  }

  /**
   * synchronize_rcu_tasks_rude + synchronize_rcu_tasks: wait until no task can be inside a trampoline
   * whose ops is no longer registered (the ones about to be freed). A writer task sleeps meanwhile.
   */
  synchronizeRcuTasks(): HostThread {
    return this.rcu.synchronize(this.patchCpu, (a) => this.tramps.retiringAt(a), () => this.requestSleep());
  }

  // ---------------------------------------------------------------- per-ops trampolines

  /** The live per-ops trampolines (ftrace_trampoline.ts). */
  readonly tramps: Trampolines;

  /** The trampolines alive now (tests, reports). */
  trampolines(): readonly { ops: FtraceOps; addr: bigint; size: number }[] {
    return this.tramps.list();
  }

  /** Trampolines freed while some task still had a context inside (invariant 5; only a broken wait leaves any). */
  get freedInUse(): readonly { ops: string; addr: bigint; tasks: string[] }[] {
    return this.tramps.freedInUse;
  }

  /**
   * arch_ftrace_update_trampoline: give the ops its own copy of the caller (the regs caller for a
   * SAVE_REGS ops) calling `func` (ftrace_ops_get_func(ops)) directly. The graph tracer's stub ops
   * keeps the shared caller (in the kernel its fixed trampoline is ftrace_graph_caller).
   */
  ftraceUpdateTrampoline(ops: FtraceOps, func: TraceFunc): void {
    if (!this.trampolinesEnabled || ops.has(FTRACE_OPS_FL_STUB)) return;
    if (this.tramps.update(ops, this.funcAddr(func))) this.stats.trampolines++;
  }

  /** Where a trampoline's call goes now. */
  trampolineCallTarget(t: { addr: bigint }): bigint {
    return this.tramps.callTarget(t.addr);
  }

  /** arch_ftrace_trampoline_free: unmap it (a CPU that still runs there takes a #PF on fetch). */
  ftraceTrampolineFree(ops: FtraceOps): void {
    if (this.tramps.free(ops)) this.stats.trampolinesFreed++;
  }

  // ---------------------------------------------------------------- writer tasks

  /** Set while a writer task's live call steps: it may sleep (give its CPU to other tasks). */
  private sleepOk = false;
  private sleepRequested = false;

  /** A wait asks to sleep before its next step; honoured only in a writer task. */
  private requestSleep(): boolean {
    if (this.sleepOk) this.sleepRequested = true;
    return this.sleepOk;
  }

  /**
   * One stay of a writer task's live call on its CPU, until it is done or sleeps. It leaves its
   * outcome in the call's state, not in registers: when it ends, the CPU may be inside an NMI handler
   * (an int3 in the handler irets, which unblocks NMIs and lets the host thread step), so the task
   * asks for the outcome with its next vmcall, from its own context.
   */
  private *liveSlice(cpu: Cpu, live: LiveCall): HostThread {
    for (;;) {
      this.patchCpu = cpu;
      this.sleepOk = true;
      let r: IteratorResult<HostYield, void>;
      try {
        r = live.call.next();
      } finally {
        this.sleepOk = false;
      }
      if (r.done === true) {
        live.state = 'done';
        return;
      }
      if (this.sleepRequested) {
        this.sleepRequested = false;
        this.stats.sleeps++;
        live.state = 'sleeping';
        return;
      }
      yield r.value;
    }
  }

  /**
   * Run a live ftrace call from a task, as the kernel does (a write to tracefs runs in the writer's
   * task, holding no spinlock): spawn a kernel task on `cpu` whose first instruction enters the host,
   * which runs the call as a host thread there while the task's guest context waits at a point that
   * holds no lock; when the call is done the task exits. Returns the task's pid.
   */
  startLiveTask<T>(cpu: number, call: Generator<HostYield, T, void>, done?: (result: T) => void): number {
    if (this.liveTaskStub === 0n) {
      this.liveTaskStub = this.kernel.vm.moduleAlloc(64, 'ftrace writer task');
      const code = buildLiveTaskStub(this.liveTaskStub);
      this.kernel.machine.mem.write(this.liveTaskStub, code);
      this.addSymbols([{ name: 'ftrace_writer', value: this.liveTaskStub, size: code.length }]);
    }
    if (!this.liveHypercall) {
      this.liveHypercall = true;
      this.kernel.machine.registerHypercall(HC_FTRACE_LIVE, 'ftrace live update', (c) => {
        // rax = 1: call again (a stay on the CPU has begun, or just ended); 2: sleep first, then call again; 0: done
        const id = Number(c.getReg(RDI));
        const live = this.liveCalls.get(id);
        if (live === undefined) throw new Error(`ftrace: no live call ${id}`);
        if (live.state === 'done') {
          this.liveCalls.delete(id);
          c.setReg(RAX, 0n);
        } else if (live.state === 'sleeping') {
          live.state = 'ready';
          c.setReg(RAX, 2n);
        } else if (live.state === 'ready') {
          live.state = 'running';
          this.patchCpu = c;
          this.kernel.startHostThread(c.id, this.liveSlice(c, live));
          c.setReg(RAX, 1n);
          c.interruptSlice(); // the task's guest context waits right after the vmcall
        } else {
          throw new Error(`ftrace: live call ${id} entered again while it runs`);
        }
      });
    }
    const id = this.nextLiveCall++;
    this.liveCalls.set(id, {
      state: 'ready',
      call: (function* (): HostThread {
        const r = yield* call;
        done?.(r);
      })(),
    });
    return this.kernel.spawn(this.liveTaskStub, BigInt(id), cpu, 'ftrace').pid;
  }

  private liveTaskStub = 0n;
  private liveHypercall = false;
  private readonly liveCalls = new Map<number, LiveCall>();
  private nextLiveCall = 0;

  /** Run a live ftrace call (register, unregister, set_filter...) as a host thread on `cpu`, at whatever point its guest context is (boot, tests). */
  startLive<T>(cpu: number, call: Generator<HostYield, T, void>, done?: (result: T) => void): void {
    this.patchCpu = this.kernel.cpus[cpu];
    const self = this;
    this.kernel.startHostThread(cpu, (function* (): HostThread {
      self.patchCpu = self.kernel.cpus[cpu];
      const r = yield* call;
      done?.(r);
    })());
  }

  // ---------------------------------------------------------------- callbacks from the guest

  funcAddr(func: TraceFunc): bigint {
    const known = this.funcAddrs.get(func);
    if (known !== undefined) return known;
    let addr: bigint;
    if (func.name === 'ftrace_stub') {
      addr = this.callers.ftraceStub; // calls nothing: a bare ret
    } else {
      if (this.stubPage === 0n || this.stubUsed + FUNC_STUB_SIZE > this.stubPageSize) {
        this.stubPage = this.kernel.vm.moduleAlloc(this.stubPageSize, 'ftrace func stubs');
        this.stubUsed = 0;
      }
      addr = this.stubPage + BigInt(this.stubUsed);
      this.stubUsed += FUNC_STUB_SIZE;
      const code = buildFuncStub(addr, this.funcs.length);
      this.kernel.machine.mem.write(addr, code); // new text: no CPU can be executing it
      this.funcs.push(func);
      this.addSymbols([{ name: func.name, value: addr, size: code.length }]);
    }
    this.funcAddrs.set(func, addr);
    return addr;
  }

  formatSym(addr: bigint): string {
    // kallsyms does not cover ftrace trampolines: %pS prints their bare address
    if (this.tramps.at(addr) !== undefined) return `0x${BigInt.asUintN(64, addr).toString(16)}`;
    const s = this.symbolize(addr);
    return s.startsWith('0x') ? `0x${BigInt.asUintN(64, addr).toString(16)}` : s;
  }

  /** The context a traced call runs in, from the running task's open interrupt frames (the flow monitor's shadow). */
  contextOf(cpu: Cpu): TraceContextLevel {
    const s = this.kernel.sched.current[cpu.id].shadow;
    let level: TraceContextLevel = 'normal';
    for (let i = s.depth - 1; i >= 0; i--) {
      if (s.kinds[i] !== 1) continue; // FRAME
      if (s.vectors[i] === NMI_VECTOR) return 'nmi';
      if (s.vectors[i] !== 3) level = 'irq';
    }
    return level;
  }

  /** Whether interrupts are off in the traced context. */
  irqsOff(cpu: Cpu): boolean {
    return (cpu.getFlags() & IF) === 0;
  }

  private recursionOf(task: Task): TraceRecursion {
    let r = this.recursion.get(task);
    if (r === undefined) {
      r = { bits: 0 };
      this.recursion.set(task, r);
    }
    return r;
  }

  /** HC_FTRACE_FUNC: a caller's patchable call reached the stub of TraceFunc r11. */
  private onFuncStub(cpu: Cpu): void {
    const func = this.funcs[Number(cpu.getReg(R11))];
    if (func === undefined) throw new Error(`ftrace: no TraceFunc behind stub ${cpu.getReg(R11)}`);
    this.stats.funcCalls++;
    const ip = cpu.getReg(RDI);
    const parentIp = cpu.getReg(RSI);
    const regsAddr = cpu.getReg(RCX);
    const mem = this.kernel.machine.mem;
    const full = mem.readU64(regsAddr + BigInt(PT.cs)) !== 0n;
    const regs = full ? new PtRegs(mem, regsAddr) : null;
    const ipBefore = regs?.ip ?? 0n;
    // rdx: 0 from the shared callers (function_trace_op is the host's), a trampoline's ops id otherwise
    const opsId = cpu.getReg(RDX);
    let op: FtraceOps | null;
    if (opsId === 0n) {
      op = this.functionTraceOp();
    } else {
      op = this.tramps.opsOf(opsId);
      this.stats.trampolineCalls++;
    }
    if (op === null) return;
    const ctx: TraceCtx = { recursion: this.recursionOf(this.kernel.sched.current[cpu.id]), context: this.contextOf(cpu) };
    this.asCurrent(cpu, () => func.call(ip, parentIp, op, regs, ctx));
    if (regs !== null && regs.ip !== ipBefore) {
      // the regs caller will return to the new ip: a blessed redirection of its return (invariant 3)
      this.kernel.flow?.redirectReturn(cpu.id, addrToNum(ipBefore), addrToNum(regs.ip));
    }
  }

  // ---------------------------------------------------------------- the function-return tracer

  private fgraphCore: Fgraph | null = null;

  /** The function-return tracer's core over this backend (one per machine: its return stacks are a task slot). */
  fgraph(core: FtraceCore): Fgraph {
    if (this.fgraphCore === null) {
      const g = new Fgraph(core, this.kernel.sched.slots.register<RetStack>('ret_stack', newRetStack));
      this.fgraphCore = g;
      g.returnHandler = addrToNum(this.callers.returnToHandler);
      // ftrace_graph_probe_sched_switch (registered with the first graph user; it returns at once unless sleep-time is off)
      const k = this.kernel;
      k.sched.slots.addHooks({
        switchTo: (prev, next) => {
          if (g.sleepTime || g.users === 0) return;
          const cpu = k.sched.current.indexOf(next);
          if (cpu < 0) return;
          g.schedSwitch(k.sched.slots.get(prev, g.key), k.sched.slots.get(next, g.key), k.cpus[cpu].now());
        },
      });
    }
    return this.fgraphCore;
  }

  private fgraphEnv(cpu: Cpu): FgraphEnv {
    const k = this.kernel;
    const g = this.fgraphCore!;
    return { retStack: () => k.sched.slots.get(k.sched.current[cpu.id], g.key), now: () => cpu.now() };
  }

  /** Negative control: replace return addresses without telling the flow monitor (invariant 3 must fire). */
  graphHidesRedirect = false;

  /** Calls that reached ftrace_graph_caller / return_to_handler. */
  readonly graphStats = { entries: 0, returns: 0, inWindow: 0 };
  /** Push the return stack entry as a host step with an interrupt window (false: one atomic step). */
  graphPushWindow = true;
  /** Negative control: in the window, fill the slot first and reserve it after (an NMI there clobbers it). */
  graphFillFirst = false;
  /** Per CPU: pushes whose slot is reserved and not yet filled. */
  private readonly graphWindowDepth: number[] = [];

  /**
   * HC_FTRACE_GRAPH_ENTRY from ftrace_graph_caller: prepare_ftrace_return(self_addr = rdi, parent = rsi).
   * When the tracer takes the call, the parent's return address slot is replaced with
   * return_to_handler, and the flow monitor is told (a blessed redirection, invariant 3).
   */
  private prepareFtraceReturn(cpu: Cpu): void {
    this.graphStats.entries++;
    const g = this.fgraphCore;
    if (g === null) return;
    const selfAddr = addrToNum(cpu.getReg(RDI));
    const parent = cpu.getReg(RSI);
    const old = addrToNum(this.kernel.machine.mem.readU64(parent));
    const env = this.fgraphEnv(cpu);
    if (this.graphWindowDepth[cpu.id] > 0) this.graphStats.inWindow++;
    if (!this.graphPushWindow || cpu.nmiBlocked || this.kernel.hostThreadRunning(cpu.id)) {
      // atomic: in NMI context (a host thread cannot step until the NMI handler returns), e.g. an NMI
      // that struck in another push's window or on a CPU whose host thread (a live update) is frozen
      if (this.asCurrent(cpu, () => g.enter(env, selfAddr, old))) this.hookReturn(cpu, parent, old);
      return;
    }
    if (this.graphFillFirst) {
      // negative control: fill the slot, leave the window, then reserve it
      const filled = g.fillUnreserved(env, selfAddr, old);
      if (filled === null) return;
      this.afterWindow(cpu, parent, old, () => g.reserveFilled(env, filled));
      return;
    }
    // the push as a host step: reserve the slot, leave a window where an NMI may be delivered on
    // this CPU (its traced functions push and pop above the reserved slot), then fill it
    const index = g.reserve(env);
    if (index < 0) return;
    this.afterWindow(cpu, parent, old, () => g.fill(env, index, selfAddr, old));
  }

  /**
   * Finish a return-stack push as a host step on `cpu`, after one step in which an NMI may strike;
   * `complete` says whether the return is to be hooked. The guest context stays frozen after the
   * vmcall until the push is done.
   */
  private afterWindow(cpu: Cpu, parent: bigint, old: number, complete: () => boolean): void {
    this.graphWindowDepth[cpu.id]++;
    const self = this;
    this.kernel.startHostThread(cpu.id, (function* (): HostThread {
      yield;
      self.graphWindowDepth[cpu.id]--;
      if (self.asCurrent(cpu, complete)) self.hookReturn(cpu, parent, old);
    })());
    cpu.interruptSlice();
  }

  /** Run `fn` with `cpu` as the CPU whose task the return stack belongs to. */
  private asCurrent<T>(cpu: Cpu, fn: () => T): T {
    this.current = cpu;
    try {
      return fn();
    } finally {
      this.current = null;
    }
  }

  /** Replace the parent's return address slot with return_to_handler and bless it (invariant 3). */
  private hookReturn(cpu: Cpu, parent: bigint, old: number): void {
    const rth = this.callers.returnToHandler;
    this.kernel.machine.mem.writeU64(parent, rth);
    if (!this.graphHidesRedirect) this.kernel.flow?.redirectReturn(cpu.id, old, addrToNum(rth));
  }

  /**
   * HC_FTRACE_GRAPH_RETURN from return_to_handler: ftrace_return_to_handler pops the current task's
   * return stack (the saved rax is at [rsp]) and the stub jumps to the original address, given in rdi.
   * The function's ret already left the flow monitor's entry (redirected to return_to_handler), so
   * the jmp needs nothing more.
   */
  private ftraceReturnToHandler(cpu: Cpu): void {
    this.graphStats.returns++;
    const g = this.fgraphCore;
    if (g === null) throw new Error('ftrace: return_to_handler reached with no function-return tracer');
    const retval = this.kernel.machine.mem.readU64(cpu.getReg(RSP));
    const ret = this.asCurrent(cpu, () => g.returnToHandler(this.fgraphEnv(cpu), Number(BigInt.asIntN(64, retval))));
    cpu.setReg(RDI, numToAddr(ret));
  }

  /** The CPU whose traced call is being handled (callbacks read its clock, task and flags), or null. */
  current: Cpu | null = null;

  // ---------------------------------------------------------------- snapshots

  /**
   * The backend's host state at a quiescent point: what the callers' call and jmp target, the
   * function stubs made so far, the trampolines, the writer tasks' finished calls, the counters.
   * A writer task that sleeps mid-call cannot be saved (its call is a host generator): refused.
   */
  save(): X86FtraceState {
    const live: number[] = [];
    for (const [id, l] of this.liveCalls) {
      if (l.state !== 'done') throw new Error(`cannot snapshot: ftrace live call ${id} is ${l.state === 'running' ? 'running' : 'waiting in its task'}`);
      live.push(id);
    }
    return {
      callTarget: this.callTarget, graphTarget: this.graphTarget, nfuncs: this.funcs.length, funcAddrs: new Map(this.funcAddrs),
      stubPage: this.stubPage, stubUsed: this.stubUsed, liveTaskStub: this.liveTaskStub, nextLiveCall: this.nextLiveCall, doneLive: live,
      tramps: this.tramps.save(), stats: { ...this.stats }, graphStats: { ...this.graphStats }, rcu: { ...this.rcu.stats },
    };
  }

  restore(s: X86FtraceState): void {
    this.callTarget = s.callTarget;
    this.graphTarget = s.graphTarget;
    this.funcs.length = s.nfuncs;
    this.funcAddrs.clear();
    for (const [f, a] of s.funcAddrs) this.funcAddrs.set(f, a);
    this.stubPage = s.stubPage;
    this.stubUsed = s.stubUsed;
    this.liveTaskStub = s.liveTaskStub;
    this.nextLiveCall = s.nextLiveCall;
    this.liveCalls.clear();
    const finished = (function* (): HostThread {})();
    for (const id of s.doneLive) this.liveCalls.set(id, { state: 'done', call: finished });
    this.tramps.restore(s.tramps);
    Object.assign(this.stats, s.stats);
    Object.assign(this.graphStats, s.graphStats);
    Object.assign(this.rcu.stats, s.rcu);
    this.graphWindowDepth.fill(0);
    this.sleepOk = this.sleepRequested = false;
  }

  toString(): string {
    return `x86 ftrace: callers at ${hex(this.ftraceCaller)}`;
  }
}

/** Invariant 8 on a live machine: every record's site holds what its flags name (check.ts over this backend). */
export function checkX86Records(core: FtraceCore, arch: X86Ftrace): string[] {
  return checkRecords({
    records: core.allRecords(), ops: core.opsList, readSite: (a) => arch.readSite(a), siteBytes: (a, t) => arch.siteBytes(a, t),
    ftraceCaller: arch.ftraceCaller, ftraceRegsCaller: arch.ftraceRegsCaller, active: !core.disabled,
  }).map((v) => `${v.func}: ${v.what}`);
}
