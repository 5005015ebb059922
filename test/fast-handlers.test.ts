// Differential property tests of the interpreter's fast handlers: each form runs once through its handler and once through the generic exec, from the same random state.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cpu, type CpuBus } from '../src/machine/x86/cpu.js';
import { Memory, PERM_R, PERM_W, PERM_X, addrToNum } from '../src/machine/memory.js';
import { decode } from '../src/machine/x86/decode.js';
import { formatInsn } from '../src/machine/x86/format.js';
import { selectHandler } from '../src/machine/x86/handlers.js';
import { hAluMem, hAluLoad } from '../src/machine/x86/alu.js';
import { hShiftReg } from '../src/machine/x86/shift.js';
import { hSetccReg } from '../src/machine/x86/flags.js';
import type { Insn, InsnHandler } from '../src/machine/x86/insn.js';

const TEXT = 0xffffffff81000000n;
/** Writable data, then a read-only page right after it (writes that run off the end fault). */
const DATA = 0xffffffff81100000n;
const DATA_SIZE = 256;
const RODATA = DATA + BigInt(DATA_SIZE);
/** Where the instruction under test sits (a prelude that sets the lazy flags runs at TEXT). */
const AT = TEXT + 16n;
const RSP = 4;
const bus: CpuBus = { out: () => undefined, in: () => 0, hypercall: () => undefined };

/** A register, memory and flags state, applied identically to both CPUs. */
interface State {
  lo: number[];
  hi: number[];
  flags: number;
  /** a flag-setting instruction run first (lazy flags pending from add, sub, adc, inc, ...), or none */
  prelude: number[] | null;
  mem: Uint8Array;
  /** where the memory operand points, as an offset from DATA (negative or past the ends: a fault) */
  memOff: number;
  /** index register value when the operand has one */
  index: number;
  segBase: number;
}

/** What the comparison looks at after the instruction ran. */
interface Outcome {
  lo: number[]; hi: number[]; rip: bigint; rflags: number;
  lazy: number[]; mem: number[]; fault: string | null; cycles: number;
}

const PRELUDES: number[][] = [
  [0x48, 0x01, 0xc8], // add %rcx,%rax
  [0x48, 0x29, 0xd3], // sub %rdx,%rbx
  [0x19, 0xf7], // sbb %esi,%edi
  [0x10, 0xc3], // adc %al,%bl
  [0x31, 0xc8], // xor %ecx,%eax
  [0xff, 0xc1], // inc %ecx
  [0x48, 0xff, 0xca], // dec %rdx
  [0x38, 0xc8], // cmp %cl,%al
  [0x66, 0x39, 0xc2], // cmp %ax,%dx
  [0x83, 0xc0, 0x7f], // add $0x7f,%eax
  [0xc1, 0xe0, 0x03], // shl $3,%eax (materialized flags)
];

/** Run the instruction `bytes` from `s`; `how` is 'fast' (its selected handler), 'generic' (handler null) or a replacement handler. */
function runOnce(bytes: Uint8Array, d0: Insn, s: State, how: 'fast' | 'generic' | InsnHandler): Outcome {
  const mem = new Memory();
  const text = mem.map('text', TEXT, 4096, PERM_R | PERM_X);
  const data = mem.map('data', DATA, DATA_SIZE, PERM_R | PERM_W);
  const ro = mem.map('rodata', RODATA, DATA_SIZE, PERM_R);
  data.bytes.set(s.mem.subarray(0, DATA_SIZE));
  ro.bytes.set(s.mem.subarray(DATA_SIZE));
  if (s.prelude) text.bytes.set(s.prelude, 0);
  text.bytes.set(bytes, Number(AT - TEXT));
  const c = new Cpu(0, mem, bus);
  c.lo.set(s.lo); c.hi.set(s.hi);
  c.setReg(RSP, DATA + 128n);
  c.fsBase = s.segBase; c.gsBase = s.segBase;
  if (d0.hasMem) {
    // point the memory operand at DATA + memOff: the index gets a small value, the base the rest
    const segBase = d0.prefixes & (512 | 1024) ? BigInt(s.segBase) : 0n;
    const target = DATA + BigInt(s.memOff) - BigInt(d0.disp) - segBase;
    if (d0.index >= 0 && d0.index !== d0.base) c.setReg(d0.index, BigInt(s.index));
    if (d0.base >= 0) c.setReg(d0.base, target - (d0.index >= 0 && d0.index !== d0.base ? BigInt(s.index * d0.scale) : 0n));
  }
  c.setFlags(s.flags);
  if (s.prelude) { c.setRip(TEXT); c.run(1); }
  c.setRip(AT);
  const d = c.fetch();
  if (how === 'generic') d.handler = null;
  else if (how !== 'fast') d.handler = how;
  c.run(1);
  const f = c.fault;
  return {
    lo: [...c.lo], hi: [...c.hi], rip: c.getRip(), rflags: c.getFlags(),
    lazy: [...c.li.slice(0, 9), c.flags], // the lazy-flag words (arena.ts: L)
    mem: [...data.bytes, ...ro.bytes], fault: f ? `${f.vector} ${f.detail} ${f.address} ${f.rip}` : null, cycles: c.cycles,
  };
}

