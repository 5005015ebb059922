// The generic ftrace core (src/ftrace/) against a fake arch backend: records, ops, filters, dispatch, the update engine's order, failures and introspection.
import { describe, expect, it } from 'vitest';
import { FakeArch } from './helpers/fake-ftrace-arch.js';
import { FtraceCore, FTRACE_UPDATE_TRACE_FUNC, FTRACE_UPDATE_CALLS, FTRACE_DISABLE_CALLS, FTRACE_START_FUNC_RET, type FtraceCall } from '../src/ftrace/ftrace.js';
import {
  FtraceOps, hashContainsIp, type FtraceRegs, type TraceCtx,
  FTRACE_OPS_FL_SAVE_REGS, FTRACE_OPS_FL_IPMODIFY, FTRACE_OPS_FL_RECURSION, FTRACE_OPS_FL_DYNAMIC,
} from '../src/ftrace/ops.js';
import { EBUSY, EINVAL, ENODEV } from '../src/ftrace/arch.js';
import { FTRACE_FL_DISABLED, FTRACE_FL_ENABLED, FTRACE_FL_REGS, FTRACE_FL_TRAMP, type FtraceSymbol } from '../src/ftrace/record.js';
import { checkRecords } from '../src/ftrace/check.js';
import { showAvailableFilterFunctions, showDynFtraceTotalInfo, showEnabledFunctions, showTouchedFunctions } from '../src/ftrace/show.js';

const BASE = 0xffffffff81000000n;
const FUNCS = ['start_kernel', 'vfs_read', 'vfs_write', 'do_sys_open', 'schedule', 'tick_handler', 'nmi_handler', 'kmalloc'];
/** Each function is 0x40 bytes; its site is at +0 (as with -mfentry). */
const SYMS: FtraceSymbol[] = FUNCS.map((name, i) => ({ name, start: BASE + BigInt(i) * 0x40n, size: 0x40 }));
const ip = (name: string): bigint => SYMS.find((s) => s.name === name)!.start;
const resolve = (a: bigint): FtraceSymbol | undefined => SYMS.find((s) => a >= s.start && a < s.start + BigInt(s.size));

/** Run a kernel call that may sleep to completion (one CPU, nothing else running). */
function run<T>(g: FtraceCall<T>): T {
  for (let i = 0; i < 1_000_000; i++) {
    const r = g.next();
    if (r.done) return r.value;
  }
  throw new Error('did not finish');
}

interface Call { owner: string; op: string; ip: bigint }
const calls: Call[] = [];
function tracer(name: string, flags = 0): FtraceOps {
  const ops = new FtraceOps(name, (ip, _p, op) => {
    calls.push({ owner: name, op: op.name, ip });
  }, flags);
  return ops;
}

function boot(trampFor: string[] = [], console: string[] = []): { arch: FakeArch; core: FtraceCore } {
  // __mcount_loc in file order (unsorted, with a duplicate and a zero entry).
  const sites = [...SYMS.map((s) => s.start)].reverse();
  const arch = new FakeArch(sites);
  for (const t of trampFor) arch.trampFor.add(t);
  const core = new FtraceCore(arch, { console: (t) => console.push(t) });
  core.ftraceInit([...sites, sites[0]!, 0n], resolve);
  return { arch, core };
}

const ctxNormal = (): TraceCtx => ({ recursion: { bits: 0 }, context: 'normal' });

/** Execute a site as a CPU would: what its call reaches, and which ops callbacks run. */
function execSite(arch: FakeArch, core: FtraceCore, site: bigint): Call[] {
  calls.length = 0;
  const t = arch.text.get(site);
  if (t === null || t === undefined || t === arch.mcountAddr) return [];
  const regs: FtraceRegs = { ip: site + 5n };
  if (t === arch.ftraceCaller) arch.callerFunc?.call(site, 0n, core.functionTraceOp, null, ctxNormal());
  else if (t === arch.ftraceRegsCaller) arch.callerFunc?.call(site, 0n, core.functionTraceOp, regs, ctxNormal());
  else {
    const ops = arch.tramps.get(t);
    if (!ops) throw new Error(`site calls unknown 0x${t.toString(16)}`);
    core.ftraceOpsGetFunc(ops).call(site, 0n, ops, ops.has(FTRACE_OPS_FL_SAVE_REGS) ? regs : null, ctxNormal());
  }
  return [...calls];
}

function check(arch: FakeArch, core: FtraceCore): string[] {
  return checkRecords({
    records: core.allRecords(), ops: core.opsList, readSite: (a) => arch.readSite(a), siteBytes: (a, t) => arch.siteBytes(a, t),
    ftraceCaller: arch.ftraceCaller, ftraceRegsCaller: arch.ftraceRegsCaller, active: !core.disabled,
  }).map((v) => `${v.func}: ${v.what}`);
}

