// JIT prototype: boots the bundled kernel on one CPU and profiles basic blocks by instructions executed (interpreter only).

import { readFileSync } from 'node:fs';
import { boot } from '../../src/runner.js';
import { Op, type Insn } from '../../src/machine/x86/insn.js';
import type { Cpu, CpuState } from '../../src/machine/x86/cpu.js';
import type { Machine } from '../../src/machine/machine.js';

/** A basic block as the run saw it: where it starts, how often it was entered, instructions run inside it. */
export interface BlockProfile { start: number; entries: number; instructions: number }

export interface Profile { blocks: BlockProfile[]; total: number; machine: Machine; cpu: Cpu; seconds: number; states: Map<number, CpuState> }

const ENDS = new Set<Op>([Op.JCC, Op.JMP, Op.JMP_IND, Op.CALL, Op.CALL_IND, Op.RET, Op.RET_IMM, Op.IRET, Op.VMCALL, Op.HLT]);

/**
 * Boot and run the single-CPU workload, counting, per block leader (the target of a control transfer or
 * any address not reached by falling through), the entries and the instructions executed until the next leader.
 * `capture` (block start -> entry number) asks for the CPU state at that entry of that block (a realistic
 * starting state; the run is deterministic, so entry numbers from an earlier profile find the same point).
 * Returns the machine stopped at the end.
 */
export function profileKernel(kernelPath: string, iterations: number, capture: Map<number, number> = new Map()): Profile {
  const image = readFileSync(kernelPath);
  const { kernel, machine } = boot(image, 'fixtures/vmlinux', { cpus: 1, seed: 1, tier: 'interp', pokeSymbols: { workload_iterations: BigInt(iterations), smp_workload_iterations: 0n } }, () => undefined);
  const cpu = machine.cpus[0];
  const entries = new Map<number, number>();
  const insns = new Map<number, number>();
  let leader = NaN, prevNext = NaN, prevEnds = true, total = 0;
  const states = new Map<number, CpuState>();
  const orig = cpu.fetch;
  const t0 = process.hrtime.bigint();
  cpu.fetch = function (this: Cpu, cyc?: number): Insn {
    const d = orig.call(this, cyc);
    if (prevEnds || d.addr !== prevNext) {
      leader = d.addr;
      const e = (entries.get(leader) ?? 0) + 1;
      entries.set(leader, e);
      if (capture.get(leader) === e) states.set(leader, this.save());
    }
    insns.set(leader, (insns.get(leader) ?? 0) + 1);
    prevNext = d.addr + d.len; prevEnds = ENDS.has(d.op); total++;
    return d;
  };
  const o = kernel.run(1e12);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  cpu.fetch = orig;
  if (o.reason !== 'halted') throw new Error(`profile: the guest did not halt: ${o.reason}`);
  const blocks = [...insns].map(([start, n]) => ({ start, entries: entries.get(start) ?? 0, instructions: n }));
  blocks.sort((a, b) => b.instructions - a.instructions);
  return { blocks, total, machine, cpu, seconds, states };
}
