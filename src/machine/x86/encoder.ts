// A small x86-64 assembler for the guest code ftsim generates itself: entry stubs, trampolines, test programs.

export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
export const R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;

/** The 5-byte nop the kernel uses at ftrace sites (P6_NOP5 / x86_nops[5]). */
export const NOP5 = [0x0f, 0x1f, 0x44, 0x00, 0x00];

interface Fixup {
  at: number; // offset of the rel field
  size: 1 | 4;
  label: string;
  /** offset the displacement is relative to (end of instruction) */
  end: number;
}

/** Condition codes for jcc. */
export const CC = { o: 0, no: 1, b: 2, ae: 3, e: 4, ne: 5, be: 6, a: 7, s: 8, ns: 9, p: 10, np: 11, l: 12, ge: 13, le: 14, g: 15 } as const;

export class Asm {
  private readonly out: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: Fixup[] = [];
  private readonly absFixups: { at: number; target: bigint; end: number }[] = [];
  private readonly labelAbs: { at: number; label: string }[] = [];

  /** `base` is the guest address the code will be placed at. */
  constructor(readonly base: bigint) {}

  get offset(): number {
    return this.out.length;
  }

  /** Current address. */
  get here(): bigint {
    return this.base + BigInt(this.out.length);
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`Asm: label ${name} defined twice`);
    this.labels.set(name, this.out.length);
    return this;
  }

  addressOf(name: string): bigint {
    const o = this.labels.get(name);
    if (o === undefined) throw new Error(`Asm: no label ${name}`);
    return this.base + BigInt(o);
  }

  bytes(...b: number[]): this {
    for (const x of b) this.out.push(x & 0xff);
    return this;
  }

  private imm32(v: number): void {
    this.bytes(v, v >> 8, v >> 16, v >> 24);
  }

  private rex(w: boolean, reg: number, rm: number, force = false): void {
    const r = (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);
    if (r || force) this.out.push(0x40 | r);
  }

  push(r: number): this {
    if (r & 8) this.out.push(0x41);
    return this.bytes(0x50 + (r & 7));
  }

  pop(r: number): this {
    if (r & 8) this.out.push(0x41);
    return this.bytes(0x58 + (r & 7));
  }

  /** mov %src, %dst (64-bit). */
  mov(dst: number, src: number): this {
    this.rex(true, src, dst);
    return this.bytes(0x89, 0xc0 | ((src & 7) << 3) | (dst & 7));
  }

  /** mov $imm32, %r32 (zero-extends into the 64-bit register). */
  movImm32(r: number, imm: number): this {
    if (r & 8) this.out.push(0x41);
    this.bytes(0xb8 + (r & 7));
    this.imm32(imm);
    return this;
  }

  /** movabs $imm64, %r64. */
  movImm64(r: number, imm: bigint): this {
    this.rex(true, 0, r);
    this.bytes(0xb8 + (r & 7));
    const u = BigInt.asUintN(64, imm);
    for (let i = 0n; i < 8n; i++) this.out.push(Number((u >> (8n * i)) & 0xffn));
    return this;
  }

  /** movabs $label, %r64: the label's absolute address (resolved by finish()). */
  movLabel(r: number, label: string): this {
    this.rex(true, 0, r);
    this.bytes(0xb8 + (r & 7));
    this.labelAbs.push({ at: this.out.length, label });
    for (let i = 0; i < 8; i++) this.out.push(0);
    return this;
  }

  /** Group-1 op with imm32 on a 64-bit register: add/or/and/sub/cmp $imm, %r. */
  private grp1(ext: number, r: number, imm: number): this {
    this.rex(true, 0, r);
    if (imm >= -128 && imm <= 127) return this.bytes(0x83, 0xc0 | (ext << 3) | (r & 7), imm);
    this.bytes(0x81, 0xc0 | (ext << 3) | (r & 7));
    this.imm32(imm);
    return this;
  }

  addImm(r: number, imm: number): this { return this.grp1(0, r, imm); }
  andImm(r: number, imm: number): this { return this.grp1(4, r, imm); }
  subImm(r: number, imm: number): this { return this.grp1(5, r, imm); }
  cmpImm(r: number, imm: number): this { return this.grp1(7, r, imm); }

  /** test %r, %r (64-bit). */
  test(a: number, b: number): this {
    this.rex(true, b, a);
    return this.bytes(0x85, 0xc0 | ((b & 7) << 3) | (a & 7));
  }

  /** pushq disp8(%rsp). */
  pushRspDisp(disp: number): this {
    return this.bytes(0xff, 0x74, 0x24, disp);
  }

  /** mov disp32(%base), %dst (64-bit load). */
  load(dst: number, base: number, disp: number): this {
    this.rex(true, dst, base);
    if ((base & 7) === RSP) { this.bytes(0x8b, 0x84 | ((dst & 7) << 3), 0x24); }
    else this.bytes(0x8b, 0x80 | ((dst & 7) << 3) | (base & 7));
    this.imm32(disp);
    return this;
  }

  /** mov %src, disp32(%base) (64-bit store). */
  store(base: number, disp: number, src: number): this {
    this.rex(true, src, base);
    if ((base & 7) === RSP) { this.bytes(0x89, 0x84 | ((src & 7) << 3), 0x24); }
    else this.bytes(0x89, 0x80 | ((src & 7) << 3) | (base & 7));
    this.imm32(disp);
    return this;
  }

  /** mov target(%rip), %dst (64-bit load, RIP-relative). */
  loadRip(dst: number, target: bigint): this {
    this.rex(true, dst, 0);
    this.bytes(0x8b, 0x05 | ((dst & 7) << 3));
    const at = this.out.length;
    this.imm32(0);
    this.absFixups.push({ at, target, end: this.out.length });
    return this;
  }

  /** cmpb $imm8, target(%rip). */
  cmpbRip(target: bigint, imm: number): this {
    this.bytes(0x80, 0x3d);
    const at = this.out.length;
    this.imm32(0);
    this.bytes(imm);
    this.absFixups.push({ at, target, end: this.out.length });
    return this;
  }

  /** call rel32 to an absolute address. */
  call(target: bigint): this {
    this.bytes(0xe8);
    const at = this.out.length;
    this.imm32(0);
    this.absFixups.push({ at, target, end: this.out.length });
    return this;
  }

  /** call to a label. */
  callLabel(label: string): this {
    this.bytes(0xe8);
    this.fixups.push({ at: this.out.length, size: 4, label, end: this.out.length + 4 });
    this.imm32(0);
    return this;
  }

  /** call *%r. */
  callReg(r: number): this {
    if (r & 8) this.out.push(0x41);
    return this.bytes(0xff, 0xd0 | (r & 7));
  }

  /** jmp rel32 to an absolute address. */
  jmp(target: bigint): this {
    this.bytes(0xe9);
    const at = this.out.length;
    this.imm32(0);
    this.absFixups.push({ at, target, end: this.out.length });
    return this;
  }

  jmpLabel(label: string): this {
    this.bytes(0xe9);
    this.fixups.push({ at: this.out.length, size: 4, label, end: this.out.length + 4 });
    this.imm32(0);
    return this;
  }

  jccLabel(cc: number, label: string): this {
    this.bytes(0x0f, 0x80 + cc);
    this.fixups.push({ at: this.out.length, size: 4, label, end: this.out.length + 4 });
    this.imm32(0);
    return this;
  }

  ret(): this { return this.bytes(0xc3); }
  vmcall(): this { return this.bytes(0x0f, 0x01, 0xc1); }
  iretq(): this { return this.bytes(0x48, 0xcf); }
  cli(): this { return this.bytes(0xfa); }
  sti(): this { return this.bytes(0xfb); }
  hlt(): this { return this.bytes(0xf4); }
  pause(): this { return this.bytes(0xf3, 0x90); }
  int3(): this { return this.bytes(0xcc); }
  ud2(): this { return this.bytes(0x0f, 0x0b); }
  cpuid(): this { return this.bytes(0x0f, 0xa2); }
  nop5(): this { return this.bytes(...NOP5); }
  /** outb %al, $port. */
  outb(port: number): this { return this.bytes(0xe6, port); }
  /** pushq $imm (sign-extended imm8/imm32). */
  pushImm(v: number): this {
    if (v >= -128 && v <= 127) return this.bytes(0x6a, v);
    this.bytes(0x68);
    this.imm32(v);
    return this;
  }

  /** Pad with int3 to an alignment. */
  align(n: number, fill = 0xcc): this {
    while ((Number(this.base & 0xffffn) + this.out.length) % n !== 0) this.out.push(fill);
    return this;
  }

  /** Resolve labels and return the code. */
  finish(): Uint8Array {
    const code = Uint8Array.from(this.out);
    const dv = new DataView(code.buffer);
    for (const f of this.fixups) {
      const t = this.labels.get(f.label);
      if (t === undefined) throw new Error(`Asm: undefined label ${f.label}`);
      const rel = t - f.end;
      if (f.size === 1) {
        if (rel < -128 || rel > 127) throw new Error(`Asm: label ${f.label} out of rel8 range`);
        code[f.at] = rel & 0xff;
      } else dv.setInt32(f.at, rel, true);
    }
    for (const f of this.labelAbs) {
      const t = this.labels.get(f.label);
      if (t === undefined) throw new Error(`Asm: undefined label ${f.label}`);
      dv.setBigUint64(f.at, BigInt.asUintN(64, this.base + BigInt(t)), true);
    }
    for (const f of this.absFixups) {
      const rel = f.target - (this.base + BigInt(f.end));
      if (rel < -(1n << 31n) || rel >= 1n << 31n) throw new Error(`Asm: target 0x${f.target.toString(16)} out of rel32 range`);
      dv.setInt32(f.at, Number(rel), true);
    }
    return code;
  }
}
