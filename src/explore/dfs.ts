// The `dfs` strategy: stateless, preemption-bounded exhaustive search over the tree of relevant decisions, with sleep sets (Godefroid) on the 'cpu' decisions.
//
// A run is a function of its forced prefix: the answers to its first relevant decisions; after the
// prefix every decision takes its default (gate.ts, under the tree's default policy), and every run has
// the same background seed. A
// preemption is an answer other than the default. Each node of the work list is a prefix; running it
// yields its points, and each point j beyond the prefix with an answer a other than its default gives
// the child prefix (the run's answers up to j, then a), when the child stays within K preemptions. A
// schedule is generated once, by the node that ends at its last preemption, so the search is a tree
// walk with no visited set.
//
// Sleep sets. A 'cpu' decision picks a transition: the next slice of a CPU. Its footprint
// (footprint.ts) says what the slice did that other CPUs can observe; footprint.ts also defines the
// dependence relation and argues its soundness for this machine. Walking a run, the sleep set Z of
// the state before each 'cpu' decision is kept: a slice executed removes from Z every entry it depends
// on. At a 'cpu' decision j with chosen CPU c and alternative a:
//   - the child choosing a is generated only if a is not in Z_j, and starts with Z_j + {c's slice};
//   - if c itself is in Z_j, the rest of the run repeats schedules explored elsewhere (the classic
//     algorithm never executes a sleeping transition): no child is generated after j.
// A child forked at a non-'cpu' decision (an irq, a fetch) inside the slice of 'cpu' decision L varies
// that slice: it starts from Z_L (the transition is the same CPU's, which every entry of Z either
// commutes with or is removed by).
// Without a preemption bound this is Godefroid's sleep-set search and loses no Mazurkiewicz trace.
// With the bound it is the usual simplification: a schedule whose only representatives within K
// preemptions were pruned is missed (Musuvathi and Qadeer, PLDI 2007, discuss the combination).
//
// Sharding: every shard runs the all-default schedule; its children, in the order they are generated,
// go to shard (child number % count); deeper prefixes stay with the shard of their first forced
// answer. Runs are deterministic, so the shards' runs together are the unsharded search's runs.

import type { ChoiceContext, ChoiceKind } from '../machine/chooser.js';
import type { Footprint } from './footprint.js';
import { dependent } from './footprint.js';
import type { DefaultPolicy } from './gate.js';
import { WHOLE, type PlannedRun, type RunFeedback, type Shard, type Strategy } from './strategy.js';

export interface DfsOptions {
  /** The background seed of every run. */
  seed: number;
  /** The default policy of every run (gate.ts; default 'fair'). */
  policy?: DefaultPolicy;
  /** Partial-order reduction with sleep sets (default true). */
  por?: boolean;
}

/** One forced answer, with the decision it was recorded at (to detect divergence). */
export interface Forced {
  kind: ChoiceKind;
  n: number;
  answer: number;
}

interface Node {
  prefix: Forced[];
  preemptions: number;
  /** The sleep set holds before relevant decision `sleepAt` ('cpu'), or before decision 0 for the root. */
  sleepAt: number;
  sleep: Footprint[];
}

export class DfsStrategy implements Strategy {
  readonly name = 'dfs';
  private readonly work: Node[] = [];
  private readonly pending = new Map<number, Node>();
  private planned = 0;
  /** Runs whose forced answers no longer matched the decisions asked (0 for a deterministic machine). */
  divergences = 0;
  /** Children not generated because their transition was asleep, or after a sleeping one ran. */
  pruned = 0;
  /** Prefix of every run planned, in order (a schedule's identity: its forced answers). */
  readonly schedules: string[] = [];
  private readonly por: boolean;
  private readonly seed: number;
  private readonly policy: DefaultPolicy;

  constructor(private readonly bound: number, private readonly shard: Shard = WHOLE, opts: DfsOptions = { seed: 1 }) {
    this.por = opts.por ?? true;
    this.seed = opts.seed;
    this.policy = opts.policy ?? 'fair';
    this.work.push({ prefix: [], preemptions: 0, sleepAt: 0, sleep: [] });
  }

  get exhausted(): boolean {
    return this.work.length === 0 && this.pending.size === 0;
  }

  next(): PlannedRun | null {
    const node = this.work.pop();
    if (node === undefined) return null;
    const index = this.planned++;
    this.pending.set(index, node);
    this.schedules.push(scheduleKey(node.prefix));
    const prefix = node.prefix;
    let diverged = false;
    const decide = (i: number, kind: ChoiceKind, n: number, dflt: number, _ctx: ChoiceContext): number => {
      if (i >= prefix.length) return dflt;
      const f = prefix[i];
      if (diverged || f.kind !== kind || f.n !== n) {
        if (!diverged) { diverged = true; this.divergences++; }
        return dflt;
      }
      return f.answer;
    };
    return { index, seed: this.seed, decider: { decide }, policy: this.policy };
  }

  record(run: RunFeedback): void {
    const node = this.pending.get(run.index);
    if (node === undefined) return;
    this.pending.delete(run.index);
    const children = this.expand(node, run);
    const isRoot = node.prefix.length === 0;
    // pushed in reverse so that the earliest fork is explored first (depth first, in order)
    for (let c = children.length - 1; c >= 0; c--) {
      if (isRoot && c % this.shard.count !== this.shard.index) continue;
      this.work.push(children[c]);
    }
  }

