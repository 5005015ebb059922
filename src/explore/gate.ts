// The explorer's chooser: it passes the decisions that can matter (made while text is being patched or a CPU may still see text in flux) to a strategy, and answers the others from a seeded background schedule.
//
// A run from the snapshot asks the scheduler's questions by the thousand, nearly all of them while
// nothing is being patched: which worker runs a little longer, when a tick lands. They cannot make a
// CPU fetch a torn or stale instruction, so a strategy that spent its choices (PCT's change points,
// DFS's preemption budget) on them would search a space of 10^5 decisions for a bug that lives in 30.
// The gate keeps the strategy to the relevant ones:
//   - a fetch of a byte with several candidate values (always: it exists only in flux);
//   - which CPU runs next, and whether a due interrupt or NMI arrives now, while the patch window is
//     open: a batch of the patching protocol is in flight, or some running CPU has not serialized
//     since text was last written;
//   - whether the tick strikes a task between the halves of a call site ('preempt'), from the moment
//     the ftrace update begins: a task preempted there before the batch starts and resumed after it
//     is the two-part nop's bug, so the decision matters before the window opens;
// Quanta are never relevant: slices already end after every operation another CPU can observe.
// Everything else comes from `background`, an Rng seeded per run, so a run is a deterministic function
// of its seed and the strategy's answers.
//
// Each relevant decision has a default, the answer that makes no "preemption"; any other answer counts
// as one preemption (DFS bounds their number; shrinking minimizes it). Which answers are the defaults
// is the run's default policy, and a bug is shallow (a few preemptions) relative to one of them:
//   - 'fair': the next CPU after the one that ran last (round robin: every host-thread step of the
//     protocol alternates with a slice of each other CPU, so a CPU acts *during* a multi-step write:
//     an NMI striking a CPU spinning in stop_machine, a fetch between two stores), an interrupt
//     arriving now, a byte's newest value. random, pct and their shrinking use it;
//   - 'lazy': the CPU that ran last runs on (CHESS's non-preemptive default, Musuvathi and Qadeer
//     2007) until it waits (a host thread yielding WAIT: a sync waiting for IPIs, stop_machine waiting
//     for CPUs) or has run SPIN slices in a row (a guest CPU may spin without saying so), then the next
//     one that is not waiting; a byte's oldest value in the fetching CPU's window. A CPU is delayed
//     across a whole phase of the protocol with one preemption (a #BP handler overtaken by the rest of
//     the batch, a CPU running on with stale text past a missing sync), which under 'fair' takes one
//     preemption per step of the other CPU.
// dfs explores the bounded tree around each policy it is given (dfs.ts).

import { Rng, type Chooser, type ChoiceContext, type ChoiceKind, type Snapshotable } from '../machine/chooser.js';
import type { Footprint } from './footprint.js';

/** One relevant decision of a run, as the strategy saw it. */
export interface RelevantPoint {
  /** Index of the decision in the run's full log (decisions after the snapshot). */
  at: number;
  kind: ChoiceKind;
  n: number;
  /** The answer that is no preemption. */
  dflt: number;
  answer: number;
  /** The CPU the decision is about (for 'cpu': the one chosen). */
  cpu: number;
  /** For 'cpu': the candidate CPU ids. */
  candidates?: readonly number[];
  /** For 'fetch': the byte's guest address; for 'irq'/'nmi': the vector. */
  addr?: number;
  vector?: number;
  /** For 'cpu': what the slice it started did that other CPUs can observe (footprint.ts; dfs's sleep sets). */
  footprint?: Footprint;
}

/** Told of every decision (footprint.ts's recorder). */
export interface GateObserver {
  onChoose(kind: ChoiceKind): void;
  onPoint(index: number, kind: ChoiceKind, cpu: number): void;
}

/** A strategy's hand in one run: it answers the relevant decisions. */
export interface Decider {
  /** The answer to relevant decision number `index` (0-based among this run's relevant ones). */
  decide(index: number, kind: ChoiceKind, n: number, dflt: number, ctx: ChoiceContext): number;
}

/** Always the default: the run without preemptions. */
export const DEFAULT_DECIDER: Decider = { decide: (_i, _k, _n, dflt) => dflt };

/** The default answers of a run (see the header). */
export type DefaultPolicy = 'fair' | 'lazy';

export const DEFAULT_POLICIES: readonly DefaultPolicy[] = ['fair', 'lazy'];

/**
 * 'cpu' decisions in a row after which the 'lazy' policy moves on (the CPU may be spinning). 16 slices
 * of a guest CPU are a few hundred instructions: enough to reach a hot call site, few enough that a
 * run has ~400 relevant decisions at 2 sites (64: ~850, and fewer bugs found at one preemption).
 */
export const SPIN = 16;

/** A run made more decisions than any finishing run does: a CPU spins forever (the strategy starved the one it waits for). */
export class DecisionLimit extends Error {}

