// The Chooser: the single gate every nondeterministic decision of the machine goes through (seeded, recordable, replayable).

/** What a decision is about; recorded with each answer so a replay can detect divergence. */
export type ChoiceKind =
  | 'cpu' // which CPU runs the next quantum
  | 'quantum' // how many instructions it runs
  | 'nmi' // whether an NMI arrives at a CPU now
  | 'fetch' // which of the values a text byte held in a CPU's window it observes
  | 'resume'; // where a host generator (kernel thread) resumes relative to guest CPUs

export interface Chooser {
  /** An integer in [0, n). n >= 1; with n === 1 the answer is 0 and implementations may skip recording it. */
  choose(kind: ChoiceKind, n: number): number;
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
export class RandomChooser implements Chooser {
  private readonly rng: Rng;
  constructor(readonly seed: number) {
    this.rng = new Rng(seed);
  }
  choose(_kind: ChoiceKind, n: number): number {
    return this.rng.below(n);
  }
}

/** One recorded decision: [kind, n, answer]. */
export type Choice = [ChoiceKind, number, number];

/** Wraps a chooser and records every decision with more than one option. */
export class RecordingChooser implements Chooser {
  readonly log: Choice[] = [];
  constructor(private readonly inner: Chooser) {}
  choose(kind: ChoiceKind, n: number): number {
    if (n <= 1) return 0;
    const a = this.inner.choose(kind, n);
    this.log.push([kind, n, a]);
    return a;
  }
}

export class ReplayDivergence extends Error {}

/** Answers from a recorded log; refuses to go on when the run asks a different question than was recorded. */
export class ReplayChooser implements Chooser {
  private pos = 0;
  constructor(private readonly log: readonly Choice[], private readonly source = 'replay') {}
  choose(kind: ChoiceKind, n: number): number {
    if (n <= 1) return 0;
    const i = this.pos;
    const c = this.log[i];
    if (c === undefined) throw new ReplayDivergence(`${this.source}: the run asked for decision #${i + 1} (${kind} of ${n}) but the recording has only ${this.log.length}`);
    if (c[0] !== kind || c[1] !== n) {
      throw new ReplayDivergence(`${this.source}: decision #${i + 1} diverged: the run asks for ${kind} of ${n}, the recording has ${c[0]} of ${c[1]}`);
    }
    this.pos++;
    return c[2];
  }
  get consumed(): number {
    return this.pos;
  }
}
