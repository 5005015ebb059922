// A minimal livepatch: one IPMODIFY ftrace ops per patched function, whose handler sets regs->ip to the replacement (kernel/livepatch/patch.c: klp_ftrace_handler, klp_patch_func, klp_unpatch_func; no per-task consistency model yet, kernel/livepatch/transition.c).

import type { FtraceCall, FtraceCore } from '../ftrace/ftrace.js';
import type { ElfImage } from '../loader/elf.js';
import { EBUSY, EINVAL, ENODEV } from '../ftrace/arch.js';
import {
  FtraceOps, hashContainsIp,
  FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_ENABLED, FTRACE_OPS_FL_IPMODIFY, FTRACE_OPS_FL_PERMANENT, FTRACE_OPS_FL_SAVE_REGS,
  type FtraceRegs,
} from '../ftrace/ops.js';

/** What a name stands for in the kernel: its address, and whether it is a function. */
export interface KlpSymbol {
  addr: bigint;
  func: boolean;
}

/** kallsyms for livepatch: a name to its symbol, or undefined when the kernel has no such name. */
export type KlpResolver = (name: string) => KlpSymbol | undefined;

/** The result of klpEnable / klpDisable: 0, or a negative errno and the message the kernel would print (pr_err). */
export interface KlpResult {
  err: number;
  message: string;
}

const OK: KlpResult = { err: 0, message: '' };

/** -EBUSY as the kernel writes it in messages. */
function errnoText(err: number): string {
  const names: Record<number, string> = { [EBUSY]: 'EBUSY', [EINVAL]: 'EINVAL', [ENODEV]: 'ENODEV' };
  return `-${names[-err] ?? String(-err)}`;
}

/** One patched function (struct klp_func with its struct klp_ops: this minimal livepatch stacks no patches). */
export class KlpFunc {
  /** The ops whose handler redirects the old function (klp_ops.fops). */
  readonly ops: FtraceOps;
  patched = false;
  /** Set from the start of klpDisable: the ops is leaving, its calls may run the old function again. */
  unpatching = false;
  /** Calls the handler redirected to the new function. */
  redirected = 0;
  /** Per CPU, when the livepatch knows the current CPU (KlpOptions.currentCpu). */
  readonly redirectedPerCpu: number[] = [];
  /** Handler calls it did not redirect: for another function's site, or without full regs (never expected). */
  ignored = 0;

  constructor(
    readonly oldName: string,
    readonly oldFunc: bigint,
    readonly newName: string,
    readonly newFunc: bigint,
    /** The old function's ftrace site (klp_get_ftrace_location). */
    readonly ftraceLoc: bigint,
    currentCpu: () => number | null,
  ) {
    // klp_ftrace_handler: regs->ip = new_func, so the regs caller "returns" into the new function with
    // the original arguments and return address
    this.ops = new FtraceOps('klp_ftrace_handler', (ip: bigint, _parentIp: bigint, _op: FtraceOps, regs: FtraceRegs | null) => {
      if (ip !== this.ftraceLoc || regs === null) {
        this.ignored++;
        return;
      }
      regs.ip = this.newFunc;
      this.redirected++;
      const cpu = currentCpu();
      if (cpu !== null) this.redirectedPerCpu[cpu] = (this.redirectedPerCpu[cpu] ?? 0) + 1;
    }, FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_DYNAMIC | FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT);
    this.ops.private = this;
  }
}

export interface KlpOptions {
  /** The CPU whose call the handler is taking (for per-CPU counts); null when unknown. */
  currentCpu?: () => number | null;
}

/**
 * The livepatch core over one ftrace core: klpEnable(old, new) registers an ops filtered on the old
 * function's site with SAVE_REGS | DYNAMIC | IPMODIFY | PERMANENT, whose handler sets regs->ip to the new
 * function; from the moment the site calls the regs caller (the #BP handler emulating that call while
 * the site is being written), every call of the old function runs the new one. klpDisable unregisters
 * it and the old function runs again. Without the consistency model, a task already inside the old
 * function finishes it there.
 */
export class Livepatch {
  /** Patched functions, by old function name. */
  readonly funcs = new Map<string, KlpFunc>();
  private readonly currentCpu: () => number | null;

  constructor(readonly core: FtraceCore, private readonly resolve: KlpResolver, opts: KlpOptions = {}) {
    this.currentCpu = opts.currentCpu ?? (() => null);
  }

