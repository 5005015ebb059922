// livepatch.test.ts — the minimal livepatch (src/livepatch/patch.ts): crc32_le live-patched to crc32_le_v2 on 4 busy CPUs with NMIs, every call followed to the function it ran; the int3_skip negative control; -EBUSY for a second IPMODIFY ops; klpDisable; precise errors.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, type Booted, type FtraceBootOptions } from '../src/runner.js';
import { parseElf } from '../src/loader/elf.js';
import { checkX86Records } from '../src/arch/x86/ftrace.js';
import { FtraceOps, FTRACE_OPS_FL_IPMODIFY, FTRACE_OPS_FL_SAVE_REGS } from '../src/ftrace/ops.js';
import { FTRACE_FL_ENABLED, FTRACE_FL_IPMODIFY, FTRACE_FL_REGS_EN } from '../src/ftrace/record.js';
import { EBUSY, EINVAL } from '../src/ftrace/arch.js';
import { Livepatch, klpImageResolver, runBeforeBoot, type KlpResult } from '../src/livepatch/patch.js';
import { addrToNum } from '../src/machine/memory.js';
import type { FlowMonitor } from '../src/machine/x86/cpu.js';
import type { Task } from '../src/kernel/sched.js';
import { runLive, runFor, runUntilSmp, isProblem } from './helpers/live.js';

const KERNEL = fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url));
const image = readFileSync(KERNEL);
const img = parseElf(image, 'vmlinux');
const resolver = klpImageResolver(img);

const OLD = 'crc32_le';
const NEW = 'crc32_le_v2';
const NCPUS = 4;

/** When a call of the old function began, relative to the patch. */
type Phase = 'before' | 'enabling' | 'patched' | 'disabling' | 'unpatched';
const PHASES: readonly Phase[] = ['before', 'enabling', 'patched', 'disabling', 'unpatched'];

interface Frame {
  returnTo: number;
  cpu: number;
  phase: Phase;
  /** The phase in which this call trapped on the int3 at the old function's site, if it did. */
  hitPhase: Phase | null;
  /** The regs caller returned into the new function (the livepatch redirected this call). */
  ranNew: boolean;
}

interface PhaseCount {
  /** Calls of the old function that began in this phase and returned. */
  calls: number;
  /** Of them, those redirected to the new function. */
  ranNew: number;
  /** Per CPU: calls that began in this phase and ran the new function. */
  ranNewPerCpu: number[];
  /** Calls that trapped on the int3 at the site in this phase, and how many of those ran the new function. */
  hits: number;
  hitsRanNew: number;
  /** #BP deliveries at the site seen in this phase (the trap, before the handler). */
  int3Seen: number;
}

/**
 * Follows every call of the old function to what it ran, per task, from the CPUs' call/ret/interrupt
 * events (a wrapper around the flow monitor): a call is pushed when a CPU calls the old function; it is
 * marked redirected when a `ret` lands on the new function's first byte (only the regs caller's return
 * to regs->ip goes there: nothing in the image calls it), marked as having hit the int3 when #BP is
 * delivered with the return address site+1, and closed by the `ret` to its return address.
 */
class CallTracker {
  phase: Phase = 'before';
  readonly counts = new Map<Phase, PhaseCount>(PHASES.map((p) => [p, { calls: 0, ranNew: 0, ranNewPerCpu: new Array<number>(NCPUS).fill(0), hits: 0, hitsRanNew: 0, int3Seen: 0 }]));
  private readonly stacks = new Map<Task, Frame[]>();

