// The `nmi_safe` patching protocol: stop_machine, plus NMIs that write the pending code themselves before they run anything, with the mod_code_ip / mod_code_newcode buffers, the nmi_running counter and its MOD_CODE_WRITE_FLAG, and wait_for_nmi (arch/x86/kernel/ftrace.c, 2.6.28-3.4).
//
// History: "ftrace: nmi safe code modification" (Steven Rostedt, with Mathieu Desnoyers' review,
// LKML October 2008, merged for 2.6.28) answered the hole in stop_machine: NMIs still run on the
// stopped CPUs, and an NMI handler may call traced functions. Each site is written by
// do_ftrace_mod_code: publish the address and new bytes (mod_code_ip, mod_code_newcode), wait until
// no NMI runs and set the write flag, write, clear the flag, wait for the NMIs that saw it. Every NMI
// goes through ftrace_nmi_enter (nmi_enter), which counts itself in nmi_running and, when the flag
// is set, performs the same idempotent write itself before its handler executes anything — so the
// NMI's CPU runs bytes it wrote, never a half-written site. The first version used a separate
// mod_code_write flag and raced with an NMI that incremented the counter between the writer's check
// and its flag (fixed in 2009: the flag became bit 31 of nmi_running, set by cmpxchg from 0). The
// scheme went away when x86 switched to breakpoints in 3.5 (08d636b6d4fb).
//
// One addition the fetch model needs: the 2008 code assumed a CPU fetches a completed write coherently
// (SDM 8.1.3 asks the executing CPU to serialize; the kernel never did on the stopped CPUs). Here
// ftrace_nmi_enter runs sync_core() while a batch is in flight and whenever its CPU has not serialized
// since the scheme's last write (a stopped CPU leaves stop_machine some instructions before its IRET:
// an NMI in between must not run the sites from before the writes), so an NMI also sees the sites
// already written before it arrived; without it (`nmiSafeProtocol({ serializeInNmi: false })`, the
// code as it was) the model reports the stale and torn fetches such an NMI may make.

import type { Cpu } from '../../machine/x86/cpu.js';
import { WAIT, type HostThread } from '../../machine/scheduler.js';
import type { Kernel } from '../kernel.js';
import type { PatchProtocol, PatchSite } from '../patch_protocol.js';

/** Bit 31 of nmi_running: a write is in progress, NMIs must do it too. */
const MOD_CODE_WRITE_FLAG = 1 << 31;

/** The arch/x86/kernel/ftrace.c globals of the scheme, one set per kernel. */
export interface NmiSafeState {
  /** nmi_running: NMIs inside ftrace_nmi_enter..exit, plus MOD_CODE_WRITE_FLAG. */
  nmiRunning: number;
  /** Which CPUs counted themselves in nmi_running (a hook may be installed while an NMI runs). */
  readonly inNmi: Uint8Array;
  modCodeIp: bigint;
  modCodeNewcode: Uint8Array;
  /** A batch is in flight (stop_machine held). */
  batch: boolean;
  /** Machine time the current batch began (-1: none yet); state older than the clock's rewind to a snapshot is void. */
  batchStart: number;
  /** Machine time of the batch's last completed site write (-1: none). */
  lastWrite: number;
  /** ftrace_nmi_enter serializes its CPU during a batch (the model's addition, see above). */
  serialize: boolean;
  /** nmi_wait_count and nmi_update_count (ftrace_arch_read_dyn_info printed both). */
  nmiWaitCount: number;
  nmiUpdateCount: number;
}

const states = new WeakMap<Kernel, NmiSafeState>();

