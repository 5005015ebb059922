// The arena (src/machine/arena.ts): its allocator, CPU slots and region descriptors as the compiled code will read them, and the fallbacks when it is full.

import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena, arena, arenaAlloc, arenaFree, arenaForTests } from '../src/machine/arena.js';
import { Memory, PERM_R, PERM_W, PERM_X } from '../src/machine/memory.js';
import { Cpu, RAX, RBX, type CpuBus } from '../src/machine/x86/cpu.js';
import { Machine } from '../src/machine/machine.js';
import { saveMachine, restoreMachine } from '../src/machine/snapshot.js';

// The layout the WebAssembly code generator relies on, written out here (the const enums of arena.ts
// do not exist at run time): slot offsets (S), lazy-flag words (L) and descriptor fields (RD).
const S = { LO: 0, HI: 64, LAZY: 128, FLAGS: 168, RING: 176, TAG: 464, SIZE: 512 };
const RD = { START: 0, END: 8, DATA: 16, WRITABLE: 20, TAG: 24, SIZE: 32 };

const bus: CpuBus = { out() {}, in: () => 0, hypercall() {} };
const view = (): DataView => new DataView(arena.buffer);

/** Do any two [off, off+size) ranges overlap? */
function overlapping(blocks: { off: number; size: number }[]): boolean {
  const s = [...blocks].sort((a, b) => a.off - b.off);
  for (let i = 1; i < s.length; i++) if (s[i - 1].off + s[i - 1].size > s[i].off) return true;
  return false;
}

function allZero(a: Arena, off: number, size: number): boolean {
  const b = new Uint8Array(a.buffer, off, size);
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

type Op = { kind: 'alloc'; size: number; align: number } | { kind: 'free'; pick: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('alloc' as const), size: fc.integer({ min: 1, max: 20000 }), align: fc.constantFrom(1, 16, 64, 256, 4096) }),
  fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
);

describe('allocator', () => {
  it('live blocks never overlap, stay aligned inside the heap, come back zero-filled, and coalesce to one block when all are freed', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
      const a = new Arena(4, 8);
      const total = a.size - a.heapStart;
      const live: { off: number; size: number }[] = [];
      for (const op of ops) {
        if (op.kind === 'alloc') {
          const off = a.alloc(op.size, op.align);
          if (off < 0) { expect(a.stats().largestFree).toBeLessThan(op.size + op.align); continue; }
          expect(off).toBeGreaterThanOrEqual(a.heapStart);
          expect(off % Math.max(16, op.align)).toBe(0);
          expect(off + op.size).toBeLessThanOrEqual(a.size);
          expect(allZero(a, off, op.size)).toBe(true);
          new Uint8Array(a.buffer, off, op.size).fill(0xa5); // dirty it: a reuse must not show this
          live.push({ off, size: op.size });
          expect(overlapping(live)).toBe(false);
        } else if (live.length > 0) {
          const [b] = live.splice(op.pick % live.length, 1);
          a.free(b.off);
        }
      }
      for (const b of live) a.free(b.off);
      const st = a.stats();
      expect(st.freeBlocks).toBe(1);
      expect(st.largestFree).toBe(total);
      const whole = a.alloc(total);
      expect(whole).toBe(a.heapStart);
      expect(allZero(a, whole, total)).toBe(true);
    }), { numRuns: 150 });
  });

  it('negative controls: the checks fire on overlapping blocks, on a block freed without zeroing, and on a full-size allocation with one block still live', () => {
    expect(overlapping([{ off: 4096, size: 32 }, { off: 4112, size: 16 }])).toBe(true);
    const a = new Arena(1, 0);
    const off = a.alloc(64);
    new Uint8Array(a.buffer, off, 64).fill(1);
    a.free(off, false); // deliberately broken free: no zeroing
    expect(allZero(a, a.alloc(64), 64)).toBe(false);
    const b = new Arena(1, 0);
    const total = b.size - b.heapStart;
    const x = b.alloc(1000), y = b.alloc(1000);
    b.free(x);
    expect(b.alloc(total)).toBe(-1); // y splits the heap
    b.free(y);
    expect(b.alloc(total)).toBe(b.heapStart);
  });

  it('the process-wide helpers, and precise errors for bad requests', () => {
    const off = arenaAlloc(100);
    expect(off).toBeGreaterThanOrEqual(4096);
    expect(arena.blockSize(off)).toBe(112);
    arenaFree(off);
    expect(arena.blockSize(off)).toBeUndefined();
    expect(() => arenaFree(off)).toThrow(/not a live block/);
    expect(() => arenaAlloc(0)).toThrow(/cannot allocate 0 bytes/);
    expect(() => arenaAlloc(16, 3)).toThrow(/alignment 3 is not a power of two/);
    expect(() => new Arena(1, 1000)).toThrow(/do not fit/);
    expect(arena.size).toBe(4096 * 65536);
    expect(arena.memory.buffer).toBe(arena.buffer);
  });
});

