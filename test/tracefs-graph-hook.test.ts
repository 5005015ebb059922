// tracefs-graph-hook.test.ts — the graph hook patches only what its users want (ftrace_startup_subops): enabled_functions under function_graph with filters, live filter changes, several users.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boot } from '../src/runner.js';
import type { DirNode } from '../src/trace/tracefs/fs.js';
import { root } from './helpers/cli.js';
import { withTracefs, readFile, type TracefsMachine } from './helpers/tracefs.js';

function machine(): TracefsMachine {
  return withTracefs(boot(readFileSync(join(root, 'fixtures', 'vmlinux')), 'vmlinux', { cpus: 2, seed: 1 }), 64);
}

/** The functions enabled_functions lists, sorted. */
const enabled = (m: TracefsMachine): string[] => readFile(m, 'enabled_functions').split('\n').filter((l) => l !== '').map((l) => l.split(' ')[0]).sort();
const matching = (m: TracefsMachine, re: RegExp): string[] =>
  readFile(m, 'available_filter_functions').split('\n').map((l) => l.split(' ')[0]).filter((f) => re.test(f)).sort();

describe('the graph hook follows the union of its users\' filters', () => {
  it('function_graph with set_ftrace_filter patches only the filtered sites, and follows a filter written while it runs', () => {
    const m = machine();
    const all = readFile(m, 'available_filter_functions').split('\n').filter((l) => l !== '').length;
    expect(m.fs.write('set_ftrace_filter', 'vfs_*\n')).toBe(0);
    expect(m.fs.write('current_tracer', 'function_graph')).toBe(0);
    expect(enabled(m)).toEqual(matching(m, /^vfs_/));
    expect(enabled(m).length).toBeLessThan(all / 10);
    expect(m.fs.write('set_ftrace_filter', 'crc32*\n')).toBe(0);
    expect(enabled(m)).toEqual(matching(m, /^crc32/));
    // notrace of the only user is the hook's notrace
    expect(m.fs.write('set_ftrace_notrace', 'crc32_le\n')).toBe(0);
    expect(enabled(m)).toEqual(matching(m, /^crc32/).filter((f) => f !== 'crc32_le'));
    // no filter: every site
    expect(m.fs.write('set_ftrace_notrace', '')).toBe(0);
    expect(m.fs.write('set_ftrace_filter', '')).toBe(0);
    expect(enabled(m).length).toBe(all);
    expect(m.fs.write('current_tracer', 'nop')).toBe(0);
    expect(enabled(m)).toEqual([]);
  });

  it('two users: the union of their filters; one user without a filter means every site; the last one leaving frees them all', () => {
    const m = machine();
    const inst = m.fs.lookup('instances') as DirNode;
    expect(inst.mkdir?.('g')).toBe(0);
    expect(m.fs.write('set_ftrace_filter', 'vfs_read\n')).toBe(0);
    expect(m.fs.write('instances/g/set_ftrace_filter', 'crc32_le\n')).toBe(0);
    expect(m.fs.write('current_tracer', 'function_graph')).toBe(0);
    expect(enabled(m)).toEqual(['vfs_read']);
    expect(m.fs.write('instances/g/current_tracer', 'function_graph')).toBe(0);
    expect(enabled(m)).toEqual(['crc32_le', 'vfs_read']);
    // a function in one user's notrace stays hooked while the other wants it (notrace hashes intersect)
    expect(m.fs.write('set_ftrace_notrace', 'crc32_le\n')).toBe(0);
    expect(enabled(m)).toEqual(['crc32_le', 'vfs_read']);
    expect(m.fs.write('instances/g/set_ftrace_filter', '')).toBe(0);
    const all = readFile(m, 'available_filter_functions').split('\n').filter((l) => l !== '').length;
    expect(enabled(m).length).toBe(all);
    expect(m.fs.write('instances/g/current_tracer', 'nop')).toBe(0);
    expect(enabled(m)).toEqual(['vfs_read']);
    expect(m.fs.write('current_tracer', 'nop')).toBe(0);
    expect(enabled(m)).toEqual([]);
  });
});