/** Where two outcomes differ (empty: the same). */
function diff(a: Outcome, b: Outcome): string[] {
  const out: string[] = [];
  for (let r = 0; r < 16; r++) if (a.lo[r] !== b.lo[r] || a.hi[r] !== b.hi[r]) out.push(`reg ${r}`);
  if (a.rip !== b.rip) out.push('rip');
  if (a.rflags !== b.rflags) out.push(`rflags ${a.rflags.toString(16)} vs ${b.rflags.toString(16)}`);
  if (a.lazy.some((v, i) => v !== b.lazy[i])) out.push(`lazy flags ${a.lazy} vs ${b.lazy}`);
  if (a.mem.some((v, i) => v !== b.mem[i])) out.push('memory');
  if (a.fault !== b.fault) out.push(`fault ${a.fault} vs ${b.fault}`);
  if (a.cycles !== b.cycles) out.push('cycles');
  return out;
}

/** An instruction form: opcode bytes, whether it has a ModRM (and a fixed reg field), its immediate. */
interface Form {
  name: string;
  opcodes: number[][];
  /** ModRM reg field values allowed (group opcodes); undefined: any */
  ext?: number[];
  /** 'reg': mod 3 only, 'mem': memory only, 'any', 'none': no ModRM (register in the opcode) */
  modrm: 'reg' | 'mem' | 'any' | 'none';
  /** immediate bytes: 0, 1, or 'z' (4, or 2 with the operand-size prefix) */
  imm: 0 | 1 | 'z';
  /** prefixes that may precede it */
  pfx?: number[];
}

const range = (a: number, n: number, pre: number[] = []): number[][] => Array.from({ length: n }, (_, i) => [...pre, a + i]);
const ALU_OPS = [0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38];
const COMMON_PFX = [0x66, 0x64, 0x65];

