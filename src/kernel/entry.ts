// Guest entry code the kernel generates: IDT, interrupt/exception stubs saving pt_regs, idle loop, task exit (arch/x86/entry/entry_64.S).

import { Asm, RAX, RBX, RDI, RDX, RSI, RSP } from '../machine/x86/encoder.js';
import { PUSH_ORDER, PT_REGNUM } from './ptregs.js';
import { HC_EXIT, HC_IDLE, HC_IRQ, HC_STOP_POLL, HC_NMI_ENTER, HC_NMI_EXIT } from './hypercalls.js';
import { CALL_FUNCTION_VECTOR } from './layout.js';
import { KERNEL_CS } from '../machine/x86/cpu.js';

export interface StubSpec {
  vector: number;
  name: string;
  /** The CPU pushes an error code for this vector (it then stands in orig_ax). */
  errorCode: boolean;
  /** Guest C handler called with the pt_regs pointer before the host part (e.g. tick_handler). */
  guestHandler?: bigint;
  /**
   * The NMI entry: an NMI that arrives while the handler runs (an IRET from an exception inside it
   * unblocked NMIs) is latched and the running handler repeats, as the kernel's nested-NMI scheme
   * (repeat_nmi) does, so that the handler never nests.
   */
  nmi?: boolean;
  /** int3 from kernel mode: copy the frame six words lower, leaving a gap for call emulation. */
  createGap?: boolean;
}

export interface EntryText {
  code: Uint8Array;
  stubs: Map<number, bigint>;
  idle: bigint;
  /** End of the idle loop's code: [idle, idleEnd). */
  idleEnd: bigint;
  taskExit: bigint;
  symbols: { name: string; value: bigint; size: number }[];
}

/** Build the entry text at `base`. */
export function buildEntryText(base: bigint, specs: StubSpec[]): EntryText {
  const a = new Asm(base);
  const stubs = new Map<number, bigint>();
  const symbols: { name: string; value: bigint; size: number }[] = [];
  const mark = (name: string, from: bigint): void => {
    symbols.push({ name, value: from, size: Number(a.here - from) });
  };
  for (const s of specs) {
    a.align(16);
    const start = a.here;
    stubs.set(s.vector, start);
    if (!s.errorCode) a.pushImm(-1); // orig_ax
    if (s.createGap) {
      // the kernel's create_gap: six words (orig_ax + the hardware frame) copied lower
      for (let i = 0; i < 6; i++) a.pushRspDisp(5 * 8);
    }
    for (const r of PUSH_ORDER) a.push(PT_REGNUM[r]);
    if (s.nmi) {
      a.movImm32(RAX, HC_NMI_ENTER);
      a.vmcall();
      a.test(RAX, RAX);
      a.jccLabel(5 /* ne */, `nested_${s.vector}`);
      a.label(`repeat_${s.vector}`);
    }
    if (s.guestHandler !== undefined) {
      a.mov(RDI, RSP);
      a.mov(RBX, RSP);
      a.andImm(RSP, -16);
      a.movImm64(RAX, s.guestHandler); // the entry area is far from kernel text: call through a register
      a.callReg(RAX);
      a.mov(RSP, RBX);
    }
    a.mov(RDI, RSP);
    a.movImm32(RSI, s.vector);
    a.movImm32(RAX, HC_IRQ);
    a.vmcall();
    a.mov(RSP, RAX);
    if (s.vector === CALL_FUNCTION_VECTOR) {
      // stop_machine: spin here with interrupts off (NMIs still arrive) until released
      const l = `spin_${s.vector}`;
      a.test(RDX, RDX);
      a.jccLabel(4 /* e */, `${l}_out`);
      a.label(l);
      a.pause();
      a.movImm32(RAX, HC_STOP_POLL);
      a.vmcall();
      a.test(RAX, RAX);
      a.jccLabel(5 /* ne */, l);
      a.label(`${l}_out`);
    }
    if (s.nmi) {
      a.movImm32(RAX, HC_NMI_EXIT);
      a.vmcall();
      a.test(RAX, RAX);
      a.jccLabel(5 /* ne */, `repeat_${s.vector}`);
      a.label(`nested_${s.vector}`);
    }
    for (const r of [...PUSH_ORDER].reverse()) a.pop(PT_REGNUM[r]);
    a.addImm(RSP, 8); // orig_ax / error code
    a.iretq();
    mark(s.name, start);
  }
  // Idle loop: interrupts off while asking, then `sti; hlt` (the STI shadow makes the wakeup race-free).
  a.align(16);
  const idle = a.here;
  a.label('idle');
  a.cli();
  a.movImm32(RAX, HC_IDLE);
  a.vmcall();
  a.test(RAX, RAX);
  a.jccLabel(4 /* e */, 'idle_done');
  a.sti();
  a.hlt();
  a.jmpLabel('idle');
  a.label('idle_done');
  a.cli();
  a.hlt();
  a.jmpLabel('idle_done');
  mark('do_idle', idle);
  const idleEnd = a.here;
  // Where a task's function returns to.
  a.align(16);
  const taskExit = a.here;
  a.mov(RDI, RAX);
  a.movImm32(RAX, HC_EXIT);
  a.vmcall();
  a.ud2();
  mark('ret_from_kernel_thread_exit', taskExit);
  return { code: a.finish(), stubs, idle, idleEnd, taskExit, symbols };
}

/** An IDT of interrupt gates (type 0xE, present, DPL 0, kernel CS) for the given stubs. */
export function buildIdt(stubs: Map<number, bigint>): Uint8Array {
  const idt = new Uint8Array(256 * 16);
  const dv = new DataView(idt.buffer);
  for (const [v, addr] of stubs) {
    const o = v * 16;
    const u = BigInt.asUintN(64, addr);
    dv.setUint16(o, Number(u & 0xffffn), true);
    dv.setUint16(o + 2, KERNEL_CS, true);
    idt[o + 4] = 0; // IST
    idt[o + 5] = 0x8e; // present, DPL 0, 64-bit interrupt gate
    dv.setUint16(o + 6, Number((u >> 16n) & 0xffffn), true);
    dv.setUint32(o + 8, Number((u >> 32n) & 0xffffffffn), true);
  }
  return idt;
}
