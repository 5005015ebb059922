// The explorer's engine: boot a scenario's machine once, warm it up, snapshot it, and run the scenario from the snapshot again and again, each run under a strategy's decisions.

import { boot, type Booted } from '../runner.js';
import { driveLiveCall } from '../live_call.js';
import type { FtraceCall } from '../ftrace/ftrace.js';
import type { KernelSnapshot, RunOutcome, Violation } from '../kernel/kernel.js';
import { DecisionLimit, GateChooser, type Decider, type DefaultPolicy, type RelevantPoint } from './gate.js';
import { scenarioByName, untilEveryCpuRuns, type Scenario, type ScenarioRun } from './scenarios.js';
import { resolveProtocol } from './mutants.js';
import type { Choice } from '../machine/chooser.js';
import type { PatchProtocol } from '../kernel/patch_protocol.js';
import { CheckInputError } from './mutants.js';
import { FootprintRecorder } from './footprint.js';
import type { Tier } from '../machine/tier.js';

/** What names an exploration besides its kernel: scenario, protocol, machine. */
export interface Exploration {
  scenario: string;
  protocol: string;
  /** One sync of the int3 protocols left out: 'no-sync-1' .. 'no-sync-3'. */
  mutate?: string;
  cpus: number;
  /** Limit the scenario to this many call sites (undefined: the scenario's own choice, usually every site). */
  sites?: number;
  /** NMIs per million cycles on each CPU; undefined: the scenario's own rate (0 except nmi-during-patch). */
  nmiRate?: number;
  /** Execution tier of the explorer's machines, its workers' included (undefined: FTSIM_TIER, else jit); every tier gives the same runs. */
  tier?: Tier;
}

/** What one `ftsim check` explores: the exploration, on which kernel. */
export interface CheckConfig extends Exploration {
  /** The kernel image and the name it is reported under. */
  kernel: { file: string; bytes: Uint8Array };
}

/** How a run ended. */
export interface RunRecord {
  /** The run's background seed. */
  seed: number;
  /** Its default policy (gate.ts): what its relevant decisions' defaults were. */
  policy: DefaultPolicy;
  violation?: Violation;
  /** The run stopped for another reason than a violation (a hang, a host error, its step budget). */
  incomplete?: string;
  /** Every decision after the snapshot, as the scheduler recorded it. */
  choices: Choice[];
  /** The decisions the strategy made (see gate.ts). */
  points: RelevantPoint[];
  preemptions: number;
  /** Steps the run took from the snapshot. */
  steps: number;
}

/** Thrown inside a scenario's run when the machine stopped (a violation, a fault, a hang). */
export class RunStopped extends Error {
  constructor(readonly outcome: RunOutcome | undefined, readonly why: string) {
    super(why);
  }
}

/** The boot seed: warm-up is the same for every run and every shard. */
const BOOT_SEED = 1;

/** Largest slice a CPU gets between observable operations (as the tests' busy runs). */
const MAX_QUANTUM = 200;

/**
 * Ticks per simulated second: 10 kHz, so that the writer task that runs each update is scheduled, and
 * every task passes through the scheduler for RCU-tasks, within about 100,000 cycles.
 */
const TIMER_HZ = 10_000;

/** Steps every CPU runs the workload before the snapshot. */
const WARM_STEPS = 200_000;

export class Explorer {
  readonly scenario: Scenario;
  readonly b: Booted;
  readonly gate: GateChooser;
  /** Function names whose sites the scenario patches. */
  readonly sites: readonly string[];
  private readonly snap: KernelSnapshot;
  private readonly snapSteps: number;
  private readonly snapChoices: number;
  private readonly prepared: ScenarioRun;

  constructor(readonly cfg: CheckConfig) {
    this.scenario = scenarioByName(cfg.scenario);
    const protocol = resolveProtocol(cfg.protocol, cfg.mutate);
    let b: Booted | undefined;
    this.gate = new GateChooser(() => b !== undefined && (this.batches > 0 || textInFlux(b)), BOOT_SEED, () => this.updating);
    b = boot(cfg.kernel.bytes, cfg.kernel.file, {
      cpus: cfg.cpus, chooser: this.gate, timerHz: this.scenario.timerHz ?? TIMER_HZ,
      nmiRate: cfg.nmiRate ?? this.scenario.nmiRate ?? 0, maxQuantum: MAX_QUANTUM,
      ftrace: { protocol: protocol.bootName },
      pokeSymbols: { workload_iterations: 50n, smp_workload_iterations: 1_000_000n },
      sched: this.scenario.sched,
      tier: cfg.tier,
    });
    this.b = b;
    if (b.ftrace === undefined) throw new CheckInputError(`${cfg.kernel.file}: the kernel has no ftrace call sites (__mcount_loc): nothing to patch`);
    const arch = b.ftrace.arch;
    if (protocol.variant !== undefined) arch.protocol = protocol.variant;
    arch.protocol = this.counted(arch.protocol);
    this.sites = this.scenario.sites(this, cfg.sites);
    try {
      this.warmUp();
      this.prepared = this.scenario.prepare(this);
    } catch (e) {
      if (e instanceof RunStopped) throw new CheckInputError(`${cfg.scenario}: the machine stopped while the scenario was being set up, before the snapshot: ${e.why}`);
      throw e;
    }
    this.snap = b.kernel.snapshot();
    this.snapSteps = b.kernel.steps;
    this.snapChoices = b.kernel.choices.length;
    // footprints of the relevant 'cpu' decisions, for dfs's partial-order reduction (footprint.ts)
    this.footprints = new FootprintRecorder(b);
    this.gate.observer = this.footprints;
  }

