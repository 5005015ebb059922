// tiny.ts — tiny guest programs assembled in TypeScript, booted on the SMP machine with the ftsim kernel (no compiler needed).

import { Asm, RAX, RCX, RDI, RSI, RDX, R12, NOP5 } from '../../src/machine/x86/encoder.js';
import { Machine } from '../../src/machine/machine.js';
import { PERM_R, PERM_W, PERM_X } from '../../src/machine/memory.js';
import { bootRaw } from '../../src/loader/boot.js';
import { Kernel, type HostThread, type KernelOptions } from '../../src/kernel/kernel.js';
import { HC_EXIT, HC_SMP_BOOT, HC_SPAWN } from '../../src/kernel/hypercalls.js';
import { NMI_VECTOR } from '../../src/kernel/layout.js';
import { RandomChooser, type Chooser } from '../../src/machine/chooser.js';
import { PtRegs } from '../../src/kernel/ptregs.js';
import type { Cpu } from '../../src/machine/x86/cpu.js';
import type { Tier } from '../../src/machine/tier.js';

export const TEXT = 0xffffffff81000000n;
export const DATA = 0xffffffff81100000n;

export interface PatchBed {
  kernel: Kernel;
  machine: Machine;
  /** address of the 5-byte patch site (starts as a nop) */
  site: bigint;
  /** the call instruction that the writer toggles the site to */
  callBytes: Uint8Array;
  /** what the site holds at boot and what the writer toggles it back to: one 5-byte nop, or a 3-byte and a 2-byte nop */
  nopBytes: Uint8Array;
  readers: number;
  /** DATA offset of the counter the guest NMI handler increments (with nmiCallsSite) */
  nmiCounter: bigint;
}

/** A 3-byte nop and a 2-byte nop: a site a task can stop in the middle of. */
export const NOP3_NOP2 = [0x0f, 0x1f, 0x00, 0x66, 0x90];

/**
 * A boot task that starts the other CPUs and spawns one reader per secondary CPU; each reader calls
 * `site_fn` in a loop, with a little other work between calls. `site_fn` starts with a 5-byte nop (the patch site), like an ftrace site.
 */
export function patchBed(opts: {
  cpus: number; seed?: number; chooser?: Chooser; loops?: number; spin?: number; timerHz?: number; maxQuantum?: number;
  /** readers serialize (cpuid) right before each call of site_fn */
  serialize?: boolean;
  /** the site's nop: one 5-byte nop (default) or a 3-byte and a 2-byte nop */
  siteNop?: 'nop5' | 'nop3+2';
  /** reader tasks per secondary CPU (default 1; more let the timer switch a reader out anywhere) */
  readersPerCpu?: number;
  /** the guest NMI handler calls site_fn and counts its runs at DATA+nmiCounter */
  nmiCallsSite?: boolean;
  /** with nmiCallsSite: the handler first makes this hypercall (a host hook inside the NMI, before it runs the site) */
  nmiHypercall?: number;
  /** readers call site_fn (default); false: they only spin */
  readerCallsSite?: boolean;
  nmiRate?: number;
}): PatchBed {
  const a = new Asm(TEXT);
  const perCpu = opts.readersPerCpu ?? 1;
  a.label('start');
  a.movImm32(RAX, HC_SMP_BOOT).vmcall();
  for (let c = 1; c < opts.cpus; c++) {
    for (let k = 0; k < perCpu; k++) {
      a.movImm64(RDI, 0n); // patched below with the reader address
      a.label(`spawn_${c}_${k}`);
      a.movImm32(RSI, 0).movImm32(RDX, c).movImm32(RAX, HC_SPAWN).vmcall();
    }
  }
  a.movImm32(RAX, HC_EXIT).vmcall().ud2();
  a.align(16);
  a.label('reader');
  a.movImm32(R12, opts.loops ?? 200_000);
  a.label('loop');
  if (opts.serialize) a.cpuid();
  if (opts.readerCallsSite !== false) a.callLabel('site_fn');
  // other work between calls, so a reader can be away from the site while the writer moves on
  a.movImm32(RCX, opts.spin ?? 60);
  a.label('spin');
  a.subImm(RCX, 1);
  a.jccLabel(5, 'spin');
  a.subImm(R12, 1);
  a.jccLabel(5, 'loop');
  a.ret();
  a.align(16);
  const nopBytes = Uint8Array.from(opts.siteNop === 'nop3+2' ? NOP3_NOP2 : NOP5);
  a.label('site_fn');
  a.bytes(...nopBytes);
  a.ret();
  a.align(16);
  a.label('hook');
  a.ret();
  const nmiCounter = 0x100n;
  if (opts.nmiCallsSite) {
    a.align(16);
    a.label('nmi_handler');
    if (opts.nmiHypercall !== undefined) a.movImm32(RAX, opts.nmiHypercall).vmcall();
    a.callLabel('site_fn');
    a.movImm64(RSI, DATA + nmiCounter);
    a.bytes(0x48, 0xff, 0x06); // incq (%rsi)
    a.ret();
  }
  const code = a.finish();
  const reader = a.addressOf('reader');
  // fill in the reader address of each movabs (10 bytes before each spawn label)
  for (let c = 1; c < opts.cpus; c++) {
    for (let k = 0; k < perCpu; k++) {
      const at = Number(a.addressOf(`spawn_${c}_${k}`) - TEXT) - 8;
      new DataView(code.buffer).setBigUint64(at, reader, true);
    }
  }
  const { machine, kernel } = bootTiny(code, {
    cpus: opts.cpus,
    chooser: opts.chooser ?? new RandomChooser(opts.seed ?? 1),
    timerHz: opts.timerHz ?? 1000,
    maxQuantum: opts.maxQuantum ?? 50,
    nmiRate: opts.nmiRate ?? 0,
    guestHandlers: opts.nmiCallsSite ? new Map([[NMI_VECTOR, a.addressOf('nmi_handler')]]) : undefined,
  });
  // the kernel registered its poke_int3_handler first in the int3 chain: it claims int3s only at the
  // sites of a text_poke_bp batch in flight
  const site = a.addressOf('site_fn');
  const hook = a.addressOf('hook');
  const rel = Number(BigInt.asIntN(32, hook - (site + 5n)));
  const callBytes = new Uint8Array([0xe8, rel & 0xff, (rel >> 8) & 0xff, (rel >> 16) & 0xff, (rel >>> 24) & 0xff]);
  return { kernel, machine, site, callBytes, nopBytes, readers: (opts.cpus - 1) * perCpu, nmiCounter };
}

