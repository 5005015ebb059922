// kernel-apis.test.ts — int3 call emulation on pt_regs (the kernel's int3_selftest) with its stack gap, blessed return-address redirection for the graph tracer, and the call/ret monitor's view of both.

import { describe, it, expect } from 'vitest';
import { Asm, RAX, RBX, RBP, RDI, RDX, RSP, R12, R13, R14, R15 } from '../src/machine/x86/encoder.js';
import { tinyKernel, DATA } from './helpers/tiny.js';
import { installInt3StubWithoutGap, storeRegs } from './helpers/kapi.js';
import { int3Context, int3EmulateCall, int3EmulatePush, int3EmulateJmp, int3EmulateRet, textGenInsn } from '../src/kernel/text_patching.js';
import { addrToNum, numToAddr } from '../src/machine/memory.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { PtRegs } from '../src/kernel/ptregs.js';
import type { Cpu } from '../src/machine/x86/cpu.js';

const MAGIC = 0x13377331n;
const CANARY1 = 0x0123456789abcdefn;
const CANARY2 = -0x0123456789abcdf0n;
const BOOT_RSP = 0xffffc900000ffff8n;
const CALLEE_SAVED: [number, bigint][] = [
  [RBX, 0x1111111111111111n], [RBP, 0x2222222222222222n], [R12, 0x3333333333333333n],
  [R13, 0x4444444444444444n], [R14, 0x5555555555555555n], [R15, 0x6666666666666666n],
];

/**
 * The kernel's int3_selftest as a tiny guest: start puts two canaries on the stack and calls
 * selftest_fn, whose first instruction is an int3 followed by four nops (a 5-byte site); a #BP
 * handler claiming that site emulates `call int3_magic`, which stores MAGIC through rdi.
 * Results land in DATA: 0x00 rsp before the call, 0x10.. rsp and callee-saved registers after it,
 * 0x50/0x58 the canaries popped back, 0x60 rsp right after the emulated call returned, 0x100 magic.
 */
function selftestProgram(opts: { strayInt3?: boolean } = {}): { kernel: Kernel; site: bigint; magicFn: bigint } {
  const { kernel, asm } = tinyKernel((a: Asm) => {
    a.label('start');
    for (const [r, v] of CALLEE_SAVED) a.movImm64(r, v);
    a.movImm64(RAX, CANARY1).push(RAX);
    a.movImm64(RAX, CANARY2).push(RAX);
    storeRegs(a, DATA, [RSP]);
    a.movImm64(RDI, DATA + 0x100n);
    a.callLabel('selftest_fn');
    storeRegs(a, DATA + 0x10n, [RSP, ...CALLEE_SAVED.map(([r]) => r)]);
    a.pop(RAX).pop(RDX);
    storeRegs(a, DATA + 0x50n, [RAX, RDX]);
    if (opts.strayInt3) a.int3();
    a.cli().hlt();
    a.align(16);
    a.label('selftest_fn');
    a.label('int3_selftest_ip');
    a.int3().bytes(0x90, 0x90, 0x90, 0x90);
    storeRegs(a, DATA + 0x60n, [RSP]);
    a.ret();
    a.align(16);
    a.label('int3_magic');
    a.movImm32(RAX, Number(MAGIC)).bytes(0x89, 0x07); // mov %eax,(%rdi)
    a.ret();
  });
  return { kernel, site: asm.addressOf('int3_selftest_ip'), magicFn: asm.addressOf('int3_magic') };
}

/** int3_exception_notify: claims only the selftest site and emulates the call there. */
function selftestHandler(k: Kernel, site: bigint, magicFn: bigint, hits: { n: number }) {
  return (cpu: Cpu, regs: PtRegs): boolean => {
    if (regs.ip - 1n !== site) return false;
    hits.n++;
    int3EmulateCall(regs, magicFn, int3Context(k, cpu));
    return true;
  };
}

