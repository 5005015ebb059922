// tracefs control files of a trace array: tracers, the buffer and its per-CPU views, options, snapshot, trace_marker, error_log, instances/ (kernel/trace/trace.c).

import { releaseTraceEvents, writeStackTrace } from '../trace_events.js';
import { setFuncCommandHooks } from './ftrace_files_probes.js';
import { releaseFtraceFiles } from './ftrace_files.js';
import { TraceArray } from '../trace_functions.js';
import { TracePipe, formatStats, renderTrace } from '../trace_output.js';
import {
  EAGAIN, EBADF, EBUSY, EEXIST, EINVAL, ENODEV, ENOENT,
  StaticDir, TRACEFS_DIR_MODE, bytes, roFile, rwFile, text, textReader,
  type DirNode, type FileNode, type Node, type OpenFile,
} from './fs.js';
import { runKernelCall, type InstanceRegistrar, type TracefsContext } from './index.js';
import { inheritTraceFlags, pauseOnTraceOpen, pauseOnTraceRelease, registerOptionFiles } from './control_options.js';
import {
  allocSnapshot, controlState, freeSnapshot, setTracingOn, traceClockNow, tracingIsOn, type ControlState,
} from './control_state.js';
import { TRACE_CLOCKS, setJiffiesSource } from '../trace_clock.js';
import { PID_MAX_DEFAULT } from '../trace_cmdlines.js';
import { README_TEXT, formatCpumask, formatErrorLog, parseCpumask } from './control_util.js';
import { kstrtoul } from './fs.js';
import { registerRawFiles } from './control_raw.js';
import { PRINT_HDR_PAYLOAD, RB_MAX_DATA_SIZE } from '../ring_buffer.js';
import { showBufferSizeKb, showBufferTotalSizeKb, tracingResizeRingBuffer, tracingUpdateBuffers } from '../trace_buffers.js';

export { logError, setTracingOn, tracingIsOn, controlState } from './control_state.js';

/** MAX_TRACER_SIZE: a current_tracer write is cut to this many bytes. */
const MAX_TRACER_SIZE = 100;
/** TRACE_MARKER_MAX_SIZE: a trace_marker write takes at most this many bytes at a time. */
const TRACE_MARKER_MAX_SIZE = 4096;
/** The print event's room besides the text: struct print_entry (trace_entry, ip) and the '\n' and NUL tracing_mark_write adds. */
const MARKER_META_SIZE = PRINT_HDR_PAYLOAD + 2;
/** A trace_pipe read returns at most a page less one byte (tracing_read_pipe). */
const PIPE_READ_MAX = 4095;
/** Steps a blocking trace_pipe read lets the machine run at a time while it waits, and in all. */
export const PIPE_WAIT_CHUNK = 20_000;
export const PIPE_WAIT_STEPS = 2_000_000;

/** The `trace` text of a buffer of `tr` (all CPUs, or one), with the array's options. */
function traceText(tr: TraceArray, rb = tr.buffer, cpu?: number): string {
  return renderTrace(rb, { ...tr.outputContext(), cpu });
}

/** `trace` and per_cpu/cpuN/trace: a non-consuming read; an O_TRUNC write-open clears (that CPU of) the buffer. */
function traceFile(tr: TraceArray, cpu?: number): FileNode {
  return {
    kind: 'file', mode: 0o640,
    open: (f) => {
      if (f.write && f.trunc) {
        tr.buffer.reset(cpu);
      }
      // pause-on-trace: a read open stops recording until its release (tracing_stop_tr / tracing_start_tr)
      if (f.read) pauseOnTraceOpen(tr);
      return {
        read: f.read ? textReader(() => traceText(tr, tr.buffer, cpu)) : undefined,
        // tracing_write_stub: whatever is written is taken and ignored
        write: f.write ? (d) => d.length : undefined,
        release: f.read ? () => { pauseOnTraceRelease(tr); return 0; } : undefined,
      };
    },
  };
}

/**
 * `trace_pipe` and per_cpu/cpuN/trace_pipe: each read consumes whole lines (at most a page). A read of an
 * empty pipe waits as tracing_wait_pipe does: -EAGAIN under O_NONBLOCK; end of file once something was
 * read and tracing is off; otherwise it lets the machine run (up to PIPE_WAIT_STEPS, in chunks) until an
 * event arrives, and returns end of file if none did or the machine stopped. The tracer cannot change
 * while the file is open (-EBUSY from current_tracer).
 */
