// shell-coverage.test.ts — every file of the tracefs tree (kernel/trace/trace.c init_tracer_tracefs and friends, on the booted bundled kernel) is named by at least one test/shell/*.sh script, so the `ftsim shell` suite cannot silently stop covering one.
//
// Paths collapse as the tree repeats itself: per_cpu/cpuN, events/SYS/EVENT/FILE, events/SYS/{enable,filter},
// instances/INST/. A script names a file by a path from the mount (after the script's `cd`s), or by a
// glob in its last component that the shell expands (`grep . instances/a/options/*`).

import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boot } from '../src/runner.js';
import { TraceArray } from '../src/trace/trace_functions.js';
import { buildTracefs, type TracefsContext } from '../src/trace/tracefs/index.js';
import type { DirNode } from '../src/trace/tracefs/fs.js';

const root = join(__dirname, '..');
const scripts = join(root, 'test', 'shell');

/** The collapsed name of a path from the mount. */
export function collapse(path: string): string {
  return path
    .replace(/^instances\/[^/]+\//, 'instances/INST/')
    .replace(/(^|\/)per_cpu\/cpu\d+\//, '$1per_cpu/cpuN/')
    .replace(/(^|\/)events\/[^/]+\/[^/]+\/(enable|filter|format|id|trigger|hist)$/, '$1events/SYS/EVENT/$2')
    .replace(/(^|\/)events\/(?!SYS\/)[^/]+\/(enable|filter)$/, '$1events/SYS/$2');
}

/** Every file of the tree (with one instance), collapsed. */
function treeFiles(): Set<string> {
  const image = new Uint8Array(readFileSync(join(root, 'fixtures', 'vmlinux')));
  const b = boot(image, 'vmlinux', { cpus: 2, seed: 1 });
  const ctx: TracefsContext = { b, run: (n) => b.kernel.run(b.kernel.steps + n) };
  const fs = buildTracefs(ctx, new TraceArray(b.kernel, b.ftrace!.core, b.ftrace!.arch));
  expect((fs.root.lookup('instances') as DirNode).mkdir!('cov')).toBe(0);
  const out = new Set<string>();
  const walk = (d: DirNode, at: string): void => {
    for (const [n, node] of d.entries()) {
      const p = at === '' ? n : `${at}/${n}`;
      if (node.kind === 'dir') walk(node, p);
      else out.add(collapse(p));
    }
  };
  walk(fs.root, '');
  return out;
}

/** Resolve `p` against the directory `cwd` (both from the mount); null when it leaves the mount. */
function resolve(cwd: string, p: string): string | null {
  const MOUNT = '/sys/kernel/tracing';
  let segs: string[];
  if (p.startsWith('/')) {
    if (p !== MOUNT && !p.startsWith(`${MOUNT}/`)) return null;
    segs = p.slice(MOUNT.length).split('/');
  } else segs = [...cwd.split('/'), ...p.split('/')];
  const out: string[] = [];
  for (const s of segs) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(s);
  }
  return out.join('/');
}

/** The collapsed paths (and globs) the scripts name. */
function named(): { paths: Set<string>; globs: RegExp[] } {
  const paths = new Set<string>();
  const globs: RegExp[] = [];
  for (const f of readdirSync(scripts).filter((n) => n.endsWith('.sh'))) {
    let cwd = '';
    for (const line of readFileSync(join(scripts, f), 'utf8').split('\n')) {
      if (line.trim().startsWith('#')) continue;
      for (const cmd of line.split(/[;|&]/)) {
        const words = cmd.replace(/[<>]/g, ' ').split(/\s+/).filter((w) => w !== '').map((w) => w.replace(/['"]/g, ''));
        if (words[0] === 'cd') {
          cwd = words.length === 1 ? '' : resolve(cwd, words[1]) ?? cwd;
          continue;
        }
        for (const w of words) {
          const r = resolve(cwd, w);
          if (r === null || r === '') continue;
          const c = collapse(r);
          if (/[*?]/.test(c)) globs.push(new RegExp(`^${c.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`));
          else paths.add(c);
        }
      }
    }
  }
  return { paths, globs };
}

describe('ftsim shell scripts cover the whole tracefs tree', () => {
  const tree = treeFiles();
  const { paths, globs } = named();
  const covered = (p: string): boolean => paths.has(p) || globs.some((g) => g.test(p));

  it('collapses the repeated parts of the tree (and the collapse is not everything-to-one)', () => {
    expect(collapse('per_cpu/cpu1/trace')).toBe('per_cpu/cpuN/trace');
    expect(collapse('instances/a/per_cpu/cpu0/stats')).toBe('instances/INST/per_cpu/cpuN/stats');
    expect(collapse('events/sched/sched_switch/format')).toBe('events/SYS/EVENT/format');
    expect(collapse('events/sched/enable')).toBe('events/SYS/enable');
    expect(collapse('events/enable')).toBe('events/enable');
    expect(collapse('trace')).toBe('trace');
    expect(tree.size).toBeGreaterThan(150);
    expect(tree.has('README')).toBe(true);
    expect(tree.has('instances/INST/set_ftrace_filter')).toBe(true);
  });

  it('resolves script paths as the shell does (cd, .., absolute paths; outside the mount is nothing)', () => {
    expect(resolve('per_cpu', '../trace')).toBe('trace');
    expect(resolve('', '/sys/kernel/tracing/options/hex')).toBe('options/hex');
    expect(resolve('', '/proc/version')).toBeNull();
    expect(resolve('', '../x')).toBeNull();
  });

  it('a file no script names is reported (negative control: a made-up file is not covered)', () => {
    expect(covered('no_such_tracefs_file')).toBe(false);
    expect(covered('instances/INST/no_such_file')).toBe(false);
  });

  it('every file of the tree appears in some script', () => {
    const missing = [...tree].filter((p) => !covered(p)).sort();
    expect(missing).toEqual([]);
  });
});