/**
 * Invariant 9 by replay: after every observable step of an update, every site calls every ops that
 * wants it before and after (the stable ones), and no ops is called for a function it does not want,
 * nor with another ops as its `op` argument.
 */
function watchInvariant9(arch: FakeArch, core: FtraceCore, stable: FtraceOps[], all: FtraceOps[]): string[] {
  const problems: string[] = [];
  arch.onStep = () => {
    for (const rec of core.allRecords()) {
      const got = execSite(arch, core, rec.ip);
      for (const s of stable) {
        if (hashContainsIp(s, rec.ip) && !got.some((c) => c.owner === s.name)) {
          problems.push(`after ${arch.log.length} steps: ${rec.func.name} does not call ${s.name}`);
        }
      }
      for (const c of got) {
        const owner = all.find((o) => o.name === c.owner)!;
        if (!hashContainsIp(owner, rec.ip)) problems.push(`after ${arch.log.length} steps: ${c.owner} called for ${rec.func.name}`);
        if (c.op !== c.owner) problems.push(`after ${arch.log.length} steps: ${c.owner} called with op ${c.op}`);
      }
    }
  };
  return problems;
}

describe('records', () => {
  it('ftraceInit builds sorted records, nops every site, and answers ftrace_location', () => {
    const { arch, core } = boot();
    const recs = [...core.allRecords()];
    expect(recs.map((r) => r.func.name)).toEqual(FUNCS);
    for (const r of recs) expect(arch.text.get(r.ip)).toBe(null);
    expect(core.ftraceLocation(ip('vfs_read'))).toBe(ip('vfs_read'));
    expect(core.ftraceLocation(ip('vfs_read') + 1n)).toBe(0n);
    expect(core.ftraceTextReserved(ip('vfs_read') - 2n, ip('vfs_read') + 1n)).toBe(true);
    expect(core.ftraceTextReserved(ip('vfs_read') + 8n, ip('vfs_read') + 0x20n)).toBe(false);
    expect(showDynFtraceTotalInfo(core)).toBe('8 pages:1 groups: 1\n');
    expect(showAvailableFilterFunctions(core)).toBe(FUNCS.map((f) => f + '\n').join(''));
    expect(check(arch, core)).toEqual([]);
  });

  it('ftrace_location maps sym+0 to a site later in the function (e.g. after an endbr)', () => {
    const syms: FtraceSymbol[] = [{ name: 'f', start: 0x1000n, size: 0x40 }, { name: 'g', start: 0x1040n, size: 0x40 }];
    const arch = new FakeArch([0x1004n, 0x1044n]);
    const core = new FtraceCore(arch);
    core.ftraceInit([0x1004n, 0x1044n], (a) => syms.find((s) => a >= s.start && a < s.start + 0x40n));
    expect(core.ftraceLocation(0x1000n)).toBe(0x1004n);
    expect(core.ftraceLocation(0x1004n)).toBe(0x1004n);
    expect(core.ftraceLocation(0x1002n)).toBe(0n);
    expect(core.ftraceLocation(0x1040n)).toBe(0x1044n);
  });

  it('page accounting follows ftrace_allocate_records (256 records a page, power-of-two blocks)', () => {
    const n = 700;
    const sites = Array.from({ length: n }, (_, i) => 0x100000n + BigInt(i) * 0x10n);
    const arch = new FakeArch(sites);
    const core = new FtraceCore(arch);
    core.ftraceInit(sites, (a) => ({ name: `f${a.toString(16)}`, start: a, size: 0x10 }));
    // 700 records: 3 pages wanted, order 1 (512 records), then 188 left in one page.
    expect(showDynFtraceTotalInfo(core)).toBe('700 pages:3 groups: 2\n');
  });
});

