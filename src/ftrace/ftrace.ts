// The generic dynamic-ftrace core: records, ops registration and filters, the dispatch functions, the update engine and ftrace_bug (kernel/trace/ftrace.c).

import {
  EBUSY, EINVAL, ENODEV, ENOENT,
  type BatchFault, type FtraceArch, type SiteChange,
} from './arch.js';
import {
  DynFtrace, RecordGroup, RecordTable, type FtraceSymbol, type SymbolResolver,
  FTRACE_FL_DIRECT, FTRACE_FL_DIRECT_EN, FTRACE_FL_DISABLED, FTRACE_FL_ENABLED,
  FTRACE_FL_IPMODIFY, FTRACE_FL_MODIFIED, FTRACE_FL_REGS, FTRACE_FL_REGS_EN, FTRACE_FL_TOUCHED,
  FTRACE_FL_TRAMP, FTRACE_FL_TRAMP_EN, FTRACE_NOCLEAR_FLAGS, FTRACE_REF_MAX,
} from './record.js';
import {
  FtraceOps, ftraceOpsTest, hashContainsIp, traceClearRecursion, traceTestAndSetRecursion,
  FTRACE_OPS_FL_ADDING, FTRACE_OPS_FL_DELETED, FTRACE_OPS_FL_DIRECT, FTRACE_OPS_FL_DYNAMIC,
  FTRACE_OPS_FL_ENABLED, FTRACE_OPS_FL_INITIALIZED, FTRACE_OPS_FL_IPMODIFY, FTRACE_OPS_FL_MODIFYING,
  FTRACE_OPS_FL_PERMANENT, FTRACE_OPS_FL_RCU, FTRACE_OPS_FL_RECURSION, FTRACE_OPS_FL_REMOVING,
  FTRACE_OPS_FL_SAVE_REGS, FTRACE_OPS_FL_SAVE_REGS_IF_SUPPORTED, FTRACE_OPS_FL_STUB,
  TRACE_FTRACE_START, TRACE_LIST_START,
  type FtraceCallback, type FtraceHash, type TraceFunc,
} from './ops.js';
import { WAIT, type HostYield } from '../machine/scheduler.js';
import { matchRecords } from './filter.js';
import { errnoName, formatFtraceBug, type BugType } from './bug.js';
export type { BugType } from './bug.js';

/** Commands of ftrace_run_update_code. */
export const FTRACE_UPDATE_CALLS = 1 << 0;
export const FTRACE_DISABLE_CALLS = 1 << 1;
export const FTRACE_UPDATE_TRACE_FUNC = 1 << 2;
export const FTRACE_START_FUNC_RET = 1 << 3;
export const FTRACE_STOP_FUNC_RET = 1 << 4;

/** ftrace_check_record's verdict for one site. */
export type UpdateKind = 'ignore' | 'make_call' | 'make_nop' | 'modify_call';
/** A result of a generator-shaped kernel call that may sleep (take the lock, patch live text). */
export type FtraceCall<T> = Generator<HostYield, T, void>;

export interface FtraceCoreOptions {
  /** Where printk lines go (the ftrace bug report); each call is one complete text ending in "\n". */
  console?: (text: string) => void;
}

export class FtraceCore {
  readonly records = new RecordTable();
  /** ftrace_ops_list, newest first; replaced (never mutated) so a walk sees one consistent list. */
  opsList: readonly FtraceOps[] = [];
  /** ftrace_disabled: set by ftrace_kill after a bug; every later update is refused with -ENODEV. */
  disabled = false;
  /** Why ftrace is disabled, for a caller's message. */
  disabledReason: string | null = null;
  /** ftrace_enabled (the sysctl); cleared by ftrace_kill. */
  ftraceEnabled = true;
  /** ftrace_start_up: registered ops that want calls. */
  startUp = 0;
  /** Set while ftrace_run_update_code runs: sites and callers may disagree with the records (invariant 8 waits). */
  inPatchWindow = false;
  /** Whether the graph jmp in the callers is enabled. */
  graphCallerEnabled = false;
  /** ftrace_update_tot_cnt: records converted so far, for dyn_ftrace_total_info. */
  updateTotCnt = 0;
  /** Calls dropped by the recursion protection (recursed_functions), most recent last. */
  readonly recursionMisses: { ip: bigint; parentIp: bigint }[] = [];
  /** Every ftrace bug report printed. */
  readonly bugReports: string[] = [];

  /** ftrace_list_end: the stub ops, what function_trace_op is when the list function is in use. */
  readonly listEnd: FtraceOps;
  readonly ftraceStub: TraceFunc;
  /** ftrace_ops_list_func: walk every registered ops whose hashes match the ip. */
  readonly listFunc: TraceFunc;
  /** ftrace_ops_assist_func: recursion protection around one ops that asked for it. */
  readonly assistFunc: TraceFunc;

