// `ftsim check`: explore a patching protocol in a scenario (random, pct or dfs), print the shrunk counterexample and its replay file, or the coverage of a clean exploration; --replay, --shard, --out, --merge, --list.

import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import { Explorer, type CheckConfig } from '../explore/engine.js';
import { rates, type CheckSummary, type ExploreOptions, type StrategyName } from '../explore/check.js';
import { exploreParallel } from '../explore/workers.js';
import { scenarioList } from '../explore/scenarios.js';
import { CHECK_PROTOCOLS, MUTANTS, CheckInputError, mutantSummary, resolveProtocol } from '../explore/mutants.js';
import { checkReplayOf, readCheckReplay, replayDivergence, writeCheckReplay, CheckReplayError } from '../explore/check_replay.js';
import { mergeShards, readShard, writeShard, MergeError } from '../explore/merge.js';
import { accountOf } from '../explore/account.js';
import { DEFAULT_POLICIES, type DefaultPolicy } from '../explore/gate.js';
import { sha256 } from '../explore/replay.js';
import { INVARIANTS } from '../explore/report.js';
import type { Shard } from '../explore/strategy.js';
import { ElfError } from '../loader/elf.js';
import { BootError } from '../runner.js';
import { TierError, type Tier } from '../machine/tier.js';
import { tierOf, tierOption } from './tier.js';

export interface CheckCliOptions {
  scenario?: string;
  protocol?: string;
  mutate?: string;
  kernel: string;
  cpus: number;
  sites?: number;
  nmiRate?: number;
  strategy: string;
  runs: number;
  depth: number;
  preemptions: number;
  backgrounds: number;
  defaults: string;
  seed: number;
  workers?: number;
  shard?: string;
  out?: string;
  json?: boolean;
  replay?: string;
  merge?: boolean;
  list?: boolean;
  record?: string;
  tier?: Tier;
}

/** What the CLI's main module lends this command (kept there so every command shares it). */
export interface CliKit {
  UsageError: new (message: string, exitCode?: number) => Error;
  intOption: (name: string, range: readonly [number, number]) => (v: string) => number;
  displayName: (file: string) => string;
  readInput: (file: string) => Uint8Array;
  defaultKernel: string;
  color: { red: (s: string) => string; dim: (s: string) => string; bold: (s: string) => string; green: (s: string) => string };
  exit: { ok: number; badInput: number; violation: number };
}

export const DEFAULT_CHECK_REPLAY = 'ftsim-check-violation.replay';

/** --shard I/N (1-based I) or auto/N (the index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX). */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const m = /^(\d+|auto)\/(\d+)$/.exec(text);
  if (m === null) throw new CheckInputError(`--shard: expected I/N (1 <= I <= N) or auto/N, got '${text}'`);
  const count = Number(m[2]);
  if (count < 1 || count > 100_000) throw new CheckInputError(`--shard: N must be from 1 to 100000, got ${count}`);
  if (m[1] === 'auto') {
    // Slurm array tasks count from the array's first index (0 or 1 in the recipes); Kubernetes from 0
    const slurm = env.SLURM_ARRAY_TASK_ID;
    const k8s = env.JOB_COMPLETION_INDEX;
    if (slurm !== undefined && /^\d+$/.test(slurm)) {
      const min = env.SLURM_ARRAY_TASK_MIN !== undefined && /^\d+$/.test(env.SLURM_ARRAY_TASK_MIN) ? Number(env.SLURM_ARRAY_TASK_MIN) : 0;
      const index = Number(slurm) - min;
      if (index < 0 || index >= count) throw new CheckInputError(`--shard auto/${count}: SLURM_ARRAY_TASK_ID=${slurm} (array from ${min}) is not one of ${count} shards`);
      return { index, count };
    }
    if (k8s !== undefined && /^\d+$/.test(k8s)) {
      const index = Number(k8s);
      if (index >= count) throw new CheckInputError(`--shard auto/${count}: JOB_COMPLETION_INDEX=${k8s} is not one of ${count} shards (0..${count - 1})`);
      return { index, count };
    }
    throw new CheckInputError(`--shard auto/${count}: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set`);
  }
  const i = Number(m[1]);
  if (i < 1 || i > count) throw new CheckInputError(`--shard: I must be from 1 to ${count}, got ${i}`);
  return { index: i - 1, count };
}

