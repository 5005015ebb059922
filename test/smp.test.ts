// smp.test.ts — the host kernel's SMP services: timer preemption, on_each_cpu, stop_machine, read-only text.

import { describe, it, expect } from 'vitest';
import { RAX, RDI, RSI, RDX, RCX, R12 } from '../src/machine/x86/encoder.js';
import { patchBed, runUntilReaders, tinyKernel, DATA, TEXT } from './helpers/tiny.js';
import { HC_EXIT, HC_SMP_BOOT, HC_SPAWN, HC_CURRENT } from '../src/kernel/hypercalls.js';
import { ENTRY_TEXT_BASE, ENTRY_TEXT_SIZE } from '../src/kernel/layout.js';
import { NOP5 } from '../src/machine/x86/encoder.js';
import type { HostThread } from '../src/kernel/kernel.js';

describe('scheduler', () => {
  it('two tasks on one CPU are preempted by the timer and interleave; both finish', () => {
    // each task appends its pid to a log at DATA+8.. whenever it notices it was switched (pid differs from the last entry)
    const { kernel, machine } = tinyKernel((a) => {
      a.label('start');
      a.movImm32(RAX, HC_SMP_BOOT).vmcall();
      for (let i = 0; i < 2; i++) {
        a.movLabel(RDI, 'task');
        a.movImm32(RSI, 0).movImm32(RDX, 1).movImm32(RAX, HC_SPAWN).vmcall();
      }
      a.movImm32(RAX, HC_EXIT).vmcall().ud2();
      a.align(16);
      a.label('task');
      a.movImm32(R12, 400_000);
      a.label('loop');
      a.movImm32(RAX, HC_CURRENT).vmcall();
      a.movImm64(RSI, DATA);
      a.bytes(0x48, 0x8b, 0x0e); // mov (%rsi),%rcx   last pid
      a.bytes(0x48, 0x39, 0xc1); // cmp %rax,%rcx
      a.jccLabel(4, 'same');
      a.bytes(0x48, 0x89, 0x06); // mov %rax,(%rsi)
      a.bytes(0x48, 0xff, 0x46, 0x08); // incq 8(%rsi)  switches seen
      a.label('same');
      a.subImm(R12, 1);
      a.jccLabel(5, 'loop');
      a.ret();
    }, { cpus: 2, timerHz: 20_000 });
    const o = kernel.run(50_000_000);
    expect(o.reason).toBe('halted');
    const switches = machine.mem.readU64(DATA + 8n);
    expect(switches).toBeGreaterThan(10n); // preempted back and forth many times
    expect(kernel.tasks.filter((t) => t.pid > 1).every((t) => t.state === 'dead')).toBe(true);
  });
});

