// set_ftrace_pid and set_ftrace_notrace_pid: the pid lists that filter function tracing by task (kernel/trace/ftrace.c ftrace_pid_open/pid_write/p_show, kernel/trace/trace.c trace_pid_write).

import type { TraceArray } from '../trace_functions.js';
import { tracePidWrite } from '../trace_pids.js';
import { type FileNode, text, textReader } from './fs.js';

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

/** trace_pid_write for one write() call (tracePidWrite); an error leaves the list as it was. */
function pidWrite(tr: TraceArray, type: PidType, data: string): number {
  const r = tracePidWrite(getList(tr, type), data);
  if ('err' in r) return r.err;
  setList(tr, type, r.list);
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