/** Run until every reader task exists (the boot task has exited), so a writer can take CPU 0. */
export function runUntilReaders(bed: PatchBed): void {
  for (let budget = 10_000; bed.kernel.liveTasks() < bed.readers || bed.kernel.tasks.some((t) => t.pid === 1 && t.state !== 'dead'); budget += 10_000) {
    const o = bed.kernel.run(budget);
    if (o.reason !== 'max-steps') throw new Error(`boot of the patch bed stopped: ${o.reason} ${o.error ?? ''}`);
    if (budget > 10_000_000) throw new Error('patch bed did not boot');
  }
}

export type Protocol = 'naive' | 'int3' | 'int3-no-sync1' | 'int3-no-sync2' | 'int3-no-sync3';

/**
 * A #BP handler for the site that makes the hitting CPU skip it (both nop and call-to-hook are
 * no-ops). Unlike the kernel's, it claims the site forever, so it hides a stale int3 executed
 * after a batch ended; the patch bed installs the kernel's descriptor-based handler instead.
 */
export function skipSiteHandler(bed: PatchBed): (cpu: Cpu, regs: PtRegs) => boolean {
  return (_cpu, regs) => {
    if (regs.ip - 1n !== bed.site) return false;
    regs.ip = bed.site + 5n;
    return true;
  };
}

/** The writer: toggles the site between nop and call `rounds` times with the given protocol. */
export function* writer(bed: PatchBed, protocol: Protocol, rounds: number, granularity: 'byte' | 'word' = 'byte'): HostThread {
  const k = bed.kernel;
  const self = k.cpus[0];
  for (let r = 0; r < rounds; r++) {
    const next = r % 2 === 0 ? bed.callBytes : bed.nopBytes;
    for (let i = 0; i < 20; i++) yield; // let the readers run a little
    if (protocol === 'naive') {
      yield* k.textPoke(self, bed.site, next, granularity);
    } else {
      const omitSync = protocol === 'int3-no-sync1' ? 1 : protocol === 'int3-no-sync2' ? 2 : protocol === 'int3-no-sync3' ? 3 : undefined;
      yield* k.poke.textPokeBp(self, [{ addr: bed.site, bytes: next }], { sync: (c) => k.syncCoreAll(c), granularity, omitSync });
    }
  }
}

/** Boot a single program (built by `build` at TEXT) on the kernel; DATA is a scratch area of `dataSize` bytes (4 KiB unless told). */
export function tinyKernel(build: (a: Asm) => void, opts: { cpus?: number; seed?: number; chooser?: Chooser; timerHz?: number; nmiRate?: number; visibleSlices?: boolean; nmiRepeat?: boolean; guestHandlers?: (a: Asm) => Map<number, bigint>; tier?: Tier; dataSize?: number } = {}): { kernel: Kernel; machine: Machine; asm: Asm } {
  const a = new Asm(TEXT);
  build(a);
  const code = a.finish();
  const { machine, kernel } = bootTiny(code, {
    cpus: opts.cpus ?? 1,
    chooser: opts.chooser ?? new RandomChooser(opts.seed ?? 1),
    timerHz: opts.timerHz ?? 0,
    nmiRate: opts.nmiRate ?? 0,
    visibleSlices: opts.visibleSlices,
    nmiRepeat: opts.nmiRepeat,
    guestHandlers: opts.guestHandlers?.(a),
    tier: opts.tier,
  }, opts.dataSize);
  return { kernel, machine, asm: a };
}

/** Map `code` at TEXT (4 KiB, read-only and executable) and `dataSize` scratch bytes at DATA, start at TEXT, add the kernel. */
function bootTiny(code: Uint8Array, kopts: KernelOptions & { cpus: number; tier?: Tier }, dataSize = 0x1000): { machine: Machine; kernel: Kernel } {
  const machine = new Machine({ cpus: kopts.cpus, tier: kopts.tier });
  bootRaw(machine, [
    { name: 'text', addr: TEXT, bytes: code, size: 0x1000, perm: PERM_R | PERM_X },
    { name: 'data', addr: DATA, bytes: new Uint8Array(0), size: dataSize, perm: PERM_R | PERM_W },
  ], TEXT);
  return { machine, kernel: new Kernel(machine, kopts) };
}
