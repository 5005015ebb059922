// cli.test.ts — the ftsim command as a user meets it: output, --json, exit codes, precise errors, replay files, disasm.
//
// Most tests run on the committed fixtures/vmlinux, so they run everywhere; only those that need a
// guest that faults, violates an invariant or spins (test/fixtures/cli/hello.c, built fresh) need gcc.

import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ftsimIn, noStackTrace, type Ran } from './helpers/cli.js';
import { ftsimEnv } from './helpers/shards.js';
import { hasGcc, hasObjdump, buildGuest, objdump } from './helpers/gcc.js';
import { parseInteger } from '../src/cli/main.js';

const root = join(__dirname, '..');
const vmlinux = join(root, 'fixtures', 'vmlinux');
const vmlinuxConsole = readFileSync(join(root, 'fixtures', 'vmlinux.console'), 'utf8');
const src = join(root, 'test', 'fixtures', 'cli', 'hello.c');
const dir = mkdtempSync(join(tmpdir(), 'ftsim-cli-'));

function ftsim(...args: string[]): Ran {
  return ftsimIn(dir, ...args);
}

/** A fresh folder to run in (violation replays land in the working directory). */
function freshDir(): string {
  return mkdtempSync(join(dir, 'cwd-'));
}

let shortReplay: string | undefined;
/** Records (once) a short run of the bundled kernel, on 2 CPUs so that the chooser decides; returns the replay's name. */
function recordShort(): string {
  if (shortReplay === undefined) {
    const r = ftsim('run', '--kernel', vmlinux, '--cpus', '2', '--max-steps', '8_000_000', '--record', 'short.replay', '--json');
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).decisions).toBeGreaterThan(0);
    shortReplay = 'short.replay';
  }
  return shortReplay;
}

/** A copy of a replay file with its JSON edited. */
function editReplay(from: string, to: string, edit: (j: Record<string, any>) => void): string {
  const j = JSON.parse(readFileSync(join(dir, from), 'utf8'));
  edit(j);
  writeFileSync(join(dir, to), JSON.stringify(j));
  return to;
}