  /** Check the names of a patch without changing anything: the KlpFunc to enable, or why not. */
  prepare(oldName: string, newName: string): KlpFunc | KlpResult {
    const bad = (message: string, err = -EINVAL): KlpResult => ({ err, message: `livepatch: ${message}` });
    if (this.core.disabled) return bad(`ftrace is disabled (${this.core.disabledReason ?? 'killed'}): cannot patch '${oldName}'`, -ENODEV);
    const old = this.resolve(oldName);
    if (old === undefined) return bad(`symbol '${oldName}' not found in symbol table`);
    if (!old.func) return bad(`'${oldName}' is not a function`);
    const neu = this.resolve(newName);
    if (neu === undefined) return bad(`replacement '${newName}' for '${oldName}' not found in symbol table`);
    if (!neu.func) return bad(`replacement '${newName}' for '${oldName}' is not a function`);
    if (neu.addr === old.addr) return bad(`'${newName}' cannot replace itself`);
    const loc = this.core.ftraceLocation(old.addr);
    if (loc !== old.addr) return bad(`failed to find location for function '${oldName}' (it has no ftrace site: not compiled with -pg -mfentry, or notrace)`);
    const have = this.funcs.get(oldName);
    if (have !== undefined) return bad(`'${oldName}' is already patched (to '${have.newName}'); disable that patch first`, -EBUSY);
    return new KlpFunc(oldName, old.addr, newName, neu.addr, loc, this.currentCpu);
  }

  /**
   * klp_patch_func: set the ops' filter to the old function's site and register it. A second IPMODIFY
   * ops on the function (another ops that sets regs->ip) gets -EBUSY from ftrace and changes nothing.
   */
  *klpEnable(oldName: string, newName: string): FtraceCall<KlpResult> {
    const f = this.prepare(oldName, newName);
    if (!(f instanceof KlpFunc)) return f;
    const core = this.core;
    let ret = yield* core.ftraceSetFilterIp(f.ops, f.ftraceLoc, false, false);
    if (ret) return { err: ret, message: `livepatch: failed to set ftrace filter for function '${oldName}' (${errnoText(ret)})` };
    // another patch may have been enabled while the filter was set (the ftrace lock was let go)
    if (this.funcs.has(oldName)) return { err: -EBUSY, message: `livepatch: '${oldName}' is already patched; disable that patch first` };
    ret = yield* core.registerFtraceFunction(f.ops);
    if (ret) {
      const owner = core.opsList.find((o) => o !== f.ops && o.has(FTRACE_OPS_FL_IPMODIFY) && o.has(FTRACE_OPS_FL_ENABLED) && hashContainsIp(o, f.ftraceLoc));
      const why = ret === -EBUSY && owner ? `: another IPMODIFY ops (${owner.name}) already modifies it` : '';
      return { err: ret, message: `livepatch: failed to register ftrace handler for function '${oldName}' (${errnoText(ret)})${why}` };
    }
    f.patched = true;
    this.funcs.set(oldName, f);
    return OK;
  }

  /** klp_unpatch_func: unregister the ops (ftrace waits for RCU-tasks before it is gone), clear its filter. */
  *klpDisable(oldName: string): FtraceCall<KlpResult> {
    const f = this.funcs.get(oldName);
    if (f === undefined) return { err: -EINVAL, message: `livepatch: '${oldName}' is not patched` };
    f.unpatching = true;
    const ret = yield* this.core.unregisterFtraceFunction(f.ops);
    if (ret) f.unpatching = false;
    if (ret) return { err: ret, message: `livepatch: failed to unregister ftrace handler for function '${oldName}' (${errnoText(ret)})` };
    yield* this.core.ftraceSetFilterIp(f.ops, f.ftraceLoc, true, false);
    f.patched = false;
    this.funcs.delete(oldName);
    return OK;
  }
}

/**
 * Run a kernel call to its end from the host, before any CPU has run (a livepatch applied at boot, as
 * the kernel's early ftrace users do): only the boot CPU is online, so text_poke_bp's syncs wait for
 * nobody. Throws if the call keeps yielding (something it waits for cannot happen before boot).
 */
export function runBeforeBoot<T>(call: FtraceCall<T>, limit = 1_000_000): T {
  for (let i = 0; i < limit; i++) {
    const r = call.next();
    if (r.done) return r.value;
  }
  throw new Error(`a kernel call did not finish before boot (it waited more than ${limit} times)`);
}

/** kallsyms over an image's symbol table: defined symbols, a global one winning over a local one of the same name. */
export function klpImageResolver(img: ElfImage): KlpResolver {
  const byName = new Map<string, { sym: KlpSymbol; global: boolean }>();
  for (const s of img.symbols) {
    if (s.shndx === 0 || s.name === '' || s.value === 0n) continue;
    if (s.type !== 'func' && s.type !== 'object' && s.type !== 'notype') continue;
    const global = s.bind === 'global' || s.bind === 'weak';
    const prev = byName.get(s.name);
    if (prev === undefined || (global && !prev.global)) byName.set(s.name, { sym: { addr: s.value, func: s.type === 'func' }, global });
  }
  return (name) => byName.get(name)?.sym;
}