  constructor(private readonly b: Booted, oldAddr: bigint, newAddr: bigint) {
    const oldFn = addrToNum(oldAddr);
    const newFn = addrToNum(newAddr);
    const int3Ret = oldFn + 1;
    for (const c of b.kernel.cpus) {
      const inner = c.flow!;
      const wrapped: FlowMonitor = {
        onCall: (cpu, next) => {
          if (cpu.rip === oldFn) this.stack(cpu.id).push({ returnTo: next, cpu: cpu.id, phase: this.phase, hitPhase: null, ranNew: false });
          inner.onCall(cpu, next);
        },
        onRet: (cpu, target) => {
          const st = this.stack(cpu.id);
          const top = st[st.length - 1];
          if (top !== undefined) {
            if (target === newFn) top.ranNew = true;
            else if (target === top.returnTo) this.close(st.pop()!);
          }
          return inner.onRet(cpu, target);
        },
        onInterrupt: (cpu, vector, returnTo) => {
          if (vector === 3 && returnTo === int3Ret) {
            this.count(this.phase).int3Seen++;
            const st = this.stack(cpu.id);
            const top = st[st.length - 1];
            if (top !== undefined && top.hitPhase === null) top.hitPhase = this.phase;
          }
          return inner.onInterrupt(cpu, vector, returnTo);
        },
        onIret: (cpu, target) => inner.onIret(cpu, target),
      };
      c.flow = wrapped;
    }
  }

  private stack(cpu: number): Frame[] {
    const t = this.b.kernel.sched.current[cpu];
    let s = this.stacks.get(t);
    if (s === undefined) {
      s = [];
      this.stacks.set(t, s);
    }
    return s;
  }

  count(p: Phase): PhaseCount {
    return this.counts.get(p)!;
  }

  private close(f: Frame): void {
    const c = this.count(f.phase);
    c.calls++;
    if (f.ranNew) {
      c.ranNew++;
      c.ranNewPerCpu[f.cpu]++;
    }
    if (f.hitPhase !== null) {
      const h = this.count(f.hitPhase);
      h.hits++;
      if (f.ranNew) h.hitsRanNew++;
    }
  }

  /** Calls still in progress (a task inside the old function, or preempted there). */
  open(filter: (f: Frame) => boolean = () => true): number {
    let n = 0;
    for (const s of this.stacks.values()) n += s.filter(filter).length;
    return n;
  }
}

/** A per-CPU unsigned long counter array of the bundled kernel (crc32_le_calls, crc32_le_v2_calls). */
function counters(b: Booted, name: string): number[] {
  const at = b.symbols.lookup(name);
  if (at === undefined) throw new Error(`no ${name} in the image`);
  return Array.from({ length: NCPUS }, (_, i) => Number(b.machine.mem.readU64(at + BigInt(8 * i))));
}
const sum = (xs: number[]): number => xs.reduce((a, x) => a + x, 0);

interface LiveRun {
  tracker: CallTracker;
  /** Problems a correct livepatch never shows; the negative control must show some. */
  problems: string[];
  /** int3 claims the text_poke handler made at the old function's site while the patch was being enabled. */
  claimsEnabling: number;
  /** The callback's redirect count, and the new function's own count in guest memory, at the end. */
  redirected: number;
  v2Calls: number[];
  /** Runs of the old function's body after each enable completed, and the calls then still in it. */
  oldAfterEnable: number[];
  inFlightAtEnable: number[];
  oldUnpatched: number;
  recordViolations: string[];
  lp: Livepatch;
  b: Booted;
}

/** Negative controls: leave out klpEnable (the phases move on as if it had run) or klpDisable in a round. */
type Sabotage = (round: number) => { noEnable?: boolean; noDisable?: boolean };

/**
 * Boot the bundled kernel on 4 CPUs with NMIs, let the SMP workload start, then `rounds` times: enable the
 * livepatch live from a writer task, run, disable it live, run. Every call of crc32_le is followed.
 */