describe('on_each_cpu and stop_machine', () => {
  it('on_each_cpu runs the function on every online CPU and waits for all', () => {
    const bed = patchBed({ cpus: 4, seed: 5, loops: 100_000 });
    runUntilReaders(bed);
    const k = bed.kernel;
    const ran: number[] = [];
    let done = false;
    k.startHostThread(0, (function* (): HostThread {
      yield* k.onEachCpu(k.cpus[0], (c) => ran.push(c.id), true);
      done = true;
    })());
    k.run(k.steps + 200_000);
    expect(done).toBe(true);
    expect([...ran].sort()).toEqual([0, 1, 2, 3]);
  });

  it('stop_machine: the others spin in the entry code with interrupts off while text changes; an NMI that executes the site there sees it mid-write (byte and word stores)', () => {
    // The guest NMI handler calls site_fn: stop_machine keeps the other CPUs out of the site, but not
    // their NMIs. NMIs raised on the stopped CPUs right after the first store of a multi-byte write
    // execute the site while CPU 0 writes it (torn/mid-write) or before they serialized (stale).
    for (const granularity of ['byte', 'word'] as const) {
      let foundAt = 0;
      let kind = '';
      for (let seed = 1; seed <= 20 && foundAt === 0; seed++) {
        const bed = patchBed({ cpus: 4, seed, loops: 100_000, nmiCallsSite: true });
        runUntilReaders(bed);
        const k = bed.kernel;
        const inEntry = (ip: bigint): boolean => ip >= ENTRY_TEXT_BASE && ip < ENTRY_TEXT_BASE + BigInt(ENTRY_TEXT_SIZE);
        let observed = false;
        let done = false;
        k.startHostThread(0, (function* (): HostThread {
          for (let round = 0; round < 6; round++) {
            yield* k.stopMachine(k.cpus[0], function* (): HostThread {
              for (const c of k.cpus.slice(1)) {
                expect(inEntry(c.getRip())).toBe(true);
                expect(c.getFlags() & 0x200).toBe(0);
              }
              observed = true;
              const next = round % 2 === 0 ? bed.callBytes : Uint8Array.from(NOP5);
              const poke = k.textPoke(k.cpus[0], bed.site, next, granularity);
              for (let step = 0; !poke.next().done; step++) {
                if (step === 0) for (const c of k.cpus.slice(1)) k.scheduler.sendNmi(c.id);
                yield;
              }
              for (let i = 0; i < 50; i++) yield;
            });
          }
          done = true;
        })());
        let o = k.run(k.steps + 500_000);
        while (o.reason === 'max-steps' && !done) o = k.run(k.steps + 500_000);
        expect(observed).toBe(true);
        if (o.violation) {
          expect(o.violation.invariant).toBe(1);
          expect(['torn', 'stale']).toContain(o.violation.kind);
          expect(o.violation.cpu).not.toBe(0);
          foundAt = seed;
          kind = o.violation.kind;
        } else {
          expect(o.error).toBeUndefined();
          expect(done).toBe(true);
          expect(k.machine.mem.readU64(DATA + bed.nmiCounter)).toBeGreaterThan(0n); // the NMIs did run the site
        }
      }
      expect(foundAt, `${granularity} stores: no seed in 1..20 caught an NMI executing the site mid-write`).toBeGreaterThan(0);
      console.log(`stop_machine, ${granularity} stores: NMI on a stopped CPU executed a ${kind} site, seed ${foundAt}`);
    }
  });
});

describe('kernel text', () => {
  it('is read-only: a guest store to it is a page fault, reported as an unexpected fault in kernel text', () => {
    const { kernel } = tinyKernel((a) => {
      a.label('start');
      a.movImm64(RDI, TEXT);
      a.bytes(0xc6, 0x07, 0x90); // movb $0x90,(%rdi)
      a.cli().hlt();
    });
    const o = kernel.run(10_000);
    expect(o.reason).toBe('violation');
    expect(o.violation!.invariant).toBe(2);
    expect(o.violation!.summary).toMatch(/#PF exception in kernel text at 0xffffffff8100000a .* accessing 0xffffffff81000000 \(error code 3: write, protection violation on a present page, kernel mode\)/);
  });

  it('a write through text_poke changes it, and the CPU executes the new bytes after serializing', () => {
    const { kernel, machine } = tinyKernel((a) => {
      a.label('start');
      a.movImm32(RCX, 0);
      a.label('l');
      a.nop5();
      a.movImm64(RSI, DATA);
      a.bytes(0x48, 0x89, 0x0e); // mov %rcx,(%rsi)
      a.jmpLabel('l');
    });
    kernel.run(1000);
    // host writes `mov $7,%ecx` over the nop (b9 07 00 00 00) and serializes the CPU
    machine.mem.textWrite(TEXT + 5n, Uint8Array.from([0xb9, 7, 0, 0, 0]), kernel.clock.now, 0);
    kernel.syncCore(kernel.cpus[0]);
    kernel.run(kernel.steps + 1000);
    expect(machine.mem.readU64(DATA)).toBe(7n);
  });
});
