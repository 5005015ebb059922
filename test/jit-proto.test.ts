// jit-proto.test.ts — the tier-2 backend prototype (bench/jit-proto): units compiled to JS and to hand-encoded wasm behave as the interpreter does.

import { describe, expect, it } from 'vitest';
import type { Memory } from '../src/machine/memory.js';
import type { Cpu, CpuBus } from '../src/machine/x86/cpu.js';

// The prototype lives under bench/ and runs from dist/ (tsc inlines the interpreter's const enums there).
// vitest loads dist/bench natively (vitest.config.ts: server.deps.external), so its relative imports of
// dist/src stay as they are; the machine the units run on comes through the same modules (bench/jit-proto/testkit.ts).
const kit = (await import('../dist/bench/jit-proto/testkit.js' as string)) as typeof import('../bench/jit-proto/testkit.js');
const { Memory: MemoryClass, Cpu: CpuClass, PERM_R, PERM_W, PERM_X, formatInsn, formUnit, compileJs, compileWasm, runWasm, WasmRuntime, encodeModule, Code, uleb, sleb } = kit;

const TEXT = 0xffffffff81000000n, DATA = 0xffffffff81100000n, STACK = 0xffffc90000000000n;
const num = (a: bigint): number => Number(BigInt.asIntN(64, a));

// the bundled kernel's crc32 loop (with its table at DATA), a byte-store loop, and a jne reading flags from before the unit
const CRC = [0x48, 0x83, 0xc6, 0x01, 0x89, 0xc1, 0x32, 0x46, 0xff, 0xc1, 0xe9, 0x08, 0x0f, 0xb6, 0xc0,
  0x33, 0x0c, 0x85, 0x00, 0x00, 0x10, 0x81, 0x89, 0xc8, 0x48, 0x39, 0xd6, 0x75, 0xe3, 0xf4];
const MEMSET = [0x48, 0x83, 0xc0, 0x01, 0x40, 0x88, 0x70, 0xff, 0x48, 0x39, 0xc1, 0x75, 0xf3, 0xf4];
const FLAGS_IN = [0x89, 0xc1, 0x75, 0x00, 0xf4];

const bus: CpuBus = { out() {}, in: () => 0, hypercall() {} };

function machine(code: number[], seed: number): { mem: Memory; cpu: Cpu } {
  const mem = new MemoryClass();
  const text = mem.map('text', TEXT, 4096, PERM_R | PERM_X);
  text.bytes.set(code);
  const data = mem.map('data', DATA, 65536, PERM_R | PERM_W);
  let x = seed;
  for (let i = 0; i < data.size; i++) { x = (x * 1103515245 + 12345) & 0x7fffffff; data.bytes[i] = x >> 16; }
  mem.map('stack', STACK, 4096, PERM_R | PERM_W);
  const cpu = new CpuClass(0, mem, bus);
  cpu.rip = num(TEXT);
  return { mem, cpu };
}

type Run = (cpu: Cpu, budget: number) => number;

/** Run one way from a fresh machine, return what it ends with. */
function outcome(code: number[], seed: number, regs: Record<number, bigint>, run: (m: { mem: Memory; cpu: Cpu }) => number): { n: number; regs: bigint[]; rip: number; flags: number; data: Uint8Array } {
  const m = machine(code, seed);
  for (const [r, v] of Object.entries(regs)) m.cpu.setReg(Number(r), v);
  m.cpu.setFlags(0x2 | (seed & 1 ? 0x8d5 : 0)); // arithmetic flags on entry: all set or all clear
  const n = run(m);
  return { n, regs: [...Array(16).keys()].map((r) => m.cpu.getReg(r)), rip: m.cpu.rip, flags: m.cpu.getFlags() & 0x8d5, data: m.mem.find(num(DATA))!.bytes.slice() };
}

/** The compiled way and the interpreter running as many instructions. */
function compare(code: number[], seed: number, regs: Record<number, bigint>, make: (m: { mem: Memory; cpu: Cpu }) => Run, budget = 100000) {
  const got = outcome(code, seed, regs, (m) => make(m)(m.cpu, budget));
  const want = outcome(code, seed, regs, (m) => { m.cpu.run(got.n); return m.cpu.retired; });
  return { got, want };
}

const backends: [string, (m: { mem: Memory; cpu: Cpu }, breakAdd?: boolean) => Run][] = [
  ['js', (m, breakAdd) => { const f = compileJs(formUnit(m.mem, num(TEXT))!, { breakAdd }); return (c, b) => f(c, b); }],
  ['js resident', (m, breakAdd) => { const f = compileJs(formUnit(m.mem, num(TEXT))!, { breakAdd, resident: m.mem.find(num(DATA))! }); return (c, b) => f(c, b); }],
  ['wasm import', (m, breakAdd) => { const rt = new WasmRuntime(null); const f = compileWasm(formUnit(m.mem, num(TEXT))!, rt, breakAdd); return (c, b) => runWasm(rt, f, c, b); }],
  ['wasm resident', (m, breakAdd) => {
    const rt = new WasmRuntime(m.mem.find(num(DATA))!);
    const f = compileWasm(formUnit(m.mem, num(TEXT))!, rt, breakAdd);
    return (c, b) => { rt.pushMemory(); const n = runWasm(rt, f, c, b); rt.pullMemory(); return n; };
  }],
];