  /** ftrace_trace_function: what the callers must end up calling. */
  ftraceTraceFunction: TraceFunc;
  /** What the callers' patchable call targets, as far as the arch confirmed. */
  callerFunc: TraceFunc;
  /** function_trace_op: the ops the callers pass as the third argument. */
  functionTraceOp: FtraceOps;
  /* internal; snapshots (snapshot.ts) read them: */ setFunctionTraceOp: FtraceOps;
  savedFtraceFunc: TraceFunc;
  private readonly directFuncs = new WeakMap<FtraceCallback, TraceFunc>();
  /** Ops whose filter or notrace hash was set (ftrace_release_mod clears a module's ips from them). */
  private readonly hashOwners = new Set<FtraceOps>();
  locked = false;
  private readonly console: (text: string) => void;

  constructor(readonly arch: FtraceArch, opts: FtraceCoreOptions = {}) {
    this.console = opts.console ?? (() => {});
    this.listEnd = new FtraceOps('ftrace_stub', () => {}, FTRACE_OPS_FL_STUB | FTRACE_OPS_FL_INITIALIZED);
    this.ftraceStub = { name: 'ftrace_stub', call: () => {} };
    this.listFunc = {
      name: 'ftrace_ops_list_func',
      call: (ip, parentIp, _op, regs, ctx) => {
        const bit = traceTestAndSetRecursion(ctx, TRACE_LIST_START);
        if (bit < 0) {
          this.recordRecursion(ip, parentIp);
          return;
        }
        try {
          for (const op of this.opsList) {
            if (op.has(FTRACE_OPS_FL_STUB)) continue;
            if (ftraceOpsTest(op, ip, regs)) op.func(ip, parentIp, op, regs);
          }
        } finally {
          traceClearRecursion(ctx, bit);
        }
      },
    };
    this.assistFunc = {
      name: 'ftrace_ops_assist_func',
      call: (ip, parentIp, op, regs, ctx) => {
        const bit = traceTestAndSetRecursion(ctx, TRACE_FTRACE_START);
        if (bit < 0) {
          this.recordRecursion(ip, parentIp);
          return;
        }
        try {
          op.func(ip, parentIp, op, regs);
        } finally {
          traceClearRecursion(ctx, bit);
        }
      },
    };
    this.ftraceTraceFunction = this.ftraceStub;
    this.savedFtraceFunc = this.ftraceStub;
    this.callerFunc = this.ftraceStub;
    this.functionTraceOp = this.listEnd;
    this.setFunctionTraceOp = this.listEnd;
  }

  // ---------------------------------------------------------------- dispatch

  private recordRecursion(ip: bigint, parentIp: bigint): void {
    this.recursionMisses.push({ ip, parentIp });
    if (this.recursionMisses.length > 256) this.recursionMisses.shift();
  }

  /** The TraceFunc that calls an ops' callback itself (ops->func as a function pointer); one per callback. */
  opsRawFunc(ops: FtraceOps): TraceFunc {
    let f = this.directFuncs.get(ops.func);
    if (!f) {
      const cb = ops.func;
      f = { name: ops.name, call: (ip, parentIp, op, regs) => cb(ip, parentIp, op, regs) };
      this.directFuncs.set(cb, f);
    }
    return f;
  }

  /** ftrace_ops_get_func: what a caller or the ops' trampoline calls for this ops alone. */
  ftraceOpsGetFunc(ops: FtraceOps): TraceFunc {
    if (ops.has(FTRACE_OPS_FL_STUB)) return this.ftraceStub; // graph_ops: the callers' graph jmp does its work
    if (ops.has(FTRACE_OPS_FL_RECURSION | FTRACE_OPS_FL_RCU)) return this.assistFunc;
    return this.opsRawFunc(ops);
  }

  /** update_ftrace_function: the stub with no ops, the only ops' function, else the list function. */
  private updateFtraceFunction(): void {
    const list = this.opsList;
    if (list.length === 0) {
      this.setFunctionTraceOp = this.listEnd;
      this.ftraceTraceFunction = this.ftraceStub;
    } else if (list.length === 1) {
      this.setFunctionTraceOp = list[0]!;
      this.ftraceTraceFunction = this.ftraceOpsGetFunc(list[0]!);
    } else {
      this.setFunctionTraceOp = this.listEnd;
      this.ftraceTraceFunction = this.listFunc;
    }
  }

  // ---------------------------------------------------------------- records

  /** ftrace_location. */
  ftraceLocation(ip: bigint): bigint {
    return this.records.location(ip);
  }

  /** ftrace_text_reserved: does [start, end] hold a site? */
  ftraceTextReserved(start: bigint, end: bigint): boolean {
    return this.records.lookupRange(start, end) !== undefined;
  }

