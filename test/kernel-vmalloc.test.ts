// kernel-vmalloc.test.ts — module_alloc / vmalloc: placement with guard pages, reuse, precise refusals, permissions, text_poke into module text, freed text faults, snapshots.

import { describe, it, expect } from 'vitest';
import { Asm, RAX, RDX, RSI } from '../src/machine/x86/encoder.js';
import { tinyKernel, TEXT, DATA } from './helpers/tiny.js';
import { MODULES_VADDR, MODULES_END, VMALLOC_START, STACKS_BASE, STACK_STRIDE, PAGE_SIZE } from '../src/kernel/layout.js';
import { VMALLOC_MAX } from '../src/kernel/vmalloc.js';
import { PERM_R, PERM_W, PERM_X, addrToNum } from '../src/machine/memory.js';
import type { Kernel, HostThread } from '../src/kernel/kernel.js';

const P = BigInt(PAGE_SIZE);

/** mov $imm, %eax; ret */
const retImm = (imm: number): Uint8Array => Uint8Array.from([0xb8, imm & 0xff, (imm >> 8) & 0xff, 0, 0, 0xc3]);

describe('module_alloc and vmalloc', () => {
  it('places allocations page by page with a guard page after each, reuses freed ranges, and maps them with the right permissions', () => {
    const { kernel: k } = tinyKernel((a: Asm) => a.cli().hlt());
    const mem = k.machine.mem;
    const a = k.vm.moduleAlloc(100, 'a');
    const b = k.vm.moduleAlloc(5000, 'b');
    const c = k.vm.vmalloc(1, 'c');
    expect(a).toBe(MODULES_VADDR);
    expect(b).toBe(MODULES_VADDR + 2n * P); // a's page, then its guard page
    expect(c).toBe(VMALLOC_START);
    expect(k.vm.list().map((x) => [x.name, x.size, x.requested])).toEqual([['c', 4096, 1], ['a', 4096, 100], ['b', 8192, 5000]]);
    expect(mem.find(addrToNum(a))!.perm).toBe(PERM_R | PERM_X);
    expect(mem.find(addrToNum(c))!.perm).toBe(PERM_R | PERM_W);
    expect(mem.find(addrToNum(a + P))).toBeUndefined(); // guard pages
    expect(mem.find(addrToNum(b + 2n * P))).toBeUndefined();
    expect(k.vm.findArea(b + 5000n)?.name).toBe('b');
    k.vm.moduleMemfree(a);
    expect(mem.find(addrToNum(a))).toBeUndefined();
    expect(k.vm.moduleAlloc(8192, 'too big for the hole')).toBe(b + 3n * P); // two pages and a guard do not fit in the hole before b
    expect(k.vm.moduleAlloc(4096, 'fits the hole')).toBe(a);
  });

  it('refuses bad sizes and bad frees with messages naming the call and the address', () => {
    const { kernel: k } = tinyKernel((a: Asm) => a.cli().hlt());
    const a = k.vm.moduleAlloc(64, 'trampoline');
    const d = k.vm.vmalloc(64, 'ops');
    const hex = (x: bigint): string => `0x${x.toString(16)}`;
    expect(() => k.vm.moduleMemfree(a + 16n)).toThrow(`module_memfree(${hex(a + 16n)}): not the start of an allocation; it lies 16 bytes into trampoline at ${hex(a)}`);
    expect(() => k.vm.vfree(a)).toThrow(`vfree(${hex(a)}): trampoline at this address is module text from module_alloc; free it with module_memfree`);
    expect(() => k.vm.moduleMemfree(d)).toThrow(`module_memfree(${hex(d)}): ops at this address is vmalloc data from vmalloc; free it with vfree`);
    k.vm.moduleMemfree(a);
    expect(() => k.vm.moduleMemfree(a)).toThrow(`module_memfree(${hex(a)}): double free: trampoline (4096 bytes of module text) at this address was already freed`);
    expect(() => k.vm.vfree(VMALLOC_START + 0x100000n)).toThrow(`vfree(${hex(VMALLOC_START + 0x100000n)}): no allocation at this address`);
    expect(() => k.vm.moduleAlloc(0, 'x')).toThrow('module_alloc(0) for x: the size must be a positive whole number of bytes');
    expect(() => k.vm.vmalloc(1.5, 'y')).toThrow('vmalloc(1.5) for y: the size must be a positive whole number of bytes');
    expect(() => k.vm.vmalloc(VMALLOC_MAX + 1, 'z')).toThrow(`limit of one allocation`);
    // the double-free record goes once the address is handed out again
    expect(k.vm.moduleAlloc(10, 'again')).toBe(a);
    k.vm.moduleMemfree(a);
  });

  it('keeps out of the task stacks and within call reach of kernel text', () => {
    expect(VMALLOC_START).toBeGreaterThan(STACKS_BASE + 4200n * STACK_STRIDE); // more stacks than the kernel's task limit
    expect(MODULES_END - TEXT).toBeLessThan(1n << 31n); // module code reaches kernel text with rel32
  });
});

/**
 * A guest that calls the function whose address is at DATA, storing its result at DATA+8, until
 * the host sets DATA+16; then it stores into that function's text (which must fault).
 */
function caller(): Kernel {
  const { kernel } = tinyKernel((a: Asm) => {
    a.label('start');
    a.movImm64(RSI, DATA);
    a.label('loop');
    a.load(RAX, RSI, 0);
    a.bytes(0xff, 0xd0); // call *%rax
    a.store(RSI, 8, RAX);
    a.load(RDX, RSI, 16);
    a.test(RDX, RDX);
    a.jccLabel(4, 'loop');
    a.load(RDX, RSI, 0);
    a.store(RDX, 0, RAX); // a guest store into module text
    a.cli().hlt();
  });
  return kernel;
}

