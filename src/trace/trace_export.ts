// The ftrace system's events: the ring buffer's own entry types with their format files, as 6.18 defines them for x86-64 (kernel/trace/trace_entries.h, trace_export.c, trace.h's enum trace_type).
//
// Each entry's fields are laid out as event_define_fields does for a fields array: from offset 8 (after
// struct trace_entry), each field aligned to its type's alignment (1 for the __field_packed members of
// the graph entries' packed structs), a dynamic array at its aligned offset with size 0. char is
// unsigned (the kernel builds with -funsigned-char), so no char field is signed.

import type { EventField, TraceEventCall } from './trace_events_defs.js';

/** enum trace_type: the entries' IDs, kept with the ring buffer's types. */
export {
  TRACE_FN, TRACE_CTX, TRACE_WAKE, TRACE_STACK, TRACE_PRINT, TRACE_BPRINT, TRACE_MMIO_RW, TRACE_MMIO_MAP, TRACE_BRANCH, TRACE_GRAPH_RET, TRACE_GRAPH_ENT, TRACE_GRAPH_RETADDR_ENT, TRACE_USER_STACK, TRACE_BPUTS, TRACE_HWLAT, TRACE_OSNOISE, TRACE_TIMERLAT, TRACE_RAW_DATA, TRACE_FUNC_REPEATS,
} from './ring_buffer_types.js';
import {
  TRACE_FN, TRACE_CTX, TRACE_WAKE, TRACE_STACK, TRACE_PRINT, TRACE_BPRINT, TRACE_MMIO_RW, TRACE_MMIO_MAP, TRACE_BRANCH, TRACE_GRAPH_RET, TRACE_GRAPH_ENT, TRACE_GRAPH_RETADDR_ENT, TRACE_USER_STACK, TRACE_BPUTS, TRACE_HWLAT, TRACE_OSNOISE, TRACE_TIMERLAT, TRACE_RAW_DATA, TRACE_FUNC_REPEATS,
} from './ring_buffer_types.js';

/** One field spec: C type, name, element size, alignment, signedness, array length (0: dynamic array, undefined: scalar). */
type Spec = [type: string, name: string, size: number, align: number, signed: boolean, len?: number];

const ul = (name: string, align = 8): Spec => ['unsigned long', name, 8, align, false];
const ui = (name: string, align = 4): Spec => ['unsigned int', name, 4, align, false];
const u64 = (name: string): Spec => ['u64', name, 8, 8, false];

/** The fields at the offsets event_define_fields gives them, and the record's size (struct alignment included). */
function layout(specs: readonly Spec[]): { fields: EventField[]; size: number } {
  let off = 8;
  let maxAlign = 4; // struct trace_entry's own alignment (int common_pid)
  const fields: EventField[] = [];
  for (const [type, name, size, align, signed, len] of specs) {
    off = (off + align - 1) & ~(align - 1);
    maxAlign = Math.max(maxAlign, align);
    const total = len === undefined ? size : size * len;
    const shown = len === undefined ? name : `${name}[${len === 0 ? '' : len}]`;
    fields.push({ type, name: shown, offset: off, size: total, signed, isString: type === 'char' && len !== undefined });
    off += total;
  }
  return { fields, size: (off + maxAlign - 1) & ~(maxAlign - 1) };
}

function entry(name: string, id: number, specs: readonly Spec[], printFmt: string, hasId = false): TraceEventCall {
  const { fields, size } = layout(specs);
  return { system: 'ftrace', name, id, fields, size, printFmt, ignoreEnable: true, hasId };
}

const CTX_FIELDS: Spec[] = [
  ui('prev_pid'), ui('next_pid'), ui('next_cpu'),
  ['unsigned char', 'prev_prio', 1, 1, false], ['unsigned char', 'prev_state', 1, 1, false],
  ['unsigned char', 'next_prio', 1, 1, false], ['unsigned char', 'next_state', 1, 1, false],
];
const CTX_ARGS = 'REC->prev_pid, REC->prev_prio, REC->prev_state, REC->next_pid, REC->next_prio, REC->next_state, REC->next_cpu';
/** kernel_stack's and user_stack's print fmt: the stringified F_printk of eight callers. */
const STACK_FMT = '"\\t=> %ps\\n\\t=> %ps\\n\\t=> %ps\\n" "\\t=> %ps\\n\\t=> %ps\\n\\t=> %ps\\n" "\\t=> %ps\\n\\t=> %ps\\n", ' +
  [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `(void *)REC->caller[${i}]`).join(', ');

/** struct userstack_entry's payload size (tgid, then FTRACE_STACK_ENTRIES callers at offset 16). */
export const USER_STACK_PAYLOAD = 80;
/** FTRACE_STACK_ENTRIES */
export const FTRACE_STACK_ENTRIES = 8;