const FORMS: Form[] = [
  { name: 'alu r/m,r and r,r/m (all widths, memory and registers)', opcodes: ALU_OPS.flatMap((b) => range(b, 4)), modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'alu $imm8,r/m8', opcodes: [[0x80]], modrm: 'any', imm: 1, pfx: COMMON_PFX },
  { name: 'alu $imm,r/m', opcodes: [[0x81]], modrm: 'any', imm: 'z', pfx: COMMON_PFX },
  { name: 'alu $imm8,r/m (sign-extended)', opcodes: [[0x83]], modrm: 'any', imm: 1, pfx: COMMON_PFX },
  { name: 'test r,r/m', opcodes: [[0x84], [0x85]], modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'test $imm8,r/m8', opcodes: [[0xf6]], ext: [0], modrm: 'any', imm: 1, pfx: COMMON_PFX },
  { name: 'test $imm,r/m', opcodes: [[0xf7]], ext: [0], modrm: 'any', imm: 'z', pfx: COMMON_PFX },
  { name: 'mov r/m,r and r,r/m', opcodes: range(0x88, 4), modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'mov $imm8,r/m8', opcodes: [[0xc6]], ext: [0], modrm: 'any', imm: 1, pfx: COMMON_PFX },
  { name: 'mov $imm,r/m (16-bit, fs/gs)', opcodes: [[0xc7]], ext: [0], modrm: 'any', imm: 'z', pfx: COMMON_PFX },
  { name: 'mov $imm8,r8', opcodes: range(0xb0, 8), modrm: 'none', imm: 1 },
  { name: 'movzx', opcodes: [[0x0f, 0xb6], [0x0f, 0xb7]], modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'movsx', opcodes: [[0x0f, 0xbe], [0x0f, 0xbf]], modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'movsxd', opcodes: [[0x63]], modrm: 'any', imm: 0, pfx: [0x64, 0x65] },
  { name: 'shift/rotate by $imm8', opcodes: [[0xc0], [0xc1]], modrm: 'any', imm: 1, pfx: COMMON_PFX },
  { name: 'shift/rotate by 1', opcodes: [[0xd0], [0xd1]], modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'shift/rotate by %cl', opcodes: [[0xd2], [0xd3]], modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'inc/dec', opcodes: [[0xfe], [0xff]], ext: [0, 1], modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'not/neg', opcodes: [[0xf6], [0xf7]], ext: [2, 3], modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'mul/imul/div/idiv (one operand)', opcodes: [[0xf6], [0xf7]], ext: [4, 5, 6, 7], modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'setcc', opcodes: range(0x90, 16, [0x0f]), ext: [0], modrm: 'any', imm: 0, pfx: [0x64, 0x65] },
  { name: 'cmovcc', opcodes: range(0x40, 16, [0x0f]), modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'imul r,r/m', opcodes: [[0x0f, 0xaf]], modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'imul $imm,r/m,r', opcodes: [[0x69]], modrm: 'any', imm: 'z', pfx: COMMON_PFX },
  { name: 'imul $imm8,r/m,r', opcodes: [[0x6b]], modrm: 'any', imm: 1, pfx: COMMON_PFX },
  { name: 'lea (32- and 16-bit, fs/gs)', opcodes: [[0x8d]], modrm: 'mem', imm: 0, pfx: COMMON_PFX },
  { name: 'xchg registers', opcodes: [[0x86], [0x87]], modrm: 'reg', imm: 0, pfx: [0x66] },
  { name: 'bt r,r/m family', opcodes: [[0x0f, 0xa3], [0x0f, 0xab], [0x0f, 0xb3], [0x0f, 0xbb]], modrm: 'any', imm: 0, pfx: COMMON_PFX },
  { name: 'bt $imm8,r/m family', opcodes: [[0x0f, 0xba]], ext: [4, 5, 6, 7], modrm: 'any', imm: 1, pfx: COMMON_PFX },
  { name: 'bsf/bsr/tzcnt/lzcnt/popcnt', opcodes: [[0x0f, 0xbc], [0x0f, 0xbd], [0xf3, 0x0f, 0xbc], [0xf3, 0x0f, 0xbd], [0xf3, 0x0f, 0xb8]], modrm: 'any', imm: 0, pfx: [0x64, 0x65] },
  { name: 'bswap', opcodes: range(0xc8, 8, [0x0f]), modrm: 'none', imm: 0 },
  { name: 'cbw/cwd family', opcodes: [[0x98], [0x99]], modrm: 'none', imm: 0, pfx: [0x66] },
  { name: 'jmp/call indirect', opcodes: [[0xff]], ext: [2, 4], modrm: 'any', imm: 0, pfx: [0x64, 0x65] },
  { name: 'nop, pause, mfence', opcodes: [[0x90], [0xf3, 0x90], [0x0f, 0xae, 0xf0]], modrm: 'none', imm: 0 },
  { name: 'nop r/m (not at a patch site)', opcodes: [[0x0f, 0x1f]], ext: [0], modrm: 'mem', imm: 0, pfx: [0x66] },
];

const u32 = fc.oneof(fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff), fc.nat(0xffffffff));
const i32 = u32.map((v) => v | 0);

const stateArb: fc.Arbitrary<State> = fc.record({
  lo: fc.array(u32, { minLength: 16, maxLength: 16 }),
  hi: fc.array(i32, { minLength: 16, maxLength: 16 }),
  flags: fc.nat(0xfff).map((v) => (v & 0xcd5) | 0x2), // the arithmetic flags and DF
  prelude: fc.option(fc.constantFrom(...PRELUDES), { freq: 3 }),
  mem: fc.uint8Array({ minLength: 2 * DATA_SIZE, maxLength: 2 * DATA_SIZE }),
  memOff: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 * DATA_SIZE - 8 }) }, { weight: 1, arbitrary: fc.integer({ min: -16, max: 2 * DATA_SIZE + 8 }) }),
  index: fc.nat(7),
  segBase: fc.constantFrom(0, 0x1000, -0x2000),
});