describe('boot conversion failure', () => {
  it('a site with unexpected bytes: FAILED, the exact bug report, ftrace disabled, the rest converted', () => {
    const sites = SYMS.map((s) => s.start);
    const arch = new FakeArch(sites);
    arch.garbage.set(ip('vfs_write'), Uint8Array.from([0xe9, 0x9b, 0x4b, 0x23, 0xff]));
    const out: string[] = [];
    const core = new FtraceCore(arch, { console: (t) => out.push(t) });
    core.ftraceInit(sites, resolve);
    const rel = arch.siteBytes(ip('vfs_write'), arch.mcountAddr);
    const hx = (b: Uint8Array): string => Array.from(b, (v) => v.toString(16).padStart(2, '0')).join(':');
    expect(out).toEqual([
      '------------[ ftrace bug ]------------\n' +
        'ftrace failed to modify \n' +
        '[<ffffffff81000080>] vfs_write+0x0/0x40\n' +
        ' actual:   e9:9b:4b:23:ff\n' +
        ` expected: ${hx(rel)}\n` +
        'Initializing ftrace call sites\n' +
        'ftrace record flags: 0\n' +
        ' (0)    \n' +
        ' expected tramp: ffffffff81e00000\n',
    ]);
    const rec = core.records.lookup(ip('vfs_write'))!;
    expect(rec.failed).toBe(true);
    expect(core.disabled).toBe(true);
    expect(core.disabledReason).toContain('vfs_write');
    for (const s of sites) if (s !== ip('vfs_write')) expect(arch.text.get(s)).toBe(null);
    expect(run(core.registerFtraceFunction(tracer('t')))).toBe(-ENODEV);
    expect(run(core.ftraceSetFilter(tracer('u'), 'vfs_read', true))).toBe(-ENODEV);
    // The record state still agrees with the text for the sites ftrace owns.
    expect(check(arch, core)).toEqual([]);
  });
});

