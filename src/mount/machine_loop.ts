// The mounted machine's clock: runs the kernel in slices on the event loop at a set speed (simulated seconds per real second), so FUSE requests are served between slices; and ftsim/run, the control file that advances a paused machine.

import type { Kernel, RunOutcome } from '../kernel/kernel.js';
import { EINVAL, EIO, rwFile, type FileNode } from '../trace/tracefs/fs.js';
import { parseDuration, runStepsLeft } from '../cli/shell_main.js';

/** The CPUs run at 1 GHz: cycles per simulated second. */
export const CYCLES_PER_SECOND = 1_000_000_000;
/** Steps of one kernel.run call: small enough that a slice ends close to its time budget. */
const RUN_CHUNK = 20_000;
/** The same while FUSE requests come in: a request waits for at most this much machine time. */
const BUSY_CHUNK = 4_000;
/** Host milliseconds one slice may take before it gives the event loop back. */
const SLICE_MS = 8;
/** For this long after a FUSE request, a slice is one chunk: a reader or writer waits well under a millisecond. */
const BUSY_MS = 50;
/** Steps of one kernel.run call of ftsim/run: the shell's `run` chunk, so both advance the machine alike. */
const RUN_CONTROL_CHUNK = 250_000;
/** How long a paced machine that is ahead of its time sleeps. */
const IDLE_MS = 4;

export interface MachineLoopOptions {
  /** Simulated seconds per real second; Infinity: as fast as the host allows; 0: paused. */
  speed: number;
  /** Called after each slice (the parked reads look again) and when the machine stops. */
  onSlice: () => void;
  /** Called once when the machine stops for good (every CPU halted, a fault, a violation). */
  onStop: (o: RunOutcome) => void;
  /** Called before each slice: the FUSE requests waiting for the event loop are served first. */
  beforeSlice?: () => void;
  /** Host clock in ms (tests pass their own). */
  now?: () => number;
}

/** The running machine's state. */
export class MachineLoop {
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private running = false;
  /** The outcome that stopped the machine, once it has stopped. */
  outcome: RunOutcome | null = null;
  private readonly now: () => number;
  /** Real time and simulated cycles when pacing started. */
  private t0 = 0;
  private c0 = 0;
  /** Until when requests are coming in (host ms): slices stay short. */
  private busyUntil = 0;

  constructor(readonly kernel: Kernel, private readonly o: MachineLoopOptions) {
    this.now = o.now ?? (() => performance.now());
  }

  /** A FUSE request came in: keep slices short for a while. */
  poke(): void {
    this.busyUntil = this.now() + BUSY_MS;
  }

  get speed(): number {
    return this.o.speed;
  }

  get stopped(): boolean {
    return this.outcome !== null;
  }

  /** Simulated time: the cycles of the slowest CPU still running (every CPU's, once all have halted). */
  simCycles(): number {
    const live = this.kernel.cpus.filter((c) => !c.halted);
    const cpus = live.length > 0 ? live : this.kernel.cpus;
    return Math.min(...cpus.map((c) => c.cycles));
  }

  start(): void {
    if (this.running || this.o.speed === 0) return;
    this.running = true;
    this.t0 = this.now();
    this.c0 = this.simCycles();
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = delayMs <= 0 ? setImmediate(() => this.slice()) : setTimeout(() => this.slice(), delayMs);
  }

  /** Run `steps` more steps (all CPUs together); the outcome, and the machine marked stopped if it ended. */
  run(steps: number): RunOutcome {
    const o = this.kernel.run(this.kernel.steps + steps);
    // the mount neither records nor replays its run: the decisions the scheduler logs for `ftsim run
    // --record` (one per multi-way choice, some ten a microsecond of machine time) would grow without
    // end and exhaust the heap within minutes, so each run's are dropped once it returns
    this.kernel.choices.length = 0;
    if (o.reason !== 'max-steps' && this.outcome === null) {
      this.outcome = o;
      this.stop();
      this.o.onStop(o);
    }
    return o;
  }

  private slice(): void {
    this.timer = null;
    if (!this.running || this.stopped) return;
    this.o.beforeSlice?.();
    if (!this.running || this.stopped) return;
    const start = this.now();
    const budget = start < this.busyUntil ? 0 : SLICE_MS;
    const paced = Number.isFinite(this.o.speed);
    let ahead = false;
    for (let first = true; first || this.now() - start < budget; first = false) {
      if (paced) {
        const target = this.c0 + ((this.now() - this.t0) / 1000) * this.o.speed * CYCLES_PER_SECOND;
        if (this.simCycles() >= target) {
          ahead = true;
          break;
        }
      }
      if (this.run(budget === 0 ? BUSY_CHUNK : RUN_CHUNK).reason !== 'max-steps') break;
    }
    this.o.onSlice();
    if (!this.stopped) this.schedule(ahead ? IDLE_MS : 0);
  }
}

/**
 * ftsim/run, a file the kernel does not have: writing a duration (`10ms`, `500us`, `1s` of simulated
 * time on every CPU, or a bare number of steps) lets the machine run that long before the write returns,
 * as the shell's `run` builtin does; -EINVAL for anything else, -EIO when the machine has stopped on a
 * fault or a violation. Reading it says how the machine runs, where its clock stands and, after a run
 * that ended early, why (`last run: every CPU has halted, after N steps`).
 */
export function runControlFile(loop: MachineLoop): FileNode {
  const k = loop.kernel;
  /** What the last write's run came to, in the words of the shell's `run` (empty: it ran its full duration). */
  let last = '';
  const show = (): string => {
    const speed = loop.speed === 0 ? 'paused' : Number.isFinite(loop.speed) ? `speed ${loop.speed}` : 'speed max';
    const state = loop.outcome === null ? 'running' : `stopped (${loop.outcome.reason})`;
    return `${speed}, ${state}, time ${(loop.simCycles() / CYCLES_PER_SECOND).toFixed(9)} s, steps ${k.steps}\n${last === '' ? '' : `last run: ${last}\n`}`;
  };
  const store = (text: string): number => {
    const d = parseDuration(text.trim());
    if (d === undefined) return -EINVAL;
    if (loop.stopped && loop.outcome?.reason !== 'halted') return -EIO;
    if (loop.stopped || (k.cpus.some((c) => c.retired > 0) && k.cpus.every((c) => c.halted))) {
      last = 'every CPU has halted: nothing runs any more';
      return 0;
    }
    last = '';
    const startSteps = k.steps;
    const target = k.cpus.map((c) => c.cycles + ('cycles' in d ? d.cycles : 0));
    for (;;) {
      const steps = runStepsLeft(k, d, startSteps, target);
      if (steps <= 0) break;
      const o = loop.run(Math.min(steps, RUN_CONTROL_CHUNK));
      if (o.reason === 'halted') {
        last = `every CPU has halted, after ${k.steps - startSteps} steps`;
        break;
      }
      if (o.reason !== 'max-steps') return -EIO;
    }
    return 0;
  };
  return rwFile(show, store, { mode: 0o600 });
}