/** Every FTRACE_ENTRY of trace_entries.h, in its order: the directories of events/ftrace/. */
export const FTRACE_ENTRIES: readonly TraceEventCall[] = [
  entry('function', TRACE_FN, [ul('ip'), ul('parent_ip'), ['unsigned long', 'args', 8, 8, false, 0]],
    '" %ps <-- %ps", (void *)REC->ip, (void *)REC->parent_ip', true),
  entry('funcgraph_entry', TRACE_GRAPH_ENT, [ul('func', 1), ui('depth', 1), ['unsigned long', 'args', 8, 8, false, 0]],
    '"--> %ps (%u)", (void *)REC->func, REC->depth'),
  entry('fgraph_retaddr_entry', TRACE_GRAPH_RETADDR_ENT, [ul('func', 1), ui('depth', 1), ul('retaddr', 1)],
    '"--> %ps (%u) <- %ps", (void *)REC->func, REC->depth, (void *)REC->retaddr'),
  entry('funcgraph_exit', TRACE_GRAPH_RET, [
    ul('func', 1), ul('retval', 1), ui('depth', 1), ui('overrun', 1),
    ['unsigned long long', 'calltime', 8, 8, false], ['unsigned long long', 'rettime', 8, 8, false],
  ], '"<-- %ps (%u) (start: %llx  end: %llx) over: %u retval: %lx", (void *)REC->func, REC->depth, REC->calltime, REC->rettime, REC->depth, REC->retval'),
  entry('context_switch', TRACE_CTX, CTX_FIELDS, `"%u:%u:%u  ==> %u:%u:%u [%03u]", ${CTX_ARGS}`),
  entry('wakeup', TRACE_WAKE, CTX_FIELDS, `"%u:%u:%u  ==+ %u:%u:%u [%03u]", ${CTX_ARGS}`),
  entry('kernel_stack', TRACE_STACK, [['int', 'size', 4, 4, true], ['unsigned long', 'caller', 8, 8, false, 0]], STACK_FMT),
  entry('user_stack', TRACE_USER_STACK, [ui('tgid'), ['unsigned long', 'caller', 8, 8, false, FTRACE_STACK_ENTRIES]], STACK_FMT),
  entry('bprint', TRACE_BPRINT, [ul('ip'), ['const char *', 'fmt', 8, 8, false], ['u32', 'buf', 4, 4, false, 0]],
    '"%ps: %s", (void *)REC->ip, REC->fmt'),
  entry('print', TRACE_PRINT, [ul('ip'), ['char', 'buf', 1, 1, false, 0]], '"%ps: %s", (void *)REC->ip, REC->buf', true),
  entry('raw_data', TRACE_RAW_DATA, [ui('id'), ['char', 'buf', 1, 1, false, 0]], '"id:%04x %08x", REC->id, (int)REC->buf[0]'),
  entry('bputs', TRACE_BPUTS, [ul('ip'), ['const char *', 'str', 8, 8, false]], '"%ps: %s", (void *)REC->ip, REC->str'),
  entry('mmiotrace_rw', TRACE_MMIO_RW, [
    ['resource_size_t', 'phys', 8, 8, false], ul('value'), ul('pc'), ['int', 'map_id', 4, 4, true],
    ['unsigned char', 'opcode', 1, 1, false], ['unsigned char', 'width', 1, 1, false],
  ], '"%lx %lx %lx %d %x %x", (unsigned long)REC->phys, REC->value, REC->pc, REC->map_id, REC->opcode, REC->width'),
  entry('mmiotrace_map', TRACE_MMIO_MAP, [
    ['resource_size_t', 'phys', 8, 8, false], ul('virt'), ul('len'), ['int', 'map_id', 4, 4, true], ['unsigned char', 'opcode', 1, 1, false],
  ], '"%lx %lx %lx %d %x", (unsigned long)REC->phys, REC->virt, REC->len, REC->map_id, REC->opcode'),
  entry('branch', TRACE_BRANCH, [
    ui('line'), ['char', 'func', 1, 1, false, 31], ['char', 'file', 1, 1, false, 21], ['char', 'correct', 1, 1, false], ['char', 'constant', 1, 1, false],
  ], '"%u:%s:%s (%u)%s", REC->line, REC->func, REC->file, REC->correct, REC->constant ? " CONSTANT" : ""'),
  entry('hwlat', TRACE_HWLAT, [
    u64('duration'), u64('outer_duration'), u64('nmi_total_ts'), ['s64', 'tv_sec', 8, 8, true], ['long', 'tv_nsec', 8, 8, true],
    ui('nmi_count'), ui('seqnum'), ui('count'),
  ], '"cnt:%u\\tts:%010llu.%010lu\\tinner:%llu\\touter:%llu\\tcount:%d\\tnmi-ts:%llu\\tnmi-count:%u\\n", REC->seqnum, REC->tv_sec, ' +
    'REC->tv_nsec, REC->duration, REC->outer_duration, REC->count, REC->nmi_total_ts, REC->nmi_count'),
  entry('func_repeats', TRACE_FUNC_REPEATS, [
    ul('ip'), ul('parent_ip'), ['u16', 'count', 2, 2, false], ['u16', 'top_delta_ts', 2, 2, false], ['u32', 'bottom_delta_ts', 4, 4, false],
  ], '" %ps <-%ps\\t(repeats:%u  delta: -%llu)", (void *)REC->ip, (void *)REC->parent_ip, REC->count, ' +
    '(((u64)(REC)->top_delta_ts << 32) | (REC)->bottom_delta_ts)'),
  entry('osnoise', TRACE_OSNOISE, [
    u64('noise'), u64('runtime'), u64('max_sample'), ui('hw_count'), ui('nmi_count'), ui('irq_count'), ui('softirq_count'), ui('thread_count'),
  ], '"noise:%llu\\tmax_sample:%llu\\thw:%u\\tnmi:%u\\tirq:%u\\tsoftirq:%u\\tthread:%u\\n", REC->noise, REC->max_sample, REC->hw_count, ' +
    'REC->nmi_count, REC->irq_count, REC->softirq_count, REC->thread_count'),
  entry('timerlat', TRACE_TIMERLAT, [ui('seqnum'), ['int', 'context', 4, 4, true], u64('timer_latency')],
    '"seq:%u\\tcontext:%d\\ttimer_latency:%llu\\n", REC->seqnum, REC->context, REC->timer_latency'),
];