describe('jit-proto units', () => {
  it('forms the crc32 loop as one unit with a back edge, ending before hlt', () => {
    const m = machine(CRC, 1);
    const u = formUnit(m.mem, num(TEXT))!;
    expect(u.insns.map((i) => formatInsn(i.d).replace(/\s+/g, ' '))).toEqual([
      'add $0x1,%rsi', 'mov %eax,%ecx', 'xor -0x1(%rsi),%al', 'shr $0x8,%ecx', 'movzbl %al,%eax',
      'xor -0x7ef00000(,%rax,4),%ecx', 'mov %ecx,%eax', 'cmp %rdx,%rsi', 'jne 0xffffffff81000000']);
    expect([...u.labels]).toEqual([0]);
    expect(u.insns[8].target).toBe(0);
    expect(u.exitRip).toBe(num(TEXT) + CRC.length - 1);
  });

  it('cuts a unit before a jcc whose flags were set before it', () => {
    const m = machine(FLAGS_IN, 1);
    const u = formUnit(m.mem, num(TEXT))!;
    expect(u.insns.length).toBe(1);
    expect(u.exitRip).toBe(num(TEXT) + 2);
    // control: with a cmp in front the same jne is kept
    const m2 = machine([0x48, 0x39, 0xd6, ...FLAGS_IN], 1);
    expect(formUnit(m2.mem, num(TEXT))!.insns.length).toBe(3);
  });
});

describe.each(backends)('jit-proto backend: %s', (_name, make) => {
  const crcRegs = (seed: number): Record<number, bigint> => ({ 0: BigInt(seed * 0x9e3779b1) & 0xffffffffn, 6: DATA + 0x8000n, 2: DATA + 0x8000n + BigInt(50 + seed), 3: 0x1234n });
  it.each([1, 2, 3])('crc32 loop, seed %i: registers, rip, flags and memory as the interpreter', (seed) => {
    const { got, want } = compare(CRC, seed, crcRegs(seed), (m) => make(m));
    expect(got.n).toBe(9 * (50 + seed));
    expect(got.rip).toBe(num(TEXT) + CRC.length - 1);
    expect(got).toEqual(want);
  });

  it('byte-store loop: the stores land as the interpreter makes them', () => {
    const regs = { 0: DATA + 0x100n, 1: DATA + 0x180n, 6: 0xabn };
    const { got, want } = compare(MEMSET, 2, regs, (m) => make(m));
    expect(got.data.subarray(0x100, 0x180).every((b) => b === 0xab)).toBe(true);
    expect(got).toEqual(want);
  });

  it('leaves a loop at a back edge once the budget is spent, in a state the interpreter reaches', () => {
    const { got, want } = compare(CRC, 3, crcRegs(3), (m) => make(m), 40);
    expect(got.n).toBe(45); // five iterations: the budget is checked at the back edge
    expect(got.rip).toBe(num(TEXT));
    expect(got).toEqual(want);
  });

  it('negative control: a backend whose add subtracts is caught by the same comparison', () => {
    const { got, want } = compare(CRC, 1, crcRegs(1), (m) => make(m, true), 1000);
    expect(got).not.toEqual(want);
  });
});

describe('jit-proto wasm encoder', () => {
  it('encodes LEB128 as the spec does', () => {
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456n)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(63n)).toEqual([0x3f]);
    expect(sleb(64n)).toEqual([0xc0, 0x00]);
  });

  it('produces modules the engine validates; a corrupted one is rejected', () => {
    const body = new Code().get(0).i32(1).op(0x6a); // local.get 0; i32.const 1; i32.add
    const bytes = encodeModule({ types: [{ params: [0x7f], results: [0x7f] }], imports: [], memoryPages: 1, funcs: [{ type: 0, locals: [], body, export: 'f' }] });
    expect(WebAssembly.validate(bytes)).toBe(true);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: { m: new WebAssembly.Memory({ initial: 1 }) } });
    expect((inst.exports.f as (x: number) => number)(41)).toBe(42);
    const bad = bytes.slice(); bad[bad.length - 2] = 0x7c; // i32.add -> i64.add on i32 operands
    expect(WebAssembly.validate(bad)).toBe(false);
  });
});

describe('jit-proto driver input', () => {
  it.each([['JITP_TOP', 'abc'], ['JITP_PASSES', '0'], ['JITP_ITERATIONS', '-5']])('%s=%s: a one-line message and status 2, no stack trace', async (name, value) => {
    const { spawnSync } = await import('node:child_process');
    const script = new URL('../dist/bench/jit-proto/run.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, [name]: value } });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`jit-proto: ${name} must be a positive integer, got '${value}'\n`);
    expect(r.stdout).toBe('');
  });
});
