// The `stop_machine` patching protocol: every other CPU spins with interrupts off in stop_machine while this CPU rewrites the sites with plain writes, then releases them (kernel/stop_machine.c as dynamic ftrace used it in 2008, arch/x86/kernel/ftrace.c of 2.6.27).
//
// History: the first dynamic ftrace (d61f82d06672, Steven Rostedt, 2008, merged for 2.6.27) patched call
// sites from the ftraced daemon under kstop_machine, and ftrace_modify_code under stop_machine stayed
// the generic scheme (kernel/trace/ftrace.c ftrace_run_stop_machine, still the default for
// architectures without their own ftrace_arch_code_modify). On x86 it was replaced in 2.6.28 because
// stop_machine does not stop NMIs: an NMI on a "stopped" CPU whose handler calls a traced function
// runs a site while it is being written ("ftrace: nmi safe code modification", Oct 2008, see
// nmi_safe.ts), and in 3.5 by breakpoints (08d636b6d4fb, "ftrace/x86: Have arch x86_64 use
// breakpoints instead of stop machine"). Here the other CPUs take a call-function IPI and spin in its
// handler; they return through IRET (serializing) once released.

import type { Cpu } from '../../machine/x86/cpu.js';
import type { HostThread } from '../../machine/scheduler.js';
import type { Kernel } from '../kernel.js';
import type { PatchProtocol, PatchSite } from '../patch_protocol.js';

/** Write every site with one plain text_poke each, the other CPUs held in stop_machine. */
export function* stopMachineWrites(kernel: Kernel, self: Cpu, sites: readonly PatchSite[]): HostThread {
  yield* kernel.stopMachine(self, function* (): HostThread {
    for (const s of sites) yield* kernel.poke.textPoke(self, s.addr, s.bytes, 'byte', { addr: s.addr, len: s.bytes.length });
  });
}

export const stopMachine: PatchProtocol = {
  name: 'stop_machine',
  summary: 'every other CPU spins with interrupts off while this one writes the sites (2008); NMIs still arrive and may run a site being written',
  negativeControl: true,
  apply: stopMachineWrites,
};
