// jit-suite.ts — the compiler's checks for a backend (test/jit.test.ts runs the default one, test/acceptance/jit-js.test.ts the JS one): lockstep state against the interpreter at random stops, code written under a compiled loop, a unit that stores into its own code, faults inside units, the index of units, and the broken variants those checks must catch.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot } from '../../src/runner.js';
import { clearJitCache, jitBroken, jitConfig, jitStats, resetJitStats, type JitBackend } from '../../src/machine/x86/jit.js';
import { arena } from '../../src/machine/arena.js';
import type { Region } from '../../src/machine/memory.js';
import { RecordingChooser, RandomChooser, type Chooser } from '../../src/machine/chooser.js';
import { RAX, RCX, RDI, RDX, RSI, R12, type Asm } from '../../src/machine/x86/encoder.js';
import { HC_EXIT, HC_SMP_BOOT, HC_SPAWN } from '../../src/kernel/hypercalls.js';
import { tinyKernel, DATA } from './tiny.js';
import { Machine } from '../../src/machine/machine.js';
import { PERM_R, PERM_W, PERM_X } from '../../src/machine/memory.js';
import { bootRaw } from '../../src/loader/boot.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { buildGuest, corpusFiles, hasGcc, GUEST_CFLAGS } from './gcc.js';
import { spawnSync } from 'node:child_process';

/** zlib's examples/enough.c (Debian zlib1g-dev), the third-party program test/foreign.test.ts runs, with its minimal libc. */
const ENOUGH = '/usr/share/doc/zlib1g-dev/examples/enough.c';
const MINILIBC = join(__dirname, '..', 'fixtures', 'foreign', 'minilibc.c');
import type { Tier } from '../../src/machine/tier.js';

/**
 * Register the checks for the given backends (the default one in `npm test`, the other one in the
 * acceptance suite), plus the wasm backend's own checks when it is among them.
 */
export function jitSuite(backends: JitBackend[]): void {
// compile early, so that nearly everything these programs run is compiled code
const defaultHot = jitConfig.hot;
beforeAll(() => { jitConfig.hot = 64; });
afterAll(() => { jitConfig.hot = defaultHot; });

afterEach(() => {
  for (const k of Object.keys(jitBroken) as (keyof typeof jitBroken)[]) jitBroken[k] = false;
});

/** Everything a run can leave that the other tier must leave the same: CPUs (registers, flags, counts, the recent ring) and memory. */
function stateOf(m: Machine, withMemory = true): string {
  const cpus = m.cpus.map((c) => {
    const s = c.save();
    return [Array.from(s.lo).join(','), Array.from(s.hi).join(','), s.rip, s.flags, s.cycles, s.idleCycles, s.halted, s.waiting,
      s.fault?.detail ?? '', c.recentAddresses().join(',')].join('|');
  });
  if (!withMemory) return cpus.join('\n');
  let h = 0x811c9dc5;
  for (const r of m.mem.regions) {
    const w = new Int32Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.length >> 2);
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193);
  }
  return cpus.join('\n') + `\nmem ${h >>> 0}`;
}

/** The call/ret monitor's state: each CPU's shadow stack (entries with their times) and the count of checks. */
function flowOf(k: Kernel): string {
  const f = k.flow;
  if (f === null) return '';
  const shadows = f.shadows.map((s) => {
    const n = s.depth;
    return `${n}:${Array.from(s.addrs.subarray(0, n)).join(',')}/${Array.from(s.kinds.subarray(0, n)).join(',')}/${Array.from(s.times.subarray(0, n)).join(',')}`;
  });
  return `\nflow ${f.checks} ${shadows.join(' ')}`;
}

/** A small deterministic PRNG for the stopping points. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

/**
 * Run an image under both tiers side by side, stopping both at the same random step counts and
 * comparing their whole state at each stop (a stop falls anywhere: inside a unit's loop, at its exit,
 * in interpreted code). Returns the first stop where they differ, or null.
 */
function lockstep(image: Uint8Array, file: string, seed: number, maxChunk: number, o: { until?: number; memoryEvery?: number } = {}): { stops: number; differs: string | null; jitInstructions: number } {
  const boots = (['interp', 'jit'] as Tier[]).map((tier) => boot(image, file, { cpus: 1, seed: 1, tier }, () => undefined));
  const next = prng(seed);
  resetJitStats();
  let steps = 0, stops = 0;
  for (;;) {
    steps += 1 + (next() % maxChunk);
    if (o.until !== undefined && steps > o.until) return { stops, differs: null, jitInstructions: jitStats.instructions };
    const outs = boots.map((b) => b.kernel.run(steps));
    stops++;
    const withMemory = stops % (o.memoryEvery ?? 1) === 0;
    const [a, b] = boots.map((x) => stateOf(x.machine, withMemory) + flowOf(x.kernel));
    if (a !== b) {
      const la = a.split('\n'), lb = b.split('\n');
      const i = la.findIndex((l, k) => l !== lb[k]);
      return { stops, differs: `stop ${stops} (step ${steps}): interp ${la[i].slice(0, 300)}\n  jit    ${lb[i].slice(0, 300)}`, jitInstructions: jitStats.instructions };
    }
    if (outs[0].reason !== 'max-steps' || outs[1].reason !== 'max-steps') {
      expect(outs[1].reason).toBe(outs[0].reason);
      return { stops, differs: null, jitInstructions: jitStats.instructions };
    }
  }
}

/** Both backends of the compiler run every check below. */
const defaultBackend = jitConfig.backend;
afterAll(() => { jitConfig.backend = defaultBackend; });