describe('ftsim run on the bundled kernel', () => {
  it('prints the guest console and exits 0 when every CPU halted', () => {
    const r = ftsim('run', '--kernel', vmlinux);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(vmlinuxConsole);
    expect(r.stderr).toMatch(/all CPUs halted after \d+ instructions/);
  });

  it('--json prints one summary object with per-CPU figures, where each CPU stopped, and the default step limit', () => {
    const r = ftsim('run', '--kernel', vmlinux, '--json', '--cpus', '2');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.exitReason).toBe('halted');
    expect(j.console).toMatch(/^\[ {4}0\.000000\] Linux version/);
    expect(j.cpus).toHaveLength(2);
    expect(j.cpus[0].instructions).toBeGreaterThan(1000);
    expect(j.cpus[0].halted).toBe(true);
    expect(j.cpus[0].state).toBe('halted');
    expect(j.cpus[0].rip).toMatch(/^0x[0-9a-f]+$/);
    expect(typeof j.cpus[0].symbol).toBe('string');
    expect(j.maxSteps).toBe(2_000_000_000);
    expect(j.maxStepsSource).toBe('default');
    expect(typeof j.wallMs).toBe('number');
    expect(j.memorySha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('--console writes the console to a file', () => {
    const out = join(dir, 'console.txt');
    const r = ftsim('run', '--kernel', vmlinux, '--console', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(vmlinuxConsole);
  });

  it('--record then --replay gives the same run', () => {
    const a = ftsim('run', '--kernel', vmlinux, '--cpus', '3', '--seed', '9', '--record', 'ok.replay', '--json');
    const b = ftsim('run', '--kernel', vmlinux, '--replay', 'ok.replay', '--json');
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ja = JSON.parse(a.stdout), jb = JSON.parse(b.stdout);
    expect(ja.decisions).toBeGreaterThan(0);
    expect(jb.cpus).toEqual(ja.cpus);
    expect(jb.memorySha256).toBe(ja.memorySha256);
  });

  it('a replay without --kernel boots the image it names', () => {
    const r = ftsim('run', '--replay', recordShort(), '--json');
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).maxStepsSource).toBe('replay');
  });

  it('at the step limit it says which limit, and where each CPU was (rip and symbol), exit 4', () => {
    const r = ftsim('run', '--kernel', vmlinux, '--cpus', '2', '--max-steps', '8e6');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/stopped at the step limit \(--max-steps 8_000_000\) after \d+ instructions; not every CPU halted/);
    for (const cpu of [0, 1]) {
      expect(r.stderr).toMatch(new RegExp(`\\n  cpu${cpu}: (running|waiting in hlt for an interrupt|halted|in a kernel host thread, guest code stopped) at 0xffff[0-9a-f]+ <[A-Za-z_][\\w.]*(\\+0x[0-9a-f]+)?>`));
    }
    noStackTrace(r.stderr);
  });

  it('--json at the step limit gives each CPU its state, rip and symbol', () => {
    const r = ftsim('run', '--kernel', vmlinux, '--cpus', '3', '--max-steps', '100_000', '--json');
    expect(r.code).toBe(4);
    const j = JSON.parse(r.stdout);
    expect(j.exitReason).toBe('max-steps');
    expect(j.maxSteps).toBe(100_000);
    expect(j.maxStepsSource).toBe('option');
    expect(j.cpus[0]).toMatchObject({ state: 'running', rip: expect.stringMatching(/^0xffffffff81[0-9a-f]+$/), symbol: expect.stringMatching(/^[A-Za-z_]/) });
    expect(j.cpus[1].state).toBe('never-started');
  });

  it('a step limit recorded in a replay is named as such', () => {
    const r = ftsim('run', '--kernel', vmlinux, '--replay', recordShort());
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/stopped at the step limit \(8_000_000 steps, the limit recorded in short\.replay\)/);
    expect(r.stderr).not.toMatch(/--max-steps/);
  });

  it('an unwritable --record is refused before the run (exit 1), never a stack trace', () => {
    writeFileSync(join(dir, 'plain-file'), 'x');
    mkdirSync(join(dir, 'a-folder.replay'), { recursive: true });
    const cases: [string, RegExp][] = [
      [join(dir, 'no-such-folder', 'x.replay'), /--record .*no-such-folder\/x\.replay: cannot write the replay file there: no folder .*no-such-folder$/m],
      ['a-folder.replay', /--record a-folder\.replay: cannot write the replay file there: is a directory$/m],
      ['plain-file/x.replay', /--record plain-file\/x\.replay: cannot write the replay file there: plain-file is not a directory$/m],
    ];
    for (const [path, msg] of cases) {
      const r = ftsim('run', '--kernel', vmlinux, '--record', path);
      expect(r.code, path).toBe(1);
      expect(r.stdout, 'nothing ran').toBe('');
      expect(r.stderr).toMatch(msg);
      noStackTrace(r.stderr);
    }
  });

  it('a diverged replay exits 1, naming the file and the decision, in words', () => {
    editReplay(recordShort(), 'diverged.replay', (j) => { j.config.cpus = 3; });
    const r = ftsim('run', '--kernel', vmlinux, '--replay', 'diverged.replay');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ftsim: --replay diverged\.replay: the run no longer follows the recording at decision #\d+ \((which CPU runs next|how long a CPU runs|whether an? [a-zA-Z ]+ arrives), one of \d+\): the recording has .*, there \(the recording has \d+ decisions\)\. The image, the options or the ftsim version differ/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    noStackTrace(r.stderr);
  });

  it('--replay refuses options the replay file fixes', () => {
    const rec = recordShort();
    for (const [args, msg] of [
      [['--cpus', '3'], /--cpus cannot be combined with --replay: the replay file short\.replay fixes the configuration/],
      [['--seed', '2', '--max-steps', '10'], /--seed, --max-steps cannot be combined with --replay/],
      [['--timer-hz', '1000'], /--timer-hz cannot be combined with --replay/],
    ] as [string[], RegExp][]) {
      const r = ftsim('run', '--kernel', vmlinux, '--replay', rec, ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
      noStackTrace(r.stderr);
    }
  });

  it('a replay with a bad configuration names the file and the field, not options never given', () => {
    const rec = recordShort();
    const cases: [(j: Record<string, any>) => void, RegExp][] = [
      [(j) => { j.config.cpus = 70; }, /^ftsim: bad\.replay: configuration field 'cpus' is 70, must be an integer in 1\.\.64$/m],
      [(j) => { j.config.seed = 'x'; }, /^ftsim: bad\.replay: configuration field 'seed' is "x", must be an integer in 0\.\.4294967295$/m],
      [(j) => { delete j.config.maxQuantum; }, /^ftsim: bad\.replay: configuration field 'maxQuantum' is missing$/m],
      [(j) => { j.config.maxSteps = 0; }, /^ftsim: bad\.replay: configuration field 'maxSteps' is 0, must be an integer in 1\.\./m],
      [(j) => { j.kernel = 'nowhere.elf'; }, /^ftsim: bad\.replay: the recorded image nowhere\.elf does not exist here; give the image with --kernel FILE$/m],
    ];
    for (const [edit, msg] of cases) {
      editReplay(rec, 'bad.replay', edit);
      const r = ftsim('run', '--replay', 'bad.replay');
      expect(r.code, String(msg)).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/--cpus|--seed|--max-steps|--max-quantum/);
      noStackTrace(r.stderr);
    }
  });

  it('every numeric option takes the same forms: integers with _ separators, integer exponent forms, hex', () => {
    for (const bad of ['1.5', '1__0', '_1', '1e', '1e-3', '0x', '0x1g', ' 1', '']) expect(parseInteger(bad), bad).toBeUndefined();
    for (const [text, n] of [['0', 0], ['1_000_000', 1e6], ['2e9', 2e9], ['2.5e3', 2500], ['1E3', 1000], ['0xff', 255], ['0x1_00', 256]] as const) {
      expect(parseInteger(text), text).toBe(n);
    }
    const ok = ftsim('run', '--kernel', vmlinux, '--json', '--cpus', '2e0', '--seed', '0x10', '--timer-hz', '1_000',
      '--nmi-rate', '0e0', '--max-quantum', '1.5e3', '--max-steps', '1e3');
    expect(ok.code).toBe(4);
    const j = JSON.parse(ok.stdout);
    expect(j.cpus).toHaveLength(2);
    expect(j.seed).toBe(16);
    expect(j.maxSteps).toBe(1000);
    const ranges: Record<string, string> = {
      '--cpus': '1 to 64', '--seed': '0 to 4_294_967_295', '--max-steps': '1 to 1_000_000_000_000_000',
      '--timer-hz': '0 to 1_000_000', '--nmi-rate': '0 to 1_000_000', '--max-quantum': '1 to 1_000_000',
    };
    for (const [opt, range] of Object.entries(ranges)) {
      for (const bad of ['1.5e0', 'x', '-1', '9e99']) {
        const r = ftsim('run', '--kernel', vmlinux, opt, bad);
        expect(r.code, `${opt} ${bad}`).toBe(1);
        expect(r.stderr).toContain(`${opt}: expected an integer from ${range}, got '${bad}'`);
        noStackTrace(r.stderr);
      }
    }
  });

  it('bad input gets a precise message and exit 1, never a stack trace', () => {
    const trunc = join(dir, 'trunc.elf');
    writeFileSync(trunc, readFileSync(vmlinux).subarray(0, 100));
    const cases: [string[], RegExp][] = [
      [['run', '--kernel', trunc], /trunc\.elf: truncated/],
      [['run', '--kernel', join(dir, 'missing.elf')], /missing\.elf: cannot read: no such file/],
      [['run', '--kernel', src], /not an ELF file: bad magic/],
      [['run', '--kernel', vmlinux, '--cpus', '0'], /--cpus: expected an integer from 1 to 64, got '0'/],
      [['run', '--kernel', vmlinux, '--seed', 'x'], /--seed: expected an integer/],
      [['run', '--kernel', vmlinux, '--replay', src], /not a replay file/],
      [['run', '--kernel', vmlinux, '--replay', join(dir, 'missing.replay')], /missing\.replay: cannot read: no such file/],
      [['run', '--kernel', vmlinux, '--console', join(dir, 'no-such-folder', 'c.txt')], /--console .*c\.txt: cannot open for writing: no such file or directory/],
      [['run', '--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, msg] of cases) {
      const r = ftsim(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      noStackTrace(r.stderr);
    }
  });

  it('--help lists the defaults and the exit codes', () => {
    for (const args of [['--help'], ['run', '--help']]) {
      const r = ftsim(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}every CPU halted normally\n {2}1 {2}bad input/);
      expect(r.stdout).toMatch(/ {2}4 {2}stopped at the step limit \(--max-steps; default 2_000_000_000 steps\)/);
    }
    const r = ftsim('run', '--help');
    // commander wraps descriptions at 80 columns: a longer option name may move "(default: N)" across a line
    expect(r.stdout).toMatch(/--max-steps <n>[\s\S]*\(default:\s+2_000_000_000\)/);
    expect(r.stdout).toMatch(/--cpus <n>[\s\S]*\(default: 4\)/);
    expect(r.stdout).toMatch(/Numbers: a decimal integer/);
  });
});

describe('ftsim --tier', () => {
  /** A run's --json without the figures of the host (time, speed) and of the tier itself. */
  const guestOf = (stdout: string): Record<string, unknown> => {
    const { wallMs: _w, instructionsPerSecond: _i, tier: _t, ...rest } = JSON.parse(stdout);
    return rest;
  };

  it('run --tier interp and --tier jit: the same run (console, every CPU, memory, decisions), the tier in --json; without --tier, FTSIM_TIER or jit', () => {
    const args = ['run', '--kernel', vmlinux, '--json', '--cpus', '2', '--max-steps', '3_000_000'];
    const interp = ftsim(...args, '--tier', 'interp');
    const jit = ftsim(...args, '--tier', 'jit');
    expect(interp.code).toBe(4);
    expect(jit.code).toBe(4);
    expect(JSON.parse(interp.stdout).tier).toBe('interp');
    expect(JSON.parse(jit.stdout).tier).toBe('jit');
    expect(guestOf(jit.stdout)).toEqual(guestOf(interp.stdout));
    // negative control: the comparison sees a different run (another seed)
    const other = ftsim(...args, '--tier', 'jit', '--seed', '2');
    expect(guestOf(other.stdout)).not.toEqual(guestOf(interp.stdout));
    // the environment reaches the command (the test suite's tier mode), and --tier wins over it
    const bare = ftsim(...args);
    expect(JSON.parse(bare.stdout).tier).toBe(process.env.FTSIM_TIER || 'jit');
    expect(JSON.parse(ftsimEnv(dir, { FTSIM_TIER: 'interp' }, ...args).stdout).tier).toBe('interp');
    expect(JSON.parse(ftsimEnv(dir, { FTSIM_TIER: 'interp' }, ...args, '--tier', 'jit').stdout).tier).toBe('jit');
  });

  it('every command that runs the machine takes --tier and refuses a bad one (or a bad FTSIM_TIER) with one line and exit 1', () => {
    for (const cmd of [['run', '--kernel', vmlinux], ['shell'], ['mount', dir], ['check', '--scenario', 'enable-function-tracer', '--protocol', 'naive']]) {
      for (const bad of ['fast', 'JIT', '']) {
        const r = ftsim(...cmd, '--tier', bad);
        expect(r.code, `${cmd[0]} --tier '${bad}'`).toBe(1);
        expect(r.stderr.trim()).toBe(`ftsim: --tier must be one of interp, jit, got '${bad}'`);
        noStackTrace(r.stderr);
      }
      const help = ftsim(cmd[0], '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/--tier <name>\s+execution tier \(interp, jit\)/);
    }
    for (const cmd of [['run', '--kernel', vmlinux, '--max-steps', '1000'], ['check', '--scenario', 'enable-function-tracer', '--protocol', 'naive', '--runs', '1', '--workers', '1']]) {
      const r = ftsimEnv(dir, { FTSIM_TIER: 'turbo' }, ...cmd);
      expect(r.code, cmd[0]).toBe(1);
      expect(r.stderr.trim()).toBe("ftsim: FTSIM_TIER must be one of interp, jit, got 'turbo'");
      noStackTrace(r.stderr);
      // the compiler's threshold from the environment (a testing knob) is checked the same way
      const h = ftsimEnv(dir, { FTSIM_JIT_HOT: '0' }, ...cmd);
      expect(h.code, cmd[0]).toBe(1);
      expect(h.stderr.trim()).toBe("ftsim: FTSIM_JIT_HOT must be a positive integer, got '0'");
      noStackTrace(h.stderr);
      const b = ftsimEnv(dir, { FTSIM_JIT_BACKEND: 'llvm' }, ...cmd);
      expect(b.code, cmd[0]).toBe(1);
      expect(b.stderr.trim()).toBe("ftsim: FTSIM_JIT_BACKEND must be wasm or js, got 'llvm'");
      noStackTrace(b.stderr);
    }
    // negative control: a good tier runs (the refusal above is the tier's, not the command line's)
    expect(ftsim('run', '--kernel', vmlinux, '--max-steps', '1000', '--tier', 'interp').code).toBe(4);
  });
});

describe('ftsim disasm on the bundled kernel', () => {
  it('refuses an unknown symbol', () => {
    const r = ftsim('disasm', vmlinux, 'no_such_fn');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no symbol named 'no_such_fn'/);
  });

  it.skipIf(!hasObjdump())('lists a function as objdump does and marks the __fentry__ site (needs objdump)', () => {
    const r = ftsim('disasm', vmlinux, 'vfs_read');
    expect(r.code).toBe(0);
    const ours = r.stdout.split('\n').filter((l) => /^\s*[0-9a-f]+:\t/.test(l));
    const theirs = objdump(vmlinux, ['--disassemble=vfs_read']).split('\n').filter((l) => /^\s*[0-9a-f]+:\t/.test(l));
    const norm = (l: string): string => l.replace(/# __mcount_loc/, '').replace(/\s+/g, ' ').trim();
    expect(ours.length).toBeGreaterThan(10);
    expect(ours.map(norm)).toEqual(theirs.map(norm));
    expect(ours[0]).toMatch(/call\s+ffffffff81[0-9a-f]+ <__fentry__>\s+# __mcount_loc/);
  });
});

// Guests that fault, violate an invariant or spin: built from test/fixtures/cli/hello.c.
const gcc = hasGcc();
const images: Record<string, string> = {};

describe.skipIf(!gcc)(`ftsim run on freshly built test guests${gcc ? '' : ' (skipped: gcc is not installed)'}`, () => {
  beforeAll(() => {
    for (const [k, flags] of [['ok', []], ['sse', ['-DDO_SSE']], ['int3', ['-DDO_INT3']], ['spin', ['-DDO_SPIN']]] as const) {
      images[k] = buildGuest([src], join(dir, `${k}.elf`), [...flags]);
    }
  });

  it('runs a minimal freestanding guest', () => {
    const r = ftsim('run', '--kernel', images.ok);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello from the guest\n6765\n');
  });

  it('an instruction outside the interpreter stops the CPU with address, bytes and symbol (exit 2), keeping the output', () => {
    const r = ftsim('run', '--kernel', images.sse);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('hello from the guest\n6765\n');
    expect(r.stderr).toMatch(/CPU 0: unsupported instruction at 0xffffffff81[0-9a-f]+ <bad_sse\+0x[0-9a-f]+>, bytes 0f 28 c1/);
    noStackTrace(r.stderr);
  });

  it('an int3 nobody handles is an invariant-2 violation (exit 3) with a replay that reproduces it', () => {
    const cwd = freshDir();
    const r = ftsimIn(cwd, 'run', '--kernel', images.int3);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/VIOLATION of invariant 2/);
    expect(r.stderr).toMatch(/unexpected int3 at 0xffffffff81[0-9a-f]+ <bad_sse\+0x[0-9a-f]+>/);
    expect(r.stderr).toMatch(/last \d+ instructions on CPU 0/);
    expect(r.stderr).toMatch(/replay: ftsim run --replay ftsim-violation\.replay/);
    expect(existsSync(join(cwd, 'ftsim-violation.replay'))).toBe(true);
    const again = ftsimIn(cwd, 'run', '--replay', 'ftsim-violation.replay', '--kernel', images.int3);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/unexpected int3/);
  });

  it('a violation whose replay cannot be written still prints its report and exits 3, with one more line', () => {
    const cwd = freshDir();
    mkdirSync(join(cwd, 'ftsim-violation.replay'));
    const r = ftsimIn(cwd, 'run', '--kernel', images.int3);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/VIOLATION of invariant 2/);
    expect(r.stderr).toMatch(/last \d+ instructions on CPU 0/);
    expect(r.stderr).not.toMatch(/replay: ftsim run --replay/);
    const extra = r.stderr.split('\n').filter((l) => /not saved/.test(l));
    expect(extra).toEqual(['ftsim: the replay of this violation was not saved: ftsim-violation.replay: cannot write: is a directory (give --record FILE to save it elsewhere)']);
    noStackTrace(r.stderr);

    const j = ftsimIn(cwd, 'run', '--kernel', images.int3, '--json');
    expect(j.code).toBe(3);
    const s = JSON.parse(j.stdout);
    expect(s.exitCode).toBe(3);
    expect(s.violation.report).toMatch(/VIOLATION of invariant 2/);
    expect(s.replayFile).toBeUndefined();
    expect(s.replayError).toBe('ftsim-violation.replay: cannot write: is a directory');
  });

  it('--max-steps stops a spinning guest (exit 4) and says where it spins', () => {
    const r = ftsim('run', '--kernel', images.spin, '--cpus', '1', '--max-steps', '1_000_000');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/stopped at the step limit \(--max-steps 1_000_000\)/);
    expect(r.stderr).toMatch(/\n {2}cpu0: running at 0xffffffff81[0-9a-f]+ <bad_sse\+0x[0-9a-f]+>/);
    const j = JSON.parse(ftsim('run', '--kernel', images.spin, '--cpus', '1', '--max-steps', '1e6', '--json').stdout);
    expect(j.cpus[0]).toMatchObject({ state: 'running', symbol: expect.stringMatching(/^bad_sse\+0x/) });
  });

  it.skipIf(!hasObjdump())('disasm lists a function as objdump does (needs objdump)', () => {
    const r = ftsim('disasm', images.ok, 'fib');
    expect(r.code).toBe(0);
    const ours = r.stdout.split('\n').filter((l) => /^\s*[0-9a-f]+:\t/.test(l));
    const theirs = objdump(images.ok, ['--disassemble=fib']).split('\n').filter((l) => /^\s*[0-9a-f]+:\t/.test(l));
    const norm = (l: string): string => l.replace(/# __mcount_loc/, '').replace(/\s+/g, ' ').trim();
    expect(ours.map(norm)).toEqual(theirs.map(norm));
  });
});

