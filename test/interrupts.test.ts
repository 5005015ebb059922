// interrupts.test.ts — interrupt semantics on the simulated CPU: NMIs never nest, sti;hlt cannot lose a wakeup, IRET restores IF.

import { describe, it, expect } from 'vitest';
import { Asm, RAX, RBX, RCX, RDX, RSI } from '../src/machine/x86/encoder.js';
import { tinyKernel, TEXT, DATA } from './helpers/tiny.js';
import { NMI_VECTOR, RESCHEDULE_VECTOR } from '../src/kernel/layout.js';
import { IF } from '../src/machine/x86/cpu.js';

/** inc qword [DATA + off], clobbering only rsi (caller-saved, as a C handler may) */
function incData(a: Asm, off: number): void {
  a.movImm64(RSI, DATA + BigInt(off));
  a.bytes(0x48, 0xff, 0x06); // incq (%rsi)
}

/**
 * A guest nmi_handler that counts its entries at DATA, its depth at DATA+8 and the times it found
 * itself nested at DATA+16; it runs `beforeSpin`, then spins `spin` iterations so more NMIs can arrive.
 */
function countingNmiHandler(a: Asm, spin: number, beforeSpin: () => void = () => undefined): void {
  a.label('nmi_handler');
  incData(a, 0); // entries
  incData(a, 8); // depth
  a.movImm64(RSI, DATA + 8n);
  a.bytes(0x48, 0x8b, 0x06); // mov (%rsi),%rax
  a.cmpImm(RAX, 1);
  a.jccLabel(4, 'depth_ok');
  incData(a, 16); // nested!
  a.label('depth_ok');
  beforeSpin();
  a.movImm32(RCX, spin);
  a.label('nmi_spin');
  a.subImm(RCX, 1);
  a.jccLabel(5, 'nmi_spin');
  a.movImm64(RSI, DATA + 8n);
  a.bytes(0x48, 0xff, 0x0e); // decq (%rsi)
  a.ret();
}

describe('NMIs', () => {
  it('a second NMI during the handler is latched and delivered after the IRET, never nested; a third is lost', () => {
    // The guest NMI handler counts entries and tracks depth; it spins long enough for more NMIs to arrive.
    const handler = (a: Asm): void => countingNmiHandler(a, 2000);
    const rebuilt = tinyKernel((a) => {
      a.label('start');
      a.movImm32(RDX, 200000);
      a.label('loop');
      a.subImm(RDX, 1);
      a.jccLabel(5, 'loop');
      a.cli().hlt();
      a.align(16);
      handler(a);
    }, { guestHandlers: (a) => new Map([[NMI_VECTOR, a.addressOf('nmi_handler')]]) });
    const k = rebuilt.kernel;
    const cpu = k.cpus[0];
    k.run(1000);
    cpu.raiseNmi(); // first NMI
    k.run(k.steps + 500); // now inside the handler's spin
    expect(cpu.nmiBlocked).toBe(true);
    cpu.raiseNmi(); // latched
    cpu.raiseNmi(); // lost: only one can be latched
    const o = k.run(k.steps + 1_000_000);
    expect(o.violation?.summary).toBeUndefined();
    expect(o.reason).toBe('halted');
    const mem = rebuilt.machine.mem;
    expect(mem.readU64(DATA)).toBe(2n); // first + the latched one
    expect(mem.readU64(DATA + 16n)).toBe(0n); // never nested
    expect(mem.readU64(DATA + 8n)).toBe(0n);
  });

  it('the monitor reports NMI nesting if the CPU ever delivered one inside another', () => {
    const { kernel } = tinyKernel((a) => { a.label('start'); a.label('l'); a.jmpLabel('l'); });
    const cpu = kernel.cpus[0];
    kernel.run(100);
    // simulate a broken CPU: deliver an NMI twice without IRET
    cpu.deliver(NMI_VECTOR, -1, cpu.rip);
    cpu.deliver(NMI_VECTOR, -1, cpu.rip);
    expect(cpu.violation).not.toBeNull();
    expect(cpu.violation && 'invariant' in cpu.violation ? cpu.violation.invariant : 0).toBe(7);
  });
});

