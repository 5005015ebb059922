// cli-live.test.ts — `ftsim run --live TRACER` (what `npm start` runs): a tracer switched on and off while every CPU runs the bundled kernel.

import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ftsimIn, noStackTrace, root } from './helpers/cli.js';
import { parseElf } from '../src/loader/elf.js';

const dir = mkdtempSync(join(tmpdir(), 'ftsim-live-'));
const vmlinuxConsole = readFileSync(join(root, 'fixtures', 'vmlinux.console'), 'utf8');
const ftsim = (...args: string[]) => ftsimIn(dir, ...args);
/** The bundled kernel's traceable functions (its __mcount_loc sites). */
const SITES = parseElf(readFileSync(join(root, 'fixtures', 'vmlinux')), 'vmlinux').mcountLoc.length;

describe('ftsim run --live', () => {
  it('switches function tracing on and off on 4 running CPUs: every site each way, int3 hits emulated, the console unchanged', () => {
    const r = ftsim('run', '--live', 'function', '--live-steps', '1e6', '--trace', 'live.trace', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as {
      console: string; exitReason: string;
      live: { switches: { to: string; err: number; recordsChanged: number; enabledRecords: number; int3Claims: number; batches: number }[]; entries: number[]; overruns: number[] };
    };
    expect(s.exitReason).toBe('halted');
    expect(s.console).toBe(vmlinuxConsole);
    const [on, off] = s.live.switches;
    expect(on).toMatchObject({ to: 'function', err: 0, recordsChanged: SITES, enabledRecords: SITES });
    expect(off).toMatchObject({ to: 'nop', err: 0, recordsChanged: SITES, enabledRecords: 0 });
    // the CPUs really ran through the sites while they moved: the #BP handler emulated calls
    expect(on.int3Claims + off.int3Claims).toBeGreaterThan(0);
    expect(s.live.entries).toHaveLength(4);
    const trace = readFileSync(join(dir, 'live.trace'), 'utf8');
    expect(trace).toMatch(/^# tracer: function\n/);
    const m = /^# entries-in-buffer\/entries-written: (\d+)\/(\d+)   #P:4$/m.exec(trace);
    expect(m).not.toBeNull();
    const entries = s.live.entries.reduce((a, b) => a + b, 0);
    expect(Number(m![1])).toBe(entries);
    expect(Number(m![2])).toBe(entries + s.live.overruns.reduce((a, b) => a + b, 0));
    const lines = trace.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines.length).toBe(entries);
    // entries come from more than one CPU, and each names a function and its caller
    expect(new Set(lines.map((l) => /\[(\d{3})\]/.exec(l)?.[1])).size).toBeGreaterThan(1);
    for (const l of lines) expect(l).toMatch(/^ +\S+-\d+ +\[\d{3}\] [.dDb][.nNpP][.hHsSzZ][.0-9a-f][.0-9a-f] +\d+\.\d{6}: \w+ <-\S+$/);
  });

  it('tells what it does on stderr: the switch each way, the counts, and an excerpt of the trace', () => {
    const r = ftsim('run', '--live', 'function_graph', '--live-steps', '5e5');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(vmlinuxConsole);
    expect(r.stderr).toMatch(/^ftsim: every CPU is up \(step \d+\); switching current_tracer to function_graph live on 4 running CPUs$/m);
    expect(r.stderr).toMatch(new RegExp(`^ftsim: function_graph on: ${SITES} call sites patched nop -> call .* text_poke_bp batches; \\d+ int3 hits emulated`, 'm'));
    expect(r.stderr).toMatch(/^ftsim: # CPU  DURATION                  FUNCTION CALLS$/m);
    expect(r.stderr).toMatch(/^ftsim: +\d\) .*\|/m);
    expect(r.stderr).toMatch(new RegExp(`^ftsim: nop again: ${SITES} call sites patched call -> nop .*; 0 sites still call ftrace for other ops$`, 'm'));
  });

  it('refuses a bad --live before the run, with a precise message', () => {
    for (const [args, msg] of [
      [['--live', 'nop'], /^ftsim: --live nop: no such tracer to switch on \(available: function_graph function\)$/m],
      [['--live', 'blk'], /^ftsim: --live blk: no such tracer/m],
      [['--live', 'function', '--tracer', 'function'], /^ftsim: --live and --tracer exclude each other/m],
      [['--live-steps', '10'], /^ftsim: --live-steps needs --live TRACER$/m],
      [['--live', 'function', '--live-steps', '0'], /^ftsim: --live-steps: expected an integer from 1 to /m],
    ] as const) {
      const r = ftsim('run', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
      noStackTrace(r.stderr);
    }
  });

  it('a replay file records the tracing options and reruns them: the same run, decision for decision; other values are refused', () => {
    const rec = ftsim('run', '--live', 'function', '--live-steps', '3e5', '--livepatch', 'crc32_le=crc32_le_v2', '--max-steps', '9e6', '--record', 'live.replay', '--json');
    expect(rec.code, rec.stderr).toBe(4);
    const file = JSON.parse(readFileSync(join(dir, 'live.replay'), 'utf8')) as { run: Record<string, unknown> };
    expect(file.run).toMatchObject({ live: 'function', liveSteps: 300_000, livepatch: ['crc32_le=crc32_le_v2'], filter: [] });
    const again = ftsim('run', '--replay', 'live.replay', '--json');
    expect(again.code, again.stderr).toBe(4);
    const [a, b] = [JSON.parse(rec.stdout), JSON.parse(again.stdout)] as { steps: number; memorySha256: string; decisions: number; live: unknown }[];
    expect(b.steps).toBe(a.steps);
    expect(b.memorySha256).toBe(a.memorySha256);
    expect(b.decisions).toBe(a.decisions);
    expect(b.live).toEqual(a.live);
    // the same options given again are fine; others are refused before the run
    expect(ftsim('run', '--replay', 'live.replay', '--live', 'function', '--json').code).toBe(4);
    const bad = ftsim('run', '--replay', 'live.replay', '--live', 'function_graph');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ftsim: --live: not what the replay file live.replay recorded \(.*--live function --live-steps 300000 --livepatch crc32_le=crc32_le_v2\); drop them to rerun the recorded ones, or record a new run$/m);
    noStackTrace(bad.stderr);
  });
});