describe('ftsim run --tracer', () => {
  it('--tracer function --filter GLOB --trace FILE: tracing from boot, the kernel\'s trace text in the file, the console unchanged', () => {
    const out = join(dir, 'trace.txt');
    const r = ftsim('run', '--kernel', vmlinux, '--cpus', '2', '--tracer', 'function', '--filter', 'vfs_*', '--filter', 'do_sys_open', '--notrace', 'vfs_getattr', '--trace', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(ftsim('run', '--kernel', vmlinux, '--cpus', '2').stdout);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('# tracer: function\n#\n# entries-in-buffer/entries-written: ')).toBe(true);
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines.length).toBeGreaterThan(100);
    for (const l of lines) expect(l).toMatch(/^ +\S+-\d+ +\[00[01]\] [.dDZzhHsS][.nNp][.hHsSzZ][.0-9][.0-9] +\d+\.\d{6}: (vfs_\w+|do_sys_open) <-\w+$/);
    expect(text).not.toContain('vfs_getattr');
  });

  it('an unknown tracer is refused before anything runs; a filter that matches nothing is reported and the run goes on untraced', () => {
    const bad = ftsim('run', '--kernel', vmlinux, '--tracer', 'bogus');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--tracer bogus: no such tracer (available: function_graph function nop)');
    expect(bad.stdout).toBe('');
    const out = join(dir, 'trace-none.txt');
    const none = ftsim('run', '--kernel', vmlinux, '--cpus', '1', '--tracer', 'function', '--filter', 'no_such_function', '--trace', out);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("set_ftrace_filter 'no_such_function': -EINVAL");
    expect(readFileSync(out, 'utf8')).toContain('# tracer: nop');
    noStackTrace(none.stderr);
  });

  it('--tracer function_graph --graph-function / --graph-notrace / --max-graph-depth: only the roots\' subtrees, pruned, to the depth; bad values are precise errors', () => {
    const out = join(dir, 'graph.txt');
    const r = ftsim('run', '--kernel', vmlinux, '--cpus', '1', '--tracer', 'function_graph', '--graph-function', 'vfs_read',
      '--graph-notrace', 'ramfs_file_read', '--max-graph-depth', '2', '--trace', out);
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('# tracer: function_graph\n')).toBe(true);
    // (context-switch blocks aside)
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#') && !/^ -+$/.test(l) && !/ => /.test(l));
    expect(lines.length).toBeGreaterThan(100);
    // depth 0 is vfs_read only (2 spaces after the bar), depth 1 its callees (4), nothing deeper
    for (const l of lines) expect(l).toMatch(/^ 0\) +(?:[0-9.]+ us +)?\| {2}(?:vfs_read\(\) \{|\}| {2}\w+\(\);)$/);
    expect(text).not.toContain('ramfs_file_read');
    const cases: [string[], string][] = [
      [['--max-graph-depth', '51'], "--max-graph-depth: expected an integer from 0 to 50, got '51'"],
      [['--max-graph-depth', 'deep'], "--max-graph-depth: expected an integer from 0 to 50, got 'deep'"],
    ];
    for (const [args, msg] of cases) {
      const bad = ftsim('run', '--kernel', vmlinux, '--tracer', 'function_graph', ...args);
      expect(bad.code, args.join(' ')).toBe(1);
      expect(bad.stderr).toContain(msg);
      noStackTrace(bad.stderr);
    }
    const notGraph = ftsim('run', '--kernel', vmlinux, '--tracer', 'function', '--graph-function', 'vfs_read');
    expect(notGraph.code).toBe(1);
    expect(notGraph.stderr).toContain('--graph-function, --graph-notrace and --max-graph-depth apply to the function_graph tracer: give --tracer function_graph');
    const none = ftsim('run', '--kernel', vmlinux, '--cpus', '1', '--tracer', 'function_graph', '--graph-notrace', 'no_such_function');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("set_graph_notrace 'no_such_function': -EINVAL");
    noStackTrace(none.stderr);
  });
});

