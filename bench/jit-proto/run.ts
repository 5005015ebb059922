// JIT prototype driver: profiles the kernel, forms units from the hottest blocks, validates the JS and wasm backends against the interpreter, measures them, prints JSON.

import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PERM_W, PERM_X, type Region } from '../../src/machine/memory.js';
import type { Cpu, CpuState } from '../../src/machine/x86/cpu.js';
import { profileKernel, type Profile } from './profile.js';
import { formUnit, type Unit } from './unit.js';
import { compileJs, jsSource, type UnitFn } from './js.js';
import { compileWasm, compileWasmMany, runWasm, wasmBytes, wasmBytesMany, WasmRuntime, type WasmFn } from './wasm.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const kernelPath = join(root, 'fixtures', 'vmlinux');
/** A positive integer from the environment, or a precise message and exit status 2 (no stack trace). */
function intEnv(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  if (!/^[1-9][0-9]*$/.test(v)) { process.stderr.write(`jit-proto: ${name} must be a positive integer, got '${v}'\n`); process.exit(2); }
  return Number(v);
}
const ITER = intEnv('JITP_ITERATIONS', 2000);
const TOP = intEnv('JITP_TOP', 500);
/** Instruction budget per call (loops leave at a back edge once they have run this many). */
const BUDGET = 10000;
/** Passes of the replay (the first includes compilation and warm-up; the best of the others is taken as steady state). */
const PASSES = Math.max(2, intEnv('JITP_PASSES', 5));

const now = (): number => Number(process.hrtime.bigint()) / 1e6; // ms

/** One backend as the measurements see it: a way to compile a unit and to run it on a Cpu. */
interface Backend<F> {
  name: string;
  compile(u: Unit): F;
  run(f: F, c: Cpu, budget: number): number;
  before?(): void; after?(): void;
  /** Per-call state reset for the timing loops (default: the Cpu's registers, rip and flags). */
  reset?(c: Cpu, s: CpuState): void;
}

interface Chosen { rank: number; unit: Unit; state: CpuState; blockInstructions: number }

function writable(p: Profile): Region[] {
  return p.machine.mem.regions.filter((r) => (r.perm & PERM_W) !== 0 && (r.perm & PERM_X) === 0 && r.size > 0);
}

function resetCpu(c: Cpu, s: CpuState): void {
  c.restore(s);
  c.pending.fill(0); c.pendingCount = 0; c.nmiPending = false; c.halted = false; c.waiting = false;
}

/** Cheap per-call reset for timing loops: registers, rip, flags. */
function resetRegs(c: Cpu, s: CpuState): void {
  c.lo.set(s.lo); c.hi.set(s.hi); c.rip = s.rip; c.setFlags(s.flags);
}

interface Outcome { lo: number[]; hi: number[]; rip: number; flags: number; mem: Uint8Array[]; n: number }

function outcome(c: Cpu, regions: Region[], n: number): Outcome {
  return { lo: [...c.lo], hi: [...c.hi], rip: c.rip, flags: c.getFlags(), mem: regions.map((r) => r.bytes.slice()), n };
}

/** Differences between two outcomes, as text (empty: equal). */
export function diff(a: Outcome, b: Outcome, regions: Region[]): string[] {
  const out: string[] = [];
  for (let r = 0; r < 16; r++) if (a.lo[r] !== b.lo[r] || a.hi[r] !== b.hi[r]) out.push(`r${r}: ${a.hi[r]}:${a.lo[r]} vs ${b.hi[r]}:${b.lo[r]}`);
  if (a.rip !== b.rip) out.push(`rip ${a.rip} vs ${b.rip}`);
  if ((a.flags & 0x8d5) !== (b.flags & 0x8d5)) out.push(`flags ${a.flags.toString(16)} vs ${b.flags.toString(16)}`);
  a.mem.forEach((m, i) => { if (Buffer.compare(m, b.mem[i]) !== 0) out.push(`memory differs in ${regions[i].name}`); });
  return out;
}

/**
 * Validate one backend on one unit: same start (registers, flags, memory), the backend runs, the
 * interpreter runs as many instructions; registers, rip, arithmetic flags and writable memory must agree.
 */