/** --defaults: a comma-separated list of default policies (gate.ts), each once. */
export function parseDefaults(text: string): DefaultPolicy[] {
  const out: DefaultPolicy[] = [];
  for (const w of text.split(',').map((t) => t.trim())) {
    if (!(DEFAULT_POLICIES as readonly string[]).includes(w)) throw new CheckInputError(`--defaults: unknown default schedule '${w}'; known: ${DEFAULT_POLICIES.join(', ')}`);
    if (out.includes(w as DefaultPolicy)) throw new CheckInputError(`--defaults: '${w}' given twice`);
    out.push(w as DefaultPolicy);
  }
  return out;
}

/** The summary in words. */
export function summaryText(s: CheckSummary, replayPath: string | undefined, kit: CliKit): string {
  const out: string[] = [];
  const bg = s.budget.backgrounds ?? 1;
  const around = s.budget.defaults ?? ['fair'];
  const bound = s.strategy === 'dfs' ? `dfs, at most ${s.budget.preemptions} preemptions, ${bg} background${bg === 1 ? '' : 's'}, around the ${around.join(' and ')} default${around.length === 1 ? '' : 's'}` : s.strategy === 'pct' ? `pct depth ${s.budget.depth}, ${s.budget.runs} runs` : `random, ${s.budget.runs} runs`;
  out.push(`${s.scenario} / ${s.protocol}${s.mutate !== undefined ? ` --mutate ${s.mutate}` : ''} on ${s.cpus} CPUs, ${s.sitesPatched.length === 0 ? 'every site' : `${s.sitesPatched.length} site${s.sitesPatched.length === 1 ? '' : 's'} (${s.sitesPatched.join(', ')})`}; ${bound}, seed ${s.seed}${s.shard.count > 1 ? `, shard ${s.shard.index + 1}/${s.shard.count}` : ''}`);
  const secs = s.wallMs / 1000;
  const rate = rates(s);
  out.push(`  runs ${s.runs}, distinct schedules ${s.schedules.length}, relevant decisions ${s.points}, ${rate.runs.toFixed(1)} runs/s, ${rate.points.toFixed(0)} decisions/s, ${secs.toFixed(1)} s`);
  if (s.incomplete > 0) out.push(`  ${s.incomplete} run${s.incomplete === 1 ? '' : 's'} did not finish (hang or step budget) without a violation`);
  const inv = Object.entries(s.violations);
  out.push(`  violations by invariant: ${inv.length === 0 ? 'none' : inv.map(([i, n]) => `${i}: ${n}`).join(', ')}`);
  if (s.strategy === 'dfs') out.push(`  bounded space ${s.exhausted ? 'exhausted' : 'not exhausted'}`);
  const v = s.violation;
  if (v === undefined) {
    out.push(kit.color.green(`clean: no violation in ${s.runs} runs`));
  } else {
    out.push(kit.color.red(`VIOLATION of invariant ${v.invariant} (${INVARIANTS[v.invariant] ?? 'machine invariant'}): ${v.kind}`));
    out.push(`  ${v.summary}`);
    out.push(`  found in run ${v.run + 1}; shrunk from ${v.originalPreemptions} preemptions in ${v.originalLength} decisions to ${v.forced.length} in ${v.length} (${v.shrinkRuns} runs)`);
    if (replayPath !== undefined) out.push(`  replay: ftsim check --replay ${replayPath}`);
  }
  return out.join('\n');
}