/** Instruction bytes of one form: prefixes, REX, opcode, ModRM/SIB/displacement, immediate. */
function formBytes(f: Form): fc.Arbitrary<Uint8Array> {
  return fc.record({
    pfx: fc.subarray(f.pfx ?? [], { maxLength: Math.min(2, (f.pfx ?? []).length) }),
    rex: fc.option(fc.integer({ min: 0x40, max: 0x4f }), { freq: 2 }),
    opc: fc.constantFrom(...f.opcodes),
    mod: f.modrm === 'reg' ? fc.constant(3) : f.modrm === 'mem' ? fc.integer({ min: 0, max: 2 }) : fc.integer({ min: 0, max: 3 }),
    reg: f.ext ? fc.constantFrom(...f.ext) : fc.nat(7),
    rm: fc.nat(7), sib: fc.nat(255),
    disp: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    imm: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  }).map(({ pfx, rex, opc, mod, reg, rm, sib, disp, imm }) => {
    const out: number[] = [];
    // a mandatory prefix (f3 for tzcnt) stays next to the opcode, after the others and REX
    const mand = opc.length > 1 && opc[0] === 0xf3 ? [0xf3] : [];
    const op = mand.length ? opc.slice(1) : opc;
    out.push(...pfx, ...mand);
    if (rex !== null) out.push(rex);
    out.push(...op);
    if (f.modrm !== 'none') {
      if (mod === 0 && rm === 5) mod = 1; // not rip-relative: the test points the operand at its data
      if (mod === 0 && rm === 4 && (sib & 7) === 5) mod = 1; // not base-less
      out.push((mod << 6) | (reg << 3) | rm);
      if (mod !== 3 && rm === 4) out.push(sib);
      if (mod === 1) out.push(disp[0]);
      if (mod === 2) out.push(...disp);
    }
    const immLen = f.imm === 'z' ? (pfx.includes(0x66) ? 2 : 4) : f.imm;
    out.push(...imm.subarray(0, immLen));
    return Uint8Array.from(out);
  });
}

/** Decode bytes as the CPU will (null: not an instruction the interpreter executes). */
function decodeAt(bytes: Uint8Array): Insn | null {
  const d = decode(bytes, 0, bytes.length, addrToNum(AT));
  return d.op === 0 || d.error !== '' || d.len !== bytes.length ? null : d;
}

describe('fast handlers against the generic exec', () => {
  for (const f of FORMS) {
    it(f.name, () => {
      let ran = 0;
      fc.assert(fc.property(formBytes(f), stateArb, (bytes, s) => {
        const d = decodeAt(bytes);
        fc.pre(d !== null);
        // the form gets a handler of its own (it no longer falls through to the generic exec)
        expect(selectHandler(d), formatInsn(d)).not.toBeNull();
        const fast = runOnce(bytes, d, s, 'fast');
        const generic = runOnce(bytes, d, s, 'generic');
        expect(diff(fast, generic), `${formatInsn(d)} (${[...bytes].map((b) => b.toString(16)).join(' ')})`).toEqual([]);
        ran++;
      }), { numRuns: 150 });
      expect(ran).toBeGreaterThan(75); // most generated encodings decode
    });
  }
});

describe('what stays on the generic path', () => {
  it('locked read-modify-write and xchg with memory get no handler; the same without lock do', () => {
    for (const hex of ['f0 01 07', 'f0 48 83 07 01', 'f0 ff 07', 'f0 0f ab 07', 'f0 f6 17', '87 07']) {
      const d = decodeAt(Uint8Array.from(hex.split(' ').map((x) => parseInt(x, 16))))!;
      expect(d, hex).not.toBeNull();
      expect(selectHandler(d), formatInsn(d)).toBeNull();
    }
    // control: the unlocked twins (and xchg of registers) are fast, so the check above tells the two apart
    for (const hex of ['01 07', '48 83 07 01', 'ff 07', '0f ab 07', 'f6 17', '87 c7']) {
      const d = decodeAt(Uint8Array.from(hex.split(' ').map((x) => parseInt(x, 16))))!;
      expect(selectHandler(d), formatInsn(d)).not.toBeNull();
    }
  });

  it('a patch-site instruction gets no handler', () => {
    const d = decodeAt(Uint8Array.from([0x0f, 0x1f, 0x44, 0x00, 0x00]))!;
    expect(selectHandler(d, { len: 5 })).toBeNull();
    expect(selectHandler(decodeAt(Uint8Array.from([0x0f, 0x1f, 0x44, 0x00, 0x00]))!)).not.toBeNull(); // control
  });
});

