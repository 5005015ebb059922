// The trace clocks a trace array stamps its events with, in trace_clocks[] order for x86 (kernel/trace/trace_clock.c, trace.c trace_clocks[], arch/x86/include/asm/trace_clock.h).

import type { Kernel } from '../kernel/kernel.js';

/** One clock of trace_clocks[]: its name and whether it counts nanoseconds (in_ns: `trace` splits seconds.microseconds). */
export interface TraceClockDef {
  readonly name: string;
  readonly inNs: boolean;
}

/** trace_clocks[] then ARCH_TRACE_CLOCKS (x86-tsc), in the order trace_clock lists them. */
export const TRACE_CLOCK_DEFS: readonly TraceClockDef[] = [
  { name: 'local', inNs: true },
  { name: 'global', inNs: true },
  { name: 'counter', inNs: false },
  { name: 'uptime', inNs: false },
  { name: 'perf', inNs: true },
  { name: 'mono', inNs: true },
  { name: 'mono_raw', inNs: true },
  { name: 'boot', inNs: true },
  { name: 'tai', inNs: true },
  { name: 'x86-tsc', inNs: false },
];

export const TRACE_CLOCKS: readonly string[] = TRACE_CLOCK_DEFS.map((c) => c.name);

/** The guest's HZ (guest/kernel/kernel.h): the tick jiffies counts when the guest's jiffies_64 cannot be read. */
export const GUEST_HZ = 250;
/** USER_HZ: trace_clock_jiffies reports jiffies_64_to_clock_t(), in hundredths of a second. */
export const USER_HZ = 100;
/**
 * CLOCK_TAI at boot, in ns: ftsim's machine has no RTC, so its wall clock is fixed at 2026-01-01
 * 00:00:00 UTC when the machine starts, plus the 37 s TAI-UTC offset in force since 2017.
 */
export const TAI_AT_BOOT_NS = (1_767_225_600 + 37) * 1e9;
/** CLOCK_BOOTTIME - CLOCK_MONOTONIC: the time spent suspended, none on a machine that never suspends. */
export const BOOT_OFFSET_NS = 0;

/** What the clocks share machine-wide (statics of trace_clock.c): the counter and the global clock's last value. */
interface ClockShared {
  counter: number;
  globalPrev: number;
  /** Reads the guest's jiffies_64, when its address is known. */
  jiffies?: () => number;
}

const shared = new WeakMap<Kernel, ClockShared>();

function sharedOf(k: Kernel): ClockShared {
  let s = shared.get(k);
  if (s === undefined) {
    s = { counter: 0, globalPrev: 0 };
    shared.set(k, s);
  }
  return s;
}

/** Tell the uptime clock how to read the guest's jiffies_64 (tracefs does it from the image's symbols). */
export function setJiffiesSource(k: Kernel, read: () => number): void {
  sharedOf(k).jiffies = read;
}

/** The definition of a clock by name, or undefined. */
export function clockDef(name: string): TraceClockDef | undefined {
  return TRACE_CLOCK_DEFS.find((c) => c.name === name);
}

/**
 * The value clock `name` reads on `cpu` when the machine time there is `ns` (the CPUs' synchronized
 * 1 GHz counter): local and perf are that counter (sched_clock); global never goes backwards across
 * CPUs; mono and mono_raw are the same time since boot (no NTP slewing); boot adds BOOT_OFFSET_NS, tai
 * TAI_AT_BOOT_NS; counter counts the calls (atomic64_inc_return, from 1); uptime is the guest's jiffies
 * in USER_HZ units (jiffies_64_to_clock_t); x86-tsc is the CPU's own time stamp counter (rdtsc).
 */
export function readTraceClock(k: Kernel, name: string, cpu: number, ns: number): number {
  const s = sharedOf(k);
  switch (name) {
    case 'global':
      if (ns > s.globalPrev) s.globalPrev = ns;
      return s.globalPrev;
    case 'counter':
      return ++s.counter;
    case 'uptime': {
      const j = s.jiffies !== undefined ? s.jiffies() : Math.floor(ns / (1e9 / GUEST_HZ));
      return Math.floor((j * (1e9 / GUEST_HZ)) / (1e9 / USER_HZ));
    }
    case 'boot':
      return ns + BOOT_OFFSET_NS;
    case 'tai':
      return ns + TAI_AT_BOOT_NS;
    case 'x86-tsc':
      return k.cpus[cpu]?.cycles ?? ns;
    default:
      return ns;
  }
}
