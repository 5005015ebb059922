// mount-loop.test.ts — the mounted machine's clock (src/mount/machine_loop.ts): a long-running mount keeps no decision log, so its heap does not grow with the run.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boot } from '../src/runner.js';
import { MachineLoop } from '../src/mount/machine_loop.js';
import { root } from './helpers/cli.js';

function loopingMachine() {
  return boot(readFileSync(join(root, 'fixtures', 'vmlinux')), 'vmlinux', { cpus: 2, seed: 3, pokeSymbols: { smp_workload_loop: 1n } });
}

describe('the mount drops the scheduler\'s decision log', () => {
  it('a run outside the loop logs its decisions (the negative control: what grew without end); a run through the loop leaves none', () => {
    const b = loopingMachine();
    // the workers' runs make multi-way decisions from about 5M steps on
    b.kernel.run(b.kernel.steps + 8_000_000);
    expect(b.kernel.choices.length).toBeGreaterThan(1000);
    const loop = new MachineLoop(b.kernel, { speed: 0, onSlice: () => {}, onStop: () => {} });
    const before = b.kernel.steps;
    expect(loop.run(1_000_000).reason).toBe('max-steps');
    expect(b.kernel.steps - before).toBe(1_000_000);
    expect(b.kernel.choices).toHaveLength(0);
  });
});