function liveRun(seed: number, rounds: number, ftrace: FtraceBootOptions = {}, sabotage?: Sabotage): LiveRun {
  const b = boot(image, 'vmlinux', {
    cpus: NCPUS, seed, nmiRate: 20, maxQuantum: 200, ftrace,
    pokeSymbols: { workload_iterations: 50n, smp_workload_iterations: 100_000n },
  });
  const ft = b.ftrace!;
  const oldAddr = b.symbols.lookup(OLD)!;
  const newAddr = b.symbols.lookup(NEW)!;
  const tracker = new CallTracker(b, oldAddr, newAddr);
  const lp = new Livepatch(ft.core, resolver, { currentCpu: () => ft.arch.current?.id ?? null });
  const out: LiveRun = {
    tracker, problems: [], claimsEnabling: 0, redirected: 0, v2Calls: [], oldAfterEnable: [], inFlightAtEnable: [], oldUnpatched: 0,
    recordViolations: [], lp, b,
  };
  const step = (what: string, r: KlpResult | { what: string } | null): boolean => {
    if (r === null) return true;
    if (isProblem(r)) out.problems.push(`${what}: ${r.what}`);
    else if (r.err) out.problems.push(`${what}: ${r.message}`);
    else return true;
    return false;
  };
  const records = (when: string): void => {
    for (const v of checkX86Records(ft.core, ft.arch)) out.recordViolations.push(`${when}: ${v}`);
  };
  if (!step('boot', runUntilSmp(b)) || !step('run', runFor(b, 200_000))) return out;
  const claimsAt = (): number => b.kernel.poke.int3ClaimsAt.get(oldAddr) ?? 0;
  for (let round = 0; round < rounds; round++) {
    tracker.phase = 'enabling';
    const c0 = claimsAt();
    const skip = sabotage?.(round) ?? {};
    if (skip.noEnable) {
      if (!step(`round ${round} (no enable)`, runFor(b, 100_000))) return out;
    } else if (!step(`round ${round} enable`, runLive(b, (seed + round) % NCPUS, lp.klpEnable(OLD, NEW)))) return out;
    out.claimsEnabling += claimsAt() - c0;
    records(`round ${round} after enable`);
    tracker.phase = 'patched';
    // a task inside the old function (past its site) when the patch completed finishes it there
    out.inFlightAtEnable.push(tracker.open((f) => !f.ranNew));
    const old0 = sum(counters(b, 'crc32_le_calls'));
    if (!step(`round ${round} patched`, runFor(b, 250_000))) return out;
    out.oldAfterEnable.push(sum(counters(b, 'crc32_le_calls')) - old0);
    tracker.phase = 'disabling';
    const f = lp.funcs.get(OLD);
    if (skip.noDisable || f === undefined) {
      if (!step(`round ${round} (no disable)`, runFor(b, 100_000))) return out;
    } else {
      if (!step(`round ${round} disable`, runLive(b, (seed + round + 1) % NCPUS, lp.klpDisable(OLD)))) return out;
      out.redirected += f.redirected;
    }
    records(`round ${round} after disable`);
    tracker.phase = 'unpatched';
    const old1 = sum(counters(b, 'crc32_le_calls'));
    if (!step(`round ${round} unpatched`, runFor(b, 100_000))) return out;
    out.oldUnpatched += sum(counters(b, 'crc32_le_calls')) - old1;
  }
  out.v2Calls = counters(b, 'crc32_le_v2_calls');
  return out;
}

/** What a correct livepatch guarantees about the calls a live run followed; each broken guarantee is one line. */
function redirectionProblems(r: LiveRun): string[] {
  const out: string[] = [];
  const patched = r.tracker.count('patched');
  if (patched.ranNew !== patched.calls) out.push(`${patched.calls - patched.ranNew} of ${patched.calls} calls that began after the patch completed ran the old function`);
  for (let i = 0; i < r.oldAfterEnable.length; i++) {
    if (r.oldAfterEnable[i] > r.inFlightAtEnable[i]) {
      out.push(`round ${i}: the old body ran ${r.oldAfterEnable[i]} times after the patch completed, with only ${r.inFlightAtEnable[i]} calls in it then`);
    }
  }
  const enabling = r.tracker.count('enabling');
  if (enabling.hitsRanNew !== enabling.hits) {
    out.push(`${enabling.hits - enabling.hitsRanNew} of ${enabling.hits} calls that hit the int3 at ${OLD} while the patch was being enabled ran the old function`);
  }
  return out;
}

