// Human-readable violation reports: invariant, CPU, task, address, bytes and their write history, recent instructions, replay.

import type { Violation } from '../kernel/kernel.js';
import type { Insn } from '../machine/x86/insn.js';
import { formatInsn } from '../machine/x86/format.js';
import { numToAddr } from '../machine/memory.js';

export const INVARIANTS: Record<number, string> = {
  1: 'no CPU executes a torn instruction, a stale one where the architecture forbids it, or starts one in the middle of a rewritten instruction',
  2: 'no CPU executes an undefined opcode or faults in kernel text unexpectedly',
  3: 'every ret returns where its call came from (and every iret where its interrupt struck)',
  4: 'livepatch consistency: a task switched to the patched universe never runs the old function again',
  5: 'no stub or trampoline is freed or rewritten while a CPU may still be executing in it',
  6: 'every traced entry has its exit, depths never go negative, nothing is lost from the ring buffer uncounted',
  7: 'interrupt state: IF and the STI shadow are honored; NMIs do not nest',
  8: 'records agree with text: outside a patch window every site holds what its record says',
  9: 'nothing calls nothing for a redirecting ops: a live-patched function is never briefly unpatched while its site moves',
};

export function formatViolation(v: Violation, recent: Insn[], sym: (a: bigint) => string, replayPath?: string): string {
  const out: string[] = [];
  out.push(`VIOLATION of invariant ${v.invariant} (${INVARIANTS[v.invariant] ?? 'machine invariant'}): ${v.kind}`);
  out.push(`  ${v.summary}`);
  out.push(`  CPU ${v.cpu}, task ${v.task}, at 0x${v.rip.toString(16)} <${v.symbol}>, machine time t=${v.time}`);
  for (const d of v.details) out.push(`  ${d}`);
  if (recent.length > 0) {
    out.push(`  last ${recent.length} instructions on CPU ${v.cpu} (oldest first):`);
    for (const d of recent) {
      const a = numToAddr(d.addr);
      const bytes = Array.from(d.bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
      out.push(`    ${a.toString(16)} <${sym(a)}>:  ${bytes.padEnd(24)} ${formatInsn(d, sym)}`);
    }
  }
  if (replayPath) out.push(`  replay: ftsim run --replay ${replayPath}`);
  return out.join('\n');
}