for (const backend of backends) describe(`the ${backend} backend`, () => {
  beforeAll(() => { jitConfig.backend = backend; });
  describe.skipIf(!hasGcc())(`${backend}: the compiler against the interpreter, in lockstep (skipped without gcc)`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftsim-jit-'));
    const programs = ['crc_bignum', 'sort_hash', 'flags_forms', 'conditions', 'strings'];
    const images = new Map<string, Uint8Array>();
    const imageOf = (name: string): Uint8Array => {
      let img = images.get(name);
      if (img === undefined) {
        const src = corpusFiles().find((f) => f.endsWith(`/${name}.c`));
        if (src === undefined) throw new Error(`no corpus program ${name}`);
        img = readFileSync(buildGuest([src], join(dir, `${name}.elf`)));
        images.set(name, img);
      }
      return img;
    };

    for (const name of programs) {
      it(`${name}: the same registers, flags, counts, recent instructions and memory at every stop`, () => {
        const r = lockstep(imageOf(name), name, 7, 20_000);
        expect(r.differs).toBeNull();
        expect(r.stops).toBeGreaterThan(10);
        // the check means something only if compiled code did most of the work
        expect(r.jitInstructions).toBeGreaterThan(0);
      });
    }

    it.skipIf(!existsSync(ENOUGH))(`the third-party program (${ENOUGH}): the same state at every stop`, () => {
      const guest = join(dir, 'enough.elf');
      const args = ['60', '8', '10'];
      const cc = spawnSync('gcc', [...GUEST_CFLAGS, '-fno-builtin', `-DGUEST_ARGS=${args.map((a) => `"${a}"`).join(',')}`, ENOUGH, MINILIBC, '-o', guest], { encoding: 'utf8' });
      expect(cc.status, cc.stderr).toBe(0);
      const r = lockstep(readFileSync(guest), guest, 11, 20_000);
      expect(r.differs).toBeNull();
      expect(r.jitInstructions).toBeGreaterThan(0);
    });

    it('stops every 1 to 8 instructions (so at nearly every block exit) over the first 400,000 steps of two programs: the same CPU state at each, memory every 64th', () => {
      for (const name of ['crc_bignum', 'sort_hash']) {
        const r = lockstep(imageOf(name), name, 3, 8, { until: 400_000, memoryEvery: 64 });
        expect(r.differs).toBeNull();
        expect(r.stops).toBeGreaterThan(50_000);
        expect(r.jitInstructions).toBeGreaterThan(0);
      }
    });

    it('negative control: a compiled jl taking the wrong branch is caught at a stop', () => {
      jitBroken.invertSignedJcc = true;
      const found = programs.map((name) => lockstep(imageOf(name), name, 7, 20_000)).find((r) => r.differs !== null);
      expect(found, 'no program showed the broken jcc').toBeDefined();
    });

    it.runIf(backend === 'wasm')('negative control: a shift emitted without its flags where a jump reads them is caught at a stop', () => {
      jitBroken.shiftFlagsAlwaysDead = true;
      const found = ['crc_bignum', 'sort_hash', 'flags_forms', 'conditions', 'strings'].map((name) => lockstep(imageOf(name), name, 7, 20_000)).find((r) => r.differs !== null);
      expect(found, 'no program showed the missing flags').toBeDefined();
    });

    it.runIf(backend === 'wasm')('negative control: calls that push the wrong time on the shadow stack are caught at a stop', () => {
      jitBroken.shadowTimeOff = true;
      const found = ['crc_bignum', 'sort_hash', 'strings'].map((name) => lockstep(imageOf(name), name, 7, 20_000)).find((r) => r.differs !== null);
      expect(found, 'no program showed the wrong times').toBeDefined();
      expect(found!.differs).toMatch(/flow/);
    });

    it('cleans up', () => { rmSync(dir, { recursive: true, force: true }); });
  });

  /**
   * Two CPUs: CPU 1 runs a hot loop adding an immediate to a counter (compiled after a few rounds); a
   * host thread on CPU 0 rewrites that immediate with text_poke halfway. Returns the counter, the
   * chooser's decisions and the CPUs' counts.
   */
  function pokeUnderLoop(tier: Tier, seed: number, protocol: 'int3' | 'naive' = 'int3', newest = false, second = false, call = false): { counter: number; decisions: string; cycles: string; outcome: string; units: number; chained: number } {
    const random = new RandomChooser(seed);
    // newest: every fetch sees the newest bytes its window allows (the explorer's fair default), so a
    // CPU that has not serialized runs the new code without a violation, through the fetch model
    const inner: Chooser = newest ? { choose: (kind, n) => (kind === 'fetch' ? n - 1 : random.choose(kind, n)) } : random;
    const chooser = new RecordingChooser(inner);
    resetJitStats();
    const { kernel, machine, asm } = tinyKernel((a) => {
      a.label('start');
      a.movImm32(RAX, HC_SMP_BOOT).vmcall();
      a.movLabel(RDI, 'reader').movImm32(RSI, 0).movImm32(RDX, 1).movImm32(RAX, HC_SPAWN).vmcall();
      if (second) a.movLabel(RDI, 'second').movImm32(RSI, 0).movImm32(RDX, 2).movImm32(RAX, HC_SPAWN).vmcall();
      a.movImm32(RAX, HC_EXIT).vmcall().ud2();
      // second: waits for the write, serializes, then runs the same loop (its fetches see only the new bytes)
      a.align(16);
      a.label('second');
      a.label('wait');
      a.cmpbRip(DATA + 8n, 0);
      a.jccLabel(4, 'wait');
      a.cpuid();
      a.movImm32(R12, 20_000);
      a.movImm64(RSI, DATA);
      a.jmpLabel('loop');
      a.align(16);
      a.label('reader');
      a.movImm32(R12, 60_000);
      a.movImm64(RSI, DATA);
      a.label('loop');
      // call: the add is a function of its own (a unit of its own, which the loop's unit chains into and back)
      if (call) a.callLabel('add');
      else a.label('add').bytes(0x48, 0x83, 0x06, 0x01); // addq $1, (%rsi): its last byte is the one rewritten
      a.movImm32(RCX, 3);
      a.label('spin');
      a.subImm(RCX, 1);
      a.jccLabel(5, 'spin');
      a.subImm(R12, 1);
      a.jccLabel(5, 'loop');
      a.ret();
      if (call) {
        a.align(64); // a line of its own: the write kills this unit only
        a.label('add');
        a.bytes(0x48, 0x83, 0x06, 0x01);
        a.movImm32(RDX, 1);
        a.ret();
      }
    }, { cpus: second ? 3 : 2, chooser, timerHz: 20_000, tier });
    const imm = asm.addressOf('add') + 3n;
    // the boot task spawns the reader and exits before the writer takes CPU 0
    let o = kernel.run(10_000);
    while (o.reason === 'max-steps' && kernel.tasks.some((t) => t.pid === 1 && t.state !== 'dead')) o = kernel.run(kernel.steps + 10_000);
    kernel.startHostThread(0, (function* () {
      while (machine.cpus[1].retired < 300_000) yield; // the loop is hot and compiled by now
      const self = kernel.cpus[0];
      if (protocol === 'naive') yield* kernel.textPoke(self, imm, [0x02]);
      else yield* kernel.poke.textPokeBp(self, [{ addr: asm.addressOf('add'), bytes: new Uint8Array([0x48, 0x83, 0x06, 0x02]) }], { sync: (c) => kernel.syncCoreAll(c) });
      machine.mem.writeU64(DATA + 8n, 1n); // the second reader may go
    })());
    o = kernel.run(kernel.steps + 200_000);
    while (o.reason === 'max-steps' && kernel.steps < 20_000_000) o = kernel.run(kernel.steps + 200_000);
    expect(o.error).toBeUndefined();
    const counter = Number(machine.mem.readU64(DATA));
    return {
      counter, outcome: `${o.reason} ${o.violation?.summary ?? ''}`,
      decisions: chooser.log.map((c) => c.join(':')).join(' '),
      cycles: machine.cpus.map((c) => c.cycles).join(','),
      units: jitStats.unitsCompiled + jitStats.unitsReused, chained: jitStats.chained,
    };
  }

  describe(`${backend}: code written under a compiled loop on another CPU`, () => {
    it('is seen (text_poke_bp): the counter, the decisions and the counts are the interpreter\'s', () => {
      for (const seed of [1, 2, 3]) {
        const i = pokeUnderLoop('interp', seed);
        const j = pokeUnderLoop('jit', seed);
        expect(j.units, 'the loop was compiled').toBeGreaterThan(0);
        expect(i.outcome).toMatch(/^halted/);
        // the new immediate took effect partway: some rounds added 1, later ones 2
        expect(i.counter).toBeGreaterThan(60_000);
        expect(i.counter).toBeLessThan(120_000);
        expect(j.outcome).toBe(i.outcome);
        expect(j.counter).toBe(i.counter);
        expect(j.cycles).toBe(i.cycles);
        expect(j.decisions).toBe(i.decisions);
      }
    });

    it('a plain text_poke of the immediate under the running loop: the same violations, decisions and counts in both tiers', () => {
      let violations = 0;
      for (const seed of [1, 2, 3, 4]) {
        const i = pokeUnderLoop('interp', seed, 'naive');
        const j = pokeUnderLoop('jit', seed, 'naive');
        if (/^violation CPU 1 executed a (stale|torn) instruction/.test(i.outcome)) violations++;
        expect(j.outcome).toBe(i.outcome);
        expect(j.decisions).toBe(i.decisions);
        expect(j.cycles).toBe(i.cycles);
      }
      expect(violations).toBeGreaterThan(0);
    });

    it('a CPU that has not serialized since the write runs the loop through the fetch model, not compiled: the same decisions', () => {
      // a second CPU, serialized after the write, makes the new loop hot and compiled while the first still has a stale window
      const i = pokeUnderLoop('interp', 1, 'naive', true, true);
      const j = pokeUnderLoop('jit', 1, 'naive', true, true);
      expect(i.outcome).toMatch(/^halted/);
      expect(i.decisions.split(' ').filter((x) => x.startsWith('fetch')).length, 'fetches with a choice').toBeGreaterThan(0);
      expect(j.decisions).toBe(i.decisions);
      expect(j.counter).toBe(i.counter);
      expect(j.cycles).toBe(i.cycles);
    });

    it.runIf(backend === 'wasm')('the add in a function of its own, chained into from the loop\'s unit and back: the same counter, decisions and counts, with either protocol', () => {
      for (const [seed, protocol] of [[1, 'int3'], [2, 'int3'], [1, 'naive'], [3, 'naive']] as const) {
        const i = pokeUnderLoop('interp', seed, protocol, false, false, true);
        const j = pokeUnderLoop('jit', seed, protocol, false, false, true);
        expect(j.chained, 'units were entered by chaining').toBeGreaterThan(10_000);
        expect(j.outcome).toBe(i.outcome);
        expect(j.counter).toBe(i.counter);
        expect(j.cycles).toBe(i.cycles);
        expect(j.decisions).toBe(i.decisions);
      }
      const i = pokeUnderLoop('interp', 1, 'naive', true, true, true);
      const j = pokeUnderLoop('jit', 1, 'naive', true, true, true);
      expect(i.decisions.split(' ').filter((x) => x.startsWith('fetch')).length, 'fetches with a choice').toBeGreaterThan(0);
      expect(`${j.outcome} ${j.counter} ${j.cycles} ${j.decisions}`).toBe(`${i.outcome} ${i.counter} ${i.cycles} ${i.decisions}`);
    });

    it.runIf(backend === 'wasm')('negative control: a killed unit left in the entry map is chained into and keeps adding the old immediate', () => {
      const i = pokeUnderLoop('interp', 1, 'int3', false, false, true);
      jitBroken.chainIntoKilled = true;
      const j = pokeUnderLoop('jit', 1, 'int3', false, false, true);
      expect(j.counter).not.toBe(i.counter);
    });

    it.runIf(backend === 'wasm')('negative control: chaining where the fetch model has a say hides its finding', () => {
      const i = pokeUnderLoop('interp', 1, 'naive', true, true, true);
      jitBroken.chainIgnoresFetchModel = true;
      const j = pokeUnderLoop('jit', 1, 'naive', true, true, true);
      expect(`${j.outcome} ${j.counter} ${j.cycles} ${j.decisions}`).not.toBe(`${i.outcome} ${i.counter} ${i.cycles} ${i.decisions}`);
    });

    it('negative control: a unit left alive after the write keeps adding the old immediate', () => {
      const i = pokeUnderLoop('interp', 1);
      jitBroken.keepKilled = true;
      const j = pokeUnderLoop('jit', 1);
      expect(j.counter).not.toBe(i.counter);
    });

    it('negative control: a unit run before the CPU serialized hides the fetch model\'s finding', () => {
      const i = pokeUnderLoop('interp', 1, 'naive', true, true);
      jitBroken.ignoreFetchModel = true;
      const j = pokeUnderLoop('jit', 1, 'naive', true, true);
      expect(`${j.outcome} ${j.cycles} ${j.decisions}`).not.toBe(`${i.outcome} ${i.cycles} ${i.decisions}`);
    });
  });

  describe(`${backend}: faults inside compiled code`, () => {
    /** A hot loop walking a pointer up through the data page until it reads past its end (#PF, no handler: the CPU stops). */
    function walkOff(tier: Tier, pendingFlags = false): { state: string; fault: string; recent: string } {
      const { kernel, machine } = tinyKernel((a) => {
        a.movImm64(RSI, DATA);
        a.movImm32(RAX, 0);
        a.label('loop');
        if (pendingFlags) {
          // the faulting read comes right after an add whose flags compiled code still holds in locals
          a.addImm(RSI, 8);
          a.bytes(0x48, 0x03, 0x46, 0xf8); // add -8(%rsi), %rax
        } else {
          a.bytes(0x48, 0x03, 0x06); // add (%rsi), %rax
          a.addImm(RSI, 8);
        }
        a.cmpImm(RAX, -1);
        a.jccLabel(5, 'loop');
        a.ud2();
      }, { cpus: 1, tier });
      const o = kernel.run(1_000_000);
      expect(o.reason).not.toBe('max-steps');
      const c = machine.cpus[0];
      const v = o.violation;
      return { state: stateOf(machine), fault: `${o.reason} ${v?.summary ?? ''} ${v?.details.join('\n') ?? ''}`, recent: c.recent().map((d) => d.addr).join(',') };
    }

    it('reports the instruction, registers, flags and recent instructions the interpreter reports (here the kernel\'s #PF report)', () => {
      resetJitStats();
      const j = walkOff('jit');
      expect(jitStats.instructions, 'the loop ran compiled').toBeGreaterThan(0);
      const i = walkOff('interp');
      expect(i.fault).toMatch(/#PF/);
      expect(j.fault).toBe(i.fault);
      expect(j.recent).toBe(i.recent);
      expect(j.state).toBe(i.state);
    });

    it.runIf(backend === 'wasm')('negative control: a block\'s ring entry left counting the whole block shows instructions that did not run', () => {
      const i = walkOff('interp');
      jitBroken.ringRunsWhole = true;
      const j = walkOff('jit');
      expect(j.recent).not.toBe(i.recent);
    });

    it('the same when the faulting read follows an ALU operation whose flags were not yet stored (the fault shows that operation\'s flags)', () => {
      resetJitStats();
      const j = walkOff('jit', true);
      expect(jitStats.instructions, 'the loop ran compiled').toBeGreaterThan(0);
      const i = walkOff('interp', true);
      expect(i.fault).toMatch(/#PF/);
      expect(j.fault).toBe(i.fault);
      expect(j.state).toBe(i.state);
    });
  });

  describe(`${backend}: a unit that stores into its own code`, () => {
    /**
     * Writable text: a hot loop whose store rewrites the immediate of its own `add` (with the loop
     * counter's low byte) each round, then stores the sum. Returns the sum, the CPU state and the
     * chooser's decisions.
     */
    function selfModify(tier: Tier): { sum: string; state: string; decisions: string } {
      const text = BigInt.asIntN(64, 0xffffffff81000000n), data = BigInt.asIntN(64, DATA);
      const imm64 = (v: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 0xffn));
      const code = [
        0xb8, 0, 0, 0, 0, // mov $0, %eax
        0xb9, 0x10, 0x27, 0, 0, // mov $10000, %ecx
        0x48, 0xbf, ...imm64(text + 22n), // movabs $(the add's immediate), %rdi
        0x83, 0xc0, 0x01, // 20: add $1, %eax
        0x88, 0x0f, // mov %cl, (%rdi)
        0x83, 0xe9, 0x01, // sub $1, %ecx
        0x75, 0xf6, // jne 20
        0x48, 0xbf, ...imm64(data), // movabs $DATA, %rdi
        0x89, 0x07, // mov %eax, (%rdi)
        0x0f, 0x0b, // ud2
      ];
      const chooser = new RecordingChooser(new RandomChooser(5));
      const machine = new Machine({ cpus: 1, tier });
      bootRaw(machine, [
        { name: 'text', addr: 0xffffffff81000000n, bytes: new Uint8Array(code), size: 0x1000, perm: PERM_R | PERM_W | PERM_X },
        { name: 'data', addr: DATA, bytes: new Uint8Array(0), size: 0x1000, perm: PERM_R | PERM_W },
      ], 0xffffffff81000000n);
      const kernel = new Kernel(machine, { chooser });
      kernel.run(2_000_000);
      const r = machine.mem.find(Number(data), 4)!;
      return { sum: String(r.dv.getUint32(Number(data) - r.start, true)), state: stateOf(machine), decisions: chooser.log.map((c) => c.join(':')).join(' ') };
    }

    it('sees each rewrite as the interpreter does: the same sum, state and decisions', () => {
      resetJitStats();
      const j = selfModify('jit');
      const compiled = jitStats.instructions;
      const i = selfModify('interp');
      expect(Number(i.sum)).toBeGreaterThan(10_000);
      expect(j.sum).toBe(i.sum);
      expect(j.state).toBe(i.state);
      expect(j.decisions).toBe(i.decisions);
      expect(compiled, 'some of it ran compiled').toBeGreaterThan(0);
    });

    it('negative control: a unit left alive after its own store keeps adding the old immediate', () => {
      const i = selfModify('interp');
      jitBroken.keepKilled = true;
      const j = selfModify('jit');
      expect(j.sum).not.toBe(i.sum);
    });
  });

  describe(`${backend}: shifts and multiplies whose flags are read, against the interpreter`, () => {
    /**
     * A loop over 90 forms: a flag-setting prefix (add, cmp, or, another shift, or a block start), then
     * shl, shr or sar of r10d or r10 by 1, 2 or 31/45, whose flags a setcc (each form its own
     * condition) and a pushf read, mixed into rdx by a multiply (so no form's bits are shifted out);
     * r8 steps a xorshift, r9 its complement. Then imul in its two- and
     * three-operand forms (32 and 64 bits, a memory source, small operands that do not overflow), read
     * the same way. Returns the accumulated flags and results, the step count and the final state.
     */
    /**
     * The loop the forms tests share: 1,500 turns of a xorshift64 on r8 (shifts whose flags the next xor
     * overwrites) with r9 = ~r8 and rsi at DATA, then `forms`, which mix their results into rdx; the
     * sum, the final state and the instructions run compiled.
     */
    function formsLoop(tier: Tier, forms: (a: Asm) => void): { sum: string; state: string; compiled: number } {
      resetJitStats();
      const { kernel, machine } = tinyKernel((a) => {
        a.movImm64(8, 0x9e3779b97f4a7c15n);
        a.movImm64(RSI, DATA);
        a.movImm32(RDX, 0);
        a.movImm32(RCX, 1_500);
        a.label('loop');
        a.bytes(0x4d, 0x89, 0xc3, 0x49, 0xc1, 0xe3, 0x0d, 0x4d, 0x31, 0xd8);
        a.bytes(0x4d, 0x89, 0xc3, 0x49, 0xc1, 0xeb, 0x07, 0x4d, 0x31, 0xd8);
        a.bytes(0x4d, 0x89, 0xc3, 0x49, 0xc1, 0xe3, 0x11, 0x4d, 0x31, 0xd8);
        a.bytes(0x4d, 0x89, 0xc1, 0x49, 0xf7, 0xd1);
        forms(a);
        a.subImm(RCX, 1);
        a.jccLabel(5, 'loop');
        a.movImm64(RSI, DATA + 0x800n);
        a.bytes(0x48, 0x89, 0x16); // mov %rdx, (%rsi)
        a.ud2();
      }, { cpus: 1, tier });
      kernel.run(20_000_000);
      const at = Number(BigInt.asIntN(64, DATA + 0x800n));
      const r = machine.mem.find(at, 8)!;
      return { sum: r.dv.getBigUint64(at - r.start, true).toString(16), state: stateOf(machine), compiled: jitStats.instructions };
    }

    function shiftForms(tier: Tier): { sum: string; state: string; compiled: number } {
      return formsLoop(tier, (a) => {
        let form = 0;
        const prefixes = [[0x4d, 0x01, 0xca], [0x4d, 0x39, 0xca], [0x4d, 0x09, 0xca], [0x49, 0xc1, 0xea, 0x03], [0xeb, 0x00]];
        for (const pre of prefixes) for (const ext of [4, 5, 7]) for (const w of [0x41, 0x49]) for (const cnt of [1, 2, w === 0x49 ? 45 : 31]) {
          a.bytes(0x4d, 0x89, 0xc2); // mov %r8, %r10
          a.bytes(...pre);
          const modrm = 0xc0 | (ext << 3) | 2;
          if (cnt === 1 && form % 2 === 0) a.bytes(w, 0xd1, modrm); else a.bytes(w, 0xc1, modrm, cnt);
          a.bytes(0xb8, 0, 0, 0, 0); // mov $0, %eax
          a.bytes(0x0f, 0x90 + (form % 16), 0xc0); // setcc %al
          a.bytes(0x48, 0x8d, 0x14, 0x50); // lea (%rax,%rdx,2), %rdx
          a.bytes(0x9c, 0x5b, 0x48, 0x01, 0xda); // pushf; pop %rbx; add %rbx, %rdx
          a.bytes(0x4c, 0x31, 0xd2); // xor %r10, %rdx
          a.bytes(0x48, 0x69, 0xd2, 0x93, 0x01, 0x00, 0x01); // imul $0x1000193, %rdx, %rdx: a mix that keeps every form's bits
          form++;
        }
        const imuls = [
          [0x4d, 0x0f, 0xaf, 0xd1], // imul %r9, %r10
          [0x45, 0x0f, 0xaf, 0xd1], // imul %r9d, %r10d
          [0x4d, 0x6b, 0xd1, 0xfd], // imul $-3, %r9, %r10
          [0x45, 0x69, 0xd1, 0x01, 0x00, 0x01, 0x00], // imul $0x10001, %r9d, %r10d
          [0x4c, 0x89, 0x0e, 0x4c, 0x0f, 0xaf, 0x16], // mov %r9, (%rsi); imul (%rsi), %r10
          [0x49, 0xc1, 0xfa, 0x22, 0x4d, 0x89, 0xcb, 0x49, 0xc1, 0xfb, 0x22, 0x4d, 0x0f, 0xaf, 0xd3], // sar $34 both; imul %r11, %r10
        ];
        for (const m of imuls) for (const cc of [0, 4, 8, 10]) {
          a.bytes(0x4d, 0x89, 0xc2); // mov %r8, %r10
          a.bytes(...m);
          a.bytes(0xb8, 0, 0, 0, 0);
          a.bytes(0x0f, 0x90 + ((cc + form++) % 16), 0xc0);
          a.bytes(0x48, 0x8d, 0x14, 0x50);
          a.bytes(0x9c, 0x5b, 0x48, 0x01, 0xda);
          a.bytes(0x4c, 0x31, 0xd2);
          a.bytes(0x48, 0x69, 0xd2, 0x93, 0x01, 0x00, 0x01);
        }
      });
    }

    it('the same flags, results and state as the interpreter, nearly all of it compiled', () => {
      const i = shiftForms('interp');
      const j = shiftForms('jit');
      expect(i.sum).not.toBe('0');
      expect(j.sum).toBe(i.sum);
      expect(j.state).toBe(i.state);
      expect(j.compiled, 'the forms ran compiled').toBeGreaterThan(1_000_000);
    });

    /**
     * add, or, and, sub, xor and cmp of r10d or r10 with an immediate (imm8 and imm32 forms, values
     * with the sign bit set and not), each read by a setcc of its own condition, by one that reads CF, and
     * by pushf, as above.
     */
    function immediateForms(tier: Tier): { sum: string; state: string; compiled: number } {
      return formsLoop(tier, (a) => {
        let form = 0;
        const imms: number[][] = [[0x83, 0x7f], [0x83, 0x80], [0x83, 0xff], [0x81, 0, 0, 0, 0x80], [0x81, 0xfe, 0xff, 0xff, 0xff], [0x81, 0x21, 0x43, 0x65, 0x07]];
        for (const ext of [0, 1, 4, 5, 6, 7]) for (const w of [0x41, 0x49]) for (const imm of imms) {
          a.bytes(0x4d, 0x89, 0xc2); // mov %r8, %r10
          a.bytes(w, imm[0], 0xc0 | (ext << 3) | 2, ...imm.slice(1));
          a.bytes(0xb8, 0, 0, 0, 0); // mov $0, %eax
          a.bytes(0x41, 0xbb, 0, 0, 0, 0); // mov $0, %r11d
          a.bytes(0x0f, 0x90 + (form % 16), 0xc0); // setcc %al
          a.bytes(0x41, 0x0f, 0x90 + [2, 3, 6, 7][form % 4], 0xc3); // setb/setae/setbe/seta %r11b: CF read after every form
          a.bytes(0x48, 0x01, 0xc2); // add %rax, %rdx
          a.bytes(0x4a, 0x8d, 0x14, 0x5a); // lea (%rdx,%r11,2), %rdx
          a.bytes(0x9c, 0x5b, 0x48, 0x01, 0xda); // pushf; pop %rbx; add %rbx, %rdx
          a.bytes(0x4c, 0x31, 0xd2); // xor %r10, %rdx
          a.bytes(0x48, 0x69, 0xd2, 0x93, 0x01, 0x00, 0x01); // imul $0x1000193, %rdx, %rdx: a mix that keeps every form's bits
          form++;
        }
      });
    }

    it('ALU operations with immediates (sign bit set or not, 32 and 64 bits): the same flags, results and state', () => {
      const i = immediateForms('interp');
      const j = immediateForms('jit');
      expect(i.sum).not.toBe('0');
      expect(j.sum).toBe(i.sum);
      expect(j.state).toBe(i.state);
      expect(j.compiled, 'the forms ran compiled').toBeGreaterThan(500_000);
    });

    it.runIf(backend === 'wasm')('negative control: an imul that never reports an overflow is caught', () => {
      const i = shiftForms('interp');
      jitBroken.imulOverflowClear = true;
      const j = shiftForms('jit');
      expect(j.sum).not.toBe(i.sum);
    });

    it.runIf(backend === 'wasm')('negative control: a shift by 1 that keeps the previous OF is caught', () => {
      const i = shiftForms('interp');
      jitBroken.shiftKeepsOf = true;
      const j = shiftForms('jit');
      expect(j.sum).not.toBe(i.sum);
    });
  });

  describe(`${backend}: one-operand mul and div, sign extensions, neg and not, indirect jumps and calls, against the interpreter`, () => {
    /**
     * A loop over forms on a xorshift r8 and its complement r9: mul by a register, a 32-bit register
     * and memory; div with a zero high half (the native path) and a non-zero one (the executor's), 32
     * and 64 bits, and from memory; cbw/cwde/cdqe and cwd/cdq/cqo; neg and not at every size (neg of 0
     * too); the ALU, mov, movzx/movsx, neg, not and setcc on ah..dh; call and jmp through a register and
     * through memory. After each form a setcc (its own
     * condition) and pushf read the flags; rax, rdx, r10 and the flags are mixed into r15 by a multiply.
     * The run ends in a division by zero (#DE, no handler). Returns the outcome, r15, the state and the
     * call/ret monitor's view.
     */
    function arithForms(tier: Tier): { outcome: string; sum: string; state: string; compiled: number } {
      resetJitStats();
      const { kernel, machine } = tinyKernel((a) => {
        a.movImm64(8, 0x9e3779b97f4a7c15n);
        a.movImm64(RSI, DATA);
        a.movImm32(14, 1_500);
        a.movImm32(15, 0);
        a.label('loop');
        a.bytes(0x4d, 0x89, 0xc3, 0x49, 0xc1, 0xe3, 0x0d, 0x4d, 0x31, 0xd8);
        a.bytes(0x4d, 0x89, 0xc3, 0x49, 0xc1, 0xeb, 0x07, 0x4d, 0x31, 0xd8);
        a.bytes(0x4d, 0x89, 0xc3, 0x49, 0xc1, 0xe3, 0x11, 0x4d, 0x31, 0xd8);
        a.bytes(0x4d, 0x89, 0xc1, 0x49, 0xf7, 0xd1); // mov %r8, %r9; not %r9
        const raxR8 = [0x4c, 0x89, 0xc0], rcxR9 = [0x4c, 0x89, 0xc9], r10R8 = [0x4d, 0x89, 0xc2];
        const forms: number[][] = [
          [...raxR8, ...rcxR9, 0x48, 0xf7, 0xe1], // mul %rcx
          [...raxR8, ...rcxR9, 0xf7, 0xe1], // mul %ecx
          [0x4c, 0x89, 0x0e, ...raxR8, 0x48, 0xf7, 0x26], // mov %r9, (%rsi); mulq (%rsi)
          [...raxR8, 0x31, 0xd2, ...rcxR9, 0x48, 0xc1, 0xe9, 0x14, 0x48, 0x83, 0xc9, 0x01, 0x48, 0xf7, 0xf1], // xor %edx; rcx = r9 >> 20 | 1; div %rcx
          [...raxR8, ...rcxR9, 0x48, 0x83, 0xc9, 0x01, 0x48, 0x89, 0xca, 0x48, 0xd1, 0xea, 0x48, 0xf7, 0xf1], // rdx = rcx >> 1: div %rcx
          [...raxR8, 0x31, 0xd2, ...rcxR9, 0x48, 0xc1, 0xe9, 0x28, 0x48, 0x83, 0xc9, 0x01, 0xf7, 0xf1], // div %ecx
          [...raxR8, ...rcxR9, 0x48, 0x83, 0xc9, 0x01, 0x89, 0xca, 0xd1, 0xea, 0xf7, 0xf1], // edx = ecx >> 1: div %ecx
          [...raxR8, 0x31, 0xd2, ...rcxR9, 0x48, 0xc1, 0xe9, 0x08, 0x48, 0x83, 0xc9, 0x01, 0x48, 0x89, 0x0e, 0x48, 0xf7, 0x36], // divq (%rsi)
          [...raxR8, 0x48, 0x98], [...raxR8, 0x98], [...raxR8, 0x66, 0x98], // cltq, cwtl, cbtw
          [0x4c, 0x89, 0xca, ...raxR8, 0x48, 0x99], [0x4c, 0x89, 0xca, ...raxR8, 0x99], [0x4c, 0x89, 0xca, ...raxR8, 0x66, 0x99], // cqto, cltd, cwtd
          [...r10R8, 0x49, 0xf7, 0xda], [...r10R8, 0x41, 0xf7, 0xda], [...r10R8, 0x66, 0x41, 0xf7, 0xda], [...r10R8, 0x41, 0xf6, 0xda], // neg
          [0x45, 0x31, 0xd2, 0x49, 0xf7, 0xda], // neg of 0
          [...r10R8, 0x49, 0xf7, 0xd2], [...r10R8, 0x41, 0xf7, 0xd2], // not %r10, not %r10d
          // ah, ch, dh, bh
          [...raxR8, 0x80, 0xc4, 0x7f], [...raxR8, 0x80, 0xe4, 0x02], [0x4c, 0x89, 0xc2, 0x80, 0xfe, 0x80], // add $0x7f,%ah; and $2,%ah; cmp $0x80,%dh
          [...raxR8, 0x4c, 0x89, 0xca, 0x28, 0xf0], [...raxR8, 0x4c, 0x89, 0xca, 0x30, 0xd4], // sub %dh,%al; xor %dl,%ah
          [...raxR8, 0x0f, 0xb6, 0xc4], [...raxR8, 0x4c, 0x89, 0xca, 0x0f, 0xbe, 0xd4], // movzbl %ah,%eax; movsbl %ah,%edx
          [...raxR8, 0x4c, 0x89, 0xca, 0x88, 0xc6], [...raxR8, 0x88, 0x26, 0x48, 0x8b, 0x16], // mov %al,%dh; mov %ah,(%rsi), then rdx from there
          [0x4c, 0x89, 0x0e, ...raxR8, 0x8a, 0x26], [...raxR8, 0xf6, 0xdc], [...raxR8, 0xf6, 0xd4], [...raxR8, 0x0f, 0x94, 0xc4], // mov (%rsi),%ah; neg %ah; not %ah; sete %ah
        ];
        forms.forEach((f, k) => {
          a.bytes(...f);
          a.bytes(0x41, 0xbb, 0, 0, 0, 0); // mov $0, %r11d
          a.bytes(0x41, 0x0f, 0x90 + (k % 16), 0xc3); // setcc %r11b
          a.bytes(0x9c, 0x5b); // pushf; pop %rbx
          a.bytes(0x4d, 0x01, 0xdf, 0x49, 0x01, 0xdf, 0x49, 0x01, 0xc7, 0x49, 0x31, 0xd7, 0x4d, 0x31, 0xd7); // r15 += r11, rbx, rax; ^= rdx, r10
          a.bytes(0x4d, 0x69, 0xff, 0x93, 0x01, 0x00, 0x01); // imul $0x1000193, %r15, %r15
        });
        a.callLabel('g'); // g's indirect calls run with g's entry on the shadow stack
        a.movLabel(RAX, 'back');
        a.bytes(0xff, 0xe0); // jmp *%rax
        a.label('back');
        a.movLabel(RCX, 'back2');
        a.bytes(0x48, 0x89, 0x0e, 0xff, 0x26); // mov %rcx, (%rsi); jmp *(%rsi)
        a.label('back2');
        a.bytes(0x49, 0xff, 0xce); // dec %r14
        a.jccLabel(5, 'loop');
        a.movImm64(RDI, DATA + 0x800n);
        a.bytes(0x4c, 0x89, 0x3f); // mov %r15, (%rdi)
        a.bytes(0x31, 0xc9, 0x48, 0xf7, 0xf1); // xor %ecx, %ecx; div %rcx: #DE
        a.ud2();
        a.align(64);
        a.label('g');
        a.movLabel(RAX, 'f');
        a.bytes(0xff, 0xd0); // call *%rax
        a.movLabel(RCX, 'f');
        a.bytes(0x48, 0x89, 0x0e, 0xff, 0x16); // mov %rcx, (%rsi); call *(%rsi)
        a.ret();
        a.label('f');
        a.bytes(0x49, 0x83, 0xc7, 0x03, 0x4d, 0x69, 0xff, 0x93, 0x01, 0x00, 0x01); // add $3, %r15; imul
        a.ret();
      }, { cpus: 1, tier });
      const o = kernel.run(20_000_000);
      const at = Number(BigInt.asIntN(64, DATA + 0x800n));
      const r = machine.mem.find(at, 8)!;
      return {
        outcome: `${o.reason} ${o.error ?? ''} ${o.violation?.summary ?? ''}`, sum: r.dv.getBigUint64(at - r.start, true).toString(16),
        state: stateOf(machine) + flowOf(kernel), compiled: jitStats.instructions,
      };
    }

    it('the same results, flags, state, call/ret monitor and #DE report as the interpreter, nearly all of it compiled', () => {
      const i = arithForms('interp');
      const j = arithForms('jit');
      expect(i.outcome).toMatch(/divi/);
      expect(i.sum).not.toBe('0');
      expect(j.outcome).toBe(i.outcome);
      expect(j.sum).toBe(i.sum);
      expect(j.state).toBe(i.state);
      expect(j.compiled, 'the forms ran compiled').toBeGreaterThan(400_000);
    });

    it.runIf(backend === 'wasm')('negative controls: a 64-bit mul without the middle carry, a div that ignores rdx, an indirect call without its shadow entry', () => {
      const i = arithForms('interp');
      for (const k of ['mulDropsCarry', 'divIgnoresHigh', 'indirectCallSkipsShadow'] as const) {
        jitBroken[k] = true;
        const j = arithForms('jit');
        jitBroken[k] = false;
        expect(j.outcome + j.sum + j.state, k).not.toBe(i.outcome + i.sum + i.state);
      }
    });

    it.runIf(backend === 'wasm')('the same with every jump inside a unit through the dispatch at its top (no forward branch, no block loop)', () => {
      const i = arithForms('interp');
      jitBroken.jumpsThroughDispatch = true;
      const j = arithForms('jit');
      expect(j.outcome).toBe(i.outcome);
      expect(j.sum).toBe(i.sum);
      expect(j.state).toBe(i.state);
    });

    it.runIf(backend === 'wasm')('the same with indirect jumps and calls through the exec import', () => {
      const i = arithForms('interp');
      jitBroken.indirectThroughImport = true;
      const j = arithForms('jit');
      expect(j.sum).toBe(i.sum);
      expect(j.state).toBe(i.state);
    });
  });

  describe(`${backend}: string instructions (rep stos, rep movs), against the interpreter`, () => {
    /**
     * A loop on a xorshift r8 over stos and movs at every size, with and without rep, counts 0..63
     * (from r8), forward and backward (std), copies that overlap either way (a forward rep movs with
     * the destination one byte above the source replicates, as memmove would not), and every 16th
     * turn a rep stosb of over 4,096 bytes (it retires in chunks and restarts at its own address). On
     * the last turn a rep stosb of 200 bytes runs off the end of the 16 KiB data area (#PF, no handler,
     * after the bytes before the end were written). After each form pushf and rdi, rcx and rsi are mixed into r15. Returns the outcome, the
     * state (memory included) and the instructions run compiled.
     */
    function stringForms(tier: Tier): { outcome: string; state: string; compiled: number } {
      resetJitStats();
      const { kernel, machine } = tinyKernel((a) => {
        const at = (r: number, off: number): void => { a.movImm64(r, DATA + BigInt(off)); };
        const count = [0x44, 0x89, 0xc1, 0x83, 0xe1, 0x3f]; // mov %r8d, %ecx; and $0x3f, %ecx
        const raxR8 = [0x4c, 0x89, 0xc0];
        a.movImm64(8, 0x9e3779b97f4a7c15n);
        a.movImm32(14, 1_500);
        a.movImm32(15, 0);
        a.label('loop');
        a.bytes(0x4d, 0x89, 0xc3, 0x49, 0xc1, 0xe3, 0x0d, 0x4d, 0x31, 0xd8);
        a.bytes(0x4d, 0x89, 0xc3, 0x49, 0xc1, 0xeb, 0x07, 0x4d, 0x31, 0xd8);
        a.bytes(0x4d, 0x89, 0xc3, 0x49, 0xc1, 0xe3, 0x11, 0x4d, 0x31, 0xd8);
        const forms: (() => void)[] = [
          () => { a.bytes(...raxR8); at(RDI, 0x100); a.bytes(...count, 0xf3, 0xaa); }, // rep stosb
          () => { a.bytes(...raxR8); at(RDI, 0x181); a.bytes(...count, 0x66, 0xf3, 0xab); }, // rep stosw, unaligned
          () => { a.bytes(...raxR8); at(RDI, 0x200); a.bytes(...count, 0xf3, 0xab); }, // rep stosl
          () => { a.bytes(...raxR8); at(RDI, 0x300); a.bytes(...count, 0xf3, 0x48, 0xab); }, // rep stosq
          () => { a.bytes(...raxR8); at(RDI, 0x53); a.bytes(0xaa, 0x48, 0xab); }, // stosb; stosq
          () => { at(RSI, 0x100); at(RDI, 0x900); a.bytes(...count, 0xf3, 0xa4); }, // rep movsb
          () => { at(RSI, 0x300); at(RDI, 0xa00); a.bytes(...count, 0xf3, 0x48, 0xa5); }, // rep movsq
          () => { at(RSI, 0x300); at(RDI, 0x301); a.bytes(...count, 0xf3, 0xa4); }, // rep movsb, destination 1 above (over stosq's bytes): replicates
          () => { at(RSI, 0x204); at(RDI, 0x200); a.bytes(...count, 0xf3, 0xa5); }, // rep movsl, destination below
          () => { at(RSI, 0x180); at(RDI, 0xc00); a.bytes(0xa4, 0x48, 0xa5); }, // movsb; movsq
          () => { a.bytes(...raxR8); at(RDI, 0x6ff); a.bytes(...count, 0xfd, 0xf3, 0xaa, 0xfc); }, // std; rep stosb; cld
          () => { at(RSI, 0x4f8); at(RDI, 0xdf8); a.bytes(...count, 0xfd, 0xf3, 0x48, 0xa5, 0xfc); }, // std; rep movsq; cld
          () => {
            // rep stosb of 3 bytes; of 4,100 every 16th turn; on the second-to-last turn of 0x1e00 from 0x2100
            // (two chunks, up to 0x3f00); on the last turn of 200 from 0x3f9c (#PF at 0x4000, in the first chunk)
            a.bytes(...raxR8); at(RDI, 0x1000); a.movImm32(RCX, 3);
            a.bytes(0x41, 0xf6, 0xc6, 0x0f); a.jccLabel(5, 'short'); a.movImm32(RCX, 4_100); a.label('short'); // test $15, %r14b
            a.bytes(0x49, 0x83, 0xfe, 0x02); a.jccLabel(5, 'not2'); a.movImm32(RCX, 0x1e00); at(RDI, 0x2100); a.label('not2'); // cmp $2, %r14
            a.bytes(0x49, 0x83, 0xfe, 0x01); a.jccLabel(5, 'notlast'); a.movImm32(RCX, 200); at(RDI, 0x3f9c); a.label('notlast'); // cmp $1, %r14
            a.bytes(0xf3, 0xaa);
          },
        ];
        for (const f of forms) {
          f();
          a.bytes(0x9c, 0x5b); // pushf; pop %rbx
          a.bytes(0x49, 0x01, 0xdf, 0x49, 0x01, 0xff, 0x49, 0x31, 0xcf, 0x49, 0x01, 0xf7); // r15 += rbx, rdi; ^= rcx; += rsi
          a.bytes(0x4d, 0x69, 0xff, 0x93, 0x01, 0x00, 0x01); // imul $0x1000193, %r15, %r15
        }
        a.bytes(0x49, 0xff, 0xce); // dec %r14
        a.jccLabel(5, 'loop');
        a.ud2();
      }, { cpus: 1, tier, dataSize: 0x4000 });
      const o = kernel.run(40_000_000);
      return { outcome: `${o.reason} ${o.error ?? ''} ${o.violation?.summary ?? ''}`, state: stateOf(machine), compiled: jitStats.instructions };
    }

    it('the same memory, registers, flags, counts and #PF report as the interpreter, nearly all of it compiled', () => {
      const i = stringForms('interp');
      const j = stringForms('jit');
      expect(i.outcome).toMatch(/page fault|#PF/i);
      expect(j.outcome).toBe(i.outcome);
      expect(j.state).toBe(i.state);
      expect(j.compiled, 'the forms ran compiled').toBeGreaterThan(100_000);
    });

    it('negative control: compiled code that goes on after an unfinished rep chunk leaves the rest unwritten', () => {
      const i = stringForms('interp');
      jitBroken.repRunsOn = true;
      const j = stringForms('jit');
      expect(j.state).not.toBe(i.state);
    });

    it.runIf(backend === 'wasm')('negative control: a native rep movs that copies as memmove where the destination lies just above the source', () => {
      const i = stringForms('interp');
      jitBroken.movsAsMemmove = true;
      const j = stringForms('jit');
      expect(j.state).not.toBe(i.state);
    });

    it.runIf(backend === 'wasm')('negative control: a native rep stos that checks only its first bytes against the region misses the #PF', () => {
      const i = stringForms('interp');
      jitBroken.stringRangeIgnoresLength = true;
      const j = stringForms('jit');
      expect(j.outcome).not.toBe(i.outcome);
    });

    it.runIf(backend === 'wasm')('the same with rep stosb stored byte by byte (the wider sizes\' loop) instead of memory.fill', () => {
      const i = stringForms('interp');
      jitBroken.stosLoopOnly = true;
      const j = stringForms('jit');
      expect(j.outcome).toBe(i.outcome);
      expect(j.state).toBe(i.state);
    });
  });

  describe(`${backend}: calls and returns in compiled code, and the call/ret monitor`, () => {
    /** A hot loop calling f 3,000 times; on the last call f overwrites its return address (the monitor's invariant 3). */
    function smashOnLast(tier: Tier): { outcome: string; cycles: string; checks: number; compiled: number } {
      resetJitStats();
      const { kernel, machine } = tinyKernel((a) => {
        a.movImm32(RCX, 3_000);
        a.label('loop');
        a.callLabel('f');
        a.subImm(RCX, 1);
        a.jccLabel(5, 'loop');
        a.ud2();
        a.align(64);
        a.label('f');
        a.cmpImm(RCX, 1);
        a.jccLabel(5, 'ok');
        a.movLabel(RAX, 'elsewhere');
        a.bytes(0x48, 0x89, 0x04, 0x24); // mov %rax, (%rsp)
        a.label('ok');
        a.ret();
        a.label('elsewhere');
        a.movImm32(RAX, HC_EXIT).vmcall();
      }, { cpus: 1, tier });
      const o = kernel.run(1_000_000);
      return { outcome: `${o.reason} ${o.violation?.summary ?? ''}`, cycles: machine.cpus.map((c) => c.cycles).join(','), checks: kernel.flow!.checks, compiled: jitStats.instructions };
    }

    it('a ret to an overwritten return address is the same violation, at the same cycle, as in the interpreter', () => {
      const i = smashOnLast('interp');
      const j = smashOnLast('jit');
      expect(i.outcome).toMatch(/^violation .*ret to/);
      expect(j.compiled, 'the loop and f ran compiled').toBeGreaterThan(5_000);
      expect(j.outcome).toBe(i.outcome);
      expect(j.cycles).toBe(i.cycles);
      expect(j.checks).toBe(i.checks);
    });

    it.runIf(backend === 'wasm')('negative control: a compiled ret that does not check the shadow stack misses it', () => {
      const i = smashOnLast('interp');
      jitBroken.retSkipsShadow = true;
      const j = smashOnLast('jit');
      expect(j.outcome).not.toBe(i.outcome);
    });

    it.runIf(backend === 'wasm')('the same with every call and ret through the monitor (the import): only the entries change', () => {
      const i = smashOnLast('interp');
      jitBroken.callsThroughMonitor = true;
      const j = smashOnLast('jit');
      expect(j.outcome).toBe(i.outcome);
      expect(j.cycles).toBe(i.cycles);
      expect(j.checks).toBe(i.checks);
    });
  });

  describe(`${backend}: the index of compiled units (Region.jitLines)`, () => {
    /** A hot loop on one CPU, compiled; returns the text region with its units. */
    function hotLoop(): { kernel: ReturnType<typeof tinyKernel>['kernel']; machine: Machine; loop: bigint } {
      const t = tinyKernel((a) => {
        a.movImm32(RCX, 200_000);
        a.label('loop');
        a.bytes(...new Array(70).fill(0x90)); // nops: the unit spans two 64-byte lines
        a.subImm(RCX, 1);
        a.jccLabel(5, 'loop');
        a.movImm32(RAX, HC_EXIT).vmcall();
      }, { cpus: 1, tier: 'jit' });
      return { ...t, loop: t.asm.addressOf('loop') };
    }
    const units = (m: Machine): { live: number; dead: number } => {
      const r = m.mem.find(Number(BigInt.asIntN(64, 0xffffffff81000000n)))!;
      let live = 0, dead = 0;
      for (const us of r.jitLines?.values() ?? []) for (const u of us) if (u.alive) live++; else dead++;
      return { live, dead };
    };

    it('a write into a line kills the units over it and takes them out of every line they covered', () => {
      const { kernel, machine, loop } = hotLoop();
      kernel.run(100_000);
      const before = units(machine);
      expect(before.live, 'the loop was compiled').toBeGreaterThan(1);
      machine.mem.textWrite(loop + 2n, new Uint8Array([0x90]), kernel.steps, 0);
      const after = units(machine);
      // the units over the written line are gone from the whole index; those wholly in other lines stay
      expect(after.dead).toBe(0);
      expect(after.live).toBeLessThan(before.live);
    });

    it('a snapshot restore that puts other bytes back kills the units over them (here the whole loop) and takes them out of the index', () => {
      const { kernel, machine, loop } = hotLoop();
      kernel.run(1_000);
      const snap = kernel.snapshot();
      machine.mem.textWrite(loop + 2n, new Uint8Array([0x66]), kernel.steps, 0); // a different byte (0x66 0x90 is a 2-byte nop)
      kernel.run(kernel.steps + 100_000);
      expect(units(machine).live).toBeGreaterThan(0);
      kernel.restore(snap);
      expect(units(machine)).toEqual({ live: 0, dead: 0 });
    });
  });
});

if (backends.includes('wasm')) describe('wasm backend: ftrace\'s patch sites inside compiled units', () => {
  const vmlinux = new Uint8Array(readFileSync(join(__dirname, '..', '..', 'fixtures', 'vmlinux')));
  /** The bundled kernel's short workload with the site log on: the sites run, in order, and the state at the end. */
  function siteLog(tier: Tier): { sites: number[]; state: string; chained: number } {
    resetJitStats();
    const { kernel, machine } = boot(vmlinux, 'fixtures/vmlinux', { cpus: 1, seed: 1, tier, pokeSymbols: { workload_iterations: 300n, smp_workload_iterations: 0n } }, () => undefined);
    machine.mem.events.log = true;
    const o = kernel.run(1e9);
    expect(o.reason).toBe('halted');
    return { sites: machine.mem.events.siteExecs.slice(), state: stateOf(machine), chained: jitStats.chained };
  }
  const defaultHotHere = jitConfig.hot, backendHere = jitConfig.backend;
  beforeAll(() => { jitConfig.backend = 'wasm'; jitConfig.hot = 64; });
  afterAll(() => { jitConfig.backend = backendHere; jitConfig.hot = defaultHotHere; });
  afterEach(() => { jitBroken.sitesUnlogged = false; });

  it('log the same site executions, in the same order, as the interpreter, and leave the same state', () => {
    const i = siteLog('interp');
    const j = siteLog('jit');
    expect(i.sites.length).toBeGreaterThan(10_000);
    expect(j.chained, 'units chained into units').toBeGreaterThan(10_000);
    expect(j.sites.length).toBe(i.sites.length);
    expect(j.sites).toEqual(i.sites);
    expect(j.state).toBe(i.state);
  });

  it('negative control: compiled sites that do not report themselves leave most executions out of the log', () => {
    const i = siteLog('interp');
    jitBroken.sitesUnlogged = true;
    const j = siteLog('jit');
    expect(j.sites.length).toBeLessThan(i.sites.length / 2);
  });
});

if (backends.includes('wasm')) describe('wasm backend: the region cache names one machine', () => {
  /**
   * A hot loop adds a word of its data page to rax 200,000 times and stores the sum. Halfway, the CPU's region
   * cache in the arena is pointed at the data page of another machine with the same layout (what a
   * stale entry could name once a freed block is reused): compiled code must not read through it.
   */
  function sumWithForeignCache(tier: Tier): number {
    const build = () => tinyKernel((a) => {
      a.movImm64(RSI, DATA + 0x800n);
      a.movImm32(RAX, 0);
      a.movImm32(RCX, 200_000);
      a.label('loop');
      a.bytes(0x48, 0x03, 0x06); // add (%rsi), %rax
      a.addImm(RCX, -1);
      a.jccLabel(5, 'loop');
      a.bytes(0x48, 0x89, 0x46, 0x08); // mov %rax, 8(%rsi): the sum, before the kernel's #UD handler runs
      a.ud2();
    }, { cpus: 1, tier });
    const A = build(), B = build();
    const word = (t: ReturnType<typeof build>, v: number): Region => {
      const at = Number(BigInt.asIntN(64, DATA + 0x800n));
      const r = t.machine.mem.find(at, 8)!;
      r.dv.setUint32(at - r.start, v, true);
      return r;
    };
    word(A, 1);
    const foreign = word(B, 1000);
    expect(foreign.desc, 'the other machine\'s data page is in the arena').toBeGreaterThan(0);
    A.kernel.run(300_000);
    const cpu = A.machine.cpus[0];
    // the slot's region cache words (arena.ts: S.DC0 = 456, S.DC1 = 460; a const enum, not visible here)
    const slot = new Int32Array(arena.buffer, cpu.slot, 128);
    slot[456 >> 2] = foreign.desc;
    slot[460 >> 2] = foreign.desc;
    A.kernel.run(1_000_000);
    const at = Number(BigInt.asIntN(64, DATA + 0x808n));
    const r = A.machine.mem.find(at, 8)!;
    return Number(r.dv.getBigInt64(at - r.start, true));
  }

  const defaultHotHere = jitConfig.hot, backendHere = jitConfig.backend;
  beforeAll(() => { jitConfig.backend = 'wasm'; jitConfig.hot = 64; });
  afterAll(() => { jitConfig.backend = backendHere; jitConfig.hot = defaultHotHere; });
  afterEach(() => { jitBroken.ignoreRegionTag = false; });

  it('reads its own machine\'s memory after the cache names another\'s', () => {
    const own = sumWithForeignCache('interp');
    expect(own).toBeGreaterThan(0);
    resetJitStats();
    expect(sumWithForeignCache('jit')).toBe(own);
    expect(jitStats.instructions, 'the loop ran compiled').toBeGreaterThan(200_000);
  });

  it('negative control: without the machine tag check, the loop reads the other machine\'s page', () => {
    clearJitCache();
    const own = sumWithForeignCache('interp');
    jitBroken.ignoreRegionTag = true;
    expect(sumWithForeignCache('jit')).toBeGreaterThan(own);
    clearJitCache();
  });
});
}
