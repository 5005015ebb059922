// `ftsim run --livepatch OLD=NEW`: parse the patches, apply them at boot before the image's entry point, report how many calls each redirected (the CLI side of src/livepatch/patch.ts).

import { KlpMonitor } from '../livepatch/monitor.js';
import type { Booted } from '../runner.js';
import type { ElfImage } from '../loader/elf.js';
import { Livepatch, KlpFunc, klpImageResolver, runBeforeBoot } from '../livepatch/patch.js';

/** One `--livepatch OLD=NEW`. */
export interface LivepatchSpec {
  oldName: string;
  newName: string;
}

const NAME = /^[A-Za-z_.$][\w.$]*$/;

/** Parse every --livepatch value; throws a message (for a UsageError) naming the bad value. */
export function parseLivepatchSpecs(values: readonly string[]): LivepatchSpec[] {
  const out: LivepatchSpec[] = [];
  for (const v of values) {
    const eq = v.indexOf('=');
    const oldName = eq < 0 ? '' : v.slice(0, eq);
    const newName = eq < 0 ? '' : v.slice(eq + 1);
    if (!NAME.test(oldName) || !NAME.test(newName)) {
      throw new Error(`--livepatch '${v}': expected OLD=NEW, two function names (e.g. --livepatch crc32_le=crc32_le_v2)`);
    }
    const dup = out.find((s) => s.oldName === oldName);
    if (dup) throw new Error(`--livepatch ${oldName}=${newName}: ${oldName} is already patched by --livepatch ${dup.oldName}=${dup.newName}`);
    out.push({ oldName, newName });
  }
  return out;
}

/**
 * Apply the patches on a booted machine before any CPU runs: each klpEnable runs to its end there (only
 * the boot CPU exists, so text_poke_bp waits for nobody). Throws the livepatch's message on the first
 * patch the kernel refuses.
 */
export function applyBootLivepatches(b: Booted, img: ElfImage, specs: readonly LivepatchSpec[]): Livepatch {
  if (!b.ftrace) throw new Error(`--livepatch: ${img.file} has no __mcount_loc: livepatch needs dynamic ftrace`);
  const arch = b.ftrace.arch;
  const lp = new Livepatch(b.ftrace.core, klpImageResolver(img), { currentCpu: () => arch.current?.id ?? null });
  for (const s of specs) {
    const r = runBeforeBoot(lp.klpEnable(s.oldName, s.newName));
    if (r.err) throw new Error(`--livepatch ${s.oldName}=${s.newName}: ${r.message}`);
  }
  // invariant 9 for the whole run: every call of a patched function runs its replacement
  if (b.kernel.cpus.every((c) => c.flow !== null)) {
    new KlpMonitor(lp, { currentTask: (c) => b.kernel.sched.current[c], symbolize: (a) => b.symbols.format(a) }).install(b.kernel.cpus);
  }
  return lp;
}

/** What each patch did, for the run's summary. */
export function livepatchSummary(lp: Livepatch): { old: string; new: string; redirected: number }[] {
  return [...lp.funcs.values()].map((f: KlpFunc) => ({ old: f.oldName, new: f.newName, redirected: f.redirected }));
}
