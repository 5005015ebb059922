// A fake ftrace arch backend for the core's tests: text is a map site -> call target, every call is logged, every write is one observable step.
import type { BatchFault, FtraceArch, FtraceFault, SiteChange, ArchThread } from '../../src/ftrace/arch.js';
import { EINVAL } from '../../src/ftrace/arch.js';
import type { DynFtrace } from '../../src/ftrace/record.js';
import type { FtraceOps, TraceFunc } from '../../src/ftrace/ops.js';

export type FakeEvent =
  | { kind: 'func'; func: string }
  | { kind: 'site'; ip: bigint; to: bigint | null }
  | { kind: 'sync' }
  | { kind: 'graph'; on: boolean }
  | { kind: 'rcu' };

export const NOP5 = [0x0f, 0x1f, 0x44, 0x00, 0x00];

export class FakeArch implements FtraceArch {
  readonly mcountInsnSize = 5;
  readonly mcountAddr = 0xffffffff81f00000n;
  readonly ftraceCaller = 0xffffffff81e00000n;
  readonly ftraceRegsCaller = 0xffffffff81e00100n;
  /** Site -> what its call targets (null: the nop). */
  readonly text = new Map<bigint, bigint | null>();
  /** Sites whose bytes are garbage (what readSite returns instead). */
  readonly garbage = new Map<bigint, Uint8Array>();
  readonly log: FakeEvent[] = [];
  /** What ftrace_call / ftrace_regs_call target. */
  callerFunc: TraceFunc | null = null;
  readonly tramps = new Map<bigint, FtraceOps>();
  /** Ops (by name) that get their own trampoline. */
  readonly trampFor = new Set<string>();
  /** Called after every observable change (a logged event). */
  onStep: (() => void) | null = null;
  /** Write each changed site as nop first, then its new call (a broken protocol, for negative controls). */
  nopFirst = false;
  /** A site whose write does not stick (the batch stops there with -EPERM). */
  failWriteAt: bigint | null = null;
  private nextTramp = 0xffffffffc0000000n;
  private readonly funcAddrs = new Map<TraceFunc, bigint>();
  private nextFunc = 0xffffffff81d00000n;
  private readonly symbols = new Map<bigint, string>();

  constructor(sites: readonly bigint[]) {
    for (const s of sites) this.text.set(s, this.mcountAddr);
    this.symbols.set(this.ftraceCaller, 'ftrace_caller+0x0/0xb0');
    this.symbols.set(this.ftraceRegsCaller, 'ftrace_regs_caller+0x0/0x110');
  }

  private emit(e: FakeEvent): void {
    this.log.push(e);
    this.onStep?.();
  }

  siteBytes(ip: bigint, target: bigint | null): Uint8Array {
    if (target === null) return Uint8Array.from(NOP5);
    const rel = BigInt.asUintN(32, target - (ip + 5n));
    return Uint8Array.from([0xe8, Number(rel & 0xffn), Number((rel >> 8n) & 0xffn), Number((rel >> 16n) & 0xffn), Number((rel >> 24n) & 0xffn)]);
  }

  readSite(ip: bigint): Uint8Array | null {
    const g = this.garbage.get(ip);
    if (g) return g;
    if (!this.text.has(ip)) return null;
    return this.siteBytes(ip, this.text.get(ip)!);
  }

  private verify(ip: bigint, from: bigint | null): FtraceFault | null {
    const cur = this.readSite(ip);
    const want = this.siteBytes(ip, from);
    if (!cur) return { err: -14 };
    if (!cur.every((b, i) => b === want[i])) return { err: -EINVAL, expected: want };
    return null;
  }

  ftraceMakeNop(_mod: string | null, rec: DynFtrace, addr: bigint): FtraceFault | null {
    const f = this.verify(rec.ip, addr);
    if (f) return f;
    this.text.set(rec.ip, null);
    return null;
  }

  ftraceMakeCall(rec: DynFtrace, addr: bigint): FtraceFault | null {
    const f = this.verify(rec.ip, null);
    if (f) return f;
    this.text.set(rec.ip, addr);
    this.emit({ kind: 'site', ip: rec.ip, to: addr });
    return null;
  }

  ftraceModifyCall(rec: DynFtrace, oldAddr: bigint, addr: bigint): FtraceFault | null {
    const f = this.verify(rec.ip, oldAddr);
    if (f) return f;
    this.text.set(rec.ip, addr);
    this.emit({ kind: 'site', ip: rec.ip, to: addr });
    return null;
  }

  *replaceCode(changes: readonly SiteChange[]): ArchThread<BatchFault | null> {
    for (const c of changes) {
      const f = this.verify(c.rec.ip, c.from);
      if (f) return { ...f, rec: c.rec, written: [] };
    }
    const written: SiteChange[] = [];
    for (const c of changes) {
      if (c.rec.ip === this.failWriteAt) return { err: -1, rec: c.rec, written };
      if (this.nopFirst && c.from !== null && c.to !== null) {
        this.text.set(c.rec.ip, null);
        this.emit({ kind: 'site', ip: c.rec.ip, to: null });
        yield;
      }
      this.text.set(c.rec.ip, c.to);
      this.emit({ kind: 'site', ip: c.rec.ip, to: c.to });
      written.push(c);
      yield;
    }
    return null;
  }

  *ftraceUpdateFtraceFunc(func: TraceFunc): ArchThread<number> {
    this.callerFunc = func;
    this.emit({ kind: 'func', func: func.name });
    yield;
    return 0;
  }

  *ftraceEnableGraphCaller(): ArchThread<number> {
    this.emit({ kind: 'graph', on: true });
    yield;
    return 0;
  }

  *ftraceDisableGraphCaller(): ArchThread<number> {
    this.emit({ kind: 'graph', on: false });
    yield;
    return 0;
  }

  *ftraceSyncIpi(): Generator<void, void, void> {
    this.emit({ kind: 'sync' });
    yield;
  }

  *synchronizeRcuTasks(): Generator<void, void, void> {
    this.emit({ kind: 'rcu' });
    yield;
  }

  ftraceUpdateTrampoline(ops: FtraceOps): void {
    if (ops.trampoline !== 0n || !this.trampFor.has(ops.name)) return;
    ops.trampoline = this.nextTramp;
    ops.trampolineSize = 0x100;
    this.tramps.set(ops.trampoline, ops);
    this.nextTramp += 0x1000n;
  }

  ftraceTrampolineFree(ops: FtraceOps): void {
    if (ops.trampoline === 0n) return;
    this.tramps.delete(ops.trampoline);
    ops.trampoline = 0n;
  }

  funcAddr(func: TraceFunc): bigint {
    let a = this.funcAddrs.get(func);
    if (a === undefined) {
      a = this.nextFunc;
      this.nextFunc += 0x200n;
      this.funcAddrs.set(func, a);
      this.symbols.set(a, `${func.name}+0x0/0x170`);
    }
    return a;
  }

  formatSym(addr: bigint): string {
    return this.symbols.get(addr) ?? `0x${addr.toString(16)}`;
  }
}