function tracePipeFile(ctx: TracefsContext, tr: TraceArray, cpu?: number): FileNode {
  return {
    kind: 'file', mode: 0o440,
    open: (f) => {
      const st = controlState(tr);
      st.pipeReaders++;
      const pipe = new TracePipe(tr.buffer, { ...tr.outputContext(), cpu }, cpu);
      let pending: Uint8Array = new Uint8Array(0);
      let readSomething = false;
      let open = true;
      const fill = (len: number): boolean => {
        const want = Math.min(Math.max(len, 1), PIPE_READ_MAX);
        let text = '';
        while (text.length < want) {
          const t = pipe.read(1);
          if (t === '') break;
          text += t;
        }
        if (text === '') return false;
        pending = bytes(text);
        return true;
      };
      const file: OpenFile = {
        read: (_pos, len) => {
          if (pending.length === 0 && !fill(len)) {
            if (f.nonblock) return -EAGAIN;
            if (f.deferWait) return !tracingIsOn(tr) && readSomething ? new Uint8Array(0) : -EAGAIN;
            let waited = 0;
            for (;;) {
              if (!tracingIsOn(tr) && readSomething) return new Uint8Array(0);
              if (waited >= PIPE_WAIT_STEPS) return new Uint8Array(0);
              const o = ctx.run(PIPE_WAIT_CHUNK);
              waited += PIPE_WAIT_CHUNK;
              if (fill(len)) break;
              if (o.reason !== 'max-steps') return new Uint8Array(0);
            }
          }
          const out = pending.slice(0, Math.min(len, PIPE_READ_MAX));
          pending = pending.subarray(out.length);
          readSomething = true;
          return out;
        },
        release: () => {
          if (open) {
            open = false;
            st.pipeReaders--;
          }
          return 0;
        },
      };
      return file;
    },
  };
}

/** buffer_size_kb / per_cpu/cpuN/buffer_size_kb: a positive number of KB resizes (every CPU, or one) and expands; 0 or junk is -EINVAL. */
function resizeBuffer(tr: TraceArray, text: string, cpu?: number): number {
  const v = kstrtoul(text);
  if (v < 0) return v;
  if (v === 0) return -EINVAL;
  return tracingResizeRingBuffer(tr, v, cpu);
}

/** tracing_set_trace_write: trailing whitespace stripped (not leading), then tracing_set_tracer. */
function writeCurrentTracer(ctx: TracefsContext, tr: TraceArray, text: string): number {
  let name = text.slice(0, MAX_TRACER_SIZE);
  let i = name.length - 1;
  while (i > 0 && /\s/.test(name[i])) i--;
  name = name.slice(0, i + 1);
  const grown = tracingUpdateBuffers(tr); // tracing_set_tracer expands before the name is looked up
  if (grown < 0) return grown;
  const t = tr.tracers.get(name);
  if (t === undefined) return -EINVAL;
  if (t === tr.current) return 0;
  if (controlState(tr).pipeReaders > 0) return -EBUSY;
  const r = runKernelCall(ctx, tr.setTracer(name));
  if (r < 0) return r;
  // tracing_set_tracer frees the snapshot only when the old tracer used the max buffer
  // (had_max_tr); none of ftsim's tracers does, so a switch keeps it
  return 0;
}

/** trace_clock (tracing_clock_show): every clock of trace_clocks[], the current one in brackets. */
function showClock(tr: TraceArray): string {
  return TRACE_CLOCKS.map((c) => (c === tr.traceClock ? `[${c}]` : c)).join(' ') + '\n';
}

/**
 * tracing_clock_write: 64 bytes or more is -EINVAL; the name, stripped, must be one of trace_clocks[]
 * (-EINVAL, nothing changes). A valid one, even the current, is set and clears the buffer and the snapshot.
 */
function writeClock(tr: TraceArray, text: string): number {
  if (text.length >= 64) return -EINVAL;
  if (!tr.setClock(text.trim())) return -EINVAL;
  tr.buffer.reset();
  controlState(tr).snapshot?.reset();
  return 0;
}