describe('ops, hashes and reference counts', () => {
  it('empty filter means every function; notrace wins; counts follow ops in and out', () => {
    const { arch, core } = boot();
    const a = tracer('a');
    const b = tracer('b');
    expect(run(core.ftraceSetNotrace(a, 'schedule', true))).toBe(0);
    expect(run(core.registerFtraceFunction(a))).toBe(0);
    const count = (f: string): number => core.records.lookup(ip(f))!.count;
    expect(FUNCS.map(count)).toEqual(FUNCS.map((f) => (f === 'schedule' ? 0 : 1)));
    expect(arch.text.get(ip('schedule'))).toBe(null);
    expect(arch.text.get(ip('vfs_read'))).toBe(arch.ftraceCaller);
    expect(check(arch, core)).toEqual([]);

    expect(run(core.ftraceSetFilter(b, 'vfs_* schedule', true))).toBe(0);
    expect(run(core.ftraceSetNotrace(b, 'vfs_write', true))).toBe(0);
    expect(run(core.registerFtraceFunction(b))).toBe(0);
    expect(FUNCS.map(count)).toEqual([1, 2, 1, 1, 1, 1, 1, 1]);
    expect(check(arch, core)).toEqual([]);
    // Both reach vfs_read through the list function; only a reaches vfs_write.
    expect(core.callerFunc).toBe(core.listFunc);
    expect(execSite(arch, core, ip('vfs_read')).map((c) => c.owner).sort()).toEqual(['a', 'b']);
    expect(execSite(arch, core, ip('vfs_write')).map((c) => c.owner)).toEqual(['a']);
    expect(execSite(arch, core, ip('schedule')).map((c) => c.owner)).toEqual(['b']);

    expect(run(core.unregisterFtraceFunction(a))).toBe(0);
    expect(FUNCS.map(count)).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
    expect(arch.text.get(ip('kmalloc'))).toBe(null);
    expect(core.callerFunc).toBe(core.opsRawFunc(b));
    expect(check(arch, core)).toEqual([]);
    expect(run(core.unregisterFtraceFunction(b))).toBe(0);
    expect(FUNCS.map(count)).toEqual(FUNCS.map(() => 0));
    for (const r of core.allRecords()) expect(arch.text.get(r.ip)).toBe(null);
    expect(core.callerFunc).toBe(core.ftraceStub);
    expect(run(core.unregisterFtraceFunction(b))).toBe(-EBUSY);
    expect(check(arch, core)).toEqual([]);
  });

  it('filters: append vs replace, !, index, no match is -EINVAL and changes nothing', () => {
    const { core } = boot();
    const a = tracer('a');
    expect(run(core.ftraceSetFilter(a, 'vfs_read', true))).toBe(0);
    expect(run(core.ftraceSetFilter(a, 'do_sys_open', false))).toBe(0);
    expect([...a.filterHash]).toEqual([ip('vfs_read'), ip('do_sys_open')]);
    expect(run(core.ftraceSetFilter(a, '!vfs_read', false))).toBe(0);
    expect([...a.filterHash]).toEqual([ip('do_sys_open')]);
    expect(run(core.ftraceSetFilter(a, 'no_such_function', false))).toBe(-EINVAL);
    expect(run(core.ftraceSetFilter(a, 'vfs_read nope*', false))).toBe(-EINVAL);
    expect([...a.filterHash]).toEqual([ip('do_sys_open')]);
    expect(run(core.ftraceSetFilter(a, '2', true))).toBe(0);
    expect([...a.filterHash]).toEqual([ip('vfs_read')]);
    expect(run(core.ftraceSetFilter(a, '*_handler', true))).toBe(0);
    expect([...a.filterHash]).toEqual([ip('tick_handler'), ip('nmi_handler')]);
    expect(run(core.ftraceSetFilter(a, 'vfs_*:bad', true))).toBe(-EINVAL);
    expect(run(core.ftraceSetFilterIp(a, ip('kmalloc') + 1n, false, true))).toBe(-EINVAL);
    expect(run(core.ftraceSetFilterIp(a, ip('kmalloc'), false, true))).toBe(0);
    expect([...a.filterHash]).toEqual([ip('kmalloc')]);
  });

  it('changing the filter of a registered ops moves its sites', () => {
    const { arch, core } = boot();
    const a = tracer('a');
    run(core.ftraceSetFilter(a, 'vfs_read', true));
    run(core.registerFtraceFunction(a));
    expect(arch.text.get(ip('vfs_read'))).toBe(arch.ftraceCaller);
    run(core.ftraceSetFilter(a, 'schedule', true));
    expect(arch.text.get(ip('vfs_read'))).toBe(null);
    expect(arch.text.get(ip('schedule'))).toBe(arch.ftraceCaller);
    expect(check(arch, core)).toEqual([]);
    run(core.ftraceSetNotrace(a, 'schedule', true));
    expect(arch.text.get(ip('schedule'))).toBe(null);
    expect(check(arch, core)).toEqual([]);
  });

  it('own trampoline only with one ops; the regs caller when any wants regs; the list function when several', () => {
    const { arch, core } = boot(['a']);
    const a = tracer('a');
    const r = tracer('r', FTRACE_OPS_FL_SAVE_REGS);
    run(core.ftraceSetFilter(a, 'vfs_read vfs_write', true));
    run(core.registerFtraceFunction(a));
    expect(a.trampoline).not.toBe(0n);
    expect(arch.text.get(ip('vfs_read'))).toBe(a.trampoline);
    expect(core.records.lookup(ip('vfs_read'))!.has(FTRACE_FL_TRAMP)).toBe(true);
    expect(core.callerFunc).toBe(core.opsRawFunc(a));

    run(core.ftraceSetFilter(r, 'vfs_read schedule', true));
    run(core.registerFtraceFunction(r));
    expect(arch.text.get(ip('vfs_read'))).toBe(arch.ftraceRegsCaller);
    expect(arch.text.get(ip('vfs_write'))).toBe(a.trampoline);
    expect(arch.text.get(ip('schedule'))).toBe(arch.ftraceRegsCaller);
    expect(core.records.lookup(ip('vfs_read'))!.has(FTRACE_FL_REGS)).toBe(true);
    expect(core.callerFunc).toBe(core.listFunc);
    expect(check(arch, core)).toEqual([]);
    // A SAVE_REGS ops is never called without regs, even by the list function.
    calls.length = 0;
    core.listFunc.call(ip('vfs_read'), 0n, core.functionTraceOp, null, ctxNormal());
    expect(calls.map((c) => c.owner)).toEqual(['a']);

    run(core.unregisterFtraceFunction(r));
    expect(arch.text.get(ip('vfs_read'))).toBe(a.trampoline);
    expect(arch.text.get(ip('schedule'))).toBe(null);
    expect(core.records.lookup(ip('vfs_read'))!.has(FTRACE_FL_REGS)).toBe(false);
    expect(check(arch, core)).toEqual([]);
  });

  it('a RECURSION ops alone is called through the assist function', () => {
    const { core } = boot();
    const a = tracer('a', FTRACE_OPS_FL_RECURSION);
    run(core.registerFtraceFunction(a));
    expect(core.callerFunc).toBe(core.assistFunc);
  });

  it('a DYNAMIC ops frees its trampoline only after the RCU-tasks wait', () => {
    const { arch, core } = boot(['d']);
    const d = tracer('d', FTRACE_OPS_FL_DYNAMIC);
    run(core.ftraceSetFilter(d, 'vfs_read', true));
    run(core.registerFtraceFunction(d));
    const tramp = d.trampoline;
    expect(tramp).not.toBe(0n);
    const g = core.unregisterFtraceFunction(d);
    let freedBeforeRcu = false;
    for (let r = g.next(); !r.done; r = g.next()) {
      if (!arch.log.some((e) => e.kind === 'rcu') && !arch.tramps.has(tramp)) freedBeforeRcu = true;
    }
    expect(freedBeforeRcu).toBe(false);
    expect(arch.tramps.has(tramp)).toBe(false);
    expect(arch.log.at(-1)).toEqual({ kind: 'rcu' });
  });
});

