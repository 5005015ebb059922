// tracefs-instance-release.test.ts — rmdir of an instance (__remove_instance) leaves nothing holding its trace array: the module-load hook its set_ftrace_filter added goes with it, so a mkdir/rmdir loop (instances/instance.tc) does not keep a ring buffer per round.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boot } from '../src/runner.js';
import type { DirNode } from '../src/trace/tracefs/fs.js';
import { root } from './helpers/cli.js';
import { withTracefs } from './helpers/tracefs.js';

/** The bundled kernel's tracefs: its module-load hooks, its instances/ directory, and how many hooks there are before any instance. */
function booted(): { hooks: unknown[]; inst: DirNode; before: number } {
  const m = withTracefs(boot(readFileSync(join(root, 'fixtures', 'vmlinux')), 'vmlinux', { cpus: 1, seed: 1 }), 64);
  const hooks = m.b.ftrace!.core.moduleEnableHooks;
  return { hooks, inst: m.fs.lookup('instances') as DirNode, before: hooks.length };
}

describe('instances/: rmdir releases the instance', () => {
  it('mkdir adds a module-load hook (the negative control: what rmdir must take back), rmdir removes it', () => {
    const { hooks, inst, before } = booted();
    expect(inst.mkdir!('a')).toBe(0);
    expect(hooks.length).toBe(before + 1);
    expect(inst.rmdir!('a')).toBe(0);
    expect(hooks.length).toBe(before);
    for (let i = 0; i < 20; i++) {
      expect(inst.mkdir!('x')).toBe(0);
      expect(inst.rmdir!('x')).toBe(0);
    }
    expect(hooks.length).toBe(before);
  });

  it('the hook of an instance still there keeps working for the others: rmdir of one leaves the other\'s', () => {
    const { hooks, inst, before } = booted();
    expect(inst.mkdir!('a')).toBe(0);
    expect(inst.mkdir!('b')).toBe(0);
    const bHook = hooks[before + 1];
    expect(inst.rmdir!('a')).toBe(0);
    expect(hooks).toHaveLength(before + 1);
    expect(hooks[before]).toBe(bHook);
  });
});
