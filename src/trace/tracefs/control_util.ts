// Parsers and texts the tracefs control files share: kstrtoul, cpumask (%*pb and bitmap_parse), the error_log, README (lib/kstrtox.c, lib/bitmap.c, kernel/trace/trace.c tracing_log_err and readme_msg).

import { EINVAL, EOVERFLOW } from './fs.js';



/** The "%*pb\n" text of a mask of `nbits` CPUs: hex, 32-bit groups separated by commas, the first one cut to its width. */
export function formatCpumask(mask: bigint, nbits: number): string {
  const groups: string[] = [];
  for (let lo = 0; lo < nbits; lo += 32) {
    const width = Math.min(32, nbits - lo);
    const v = (mask >> BigInt(lo)) & ((1n << BigInt(width)) - 1n);
    groups.unshift(v.toString(16).padStart(Math.ceil(width / 4), '0'));
  }
  return groups.join(',') + '\n';
}

/**
 * bitmap_parse of a cpumask write: comma-separated groups of up to 8 hex digits (the last group is the
 * lowest), one trailing newline allowed. -EINVAL for anything else, -EOVERFLOW for a bit at or above `nbits`.
 */
export function parseCpumask(text: string, nbits: number): bigint | number {
  const s = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (s === '') return -EINVAL;
  const groups = s.split(',');
  let mask = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,8}$/.test(g)) return -EINVAL;
    mask = (mask << 32n) | BigInt('0x' + g);
  }
  if (mask >> BigInt(nbits) !== 0n) return -EOVERFLOW;
  return mask;
}

/** One error_log entry (struct tracing_log_err). */
export interface ErrorLogEntry {
  /** ns, the time it was logged. */
  ts: number;
  location: string;
  error: string;
  command: string;
  /** Column of the caret under the command. */
  pos: number;
}

/** TRACING_LOG_ERRS_MAX: the oldest entry goes when a ninth arrives. */
export const ERROR_LOG_MAX = 8;
/** CMD_PREFIX of the "  Command: " line. */
const CMD_PREFIX = '  Command: ';

/** tracing_err_log_seq_show: "[ts] location: error: text", the command, and a caret under `pos`. */
export function formatErrorLog(entries: readonly ErrorLogEntry[]): string {
  let s = '';
  for (const e of entries) {
    const secs = Math.floor(e.ts / 1e9);
    const usecs = Math.floor((e.ts - secs * 1e9) / 1000);
    s += `[${String(secs).padStart(5, ' ')}.${String(usecs).padStart(6, '0')}] ${e.location}: error: ${e.error}\n`;
    s += CMD_PREFIX + e.command + '\n';
    s += ' '.repeat(CMD_PREFIX.length + e.pos) + '^\n';
  }
  return s;
}

/**
 * The README (readme_msg): the kernel's mini-HOWTO in its words, keeping only the lines for what ftsim
 * has (no timestamp_mode, trace_marker_raw, dump/cpudump commands, dynamic events or hist triggers).
 */
