// The counterexample's account: the shrunk schedule replayed with a column per CPU, one row per decision that mattered (where each CPU was, what it ran, which site bytes stood in memory, which decisions were preemptions), ending with the invariant broken.

import type { Explorer, RunRecord } from './engine.js';
import type { Decider, DefaultPolicy } from './gate.js';
import { forcedDecider, type Forced } from './shrink.js';
import type { ChoiceContext, ChoiceKind } from '../machine/chooser.js';
import { INVARIANTS } from './report.js';

interface Row {
  point: number;
  what: string;
  preempt: boolean;
  cells: string[];
  text: string;
}

const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** What a decision was, in words. */
function decisionWords(kind: ChoiceKind, n: number, answer: number, dflt: number, ctx: ChoiceContext): string {
  switch (kind) {
    case 'cpu': return `CPU ${ctx.candidates?.[answer] ?? answer} runs next${answer !== dflt ? ` (not CPU ${ctx.candidates?.[dflt] ?? dflt})` : ''}`;
    case 'irq': return `interrupt ${ctx.vector ?? '?'} on CPU ${ctx.cpu ?? '?'} ${answer === 0 ? 'arrives now' : 'held back'}`;
    case 'nmi': return `NMI on CPU ${ctx.cpu ?? '?'} ${answer === 0 ? 'arrives now' : 'held back'}`;
    case 'nmi-strike': return `an NMI ${answer === 1 ? 'strikes' : 'does not strike'} CPU ${ctx.cpu ?? '?'} here`;
    case 'preempt': return `tick ${answer === 1 ? 'strikes' : 'does not strike'} CPU ${ctx.cpu ?? '?'} inside a call site`;
    case 'fetch': return `CPU ${ctx.cpu ?? '?'} fetches byte ${ctx.addr !== undefined ? `0x${BigInt.asUintN(64, BigInt(ctx.addr)).toString(16)}` : '?'}: value ${answer + 1} of ${n} in its window${answer === n - 1 ? ' (the newest)' : ' (an older one)'}`;
    default: return `${kind} ${answer} of ${n}`;
  }
}

/**
 * Replay `forced` from the explorer's snapshot and write the account: the last `maxRows` rows where
 * something changed, a column per CPU, then the violation in the kernel's words.
 */
export function accountOf(x: Explorer, seed: number, forced: readonly Forced[], policy: DefaultPolicy = 'fair', maxRows = 40): { text: string; run: RunRecord } {
  const b = x.b;
  const k = b.kernel;
  const sym = (a: bigint): string => b.symbols.format(a);
  const sites = x.sites.map((n) => ({ name: n, addr: b.symbols.lookup(n) })).filter((s): s is { name: string; addr: bigint } => s.addr !== undefined);
  const inner = forcedDecider(forced);
  const rows: Row[] = [];
  let lastCells = '';
  let lastText = '';
  const cellOf = (c: number): string => {
    const cpu = k.cpus[c];
    if (cpu.halted) return 'halted';
    const where = sym(cpu.getRip());
    const ctx = k.traps.nmiRunningOn(c) ? 'NMI ' : '';
    const host = k.hostThreadRunning(c) ? '[patching] ' : '';
    return `${host}${ctx}${cpu.waiting ? 'idle in hlt' : where} (serial t=${cpu.serialTime})`;
  };
  const decider: Decider = {
    decide(i, kind, n, dflt, ctx) {
      const a = inner.decide(i, kind, n, dflt, ctx);
      const cells = k.cpus.map((_c, j) => cellOf(j));
      const text = sites.map((s) => `${s.name}: ${hexBytes(b.machine.mem.read(s.addr, 5))}`).join('; ');
      const key = cells.map((c) => c.replace(/ \(serial.*$/, '')).join('|');
      if (a !== dflt || key !== lastCells || text !== lastText) {
        rows.push({ point: i, what: decisionWords(kind, n, a, dflt, ctx), preempt: a !== dflt, cells, text: text !== lastText ? text : '' });
      }
      lastCells = key;
      lastText = text;
      return a;
    },
  };
  const run = x.run(seed, decider, policy);
  const out: string[] = [];
  const shown = rows.slice(-maxRows);
  const width = Math.max(24, ...shown.flatMap((r) => r.cells.map((c) => c.length)));
  out.push(`schedule: ${forced.length} decision${forced.length === 1 ? '' : 's'} forced away from the ${policy} default (marked *), ${run.points.length} relevant decisions in all${rows.length > shown.length ? `; the last ${shown.length} rows of ${rows.length}` : ''}`);
  out.push(`  ${'#'.padStart(4)}  ${k.cpus.map((_c, j) => `CPU ${j}`.padEnd(width)).join(' | ')}  decision`);
  for (const r of shown) {
    out.push(`${r.preempt ? '*' : ' '} ${String(r.point).padStart(4)}  ${r.cells.map((c) => c.padEnd(width)).join(' | ')}  ${r.what}`);
    if (r.text !== '') out.push(`        text: ${r.text}`);
  }
  const v = run.violation;
  if (v !== undefined) {
    out.push(`invariant ${v.invariant} broken (${INVARIANTS[v.invariant] ?? 'machine invariant'}): ${v.kind}`);
    out.push(`  ${v.summary}`);
    for (const d of v.details) out.push(`  ${d}`);
  } else {
    out.push(`the replay ended without a violation${run.incomplete !== undefined ? ` (${run.incomplete})` : ''}`);
  }
  return { text: out.join('\n'), run };
}
