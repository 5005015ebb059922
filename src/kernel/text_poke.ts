// Writing kernel text while it runs: text_poke through the writable alias (one call = one logical write), and text_poke_bp batches with their int3 patch descriptor (arch/x86/kernel/alternative.c).

import type { Machine } from '../machine/machine.js';
import type { HostThread } from '../machine/scheduler.js';
import type { Cpu } from '../machine/x86/cpu.js';
import { addrToNum } from '../machine/memory.js';
import type { PtRegs } from './ptregs.js';
import type { Int3Handler } from './traps.js';

export type PokeGranularity = 'byte' | 'word';

/** The instruction(s) a write replaces: where they start and how many bytes they span. */
export interface PokeSite {
  addr: bigint;
  len: number;
}

/** One site of a text_poke_bp batch: its new contents, and how a CPU that hits the int3 gets past it. */
export interface BpSite {
  addr: bigint;
  bytes: Uint8Array | number[];
  /**
   * Emulate the new instruction for a CPU that trapped on the int3 (regs->ip points after the int3).
   * Default: continue after the site, which is right when the old and new instructions are both
   * no-ops for the interrupted code (a nop, a call to a function that only returns).
   */
  emulate?: (cpu: Cpu, regs: PtRegs) => void;
}

export interface BpOptions {
  /** text_poke_sync(): serialize every CPU and wait for all. */
  sync: (self: Cpu) => HostThread;
  granularity?: PokeGranularity;
  /** Negative controls: leave out the sync after the int3s (1), after the tails (2), or the final one (3). */
  omitSync?: 1 | 2 | 3;
}

interface BpEntry {
  addr: bigint;
  bytes: Uint8Array;
  emulate: ((cpu: Cpu, regs: PtRegs) => void) | undefined;
}

/** The int3 patch descriptor of the batch in flight (the kernel's bp_desc). */
interface BpDesc {
  sites: Map<bigint, BpEntry>;
}

const INT3 = 0xcc;

export class TextPoke {
  /** The batch whose int3s the handler claims; null outside a batch. */
  private desc: BpDesc | null = null;
  /** int3 traps the batches' handler claimed. */
  int3Claims = 0;
  /** The same, per site address (a test asks how often CPUs hit one site mid-transition). */
  readonly int3ClaimsAt = new Map<bigint, number>();

  constructor(private readonly machine: Machine) {}

  /**
   * poke_int3_handler(): claim an int3 only while a batch is in flight and only at one of its sites;
   * emulate the site's new instruction. An int3 nobody claims is a violation (the trap code's job).
   */
  readonly int3Handler: Int3Handler = (cpu, regs) => {
    const d = this.desc;
    if (d === null) return false;
    const e = d.sites.get(regs.ip - 1n);
    if (e === undefined) return false;
    this.int3Claims++;
    this.int3ClaimsAt.set(e.addr, (this.int3ClaimsAt.get(e.addr) ?? 0) + 1);
    if (e.emulate !== undefined) e.emulate(cpu, regs);
    else regs.ip = e.addr + BigInt(e.bytes.length);
    return true;
  };

  /**
   * Forget a batch whose host thread can no longer run (the machine was restored to a snapshot,
   * taken with no batch in flight): its descriptor must not claim int3s any more.
   */
  restore(): void {
    this.desc = null;
  }

  /** True while a text_poke_bp batch is in flight. */
  batchActive(): boolean {
    return this.desc !== null;
  }