describe('module text at run time', () => {
  it('runs code placed in module text, sees text_poke through the alias, and faults on a guest store (invariant 2)', () => {
    const k = caller();
    const mem = k.machine.mem;
    const fn = k.vm.moduleAlloc(16, 'test module');
    mem.write(fn, retImm(7)); // before anyone runs it: text_poke_early
    mem.writeU64(DATA, fn);
    expect(k.run(2000).reason).toBe('max-steps');
    expect(mem.readU64(DATA + 8n)).toBe(7n);
    const self = k.cpus[0];
    // text_poke, then text_poke_sync (the fetch model holds even the writing CPU to serializing)
    k.startHostThread(0, (function* (): HostThread { yield* k.textPoke(self, fn + 1n, [9]); yield* k.syncCoreAll(self); })());
    const o1 = k.run(k.steps + 2000);
    expect(o1.violation?.summary).toBeUndefined();
    expect(o1.reason).toBe('max-steps');
    expect(mem.readU64(DATA + 8n)).toBe(9n);
    mem.writeU64(DATA + 16n, 1n);
    const o = k.run(k.steps + 2000);
    expect(o.reason).toBe('violation');
    expect(o.violation?.invariant).toBe(2);
    expect(o.violation?.summary).toMatch(/accessing 0x[0-9a-f]+ \(error code \d+: write, protection violation on a present page, kernel mode\)/);
    expect(o.violation?.summary).toContain(`accessing 0x${fn.toString(16)}`);
  });

  it('a CPU that calls freed module text takes a #PF on fetch, reported as invariant 2', () => {
    const k = caller();
    const fn = k.vm.moduleAlloc(16, 'test module');
    k.machine.mem.write(fn, retImm(7));
    k.machine.mem.writeU64(DATA, fn);
    expect(k.run(2000).reason).toBe('max-steps'); // the CPU has run there (its region pointer is cached)
    k.vm.moduleMemfree(fn);
    const o = k.run(k.steps + 2000);
    expect(o.reason).toBe('violation');
    expect(o.violation?.invariant).toBe(2);
    expect(o.violation?.summary).toContain(`on instruction fetch at 0x${fn.toString(16)}: nothing is mapped there`);
  });

  it('a CPU still executing in module text when it is freed faults on its next fetch there: invariant 5, naming the text and when it was freed (the test above is its negative control: branching in afterwards stays invariant 2)', () => {
    const k = caller();
    const fn = k.vm.moduleAlloc(16, 'spinning module');
    k.machine.mem.write(fn, new Uint8Array([0xeb, 0xfe])); // jmp .
    k.machine.mem.writeU64(DATA, fn);
    expect(k.run(2000).reason).toBe('max-steps');
    expect(k.cpus[0].getRip()).toBe(fn);
    const freedAt = k.machine.clock.now;
    k.vm.moduleMemfree(fn);
    const o = k.run(k.steps + 2000);
    expect(o.reason).toBe('violation');
    expect(o.violation?.invariant).toBe(5);
    expect(o.violation?.summary).toContain(`fetched at 0x${fn.toString(16)} in spinning module, freed while it was inside`);
    expect(o.violation?.summary).toContain(`was freed at t=${freedAt}`);
  });

  it('text reallocated at a freed address runs its new contents', () => {
    const k = caller();
    const mem = k.machine.mem;
    const fn = k.vm.moduleAlloc(16, 'old');
    mem.write(fn, retImm(7));
    mem.writeU64(DATA, fn);
    k.run(2000);
    k.vm.moduleMemfree(fn);
    expect(k.vm.moduleAlloc(16, 'new')).toBe(fn);
    mem.write(fn, retImm(11));
    expect(k.run(k.steps + 2000).reason).toBe('max-steps');
    expect(mem.readU64(DATA + 8n)).toBe(11n);
  });
});

describe('allocator state in kernel snapshots', () => {
  it('restore unmaps what was allocated since, maps back what was freed since, and the bookkeeping follows', () => {
    const { kernel: k } = tinyKernel((a: Asm) => a.cli().hlt());
    const mem = k.machine.mem;
    const a = k.vm.moduleAlloc(64, 'a');
    mem.write(a, retImm(5));
    const gone = k.vm.vmalloc(64, 'gone');
    k.vm.vfree(gone);
    const snap = k.snapshot();
    const b = k.vm.vmalloc(100, 'b');
    k.vm.moduleMemfree(a);
    expect(k.vm.list().map((x) => x.name)).toEqual(['b']);
    k.restore(snap);
    expect(k.vm.list().map((x) => x.name)).toEqual(['a']);
    expect(Array.from(mem.read(a, 6))).toEqual(Array.from(retImm(5)));
    expect(mem.find(addrToNum(b))).toBeUndefined();
    expect(() => k.vm.vfree(b)).toThrow(/double free: gone/); // b reused gone's address; gone's record is back
    expect(k.vm.vmalloc(100, 'b again')).toBe(b);
    k.vm.moduleMemfree(a);
    expect(() => k.vm.moduleMemfree(a)).toThrow(/double free: a/);
    // and a second restore from the same snapshot gives the same state again
    k.restore(snap);
    expect(k.vm.list().map((x) => x.name)).toEqual(['a']);
    expect(mem.find(addrToNum(a))?.name).toBe('module_alloc a');
  });
});
