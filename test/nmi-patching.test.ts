// nmi-patching.test.ts — NMIs on the CPU that is patching text: they are taken while its host thread is mid-way, and what the CPU wrote itself it sees at once.

import { describe, it, expect } from 'vitest';
import { patchBed, runUntilReaders, skipSiteHandler, DATA, type PatchBed } from './helpers/tiny.js';
import { RSP } from '../src/machine/x86/cpu.js';
import type { HostThread, RunOutcome } from '../src/kernel/kernel.js';
import { addrToNum } from '../src/machine/memory.js';

const HC_TEST_NMI_WRITE = 0x7e01;

/**
 * CPU 0's host thread text_pokes the site's call over its nop, byte by byte; after the first store it
 * sends itself an NMI and waits, mid-write, until the NMI handler has run. Runs until the thread ends.
 */
function pokeWithNmiMidway(bed: PatchBed, atStart: () => void = () => undefined): RunOutcome {
  const k = bed.kernel;
  k.startHostThread(0, (function* (): HostThread {
    atStart(); // just before the first store
    const poke = k.textPoke(k.cpus[0], bed.site, bed.callBytes, 'byte');
    for (let step = 0; !poke.next().done; step++) {
      if (step === 1) {
        k.scheduler.sendNmi(0);
        while (k.machine.mem.readU64(DATA + bed.nmiCounter) === 0n) yield;
      }
      yield;
    }
  })());
  let o = k.run(k.steps + 100_000);
  while (o.reason === 'max-steps' && k.hostThreadRunning(0)) o = k.run(k.steps + 100_000);
  return o;
}

describe('NMIs on the patching CPU', () => {
  it('an NMI raised on CPU 0 while its host thread is mid-way is handled before the host thread finishes, which then continues', () => {
    const bed = patchBed({ cpus: 2, seed: 7, loops: 1_000_000, nmiCallsSite: true, readerCallsSite: false });
    runUntilReaders(bed);
    const k = bed.kernel;
    const counter = (): bigint => k.machine.mem.readU64(DATA + bed.nmiCounter);
    const log: string[] = [];
    let handledAt = -1;
    k.startHostThread(0, (function* (): HostThread {
      for (let step = 0; step < 300; step++) {
        if (step === 100) { k.scheduler.sendNmi(0); log.push('nmi sent'); }
        if (handledAt < 0 && counter() > 0n) { handledAt = step; log.push('nmi handled'); }
        yield;
      }
      log.push('host thread done');
    })());
    let o = k.run(k.steps + 100_000);
    while (o.reason === 'max-steps' && k.hostThreadRunning(0)) o = k.run(k.steps + 100_000);
    expect(o.violation?.summary).toBeUndefined();
    expect(o.error).toBeUndefined();
    expect(log).toEqual(['nmi sent', 'nmi handled', 'host thread done']);
    expect(handledAt).toBeGreaterThan(100);
    expect(handledAt).toBeLessThan(300);
    expect(counter()).toBe(1n);
  });

  it('an NMI handler that takes an int3 (whose IRET unblocks NMIs) runs to its end before the host thread steps again', () => {
    const bed = patchBed({ cpus: 2, seed: 3, loops: 1_000_000, nmiCallsSite: true, readerCallsSite: false });
    runUntilReaders(bed);
    const k = bed.kernel;
    // the site the NMI handler calls is an int3 that a #BP handler steps over: the handler's IRET
    // lifts NMI blocking while the NMI handler still runs, as on hardware
    k.machine.mem.write(bed.site, Uint8Array.of(0xcc));
    let int3s = 0;
    const skip = skipSiteHandler(bed);
    k.traps.int3Handlers.push((cpu, regs) => { const r = skip(cpu, regs); if (r) int3s++; return r; });
    const cpu0 = k.cpus[0];
    const where: string[] = [];
    let frozenAt = '';
    k.startHostThread(0, (function* (): HostThread {
      frozenAt = `${cpu0.getRip()}/${cpu0.getReg(RSP)}`;
      for (let step = 0; step < 200; step++) {
        if (step === 50) k.scheduler.sendNmi(0);
        where.push(`${cpu0.getRip()}/${cpu0.getReg(RSP)}`);
        yield;
      }
    })());
    let o = k.run(k.steps + 100_000);
    for (let i = 0; i < 50 && o.reason === 'max-steps' && k.hostThreadRunning(0); i++) o = k.run(k.steps + 100_000);
    expect(k.hostThreadRunning(0)).toBe(false);
    expect(o.violation?.summary).toBeUndefined();
    expect(int3s).toBe(1);
    expect(k.machine.mem.readU64(DATA + bed.nmiCounter)).toBe(1n);
    // every host step found the guest context where the host thread froze it, never inside the handler
    expect(where.filter((w) => w !== frozenAt)).toEqual([]);
  });

  it('an NMI that writes the pending code itself (2008 scheme) and then executes it sees its own write: no violation; a CPU that did not serialize may still see the old bytes', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const bed = patchBed({ cpus: 2, seed, loops: 1_000_000, nmiCallsSite: true, nmiHypercall: HC_TEST_NMI_WRITE, readerCallsSite: false });
      const k = bed.kernel;
      const fm = k.fetch!;
      const region = k.machine.mem.find(addrToNum(bed.site))!;
      const off = addrToNum(bed.site) - region.start;
      let windowOfCpu0: number[] = [];
      let windowOfOther: number[] = [];
      let before = 0;
      // inside the NMI, on the patching CPU: write the whole pending instruction, as the 2008 NMI handler did
      k.machine.registerHypercall(HC_TEST_NMI_WRITE, 'test: nmi writes the pending code', (cpu) => {
        k.machine.mem.textWrite(bed.site, bed.callBytes, k.clock.now, cpu.id);
        windowOfCpu0 = fm.window(cpu.id, region, off, cpu.serialTime, k.clock.now);
        windowOfOther = fm.window(1, region, off, before, k.clock.now);
      });
      runUntilReaders(bed);
      // CPU 0 serialized long ago: without its own-writes rule, its NMI could see any mix of old and new
      const o = pokeWithNmiMidway(bed, () => { before = k.clock.now - 1; });
      expect(o.violation?.summary, `seed ${seed}: ${o.violation?.details.join('\n')}`).toBeUndefined();
      expect(k.hostThreadRunning(0)).toBe(false);
      expect(k.machine.mem.readU64(DATA + bed.nmiCounter)).toBe(1n);
      expect(windowOfCpu0).toEqual([bed.callBytes[0]]);
      expect(windowOfOther).toContain(0x0f); // the nop's first byte
      expect(windowOfOther).toContain(bed.callBytes[0]);
    }
  });

  it('control: an NMI on the patching CPU that executes the site while its own text_poke is half done runs a torn instruction', () => {
    let found = 0;
    for (let seed = 1; seed <= 10 && found === 0; seed++) {
      const bed = patchBed({ cpus: 2, seed, loops: 1_000_000, nmiCallsSite: true, readerCallsSite: false });
      runUntilReaders(bed);
      const o = pokeWithNmiMidway(bed);
      if (o.violation) {
        expect(o.violation.cpu).toBe(0);
        expect(o.violation.kind).toBe('torn');
        found = seed;
      }
    }
    expect(found).toBeGreaterThan(0);
  });
});
