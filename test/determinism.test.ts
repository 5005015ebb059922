// determinism.test.ts — same seed, same run; a recorded run replays decision for decision, violations included.

import { describe, it, expect } from 'vitest';
import { patchBed, runUntilReaders, writer, skipSiteHandler } from './helpers/tiny.js';
import { RecordingChooser, RandomChooser, ReplayChooser, ReplayDivergence, type Chooser } from '../src/machine/chooser.js';
import { memoryHash } from '../src/runner.js';

function run(chooser: Chooser, protocol: 'naive' | 'int3' | null) {
  const bed = patchBed({ cpus: 4, chooser, loops: 3000 });
  runUntilReaders(bed);
  bed.kernel.int3Handlers.push(skipSiteHandler(bed));
  if (protocol) bed.kernel.startHostThread(0, writer(bed, protocol, 10));
  const o = bed.kernel.run(5_000_000);
  return {
    reason: o.reason,
    violation: o.violation?.summary,
    retired: bed.kernel.cpus.map((c) => c.retired),
    cycles: bed.kernel.cpus.map((c) => c.cycles),
    hash: memoryHash(bed.machine),
    log: bed.kernel.choices.slice(),
  };
}

describe('determinism', () => {
  it('two runs with the same seed are identical; another seed interleaves differently', () => {
    const a = run(new RandomChooser(7), 'int3');
    const b = run(new RandomChooser(7), 'int3');
    expect(a.reason).toBe('halted');
    expect(b).toEqual(a);
    const c = run(new RandomChooser(8), 'int3');
    expect(c.log).not.toEqual(a.log);
  });

  it('a recorded run replays bit for bit', () => {
    const rec = new RecordingChooser(new RandomChooser(11));
    const a = run(rec, 'int3');
    const b = run(new ReplayChooser(rec.log), 'int3');
    expect(b.retired).toEqual(a.retired);
    expect(b.cycles).toEqual(a.cycles);
    expect(b.hash).toBe(a.hash);
  });

  it('a recorded violation replays to the same violation', () => {
    let seed = 1;
    let a: ReturnType<typeof run> | undefined;
    let rec: RecordingChooser | undefined;
    for (; seed <= 30; seed++) {
      rec = new RecordingChooser(new RandomChooser(seed));
      a = run(rec, 'naive');
      if (a.violation) break;
    }
    expect(a?.violation).toBeDefined();
    const b = run(new ReplayChooser(rec!.log), 'naive');
    expect(b.violation).toBe(a!.violation);
    expect(b.retired).toEqual(a!.retired);
  });

  it('a replay that diverges says where', () => {
    const rec = new RecordingChooser(new RandomChooser(3));
    run(rec, null);
    const broken = rec.log.slice();
    broken[5] = ['fetch', 2, 0];
    expect(() => run(new ReplayChooser(broken, 'broken.replay'), null)).toThrow(ReplayDivergence);
    expect(() => run(new ReplayChooser(broken, 'broken.replay'), null)).toThrow(/no longer follows the recording at decision #6 \(how long a CPU runs, one of \d+\): the recording has which value a CPU fetches/);
  });
});