  /** The children of a node, given its run, in the order of their fork points. */
  private expand(node: Node, run: RunFeedback): Node[] {
    const pts = run.points;
    const m = node.prefix.length;
    const out: Node[] = [];
    const canPreempt = node.preemptions < this.bound;
    let z: Footprint[] = node.sleep;
    /** Z before the last 'cpu' decision walked, and its index. */
    let lastCpu = node.sleepAt;
    let zAtLastCpu: Footprint[] = node.sleep;
    const start = Math.min(node.sleepAt, m);
    for (let j = start; j < pts.length; j++) {
      const p = pts[j];
      const beyond = j >= m;
      if (p.kind === 'cpu') {
        lastCpu = j;
        zAtLastCpu = z;
        const asleep = this.por && z.some((t) => t.cpu === p.cpu);
        if (beyond && canPreempt) {
          for (let a = 0; a < p.n; a++) {
            if (a === p.dflt) continue;
            const cpu = p.candidates?.[a] ?? -1;
            if (this.por && z.some((t) => t.cpu === cpu)) { this.pruned++; continue; }
            const sleep = this.por && p.footprint !== undefined && !asleep ? [...z, p.footprint] : z;
            out.push(this.child(node, pts, j, a, j, this.por ? sleep : []));
          }
        }
        if (asleep) {
          // the rest of this run repeats explored schedules; count what is not generated
          if (canPreempt) for (let k = j + 1; k < pts.length; k++) this.pruned += pts[k].n - 1;
          break;
        }
        const f = p.footprint;
        z = !this.por ? [] : f === undefined ? [] : z.filter((t) => !dependent(t, f));
      } else if (beyond && canPreempt) {
        for (let a = 0; a < p.n; a++) {
          if (a === p.dflt) continue;
          out.push(this.child(node, pts, j, a, lastCpu, this.por ? zAtLastCpu : []));
        }
      }
    }
    return out;
  }

  private child(node: Node, pts: RunFeedback['points'], j: number, a: number, sleepAt: number, sleep: Footprint[]): Node {
    const prefix = node.prefix.slice();
    for (let i = prefix.length; i < j; i++) prefix.push({ kind: pts[i].kind, n: pts[i].n, answer: pts[i].answer });
    prefix.push({ kind: pts[j].kind, n: pts[j].n, answer: a });
    return { prefix, preemptions: node.preemptions + 1, sleepAt, sleep };
  }
}

/** A schedule's identity: its forced answers (defaults included), as text. */
export function scheduleKey(prefix: readonly Forced[]): string {
  return prefix.map((f) => `${f.kind[0]}${f.answer}`).join('');
}

/**
 * dfs over several trees, one after another: for background seed `seed`, the bounded tree around each
 * default policy in `policies` (gate.ts: a bug shallow around one may be deep around the other), then
 * the same for seed+1, ... (`backgrounds` seeds). The background decides what the CPUs are doing when
 * the patch window opens (which function each is in, whether a task sits between the halves of a
 * call site); a tree only reorders what follows. `exhausted`: every tree was.
 */
export class DfsOverBackgrounds implements Strategy {
  readonly name = 'dfs';
  private current: DfsStrategy;
  /** Trees finished before the current one. */
  private done = 0;
  private planned = 0;
  private divergedBefore = 0;
  private readonly inner = new Map<number, { d: DfsStrategy; index: number }>();
  private readonly policies: readonly DefaultPolicy[];

  constructor(private readonly bound: number, private readonly shard: Shard, private readonly seed: number, private readonly backgrounds: number,
    policies: readonly DefaultPolicy[] = ['fair']) {
    if (policies.length === 0) throw new Error('dfs: no default policy to explore around');
    this.policies = policies;
    this.current = this.tree(0);
  }

  /** Tree number t: background seed + t / policies, around policy t % policies. */
  private tree(t: number): DfsStrategy {
    const p = this.policies.length;
    return new DfsStrategy(this.bound, this.shard, { seed: (this.seed + Math.floor(t / p)) >>> 0, policy: this.policies[t % p] });
  }

  private get trees(): number {
    return this.backgrounds * this.policies.length;
  }

  get exhausted(): boolean {
    return this.done + 1 >= this.trees && this.current.exhausted;
  }

  /** Runs that diverged from their forced prefix, over every tree (0 for a deterministic machine). */
  get divergences(): number {
    return this.divergedBefore + this.current.divergences;
  }

  next(): PlannedRun | null {
    for (;;) {
      const p = this.current.next();
      if (p !== null) {
        const index = this.planned++;
        this.inner.set(index, { d: this.current, index: p.index });
        return { ...p, index };
      }
      if (!this.current.exhausted || this.done + 1 >= this.trees) return null;
      this.done++;
      this.divergedBefore += this.current.divergences;
      this.current = this.tree(this.done);
    }
  }

  record(run: RunFeedback): void {
    const at = this.inner.get(run.index);
    if (at === undefined) return;
    this.inner.delete(run.index);
    at.d.record({ ...run, index: at.index });
  }
}