/**
 * tracing_mark_write (write_marker_to_buffer): one print event shown as `tracing_mark_write: text`, from
 * the task running on CPU 0 (ftsim's shell has no task of its own), a newline added when missing. A write
 * takes at most TRACE_MARKER_MAX_SIZE bytes, and no more than the largest event the ring buffer holds
 * (ring_buffer_max_event_size) less the print entry: the write returns how many bytes it took, so a
 * longer text is a short write and the writer's next write(2) (echo, dd, the shell's) becomes the next
 * event, each on its own line. -EINVAL under nomarkers, -EBADF when the buffer refuses it (tracing off,
 * CPU masked out, full).
 */
function writeMarker(tr: TraceArray, text: string, top: boolean): number {
  if (!controlState(tr).markers) return -EINVAL;
  if (text === '') return 0;
  let cnt = Math.min(text.length, TRACE_MARKER_MAX_SIZE);
  if (cnt + MARKER_META_SIZE > RB_MAX_DATA_SIZE) cnt = RB_MAX_DATA_SIZE - MARKER_META_SIZE;
  let t = text.slice(0, cnt);
  if (!t.endsWith('\n')) t += '\n';
  // the top level's trace_marker writes into every trace array with copy_trace_marker set (the top's own
  // buffer only while its option is on), -ENODEV when none has it; an instance's writes into its own
  const targets = top ? [tr, ...(controlState(tr).instances?.() ?? [])].filter((x) => x.optionFlag('copy_trace_marker')) : [tr];
  if (targets.length === 0) return -ENODEV;
  const task = tr.kernel.sched.current[0];
  let written = false;
  for (const x of targets) {
    x.saveCmdline(task.pid, task.name);
    if (x.buffer.writePrint(0, traceClockNow(x), task.pid, 0, 0, 0, t)) written = true;
  }
  return written ? cnt : -EBADF;
}

/** trace_marker (0220): each write(2) is one tracing_mark_write, which may take fewer bytes than given. */
function markerFile(tr: TraceArray, top: boolean): FileNode {
  return {
    kind: 'file', mode: 0o220,
    open: (f) => ({ write: f.write ? (data) => writeMarker(tr, text(data), top) : undefined }),
  };
}

/** tracing_cpumask: a hex mask; clearing a CPU's bit stops recording on it, setting it restarts. */
function writeCpumask(tr: TraceArray, text: string): number {
  const n = tr.kernel.cpus.length;
  const mask = parseCpumask(text, n);
  if (typeof mask === 'number') return mask;
  for (let c = 0; c < n; c++) tr.buffer.setCpuRecording(c, ((mask >> BigInt(c)) & 1n) === 1n);
  controlState(tr).cpumask = mask;
  return 0;
}

/**
 * free_buffer (0200, tracing_free_buffer_fops): any write is taken; the release, even of an open that
 * wrote nothing, stops tracing under disable_on_free and shrinks the buffer to 0 (tracing_resize_ring_buffer:
 * two pages per CPU remain, buffer_size_kb reads 0).
 */
function freeBufferFile(tr: TraceArray): FileNode {
  return {
    kind: 'file', mode: 0o200,
    open: (f) => {
      let open = true;
      return {
        write: f.write ? (d) => d.length : undefined,
        release: () => {
          if (!open) return 0;
          open = false;
          if (tr.disableOnFree) setTracingOn(tr, false);
          tracingResizeRingBuffer(tr, 0);
          return 0;
        },
      };
    },
  };
}

/** saved_cmdlines_size: the cache's slots; a write of 1..PID_MAX_DEFAULT makes a new, empty cache of that size, else -EINVAL. */
function writeCmdlinesSize(tr: TraceArray, text: string): number {
  const v = kstrtoul(text);
  if (v < 0) return v;
  if (v === 0 || v > PID_MAX_DEFAULT) return -EINVAL;
  tr.savedCmdlines.allocate(v);
  return 0;
}

/** saved_cmdlines: `pid comm` for every pid seen while tracing (the idle task is never saved). */
function showSavedCmdlines(tr: TraceArray): string {
  let s = '';
  for (const [pid, comm] of tr.savedCmdlines) if (pid !== 0) s += `${pid} ${comm.slice(0, 15)}\n`;
  return s;
}

const SNAPSHOT_HELP =
  '# Snapshot commands:\n' +
  '# echo 0 > snapshot : Clears and frees snapshot buffer\n' +
  '# echo 1 > snapshot : Allocates snapshot buffer, if not already allocated.\n' +
  '#                      Takes a snapshot of the main buffer.\n' +
  '# echo 2 > snapshot : Clears snapshot buffer (but does not allocate or free)\n' +
  '#                      (Doesn\'t have to be \'2\' works with any number that\n' +
  '#                       is not a \'0\' or \'1\')\n';