describe('CPU slot', () => {
  function cpu(): { c: Cpu; mem: Memory } {
    const mem = new Memory();
    mem.map('text', 0x1000n, 0x1000, PERM_R | PERM_X);
    return { c: new Cpu(0, mem, bus), mem };
  }

  it('registers, flags, the lazy-flag state, the ring and the tag are views on the slot', () => {
    const { c, mem } = cpu();
    const dv = view();
    expect(c.slot).toBeGreaterThan(0);
    expect(c.slot % 16).toBe(0);
    expect(dv.getInt32(c.slot + S.TAG, true)).toBe(mem.tag);
    expect(dv.getInt32(c.slot + S.FLAGS, true)).toBe(0x2);
    expect(Number.isNaN(dv.getFloat64(c.slot + S.RING, true))).toBe(true);
    c.lo[3] = 0xdeadbeef;
    c.hi[3] = -2;
    expect(dv.getUint32(c.slot + S.LO + 12, true)).toBe(0xdeadbeef);
    expect(dv.getInt32(c.slot + S.HI + 12, true)).toBe(-2);
    c.setReg(RBX, 0x1122334455667788n);
    expect(dv.getBigUint64(c.slot + S.LO + 12, true) & 0xffffffffn).toBe(0x55667788n);
    c.flags = 0x246;
    expect(dv.getInt32(c.slot + S.FLAGS, true)).toBe(0x246);
    // lazy-flag words: LK, LSZ, RLO, RHI, ALO, AHI, BLO, BHI, CIN
    c.lk = 2; c.lsz = 8; c.rLo = 0xffffffff; c.rHi = -1; c.aLo = 0x80000000; c.aHi = 7; c.bLo = 5; c.bHi = -8; c.cin = 1;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => dv.getInt32(c.slot + S.LAZY + 4 * i, true))).toEqual([2, 8, -1, -1, -0x80000000, 7, 5, -8, 1]);
    // the low words read back unsigned, the others signed (flags.ts relies on it)
    expect([c.rLo, c.rHi, c.aLo, c.bHi]).toEqual([0xffffffff, -1, 0x80000000, -8]);
    dv.setInt32(c.slot + S.LAZY + 8, -2, true);
    expect(c.rLo).toBe(0xfffffffe);
  });

  it('an executed instruction leaves its lazy flags in the slot', () => {
    const { c, mem } = cpu();
    mem.write(0x1000n, Uint8Array.of(0x01, 0xd8)); // add %ebx, %eax
    c.setRip(0x1000n);
    c.setReg(RAX, 0xfffffff0n); c.setReg(RBX, 0x20n);
    c.run(1);
    const dv = view();
    const w = (i: number): number => dv.getUint32(c.slot + S.LAZY + 4 * i, true);
    expect([w(0), w(1), w(2), w(4), w(6)]).toEqual([1 /* ADD */, 4, 0x10, 0xfffffff0, 0x20]);
    expect(c.getFlags() & 1).toBe(1); // CF, evaluated from the slot
    // negative control: a different slot's words are not these
    const other = cpu().c;
    expect(dv.getUint32(other.slot + S.LAZY + 8, true)).not.toBe(0x10);
    expect(other.slot).not.toBe(c.slot);
  });

  it('save and restore copy the state out of the slot, not views of it', () => {
    const { c } = cpu();
    c.lo[5] = 42;
    const s = c.save();
    expect(s.lo.buffer).not.toBe(arena.buffer);
    expect(s.recentRing.buffer).not.toBe(arena.buffer);
    c.lo[5] = 43;
    expect(s.lo[5]).toBe(42);
    c.restore(s);
    expect(view().getUint32(c.slot + S.LO + 20, true)).toBe(42);
  });
});