/** The scheme's state on `kernel`, installing its nmi_enter/nmi_exit hooks on first use. */
export function nmiSafeState(kernel: Kernel): NmiSafeState {
  let st = states.get(kernel);
  if (st !== undefined) return st;
  const s: NmiSafeState = {
    nmiRunning: 0, inNmi: new Uint8Array(kernel.cpus.length), modCodeIp: 0n, modCodeNewcode: new Uint8Array(0),
    batch: false, batchStart: -1, lastWrite: -1, serialize: true, nmiWaitCount: 0, nmiUpdateCount: 0,
  };
  st = s;
  states.set(kernel, s);
  // ftrace_nmi_enter
  kernel.traps.nmiEnterHooks.push((cpu) => {
    if (!s.inNmi[cpu.id]) { s.inNmi[cpu.id] = 1; s.nmiRunning = (s.nmiRunning + 1) | 0; }
    if (s.nmiRunning & MOD_CODE_WRITE_FLAG) {
      ftraceModCode(kernel, s, cpu);
      s.nmiUpdateCount++;
    }
    // a restored snapshot rewinds the clock: a batch that began after "now" belongs to an abandoned run
    const current = s.batchStart >= 0 && s.batchStart <= kernel.machine.clock.now;
    if (current && s.serialize && (s.batch || cpu.serialTime <= s.lastWrite)) kernel.syncCore(cpu);
  });
  // ftrace_nmi_exit
  kernel.traps.nmiExitHooks.push((cpu) => {
    if (!s.inNmi[cpu.id]) return;
    s.inNmi[cpu.id] = 0;
    s.nmiRunning = (s.nmiRunning - 1) | 0;
  });
  return s;
}

/** ftrace_mod_code: probe_kernel_write(mod_code_ip, mod_code_newcode, MCOUNT_INSN_SIZE), whole, now. */
function ftraceModCode(kernel: Kernel, s: NmiSafeState, cpu: Cpu): void {
  kernel.poke.textPokeNow(cpu, s.modCodeIp, s.modCodeNewcode, { addr: s.modCodeIp, len: s.modCodeNewcode.length });
}

/** do_ftrace_mod_code for one site, from the CPU that holds stop_machine. */
function* doFtraceModCode(kernel: Kernel, s: NmiSafeState, self: Cpu, site: PatchSite): HostThread {
  s.modCodeIp = site.addr;
  s.modCodeNewcode = site.bytes;
  // wait_for_nmi_and_set_mod_flag: cmpxchg(&nmi_running, 0, MOD_CODE_WRITE_FLAG)
  if (s.nmiRunning !== 0) {
    while (s.nmiRunning !== 0) yield WAIT;
    s.nmiWaitCount++;
  }
  s.nmiRunning = MOD_CODE_WRITE_FLAG;
  // the write itself, store by store: an NMI arriving meanwhile writes the whole code first
  yield* kernel.poke.textPoke(self, site.addr, site.bytes, 'byte', { addr: site.addr, len: site.bytes.length });
  s.lastWrite = kernel.machine.clock.now;
  // clear_mod_flag, then wait_for_nmi
  s.nmiRunning &= ~MOD_CODE_WRITE_FLAG;
  if (s.nmiRunning !== 0) {
    while (s.nmiRunning !== 0) yield WAIT;
    s.nmiWaitCount++;
  }
}

/** The scheme; `serializeInNmi: false` leaves out the model's sync_core in ftrace_nmi_enter. */
export function nmiSafeProtocol(o: { serializeInNmi: boolean } = { serializeInNmi: true }): PatchProtocol {
  return {
    name: 'nmi_safe',
    summary: 'stop_machine, and an NMI arriving while a site is written writes the pending code itself before running anything (2008-2012)',
    negativeControl: !o.serializeInNmi,
    apply: (kernel, self, sites) => nmiSafeBatch(kernel, self, sites, o.serializeInNmi),
  };
}

function* nmiSafeBatch(kernel: Kernel, self: Cpu, sites: readonly PatchSite[], serialize: boolean): HostThread {
  const s = nmiSafeState(kernel);
  // nmi_running counts the NMIs running now: recount from the CPUs (an NMI may have begun before the
  // hooks were installed, or the machine may have been restored to a snapshot since the last batch)
  for (let c = 0; c < s.inNmi.length; c++) s.inNmi[c] = kernel.traps.nmiRunningOn(c) ? 1 : 0;
  s.nmiRunning = s.inNmi.reduce((a, x) => a + x, 0);
  // the model's sync_core in ftrace_nmi_enter goes on past the batch for a CPU that has not serialized
  // since the last write: an NMI after the writes and before the stopped CPU's IRET would otherwise
  // run the sites from before them (found by dfs around the lazy default, and by random NMI strikes)
  s.batchStart = kernel.machine.clock.now;
  s.lastWrite = -1;
  s.serialize = serialize;
  yield* kernel.stopMachine(self, function* (): HostThread {
    s.batch = true;
    try {
      for (const site of sites) yield* doFtraceModCode(kernel, s, self, site);
    } finally {
      s.batch = false;
    }
  });
}

export const nmiSafe: PatchProtocol = nmiSafeProtocol();