/** What klpDisable guarantees: calls that begin after it completed run the old function. */
function restoreProblems(r: LiveRun): string[] {
  const u = r.tracker.count('unpatched');
  return u.ranNew > 0 ? [`${u.ranNew} of ${u.calls} calls that began after the patch was disabled ran the new function`] : [];
}

describe('livepatch: crc32_le -> crc32_le_v2, live on 4 busy CPUs with NMIs', () => {
  it('every call that begins after klpEnable completes runs crc32_le_v2, on every CPU; calls that hit the int3 mid-transition are redirected too; klpDisable brings the old function back; records agree with text after each step', () => {
    let hits = 0;
    let claims = 0;
    const lines: string[] = [];
    // two seeds, and more until some call has hit the int3 at crc32_le mid-transition (at most 5)
    for (let seed = 1; seed <= 5 && (seed <= 2 || hits === 0); seed++) {
      const r = liveRun(seed, 2);
      expect(r.problems).toEqual([]);
      expect(r.recordViolations).toEqual([]);
      expect(redirectionProblems(r)).toEqual([]);
      expect(restoreProblems(r)).toEqual([]);
      const t = r.tracker;
      const patched = t.count('patched');
      const unpatched = t.count('unpatched');
      // the patched phase saw many calls, every one redirected, on every CPU
      expect(patched.calls).toBeGreaterThan(40);
      expect(patched.ranNewPerCpu.every((n) => n > 0)).toBe(true);
      // guest memory agrees: crc32_le_v2 ran on every CPU, exactly the calls the handler redirected but
      // for those still between the handler and crc32_le_v2's counter
      const v2 = sum(r.v2Calls);
      expect(r.v2Calls.every((n) => n > 0)).toBe(true);
      expect(r.lp.funcs.get(OLD)).toBeUndefined(); // disabled at the end
      const closedRanNew = sum(PHASES.map((p) => t.count(p).ranNew));
      expect(v2).toBeGreaterThanOrEqual(closedRanNew);
      expect(v2).toBeLessThanOrEqual(r.redirected);
      expect(r.redirected - closedRanNew).toBeLessThanOrEqual(t.open());
      // after klpDisable: the old function again, never the new one
      expect(unpatched.calls).toBeGreaterThan(20);
      expect(r.oldUnpatched).toBeGreaterThanOrEqual(unpatched.calls);
      // the #BP handler's claims at the site while enabling are the traps the CPUs took there
      expect(t.count('enabling').int3Seen).toBe(r.claimsEnabling);
      hits += t.count('enabling').hits;
      claims += r.claimsEnabling;
      lines.push(`seed ${seed}: ${patched.calls} calls after enable all ran ${NEW} (per CPU ${patched.ranNewPerCpu.join('/')}), ` +
        `${t.count('enabling').hits} int3 hits at ${OLD} while enabling (all redirected), v2 counter ${v2} (handler ${r.redirected}), ` +
        `old body after enable ${r.oldAfterEnable.join('+')} (in flight ${r.inFlightAtEnable.join('+')}), ${unpatched.calls} calls after disable ran ${OLD}`);
    }
    console.log(`livepatch live:\n  ${lines.join('\n  ')}`);
    expect(hits).toBeGreaterThan(0);
    expect(claims).toBeGreaterThanOrEqual(hits);
  });

  it('negative control: with the pre-2019 #BP handler (int3_skip), a call that hits the int3 while the patch is being enabled runs neither the handler nor crc32_le_v2 but the old function, and the check above reports it', () => {
    const found: string[] = [];
    let claims = 0;
    for (const seed of [1, 2, 3, 4]) {
      const r = liveRun(seed, 2, { protocol: 'int3_skip' });
      expect(r.problems).toEqual([]);
      claims += r.claimsEnabling;
      const bad = redirectionProblems(r).filter((p) => p.includes('hit the int3'));
      if (bad.length > 0) {
        found.push(`seed ${seed}: ${bad[0]}`);
        break;
      }
    }
    expect(claims).toBeGreaterThan(0);
    expect(found.length).toBe(1);
    expect(found[0]).toMatch(/\d+ of \d+ calls that hit the int3 at crc32_le while the patch was being enabled ran the old function/);
    console.log(`int3_skip control: ${found[0]}`);
  });
});