describe('IPMODIFY', () => {
  it('one IPMODIFY ops per function: the second gets -EBUSY and changes nothing', () => {
    const { arch, core } = boot();
    const lp = tracer('lp', FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_SAVE_REGS);
    const lp2 = tracer('lp2', FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_SAVE_REGS);
    const all = tracer('all', FTRACE_OPS_FL_IPMODIFY);
    expect(run(core.registerFtraceFunction(all))).toBe(-EINVAL);
    expect(core.opsList).toEqual([]);
    run(core.ftraceSetFilter(lp, 'vfs_read', true));
    expect(run(core.registerFtraceFunction(lp))).toBe(0);
    run(core.ftraceSetFilter(lp2, 'vfs_write vfs_read', true));
    const before = [...core.allRecords()].map((r) => r.flags);
    expect(run(core.registerFtraceFunction(lp2))).toBe(-EBUSY);
    expect([...core.allRecords()].map((r) => r.flags)).toEqual(before);
    expect(core.opsList).toEqual([lp]);
    expect(check(arch, core)).toEqual([]);
    // Moving lp2 elsewhere is fine; moving the registered lp onto lp2's function is refused.
    run(core.ftraceSetFilter(lp2, 'vfs_write', true));
    expect(run(core.registerFtraceFunction(lp2))).toBe(0);
    expect(run(core.ftraceSetFilter(lp, 'vfs_write', false))).toBe(-EBUSY);
    expect([...lp.filterHash]).toEqual([ip('vfs_read')]);
    expect(check(arch, core)).toEqual([]);
    expect(showEnabledFunctions(core)).toBe(
      // count, then the R I D O M columns (two characters each, M three), then the callers' target
      `vfs_read (1) R I${' '.repeat(4)} M  ->ftrace_ops_list_func+0x0/0x170\n` +
        `vfs_write (1) R I${' '.repeat(4)} M  ->ftrace_ops_list_func+0x0/0x170\n`,
    );
  });
});