describe('data regions', () => {
  it('a data region\'s bytes are in the arena behind a descriptor; text stays in a plain array', () => {
    const mem = new Memory();
    const text = mem.map('text', 0xffffffff81000000n, 0x1000, PERM_R | PERM_X);
    const data = mem.map('data', 0xffffffff82000000n, 0x2000, PERM_R | PERM_W);
    const ro = mem.map('rodata', 0xffffffff83000000n, 0x100, PERM_R);
    expect(text.desc).toBe(0);
    expect(text.bytes.buffer).not.toBe(arena.buffer);
    const dv = view();
    for (const [r, w] of [[data, 1], [ro, 0]] as const) {
      expect(r.desc).toBeGreaterThan(0);
      expect(r.bytes.buffer).toBe(arena.buffer);
      expect(r.bytes.byteOffset).toBe(dv.getInt32(r.desc + RD.DATA, true));
      expect(dv.getBigInt64(r.desc + RD.START, true)).toBe(BigInt(r.start));
      expect(dv.getBigInt64(r.desc + RD.END, true)).toBe(BigInt(r.start + r.size));
      expect(dv.getInt32(r.desc + RD.WRITABLE, true)).toBe(w);
      expect(dv.getInt32(r.desc + RD.TAG, true)).toBe(mem.tag);
    }
    expect(dv.getBigInt64(data.desc + RD.START, true)).toBe(-0x7e000000n); // a kernel address, signed
    // guest and host writes land in the arena, and the region's DataView is on its own bytes
    const c = new Cpu(0, mem, bus);
    c.wr(data.start + 0x10, 8, 0x01020304, 0x05060708);
    const at = dv.getInt32(data.desc + RD.DATA, true);
    expect(dv.getBigUint64(at + 0x10, true)).toBe(0x0506070801020304n);
    mem.write(0xffffffff82000020n, Uint8Array.of(0x99));
    expect(dv.getUint8(at + 0x20)).toBe(0x99);
    expect(data.dv.getUint8(0x20)).toBe(0x99);
    expect(c.rd(data.start + 0x20, 1)).toBe(0x99);
    // tags are process-unique
    expect(new Memory().tag).not.toBe(mem.tag);
  });

  it('the descriptor\'s end follows unmap and a snapshot restore that maps the region again', () => {
    const m = new Machine({ cpus: 1 });
    m.mem.map('text', 0x1000n, 0x1000, PERM_R | PERM_X);
    m.createCpus();
    const snap = saveMachine(m);
    const r = m.mem.map('vmalloc', 0x100000n, 0x3000, PERM_R | PERM_W);
    const dv = view();
    const end = (): bigint => dv.getBigInt64(r.desc + RD.END, true);
    expect(end()).toBe(0x103000n);
    const withR = saveMachine(m);
    restoreMachine(m, snap); // unmaps r
    expect(r.end).toBe(r.start);
    expect(end()).toBe(0x100000n);
    restoreMachine(m, withR); // maps it again
    expect(end()).toBe(0x103000n);
    m.mem.unmap(r);
    expect(end()).toBe(0x100000n);
    // negative control: an end written only to the field (as before setSize) leaves the descriptor behind
    (r as { end: number }).end = r.start + 0x3000;
    expect(end()).not.toBe(BigInt(r.end));
  });
});