describe('ftsim run --livepatch', () => {
  it('--livepatch OLD=NEW (repeatable) patches at boot: the console is unchanged (the replacements do the same work) and the summary says how many calls each patch redirected', () => {
    const r = ftsim('run', '--kernel', vmlinux, '--livepatch', 'crc32_le=crc32_le_v2', '--livepatch', 'jhash2=jhash2_v2', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { console: string; livepatch: { old: string; new: string; redirected: number }[] };
    expect(s.console).toBe(vmlinuxConsole);
    expect(s.livepatch.map((p) => `${p.old}=${p.new}`)).toEqual(['crc32_le=crc32_le_v2', 'jhash2=jhash2_v2']);
    for (const p of s.livepatch) expect(p.redirected).toBeGreaterThan(100);
  });

  it('with the function tracer on crc32_le*, each call shows as crc32_le then crc32_le_v2 from the same parent; the text summary names the patch, at the step limit too', () => {
    const out = join(dir, 'trace-lp.txt');
    const r = ftsim('run', '--kernel', vmlinux, '--cpus', '2', '--max-steps', '5_000_000', '--livepatch', 'crc32_le=crc32_le_v2',
      '--tracer', 'function', '--filter', 'crc32_le*', '--trace', out);
    expect(r.code).toBe(4);
    const m = /ftsim: livepatch crc32_le -> crc32_le_v2: (\d+) calls redirected/.exec(r.stderr);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    const lines = readFileSync(out, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    // crc32_le's site calls the list function, which runs both ops: the tracer records crc32_le, then the
    // livepatch sends the call to crc32_le_v2, whose own site records it with the same parent
    const calls = lines.map((l) => /\[(\d+)\].*: (crc32_le(?:_v2)?) <-(\w+)$/.exec(l)).filter((x) => x !== null);
    expect(calls.length).toBe(lines.length);
    expect(calls.filter((x) => x[2] === 'crc32_le').length).toBeGreaterThan(10);
    for (const cpu of new Set(calls.map((x) => x[1]))) {
      const mine = calls.filter((x) => x[1] === cpu).map((x) => [x[2], x[3]]);
      for (let i = 0; i + 1 < mine.length; i += 2) {
        expect(mine[i][0]).toBe('crc32_le');
        expect(mine[i + 1]).toEqual(['crc32_le_v2', mine[i][1]]);
      }
    }
  });

  it('bad syntax, unknown or non-function names and a function given twice: a precise error, exit 1, nothing run', () => {
    const cases: [string[], string][] = [
      [['crc32_le'], "--livepatch 'crc32_le': expected OLD=NEW, two function names (e.g. --livepatch crc32_le=crc32_le_v2)"],
      [['crc32_le=crc32_le_v2=x'], "--livepatch 'crc32_le=crc32_le_v2=x': expected OLD=NEW"],
      [['no_such=crc32_le_v2'], "--livepatch no_such=crc32_le_v2: livepatch: symbol 'no_such' not found in symbol table"],
      [['crc32_le=crc32_le_v3'], "--livepatch crc32_le=crc32_le_v3: livepatch: replacement 'crc32_le_v3' for 'crc32_le' not found in symbol table"],
      [['jiffies=crc32_le_v2'], "--livepatch jiffies=crc32_le_v2: livepatch: 'jiffies' is not a function"],
      [['crc32_le=crc32_le_v2', 'crc32_le=jhash2_v2'], '--livepatch crc32_le=jhash2_v2: crc32_le is already patched by --livepatch crc32_le=crc32_le_v2'],
    ];
    for (const [specs, msg] of cases) {
      const r = ftsim('run', '--kernel', vmlinux, ...specs.flatMap((s) => ['--livepatch', s]));
      expect(r.code, specs.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`ftsim: ${msg}`);
      noStackTrace(r.stderr);
    }
  });
});
