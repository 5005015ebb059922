// The saved_cmdlines cache: a fixed number of pid -> comm slots reused round robin, one per machine (kernel/trace/trace_sched_switch.c's savedcmd: trace_save_cmdline, __trace_find_cmdline, allocate_cmdlines_buffer).

import type { Kernel } from '../kernel/kernel.js';

/** SAVED_CMDLINES_DEFAULT: the slots saved_cmdlines_size reads at boot. */
export const SAVED_CMDLINES_DEFAULT = 128;
/** PID_MAX_DEFAULT: the largest saved_cmdlines_size, and the size of the pid map (pids are taken modulo it). */
export const PID_MAX_DEFAULT = 0x8000;
/** TASK_COMM_LEN - 1: a saved comm keeps at most this many characters. */
const COMM_MAX = 15;

/**
 * struct saved_cmdlines_buffer. A pid maps (by pid & (PID_MAX_DEFAULT - 1)) to a slot; a new pid takes
 * the slot after the last one used, round robin, evicting whoever held it: the evicted pid's map still
 * names the slot but the slot names another pid, so its comm is no longer found (`<...>` in `trace`).
 * Map-like (has/get/set/iteration) so that writers and readers keep their shape.
 */
export class SavedCmdlines {
  private mapPidToCmdline = new Map<number, number>();
  private mapCmdlineToPid: number[] = [];
  private cmdlines: string[] = [];
  private cmdlineIdx = 0;

  constructor(size = SAVED_CMDLINES_DEFAULT) {
    this.allocate(size);
  }

  /** cmdline_num: the number of slots. */
  get size(): number {
    return this.mapCmdlineToPid.length;
  }

  /** allocate_cmdlines_buffer: `n` empty slots (saved_cmdlines_size replaces the whole buffer: every comm is forgotten). */
  allocate(n: number): void {
    this.mapPidToCmdline = new Map();
    this.mapCmdlineToPid = new Array<number>(n).fill(-1);
    this.cmdlines = new Array<string>(n).fill('');
    this.cmdlineIdx = 0;
  }

  /** trace_save_cmdline: the idle task (pid 0) is never saved; a known pid keeps its slot and its comm is refreshed. */
  set(pid: number, comm: string): this {
    if (pid === 0) return this;
    const tpid = pid & (PID_MAX_DEFAULT - 1);
    let idx = this.mapPidToCmdline.get(tpid);
    if (idx === undefined) {
      idx = (this.cmdlineIdx + 1) % this.size;
      this.mapPidToCmdline.set(tpid, idx);
      this.cmdlineIdx = idx;
    }
    this.mapCmdlineToPid[idx] = pid;
    this.cmdlines[idx] = comm.slice(0, COMM_MAX);
    return this;
  }

  /** __trace_find_cmdline: the saved comm of `pid`, undefined when it was never saved or its slot went to another pid. */
  get(pid: number): string | undefined {
    const idx = this.mapPidToCmdline.get(pid & (PID_MAX_DEFAULT - 1));
    if (idx === undefined || this.mapCmdlineToPid[idx] !== pid) return undefined;
    return this.cmdlines[idx];
  }

  has(pid: number): boolean {
    return this.get(pid) !== undefined;
  }

  /** True when `pid` was saved once and has since lost its slot to another pid (its comm prints as `<...>`). */
  evicted(pid: number): boolean {
    return this.mapPidToCmdline.has(pid & (PID_MAX_DEFAULT - 1)) && !this.has(pid);
  }

  /** saved_cmdlines_next / _show: the used slots in slot order, `[pid, comm]` (the comm as __trace_find_cmdline finds it). */
  *[Symbol.iterator](): IterableIterator<[number, string]> {
    for (const pid of this.mapCmdlineToPid) if (pid !== -1) yield [pid, this.get(pid) ?? '<...>'];
  }
}

const caches = new WeakMap<Kernel, SavedCmdlines>();

/** The machine's one saved_cmdlines cache (savedcmd is global: every trace array saves into it). */
export function savedCmdlinesOf(k: Kernel): SavedCmdlines {
  let c = caches.get(k);
  if (c === undefined) {
    c = new SavedCmdlines();
    caches.set(k, c);
  }
  return c;
}