function configOf(o: CheckCliOptions, kit: CliKit): CheckConfig {
  if (o.scenario === undefined) throw new kit.UsageError('check: --scenario NAME is required (ftsim check --list shows the scenarios)');
  if (o.protocol === undefined) throw new kit.UsageError('check: --protocol NAME is required (ftsim check --list shows the protocols)');
  const cfg: CheckConfig = {
    kernel: { file: kit.displayName(resolve(o.kernel)), bytes: kit.readInput(o.kernel) },
    scenario: o.scenario, protocol: o.protocol, mutate: o.mutate, cpus: o.cpus, sites: o.sites, nmiRate: o.nmiRate, tier: tierOf(o.tier),
  };
  resolveProtocol(cfg.protocol, cfg.mutate);
  if (!scenarioList().some((s) => s.name === cfg.scenario)) {
    throw new CheckInputError(`--scenario: unknown scenario '${cfg.scenario}'; known scenarios: ${scenarioList().map((s) => s.name).join(', ')}`);
  }
  return cfg;
}

function listText(): string {
  const out = ['scenarios:'];
  for (const s of scenarioList()) out.push(`  ${s.name.padEnd(24)} ${s.summary}`);
  out.push('protocols:');
  for (const p of CHECK_PROTOCOLS) out.push(`  ${p.padEnd(24)} ${resolveProtocol(p).protocol.summary}`);
  out.push('mutants (--mutate, with int3_emulate or int3_skip):');
  for (const m of MUTANTS) out.push(`  ${m.padEnd(24)} ${mutantSummary(m)}`);
  return out.join('\n');
}

/** A progress bar on a terminal, nothing otherwise. */
function progress(json: boolean): { onRun: ExploreOptions['onRun']; stop: () => void } {
  if (json || process.stderr.isTTY !== true) return { onRun: undefined, stop: () => {} };
  let bar: cliProgress.SingleBar | null = null;
  return {
    onRun: (done, total, violations) => {
      if (bar === null) {
        bar = new cliProgress.SingleBar({
          stream: process.stderr, clearOnComplete: true, hideCursor: true,
          format: total !== undefined ? 'exploring [{bar}] {value}/{total} runs, {violations} violations, {eta}s left' : 'exploring: {value} runs, {violations} violations',
        }, cliProgress.Presets.shades_classic);
        bar.start(total ?? 0, 0, { violations: 0 });
      }
      bar.update(done, { violations });
    },
    stop: () => { if (bar !== null) bar.stop(); },
  };
}

async function checkCommand(o: CheckCliOptions, files: string[], kit: CliKit): Promise<number> {
  if (o.list) { process.stdout.write(listText() + '\n'); return kit.exit.ok; }
  if (o.merge) {
    if (files.length === 0) throw new kit.UsageError('check --merge: name the shard result files (written with --out)');
    const s = mergeShards(files.map((path) => ({ path, s: readShard(path) })));
    process.stdout.write((o.json ? JSON.stringify(jsonOf(s, undefined)) : summaryText(s, undefined, kit)) + '\n');
    return s.violation !== undefined ? kit.exit.violation : kit.exit.ok;
  }
  if (files.length > 0) throw new kit.UsageError(`check: unexpected argument '${files[0]}' (files are taken only with --merge)`);
  if (o.replay !== undefined) return replayCommand(o, kit);
  const cfg = configOf(o, kit);
  if (!['random', 'pct', 'dfs'].includes(o.strategy)) throw new CheckInputError(`--strategy: unknown strategy '${o.strategy}'; known strategies: random, pct, dfs`);
  const shard = o.shard !== undefined ? parseShard(o.shard) : { index: 0, count: 1 };
  const workers = o.workers ?? Math.max(1, Math.min(availableParallelism(), 8));
  const bar = progress(o.json === true);
  const eo: ExploreOptions = {
    strategy: o.strategy as StrategyName, runs: o.runs, depth: o.depth, preemptions: o.preemptions, backgrounds: o.backgrounds, defaults: parseDefaults(o.defaults), seed: o.seed, shard, onRun: bar.onRun,
  };
  let s: CheckSummary;
  try {
    s = await exploreParallel(cfg, eo, workers);
  } finally {
    bar.stop();
  }
  if (o.out !== undefined) writeShard(o.out, s);
  let replayPath: string | undefined;
  let account = '';
  if (s.violation !== undefined) {
    // the shrunk schedule, replayed here: its account and its replay file
    const x = new Explorer(cfg);
    const a = accountOf(x, s.violation.seed, s.violation.forced, s.violation.policy);
    account = a.text;
    replayPath = o.record ?? DEFAULT_CHECK_REPLAY;
    writeCheckReplay(replayPath, checkReplayOf(cfg, a.run, s.violation.forced));
  }
  if (o.json) process.stdout.write(JSON.stringify(jsonOf(s, replayPath)) + '\n');
  else process.stdout.write(`${summaryText(s, replayPath, kit)}${account !== '' ? `\n\n${account}` : ''}\n`);
  return s.violation !== undefined ? kit.exit.violation : kit.exit.ok;
}