export const README_TEXT =
  'tracing mini-HOWTO:\n\n' +
  '# echo 0 > tracing_on : quick way to disable tracing\n' +
  '# echo 1 > tracing_on : quick way to re-enable tracing\n\n' +
  ' Important files:\n' +
  '  trace\t\t\t- The static contents of the buffer\n' +
  '\t\t\t  To clear the buffer write into this file: echo > trace\n' +
  '  trace_pipe\t\t- A consuming read to see the contents of the buffer\n' +
  '  current_tracer\t- function and latency tracers\n' +
  '  available_tracers\t- list of configured tracers for current_tracer\n' +
  '  error_log\t- error log for failed commands (that support it)\n' +
  '  buffer_size_kb\t- view and modify size of per cpu buffer\n' +
  '  buffer_total_size_kb  - view total size of all cpu buffers\n\n' +
  '  trace_clock\t\t- change the clock used to order events\n' +
  '       local:   Per cpu clock but may not be synced across CPUs\n' +
  '      global:   Synced across CPUs but slows tracing down.\n' +
  '     counter:   Not a clock, but just an increment\n' +
  '      uptime:   Jiffy counter from time of boot\n' +
  '        perf:   Same clock that perf events use\n' +
  '     x86-tsc:   TSC cycle counter\n' +
  '\n  trace_marker\t\t- Writes into this file writes into the kernel buffer\n' +
  '  tracing_cpumask\t- Limit which CPUs to trace\n' +
  '  instances\t\t- Make sub-buffers with: mkdir instances/foo\n' +
  '\t\t\t  Remove sub-buffer with rmdir\n' +
  '  trace_options\t\t- Set format or modify how tracing happens\n' +
  '\t\t\t  Disable an option by prefixing \'no\' to the\n' +
  '\t\t\t  option name\n' +
  '  saved_cmdlines_size\t- echo command number in here to store comm-pid list\n' +
  '\n  available_filter_functions - list of functions that can be filtered on\n' +
  '  set_ftrace_filter\t- echo function name in here to only trace these\n' +
  '\t\t\t  functions\n' +
  '\t     accepts: func_full_name or glob-matching-pattern\n' +
  '\t     modules: Can select a group via module\n' +
  '\t      Format: :mod:<module-name>\n' +
  '\t     example: echo :mod:ext3 > set_ftrace_filter\n' +
  '\t    triggers: a command to perform when function is hit\n' +
  '\t      Format: <function>:<trigger>[:count]\n' +
  '\t     trigger: traceon, traceoff\n' +
  '\t\t      enable_event:<system>:<event>\n' +
  '\t\t      disable_event:<system>:<event>\n' +
  '\t\t      stacktrace\n' +
  '\t\t      snapshot\n' +
  '\t     example: echo do_fault:traceoff > set_ftrace_filter\n' +
  '\t              echo do_trap:traceoff:3 > set_ftrace_filter\n' +
  '\t     The first one will disable tracing every time do_fault is hit\n' +
  '\t     The second will disable tracing at most 3 times when do_trap is hit\n' +
  '\t       The first time do trap is hit and it disables tracing, the\n' +
  '\t       counter will decrement to 2. If tracing is already disabled,\n' +
  '\t       the counter will not decrement. It only decrements when the\n' +
  '\t       trigger did work\n' +
  '\t     To remove trigger without count:\n' +
  '\t       echo \'!<function>:<trigger> > set_ftrace_filter\n' +
  '\t     To remove trigger with a count:\n' +
  '\t       echo \'!<function>:<trigger>:0 > set_ftrace_filter\n' +
  '  set_ftrace_notrace\t- echo function name in here to never trace.\n' +
  '\t    accepts: func_full_name, *func_end, func_begin*, *func_middle*\n' +
  '\t    modules: Can select a group via module command :mod:\n' +
  '\t    Does not accept triggers\n' +
  '  set_ftrace_pid\t- Write pid(s) to only function trace those pids\n' +
  '\t\t    (function)\n' +
  '  set_ftrace_notrace_pid\t- Write pid(s) to not function trace those pids\n' +
  '\t\t    (function)\n' +
  '  set_graph_function\t- Trace the nested calls of a function (function_graph)\n' +
  '  set_graph_notrace\t- Do not trace the nested calls of a function (function_graph)\n' +
  '  max_graph_depth\t- Trace a limited depth of nested calls (0 is unlimited)\n' +
  '\n  snapshot\t\t- Like \'trace\' but shows the content of the static\n' +
  '\t\t\t  snapshot buffer. Read the contents for more\n' +
  '\t\t\t  information\n' +
  '  stack_trace\t\t- Shows the max stack trace when active\n' +
  '  stack_max_size\t- Shows current max stack size that was traced\n' +
  '\t\t\t  Write into this file to reset the max size (trigger a\n' +
  '\t\t\t  new trace)\n' +
  '  stack_trace_filter\t- Like set_ftrace_filter but limits what stack_trace\n' +
  '\t\t\t  traces\n' +
  '  events/\t\t- Directory containing all trace event subsystems:\n' +
  '      enable\t\t- Write 0/1 to enable/disable tracing of all events\n' +
  '  events/<system>/\t- Directory containing all trace events for <system>:\n' +
  '      enable\t\t- Write 0/1 to enable/disable tracing of all <system>\n' +
  '\t\t\t  events\n' +
  '      filter\t\t- If set, only events passing filter are traced\n' +
  '  events/<system>/<event>/\t- Directory containing control files for\n' +
  '\t\t\t  <event>:\n' +
  '      enable\t\t- Write 0/1 to enable/disable tracing of <event>\n' +
  '      filter\t\t- If set, only events passing filter are traced\n' +
  '      trigger\t\t- If set, a command to perform when event is hit\n' +
  '\t    Format: <trigger>[:count][if <filter>]\n' +
  '\t   trigger: traceon, traceoff\n' +
  '\t            enable_event:<system>:<event>\n' +
  '\t            disable_event:<system>:<event>\n' +
  '\t\t    stacktrace\n' +
  '\t\t    snapshot\n' +
  '\t   example: echo traceoff > events/block/block_unplug/trigger\n' +
  '\t            echo traceoff:3 > events/block/block_unplug/trigger\n' +
  '\t            echo \'enable_event:kmem:kmalloc:3 if nr_rq > 1\' > \\\n' +
  '\t                  events/block/block_unplug/trigger\n' +
  '\t   The first disables tracing every time block_unplug is hit.\n' +
  '\t   The second disables tracing the first 3 times block_unplug is hit.\n' +
  '\t   The third enables the kmalloc event the first 3 times block_unplug\n' +
  '\t     is hit and has value of greater than 1 for the \'nr_rq\' event field.\n' +
  '\t   Like function triggers, the counter is only decremented if it\n' +
  '\t    enabled or disabled tracing.\n' +
  '\t   To remove a trigger without a count:\n' +
  '\t     echo \'!<trigger> > <system>/<event>/trigger\n' +
  '\t   To remove a trigger with a count:\n' +
  '\t     echo \'!<trigger>:0 > <system>/<event>/trigger\n' +
  '\t   Filters can be ignored when removing a trigger.\n';
