// The Chooser: the single gate every nondeterministic decision of the machine goes through (seeded, recordable, replayable).

/** What a decision is about; recorded with each answer so a replay can detect divergence. */
export type ChoiceKind =
  | 'cpu' // which of the runnable CPUs (ctx.candidates) runs the next slice
  | 'quantum' // how many instructions at most the slice of ctx.cpu runs
  | 'nmi' // binary: does the NMI due at ctx.cpu arrive now (0) or at its next slice boundary (1)
  | 'irq' // binary: does interrupt ctx.vector (timer, IPI) due at ctx.cpu arrive now (0) or later (1)
  | 'fetch' // which of the values a text byte (ctx.addr) held in ctx.cpu's window it observes (0: the oldest)
  | 'preempt' // binary: does the tick strike ctx.cpu now, at an instruction boundary inside a call site (1) or not (0)
  | 'nmi-strike'; // binary: does an NMI strike ctx.cpu now, besides those its NMI source makes due (1) or not (0)

/** The context of a decision, for strategies that reason about it (PCT priorities, partial-order reduction). */
export interface ChoiceContext {
  /** The CPU the decision is about. */
  cpu?: number;
  /** For 'cpu': the CPU ids answer i stands for. */
  candidates?: readonly number[];
  /** For 'cpu': by CPU id, whether that CPU's host thread is waiting for another CPU (its last step was `yield WAIT`). */
  waiting?: readonly boolean[];
  /** For 'irq' and 'nmi': the interrupt vector. */
  vector?: number;
  /** For 'fetch': the guest address of the byte (signed-double form). */
  addr?: number;
}

export interface Chooser {
  /** An integer in [0, n). n >= 1; with n === 1 the answer is 0 and implementations may skip recording it. */
  choose(kind: ChoiceKind, n: number, ctx?: ChoiceContext): number;
}

/** State that can be saved at a quiescent point and restored, many times, to continue exactly from there. */
export interface Snapshotable<S> {
  save(): S;
  restore(s: S): void;
}

/** A chooser whose internal state can be snapshotted (so a restored machine makes the same decisions). */
export function isSnapshotable(c: Chooser): c is Chooser & Snapshotable<unknown> {
  const x = c as Partial<Snapshotable<unknown>>;
  return typeof x.save === 'function' && typeof x.restore === 'function';
}

/** splitmix32-seeded xoshiro128**: small, fast and fully determined by the seed. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  save(): [number, number, number, number] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  restore(s: readonly number[]): void {
    [this.s0, this.s1, this.s2, this.s3] = s;
  }

  /** Next 32-bit unsigned value. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0; this.s1 >>>= 0; this.s2 >>>= 0; this.s3 >>>= 0;
    return result;
  }

  /** Uniform integer in [0, n) for n <= 2^32 (rejection sampling, no modulo bias). */
  below(n: number): number {
    if (n <= 1) return 0;
    const limit = Math.floor(0x100000000 / n) * n;
    for (;;) {
      const v = this.next();
      if (v < limit) return v % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Uniformly random answers from a seed. */
export class RandomChooser implements Chooser, Snapshotable<number[]> {
  private readonly rng: Rng;
  constructor(readonly seed: number) {
    this.rng = new Rng(seed);
  }
  choose(_kind: ChoiceKind, n: number): number {
    return this.rng.below(n);
  }
  save(): number[] {
    return this.rng.save();
  }
  restore(s: number[]): void {
    this.rng.restore(s);
  }
}

/** One recorded decision: [kind, n, answer]. */
export type Choice = [ChoiceKind, number, number];

/** Wraps a chooser and records every decision with more than one option. */
export class RecordingChooser implements Chooser, Snapshotable<{ length: number; inner: unknown }> {
  readonly log: Choice[] = [];
  constructor(readonly inner: Chooser) {}
  choose(kind: ChoiceKind, n: number, ctx?: ChoiceContext): number {
    if (n <= 1) return 0;
    const a = this.inner.choose(kind, n, ctx);
    this.log.push([kind, n, a]);
    return a;
  }
  save(): { length: number; inner: unknown } {
    if (!isSnapshotable(this.inner)) throw new Error('cannot snapshot: the chooser keeps state it cannot save');
    return { length: this.log.length, inner: this.inner.save() };
  }
  restore(s: { length: number; inner: unknown }): void {
    if (!isSnapshotable(this.inner)) throw new Error('cannot restore: the chooser keeps state it cannot restore');
    this.log.length = s.length;
    this.inner.restore(s.inner);
  }
}

const KIND_WORDS: Record<ChoiceKind, string> = {
  cpu: 'which CPU runs next',
  quantum: 'how long a CPU runs',
  nmi: 'whether an NMI arrives',
  irq: 'whether an interrupt arrives',
  fetch: 'which value a CPU fetches for a byte being rewritten',
  preempt: 'whether the tick strikes inside a call site',
  'nmi-strike': 'whether an NMI strikes at any instruction',
};

/** A decision in words: "decision #12 (which CPU runs next, one of 3)". */
export function describeDecision(i: number, kind: ChoiceKind, n: number): string {
  return `decision #${i + 1} (${KIND_WORDS[kind] ?? kind}, one of ${n})`;
}

export class ReplayDivergence extends Error {
  constructor(message: string, readonly decision: number) {
    super(message);
  }
}

/**
 * Answers from a recorded log. Strict (the default) refuses to go on when the run asks a different
 * question than was recorded; lenient answers from the log while it matches and, from the first
 * mismatch (or the log's end) on, from `fallback` — what shrinking needs, since a shortened log no
 * longer fits the run it produces.
 */
export class ReplayChooser implements Chooser, Snapshotable<{ pos: number; divergedAt: number; fallback: unknown }> {
  private pos = 0;
  /** Index of the first decision that did not match the log (lenient mode), or -1. */
  divergedAt = -1;
  constructor(
    private readonly log: readonly Choice[],
    private readonly source = 'replay',
    private readonly fallback: Chooser | null = null,
  ) {}
  choose(kind: ChoiceKind, n: number, ctx?: ChoiceContext): number {
    if (n <= 1) return 0;
    const i = this.pos;
    if (this.divergedAt >= 0) { this.pos++; return this.fallback!.choose(kind, n, ctx); }
    const c = this.log[i];
    if (c === undefined || c[0] !== kind || c[1] !== n) {
      if (this.fallback !== null) {
        this.divergedAt = i;
        this.pos++;
        return this.fallback.choose(kind, n, ctx);
      }
      if (c === undefined) {
        throw new ReplayDivergence(`${this.source}: the run needs more decisions than were recorded: ${describeDecision(i, kind, n)} is not in the recording, which ends after ${this.log.length}`, i);
      }
      throw new ReplayDivergence(`${this.source}: the run no longer follows the recording at ${describeDecision(i, kind, n)}: the recording has ${KIND_WORDS[c[0]] ?? c[0]}, one of ${c[1]}, there`, i);
    }
    this.pos++;
    return c[2] < n ? c[2] : n - 1;
  }
  get consumed(): number {
    return this.pos;
  }
  save(): { pos: number; divergedAt: number; fallback: unknown } {
    return { pos: this.pos, divergedAt: this.divergedAt, fallback: this.fallback !== null && isSnapshotable(this.fallback) ? this.fallback.save() : null };
  }
  restore(s: { pos: number; divergedAt: number; fallback: unknown }): void {
    this.pos = s.pos;
    this.divergedAt = s.divergedAt;
    if (this.fallback !== null && isSnapshotable(this.fallback)) this.fallback.restore(s.fallback);
  }
}