/** The --json object. */
function jsonOf(s: CheckSummary, replayPath: string | undefined): Record<string, unknown> {
  const v = s.violation;
  return {
    verdict: v !== undefined ? 'violation' : 'clean',
    scenario: s.scenario, protocol: s.protocol, mutate: s.mutate, cpus: s.cpus, sites: s.sites, sitesPatched: s.sitesPatched,
    strategy: s.strategy, seed: s.seed, budget: s.budget, shard: `${s.shard.index + 1}/${s.shard.count}`,
    runs: s.runs, schedules: s.schedules.length, points: s.points, incomplete: s.incomplete,
    runsPerSecond: rates(s).runs, pointsPerSecond: rates(s).points,
    violations: s.violations, exhausted: s.strategy === 'dfs' ? s.exhausted : undefined, wallMs: Math.round(s.wallMs),
    violation: v === undefined ? undefined : {
      invariant: v.invariant, kind: v.kind, cpu: v.cpu, summary: v.summary, run: v.run, seed: v.seed, policy: v.policy,
      preemptions: v.forced.length, length: v.length, decisions: v.decisions, forced: v.forced,
      originalPreemptions: v.originalPreemptions, originalLength: v.originalLength, shrinkRuns: v.shrinkRuns, replay: replayPath,
    },
  };
}

function replayCommand(o: CheckCliOptions, kit: CliKit): number {
  const r = readCheckReplay(o.replay!);
  const bytes = kit.readInput(o.kernel);
  if (sha256(bytes) !== r.kernelSha256) {
    throw new CheckInputError(`--replay ${o.replay}: recorded on kernel ${r.kernel} (sha256 ${r.kernelSha256.slice(0, 12)}...), but ${kit.displayName(resolve(o.kernel))} differs; give --kernel FILE`);
  }
  const cfg: CheckConfig = { kernel: { file: kit.displayName(resolve(o.kernel)), bytes }, scenario: r.scenario, protocol: r.protocol, mutate: r.mutate, cpus: r.cpus, sites: r.sites, nmiRate: r.nmiRate, tier: tierOf(o.tier) };
  const x = new Explorer(cfg);
  const a = accountOf(x, r.seed, r.forced, r.policy ?? 'fair');
  const div = replayDivergence(r.choices, a.run);
  if (div !== null) throw new CheckReplayError(`--replay ${o.replay}: the run no longer follows the recording: ${div}`);
  const v = a.run.violation;
  if (o.json) {
    process.stdout.write(JSON.stringify({ verdict: v !== undefined ? 'violation' : 'clean', replay: o.replay, decisions: a.run.choices.length, violation: v === undefined ? undefined : { invariant: v.invariant, kind: v.kind, cpu: v.cpu, summary: v.summary } }) + '\n');
  } else {
    process.stdout.write(`replaying ${o.replay}: ${r.scenario} / ${r.protocol}${r.mutate !== undefined ? ` --mutate ${r.mutate}` : ''} on ${r.cpus} CPUs, ${a.run.choices.length} decisions, every one as recorded\n\n${a.text}\n`);
  }
  return v !== undefined ? kit.exit.violation : kit.exit.ok;
}

