// The function tracer from boot against the hardware for a third-party program: zlib's examples/enough.c built natively with -pg -mfentry and a logging __fentry__, compared with `function` tracing of the same source built as a guest by the same gcc.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODULE_CFLAGS, buildGuest, canRunNativeX86, hasGcc } from './helpers/gcc.js';
import { buildFentryShim, firstDifference, runLogged, sh, textSymbolNames, traceFromBoot, traceNames } from './helpers/fentry-native.js';

const ENOUGH = '/usr/share/doc/zlib1g-dev/examples/enough.c';
const LIBC = join(__dirname, 'fixtures', 'foreign', 'minilibc.c');
const ready = hasGcc() && canRunNativeX86() && existsSync(ENOUGH);

/** Everything one comparison needs: both sequences (minilibc's functions left out), the raw guest trace, both outputs. */
interface Compared { native: string[]; guest: string[]; guestRaw: string[]; enoughFns: Set<string>; libcFns: Set<string>; overrun: number; nativeOut: string; guestOut: string }

/**
 * Builds enough.c natively (-O2 -pg -mfentry, linked with the logging shim against the host's libc,
 * which is not built with -pg) and as a guest (GUEST_CFLAGS: -pg -mfentry -mrecord-mcount, linked with
 * minilibc.c, which those flags DO instrument), runs both with `args`, and returns the two
 * function-entry sequences. minilibc's functions are left out of both sequences by the same filter:
 * the host libc's counterparts (printf, malloc, strtol...) are not traced natively, so they cannot be
 * compared (natively the filter removes nothing: checked by the test).
 */
function compare(dir: string, args: string[], notrace: string[] = []): Compared {
  const common = ['-O2', '-pg', '-mfentry', '-fno-builtin', '-fcf-protection=none', '-fno-stack-protector'];
  const obj = join(dir, 'enough.o');
  sh('gcc', [...common, '-fno-pie', '-c', ENOUGH, '-o', obj]);
  const exe = join(dir, 'enough-pg');
  sh('gcc', ['-no-pie', '-o', exe, obj, ...buildFentryShim(dir)]);
  const nativeOut = sh(exe, args, { env: { ...process.env, FENTRY_LOG: '/dev/null' } });
  const nativeAll = runLogged(exe, args, dir);
  const enoughFns = textSymbolNames(obj);

  // minilibc's function names, as the guest flags compile it (same clones, e.g. format.constprop.0)
  const libcObj = join(dir, 'minilibc.o');
  sh('gcc', [...MODULE_CFLAGS, '-fno-builtin', LIBC, '-o', libcObj]);
  const libcFns = textSymbolNames(libcObj);
  libcFns.add('__fentry__');

  const elf = buildGuest([ENOUGH, LIBC], join(dir, 'enough.elf'), ['-fno-builtin', `-DGUEST_ARGS=${args.map((a) => `"${a}"`).join(',')}`]);
  const { run, tr, bootErr } = traceFromBoot(readFileSync(elf), elf, { tracer: 'function', sizeKb: 32768, notrace });
  expect(run.error).toBeUndefined();
  expect(run.exitReason).toBe('halted');
  expect(bootErr).toBe('');
  const guestRaw = traceNames(tr);
  const keep = (n: string): boolean => !libcFns.has(n);
  return {
    native: nativeAll.filter(keep), guest: guestRaw.filter(keep), guestRaw, enoughFns, libcFns,
    overrun: tr.buffer.stats(0).overrun, nativeOut, guestOut: run.console,
  };
}

describe('firstDifference (the comparison the hardware tests use)', () => {
  it('is undefined for equal sequences and names the first differing index with context', () => {
    expect(firstDifference(['a', 'b'], ['a', 'b'])).toBeUndefined();
    const d = firstDifference(['a', 'b', 'c', 'd'], ['a', 'b', 'x', 'd'], ['native', 'guest'], 1);
    expect(d?.index).toBe(2);
    expect(d?.message).toBe('sequences differ at index 2 (lengths native 4, guest 4); from index 1:\n  native: b [c] d\n  guest: b [x] d');
  });
  it('reports a sequence that is a prefix of the other at the index where it ends', () => {
    const d = firstDifference(['a', 'b', 'c'], ['a', 'b'], ['native', 'guest'], 1);
    expect(d?.index).toBe(2);
    expect(d?.message).toContain('lengths native 3, guest 2');
    expect(d?.message).toContain('guest: b [end]');
  });
});

describe.skipIf(!ready)(`function tracer vs a native -pg -mfentry build of a third-party program (${ENOUGH}; needs gcc, zlib1g-dev, x86-64 Linux)`, () => {
  it('the guest trace of enough.c from boot enters the same enough.c functions in the same order as the native build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftsim-foreign-fentry-'));
    try {
      const c = compare(dir, ['80', '8', '12']);
      // the run itself is the same program: same output
      expect(c.guestOut).toBe(c.nativeOut);
      expect(c.overrun).toBe(0);
      // natively only enough.c is built with -pg: every entry is one of its functions, the filter removed nothing
      expect([...new Set(c.native.filter((n) => !c.enoughFns.has(n)))]).toEqual([]);
      // the guest traced nothing but enough.c's and minilibc's functions, and did trace minilibc's
      expect(c.guestRaw.filter((n) => !c.enoughFns.has(n) && !c.libcFns.has(n))).toEqual([]);
      expect(c.guestRaw.length).toBeGreaterThan(c.guest.length);
      expect(new Set(c.guest)).toEqual(c.enoughFns);
      // 223,763 entries (with `100 8 12`, the foreign test's arguments: 481,547, equal too, twice the time)
      expect(c.native.length).toBeGreaterThan(200_000);
      const diff = firstDifference(c.native, c.guest);
      expect(diff?.message).toBeUndefined();
      expect(c.guest.length).toBe(c.native.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('negative control: with examine in set_ftrace_notrace the comparison fails at examine\'s first entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftsim-foreign-fentry-'));
    try {
      const c = compare(dir, ['30', '8', '9'], ['examine']);
      expect(c.guest).not.toContain('examine');
      const first = c.native.indexOf('examine');
      expect(first).toBeGreaterThan(0);
      const diff = firstDifference(c.native, c.guest);
      expect(diff?.index).toBe(first);
      expect(diff?.message).toContain('native: ');
      expect(diff?.message).toMatch(/native:.*\[examine\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