describe('lifetime and fallbacks', () => {
  it('a full arena: regions keep plain arrays (desc 0), CPUs a private buffer (slot -1), and both still work', () => {
    const release = arenaForTests.exhaust(true);
    let mem: Memory, r, c: Cpu;
    try {
      mem = new Memory();
      mem.map('text', 0x1000n, 0x1000, PERM_R | PERM_X);
      r = mem.map('data', 0x10000n, 0x1000, PERM_R | PERM_W);
      c = new Cpu(0, mem, bus);
    } finally {
      release();
    }
    expect(r.desc).toBe(0);
    expect(r.bytes.buffer).not.toBe(arena.buffer);
    expect(c.slot).toBe(-1);
    expect(c.lo.buffer).not.toBe(arena.buffer);
    mem.write(0x1000n, Uint8Array.of(0x01, 0xd8, 0x89, 0x04, 0x25, 0x00, 0x00, 0x01, 0x00)); // add %ebx, %eax; mov %eax, 0x10000
    c.setRip(0x1000n);
    c.setReg(RAX, 5n); c.setReg(RBX, 7n);
    c.run(2);
    expect(c.fault).toBeNull();
    expect(r.bytes[0]).toBe(12);
    expect(c.lk).toBe(1);
    expect(c.rLo).toBe(12);
    // negative control: with the arena given back, new ones are in it again
    const mem2 = new Memory();
    mem2.map('text', 0x1000n, 0x1000, PERM_R | PERM_X);
    expect(mem2.map('data', 0x10000n, 0x1000, PERM_R | PERM_W).desc).toBeGreaterThan(0);
    expect(new Cpu(0, mem2, bus).slot).toBeGreaterThan(0);
  });

  it('a region collected while a CPU slot caches its descriptor leaves the slot naming nothing (its block is reused)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const settle = async (): Promise<void> => { for (let i = 0; i < 3; i++) { gc(); await new Promise((res) => setImmediate(res)); } };
    const DC0 = 456, DC1 = 460;
    const run = async (): Promise<{ dc0: number; dc1: number; freed: number; kept: number }> => {
      const m = new Machine({ cpus: 1 });
      m.mem.map('text', 0x1000n, 0x1000, PERM_R | PERM_X);
      const keep = m.mem.map('data', 0x100000n, 0x1000, PERM_R | PERM_W);
      m.createCpus();
      const slot = m.cpus[0].slot;
      // a task's stack, cached by compiled code (S.DC0) next to a region that stays (S.DC1), then unmapped
      // (a snapshot restore unmaps what a run mapped) and dropped
      const freed = ((): number => {
        const stack = m.mem.map('stack', 0x200000n, 0x1000, PERM_R | PERM_W);
        view().setInt32(slot + DC0, stack.desc, true);
        view().setInt32(slot + DC1, keep.desc, true);
        m.mem.unmap(stack);
        return stack.desc;
      })();
      await settle();
      return { dc0: view().getInt32(slot + DC0, true), dc1: view().getInt32(slot + DC1, true), freed, kept: keep.desc };
    };
    const r = await run();
    expect(r.freed).toBeGreaterThan(0);
    expect(arena.blockSize(r.freed), 'the stack\'s block was collected').toBeUndefined();
    expect(r.dc0).toBe(0);
    expect(r.dc1).toBe(r.kept);
    // negative control: without the scrub the slot still names the freed block
    arenaForTests.keepStaleDescriptors = true;
    try {
      const s = await run();
      expect(arena.blockSize(s.freed)).toBeUndefined();
      expect(s.dc0).toBe(s.freed);
    } finally {
      arenaForTests.keepStaleDescriptors = false;
    }
  });

  it('machines created by the hundreds and dropped give their slots and blocks back when collected', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const settle = async (): Promise<void> => { for (let i = 0; i < 3; i++) { gc(); await new Promise((res) => setImmediate(res)); } };
    await settle();
    const before = arena.stats();
    const MB = 1 << 20;
    let fellBack = 0;
    // 300 machines of 2 MiB of data each: twice the arena, so this only passes if collection frees
    // (in a function of its own, so that nothing in this frame keeps the last machine alive)
    const one = (): boolean => {
      const m = new Machine({ cpus: 2 });
      m.mem.map('text', 0x1000n, 0x1000, PERM_R | PERM_X);
      const d = m.mem.map('data', 0x100000n, 2 * MB, PERM_R | PERM_W);
      m.createCpus();
      if (d.desc === 0 || m.cpus[0].slot < 0) return false;
      const clean = d.bytes[0] === 0 && d.bytes[d.size - 1] === 0;
      d.bytes[d.size - 1] = 1; // dirty the last page: a reuse must see it zeroed
      return clean;
    };
    for (let i = 0; i < 300; i++) {
      if (!one()) fellBack++;
      if (i % 20 === 19) await settle();
    }
    expect(fellBack).toBe(0);
    await settle();
    const after = arena.stats();
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.liveSlots).toBe(before.liveSlots);
    // negative control: machines kept alive are not collected, and the arena runs out
    const kept: Machine[] = [];
    let fell = false;
    for (let i = 0; i < 200 && !fell; i++) {
      const m = new Machine({ cpus: 1 });
      m.mem.map('text', 0x1000n, 0x1000, PERM_R | PERM_X);
      fell = m.mem.map('data', 0x100000n, 2 * MB, PERM_R | PERM_W).desc === 0;
      kept.push(m);
      if (i % 20 === 19) await settle();
    }
    expect(fell).toBe(true);
    kept.length = 0;
    await settle();
    expect(arena.stats().liveBytes).toBe(before.liveBytes);
  });
});
