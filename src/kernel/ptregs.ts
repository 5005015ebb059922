// struct pt_regs as the entry stubs save it on the guest stack (arch/x86/include/asm/ptrace.h layout).

import type { Memory } from '../machine/memory.js';

/** Byte offsets of the fields, lowest address first, as the kernel's x86-64 struct pt_regs. */
export const PT = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72,
  ax: 80, cx: 88, dx: 96, si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
} as const;

export const PT_REGS_SIZE = 168;

export type PtField = keyof typeof PT;

/** The register number (rax = 0 ... r15 = 15) that each general-purpose pt_regs field saves. */
export const PT_REGNUM: Record<(typeof PUSH_ORDER)[number], number> = {
  ax: 0, cx: 1, dx: 2, bx: 3, bp: 5, si: 6, di: 7, r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15,
};

/** Registers in the order the entry stubs push them (the reverse of the layout above). */
export const PUSH_ORDER = ['di', 'si', 'dx', 'cx', 'ax', 'r8', 'r9', 'r10', 'r11', 'bx', 'bp', 'r12', 'r13', 'r14', 'r15'] as const;

/** A pt_regs in guest memory: host handlers read and write the interrupted context through it. */
export class PtRegs {
  constructor(private readonly mem: Memory, readonly addr: bigint) {}

  get(f: PtField): bigint {
    return this.mem.readU64(this.addr + BigInt(PT[f]));
  }

  set(f: PtField, v: bigint): void {
    this.mem.writeU64(this.addr + BigInt(PT[f]), v);
  }

  get ip(): bigint { return this.get('ip'); }
  set ip(v: bigint) { this.set('ip', v); }
  get sp(): bigint { return this.get('sp'); }
  set sp(v: bigint) { this.set('sp', v); }
  get flags(): bigint { return this.get('flags'); }
}