/** The snapshot file's text: the snapshot buffer as `trace` shows it, or the help text while it is empty or freed. */
function showSnapshot(tr: TraceArray): string {
  const snap = controlState(tr).snapshot;
  if (snap === null || snap.empty()) {
    return `# tracer: ${tr.current.name}\n#\n` +
      (snap === null ? '#\n# * Snapshot is freed *\n#\n' : '#\n# * Snapshot is allocated *\n#\n') + SNAPSHOT_HELP;
  }
  return traceText(tr, snap);
}

/** tracing_snapshot_write: 0 frees, 1 allocates if needed and swaps with the main buffer, anything else clears it. */
function writeSnapshot(tr: TraceArray, text: string): number {
  const grown = tracingUpdateBuffers(tr); // before the value is even parsed
  if (grown < 0) return grown;
  const v = kstrtoul(text);
  if (v < 0) return v;
  if (v === 0) freeSnapshot(tr);
  else if (v === 1) tr.buffer.swap(allocSnapshot(tr));
  else controlState(tr).snapshot?.reset();
  return 0;
}

/** error_log: the entries logError added; `echo > error_log` (an O_TRUNC open) clears it; other writes are taken and ignored. */
function errorLogFile(tr: TraceArray): FileNode {
  return {
    kind: 'file', mode: 0o640,
    open: (f) => {
      const st = controlState(tr);
      if (f.write && f.trunc) st.errors = [];
      return {
        read: f.read ? textReader(() => formatErrorLog(st.errors)) : undefined,
        write: f.write ? (d) => d.length : undefined,
      };
    },
  };
}

/** The files init_tracer_tracefs gives every trace array; `top` adds README and saved_cmdlines. */
export function registerControlFiles(dir: StaticDir, ctx: TracefsContext, tr: TraceArray, top: boolean): void {
  // what the snapshot and stacktrace function commands of set_ftrace_filter do on this trace array
  setFuncCommandHooks(tr, {
    snapshotAlloc: () => { allocSnapshot(tr); return 0; },
    snapshot: () => { tr.buffer.swap(allocSnapshot(tr)); }, // update_max_tr swaps whatever tracing_on says
    stackTrace: (cpu) => { const c = tr.kernel.cpus[cpu]; writeStackTrace(tr, c, tr.kernel.sched.current[cpu]); },
  });
  const st = controlState(tr);
  // the uptime clock reads the guest's jiffies_64 (trace_clock_jiffies)
  const jiffies = ctx.b.symbols.lookup('jiffies_64');
  if (jiffies !== undefined) setJiffiesSource(tr.kernel, () => Number(tr.kernel.machine.mem.readU64(jiffies)));
  // register_tracer puts each new tracer first: the list reads newest first, nop last
  dir.add('available_tracers', roFile(() => tr.available().reverse().join(' ') + '\n'));
  dir.add('current_tracer', rwFile(() => `${tr.current.name}\n`, (t) => writeCurrentTracer(ctx, tr, t)));
  dir.add('tracing_cpumask', rwFile(() => formatCpumask(st.cpumask, tr.kernel.cpus.length), (t) => writeCpumask(tr, t)));
  registerOptionFiles(dir, tr, ctx, top);
  dir.add('trace', traceFile(tr));
  dir.add('trace_pipe', tracePipeFile(ctx, tr));
  dir.add('buffer_size_kb', rwFile(() => showBufferSizeKb(tr), (t) => resizeBuffer(tr, t)));
  dir.add('buffer_total_size_kb', roFile(() => showBufferTotalSizeKb(tr)));
  dir.add('free_buffer', freeBufferFile(tr));
  dir.add('trace_marker', markerFile(tr, top));
  dir.add('trace_clock', rwFile(() => showClock(tr), (t) => writeClock(tr, t)));
  dir.add('tracing_on', rwFile(() => (tracingIsOn(tr) ? '1\n' : '0\n'), (t) => {
    const v = kstrtoul(t);
    if (v < 0) return v;
    setTracingOn(tr, v !== 0);
    return 0;
  }));
  dir.add('error_log', errorLogFile(tr));
  dir.add('snapshot', rwFile(() => showSnapshot(tr), (t) => writeSnapshot(tr, t)));
  const pc = dir.dir('per_cpu');
  for (let c = 0; c < tr.buffer.nrCpus; c++) {
    const d = pc.dir(`cpu${c}`);
    d.add('trace', traceFile(tr, c));
    d.add('trace_pipe', tracePipeFile(ctx, tr, c));
    d.add('buffer_size_kb', rwFile(() => showBufferSizeKb(tr, c), (t) => resizeBuffer(tr, t, c)));
    d.add('stats', roFile(() => formatStats(tr.buffer.stats(c), tr.clockInNs())));
    registerRawFiles(d, ctx, tr, c);
  }
  if (top) {
    dir.add('README', roFile(() => README_TEXT));
    dir.add('saved_cmdlines', roFile(() => showSavedCmdlines(tr)));
    dir.add('saved_cmdlines_size', rwFile(() => `${tr.savedCmdlines.size}\n`, (t) => writeCmdlinesSize(tr, t)));
  }
}