describe('the update engine order (invariant 9)', () => {
  it('caller -> list function first, then the sites, then op + sync + final function, graph last', () => {
    const { arch, core } = boot();
    const a = tracer('a');
    run(core.ftraceSetFilter(a, 'vfs_read schedule', true));
    const g = core.ftraceStartup(a, FTRACE_START_FUNC_RET);
    expect(run(g)).toBe(0);
    expect(arch.log).toEqual([
      { kind: 'func', func: 'ftrace_ops_list_func' },
      { kind: 'site', ip: ip('vfs_read'), to: arch.ftraceCaller },
      { kind: 'site', ip: ip('schedule'), to: arch.ftraceCaller },
      { kind: 'sync' },
      { kind: 'func', func: 'a' },
      { kind: 'graph', on: true },
    ]);
    expect(core.functionTraceOp).toBe(a);
  });

  /** The scenarios: each op changes the set of ops while some stay registered. */
  function scenarios(variant: (arch: FakeArch) => FtraceCore): string[] {
    const problems: string[] = [];
    const mk = (): { arch: FakeArch; core: FtraceCore; A: FtraceOps; B: FtraceOps; C: FtraceOps } => {
      const arch = new FakeArch(SYMS.map((s) => s.start));
      arch.trampFor.add('A');
      const core = variant(arch);
      core.ftraceInit(SYMS.map((s) => s.start), resolve);
      const A = tracer('A', FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_SAVE_REGS);
      const B = tracer('B');
      const C = tracer('C');
      run(core.ftraceSetFilter(A, 'vfs_read', true));
      run(core.ftraceSetFilter(B, 'vfs_write schedule', true));
      run(core.ftraceSetFilter(C, 'vfs_read vfs_write', true));
      return { arch, core, A, B, C };
    };
    // 1. A (own trampoline) alone; B comes and goes.
    {
      const { arch, core, A, B } = mk();
      run(core.registerFtraceFunction(A));
      const p = watchInvariant9(arch, core, [A], [A, B]);
      run(core.registerFtraceFunction(B));
      run(core.unregisterFtraceFunction(B));
      problems.push(...p);
    }
    // 2. A and C share vfs_read; C goes (A back on its trampoline), then comes back.
    {
      const { arch, core, A, B, C } = mk();
      run(core.registerFtraceFunction(A));
      run(core.registerFtraceFunction(C));
      const p = watchInvariant9(arch, core, [A], [A, B, C]);
      run(core.unregisterFtraceFunction(C));
      run(core.registerFtraceFunction(C));
      problems.push(...p);
    }
    // 3. B and C registered (no trampolines); C goes, leaving B called directly by the caller.
    {
      const { arch, core, A, B, C } = mk();
      run(core.registerFtraceFunction(B));
      run(core.registerFtraceFunction(C));
      const p = watchInvariant9(arch, core, [B], [A, B, C]);
      run(core.unregisterFtraceFunction(C));
      run(core.registerFtraceFunction(C));
      problems.push(...p);
    }
    // 4. B alone (function_trace_op = B), C joins, then B goes: C is left alone and called directly.
    {
      const { arch, core, A, B, C } = mk();
      run(core.registerFtraceFunction(B));
      run(core.registerFtraceFunction(C));
      const p = watchInvariant9(arch, core, [C], [A, B, C]);
      run(core.unregisterFtraceFunction(B));
      problems.push(...p);
    }
    return problems;
  }

  it('the kernel order: no step calls nothing for a wanted site, nor an ops for a site it does not want', () => {
    expect(scenarios((arch) => new FtraceCore(arch))).toEqual([]);
  });

  class SitesFirst extends FtraceCore {
    protected override *ftraceModifyAllCode(command: number): FtraceCall<void> {
      if (command & FTRACE_UPDATE_CALLS) yield* this.ftraceReplaceCode(true);
      else if (command & FTRACE_DISABLE_CALLS) yield* this.ftraceReplaceCode(false);
      if (command & FTRACE_UPDATE_TRACE_FUNC) {
        this.functionTraceOp = this.ftraceTraceFunction === this.listFunc ? this.listEnd : this.opsList[0] ?? this.listEnd;
        yield* this.updateCallers(this.ftraceTraceFunction);
      }
    }
  }

  class FunctionBeforeOp extends FtraceCore {
    protected override *ftraceModifyAllCode(command: number): FtraceCall<void> {
      const update = (command & FTRACE_UPDATE_TRACE_FUNC) !== 0;
      if (update) yield* this.updateCallers(this.listFunc);
      if (command & FTRACE_UPDATE_CALLS) yield* this.ftraceReplaceCode(true);
      if (update && this.ftraceTraceFunction !== this.listFunc) {
        yield* this.updateCallers(this.ftraceTraceFunction);
        this.functionTraceOp = this.opsList[0] ?? this.listEnd;
      }
    }
  }

  it('negative control: moving the sites before the list function is installed is caught', () => {
    const p = scenarios((arch) => new SitesFirst(arch));
    expect(p.some((x) => x.includes('A called for vfs_write') || x.includes('B called for vfs_read'))).toBe(true);
  });

  it('negative control: installing the final function before publishing function_trace_op is caught', () => {
    const p = scenarios((arch) => new FunctionBeforeOp(arch));
    expect(p.some((x) => x.includes('C called with op B'))).toBe(true);
  });

  it('negative control: a backend that passes through the nop while a site moves is caught', () => {
    const p = scenarios((arch) => {
      arch.nopFirst = true;
      return new FtraceCore(arch);
    });
    expect(p.some((x) => x.includes('vfs_read does not call A'))).toBe(true);
  });
});

