// set_ftrace_pid and set_ftrace_notrace_pid: the pid lists that filter function tracing by task (kernel/trace/ftrace.c ftrace_pid_open/pid_write/p_show, kernel/trace/trace.c trace_pid_write).

import type { TraceArray } from '../trace_functions.js';
import { EINVAL, EPERM, kstrtoul, type FileNode, text, textReader } from './fs.js';

/** pid_list.c's limit: a pid must fit in 30 bits. */
const PID_LIST_MAX = 1 << 30;

type PidType = 'pid' | 'notrace_pid';

function getList(tr: TraceArray, type: PidType): Set<number> | null {
  return type === 'pid' ? tr.ftracePids : tr.ftraceNoPids;
}

function setList(tr: TraceArray, type: PidType, l: Set<number> | null): void {
  if (type === 'pid') tr.ftracePids = l;
  else tr.ftraceNoPids = l;
}

/** p_show: one pid a line in increasing order, or `no pid`. */
function showPids(l: Set<number> | null): string {
  if (l === null || l.size === 0) return 'no pid\n';
  return [...l].sort((a, b) => a - b).map((p) => `${p}\n`).join('');
}

/**
 * trace_pid_write for one write() call: the old list plus every number written; a word that is not a
 * number is -EINVAL, a pid past the list's range -EPERM, and either leaves the list as it was. The list
 * ends empty only when it held nothing and nothing was written (the kernel counts the copied pids with
 * the new ones): `echo >> set_ftrace_pid` keeps the list, `echo > set_ftrace_pid` has emptied it at open.
 */
function pidWrite(tr: TraceArray, type: PidType, data: string): number {
  const next = new Set(getList(tr, type) ?? []);
  let nr = next.size;
  for (const w of data.split(/[\s\0]+/)) {
    if (w.length === 0) continue;
    const v = kstrtoul(w, 0);
    if (v < 0) return -EINVAL;
    const pid = (v | 0) >>> 0;
    if (pid >= PID_LIST_MAX) return -EPERM;
    next.add(pid);
    nr++;
  }
  setList(tr, type, nr === 0 ? null : next);
  return 0;
}

/** The file: O_TRUNC clears the list at open (ftrace_pid_reset), each write goes through pidWrite. */
export function pidFile(tr: TraceArray, type: PidType): FileNode {
  return {
    kind: 'file', mode: 0o640,
    open: (flags) => {
      if (flags.write && flags.trunc) setList(tr, type, null);
      return {
        read: flags.read ? textReader(() => showPids(getList(tr, type))) : undefined,
        write: flags.write ? (data) => {
          const r = pidWrite(tr, type, text(data));
          return r < 0 ? r : data.length;
        } : undefined,
      };
    },
  };
}