export function registerCheck(program: Command, kit: CliKit): void {
  const int = kit.intOption;
  program
    .command('check')
    .description('explore the interleavings of a live-patching scenario under a protocol: a shrunk, replayable counterexample, or how much of the schedule space stayed clean')
    .argument('[files...]', 'with --merge: the shard results to combine')
    .option('--list', 'print the scenarios, protocols and mutants, a line each')
    .option('--scenario <name>', 'what the machine does (see --list)')
    .option('--protocol <name>', 'the text-patching protocol every ftrace update goes through (see --list)')
    .option('--mutate <name>', `leave one sync out of the int3 protocols (${MUTANTS.join(', ')})`)
    .option('--kernel <file>', 'ELF image to boot', kit.displayName(kit.defaultKernel))
    .option('--cpus <n>', 'number of CPUs (2-64)', int('--cpus', [2, 64]), 2)
    .option('--sites <n>', 'limit the scenario to N call sites (the hottest ones)', int('--sites', [1, 100_000]))
    .option('--nmi-rate <n>', 'NMIs per million cycles on each CPU (default: 50 in nmi-during-patch, else none)', int('--nmi-rate', [0, 1_000_000]))
    .addOption(new Option('--strategy <name>', 'how runs are chosen').choices(['random', 'pct', 'dfs']).default('random'))
    .option('--runs <n>', 'random and pct: how many runs', int('--runs', [1, 1e9]), 1000)
    .option('--depth <d>', 'pct: the bug depth (priority change points + 1)', int('--depth', [1, 100]), 3)
    .option('--preemptions <k>', 'dfs: at most this many decisions differ from the default schedule', int('--preemptions', [0, 100]), 2)
    .option('--backgrounds <n>', 'dfs: exhaust the bounded tree for this many background schedules (seeds S, S+1, ...): where the CPUs are when the patch window opens', int('--backgrounds', [1, 1_000_000]), 1)
    .option('--defaults <list>', `dfs: the default schedules whose bounded trees it explores, comma-separated: fair (round robin, newest bytes), lazy (a CPU runs on until it waits, oldest bytes)`, DEFAULT_POLICIES.join(','))
    .option('--seed <n>', 'seed of the exploration', int('--seed', [0, 0xffff_ffff]), 1)
    .option('--workers <n>', 'worker threads (default: one per core, at most 8)', int('--workers', [1, 256]))
    .option('--shard <I/N>', 'run only shard I of N (1-based), or auto/N (index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)')
    .option('--out <file>', "write this shard's result as JSON (for --merge)")
    .option('--merge', 'combine shard results (files written with --out) into one summary')
    .option('--record <file>', `where the violation's replay file goes (default ${DEFAULT_CHECK_REPLAY})`)
    .option('--replay <file>', 'reproduce a violation from its replay file, with its account')
    .option('--json', 'print one JSON object')
    .addOption(tierOption())
    .addHelpText('after', `\nExit codes: ${kit.exit.ok} clean, ${kit.exit.violation} a violation was found (or replayed), ${kit.exit.badInput} bad input.`)
    .action(async (files: string[], o: CheckCliOptions) => {
      try {
        process.exitCode = await checkCommand(o, files, kit);
      } catch (e) {
        if (e instanceof CheckInputError || e instanceof CheckReplayError || e instanceof MergeError || e instanceof ElfError || e instanceof BootError || e instanceof TierError) {
          process.stderr.write(kit.color.red(`ftsim: ${e.message}`) + '\n');
          process.exitCode = kit.exit.badInput;
        } else if (e instanceof kit.UsageError) {
          process.stderr.write(kit.color.red(`ftsim: ${e.message}`) + '\n');
          process.exitCode = kit.exit.badInput;
        } else throw e;
      }
    });
}