/** Decisions a run may make after the snapshot (finishing runs make 10^4 to 10^5). */
export const MAX_RUN_DECISIONS = 2_000_000;

export class GateChooser implements Chooser, Snapshotable<null> {
  /** Decisions made since the run began (the post-snapshot log's length is kept by the scheduler). */
  made = 0;
  readonly points: RelevantPoint[] = [];
  /** Relevant decisions answered other than by their default. */
  preemptions = 0;
  private background: Rng;
  private decider: Decider | null = null;
  private lastCpu = -1;
  /** 'cpu' decisions in a row that chose lastCpu. */
  private streak = 0;
  /** The run's default policy (see the header). */
  private policy: DefaultPolicy = 'fair';
  /** Told of every decision while a run is on (null: nobody). */
  observer: GateObserver | null = null;

  /**
   * `inWindow` says whether the patch window is open now. Until begin() is called (boot, warm-up)
   * every decision comes from the background Rng seeded with `bootSeed`.
   */
  constructor(private readonly inWindow: () => boolean, bootSeed: number, private readonly inUpdate: () => boolean = () => false) {
    this.background = new Rng(bootSeed);
  }

  /** Start a run: fresh background schedule from `seed`, relevant decisions to `decider`, defaults by `policy`. */
  begin(seed: number, decider: Decider, policy: DefaultPolicy = 'fair'): void {
    this.policy = policy;
    this.background = new Rng(seed);
    this.decider = decider;
    this.made = 0;
    this.points.length = 0;
    this.preemptions = 0;
    this.lastCpu = -1;
    this.streak = 0;
  }

  /** Stop handing decisions to the strategy (between runs). */
  end(): void {
    this.decider = null;
  }

  choose(kind: ChoiceKind, n: number, ctx: ChoiceContext = {}): number {
    if (n <= 1) return 0;
    if (this.decider !== null) this.observer?.onChoose(kind);
    const at = this.made++;
    const d = this.decider;
    // only at a CPU choice: the scheduler is between slices there, and the run is abandoned whole
    if (kind === 'cpu' && d !== null && at >= MAX_RUN_DECISIONS) throw new DecisionLimit(`the run made ${MAX_RUN_DECISIONS} decisions without finishing (a CPU spinning forever?)`);
    let answer: number;
    if (d === null || kind === 'quantum' || (kind !== 'fetch' && !this.inWindow() && !(kind === 'preempt' && this.inUpdate()))) {
      answer = kind === 'fetch' ? n - 1 : kind === 'preempt' || kind === 'nmi-strike' ? 0 : this.background.below(n);
    } else {
      const dflt = this.defaultAnswer(kind, n, ctx);
      const i = this.points.length;
      answer = d.decide(i, kind, n, dflt, ctx);
      if (!(answer >= 0 && answer < n)) answer = dflt;
      if (answer !== dflt) this.preemptions++;
      const cpu = kind === 'cpu' && ctx.candidates !== undefined ? ctx.candidates[answer] : ctx.cpu ?? -1;
      this.points.push({ at, kind, n, dflt, answer, cpu, candidates: ctx.candidates, addr: ctx.addr, vector: ctx.vector });
      this.observer?.onPoint(i, kind, cpu);
    }
    if (kind === 'cpu' && ctx.candidates !== undefined) {
      const c = ctx.candidates[answer];
      this.streak = c === this.lastCpu ? this.streak + 1 : 1;
      this.lastCpu = c;
    }
    return answer;
  }

  /** The no-preemption answer under the run's policy (see the header); interrupts arrive now under both. */
  defaultAnswer(kind: ChoiceKind, n: number, ctx: ChoiceContext): number {
    switch (kind) {
      case 'cpu': {
        const c = ctx.candidates;
        if (c === undefined) return 0;
        if (this.policy === 'lazy') {
          // after SPIN slices in a row the CPU may spin on one that waits: plain round robin
          if (this.streak >= SPIN) return this.after(c);
          const w = ctx.waiting;
          const k = c.indexOf(this.lastCpu);
          if (k >= 0 && w?.[this.lastCpu] !== true) return k;
          // the first CPU after the last one that is not a waiting host thread (every one waits: the next)
          const from = k >= 0 ? k + 1 : this.after(c);
          for (let j = 0; j < c.length; j++) {
            const i = (from + j) % c.length;
            if (w?.[c[i]] !== true) return i;
          }
          return from % c.length;
        }
        return this.after(c);
      }
      case 'fetch': return this.policy === 'lazy' ? 0 : n - 1;
      default: return 0;
    }
  }

  /** Round robin: the first candidate after the CPU that ran last. */
  private after(c: readonly number[]): number {
    for (let i = 0; i < c.length; i++) if (c[i] > this.lastCpu) return i;
    return 0;
  }

  // the gate's state is set per run by begin(); a snapshot keeps nothing of it
  save(): null {
    return null;
  }

  restore(): void {}
}
