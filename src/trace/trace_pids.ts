// trace_pid_write: one write() to a pid-list file (set_ftrace_pid, set_event_pid and their notrace twins) as kernel/trace/trace.c parses it.

import { EINVAL, EPERM } from '../ftrace/arch.js';

/** pid_list.c's limit: a pid must fit in 30 bits (trace_pid_list_set fails past it). */
export const PID_LIST_MAX = 1 << 30;

/**
 * The list after one write: the old pids plus every word written, each read by kstrtoul(word, 0) (hex,
 * octal or decimal, an optional '+', at most ULONG_MAX) and cast to pid_t. A word that is not a number
 * is -EINVAL, a pid the list cannot hold -EPERM, and either leaves the list as it was. The result is
 * empty (null) only when the list held nothing and nothing was written: the kernel counts the copied
 * pids with the new ones.
 */
export function tracePidWrite(old: Set<number> | null, data: string): { list: Set<number> | null } | { err: number } {
  const next = new Set(old ?? []);
  let nr = next.size;
  for (const w of data.split(/[\s\0]+/)) {
    if (w.length === 0) continue;
    const d = w.startsWith('+') ? w.slice(1) : w;
    if (!/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(d)) return { err: -EINVAL };
    const v = /^0[0-7]+$/.test(d) ? BigInt('0o' + d.slice(1)) : BigInt(d);
    if (v >= 1n << 64n) return { err: -EINVAL };
    const pid = Number(BigInt.asIntN(32, v)); // (pid_t)val
    if (pid < 0 || pid >= PID_LIST_MAX) return { err: -EPERM };
    next.add(pid);
    nr++;
  }
  return { list: nr === 0 ? null : next };
}