  /**
   * text_poke(): write kernel text through the writable alias. 'byte' granularity stores one byte per
   * step; 'word' stores each naturally aligned 8-byte word's share at once. Each store is stamped
   * with the machine time at which it happens. The call is one logical write: the states between
   * its stores are not instructions. `site` names the instruction(s) being rewritten (their
   * boundaries are checked when a CPU resumes inside them); without it, new bytes that decode to
   * whole instructions make the written range the site.
   */
  *textPoke(self: Cpu, addr: bigint, bytes: Uint8Array | number[], granularity: PokeGranularity = 'byte', site?: PokeSite): HostThread {
    const data = Uint8Array.from(bytes);
    const mem = this.machine.mem;
    const fm = this.machine.fetchModel;
    const a = addrToNum(addr);
    const r = data.length > 0 ? mem.find(a, data.length) : undefined;
    const off = r !== undefined ? a - r.start : 0;
    if (fm !== null && r !== undefined) {
      const s = site !== undefined ? { off: addrToNum(site.addr) - r.start, len: site.len } : undefined;
      fm.beforeWrite(r, off, data, s !== undefined && s.off >= 0 && s.off + s.len <= r.size ? s : undefined);
    }
    const w = mem.beginTextWrite(self.id);
    let i = 0;
    while (i < data.length) {
      let n = 1;
      if (granularity === 'word') {
        const at = addr + BigInt(i);
        n = Math.min(data.length - i, 8 - Number(at & 7n));
      }
      mem.textWrite(addr + BigInt(i), data.subarray(i, i + n), this.machine.clock.now, self.id, w);
      i += n;
      if (i >= data.length) {
        // the write is whole from its last store on
        mem.endTextWrite(w);
        if (fm !== null && r !== undefined) fm.afterWrite(r, off, data.length);
      }
      yield;
    }
  }

  /**
   * probe_kernel_write() from a context that cannot yield (an NMI handler writing the pending code
   * itself, 2008): the whole of `bytes` stored at one instant as one logical write, by `self`.
   */
  textPokeNow(self: Cpu, addr: bigint, bytes: Uint8Array | number[], site?: PokeSite): void {
    const data = Uint8Array.from(bytes);
    if (data.length === 0) return;
    const mem = this.machine.mem;
    const fm = this.machine.fetchModel;
    const a = addrToNum(addr);
    const r = mem.find(a, data.length);
    const off = r !== undefined ? a - r.start : 0;
    if (fm !== null && r !== undefined) {
      const s = site !== undefined ? { off: addrToNum(site.addr) - r.start, len: site.len } : undefined;
      fm.beforeWrite(r, off, data, s !== undefined && s.off >= 0 && s.off + s.len <= r.size ? s : undefined);
    }
    const w = mem.beginTextWrite(self.id);
    mem.textWrite(addr, data, this.machine.clock.now, self.id, w);
    mem.endTextWrite(w);
    if (fm !== null && r !== undefined) fm.afterWrite(r, off, data.length);
  }

  /**
   * text_poke_bp_batch(): change live instructions that other CPUs may be executing. Publish the
   * patch descriptor; int3 over each site's first byte; sync; write the tails; sync; write the
   * first bytes; sync; release the descriptor. Between publishing and releasing, a CPU that hits
   * one of the int3s is handled by int3Handler; after, an int3 there is nobody's.
   */
  *textPokeBp(self: Cpu, sites: BpSite[], opts: BpOptions): HostThread {
    const entries: BpEntry[] = sites.map((s) => ({ addr: s.addr, bytes: Uint8Array.from(s.bytes), emulate: s.emulate }));
    const site = (e: BpEntry): PokeSite => ({ addr: e.addr, len: e.bytes.length });
    // text_mutex serializes batches: a descriptor left here belongs to a batch that can no longer run (a restored run)
    const desc: BpDesc = { sites: new Map(entries.map((e) => [e.addr, e])) };
    this.desc = desc;
    try {
      for (const e of entries) yield* this.textPoke(self, e.addr, [INT3], 'byte', site(e));
      if (opts.omitSync !== 1) yield* opts.sync(self);
      let tails = false;
      for (const e of entries) {
        if (e.bytes.length < 2) continue;
        yield* this.textPoke(self, e.addr + 1n, e.bytes.subarray(1), opts.granularity ?? 'byte', site(e));
        tails = true;
      }
      if (tails && opts.omitSync !== 2) yield* opts.sync(self);
      for (const e of entries) yield* this.textPoke(self, e.addr, e.bytes.subarray(0, 1), 'byte', site(e));
      if (opts.omitSync !== 3) yield* opts.sync(self);
    } finally {
      if (this.desc === desc) this.desc = null;
    }
  }
}
