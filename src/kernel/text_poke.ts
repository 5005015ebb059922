// Writing kernel text while it runs: text_poke through the writable alias, with byte or word stores (arch/x86/kernel/alternative.c).

import type { Machine } from '../machine/machine.js';
import type { HostThread } from '../machine/scheduler.js';
import type { Cpu } from '../machine/x86/cpu.js';

export type PokeGranularity = 'byte' | 'word';

export class TextPoke {
  constructor(private readonly machine: Machine) {}

  /**
   * text_poke(): write kernel text through the writable alias. 'byte' granularity stores one byte per
   * step; 'word' stores each naturally aligned 8-byte word's share at once. Each store is stamped
   * with the machine time at which it happens.
   */
  *textPoke(self: Cpu, addr: bigint, bytes: Uint8Array | number[], granularity: PokeGranularity = 'byte'): HostThread {
    const data = Uint8Array.from(bytes);
    let i = 0;
    while (i < data.length) {
      let n = 1;
      if (granularity === 'word') {
        const a = addr + BigInt(i);
        n = Math.min(data.length - i, 8 - Number(a & 7n));
      }
      this.machine.mem.textWrite(addr + BigInt(i), data.subarray(i, i + n), this.machine.clock.now, self.id);
      i += n;
      yield;
    }
  }
}