describe('failure during a live update', () => {
  it('a site whose bytes changed behind ftrace: nothing written, exact report, FAILED, -ENODEV afterwards', () => {
    const out: string[] = [];
    const { arch, core } = boot(['a'], out);
    const a = tracer('a');
    const b = tracer('b');
    run(core.ftraceSetFilter(a, 'vfs_read', true));
    run(core.registerFtraceFunction(a));
    arch.garbage.set(ip('vfs_read'), Uint8Array.from([0xcc, 0x90, 0x90, 0x90, 0x90]));
    const tramp = a.trampoline;
    const textBefore = new Map(arch.text);
    run(core.ftraceSetFilter(b, 'vfs_read do_sys_open', true));
    expect(run(core.registerFtraceFunction(b))).toBe(0);
    expect(arch.text).toEqual(textBefore);
    const hx = (v: Uint8Array): string => Array.from(v, (x) => x.toString(16).padStart(2, '0')).join(':');
    expect(out).toEqual([
      '------------[ ftrace bug ]------------\n' +
        'ftrace failed to modify \n' +
        '[<ffffffff81000040>] vfs_read+0x0/0x40\n' +
        ' actual:   cc:90:90:90:90\n' +
        ` expected: ${hx(arch.siteBytes(ip('vfs_read'), tramp))}\n` +
        'Updating ftrace call site to call a different ftrace function\n' +
        'ftrace record flags: 88100002\n' +
        ` (2)    \ttramp: 0x${tramp.toString(16)} (a+0x0/0x170)\n` +
        ` expected tramp: ${tramp.toString(16)}\n`,
    ]);
    expect(core.records.lookup(ip('vfs_read'))!.failed).toBe(true);
    expect(core.disabled).toBe(true);
    expect(run(core.unregisterFtraceFunction(b))).toBe(-ENODEV);
    expect(run(core.registerFtraceFunction(tracer('c')))).toBe(-ENODEV);
    // ftrace_kill: the callers end on the stub.
    expect(core.callerFunc).toBe(core.ftraceStub);
  });

  it('a write that does not stick mid-batch: the sites already written are committed, the report says -EPERM', () => {
    const out: string[] = [];
    const { arch, core } = boot([], out);
    arch.failWriteAt = ip('do_sys_open');
    const a = tracer('a');
    run(core.ftraceSetFilter(a, 'vfs_read do_sys_open schedule', true));
    expect(run(core.registerFtraceFunction(a))).toBe(0);
    expect(out).toEqual([
      '------------[ ftrace bug ]------------\n' +
        'ftrace faulted on writing \n' +
        '[<ffffffff810000c0>] do_sys_open+0x0/0x40\n' +
        'Setting ftrace call site to call ftrace function\n' +
        'ftrace record flags: 100001\n' +
        ' (1)    \n' +
        ' expected tramp: ffffffff81e00000\n',
    ]);
    expect(arch.text.get(ip('vfs_read'))).toBe(arch.ftraceCaller);
    expect(arch.text.get(ip('schedule'))).toBe(null);
    expect(core.records.lookup(ip('vfs_read'))!.has(FTRACE_FL_ENABLED)).toBe(true);
    // schedule was never written: its record still says nop, and the checker agrees with the text
    // once ftrace is dead (wanted-but-not-enabled is then expected).
    expect(check(arch, core)).toEqual([]);
    expect(core.disabledReason).toBe('ftrace bug at do_sys_open+0x0/0x40 (-EPERM); ftrace is disabled');
  });

  it('the invariant-8 checker catches a wrong count and wrong bytes (negative controls)', () => {
    const { arch, core } = boot();
    const a = tracer('a');
    run(core.ftraceSetFilter(a, 'vfs_read', true));
    run(core.registerFtraceFunction(a));
    expect(check(arch, core)).toEqual([]);
    arch.text.set(ip('vfs_write'), arch.ftraceCaller);
    expect(check(arch, core)).toEqual([expect.stringContaining('vfs_write: bytes e8')]);
    arch.text.set(ip('vfs_write'), null);
    const rec = core.records.lookup(ip('vfs_read'))!;
    rec.flags += 1;
    expect(check(arch, core)).toEqual(['vfs_read: reference count 2, but 1 registered ops match']);
  });
});

describe('introspection text', () => {
  it('enabled_functions and touched_functions as the kernel prints them', () => {
    const { core } = boot(['a']);
    const a = tracer('a');
    const r = tracer('r', FTRACE_OPS_FL_SAVE_REGS);
    run(core.ftraceSetFilter(a, 'vfs_read vfs_write', true));
    run(core.registerFtraceFunction(a));
    const t = `0x${a.trampoline.toString(16)}`;
    expect(showEnabledFunctions(core)).toBe(
      `vfs_read (1)${' '.repeat(11)}\ttramp: ${t} (a+0x0/0x170) ->a+0x0/0x170\n` +
        `vfs_write (1)${' '.repeat(11)}\ttramp: ${t} (a+0x0/0x170) ->a+0x0/0x170\n`,
    );
    run(core.ftraceSetFilter(r, 'vfs_read', true));
    run(core.registerFtraceFunction(r));
    expect(showEnabledFunctions(core)).toBe(
      `vfs_read (2) R${' '.repeat(9)} ->ftrace_ops_list_func+0x0/0x170\n` +
        `vfs_write (1)${' '.repeat(11)}\ttramp: ${t} (a+0x0/0x170) ->a+0x0/0x170\n`,
    );
    run(core.unregisterFtraceFunction(r));
    run(core.unregisterFtraceFunction(a));
    expect(showEnabledFunctions(core)).toBe('');
    expect(showTouchedFunctions(core)).toBe(
      `vfs_read (0)${' '.repeat(11)} ->ftrace_stub+0x0/0x170\n` + `vfs_write (0)${' '.repeat(11)} ->ftrace_stub+0x0/0x170\n`,
    );
  });
});