  /** Build a group's records from __mcount_loc: sorted, without duplicates or zero entries. */
  private buildGroup(mod: string | null, sites: readonly bigint[], resolve: SymbolResolver, flags: number): RecordGroup {
    const ips = [...new Set(sites)].filter((a) => a !== 0n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const recs = ips.map((ip) => {
      const sym = resolve(ip);
      const func: FtraceSymbol = sym ?? { name: '__ftrace_invalid_address___0', start: ip, size: 0 };
      const rec = new DynFtrace(ip, func, mod, this.arch.mcountAddr);
      rec.flags = (sym ? flags : flags | FTRACE_FL_DISABLED) >>> 0;
      return rec;
    });
    return new RecordGroup(mod, recs);
  }

  /** Turn every record of a group into the nop, checking each (ftrace_update_code / ftrace_nop_initialize). */
  private nopInitialize(group: RecordGroup): number {
    let failed = 0;
    for (const rec of group.records) {
      const fault = this.arch.ftraceMakeNop(group.mod, rec, this.arch.mcountAddr);
      if (fault) {
        this.ftraceBug(fault.err, rec, 'init', fault.expected);
        rec.failed = true;
        failed++;
        continue;
      }
      rec.curAddr = null;
      this.updateTotCnt++;
    }
    return failed;
  }

  /**
   * ftrace_init: records for the image's __mcount_loc, every site made the nop before other CPUs run.
   * A bad site gets the bug report and disables ftrace; the other sites are still converted.
   * Returns the number of records.
   */
  ftraceInit(sites: readonly bigint[], resolve: SymbolResolver): number {
    const group = this.buildGroup(null, sites, resolve, 0);
    this.records.add(group);
    this.nopInitialize(group);
    return group.records.length;
  }

  /** ftrace_module_init: a module's records, DISABLED until ftraceModuleEnable, its sites made the nop. */
  ftraceModuleInit(mod: string, sites: readonly bigint[], resolve: SymbolResolver): number {
    if (this.disabled) return -ENODEV;
    const group = this.buildGroup(mod, sites, resolve, FTRACE_FL_DISABLED);
    this.records.add(group);
    this.nopInitialize(group);
    return 0;
  }

  /**
   * ftrace_module_enable: the module's records join; those that registered ops already want are counted
   * and made to call (directly: none of the module's code runs yet).
   */
  *ftraceModuleEnable(mod: string): FtraceCall<number> {
    yield* this.lock();
    try {
      if (this.disabled) return -ENODEV;
      const group = this.records.groups.find((g) => g.mod === mod);
      if (!group) return -ENOENT;
      // process_cached_mods: `:mod:` patterns cached for this module enter the hashes first, so that the
      // records are counted (and made to call) below; none of them is counted yet, so nothing else changes
      if (this.moduleEnableHooks.length > 0) {
        for (const rec of group.records) if (!rec.failed && rec.func.size !== 0) rec.clear(FTRACE_FL_DISABLED);
        for (const hook of this.moduleEnableHooks) hook(mod);
      }
      for (const rec of group.records) {
        if (rec.failed || rec.func.size === 0) continue;
        let cnt = 0;
        if (this.startUp > 0) cnt = this.referencedFilters(rec);
        rec.clear(FTRACE_FL_DISABLED);
        rec.flags = (rec.flags + cnt) >>> 0;
        if (this.startUp > 0 && cnt > 0) {
          const kind = this.checkRecord(rec, true, false);
          const to = kind === 'make_nop' ? null : this.getAddrNew(rec);
          const fault = kind === 'make_call' ? this.arch.ftraceMakeCall(rec, to!) : null;
          if (fault) {
            this.ftraceBug(fault.err, rec, 'call', fault.expected);
            rec.failed = true;
            return 0;
          }
          this.checkRecord(rec, true, true);
          rec.curAddr = to;
        }
      }
      return 0;
    } finally {
      this.unlock();
    }
  }

  /** Called under ftrace_lock when a module's records join, before they are counted (process_cached_mods). */
  readonly moduleEnableHooks: ((mod: string) => void)[] = [];

  /** referenced_filters: how many registered ops want a module record (and its REGS/TRAMP wishes). */
  private referencedFilters(rec: DynFtrace): number {
    let cnt = 0;
    for (const ops of this.opsList) {
      if (!ops.has(FTRACE_OPS_FL_ENABLED) || !hashContainsIp(ops, rec.ip)) continue;
      if (ops.has(FTRACE_OPS_FL_DIRECT) || ops.has(FTRACE_OPS_FL_IPMODIFY)) continue;
      cnt++;
      if (ops.has(FTRACE_OPS_FL_SAVE_REGS)) rec.set(FTRACE_FL_REGS);
      if (cnt === 1 && ops.trampoline !== 0n) rec.set(FTRACE_FL_TRAMP);
      else rec.clear(FTRACE_FL_TRAMP);
    }
    return cnt;
  }

  /** ftrace_release_mod: drop a module's records; hash entries for them stop matching (clear_mod_from_hash). */
  *ftraceReleaseMod(mod: string): FtraceCall<number> {
    yield* this.lock();
    try {
      const group = this.records.remove(mod);
      if (!group) return -ENOENT;
      const ips = new Set(group.records.map((r) => r.ip));
      // every ops whose hashes were ever set, registered or not (clear_mod_from_hashes walks the trace arrays' ops)
      for (const ops of new Set([...this.opsList, ...this.hashOwners])) {
        for (const hash of [ops.filterHash, ops.notraceHash]) {
          let hit = false;
          for (const ip of ips) if (hash.delete(ip)) hit = true;
          if (hit) hash.add(0n);
        }
      }
      this.updateTotCnt -= group.records.filter((r) => !r.failed).length;
      return 0;
    } finally {
      this.unlock();
    }
  }

  // ---------------------------------------------------------------- accounting

  /**
   * __ftrace_hash_rec_update: count an ops in (inc) or out of every record its hashes match, keeping
   * REGS (any ops wants regs) and TRAMP (one ops, and it has a trampoline). True when some site must change.
   */
  private hashRecUpdate(ops: FtraceOps, inc: boolean): boolean {
    let update = false;
    for (const rec of this.records.records()) {
      if (rec.has(FTRACE_FL_DISABLED) || rec.failed) continue;
      if (!hashContainsIp(ops, rec.ip)) continue;
      if (inc) {
        if (rec.count === FTRACE_REF_MAX) {
          this.ftraceKill('reference count overflow');
          return false;
        }
        rec.flags = (rec.flags + 1) >>> 0;
        if (ops.has(FTRACE_OPS_FL_DIRECT)) rec.set(FTRACE_FL_DIRECT);
        if (rec.count === 1 && ops.trampoline !== 0n) rec.set(FTRACE_FL_TRAMP);
        else rec.clear(FTRACE_FL_TRAMP);
        if (ops.has(FTRACE_OPS_FL_SAVE_REGS)) rec.set(FTRACE_FL_REGS);
      } else {
        if (rec.count === 0) {
          this.ftraceKill('reference count underflow');
          return false;
        }
        rec.flags = (rec.flags - 1) >>> 0;
        if (ops.has(FTRACE_OPS_FL_DIRECT)) rec.clear(FTRACE_FL_DIRECT);
        if (rec.count > 0 && rec.has(FTRACE_FL_REGS) && ops.has(FTRACE_OPS_FL_SAVE_REGS)) {
          if (!this.opsList.some((o) => o !== ops && o.has(FTRACE_OPS_FL_SAVE_REGS) && o.has(FTRACE_OPS_FL_ENABLED) && hashContainsIp(o, rec.ip))) {
            rec.clear(FTRACE_FL_REGS);
          }
        }
        if (rec.count === 1 && this.findTrampOps(rec, ops)) rec.set(FTRACE_FL_TRAMP);
        else rec.clear(FTRACE_FL_TRAMP);
      }
      rec.set(FTRACE_FL_TOUCHED);
      if (this.checkRecord(rec, true, false) !== 'ignore') update = true;
    }
    return update;
  }

  /** ftrace_find_tramp_ops_any(_other): the first registered ops with a trampoline whose hashes match. */
  findTrampOps(rec: DynFtrace, exclude: FtraceOps | null = null): FtraceOps | undefined {
    return this.opsList.find((o) => o !== exclude && o.trampoline !== 0n && o.has(FTRACE_OPS_FL_ENABLED) && hashContainsIp(o, rec.ip));
  }

  /** All registered ops with a trampoline whose hashes match (ftrace_find_tramp_ops_any / _next). */
  trampOpsOf(rec: DynFtrace): FtraceOps[] {
    return this.opsList.filter((o) => o.trampoline !== 0n && o.has(FTRACE_OPS_FL_ENABLED) && hashContainsIp(o, rec.ip));
  }

  /** ftrace_get_addr_new: the ops' trampoline if TRAMP, else the regs caller if REGS, else ftrace_caller. */
  getAddrNew(rec: DynFtrace): bigint {
    if (rec.has(FTRACE_FL_TRAMP)) {
      const ops = this.opsList.find((o) => o.has(FTRACE_OPS_FL_ENABLED) && hashContainsIp(o, rec.ip));
      if (ops && ops.trampoline !== 0n) return ops.trampoline;
      // "Bad trampoline accounting": fall back to the shared caller, as the kernel does.
      return this.arch.ftraceCaller;
    }
    if (rec.has(FTRACE_FL_REGS)) return this.arch.ftraceRegsCaller;
    return this.arch.ftraceCaller;
  }

  /** ftrace_get_addr_curr: what the _EN bits say the site calls when enabled. */
  getAddrCurr(rec: DynFtrace): bigint {
    if (rec.has(FTRACE_FL_TRAMP_EN)) return rec.curAddr ?? this.arch.ftraceCaller;
    if (rec.has(FTRACE_FL_REGS_EN)) return this.arch.ftraceRegsCaller;
    return this.arch.ftraceCaller;
  }

  /**
   * ftrace_check_record: compare what a record wants (count, REGS, TRAMP, DIRECT) with what its
   * bytes encode (ENABLED, REGS_EN, TRAMP_EN, DIRECT_EN); with `update`, commit the _EN bits.
   */
  checkRecord(rec: DynFtrace, enable: boolean, update: boolean): UpdateKind {
    if (rec.has(FTRACE_FL_DISABLED)) return 'ignore';
    let flag = 0;
    if (enable && rec.count > 0) flag = FTRACE_FL_ENABLED;
    if (flag) {
      if (rec.has(FTRACE_FL_REGS) !== rec.has(FTRACE_FL_REGS_EN)) flag |= FTRACE_FL_REGS;
      if (rec.has(FTRACE_FL_TRAMP) !== rec.has(FTRACE_FL_TRAMP_EN)) flag |= FTRACE_FL_TRAMP;
      if (rec.count === 1) {
        if (rec.has(FTRACE_FL_DIRECT) !== rec.has(FTRACE_FL_DIRECT_EN)) flag |= FTRACE_FL_DIRECT;
      } else if (rec.has(FTRACE_FL_DIRECT_EN)) {
        flag |= FTRACE_FL_DIRECT;
      }
      flag >>>= 0;
    }
    if ((rec.flags & FTRACE_FL_ENABLED) >>> 0 === flag) return 'ignore';
    if (flag) {
      const becomingEnabled = !rec.has(FTRACE_FL_ENABLED);
      if (update) {
        rec.set(FTRACE_FL_ENABLED);
        if (flag & FTRACE_FL_REGS) {
          if (rec.has(FTRACE_FL_REGS)) rec.set(FTRACE_FL_REGS_EN);
          else rec.clear(FTRACE_FL_REGS_EN);
        }
        if (flag & FTRACE_FL_TRAMP) {
          if (rec.has(FTRACE_FL_TRAMP)) rec.set(FTRACE_FL_TRAMP_EN);
          else rec.clear(FTRACE_FL_TRAMP_EN);
        }
        if (rec.has(FTRACE_FL_DIRECT | FTRACE_FL_IPMODIFY)) rec.set(FTRACE_FL_MODIFIED);
        if (flag & FTRACE_FL_DIRECT) {
          if (rec.count === 1 && rec.has(FTRACE_FL_DIRECT)) rec.set(FTRACE_FL_DIRECT_EN);
          else rec.clear(FTRACE_FL_DIRECT_EN);
        }
      }
      return becomingEnabled ? 'make_call' : 'modify_call';
    }
    if (update) {
      if (rec.count === 0) rec.flags = (rec.flags & FTRACE_NOCLEAR_FLAGS) >>> 0;
      else rec.clear(FTRACE_FL_ENABLED | FTRACE_FL_TRAMP_EN | FTRACE_FL_REGS_EN | FTRACE_FL_DIRECT_EN);
    }
    return 'make_nop';
  }

  // ---------------------------------------------------------------- IPMODIFY

  /**
   * __ftrace_hash_update_ipmodify: claim (or release) IPMODIFY on the records entering (leaving) the
   * ops' filter. null means "every function", which an IPMODIFY ops may not ask for (-EINVAL); a record
   * another IPMODIFY ops holds gives -EBUSY, with every claim of this call rolled back.
   */
  private hashUpdateIpmodify(ops: FtraceOps, oldHash: FtraceHash | null, newHash: FtraceHash | null): number {
    if (!ops.has(FTRACE_OPS_FL_ENABLED) || !ops.has(FTRACE_OPS_FL_IPMODIFY)) return 0;
    if (!oldHash || !newHash) return -EINVAL;
    const done: { rec: DynFtrace; claimed: boolean }[] = [];
    for (const rec of this.records.records()) {
      if (rec.has(FTRACE_FL_DISABLED)) continue;
      const inOld = oldHash.has(rec.ip);
      const inNew = newHash.has(rec.ip);
      if (inOld === inNew) continue;
      if (inNew) {
        if (rec.has(FTRACE_FL_IPMODIFY)) {
          for (const d of done) {
            if (d.claimed) d.rec.clear(FTRACE_FL_IPMODIFY);
            else d.rec.set(FTRACE_FL_IPMODIFY);
          }
          return -EBUSY;
        }
        rec.set(FTRACE_FL_IPMODIFY);
        done.push({ rec, claimed: true });
      } else {
        rec.clear(FTRACE_FL_IPMODIFY);
        done.push({ rec, claimed: false });
      }
    }
    return 0;
  }

  private static nonEmpty(h: FtraceHash): FtraceHash | null {
    return h.size === 0 ? null : h;
  }

  // ---------------------------------------------------------------- the update engine

  private *lock(): FtraceCall<void> {
    while (this.locked) yield WAIT;
    this.locked = true;
  }

  private unlock(): void {
    this.locked = false;
  }

  /** ftrace_run_update_code: the patch window around ftrace_modify_all_code. */
  private *ftraceRunUpdateCode(command: number): FtraceCall<void> {
    this.inPatchWindow = true;
    try {
      yield* this.ftraceModifyAllCode(command);
    } finally {
      this.inPatchWindow = false;
    }
  }

  /**
   * ftrace_modify_all_code, in the kernel's order:
   *  1. the callers' call goes to the list function, which checks every ops' hashes: a safe superset
   *     while sites move (a site reaching a caller calls exactly the ops that want it, whichever
   *     target it has at that moment);
   *  2. every changed site, one batch;
   *  3. publish function_trace_op, make every CPU see it, then the callers' final function;
   *  4. the graph hook last.
   */
  protected *ftraceModifyAllCode(command: number): FtraceCall<void> {
    const update = (command & FTRACE_UPDATE_TRACE_FUNC) !== 0;
    if (update && !(yield* this.updateCallers(this.listFunc))) return;
    if (command & FTRACE_UPDATE_CALLS) yield* this.ftraceReplaceCode(true);
    else if (command & FTRACE_DISABLE_CALLS) yield* this.ftraceReplaceCode(false);
    if (update && this.ftraceTraceFunction !== this.listFunc) {
      this.functionTraceOp = this.setFunctionTraceOp;
      yield* this.arch.ftraceSyncIpi();
      if (!(yield* this.updateCallers(this.ftraceTraceFunction))) return;
    }
    yield* this.updateGraphCaller(command);
  }

  /** ftrace_update_ftrace_func with FTRACE_WARN_ON: a failure kills ftrace. */
  protected *updateCallers(func: TraceFunc): FtraceCall<boolean> {
    const err = yield* this.arch.ftraceUpdateFtraceFunc(func);
    if (err) {
      this.ftraceKill(`ftrace_update_ftrace_func(${func.name}) failed (${err})`);
      return false;
    }
    this.callerFunc = func;
    return true;
  }

  protected *updateGraphCaller(command: number): FtraceCall<void> {
    let err = 0;
    if (command & FTRACE_START_FUNC_RET) {
      err = yield* this.arch.ftraceEnableGraphCaller();
      if (!err) this.graphCallerEnabled = true;
    } else if (command & FTRACE_STOP_FUNC_RET) {
      err = yield* this.arch.ftraceDisableGraphCaller();
      if (!err) this.graphCallerEnabled = false;
    }
    if (err) this.ftraceKill(`graph caller update failed (${err})`);
  }

  /** The batch of site changes ftrace_replace_code would make now, without committing anything. */
  computeChanges(enable: boolean): { changes: SiteChange[]; kinds: Map<DynFtrace, UpdateKind> } {
    const changes: SiteChange[] = [];
    const kinds = new Map<DynFtrace, UpdateKind>();
    for (const rec of this.records.records()) {
      if (rec.failed || rec.has(FTRACE_FL_DISABLED)) continue;
      const kind = this.checkRecord(rec, enable, false);
      if (kind === 'ignore') continue;
      const from = kind === 'make_call' ? null : rec.curAddr;
      const to = kind === 'make_nop' ? null : this.getAddrNew(rec);
      if (from === to) {
        // Only the _EN bits move (e.g. a module record enabled directly): nothing to write.
        this.checkRecord(rec, enable, true);
        continue;
      }
      changes.push({ rec, from, to });
      kinds.set(rec, kind);
    }
    return { changes, kinds };
  }

  /** ftrace_replace_code: hand every change to the arch as one batch; commit the records it wrote. */
  protected *ftraceReplaceCode(enable: boolean): FtraceCall<void> {
    const { changes, kinds } = this.computeChanges(enable);
    if (changes.length === 0) return;
    const fault: BatchFault | null = yield* this.arch.replaceCode(changes);
    const written = fault ? fault.written : changes;
    for (const c of written) {
      this.checkRecord(c.rec, enable, true);
      c.rec.curAddr = c.to;
    }
    if (fault) {
      const kind = kinds.get(fault.rec) ?? 'ignore';
      const bugType: BugType = kind === 'make_call' ? 'call' : kind === 'make_nop' ? 'nop' : kind === 'modify_call' ? 'update' : 'unknown';
      this.ftraceBug(fault.err, fault.rec, bugType, fault.expected);
      fault.rec.failed = true;
    }
  }

  // ---------------------------------------------------------------- registration

  /** __register_ftrace_function: add to the list, give it a trampoline, choose the callers' function. */
  private registerOps(ops: FtraceOps): number {
    if (ops.has(FTRACE_OPS_FL_DELETED)) return -EINVAL;
    if (ops.has(FTRACE_OPS_FL_ENABLED)) return -EBUSY;
    // This core's arches always save full regs when asked to.
    if (ops.has(FTRACE_OPS_FL_SAVE_REGS_IF_SUPPORTED)) ops.flags |= FTRACE_OPS_FL_SAVE_REGS;
    if (!this.ftraceEnabled && ops.has(FTRACE_OPS_FL_PERMANENT)) return -EBUSY;
    ops.flags |= FTRACE_OPS_FL_INITIALIZED;
    this.opsList = [ops, ...this.opsList];
    this.arch.ftraceUpdateTrampoline(ops, this.ftraceOpsGetFunc(ops));
    if (this.ftraceEnabled) this.updateFtraceFunction();
    return 0;
  }

  private unregisterOps(ops: FtraceOps): number {
    if (!ops.has(FTRACE_OPS_FL_ENABLED)) return -EBUSY;
    if (!this.opsList.includes(ops)) return -EBUSY;
    this.opsList = this.opsList.filter((o) => o !== ops);
    if (this.ftraceEnabled) this.updateFtraceFunction();
    return 0;
  }

  /** register_ftrace_function: 0, or -ENODEV (ftrace disabled), -EBUSY (already registered, or an IPMODIFY conflict), -EINVAL. */
  *registerFtraceFunction(ops: FtraceOps): FtraceCall<number> {
    return yield* this.ftraceStartup(ops, 0);
  }

  /** unregister_ftrace_function. */
  *unregisterFtraceFunction(ops: FtraceOps): FtraceCall<number> {
    return yield* this.ftraceShutdown(ops, 0);
  }

  /** ftrace_startup: register and make the sites the ops wants call it; `command` may add the graph hook. */
  *ftraceStartup(ops: FtraceOps, command: number): FtraceCall<number> {
    yield* this.lock();
    try {
      if (this.disabled) return -ENODEV;
      const ret = this.registerOps(ops);
      if (ret) return ret;
      this.startUp++;
      ops.flags |= FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_ADDING;
      const ip = this.hashUpdateIpmodify(ops, new Set(), FtraceCore.nonEmpty(ops.filterHash));
      if (ip < 0) {
        this.unregisterOps(ops);
        this.startUp--;
        ops.flags &= ~(FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_ADDING);
        if (ops.has(FTRACE_OPS_FL_DYNAMIC)) this.arch.ftraceTrampolineFree(ops);
        return ip;
      }
      if (this.hashRecUpdate(ops, true)) command |= FTRACE_UPDATE_CALLS;
      yield* this.ftraceStartupEnable(command);
      ops.flags &= ~FTRACE_OPS_FL_ADDING;
      return 0;
    } finally {
      this.unlock();
    }
  }

  private *ftraceStartupEnable(command: number): FtraceCall<void> {
    if (this.savedFtraceFunc !== this.ftraceTraceFunction) {
      this.savedFtraceFunc = this.ftraceTraceFunction;
      command |= FTRACE_UPDATE_TRACE_FUNC;
    }
    if (!command || !this.ftraceEnabled) return;
    yield* this.ftraceRunUpdateCode(command);
  }

  /** ftrace_shutdown: unregister, move the sites away, and free a DYNAMIC ops' trampoline after RCU-tasks. */
  *ftraceShutdown(ops: FtraceOps, command: number): FtraceCall<number> {
    yield* this.lock();
    try {
      if (this.disabled) return -ENODEV;
      const ret = this.unregisterOps(ops);
      if (ret) return ret;
      this.startUp--;
      this.hashUpdateIpmodify(ops, FtraceCore.nonEmpty(ops.filterHash), new Set());
      if (this.hashRecUpdate(ops, false)) command |= FTRACE_UPDATE_CALLS;
      ops.flags &= ~FTRACE_OPS_FL_ENABLED;
      if (this.savedFtraceFunc !== this.ftraceTraceFunction) {
        this.savedFtraceFunc = this.ftraceTraceFunction;
        command |= FTRACE_UPDATE_TRACE_FUNC;
      }
      if (command && this.ftraceEnabled) {
        ops.flags |= FTRACE_OPS_FL_REMOVING;
        yield* this.ftraceRunUpdateCode(command);
        ops.flags &= ~FTRACE_OPS_FL_REMOVING;
      }
      if (ops.has(FTRACE_OPS_FL_DYNAMIC)) {
        yield* this.arch.synchronizeRcuTasks();
        this.arch.ftraceTrampolineFree(ops);
      }
      return 0;
    } finally {
      this.unlock();
    }
  }

  // ---------------------------------------------------------------- filters

  /** ftrace_set_filter: patterns (whitespace-separated, as written to set_ftrace_filter); reset replaces, else appends. */
  *ftraceSetFilter(ops: FtraceOps, buf: string, reset: boolean): FtraceCall<number> {
    return yield* this.ftraceSetHash(ops, buf, null, false, reset, true);
  }

  /** ftrace_set_notrace. */
  *ftraceSetNotrace(ops: FtraceOps, buf: string, reset: boolean): FtraceCall<number> {
    return yield* this.ftraceSetHash(ops, buf, null, false, reset, false);
  }

  /** ftrace_set_filter_ip: one site by address (ftrace_location applies); remove drops it instead. */
  *ftraceSetFilterIp(ops: FtraceOps, ip: bigint, remove: boolean, reset: boolean): FtraceCall<number> {
    return yield* this.ftraceSetHash(ops, null, ip, remove, reset, true);
  }

  private *ftraceSetHash(
    ops: FtraceOps, buf: string | null, ip: bigint | null, remove: boolean, reset: boolean, enable: boolean,
  ): FtraceCall<number> {
    if (this.disabled) return -ENODEV;
    yield* this.lock();
    try {
      if (this.disabled) return -ENODEV;
      this.hashOwners.add(ops);
      const orig = enable ? ops.filterHash : ops.notraceHash;
      const hash: FtraceHash = reset ? new Set() : new Set(orig);
      if (buf !== null) {
        for (const word of buf.split(/\s+/).filter((w) => w.length > 0)) {
          if (matchRecords(this.records.records(), hash, word) <= 0) return -EINVAL;
        }
      }
      if (ip !== null) {
        const loc = this.ftraceLocation(ip);
        if (loc === 0n) return -EINVAL;
        if (remove) {
          if (!hash.delete(loc)) return -ENOENT;
        } else {
          hash.add(loc);
        }
      }
      return yield* this.hashMoveAndUpdateOps(ops, hash, enable);
    } finally {
      this.unlock();
    }
  }

  /**
   * ftrace_regex_release's install: replace the ops' filter (enable) or notrace hash with `hash`, built by
   * the caller (a tracefs file's copy), and patch the sites (ftrace_hash_move_and_update_ops under ftrace_lock).
   */
  *ftraceInstallHash(ops: FtraceOps, hash: FtraceHash, enable: boolean): FtraceCall<number> {
    if (this.disabled) return -ENODEV;
    let r: number;
    yield* this.lock();
    try {
      if (this.disabled) return -ENODEV;
      this.hashOwners.add(ops);
      r = yield* this.hashMoveAndUpdateOps(ops, new Set(hash), enable);
    } finally {
      this.unlock();
    }
    // a subop's manager (fgraph's graph_ops for its users' ops) takes its hashes again: the call it gives, if any
    for (const l of this.subopsListeners) {
      const call = r < 0 ? null : l(ops);
      if (call !== null) r = yield* call;
    }
    return r;
  }

  /** Managers of subops (ftrace_startup_subops), told of every hash installed (null: not their ops). */
  readonly subopsListeners: ((ops: FtraceOps) => FtraceCall<number> | null)[] = [];

  /** ftrace_hash_move_and_update_ops: install the new hash; for a registered ops, recount and patch. */
  private *hashMoveAndUpdateOps(ops: FtraceOps, hash: FtraceHash, enable: boolean): FtraceCall<number> {
    if (enable && ops.has(FTRACE_OPS_FL_ENABLED) && ops.has(FTRACE_OPS_FL_IPMODIFY)) {
      const r = this.hashUpdateIpmodify(ops, FtraceCore.nonEmpty(ops.filterHash), FtraceCore.nonEmpty(hash));
      if (r < 0) return r;
    }
    if (!ops.has(FTRACE_OPS_FL_ENABLED)) {
      if (enable) ops.filterHash = hash;
      else ops.notraceHash = hash;
      return 0;
    }
    this.hashRecUpdate(ops, false);
    if (enable) ops.filterHash = hash;
    else ops.notraceHash = hash;
    this.hashRecUpdate(ops, true);
    if (this.ftraceEnabled) {
      ops.flags |= FTRACE_OPS_FL_MODIFYING;
      yield* this.ftraceRunUpdateCode(FTRACE_UPDATE_CALLS);
      ops.flags &= ~FTRACE_OPS_FL_MODIFYING;
    }
    return 0;
  }

  // ---------------------------------------------------------------- failure

  /** ftrace_kill: stop for good. */
  ftraceKill(reason: string): void {
    this.disabled = true;
    this.ftraceEnabled = false;
    this.ftraceTraceFunction = this.ftraceStub;
    this.disabledReason ??= reason;
  }

  /** ftrace_bug: print the report as the kernel does and disable ftrace. */
  ftraceBug(failed: number, rec: DynFtrace, bugType: BugType, expected?: Uint8Array): string {
    let tramps: string | null = null;
    if (rec.has(FTRACE_FL_TRAMP_EN)) {
      const ops = this.trampOpsOf(rec);
      tramps = ops.length === 0 ? '\ttramp: ERROR!' : ops
        .map((o) => `\ttramp: ${this.arch.formatSym(o.trampoline)} (${this.arch.formatSym(this.arch.funcAddr(this.opsRawFunc(o)))})`)
        .join('');
    }
    const text = formatFtraceBug(failed, rec, bugType, this.arch.readSite(rec.ip), expected, tramps, this.getAddrCurr(rec));
    this.bugReports.push(text);
    this.console(text);
    this.ftraceKill(`ftrace bug at ${rec.symbolText()} (${errnoName(failed)}); ftrace is disabled`);
    return text;
  }

  /** Records in table order (for tracefs files and monitors). */
  allRecords(): Iterable<DynFtrace> {
    return this.records.records();
  }
}
