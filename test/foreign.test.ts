// foreign.test.ts — a C program ftsim's authors did not write (zlib's examples/enough.c) runs unmodified as a guest.

import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasGcc, GUEST_CFLAGS } from './helpers/gcc.js';
import { bootAndRun } from '../src/runner.js';

const ENOUGH = '/usr/share/doc/zlib1g-dev/examples/enough.c';
const libc = join(__dirname, 'fixtures', 'foreign', 'minilibc.c');
const ready = hasGcc() && existsSync(ENOUGH);

describe.skipIf(!ready)(`an unmodified third-party program (${ENOUGH}; skipped without gcc and zlib1g-dev)`, () => {
  it('prints exactly what the same source prints natively', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftsim-foreign-'));
    const args = ['100', '8', '12'];
    const guest = join(dir, 'enough.elf');
    const cc = spawnSync('gcc', [...GUEST_CFLAGS, '-fno-builtin', `-DGUEST_ARGS=${args.map((a) => `"${a}"`).join(',')}`, ENOUGH, libc, '-o', guest], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const native = join(dir, 'enough-native');
    const nc = spawnSync('gcc', ['-O2', ENOUGH, '-o', native], { encoding: 'utf8' });
    expect(nc.status, nc.stderr).toBe(0);
    const want = spawnSync(native, args, { encoding: 'latin1' }).stdout;
    const r = bootAndRun(readFileSync(guest), guest, { cpus: 1 });
    expect(r.error).toBeUndefined();
    expect(r.exitReason).toBe('halted');
    expect(r.console).toBe(want);
    expect(want.split('\n').length).toBeGreaterThan(5);
  });
});
