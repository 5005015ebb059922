// The guest kernel's preempt_count and need_resched as the host reads them from guest memory: the thread_info at the base of the running stack (include/linux/preempt.h, arch/x86/include/asm/thread_info.h, guest/kernel/sched.h).

import type { Memory } from '../machine/memory.js';
import { addrToNum } from '../machine/memory.js';
import { THREAD_SIZE } from './layout.js';

/** preempt_count bits (include/linux/preempt.h; the guest uses the same layout, guest/kernel/sched.h). */
export const PREEMPT_MASK = 0x0000_00ff;
export const SOFTIRQ_OFFSET = 0x0000_0100;
export const SOFTIRQ_MASK = 0x0000_ff00;
export const HARDIRQ_OFFSET = 0x0001_0000;
export const HARDIRQ_MASK = 0x000f_0000;
export const NMI_OFFSET = 0x0010_0000;
export const NMI_MASK = 0x00f0_0000;
/** local_bh_disable's step: two softirq units, so that serving a softirq (one unit) stays apart. */
export const SOFTIRQ_DISABLE_OFFSET = 2 * SOFTIRQ_OFFSET;

/**
 * Offsets in the guest's structures (guest/kernel/sched.h, x86-64 ABI):
 * struct thread_info { task_struct *task; unsigned cpu; int lock_depth; unsigned long preempt_count; ... }
 * struct task_struct { long state; unsigned flags; s8 nice; u8 need_resched; u16 time_slice; unsigned rq_index;
 *                      pid_t pid; pid_t tgid; task_struct *real_parent; char comm[16]; ... }
 */
export const TI_TASK = 0;
export const TI_PREEMPT_COUNT = 16;
export const TASK_NEED_RESCHED = 13;
export const TASK_PID = 20;
export const TASK_COMM = 40;
export const TASK_COMM_LEN = 16;

/** What the guest kernel says about the context running on a stack. */
export interface GuestPreempt {
  /** thread_info->preempt_count (the low 32 bits, where every count lives). */
  preemptCount: number;
  /** current->need_resched (TIF_NEED_RESCHED), or null when the stack has no task yet (ti->task == NULL). */
  needResched: boolean | null;
  /** The task_struct address in thread_info (0n: none yet). */
  task: bigint;
}

function u64At(mem: Memory, addr: bigint): bigint | null {
  const a = addrToNum(addr);
  const r = mem.find(a, 8);
  if (r === undefined) return null;
  const o = a - r.start;
  const b = r.bytes;
  const lo = (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
  const hi = (b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16) | (b[o + 7] << 24)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function u8At(mem: Memory, addr: bigint): number | null {
  const a = addrToNum(addr);
  const r = mem.find(a, 1);
  return r === undefined ? null : r.bytes[a - r.start];
}

/** The THREAD_SIZE-aligned base of the stack holding `rsp`: where the guest keeps its thread_info (ftsim_thread_area). */
export function threadInfoOf(rsp: bigint): bigint {
  return rsp & ~BigInt(THREAD_SIZE - 1);
}

/**
 * Read the guest's preempt_count and current->need_resched as the code running with stack pointer `rsp`
 * sees them (preempt_count() and tif_need_resched() there). Null when the stack base is not mapped.
 */
export function readGuestPreempt(mem: Memory, rsp: bigint): GuestPreempt | null {
  const ti = threadInfoOf(rsp);
  const pc = u64At(mem, ti + BigInt(TI_PREEMPT_COUNT));
  const task = u64At(mem, ti + BigInt(TI_TASK));
  if (pc === null || task === null) return null;
  let needResched: boolean | null = null;
  if (task !== 0n) {
    const nr = u8At(mem, task + BigInt(TASK_NEED_RESCHED));
    if (nr !== null) needResched = nr !== 0;
  }
  return { preemptCount: Number(pc & 0xffff_ffffn), needResched, task };
}

/** The pid of the guest task_struct at `task`, or null when unreadable. */
export function readGuestPid(mem: Memory, task: bigint): number | null {
  let v = 0;
  for (let i = 3; i >= 0; i--) {
    const c = u8At(mem, task + BigInt(TASK_PID + i));
    if (c === null) return null;
    v = v * 256 + c;
  }
  return v | 0;
}

/** The comm of the guest task_struct at `task` (a check that the layout above is the guest's). */
export function readGuestComm(mem: Memory, task: bigint): string | null {
  let s = '';
  for (let i = 0; i < TASK_COMM_LEN; i++) {
    const c = u8At(mem, task + BigInt(TASK_COMM + i));
    if (c === null) return null;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}
