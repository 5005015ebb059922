// tracefs set_event_pid and set_event_notrace_pid: the pid lists that filter every trace event by task (kernel/trace/trace_events.c ftrace_event_set_pid_open, ftrace_event_pid_write, p_start/p_show).

import type { TraceEvents } from '../trace_events.js';
import { eventPidText, type EventPidType } from '../trace_events_pid.js';
import { tracingUpdateBuffers } from '../trace_buffers.js';
import { text, textReader, type FileNode, type StaticDir } from './fs.js';

/** One list's file: O_TRUNC clears the list at open; each write adds its pids (all or nothing); reads list them. */
function eventPidFile(ev: TraceEvents, type: EventPidType): FileNode {
  const f = ev.pidFilter;
  return {
    kind: 'file', mode: 0o640,
    open: (fl) => {
      if (fl.write && fl.trunc) f.clear(type);
      return {
        read: fl.read ? textReader(() => eventPidText(f.list(type))) : undefined,
        write: fl.write ? (data) => {
          // event_pid_write: an empty write changes nothing; any other first makes the buffer full size
          if (data.length > 0) {
            const e = tracingUpdateBuffers(ev.tr);
            if (e < 0) return e;
          }
          const r = f.write(type, text(data));
          return r < 0 ? r : data.length;
        } : undefined,
      };
    },
  };
}

/** Adds set_event_pid and set_event_notrace_pid to a trace array's directory. */
export function registerEventPidFiles(dir: StaticDir, ev: TraceEvents): void {
  dir.add('set_event_pid', eventPidFile(ev, 'pid'));
  dir.add('set_event_notrace_pid', eventPidFile(ev, 'notrace_pid'));
}