/** Count the opens of every file under `node` in `st.refs` (trace_array_get / trace_array_put). */
function countRefs(node: Node, st: ControlState): void {
  if (node.kind === 'dir') {
    for (const [, n] of node.entries()) countRefs(n, st);
    return;
  }
  const open = node.open.bind(node);
  node.open = (flags) => {
    const r = open(flags);
    if (typeof r === 'number') return r;
    st.refs++;
    let held = true;
    return {
      read: r.read ? (pos, len) => r.read!(pos, len) : undefined,
      write: r.write ? (d) => r.write!(d) : undefined,
      release: () => {
        if (held) {
          held = false;
          st.refs--;
        }
        return r.release?.() ?? 0;
      },
    };
  };
}

/** One instance: its directory and trace array. */
export interface Instance {
  dir: StaticDir;
  tr: TraceArray;
}

/** instances/: mkdir makes an independent trace array with every registrar's files, rmdir removes it. */
export class InstancesDir implements DirNode {
  readonly kind = 'dir';
  readonly mode = TRACEFS_DIR_MODE;
  readonly instances = new Map<string, Instance>();
  constructor(private readonly ctx: TracefsContext, private readonly files: readonly InstanceRegistrar[], private readonly top: TraceArray) {
    controlState(top).instances = () => [...this.instances.values()].map((i) => i.tr);
  }

  entries(): Iterable<[string, Node]> {
    return [...this.instances].map(([n, i]): [string, Node] => [n, i.dir]);
  }

  lookup(name: string): Node | undefined {
    return this.instances.get(name)?.dir;
  }

  /** instance_mkdir: -EEXIST for a name in use, -ENODEV without ftrace, -EINVAL for a bad name. */
  mkdir(name: string): number {
    if (name === '' || name.includes('/') || name === '.' || name === '..') return -EINVAL;
    if (this.instances.has(name)) return -EEXIST;
    const ft = this.ctx.b.ftrace;
    if (ft === undefined) return -ENODEV;
    const tr = new TraceArray(this.ctx.b.kernel, ft.core, ft.arch);
    inheritTraceFlags(this.top, tr);
    const dir = new StaticDir();
    for (const r of this.files) r(dir, this.ctx, tr, false);
    countRefs(dir, controlState(tr));
    this.instances.set(name, { dir, tr });
    return 0;
  }

  /**
   * instance_rmdir (__remove_instance): -ENOENT for no such instance, -EBUSY while one of its files is
   * open or its trace_pipe is read; otherwise its tracer goes back to nop (a live kernel call, as
   * tracing_set_nop) and the instance is gone.
   */
  rmdir(name: string): number {
    const inst = this.instances.get(name);
    if (inst === undefined) return -ENOENT;
    const st = controlState(inst.tr);
    if (st.refs > 0 || st.pipeReaders > 0) return -EBUSY;
    if (inst.tr.current.name !== 'nop') {
      const r = runKernelCall(this.ctx, inst.tr.setTracer('nop'));
      if (r < 0) return r;
    }
    releaseTraceEvents(inst.tr); // its tracepoint hooks go with it (event_trace_del_tracer)
    releaseFtraceFiles(inst.tr); // and its place in the module-load hooks (ftrace_trace_arrays)
    inst.tr.setFunctionFork(false); // and its fork/exit hook
    this.instances.delete(name);
    return 0;
  }
}

export function registerInstances(root: StaticDir, ctx: TracefsContext, files: readonly InstanceRegistrar[], top: TraceArray): void {
  root.add('instances', new InstancesDir(ctx, files, top));
}