function validate<F>(b: Backend<F>, f: F, ch: Chosen, cpu: Cpu, regions: Region[], base: Uint8Array[]): { ok: boolean; n: number; diff: string[]; error?: string } {
  const restoreMem = (): void => regions.forEach((r, i) => r.bytes.set(base[i]));
  restoreMem(); resetCpu(cpu, ch.state);
  let n: number;
  try { b.before?.(); n = b.run(f, cpu, BUDGET); b.after?.(); } catch (e) { return { ok: false, n: 0, diff: [], error: String((e as { detail?: string }).detail ?? e) }; }
  const got = outcome(cpu, regions, n);
  restoreMem(); resetCpu(cpu, ch.state);
  const start = cpu.retired;
  cpu.run(n);
  const ref = outcome(cpu, regions, cpu.retired - start);
  const d = diff(got, ref, regions);
  if (ref.n !== n) d.push(`interpreter retired ${ref.n}, backend ${n}`);
  restoreMem();
  return { ok: d.length === 0, n, diff: d };
}

interface Timing { compileMs: number; firstCallMs: number; nsPerInsn: number; insnsPerCall: number; warm: { calls: string; nsPerInsn: number }[] }

/** Compile, then time calls from the captured state: the first, 2-10, 11-100, 101-1000, then steady (the best of batches of 200 calls, at least 20 ms in all). */
function measure<F>(b: Backend<F>, ch: Chosen, cpu: Cpu, budget: number): Timing & { f: F } {
  const reset = b.reset ?? resetRegs;
  const t0 = now();
  const f = b.compile(ch.unit);
  const compileMs = now() - t0;
  resetCpu(cpu, ch.state);
  b.before?.();
  const phase = (calls: number): { ms: number; insns: number } => {
    let insns = 0;
    const t = now();
    for (let i = 0; i < calls; i++) { reset(cpu, ch.state); insns += b.run(f, cpu, budget); }
    return { ms: now() - t, insns };
  };
  const first = phase(1);
  const warm = [[9, '2-10'], [90, '11-100'], [900, '101-1000']].map(([k, name]) => {
    const p = phase(k as number);
    return { calls: name as string, nsPerInsn: +(p.ms * 1e6 / p.insns).toFixed(2) };
  });
  // steady state: the best batch of 200 calls (the machine is shared: the best is the least disturbed)
  let ms = 0, insns = 0, calls = 0, best = Infinity;
  for (let k = 0; ms < 20 || k < 5; k++) { const p = phase(200); ms += p.ms; insns += p.insns; calls += 200; best = Math.min(best, p.ms * 1e6 / p.insns); }
  b.after?.();
  return { f, compileMs, firstCallMs: first.ms, nsPerInsn: best, insnsPerCall: insns / calls, warm };
}

/** Time of the reset alone (subtracted from the per-call figures where noted). */
function resetCost(cpu: Cpu, s: CpuState, reset: (c: Cpu, s: CpuState) => void = resetRegs): number {
  const t = now();
  for (let i = 0; i < 200000; i++) reset(cpu, s);
  return (now() - t) * 1e6 / 200000;
}

/** The replay's calls (a small function of its own: a hot loop inside main would run in whatever tier main deoptimizes to). */
function replayLoop<F>(b: Backend<F>, fs: F[], seq: number[], states: CpuState[], budgets: number[], cpu: Cpu): number {
  const reset = b.reset ?? resetRegs;
  let insns = 0;
  for (let k = 0; k < seq.length; k++) { const i = seq[k]; reset(cpu, states[i]); insns += b.run(fs[i], cpu, budgets[i]); }
  return insns;
}