describe('an NMI after an IRET inside the NMI handler', () => {
  /**
   * The NMI handler takes an int3 (claimed by a host handler, as a kprobe or ftrace's would be): its
   * IRET unblocks NMIs, as on hardware, and a second NMI arrives while the handler still runs.
   */
  function nestedNmi(nmiRepeat: boolean) {
    const handler = (a: Asm): void => countingNmiHandler(a, 3000, () => { a.label('nmi_int3'); a.int3(); });
    const built = tinyKernel((a) => {
      a.label('start');
      a.movImm32(RDX, 300_000);
      a.label('loop');
      a.subImm(RDX, 1);
      a.jccLabel(5, 'loop');
      a.cli().hlt();
      a.align(16);
      handler(a);
    }, { nmiRepeat, guestHandlers: (a) => new Map([[NMI_VECTOR, a.addressOf('nmi_handler')]]) });
    const k = built.kernel;
    const site = built.asm.addressOf('nmi_int3');
    k.int3Handlers.push((_c, regs) => regs.ip - 1n === site);
    const cpu = k.cpus[0];
    k.run(1000);
    cpu.raiseNmi();
    // run until the int3's IRET has unblocked NMIs inside the handler, then send the second NMI
    for (let n = 0; !(cpu.nmiBlocked === false && k.machine.mem.readU64(DATA) === 1n); n++) {
      k.run(k.steps + 1);
      if (n > 100_000) throw new Error('the handler never got past its int3');
    }
    cpu.raiseNmi();
    const o = k.run(k.steps + 2_000_000);
    const mem = built.machine.mem;
    return { o, entries: mem.readU64(DATA), nested: mem.readU64(DATA + 16n), depth: mem.readU64(DATA + 8n), latched: k.traps.nmisLatched };
  }

  it('is latched and the handler runs again after it returns: never nested (the kernel\'s repeat_nmi)', () => {
    const r = nestedNmi(true);
    expect(r.o.violation?.summary).toBeUndefined();
    expect(r.o.reason).toBe('halted');
    expect(r.latched).toBe(1);
    expect(r.entries).toBe(2n);
    expect(r.nested).toBe(0n);
    expect(r.depth).toBe(0n);
  });

  it('negative control: without the repeat scheme the handler nests (hardware allows the NMI; only the entry code can prevent it)', () => {
    const r = nestedNmi(false);
    expect(r.o.violation?.summary).toBeUndefined(); // the monitor accepts NMI delivery after the unblocking IRET
    expect(r.latched).toBe(0);
    expect(r.entries).toBe(2n);
    expect(r.nested).toBe(1n);
  });
});

describe('the STI shadow', () => {
  function stiHlt(withShadowNop: boolean): { delivered: bigint[]; reason: string; marker: bigint } {
    const { kernel, machine } = tinyKernel((a) => {
      a.label('start');
      a.cli();
      a.movImm32(RAX, 1); // the wakeup gets raised while interrupts are off (see below)
      a.label('before_sti');
      a.sti();
      if (withShadowNop) a.bytes(0x90);
      a.hlt();
      a.label('after_hlt');
      incData(a, 0);
      a.cli().hlt();
    });
    const delivered: bigint[] = [];
    kernel.traps.observers.push((_c, regs) => delivered.push(regs.ip));
    const cpu = kernel.cpus[0];
    kernel.run(2); // cli; mov
    cpu.raiseIrq(RESCHEDULE_VECTOR);
    const o = kernel.run(10_000);
    return { delivered, reason: o.reason, marker: machine.mem.readU64(DATA) };
  }

  it('sti; hlt with a wakeup already pending: the interrupt arrives after hlt, and the CPU goes on', () => {
    const r = stiHlt(false);
    expect(r.delivered.length).toBe(1);
    // the interrupt struck after hlt (the frame returns past it), not between sti and hlt
    expect(r.delivered[0]).toBe(TEXT + 1n + 5n + 1n + 1n);
    expect(r.marker).toBe(1n);
    expect(r.reason).toBe('halted');
  });

  it('the shadow covers exactly one instruction: with a nop between sti and hlt the interrupt lands before hlt, and the wakeup is lost', () => {
    const r = stiHlt(true);
    expect(r.delivered.length).toBe(1);
    expect(r.delivered[0]).toBe(TEXT + 1n + 5n + 1n + 1n); // after the nop: the frame returns to hlt
    expect(r.marker).toBe(0n); // ... so the CPU sleeps with nothing left to wake it
    expect(r.reason).toBe('max-steps');
  });
});

describe('IRET', () => {
  it('restores IF: the handler runs with IF clear, and the interrupted code has IF set again', () => {
    const { kernel, machine } = tinyKernel((a) => {
      a.label('start');
      a.sti();
      a.movImm32(RDX, 1000);
      a.label('loop');
      a.subImm(RDX, 1);
      a.jccLabel(5, 'loop');
      a.bytes(0x9c, 0x58); // pushf; pop %rax
      a.movImm64(RBX, DATA);
      a.bytes(0x48, 0x89, 0x03); // mov %rax,(%rbx)
      a.cli().hlt();
    });
    const flagsInHandler: number[] = [];
    kernel.traps.observers.push((c) => flagsInHandler.push(c.getFlags()));
    const cpu = kernel.cpus[0];
    kernel.run(10);
    cpu.raiseIrq(RESCHEDULE_VECTOR);
    const o = kernel.run(100_000);
    expect(o.reason).toBe('halted');
    expect(flagsInHandler.length).toBe(1);
    expect(flagsInHandler[0] & IF).toBe(0);
    expect(Number(machine.mem.readU64(DATA)) & IF).toBe(IF);
  });

  it('is serializing: the CPU serialization time moves to the IRET', () => {
    const { kernel } = tinyKernel((a) => {
      a.label('start');
      a.sti();
      a.label('l');
      a.jmpLabel('l');
    });
    const cpu = kernel.cpus[0];
    kernel.run(5000);
    const before = cpu.serialTime;
    cpu.raiseIrq(RESCHEDULE_VECTOR);
    kernel.run(kernel.steps + 5000);
    expect(cpu.serialTime).toBeGreaterThan(before);
  });
});
