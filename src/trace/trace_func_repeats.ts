// The function tracer's func-no-repeats option: consecutive calls of one function from one call site are folded into a func_repeats entry (kernel/trace/trace_functions.c function_no_repeats_trace_call, is_repeat_check, process_repeats; trace.c trace_last_func_repeats).

import type { Cpu } from '../machine/x86/cpu.js';
import { addrToNum } from '../machine/memory.js';
import type { TraceArray } from './trace_functions.js';
import { TRACE_FUNC_REPEATS } from './ring_buffer_types.js';

/**
 * TRACE_FUNC_REPEATS: the entry's type (struct func_repeats_entry: ip, parent_ip, u16 count, then the
 * time since the last repeated call split into a u16 and a u32).
 */
export { TRACE_FUNC_REPEATS } from './ring_buffer_types.js';

/** struct trace_func_repeats: the last function written on one CPU and how often it repeated since. */
interface LastCall {
  ip: number;
  parentIp: number;
  count: number;
  tsLastCall: number;
}

const U16_MAX = 0xffff;

/** The per-CPU repeat state of one trace array (tr->last_func_repeats). */
export class FuncRepeats {
  private readonly last: LastCall[];
  constructor(nrCpus: number) {
    this.last = Array.from({ length: nrCpus }, () => ({ ip: 0, parentIp: 0, count: 0, tsLastCall: 0 }));
  }

  /**
   * function_no_repeats_trace_call: true when the call repeats the CPU's last one (it is only counted);
   * otherwise a pending count is written as a func_repeats entry first, and the caller writes the
   * function event.
   */
  repeat(tr: TraceArray, cpu: Cpu, ip: bigint, parentIp: bigint): boolean {
    const last = this.last[cpu.id];
    const i = addrToNum(ip);
    const p = addrToNum(parentIp);
    // is_repeat_check
    if (last.ip === i && last.parentIp === p && last.count < U16_MAX) {
      last.tsLastCall = cpu.now();
      last.count++;
      return true;
    }
    // process_repeats
    if (last.count > 0) {
      writeRepeats(tr, cpu, last);
      last.count = 0;
    }
    last.ip = i;
    last.parentIp = p;
    return false;
  }
}

/** trace_last_func_repeats: the entry, stamped now, carrying the gap back to the last repeated call. */
function writeRepeats(tr: TraceArray, cpu: Cpu, last: LastCall): void {
  if (!tr.tracingOn) return;
  const now = cpu.now();
  const delta = BigInt(Math.max(0, now - last.tsLastCall));
  const body = new Uint8Array(24);
  const dv = new DataView(body.buffer);
  dv.setBigUint64(0, BigInt.asUintN(64, BigInt(last.ip)), true);
  dv.setBigUint64(8, BigInt.asUintN(64, BigInt(last.parentIp)), true);
  dv.setUint16(16, last.count, true);
  dv.setUint16(18, Number((delta >> 32n) & 0xffffn), true);
  dv.setUint32(20, Number(delta & 0xffffffffn), true);
  const task = tr.kernel.sched.current[cpu.id];
  const ctx = tr.traceCtx(cpu);
  tr.buffer.writeRaw(cpu.id, now, task.pid, ctx.flags, ctx.pc, TRACE_FUNC_REPEATS, body);
}

/** A func_repeats entry's fields (from its payload, trace_entry included). */
export function decodeRepeats(data: Uint8Array): { ip: number; parentIp: number; count: number; delta: number } {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const sig = (at: number): number => Number(dv.getBigInt64(at, true));
  const delta = (dv.getUint16(26, true) * 2 ** 32) + dv.getUint32(28, true);
  return { ip: sig(8), parentIp: sig(16), count: dv.getUint16(24, true), delta };
}
