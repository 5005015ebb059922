// `ftsim mount DIR`: the command's options and its one-line errors; the work is in src/mount/.

import { openSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ElfError, parseElf } from '../loader/elf.js';
import { BootError } from '../runner.js';
import { SymbolTable } from '../loader/symbols.js';
import { MountError, mountMain } from '../mount/mount.js';
import type { Tier } from '../machine/tier.js';
import { tierOf, tierOption } from './tier.js';

/** The bundled kernel's boot option: its SMP workers loop until the machine stops (guest/kernel/workload_smp.c). */
export const LOOP_SYMBOL = 'smp_workload_loop';

/** `--speed`: simulated seconds per real second, a non-negative decimal, or `max`; undefined when malformed. */
export function parseSpeed(text: string): number | undefined {
  if (text === 'max') return Infinity;
  if (!/^\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) && v >= 0 ? v : undefined;
}

interface MountDeps {
  UsageError: new (message: string) => Error;
  intOption: (name: string, range: readonly [number, number]) => (v: string) => number;
  displayName: (file: string) => string;
  readInput: (file: string) => Uint8Array;
  defaultKernel: string;
  ranges: { cpus: readonly [number, number]; seed: readonly [number, number]; nmiRate: readonly [number, number] };
}

export function registerMount(program: Command, d: MountDeps): void {
  program
    .command('mount')
    .description('boot a kernel image and serve its tracefs as a real filesystem at DIR (FUSE), for bash, grep, dd, python..., while the machine runs in the background; SIGINT or SIGTERM unmounts')
    .argument('<dir>', 'mount point (an existing directory)')
    .option('--kernel <file>', 'ELF image to boot', d.displayName(d.defaultKernel))
    .option('--cpus <n>', 'number of CPUs', d.intOption('--cpus', d.ranges.cpus), 4)
    .option('--seed <n>', 'seed of the random chooser', d.intOption('--seed', d.ranges.seed), 1)
    .option('--nmi-rate <n>', 'NMIs per million cycles on each CPU', d.intOption('--nmi-rate', d.ranges.nmiRate), 0)
    .option('--speed <x>', 'simulated seconds per real second (max: as fast as the host allows; 0: paused, advanced by writing a duration such as 10ms to ftsim/run)', 'max')
    .option('--module <file>', 'load this kernel module at boot, before any CPU runs (repeatable)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--console <file>', 'write the guest console (port 0xE9) to this file instead of stdout')
    .addOption(tierOption())
    .action((dir: string, opts: { kernel: string; cpus: number; seed: number; nmiRate: number; speed: string; module: string[]; console?: string; tier?: Tier }) => {
      const tier = tierOf(opts.tier);
      const speed = parseSpeed(opts.speed);
      if (speed === undefined) throw new d.UsageError(`--speed: expected a non-negative number or 'max', got '${opts.speed}'`);
      const modules = opts.module.map((m) => ({ file: d.displayName(resolve(m)), bytes: d.readInput(m) }));
      const image = d.readInput(opts.kernel);
      const file = d.displayName(resolve(opts.kernel));
      let consoleFd: number | undefined;
      if (opts.console !== undefined) {
        try {
          consoleFd = openSync(opts.console, 'w');
        } catch (e) {
          throw new d.UsageError(`--console ${opts.console}: cannot open for writing: ${(e as Error).message}`);
        }
      }
      // a kernel that knows the loop option keeps its workers busy while mounted (unless paused: then the
      // machine runs only when told, and its workers end as in `ftsim shell`)
      const pokeSymbols: Record<string, bigint> = {};
      if (speed !== 0 && SymbolTable.fromImage(parseElf(image, file)).lookup(LOOP_SYMBOL) !== undefined) pokeSymbols[LOOP_SYMBOL] = 1n;
      mountMain({ dir, image, file, cpus: opts.cpus, seed: opts.seed, nmiRate: opts.nmiRate, modules, consoleFd, pokeSymbols, speed, tier })
        .then((code) => { process.exitCode = code; })
        .catch((e: unknown) => {
          if (e instanceof MountError || e instanceof BootError || e instanceof ElfError) {
            process.stderr.write(`ftsim: mount: ${e.message}\n`);
            process.exitCode = 1;
            return;
          }
          throw e;
        });
    });
}