  private readonly footprints: FootprintRecorder;

  /** Run the scenario once from the snapshot: background from `seed`, relevant decisions from `decider`, their defaults by `policy`. */
  run(seed: number, decider: Decider, policy: DefaultPolicy = 'fair'): RunRecord {
    const k = this.b.kernel;
    k.restore(this.snap);
    this.batches = 0;
    this.gate.begin(seed, decider, policy);
    this.footprints.begin();
    let violation: Violation | undefined;
    let incomplete: string | undefined;
    try {
      this.prepared.run(this);
    } catch (e) {
      if (e instanceof DecisionLimit) incomplete = e.message;
      else if (!(e instanceof RunStopped)) throw e;
      else if (e.outcome?.violation !== undefined) violation = e.outcome.violation;
      else incomplete = e.why;
    } finally {
      this.gate.end();
      this.footprints.end();
    }
    const fp = this.footprints.footprints;
    return {
      seed, policy, violation, incomplete,
      choices: k.choices.slice(this.snapChoices),
      points: this.gate.points.map((p, i) => (fp[i] === undefined ? { ...p } : { ...p, footprint: fp[i] })),
      preemptions: this.gate.preemptions,
      steps: k.steps - this.snapSteps,
    };
  }

  /** Run until every CPU runs the workload, then a while longer: the snapshot is of a busy machine. */
  private warmUp(): void {
    const k = this.b.kernel;
    if (!untilEveryCpuRuns(k, () => this.runFor(100_000))) throw new CheckInputError(`${this.cfg.kernel.file}: not every CPU started within 40M steps; the explorer needs a kernel that brings up its secondary CPUs`);
    this.runFor(WARM_STEPS);
  }

  /** An ftrace update runs (from its writer task's start to its return). */
  private updating = false;

  /** Batches of the patching protocol in flight (the patch window is open while there is one). */
  private batches = 0;

  /** The protocol, counting its batches in flight. */
  private counted(p: PatchProtocol): PatchProtocol {
    const self = this;
    return {
      ...p,
      *apply(kernel, cpu, sites) {
        self.batches++;
        try {
          yield* p.apply(kernel, cpu, sites);
        } finally {
          self.batches--;
        }
      },
    };
  }

  // ---- what scenarios use ------------------------------------------------------------------

  /** Run an ftrace call live from a writer task on CPU 0 while every CPU runs; RunStopped when the machine stops first. */
  live<T>(call: FtraceCall<T>, budget = 20_000_000): T {
    const k = this.b.kernel;
    this.updating = true;
    let r;
    try {
      r = driveLiveCall(this.b, call, { cpu: 0, run: (n) => k.run(k.steps + n), budget, chunk: 5_000 });
    } finally {
      this.updating = false;
    }
    if (r.done) return r.value;
    throw new RunStopped(r.outcome, stopWhy(r.outcome, r.why));
  }

  /**
   * Run an ftrace call that changes no text (a filter of an ops not registered) to its end at once,
   * as the writer's syscall would without waiting for anything.
   */
  now<T>(call: FtraceCall<T>): T {
    for (let i = 0; i < 1_000_000; i++) {
      const r = call.next();
      if (r.done) return r.value;
    }
    throw new Error('an ftrace call meant to finish at once kept waiting');
  }

  /** Let every CPU run `steps` more steps; RunStopped when the machine stops first. */
  runFor(steps: number): void {
    const k = this.b.kernel;
    const o = k.run(k.steps + steps);
    if (o.reason !== 'max-steps') throw new RunStopped(o, stopWhy(o, 'stopped'));
  }
}

function stopWhy(o: RunOutcome | undefined, why: string): string {
  if (o === undefined) return why;
  if (o.violation !== undefined) return o.violation.summary;
  return `${o.reason}${o.error !== undefined ? `: ${o.error}` : ''}`;
}

/** Some running CPU has not serialized since text was last written: it may still fetch that text in flux. */
export function textInFlux(b: Booted): boolean {
  const k = b.kernel;
  let minSerial = Infinity;
  for (const c of k.cpus) if (!c.halted && c.serialTime < minSerial) minSerial = c.serialTime;
  for (const r of b.machine.mem.regions) if (r.icache !== null && r.dirtyTime > minSerial) return true;
  return false;
}