function main(): void {
  const prof = profileKernel(kernelPath, ITER);
  const total = prof.total;
  const blocks = prof.blocks.slice(0, TOP);
  // states: the middle entry of each chosen block, in a second (identical) run
  const capture = new Map<number, number>(blocks.map((b) => [b.start, Math.max(1, Math.floor(b.entries / 2))]));
  const run2 = profileKernel(kernelPath, ITER, capture);
  const cpu = run2.cpu, mem = run2.machine.mem;
  const chosen: Chosen[] = [];
  blocks.forEach((b, rank) => {
    const u = formUnit(mem, b.start);
    const s = run2.states.get(b.start);
    if (u !== null && s !== undefined) chosen.push({ rank, unit: u, state: s, blockInstructions: b.instructions });
  });
  const regions = writable(run2);
  const base = regions.map((r) => r.bytes.slice());
  const data = regions.filter((r) => r.name.includes('.data')).sort((a, b) => b.size - a.size)[0] ?? null;

  const rtImport = new WasmRuntime(null);
  const rtRes = new WasmRuntime(data);
  const js: Backend<UnitFn> = { name: 'js', compile: (u) => compileJs(u), run: (f, c, n) => f(c, n) };
  const jsRes: Backend<UnitFn> = { name: 'js-resident', compile: (u) => compileJs(u, data ? { resident: data } : {}), run: (f, c, n) => f(c, n) };
  const wImp: Backend<WasmFn> = { name: 'wasm-import', compile: (u) => compileWasm(u, rtImport), run: (f, c, n) => runWasm(rtImport, f, c, n) };
  const wRes: Backend<WasmFn> = {
    name: 'wasm-resident', compile: (u) => compileWasm(u, rtRes), run: (f, c, n) => runWasm(rtRes, f, c, n),
    before: () => rtRes.pushMemory(), after: () => rtRes.pullMemory(),
  };
  // the same code as wasm-resident with the registers living in wasm memory (no copy in and out per call):
  // what a Cpu whose register file is a view on the wasm memory would pay; measured, not validated separately
  const wNoGlue: Backend<WasmFn> = {
    name: 'wasm-resident-noglue', compile: (u) => compileWasm(u, rtRes), run: (f, _c, n) => f(n),
    before: () => rtRes.pushMemory(), after: () => rtRes.pullMemory(),
    reset: (_c, st) => { const w = rtRes.u32; for (let r = 0; r < 16; r++) { w[r * 2] = st.lo[r]; w[r * 2 + 1] = st.hi[r]; } },
  };
  // (a replay's memory drifts from the captured one: a run that faulted or halted must not stop the next)
  const interp: Backend<null> = { name: 'interp', compile: () => null, run: (_f, c, n) => { c.halted = false; c.waiting = false; c.fault = null; const s = c.retired; c.run(n); return c.retired - s; } };

  // validation, including the negative controls (deliberately broken add)
  const backends = [js, jsRes, wImp, wRes] as Backend<unknown>[];
  const valid: Record<string, { ok: number; failed: number; errors: number; examples: string[] }> = {};
  const okCount = new Map<Chosen, number>();
  /** Instructions one call of the unit retires from its captured state (the validation run's count). */
  const perCall = new Map<Chosen, number>();
  for (const b of backends) {
    const v = valid[b.name] = { ok: 0, failed: 0, errors: 0, examples: [] as string[] };
    for (const ch of chosen) {
      const f = b.compile(ch.unit);
      const r = validate(b, f, ch, cpu, regions, base);
      if (r.ok) { v.ok++; okCount.set(ch, (okCount.get(ch) ?? 0) + 1); if (b === js) perCall.set(ch, r.n); }
      else if (r.error) { v.errors++; if (v.examples.length < 3) v.examples.push(`${(ch.unit.start >>> 0).toString(16)}: ${r.error}`); }
      else { v.failed++; if (v.examples.length < 3) v.examples.push(`${(ch.unit.start >>> 0).toString(16)}: ${r.diff.slice(0, 3).join('; ')}`); }
    }
  }
  const negative: Record<string, { caught: number; of: number }> = {};
  const withAdd = chosen.filter((ch) => ch.unit.insns.some((i) => i.kind === 'alu' && i.d.op === 1 /* Op.ADD */));
  const brokenJs: Backend<UnitFn> = { ...js, name: 'js-broken', compile: (u) => compileJs(u, { breakAdd: true }) };
  const brokenW: Backend<WasmFn> = { ...wImp, name: 'wasm-broken', compile: (u) => compileWasm(u, rtImport, true) };
  for (const b of [brokenJs, brokenW] as Backend<unknown>[]) {
    let caught = 0;
    for (const ch of withAdd) { const r = validate(b, b.compile(ch.unit), ch, cpu, regions, base); if (!r.ok) caught++; }
    negative[b.name] = { caught, of: withAdd.length };
  }

  // per-unit measurements on units every backend validated (compiled afresh: the validation's code is not reused)
  const measured = chosen.filter((ch) => okCount.get(ch) === backends.length);
  const resetNs = resetCost(cpu, chosen[0].state);
  const resetNoGlueNs = resetCost(cpu, chosen[0].state, wNoGlue.reset!);
  const all = [js, jsRes, wImp, wRes, wNoGlue, interp] as Backend<unknown>[];
  type Agg = { compileMs: number; firstCallMs: number; w: number; t: number; extraMs: number };
  const agg: Record<string, Record<'top50' | 'top500', Agg>> = {};
  for (const b of all) agg[b.name] = { top50: { compileMs: 0, firstCallMs: 0, w: 0, t: 0, extraMs: 0 }, top500: { compileMs: 0, firstCallMs: 0, w: 0, t: 0, extraMs: 0 } };
  const perUnit: Record<string, unknown>[] = [];
  const faulted: string[] = [];
  for (const ch of process.env.JITP_REPLAY_ONLY ? [] : [...measured]) {
    const loop = ch.unit.insns.some((x, i) => x.target >= 0 && x.target <= i);
    const row: Record<string, unknown> = { rank: ch.rank, start: '0x' + (ch.unit.start >>> 0).toString(16), insns: ch.unit.insns.length, loop, blockShare: +(ch.blockInstructions / total).toFixed(4) };
    const rows: [Backend<unknown>, Timing][] = [];
    try {
      for (const b of all) {
        regions.forEach((r, i) => r.bytes.set(base[i]));
        // the interpreter runs as many instructions as a compiled call
        rows.push([b, measure(b, ch, cpu, b === interp ? perCall.get(ch)! : BUDGET)]);
      }
    } catch (e) {
      // repeated calls change memory the unit itself reads (a pointer it stored): the captured state no longer fits
      faulted.push(`${row.start}: ${String((e as { detail?: string }).detail ?? e)}`);
      measured.splice(measured.indexOf(ch), 1);
      continue;
    }
    for (const [b, m] of rows) {
      row[b.name] = { compileMs: +m.compileMs.toFixed(3), firstCallMs: +m.firstCallMs.toFixed(3), nsPerInsn: +m.nsPerInsn.toFixed(2), insnsPerCall: +m.insnsPerCall.toFixed(1), warm: m.warm };
      for (const key of ['top50', 'top500'] as const) {
        if (key === 'top50' && ch.rank >= 50) continue;
        const a = agg[b.name][key];
        a.compileMs += m.compileMs; a.firstCallMs += m.firstCallMs;
        a.w += ch.blockInstructions; a.t += ch.blockInstructions * m.nsPerInsn;
        // time the first 1000 calls took beyond what the steady state would have taken
        const w = m.warm;
        a.extraMs += Math.max(0, m.firstCallMs - m.nsPerInsn * m.insnsPerCall / 1e6) +
          [9, 90, 900].reduce((acc, k, i) => acc + Math.max(0, (w[i].nsPerInsn - m.nsPerInsn) * m.insnsPerCall * k / 1e6), 0);
      }
    }
    perUnit.push(row);
  }
  regions.forEach((r, i) => r.bytes.set(base[i]));
  const summary: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(agg)) {
    summary[name] = Object.fromEntries(Object.entries(a).map(([k, v]) => [k, {
      compileMs: +v.compileMs.toFixed(2), firstCallMs: +v.firstCallMs.toFixed(2), warmupExtraMs: +v.extraMs.toFixed(2),
      weightedNsPerInsn: +(v.t / v.w).toFixed(2),
    }]));
  }

  // batch compilation: all units of a set in one go (one wasm module; JS functions made, then each called once)
  const batch: Record<string, unknown> = {};
  for (const [key, n] of [['top50', 50], ['top500', 500]] as const) {
    const set = measured.filter((ch) => ch.rank < n).map((ch) => ch.unit);
    const t0 = now(); const jfs = set.map((u) => compileJs(u)); const t1 = now();
    const w0 = now(); compileWasmMany(set, rtImport); const w1 = now();
    const r0 = now(); compileWasmMany(set, rtRes); const r1 = now();
    batch[key] = { units: set.length, jsNewFunctionMs: +(t1 - t0).toFixed(2), wasmImportModuleMs: +(w1 - w0).toFixed(2), wasmResidentModuleMs: +(r1 - r0).toFixed(2), wasmImportBytes: wasmBytesMany(set, rtImport.mode()).length };
    void jfs;
  }

  // replay: the hot blocks' share of the workload, compiled from scratch, calls interleaved in a fixed
  // pseudo-random order with each unit's calls proportional to its block's instructions in the profile
  const buildSeq = (): number[] => {
    const q: number[] = [];
    measured.forEach((ch, i) => { const k = Math.max(1, Math.round(ch.blockInstructions / (perCall.get(ch) ?? 1))); for (let j = 0; j < k; j++) q.push(i); });
    let seed = 12345;
    if (!process.env.JITP_NOSHUFFLE) for (let i = q.length - 1; i > 0; i--) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; const j = seed % (i + 1); [q[i], q[j]] = [q[j], q[i]]; }
    return q;
  };
  // a dry run with the JS backend drops units that fault once other units have changed memory under them
  let seq = buildSeq();
  for (let round = 0; round < 5; round++) {
    const bad = new Set<Chosen>();
    regions.forEach((r, i) => r.bytes.set(base[i]));
    const fs = measured.map((ch) => compileJs(ch.unit));
    for (const i of seq) { const ch = measured[i]; resetRegs(cpu, ch.state); try { fs[i](cpu, BUDGET); } catch { bad.add(ch); } }
    if (bad.size === 0) break;
    for (const ch of bad) { faulted.push(`${(ch.unit.start >>> 0).toString(16)}: faulted in the replay's dry run`); measured.splice(measured.indexOf(ch), 1); }
    seq = buildSeq();
  }
  const replay: Record<string, unknown> = {};
  // the loop with the resets and no unit (the best of PASSES), subtracted in the per-instruction figures
  const states = measured.map((ch) => ch.state), zeros = measured.map(() => 0);
  const baseline = (r: (c: Cpu, st: CpuState) => void): number => {
    const nop: Backend<null> = { name: 'none', compile: () => null, run: () => 0, reset: r };
    let best = Infinity;
    for (let p = 0; p < PASSES; p++) { const t = now(); replayLoop(nop, zeros.map(() => null), seq, states, zeros, cpu); best = Math.min(best, now() - t); }
    return best;
  };
  const baseMs = baseline(resetRegs), baseNoGlueMs = baseline(wNoGlue.reset!);
  replay.loopAndResetMs = { cpuRegisters: +baseMs.toFixed(1), wasmRegisterFile: +baseNoGlueMs.toFixed(1) };
  for (const b of [interp, js, jsRes, wImp, wRes, wNoGlue] as Backend<unknown>[]) {
    regions.forEach((r, i) => r.bytes.set(base[i]));
    resetCpu(cpu, measured[0].state);
    const t0 = now();
    const fs: unknown[] = b === wImp ? compileWasmMany(measured.map((c) => c.unit), rtImport) : b === wRes || b === wNoGlue ? compileWasmMany(measured.map((c) => c.unit), rtRes) : measured.map((c) => b.compile(c.unit));
    const tc = now();
    b.before?.();
    const budgets = measured.map((ch) => b === interp ? perCall.get(ch)! : BUDGET);
    const passes: number[] = [];
    let insns = 0;
    for (let p = 0; p < PASSES; p++) {
      const p0 = now();
      insns = replayLoop(b, fs, seq, measured.map((ch) => ch.state), budgets, cpu);
      passes.push(now() - p0);
    }
    b.after?.();
    const base0 = b === wNoGlue ? baseNoGlueMs : baseMs;
    const ns = (ms: number): number => +((ms - base0) * 1e6 / insns).toFixed(2);
    replay[b.name] = {
      compileMs: +(tc - t0).toFixed(1), calls: seq.length, instructionsPerPass: insns, passMs: passes.map((x) => +x.toFixed(1)),
      firstPassNsPerInsnWithCompile: ns(passes[0] + tc - t0), steadyNsPerInsn: ns(Math.min(...passes.slice(1))),
    };
  }
  regions.forEach((r, i) => r.bytes.set(base[i]));

  const crc = perUnit.find((r) => r.rank === 0);
  const codeSize = (k: 'js' | 'wasm'): number => measured.reduce((acc, ch) => acc + (k === 'js' ? jsSource(ch.unit).length : wasmBytes(ch.unit, rtRes.mode()).length), 0);
  const covered = (n: number): number => chosen.filter((c) => c.rank < n).reduce((acc, c) => acc + c.blockInstructions, 0) / total;
  const out = {
    node: process.version, note: 'shared 2-core machine; figures are one run, not best-of',
    profile: { instructions: total, blocks: prof.blocks.length, top50Share: +(prof.blocks.slice(0, 50).reduce((acc, b) => acc + b.instructions, 0) / total).toFixed(3), top500Share: +(prof.blocks.slice(0, 500).reduce((acc, b) => acc + b.instructions, 0) / total).toFixed(3) },
    interpreterWholeRun: { nsPerInsnWithProfiler: +(prof.seconds * 1e9 / total).toFixed(1) },
    units: { formed: chosen.length, measured: measured.length, meanInsns: +(chosen.reduce((acc, c) => acc + c.unit.insns.length, 0) / chosen.length).toFixed(2), meanInsnsPerCall: +(measured.reduce((acc, c) => acc + (perCall.get(c) ?? 0), 0) / measured.length).toFixed(1), blockShareWithUnitTop50: +covered(50).toFixed(3), blockShareWithUnitTop500: +covered(500).toFixed(3), jsSourceBytes: codeSize('js'), wasmBytes: codeSize('wasm') },
    residentRegion: data === null ? null : { name: data.name, bytes: data.size },
    resetNsPerCall: +resetNs.toFixed(1), resetNoGlueNsPerCall: +resetNoGlueNs.toFixed(1),
    validation: valid, negativeControls: negative, faultedUnits: faulted,
    summary, batchCompile: batch, replay, crc32: crc, perUnit: process.env.JITP_ALL ? perUnit : perUnit.slice(0, 12),
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main();
