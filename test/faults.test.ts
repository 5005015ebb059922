// faults.test.ts — unexpected exceptions in kernel text as a user reads them: the vector named, error codes only where the CPU pushes one (#PF decoded), the last instructions up to the fault.

import { describe, it, expect } from 'vitest';
import { RAX, RCX, RDX, RDI } from '../src/machine/x86/encoder.js';
import { tinyKernel, TEXT } from './helpers/tiny.js';
import { ENTRY_TEXT_BASE, ENTRY_TEXT_SIZE } from '../src/kernel/layout.js';
import { addrToNum } from '../src/machine/memory.js';
import type { Asm } from '../src/machine/x86/encoder.js';

function fault(body: (a: Asm) => void) {
  const { kernel } = tinyKernel((a) => {
    a.label('start');
    a.movImm32(RCX, 7);
    a.movImm32(RDX, 0);
    body(a);
    a.cli().hlt();
  });
  const o = kernel.run(10_000);
  const recent = kernel.cpus[0].recent();
  return { o, recent };
}

const inEntry = (addr: number): boolean => addr >= addrToNum(ENTRY_TEXT_BASE) && addr < addrToNum(ENTRY_TEXT_BASE) + ENTRY_TEXT_SIZE;

describe('unexpected exceptions in kernel text', () => {
  it('#UD: named, with no error code (the CPU pushes none)', () => {
    const { o } = fault((a) => a.ud2());
    expect(o.violation?.invariant).toBe(2);
    expect(o.violation?.summary).toMatch(/^invalid opcode \(#UD\) in kernel text at 0xffffffff8100000a <0xffffffff8100000a> \(ud2\)$/);
    expect(o.violation?.summary).not.toMatch(/error code|18446744073709551615/);
  });

  it('#DE: named, with no error code', () => {
    const { o } = fault((a) => {
      a.movImm32(RAX, 100);
      a.bytes(0x48, 0xf7, 0xf2); // div %rdx (rdx:rax / 0)
    });
    expect(o.violation?.summary).toMatch(/^divide error \(#DE\) in kernel text at 0xffffffff8100000f .*\(div %rdx\)$/);
  });

  it('#PF on a jump to an unmapped address says so, and does not call it kernel text', () => {
    const { o } = fault((a) => {
      a.movImm32(RDI, 0);
      a.bytes(0xff, 0xe7); // jmp *%rdi
    });
    expect(o.violation?.summary).toBe('#PF exception on instruction fetch at 0x0: nothing is mapped there (the last instructions show how the CPU got there) (error code 16: instruction fetch, page not present, kernel mode)');
  });

  it('the last instructions end with the faulting one, not inside the entry stub that reported it', () => {
    const { o, recent } = fault((a) => {
      a.movImm64(RDI, TEXT);
      a.bytes(0xc6, 0x07, 0x90); // movb $0x90,(%rdi): text is read-only
    });
    expect(o.violation?.summary).toMatch(/error code 3: write, protection violation on a present page, kernel mode/);
    expect(recent.length).toBeGreaterThan(2);
    expect(recent.some((d) => inEntry(d.addr))).toBe(false);
    expect(recent[recent.length - 1].bytes).toEqual(Uint8Array.from([0xc6, 0x07, 0x90]));
  });
});
