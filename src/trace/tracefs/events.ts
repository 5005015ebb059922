// tracefs trace events: events/ with enable, format, filter and trigger per event, set_event, available_events (kernel/trace/trace_events.c, trace_events_filter.c, trace_events_trigger.c).

import type { TraceArray } from '../trace_functions.js';
import { traceEvents, type EventFile, type TraceEvents } from '../trace_events.js';
import { formatText } from '../trace_events_defs.js';
import { tracingUpdateBuffers } from '../trace_buffers.js';
import { EINVAL, ENODEV, ENOMEM, EVENTFS_DIR_MODE, kstrtoul, roFile, rwFile, textReader, text, type FileNode, type StaticDir } from './fs.js';
import type { TracefsContext } from './index.js';
import { registerEventFuncCommands } from './ftrace_files_events.js';
import { registerEventPidFiles } from './events_pid.js';

/** kstrtoul of an enable write: 0 or 1, else -EINVAL (event_enable_write, system_enable_write). */
function parseBool(s: string): number {
  const v = kstrtoul(s); // base 10, one trailing newline, no spaces: `0x1` and ` 1` are -EINVAL
  if (v < 0) return v;
  return v === 0 || v === 1 ? v : -EINVAL;
}

const HEADER_PAGE =
  '\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n' +
  '\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n' +
  '\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n' +
  '\tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n';

const HEADER_EVENT =
  '# compressed entry header\n' +
  '\ttype_len    :    5 bits\n' +
  '\ttime_delta  :   27 bits\n' +
  '\tarray       :   32 bits\n' +
  '\n' +
  '\tpadding     : type == 29\n' +
  '\ttime_extend : type == 30\n' +
  '\ttime_stamp : type == 31\n' +
  '\tdata max type_len  == 28\n';

const DEFAULT_SYS_FILTER_MESSAGE =
  '### global filter ###\n' +
  '# Use this to set filters for multiple events.\n' +
  '# Only events with the given fields will be affected.\n' +
  '# If no events are modified, an error message will be displayed here\n';

/** An event's enable file: "0"/"1", with '*' while triggers or enable_event/disable_event hold it in soft mode (event_enable_read). */
function enableFile(ev: TraceEvents, f: EventFile): FileNode {
  return rwFile(
    () => (f.enabled ? '1' : '0') + (ev.softMode(f) ? '*' : '') + '\n',
    (s) => {
      const v = parseBool(s);
      return v < 0 ? v : tracingUpdateBuffers(ev.tr) || ev.setEnabled(f, v === 1); // event_enable_write expands for 0 and 1
    },
  );
}

/** The trigger file: no truncation (only hist triggers are cleared by O_TRUNC), one command per write. */
function triggerFile(ev: TraceEvents, f: EventFile): FileNode {
  return rwFile(() => ev.triggerText(f), (s) => ev.writeTrigger(f, s));
}

/**
 * A system's filter (apply_subsystem_event_filter, process_system_preds): every event of the system
 * gets the filter, or, where it does not parse for that event, the subsystem error in place of it; the
 * write succeeds whenever the system has events (the kernel marks it done after each event, taken or
 * not), and the system's own file keeps showing the default message.
 */
function systemFilterWrite(ev: TraceEvents, system: string, s: string): number {
  const files = ev.enableable().filter((f) => f.call.system === system);
  if (files.length === 0) return -ENODEV;
  if (s.trim() === '0') {
    for (const f of files) ev.setFilter(f, '0');
    return 0;
  }
  for (const f of files) ev.setSystemFilter(f, s);
  return 0;
}

/**
 * Adds events/, set_event and available_events to a trace array's directory. The event files act on
 * the trace array's own enable states, filters and triggers; the tracepoints record into its buffer.
 */
export function registerEventFiles(dir: StaticDir, _ctx: TracefsContext, tr: TraceArray, _top: boolean): void {
  const ev = traceEvents(tr);
  registerEventFuncCommands();
  const events = dir.dir('events');
  events.mode = EVENTFS_DIR_MODE; // its subdirectories take it too
  events.add('enable', rwFile(() => ev.enableState(null), (s) => {
    if (kstrtoul(s) >= 0 && tracingUpdateBuffers(tr) < 0) return -ENOMEM; // system_enable_write: before the 0/1 check
    const v = parseBool(s);
    return v < 0 ? v : ev.setClr(null, null, null, v === 1);
  }));
  events.add('header_page', roFile(() => HEADER_PAGE));
  events.add('header_event', roFile(() => HEADER_EVENT));
  for (const system of [...ev.systems()].sort()) {
    const sd = events.dir(system);
    if (system !== 'ftrace') {
      // the ftrace system is special: no enable or filter files
      sd.add('enable', rwFile(() => ev.enableState(system), (s) => {
        if (kstrtoul(s) >= 0 && tracingUpdateBuffers(tr) < 0) return -ENOMEM; // system_enable_write: before the 0/1 check
        const v = parseBool(s);
        return v < 0 ? v : ev.setClr(null, system, null, v === 1);
      }));
      sd.add('filter', rwFile(() => DEFAULT_SYS_FILTER_MESSAGE, (s) => systemFilterWrite(ev, system, s)));
    }
    for (const f of ev.files.filter((x) => x.call.system === system).sort((a, b) => (a.call.name < b.call.name ? -1 : 1))) {
      const ed = sd.dir(f.call.name);
      if (!f.call.ignoreEnable) {
        ed.add('enable', enableFile(ev, f));
        ed.add('filter', rwFile(() => (f.filterText ?? 'none') + '\n', (s) => ev.setFilter(f, s)));
        ed.add('trigger', triggerFile(ev, f));
      }
      // event_callback: `id` needs a class->reg, which of the ftrace entries only function and print have
      if (!f.call.ignoreEnable || f.call.hasId) ed.add('id', roFile(() => `${f.call.id}\n`));
      ed.add('format', roFile(() => formatText(f.call)));
    }
  }
  dir.add('available_events', roFile(() => ev.enableable().map((f) => `${f.call.system}:${f.call.name}\n`).join('')));
  dir.add('set_event', setEventFile(ev));
  registerEventPidFiles(dir, ev);
}

/**
 * set_event: O_TRUNC disables every event first (ftrace_clear_events); each write is split into words
 * (trace_parser), each enabling an event spec or, with '!', disabling it; the first bad word is -EINVAL
 * (the words before it took effect).
 */
function setEventFile(ev: TraceEvents): FileNode {
  return {
    kind: 'file', mode: 0o640,
    open: (fl) => {
      if (fl.write && fl.trunc) ev.setClr(null, null, null, false);
      return {
        read: fl.read ? textReader(() => ev.setEventText()) : undefined,
        write: fl.write ? (data) => {
          if (data.length > 0 && tracingUpdateBuffers(ev.tr) < 0) return -ENOMEM; // ftrace_event_write
          for (const word of text(data).split(/\s+/)) {
            if (word === '') continue;
            const on = !word.startsWith('!');
            const r = ev.setClrWord(on ? word : word.slice(1), on);
            if (r < 0) return r;
          }
          return data.length;
        } : undefined,
      };
    },
  };
}