describe('negative controls: the comparison catches a wrong handler', () => {
  const base: State = {
    lo: Array.from({ length: 16 }, (_, i) => (i * 0x01010101 + 0x80) >>> 0), hi: Array.from({ length: 16 }, (_, i) => i - 8),
    flags: 0x2, prelude: null, mem: Uint8Array.from({ length: 2 * DATA_SIZE }, (_, i) => (i * 37) & 0xff), memOff: 40, index: 3, segBase: 0,
  };
  const check = (hex: string, wrong: InsnHandler, s: State = base): string[] => {
    const bytes = Uint8Array.from(hex.split(' ').map((x) => parseInt(x, 16)));
    const d = decodeAt(bytes)!;
    // the real handler agrees with the generic exec on this state; the wrong one does not
    expect(diff(runOnce(bytes, d, s, 'fast'), runOnce(bytes, d, s, 'generic'))).toEqual([]);
    return diff(runOnce(bytes, d, s, wrong), runOnce(bytes, d, s, 'generic'));
  };

  it('a memory ALU handler that forgets the write-back', () => {
    const noWriteBack: InsnHandler = (c: Cpu, d: Insn) => { const op = d.op; d.op = 8 /* CMP */; try { hAluMem(c, d); } finally { d.op = op; } };
    expect(check('01 47 08', noWriteBack)).toContain('memory'); // add %eax,0x8(%rdi)
  });

  it('a load-ALU handler that keeps the 32-bit destination high half', () => {
    const keepsHigh: InsnHandler = (c: Cpu, d: Insn) => { const h = c.hi[d.reg]; hAluLoad(c, d); c.hi[d.reg] = h; };
    expect(check('33 07', keepsHigh)).toEqual(['reg 0']); // xor (%rdi),%eax
  });

  it('a shift handler that does not zero-extend a 32-bit shift by 0', () => {
    const noZext: InsnHandler = (c: Cpu, d: Insn) => { const h = c.hi[d.rm]; hShiftReg(c, d); if ((c.lo[1] & 31) === 0) c.hi[d.rm] = h; };
    const s = { ...base, lo: base.lo.map((v, i) => (i === 1 ? 0x20 : v)) }; // %cl = 32: a masked count of 0
    expect(check('d3 e0', noZext, s)).toEqual(['reg 0']); // shl %cl,%eax
  });

  it('a setcc handler with the wrong sense, after lazy flags', () => {
    const inverted: InsnHandler = (c: Cpu, d: Insn) => { d.cond ^= 1; try { hSetccReg(c, d); } finally { d.cond ^= 1; } };
    expect(check('0f 94 c0', inverted, { ...base, prelude: PRELUDES[1] })).toEqual(['reg 0']); // sete %al after sub
  });

  it('a handler that leaves flags pending where the generic one materializes them (same RFLAGS)', () => {
    // shl %eax of 0x80: CF, OF and AF clear, so RFLAGS read the same from a pending logic result;
    // only the comparison of the lazy-flags fields sees the difference
    const lazyShift: InsnHandler = (c: Cpu, d: Insn) => { hShiftReg(c, d); c.li[0] = 3 /* lk: LOGIC */; c.li[1] = 4 /* lsz */; c.li[2] = c.lo[d.rm] /* rLo */; c.li[3] = 0 /* rHi */; };
    const out = check('d1 e0', lazyShift);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^lazy flags/);
  });

  it('a handler that leaves rip', () => {
    const stays: InsnHandler = (c: Cpu, d: Insn) => { hSetccReg(c, d); c.rip = d.addr; };
    expect(check('0f 94 c0', stays)).toEqual(['rip']);
  });
});