describe('recursion protection', () => {
  it('per context: one transition level in the same context, then refused; another context gets through', () => {
    const { core } = boot();
    const ctx: TraceCtx = { recursion: { bits: 0 }, context: 'normal' };
    let depth = 0;
    const seen: string[] = [];
    const a = new FtraceOps('a', (ip) => {
      seen.push(`${ctx.context}@${depth}`);
      if (depth++ < 4) core.listFunc.call(ip, 0n, core.listEnd, null, ctx);
    });
    const b = tracer('b');
    run(core.registerFtraceFunction(a));
    run(core.registerFtraceFunction(b));
    core.listFunc.call(ip('vfs_read'), 0n, core.listEnd, null, ctx);
    expect(seen).toEqual(['normal@0', 'normal@1']);
    expect(core.recursionMisses.length).toBe(1);
    expect(ctx.recursion.bits).toBe(0);
    // An interrupt in the middle of a traced call: a different context is not recursion.
    seen.length = 0;
    depth = 0;
    const irqCtx: TraceCtx = { recursion: ctx.recursion, context: 'irq' };
    const c = new FtraceOps('c', (ip) => {
      seen.push(`c@${depth}`);
      if (depth++ === 0) core.listFunc.call(ip, 0n, core.listEnd, null, irqCtx);
    });
    run(core.unregisterFtraceFunction(a));
    run(core.registerFtraceFunction(c));
    core.listFunc.call(ip('vfs_read'), 0n, core.listEnd, null, ctx);
    expect(seen).toEqual(['c@0', 'c@1']);
    expect(ctx.recursion.bits).toBe(0);
  });

  it('negative control: without the recursion bit, the same nesting goes as deep as it is allowed to', () => {
    const { core } = boot();
    let depth = 0;
    const a = new FtraceOps('a', (ip, p, op, regs) => {
      if (depth++ < 4) a.func(ip, p, op, regs);
    });
    run(core.registerFtraceFunction(a));
    core.callerFunc.call(ip('vfs_read'), 0n, core.functionTraceOp, null, ctxNormal());
    expect(depth).toBe(5);
  });
});

describe('modules', () => {
  const MOD_SYMS: FtraceSymbol[] = [
    { name: 'mod_init', start: 0xffffffffa0000000n, size: 0x40, module: 'demo' },
    { name: 'mod_read', start: 0xffffffffa0000040n, size: 0x40, module: 'demo' },
  ];
  const modResolve = (a: bigint): FtraceSymbol | undefined => MOD_SYMS.find((s) => a >= s.start && a < s.start + 0x40n);

  it('load: DISABLED and nopped, then enabled for the ops already registered; unload drops the group', () => {
    const { arch, core } = boot();
    for (const s of MOD_SYMS) arch.text.set(s.start, arch.mcountAddr);
    const a = tracer('a');
    run(core.ftraceSetFilter(a, 'vfs_read', true));
    run(core.registerFtraceFunction(a));
    const all = tracer('all');
    run(core.registerFtraceFunction(all));

    expect(core.ftraceModuleInit('demo', MOD_SYMS.map((s) => s.start), modResolve)).toBe(0);
    const mrec = core.records.lookup(MOD_SYMS[1]!.start)!;
    expect(mrec.has(FTRACE_FL_DISABLED)).toBe(true);
    expect(arch.text.get(mrec.ip)).toBe(null);
    expect(showAvailableFilterFunctions(core)).not.toContain('[demo]');
    expect(run(core.ftraceModuleEnable('demo'))).toBe(0);
    expect(mrec.has(FTRACE_FL_DISABLED)).toBe(false);
    expect(mrec.count).toBe(1);
    expect(mrec.has(FTRACE_FL_ENABLED)).toBe(true);
    expect(arch.text.get(mrec.ip)).toBe(arch.ftraceCaller);
    expect(check(arch, core)).toEqual([]);
    expect(showAvailableFilterFunctions(core)).toBe(FUNCS.map((f) => f + '\n').join('') + 'mod_init [demo]\nmod_read [demo]\n');
    expect(showDynFtraceTotalInfo(core)).toBe('10 pages:2 groups: 2\n');

    // A filter on the module's function, then unload: the hash must not become "every function".
    const m = tracer('m');
    expect(run(core.ftraceSetFilter(m, ':mod:demo', true))).toBe(0);
    expect(m.filterHash.size).toBe(2);
    expect(run(core.ftraceSetFilter(m, 'mod_read:mod:demo', true))).toBe(0);
    expect([...m.filterHash]).toEqual([MOD_SYMS[1]!.start]);
    run(core.registerFtraceFunction(m));
    expect(mrec.count).toBe(2);
    expect(run(core.ftraceReleaseMod('demo'))).toBe(0);
    expect(core.records.lookup(mrec.ip)).toBeUndefined();
    expect(m.filterHash.size).toBe(1);
    expect(hashContainsIp(m, ip('vfs_read'))).toBe(false);
    expect(showDynFtraceTotalInfo(core)).toBe('8 pages:1 groups: 1\n');
    expect(check(arch, core)).toEqual([]);
  });
});