describe('livepatch: the checks above fire when the patch is not there', () => {
  it('negative control: a round whose klpEnable is left out has calls after "enable" run the old body (both checks report it); a round whose klpDisable is left out has calls after "disable" run the new one', () => {
    const r = liveRun(1, 2, {}, (round) => (round === 0 ? { noEnable: true } : { noDisable: true }));
    expect(r.problems).toEqual([]);
    const found = [...redirectionProblems(r), ...restoreProblems(r)];
    expect(found).toEqual([
      expect.stringMatching(/^\d+ of \d+ calls that began after the patch completed ran the old function$/),
      expect.stringMatching(/^round 0: the old body ran \d+ times after the patch completed, with only \d+ calls in it then$/),
      expect.stringMatching(/^\d+ of \d+ calls that began after the patch was disabled ran the new function$/),
    ]);
    console.log(`left-out enable/disable control:\n  ${found.join('\n  ')}`);
  });
});

describe('livepatch: refusals', () => {
  /** A booted machine with nothing run yet; kernel calls run to their end at once (before boot). */
  function fresh(): { b: Booted; lp: Livepatch } {
    const b = boot(image, 'vmlinux', { cpus: NCPUS });
    return { b, lp: new Livepatch(b.ftrace!.core, resolver) };
  }

  const site = (b: Booted): string => Array.from(b.ftrace!.arch.readSite(b.symbols.lookup(OLD)!)!, (x) => x.toString(16)).join(' ');

  it('a second IPMODIFY ops on a patched function gets -EBUSY and changes nothing; so does a second patch of it; klpDisable then restores the nop', () => {
    const { b, lp } = fresh();
    const ft = b.ftrace!;
    expect(runBeforeBoot(lp.klpEnable(OLD, NEW))).toEqual({ err: 0, message: '' });
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
    const rec = ft.core.records.lookup(b.symbols.lookup(OLD)!)!;
    expect(rec.has(FTRACE_FL_IPMODIFY) && rec.has(FTRACE_FL_ENABLED) && rec.has(FTRACE_FL_REGS_EN)).toBe(true);
    const flags = rec.flags;
    const bytes = site(b);
    const opsBefore = ft.core.opsList;
    // e.g. a kprobe with a post_handler: it also sets regs->ip
    const other = new FtraceOps('kprobe_ftrace_handler', () => {}, FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY);
    expect(runBeforeBoot(ft.core.ftraceSetFilter(other, OLD, true))).toBe(0);
    expect(runBeforeBoot(ft.core.registerFtraceFunction(other))).toBe(-EBUSY);
    expect(ft.core.opsList).toEqual(opsBefore);
    expect(rec.flags).toBe(flags);
    expect(site(b)).toBe(bytes);
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
    const again = runBeforeBoot(lp.klpEnable(OLD, 'jhash2_v2'));
    expect(again.err).toBe(-EBUSY);
    expect(again.message).toBe("livepatch: 'crc32_le' is already patched (to 'crc32_le_v2'); disable that patch first");
    expect(rec.flags).toBe(flags);
    expect(runBeforeBoot(lp.klpDisable(OLD))).toEqual({ err: 0, message: '' });
    expect(site(b)).toBe('f 1f 44 0 0');
    expect(rec.has(FTRACE_FL_IPMODIFY) || rec.has(FTRACE_FL_ENABLED)).toBe(false);
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
    expect(runBeforeBoot(lp.klpDisable(OLD))).toEqual({ err: -EINVAL, message: "livepatch: 'crc32_le' is not patched" });
  });

  it('klpEnable on a function another IPMODIFY ops owns: -EBUSY naming that ops, nothing changed', () => {
    const { b, lp } = fresh();
    const ft = b.ftrace!;
    const other = new FtraceOps('kprobe_ftrace_handler', () => {}, FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY);
    expect(runBeforeBoot(ft.core.ftraceSetFilter(other, OLD, true))).toBe(0);
    expect(runBeforeBoot(ft.core.registerFtraceFunction(other))).toBe(0);
    const bytes = site(b);
    const r = runBeforeBoot(lp.klpEnable(OLD, NEW));
    expect(r).toEqual({ err: -EBUSY, message: "livepatch: failed to register ftrace handler for function 'crc32_le' (-EBUSY): another IPMODIFY ops (kprobe_ftrace_handler) already modifies it" });
    expect(lp.funcs.size).toBe(0);
    expect(ft.core.opsList).toEqual([other]);
    expect(site(b)).toBe(bytes);
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
  });

  it('unknown names, data symbols, a function without an ftrace site and a function replacing itself get precise errors and change nothing', () => {
    const { b, lp } = fresh();
    const cases: [string, string, string][] = [
      ['no_such_fn', NEW, "livepatch: symbol 'no_such_fn' not found in symbol table"],
      [OLD, 'crc32_le_v3', "livepatch: replacement 'crc32_le_v3' for 'crc32_le' not found in symbol table"],
      ['jiffies', NEW, "livepatch: 'jiffies' is not a function"],
      [OLD, 'jiffies', "livepatch: replacement 'jiffies' for 'crc32_le' is not a function"],
      ['sched_clock', NEW, "livepatch: failed to find location for function 'sched_clock' (it has no ftrace site: not compiled with -pg -mfentry, or notrace)"],
      [OLD, OLD, "livepatch: 'crc32_le' cannot replace itself"],
    ];
    for (const [o, n, msg] of cases) {
      expect(runBeforeBoot(lp.klpEnable(o, n)), `${o}=${n}`).toEqual({ err: -EINVAL, message: msg });
    }
    expect(lp.funcs.size).toBe(0);
    expect(b.ftrace!.core.opsList).toEqual([]);
    expect(checkX86Records(b.ftrace!.core, b.ftrace!.arch)).toEqual([]);
  });
});

describe('the bundled kernel\'s replacement functions', () => {
  it('nothing in the image calls crc32_le_v2 or jhash2_v2, or holds their address (but __mcount_loc, for their own sites): they are reached only through a livepatch', () => {
    for (const name of ['crc32_le_v2', 'jhash2_v2']) {
      const addr = resolver(name)!.addr;
      const low32 = Number(addr & 0xffffffffn);
      let refs = 0;
      const mcount = img.sections.find((s) => s.name === '__mcount_loc')!;
      const isMcountLoc = (off: number): boolean => off >= mcount.offset && off < mcount.offset + mcount.size;
      for (const seg of img.segments) {
        const bytes = image.subarray(seg.offset, seg.offset + seg.filesz);
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let i = 0; i + 5 <= bytes.length; i++) {
          // a call or jmp rel32 to it
          if ((bytes[i] === 0xe8 || bytes[i] === 0xe9) && seg.vaddr + BigInt(i + 5 + dv.getInt32(i + 1, true)) === addr) refs++;
          // its address as an absolute (sign-extended 32-bit, or 64-bit) value
          if (dv.getUint32(i, true) === low32 && !isMcountLoc(seg.offset + i)) refs++;
        }
      }
      expect(refs, name).toBe(0);
    }
  });
});
