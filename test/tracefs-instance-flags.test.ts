// tracefs-instance-flags.test.ts — a new instance starts with the top level's trace flags (minus the zeroed ones), and copy_trace_marker sends the top's trace_marker writes into the instances that ask for them (6.18).

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boot } from '../src/runner.js';
import { ENODEV, type DirNode } from '../src/trace/tracefs/fs.js';
import { root } from './helpers/cli.js';
import { withTracefs, readFile, type TracefsMachine } from './helpers/tracefs.js';

function machine(): TracefsMachine {
  return withTracefs(boot(readFileSync(join(root, 'fixtures', 'vmlinux')), 'vmlinux', { cpus: 1, seed: 1 }), 64);
}

function mkdir(m: TracefsMachine, name: string): void {
  const d = m.fs.lookup('instances') as DirNode;
  expect(d.mkdir?.(name)).toBe(0);
}

const markers = (m: TracefsMachine, path: string): string[] =>
  readFile(m, path).split('\n').filter((l) => l.includes('tracing_mark_write: ')).map((l) => l.replace(/.*tracing_mark_write: /, ''));

describe('instances inherit the top level\'s flags', () => {
  it('a flag changed at the top before mkdir is changed in the new instance; event-fork, function-fork, trace_printk_dest and copy_trace_marker start off', () => {
    const m = machine();
    for (const o of ['sym-offset', 'noprint-parent', 'function-fork', 'event-fork', 'latency-format']) expect(m.fs.write('trace_options', o)).toBe(0);
    mkdir(m, 'a');
    const opts = readFile(m, 'instances/a/trace_options').split('\n');
    for (const o of ['sym-offset', 'noprint-parent', 'latency-format', 'nofunction-fork', 'noevent-fork', 'notrace_printk_dest', 'nocopy_trace_marker']) expect(opts).toContain(o);
    // the top keeps its own
    const top = readFile(m, 'trace_options').split('\n');
    for (const o of ['function-fork', 'event-fork', 'trace_printk_dest', 'copy_trace_marker']) expect(top).toContain(o);
    // negative control: an instance made before the change keeps the defaults
    const m2 = machine();
    mkdir(m2, 'b');
    expect(m2.fs.write('trace_options', 'sym-offset')).toBe(0);
    expect(readFile(m2, 'instances/b/trace_options').split('\n')).toContain('nosym-offset');
  });
});

describe('copy_trace_marker', () => {
  it('the top\'s trace_marker writes into every array with the option; an instance\'s own writes stay there; none with it is -ENODEV', () => {
    const m = machine();
    mkdir(m, 'a');
    mkdir(m, 'b');
    expect(m.fs.write('trace_marker', 'one')).toBe(0);
    expect(markers(m, 'trace')).toEqual(['one']);
    expect(markers(m, 'instances/a/trace')).toEqual([]);
    expect(m.fs.write('instances/a/options/copy_trace_marker', '1')).toBe(0);
    expect(m.fs.write('trace_marker', 'two')).toBe(0);
    expect(markers(m, 'trace')).toEqual(['one', 'two']);
    expect(markers(m, 'instances/a/trace')).toEqual(['two']);
    expect(markers(m, 'instances/b/trace')).toEqual([]);
    // the top stops copying to itself: its writes go to a only
    expect(m.fs.write('options/copy_trace_marker', '0')).toBe(0);
    expect(m.fs.write('trace_marker', 'three')).toBe(0);
    expect(markers(m, 'trace')).toEqual(['one', 'two']);
    expect(markers(m, 'instances/a/trace')).toEqual(['two', 'three']);
    // an instance's own trace_marker writes into its own buffer, whatever the flags
    expect(m.fs.write('instances/b/trace_marker', 'mine')).toBe(0);
    expect(markers(m, 'instances/b/trace')).toEqual(['mine']);
    expect(markers(m, 'instances/a/trace')).toEqual(['two', 'three']);
    // nobody copies: -ENODEV, nothing written anywhere
    expect(m.fs.write('instances/a/options/copy_trace_marker', '0')).toBe(0);
    expect(m.fs.write('trace_marker', 'four')).toBe(-ENODEV);
    expect(markers(m, 'trace')).toEqual(['one', 'two']);
    expect(markers(m, 'instances/a/trace')).toEqual(['two', 'three']);
  });
});