describe('int3 call emulation (int3_selftest)', () => {
  it('a #BP handler emulating `call int3_magic` at the site: magic set, registers and stack intact, the monitor agrees', () => {
    const { kernel: k, site, magicFn } = selftestProgram();
    const hits = { n: 0 };
    k.int3Handlers.push(selftestHandler(k, site, magicFn, hits));
    const o = k.run(100_000);
    expect(o.violation?.summary).toBeUndefined();
    expect(o.error).toBeUndefined();
    expect(o.reason).toBe('halted');
    expect(hits.n).toBe(1);
    const mem = k.machine.mem;
    expect(mem.readU64(DATA + 0x100n)).toBe(MAGIC);
    const before = BOOT_RSP - 16n;
    expect(mem.readU64(DATA)).toBe(before);
    // int3_magic returned to the instruction after the 5-byte site, with selftest_fn's stack as at the int3
    expect(mem.readU64(DATA + 0x60n)).toBe(before - 8n);
    // after selftest_fn returned: the same rsp, callee-saved registers kept, canaries intact
    expect(mem.readU64(DATA + 0x10n)).toBe(before);
    CALLEE_SAVED.forEach(([, v], i) => expect(mem.readU64(DATA + 0x18n + BigInt(i) * 8n)).toBe(BigInt.asUintN(64, v)));
    expect(mem.readU64(DATA + 0x50n)).toBe(BigInt.asUintN(64, CANARY2));
    expect(mem.readU64(DATA + 0x58n)).toBe(CANARY1);
    // the monitor checked the emulated call's ret, and every frame closed
    expect(k.flow!.checks).toBe(3); // int3_magic's ret, the #BP iret, selftest_fn's ret
    expect(k.flow!.shadows[0].depth).toBe(0);
  });

  it('the handler claims only its site: another int3 is reported as unexpected (invariant 2)', () => {
    const { kernel: k, site, magicFn } = selftestProgram({ strayInt3: true });
    const hits = { n: 0 };
    k.int3Handlers.push(selftestHandler(k, site, magicFn, hits));
    const o = k.run(100_000);
    expect(hits.n).toBe(1);
    expect(o.reason).toBe('violation');
    expect(o.violation?.invariant).toBe(2);
    expect(o.violation?.summary).toMatch(/unexpected int3 at 0x[0-9a-f]+ .*no int3 handler claimed it/);
  });

  it('negative control: without the entry\'s stack gap the emulated push would land on the exception frame, and is refused', () => {
    const { kernel: k, site, magicFn } = selftestProgram();
    installInt3StubWithoutGap(k);
    const hits = { n: 0 };
    k.int3Handlers.push(selftestHandler(k, site, magicFn, hits));
    const o = k.run(100_000);
    expect(hits.n).toBe(1);
    expect(o.reason).toBe('host-error');
    expect(o.error).toMatch(/^hypercall 256 \(interrupt entry\) on CPU 0 .*int3_emulate_push of 0x[0-9a-f]+ at 0x[0-9a-f]+ would overwrite the exception frame \(pt_regs .*\): the #BP entry left no stack gap/);
    expect(o.error).not.toMatch(/\n\s+at /); // a message, not a JavaScript stack trace
    expect(k.machine.mem.readU64(DATA + 0x100n)).toBe(0n);
  });

  it('negative control: the same push done blindly without the gap overwrites the saved SS of the frame iret will use', () => {
    const { kernel: k, site, magicFn } = selftestProgram();
    installInt3StubWithoutGap(k);
    const seen: bigint[] = [];
    k.int3Handlers.push((cpu, regs) => {
      if (regs.ip - 1n !== site) return false;
      const ss = regs.get('ss');
      const ret = site + 5n;
      // int3_emulate_push without its check
      regs.sp = regs.sp - 8n;
      k.machine.mem.writeU64(regs.sp, ret);
      seen.push(ss, regs.get('ss'), ret);
      k.flow!.emulateCall(cpu.id, addrToNum(ret));
      regs.ip = magicFn;
      return true;
    });
    k.run(100_000);
    const [ssBefore, ssAfter, ret] = seen;
    expect(ssBefore).toBe(0x18n);
    expect(ssAfter).toBe(ret); // the hardware frame is corrupted
  });

  it('negative control: an emulated push the monitor is not told about makes int3_magic\'s ret a violation (invariant 3)', () => {
    const { kernel: k, site, magicFn } = selftestProgram();
    k.int3Handlers.push((cpu, regs) => {
      if (regs.ip - 1n !== site) return false;
      const ctx = int3Context(k, cpu);
      int3EmulatePush(regs, site + 5n, ctx); // no flow.emulateCall
      int3EmulateJmp(regs, magicFn, ctx);
      return true;
    });
    const o = k.run(100_000);
    expect(o.reason).toBe('violation');
    expect(o.violation?.invariant).toBe(3);
    expect(o.violation?.summary).toContain(`ret to 0x${(site + 5n).toString(16)}`);
    expect(o.violation?.summary).toContain('but the matching call returns to');
    expect(k.machine.mem.readU64(DATA + 0x100n)).toBe(MAGIC); // the call itself happened
  });

  it('int3_emulate_ret at a ret site returns where the call came from; a corrupted return address is invariant 3', () => {
    for (const corrupt of [false, true]) {
      const { kernel: k, asm } = tinyKernel((a: Asm) => {
        a.label('start');
        a.callLabel('f');
        storeRegs(a, DATA, [RSP]);
        a.cli().hlt();
        a.align(16);
        a.label('f');
        a.label('ret_site');
        a.int3(); // stands for a `ret` being patched in
        a.ud2();
      });
      const site = asm.addressOf('ret_site');
      k.int3Handlers.push((cpu, regs) => {
        if (regs.ip - 1n !== site) return false;
        if (corrupt) k.machine.mem.writeU64(regs.sp, asm.addressOf('start'));
        int3EmulateRet(regs, int3Context(k, cpu));
        return true;
      });
      const o = k.run(100_000);
      if (!corrupt) {
        expect(o.violation?.summary).toBeUndefined();
        expect(o.reason).toBe('halted');
        expect(k.machine.mem.readU64(DATA)).toBe(BOOT_RSP);
      } else {
        expect(o.reason).toBe('violation');
        expect(o.violation?.invariant).toBe(3);
        expect(o.violation?.summary).toMatch(/^emulated ret to 0x[0-9a-f]+ .*but the matching call returns to/);
      }
    }
  });

  it('text_gen_insn builds the emulated instructions and refuses what does not reach', () => {
    expect(Array.from(textGenInsn(0xe8, 0x1000n, 0x1010n))).toEqual([0xe8, 0x0b, 0, 0, 0]);
    expect(Array.from(textGenInsn(0xe9, 0x1000n, 0xf00n))).toEqual([0xe9, 0xfb, 0xfe, 0xff, 0xff]);
    expect(Array.from(textGenInsn(0xeb, 0x1000n, 0x1002n))).toEqual([0xeb, 0]);
    expect(Array.from(textGenInsn(0xc3, 0x1000n, 0n))).toEqual([0xc3]);
    expect(() => textGenInsn(0xeb, 0x1000n, 0x1100n)).toThrow(/out of reach of a 2-byte 0xeb at 0x1000/);
    expect(() => textGenInsn(0x90, 0x1000n, 0x1000n)).toThrow(/not one text_poke_bp emulates/);
  });
});

// ---- return-address redirection (the function-graph tracer's return hook) ----------------

const HC_ENTRY_HOOK = 0x300; // stands for ftrace_caller -> prepare_ftrace_return
const HC_RETURN_HOOK = 0x301; // stands for return_to_handler -> ftrace_return_to_handler

/**
 * start calls parent, which calls traced_fn; its first act is the entry hook (at entry, [rsp] is the
 * return address into parent); it then returns. return_to_handler asks the host for the original return address
 * and goes back there, by `jmp *%rax` (x86-64's way) or by `push %rax; ret`.
 */
function graphProgram(returnBy: 'jmp' | 'ret'): { kernel: Kernel; asm: Asm } {
  const { kernel, asm } = tinyKernel((a: Asm) => {
    a.label('start');
    a.callLabel('parent');
    a.cli().hlt();
    a.align(16);
    a.label('parent');
    a.callLabel('traced_fn');
    a.label('parent_ret');
    a.movImm32(RAX, 0x600d);
    storeRegs(a, DATA, [RAX, RSP]);
    a.ret();
    a.align(16);
    a.label('traced_fn');
    a.movImm32(RAX, HC_ENTRY_HOOK).vmcall();
    a.movImm32(RAX, 42);
    a.ret();
    a.align(16);
    a.label('return_to_handler');
    a.push(RAX);
    a.movImm32(RAX, HC_RETURN_HOOK).vmcall();
    a.mov(RDX, RAX);
    a.pop(RAX); // the traced function's return value
    if (returnBy === 'jmp') a.bytes(0xff, 0xe2); // jmp *%rdx
    else a.push(RDX).ret();
  });
  return { kernel, asm };
}

describe('return-address redirection (prepare_ftrace_return / return_to_handler)', () => {
  type Mode = { tell: boolean; returnBy: 'jmp' | 'ret'; expect: boolean };
  function run(mode: Mode) {
    const { kernel: k, asm } = graphProgram(mode.returnBy);
    const mem = k.machine.mem;
    const rth = asm.addressOf('return_to_handler');
    const saved: bigint[] = []; // the per-task return stack, reduced to its essence
    let redirected: boolean | undefined;
    k.machine.registerHypercall(HC_ENTRY_HOOK, 'test prepare_ftrace_return', (cpu) => {
      const parent = cpu.getReg(RSP);
      const old = mem.readU64(parent);
      saved.push(old);
      mem.writeU64(parent, rth);
      if (mode.tell) redirected = k.flow!.redirectReturn(cpu.id, addrToNum(old), addrToNum(rth));
    });
    k.machine.registerHypercall(HC_RETURN_HOOK, 'test ftrace_return_to_handler', (cpu) => {
      const orig = saved.pop()!;
      if (mode.tell && mode.expect) k.flow!.expectReturn(cpu.id, addrToNum(orig));
      cpu.setReg(RAX, orig);
    });
    return { k, asm, o: k.run(100_000), redirected };
  }

  it('told through redirectReturn, the traced function returns into return_to_handler and on to its parent (jmp back)', () => {
    const { k, asm, o, redirected } = run({ tell: true, returnBy: 'jmp', expect: false });
    expect(redirected).toBe(true);
    expect(o.violation?.summary).toBeUndefined();
    expect(o.reason).toBe('halted');
    expect(k.machine.mem.readU64(DATA)).toBe(0x600dn);
    expect(k.machine.mem.readU64(DATA + 8n)).toBe(BOOT_RSP - 8n);
    expect(k.flow!.shadows[0].depth).toBe(0);
    expect(asm.addressOf('parent_ret')).toBeGreaterThan(0n);
  });

  it('negative control: the same redirection without telling the monitor is an invariant 3 violation at the traced function\'s ret', () => {
    const { asm, o } = run({ tell: false, returnBy: 'jmp', expect: false });
    expect(o.reason).toBe('violation');
    expect(o.violation?.invariant).toBe(3);
    expect(o.violation?.summary).toContain(`ret to 0x${asm.addressOf('return_to_handler').toString(16)}`);
    expect(o.violation?.summary).toContain(`the matching call returns to 0x${asm.addressOf('parent_ret').toString(16)}`);
  });

  it('returning to the original by push+ret needs expectReturn; without it the ret is a violation', () => {
    const good = run({ tell: true, returnBy: 'ret', expect: true });
    expect(good.o.violation?.summary).toBeUndefined();
    expect(good.o.reason).toBe('halted');
    expect(good.k.machine.mem.readU64(DATA)).toBe(0x600dn);
    const bad = run({ tell: true, returnBy: 'ret', expect: false });
    expect(bad.o.reason).toBe('violation');
    expect(bad.o.violation?.invariant).toBe(3);
    expect(bad.o.violation?.summary).toContain(`ret to 0x${bad.asm.addressOf('parent_ret').toString(16)}`);
  });

  it('redirectReturn finds only an open call of the running task, and undoes itself', () => {
    const { kernel: k, asm } = graphProgram('jmp');
    const parentRet = addrToNum(asm.addressOf('parent_ret'));
    const rth = addrToNum(asm.addressOf('return_to_handler'));
    let open: number[] = [];
    const results: boolean[] = [];
    k.machine.registerHypercall(HC_ENTRY_HOOK, 'test prepare_ftrace_return', (cpu) => {
      const f = k.flow!;
      results.push(f.redirectReturn(cpu.id, rth, parentRet)); // not open: nothing changes
      results.push(f.redirectReturn(cpu.id, parentRet, rth));
      open = f.openCalls(cpu.id);
      results.push(f.redirectReturn(cpu.id, rth, parentRet)); // the entry callback declined: undo
    });
    k.machine.registerHypercall(HC_RETURN_HOOK, 'unused', () => undefined);
    const o = k.run(100_000);
    expect(results).toEqual([false, true, true]);
    expect(open.map((a) => numToAddr(a))).toEqual([asm.addressOf('return_to_handler'), asm.addressOf('start') + 5n]);
    expect(o.violation?.summary).toBeUndefined();
    expect(o.reason).toBe('halted'); // the slot itself was never rewritten: the plain return checks out
  });
});
