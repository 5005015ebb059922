// tracefs binary buffer files: per_cpu/cpuN/trace_pipe_raw, snapshot_raw and the per-CPU snapshot file (kernel/trace/trace.c tracing_buffers_read, tracing_snapshot_write, print_snapshot_help).

import type { TraceArray } from '../trace_functions.js';
import type { RingBuffer } from '../ring_buffer.js';
import { PAGE_SIZE } from '../ring_buffer.js';
import { readPage } from '../ring_buffer_pages.js';
import { renderTrace } from '../trace_output.js';
import { EAGAIN, EINVAL, kstrtoul, rwFile, type FileNode, type StaticDir } from './fs.js';
import type { TracefsContext } from './index.js';
import { allocSnapshot, controlState, tracingIsOn } from './control_state.js';
import { PIPE_WAIT_CHUNK, PIPE_WAIT_STEPS } from './control.js';

/**
 * trace_pipe_raw / snapshot_raw of one CPU (tracing_buffers_read): a read with no page in hand takes one
 * (ring_buffer_read_page, holding the events that fit in the read's length) into the file's spare page;
 * each read copies out of that page from where the last stopped, up to a whole page. An empty buffer:
 * -EAGAIN under O_NONBLOCK, else it waits as trace_pipe does (end of file when nothing comes; the snapshot
 * buffer is never written to, so snapshot_raw returns end of file at once).
 */
function rawFile(ctx: TracefsContext, tr: TraceArray, cpu: number, buffer: () => RingBuffer | null, live: boolean): FileNode {
  return {
    kind: 'file', mode: 0o444,
    open: (f) => {
      let spare: Uint8Array | null = null;
      let read = PAGE_SIZE;
      const take = (len: number): boolean | 'short' => {
        const rb = buffer();
        if (rb === null) return false;
        const p = readPage(rb, cpu, len);
        if (p === null) return rb.entries(cpu) > 0 ? 'short' : false;
        spare = p;
        read = 0;
        return true;
      };
      return {
        read: (_pos, len) => {
          if (len === 0) return new Uint8Array(0);
          if (spare === null || read >= PAGE_SIZE) {
            let got = take(len);
            if (got === 'short') return new Uint8Array(0);
            if (!got) {
              if (f.nonblock) return -EAGAIN;
              if (!live) return new Uint8Array(0);
              if (f.deferWait) return tracingIsOn(tr) ? -EAGAIN : new Uint8Array(0);
              for (let waited = 0; !got; waited += PIPE_WAIT_CHUNK) {
                if (waited >= PIPE_WAIT_STEPS || !tracingIsOn(tr)) return new Uint8Array(0);
                const o = ctx.run(PIPE_WAIT_CHUNK);
                got = take(len);
                if (got === 'short') return new Uint8Array(0);
                if (!got && o.reason !== 'max-steps') return new Uint8Array(0);
              }
            }
          }
          const page = spare as Uint8Array | null;
          if (page === null) return new Uint8Array(0);
          const out = page.slice(read, read + Math.min(len, PAGE_SIZE - read));
          read += out.length;
          return out;
        },
      };
    },
  };
}

const PERCPU_HELP =
  '# Snapshot commands:\n' +
  '# echo 0 > snapshot : Invalid for per_cpu snapshot file.\n' +
  '# echo 1 > snapshot : Allocates snapshot buffer, if not already allocated.\n' +
  '#                      Takes a snapshot of the main buffer for this cpu.\n' +
  '# echo 2 > snapshot : Clears this cpu\'s snapshot buffer (but does not allocate)\n' +
  '#                      (Doesn\'t have to be \'2\' works with any number that\n' +
  '#                       is not a \'0\' or \'1\')\n';

/** per_cpu/cpuN/snapshot read: that CPU's snapshot as `trace` shows it, or the per-CPU help while it is empty or freed. */
function showCpuSnapshot(tr: TraceArray, cpu: number): string {
  const snap = controlState(tr).snapshot;
  if (snap === null || snap.entries(cpu) === 0) {
    return `# tracer: ${tr.current.name}\n#\n` +
      (snap === null ? '#\n# * Snapshot is freed *\n#\n' : '#\n# * Snapshot is allocated *\n#\n') + PERCPU_HELP;
  }
  return renderTrace(snap, { ...tr.outputContext(), cpu });
}

/**
 * tracing_snapshot_write for a per-CPU file: 0 is -EINVAL; 1 allocates the snapshot if needed and swaps
 * this CPU's buffers only (CONFIG_RING_BUFFER_ALLOW_SWAP, as on x86); anything else clears this CPU's
 * snapshot if one is allocated.
 */
function writeCpuSnapshot(tr: TraceArray, cpu: number, text: string): number {
  const v = kstrtoul(text);
  if (v < 0) return v;
  if (v === 0) return -EINVAL;
  if (v === 1) tr.buffer.swapCpu(allocSnapshot(tr), cpu);
  else controlState(tr).snapshot?.reset(cpu);
  return 0;
}

/** The binary files and the snapshot file of per_cpu/cpuN. */
export function registerRawFiles(d: StaticDir, ctx: TracefsContext, tr: TraceArray, cpu: number): void {
  d.add('trace_pipe_raw', rawFile(ctx, tr, cpu, () => tr.buffer, true));
  d.add('snapshot', rwFile(() => showCpuSnapshot(tr, cpu), (t) => writeCpuSnapshot(tr, cpu, t)));
  d.add('snapshot_raw', rawFile(ctx, tr, cpu, () => controlState(tr).snapshot, false));
}
