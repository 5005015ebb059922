// shell.test.ts — `ftsim shell`: the sh over tracefs (fake trees with handlers returning errnos), the `run` builtin on the booted bundled kernel, and the scripts of test/shell/*.sh run through the spawned CLI against their *.out.
//
// FTSIM_UPDATE_SHELL_OUT=1 rewrites the *.out files from what the shell prints (review the diff).

import { describe, it, expect, beforeEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Shell, MOUNT } from '../src/cli/shell.js';
import { bootShellMachine, parseDuration, runBuiltin } from '../src/cli/shell_main.js';
import {
  EBUSY, EINVAL, ENOSPC, EEXIST, bytes, roFile, rwFile, woFile, StaticDir, Tracefs, type DirNode, type FileNode, type Node,
} from '../src/trace/tracefs/fs.js';
import { buildTracefs, runKernelCall } from '../src/trace/tracefs/index.js';
import { bin, noStackTrace, plainEnv, ftsimIn } from './helpers/cli.js';

const root = join(__dirname, '..');
const vmlinux = join(root, 'fixtures', 'vmlinux');

/** What the fake files saw, in order (open/truncate, write, release). */
let log: string[];
let rwText: string;

/** A file recording the kernel's open/write/release order; writes of `bad` are -EINVAL, `full` -ENOSPC. */
function loggedFile(name: string): FileNode {
  return {
    kind: 'file', mode: 0o644,
    open: (f) => {
      log.push(`open ${name}${f.trunc ? ' O_TRUNC' : ''}${f.append ? ' O_APPEND' : ''}`);
      if (f.trunc) rwText = '';
      return {
        read: (pos, len) => bytes(rwText).subarray(pos, pos + len),
        write: (d) => {
          const t = new TextDecoder().decode(d);
          log.push(`write ${JSON.stringify(t)}`);
          if (t.startsWith('bad')) return -EINVAL;
          if (t.startsWith('full')) return -ENOSPC;
          rwText += t;
          return d.length;
        },
        release: () => { log.push('release'); return 0; },
      };
    },
  };
}

/** instances/: mkdir makes an empty directory, an existing handler refuses `busy` with -EBUSY on rmdir. */
function instancesDir(): DirNode {
  const d = new StaticDir();
  return {
    kind: 'dir', mode: 0o755,
    entries: () => d.entries(),
    lookup: (n) => d.lookup(n),
    mkdir: (n) => { if (n === 'nomem') return -12; d.add(n, new StaticDir()); return 0; },
    rmdir: (n) => { if (n === 'busy') return -EBUSY; d.remove(n); return 0; },
  };
}

function fakeTree(): Tracefs {
  const top = new StaticDir();
  top.add('available_tracers', roFile(() => 'function_graph function nop\n'));
  top.add('lines', roFile(() => 'alpha one\nbeta two\ngamma three\ndelta four\n'));
  top.add('current_tracer', loggedFile('current_tracer'));
  top.add('tracing_on', rwFile(() => '1\n', (t) => (t.trim() === '0' || t.trim() === '1' ? 0 : -EINVAL)));
  top.add('busy_file', rwFile(() => '', () => 0, { truncate: () => -EBUSY }));
  top.add('trace_marker', woFile(() => 0));
  top.add('no_write', { kind: 'file', mode: 0o644, open: () => ({ read: () => new Uint8Array() }) });
  top.add('broken', roFile(() => ''));
  (top.lookup('broken') as FileNode).open = () => ({ read: () => -EINVAL });
  top.dir('options').add('annotate', rwFile(() => '1\n', () => 0));
  top.add('instances', instancesDir());
  (top.lookup('instances') as DirNode).mkdir!('busy');
  return new Tracefs(top);
}

let out: string;
let err: string;
let sh: Shell;

function run(line: string): number {
  out = '';
  err = '';
  return sh.execute(line);
}

beforeEach(() => {
  log = [];
  rwText = '';
  sh = new Shell({ fs: fakeTree(), io: { out: (t) => { out += t; }, err: (t) => { err += t; } } });
});

describe('ftsim shell: where it is', () => {
  it('starts in /sys/kernel/tracing, the mount of the tracefs root; only the directories leading to it exist outside', () => {
    expect(run('pwd')).toBe(0);
    expect(out).toBe(`${MOUNT}\n`);
    run('ls /');
    expect(out).toBe('sys\n');
    run('ls /sys/kernel');
    expect(out).toBe('tracing\n');
    run('ls /sys/kernel/tracing/options');
    expect(out).toBe('annotate\n');
  });

  it('cd takes absolute and relative paths, .., - and no argument (back to the mount)', () => {
    run('cd /');
    run('pwd');
    expect(out).toBe('/\n');
    run('cd sys/kernel');
    run('pwd');
    expect(out).toBe('/sys/kernel\n');
    run('cd tracing/options');
    run('cat annotate');
    expect(out).toBe('1\n');
    run('cd ..; pwd');
    expect(out).toBe(`${MOUNT}\n`);
    run('cd -');
    expect(out).toBe(`${MOUNT}/options\n`);
    run('cd; pwd');
    expect(out).toBe(`${MOUNT}\n`);
  });

  it("cd errors as bash's: no such directory, not a directory, too many arguments; the directory stays", () => {
    expect(run('cd nope')).toBe(1);
    expect(err).toBe('ftsim: cd: nope: No such file or directory\n');
    expect(run('cd lines')).toBe(1);
    expect(err).toBe('ftsim: cd: lines: Not a directory\n');
    expect(run('cd a b')).toBe(1);
    expect(err).toBe('ftsim: cd: too many arguments\n');
    run('pwd');
    expect(out).toBe(`${MOUNT}\n`);
  });
});

describe('ftsim shell: ls', () => {
  it('lists sorted names one a line off a terminal, ls -l with modes, link counts and total', () => {
    run('ls');
    expect(out).toBe('available_tracers\nbroken\nbusy_file\ncurrent_tracer\ninstances\nlines\nno_write\noptions\ntrace_marker\ntracing_on\n');
    run('ls -l options /sys');
    expect(out).toBe('/sys:\ntotal 0\ndrwxr-xr-x 3 root root 0 Jan  1  1970 kernel\n\noptions:\ntotal 0\n-rw-r----- 1 root root 0 Jan  1  1970 annotate\n');
    run('ls -l lines trace_marker');
    expect(out).toBe('-r--r----- 1 root root 0 Jan  1  1970 lines\n--w------- 1 root root 0 Jan  1  1970 trace_marker\n');
  });

  it("ls errors: cannot access (status 2, the rest still listed), invalid option", () => {
    expect(run('ls nope options')).toBe(2);
    expect(err).toBe("ls: cannot access 'nope': No such file or directory\n");
    expect(out).toBe('options:\nannotate\n');
    expect(run('ls -z')).toBe(2);
    expect(err).toBe("ls: invalid option -- 'z'\nTry 'ls --help' for more information.\n");
  });

  it('prints columns on a terminal', () => {
    const t = new Shell({ fs: fakeTree(), io: { out: (s) => { out += s; }, err: () => {} }, tty: true, columns: 40 });
    out = '';
    t.execute('ls');
    expect(out.split('\n').length - 1).toBeLessThan(9);
    expect(out).toContain('available_tracers');
    out = '';
    t.execute('ls | cat');
    expect(out.split('\n').length - 1).toBe(10);
  });
});

describe('ftsim shell: cat and the filters', () => {
  it('cat reads files whole; errors as coreutils: missing, directory, a read handler error (status 1)', () => {
    expect(run('cat available_tracers lines')).toBe(0);
    expect(out).toBe('function_graph function nop\nalpha one\nbeta two\ngamma three\ndelta four\n');
    expect(run('cat nope lines')).toBe(1);
    expect(err).toBe('cat: nope: No such file or directory\n');
    expect(out).toContain('alpha one');
    expect(run('cat options')).toBe(1);
    expect(err).toBe('cat: options: Is a directory\n');
    expect(run('cat trace_marker')).toBe(1);
    expect(err).toBe('cat: trace_marker: Invalid argument\n');
    expect(run('cat broken')).toBe(1);
    expect(err).toBe('cat: broken: Invalid argument\n');
  });

  it('grep [-v] [-c] [-E] [-i] [-F], head, tail, wc over a pipe, with grep status 0/1/2', () => {
    expect(run('cat lines | grep o')).toBe(0);
    expect(out).toBe('alpha one\nbeta two\ndelta four\n');
    expect(run('cat lines | grep -v o')).toBe(0);
    expect(out).toBe('gamma three\n');
    run('cat lines | grep -c a');
    expect(out).toBe('4\n');
    run("cat lines | grep -E 'one|four'");
    expect(out).toBe('alpha one\ndelta four\n');
    run("cat lines | grep 'one|four'");
    expect(out).toBe('');
    run("cat lines | grep 'one\\|four'");
    expect(out).toBe('alpha one\ndelta four\n');
    run('cat lines | grep -i ALPHA');
    expect(out).toBe('alpha one\n');
    run('cat lines | grep -F a.p');
    expect(out).toBe('');
    expect(run('cat lines | grep zzz')).toBe(1);
    expect(run('grep alpha lines nope')).toBe(2);
    expect(out).toBe('lines:alpha one\n');
    expect(err).toBe('grep: nope: No such file or directory\n');
    expect(run('cat lines | grep')).toBe(2);
    expect(err).toBe("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n");
    run('cat lines | head -n 2');
    expect(out).toBe('alpha one\nbeta two\n');
    run('cat lines | head -1');
    expect(out).toBe('alpha one\n');
    run('tail -n 1 lines');
    expect(out).toBe('delta four\n');
    run('cat lines | tail -n +4');
    expect(out).toBe('delta four\n');
    expect(run('head -n x lines')).toBe(1);
    expect(err).toBe("head: invalid number of lines: 'x'\n");
    expect(run('tail nope')).toBe(1);
    expect(err).toBe("tail: cannot open 'nope' for reading: No such file or directory\n");
    run('cat lines | wc -l');
    expect(out).toBe('4\n');
    run('cat lines | wc');
    expect(out).toBe('      4       8      42\n');
    run('wc -l lines');
    expect(out).toBe('4 lines\n');
    run('wc -l lines lines');
    expect(out).toBe('4 lines\n4 lines\n8 total\n');
    run('cat lines | grep -c a | wc -l');
    expect(out).toBe('1\n');
  });
});

describe('ftsim shell: writes (echo > file, >> file) in the kernel order', () => {
  it('> opens with O_TRUNC, makes one write of the whole text, releases; >> opens O_APPEND', () => {
    expect(run('echo function > current_tracer')).toBe(0);
    expect(log).toEqual(['open current_tracer O_TRUNC', 'write "function\\n"', 'release']);
    log = [];
    run('echo -n nop >> current_tracer');
    expect(log).toEqual(['open current_tracer O_APPEND', 'write "nop"', 'release']);
    run('cat current_tracer');
    expect(out).toBe('function\nnop');
    log = [];
    run('echo -n > current_tracer');
    expect(log).toEqual(['open current_tracer O_TRUNC', 'release']);
  });

  it("a failed write prints bash's `echo: write error:` (status 1), and the file is still released; a good write is the control", () => {
    expect(run('echo bad > current_tracer')).toBe(1);
    expect(err).toBe('ftsim: echo: write error: Invalid argument\n');
    expect(log).toEqual(['open current_tracer O_TRUNC', 'write "bad\\n"', 'release']);
    expect(run('echo $?')).toBe(0);
    expect(out).toBe('1\n');
    expect(run('echo full >> current_tracer')).toBe(1);
    expect(err).toBe('ftsim: echo: write error: No space left on device\n');
    expect(run('echo 2 > tracing_on')).toBe(1);
    expect(run('echo 1 > tracing_on')).toBe(0);
    expect(err).toBe('');
    expect(run('cat lines | grep alpha > current_tracer')).toBe(0);
    expect(run('echo bad | grep bad > current_tracer')).toBe(2);
    expect(err).toBe('grep: write error: Invalid argument\n');
  });

  it('a failed open stops the command: no such file (tracefs cannot create), directory, missing directory, truncate refused; root opens a read-only file and the write fails', () => {
    expect(run('echo x > available_tracers')).toBe(1);
    expect(err).toBe('ftsim: echo: write error: Invalid argument\n');
    expect(run('echo x > newfile')).toBe(1);
    expect(err).toBe('ftsim: newfile: Permission denied\n');
    expect(run('echo x > options')).toBe(1);
    expect(err).toBe('ftsim: options: Is a directory\n');
    expect(run('echo x > /nodir/f')).toBe(1);
    expect(err).toBe('ftsim: /nodir/f: No such file or directory\n');
    expect(run('echo x > busy_file')).toBe(1);
    expect(err).toBe('ftsim: busy_file: Device or resource busy\n');
    // the command did not run: nothing on stdout
    expect(out).toBe('');
    expect(run('echo x >> busy_file')).toBe(0);
    // opened for writing, but its handler has no write: vfs_write's -EINVAL
    expect(run('echo x > no_write')).toBe(1);
    expect(err).toBe('ftsim: echo: write error: Invalid argument\n');
  });

  it('quoting as sh: quotes and escapes keep spaces and !, an unmatched glob stays as written, a matched one expands', () => {
    run(`echo 'a  b' "c d" e\\ f`);
    expect(out).toBe('a  b c d e f\n');
    run("echo '!sched*:traceoff:3' > current_tracer");
    expect(log).toContain('write "!sched*:traceoff:3\\n"');
    log = [];
    run('echo sched* > current_tracer');
    expect(log).toContain('write "sched*\\n"');
    run('echo tr*');
    expect(out).toBe('trace_marker tracing_on\n');
    run('echo -e "a\\tb" ; echo -n x; echo');
    expect(out).toBe('a\tb\nx\n');
  });

  it('2>/dev/null, 2>&1 into a pipe, < file, > /dev/null', () => {
    expect(run('cat nope 2>/dev/null')).toBe(1);
    expect(err).toBe('');
    run('cat nope 2>&1 | wc -l');
    expect(out).toBe('1\n');
    expect(err).toBe('');
    run('grep beta < lines');
    expect(out).toBe('beta two\n');
    run('cat lines > /dev/null');
    expect(out).toBe('');
    run('echo 2 > current_tracer');
    expect(log).toContain('write "2\\n"');
    expect(run('echo x > tr*')).toBe(1);
    expect(err).toBe('ftsim: tr*: ambiguous redirect\n');
    log = [];
    expect(run('echo x > cur*')).toBe(0);
    expect(log).toEqual(['open current_tracer O_TRUNC', 'write "x\\n"', 'release']);
    expect(run('echo x 3>current_tracer')).toBe(1);
    expect(err).toBe('ftsim: 3: Bad file descriptor\n');
  });
});

describe('ftsim shell: commands, status, syntax', () => {
  it('an unknown command is `command not found`, status 127; $? keeps the last status; comments and blank lines do nothing', () => {
    expect(run('nosuch arg')).toBe(127);
    expect(err).toBe('ftsim: nosuch: command not found\n');
    run('echo $?');
    expect(out).toBe('127\n');
    run('false');
    expect(run('# a comment')).toBe(1);
    expect(run('')).toBe(1);
    run('echo hi # not this');
    expect(out).toBe('hi\n');
    expect(run('false && echo no || echo yes')).toBe(0);
    expect(out).toBe('yes\n');
  });

  it('syntax errors as bash words them, status 2', () => {
    expect(run('echo >')).toBe(2);
    expect(err).toBe("ftsim: syntax error near unexpected token `newline'\n");
    expect(run('| cat')).toBe(2);
    expect(err).toBe("ftsim: syntax error near unexpected token `|'\n");
    expect(run('echo a |')).toBe(2);
    expect(run('cat lines &')).toBe(2);
  });

  it('mkdir/rmdir go to the directory handlers; errors as coreutils (EEXIST, EPERM outside instances/, ENOENT, ENOTDIR, the handler errno)', () => {
    expect(run('mkdir instances/foo')).toBe(0);
    run('ls instances');
    expect(out).toBe('busy\nfoo\n');
    expect(run('mkdir instances/foo')).toBe(1);
    expect(err).toBe("mkdir: cannot create directory 'instances/foo': File exists\n");
    expect(run('mkdir instances/nomem')).toBe(1);
    expect(err).toBe("mkdir: cannot create directory 'instances/nomem': Cannot allocate memory\n");
    expect(run('mkdir options/x')).toBe(1);
    expect(err).toBe("mkdir: cannot create directory 'options/x': Operation not permitted\n");
    expect(run('mkdir nope/x')).toBe(1);
    expect(err).toBe("mkdir: cannot create directory 'nope/x': No such file or directory\n");
    expect(run('rmdir instances/busy')).toBe(1);
    expect(err).toBe("rmdir: failed to remove 'instances/busy': Device or resource busy\n");
    expect(run('rmdir instances/foo')).toBe(0);
    expect(run('rmdir instances/foo')).toBe(1);
    expect(err).toBe("rmdir: failed to remove 'instances/foo': No such file or directory\n");
    expect(run('rmdir lines')).toBe(1);
    expect(err).toBe("rmdir: failed to remove 'lines': Not a directory\n");
    expect(run('rmdir options')).toBe(1);
    expect(err).toBe("rmdir: failed to remove 'options': Operation not permitted\n");
    expect(run('mkdir')).toBe(1);
    expect(EEXIST).toBe(17);
  });

  it('exit N ends with N, exit alone with the last status, a bad argument is 2; run without a machine is an error', () => {
    run('false');
    run('exit');
    expect(sh.exited).toBe(1);
    sh.exited = null;
    run('exit 300');
    expect(sh.exited).toBe(44);
    sh.exited = null;
    run('exit x');
    expect(err).toBe('ftsim: exit: x: numeric argument required\n');
    expect(sh.exited).toBe(2);
    sh.exited = null;
    expect(run('run 1ms')).toBe(1);
    expect(err).toBe('ftsim: run: no machine\n');
  });

  it("a line with an open quote or a trailing backslash goes on with the next; input ending inside a quote is bash's unexpected EOF (status 2)", () => {
    out = '';
    expect(sh.feed('echo "a')).toBe(false);
    expect(sh.continuing).toBe(true);
    expect(sh.feed("b'\"")).toBe(true);
    expect(out).toBe("a\nb'\n");
    out = '';
    expect(sh.feed('echo x\\')).toBe(false);
    expect(sh.feed('y > current_tracer')).toBe(true);
    expect(log).toContain('write "xy\\n"');
    err = '';
    expect(sh.feed("echo 'abc")).toBe(false);
    sh.endOfInput();
    expect(err).toBe("ftsim: unexpected EOF while looking for matching `''\n");
    expect(sh.status).toBe(2);
    // the control: a complete line runs at once, and the end of input then says nothing
    err = '';
    expect(sh.feed('echo done # it\'s a comment')).toBe(true);
    sh.endOfInput();
    expect(err).toBe('');
  });

  it('completes commands and paths', () => {
    expect(sh.complete('ca')[0]).toEqual(['cat ']);
    expect(sh.complete('cat opt')[0]).toEqual(['options/']);
    expect(sh.complete('cat options/a')[0]).toEqual(['options/annotate']);
    expect(sh.complete('cd /s')[0]).toEqual(['/sys/']);
    expect(sh.complete('cat zz')[0]).toEqual([]);
  });
});

describe('ftsim shell: run on the bundled kernel', () => {
  it('parses durations at 1 GHz (ms, us, s, ns) and bare step counts; refuses the rest', () => {
    expect(parseDuration('10ms')).toEqual({ cycles: 10_000_000 });
    expect(parseDuration('500us')).toEqual({ cycles: 500_000 });
    expect(parseDuration('1s')).toEqual({ cycles: 1_000_000_000 });
    expect(parseDuration('2.5ms')).toEqual({ cycles: 2_500_000 });
    expect(parseDuration('5000')).toEqual({ steps: 5000 });
    for (const bad of ['', 'x', '10m', '-1ms', '0', '0ms', '1e3']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('the mount shows the tree buildTracefs made; run 1ms moves every running CPU 1 ms on, run to the end says every CPU halted', () => {
    const { ctx, top } = bootShellMachine({ image: readFileSync(vmlinux), file: 'vmlinux', cpus: 1, seed: 1, modules: [] }, () => {});
    const fs = buildTracefs(ctx, top);
    const s = new Shell({ fs, io: { out: (t) => { out += t; }, err: (t) => { err += t; } }, run: runBuiltin(ctx, () => {}) });
    out = '';
    err = '';
    s.execute('ls');
    const names = [...(fs.root.entries() as Iterable<[string, Node]>)].map(([n]) => n).sort();
    expect(out).toBe(names.map((n) => `${n}\n`).join(''));
    const k = ctx.b.kernel;
    expect(k.cpus.every((c) => c.retired === 0)).toBe(true);
    expect(s.execute('run 1ms')).toBe(0);
    expect(k.cpus[0].cycles).toBeGreaterThanOrEqual(1_000_000);
    expect(k.cpus[0].cycles).toBeLessThan(1_100_000);
    const before = k.steps;
    expect(s.execute('run 5000')).toBe(0);
    expect(k.steps - before).toBeGreaterThanOrEqual(5000);
    expect(k.steps - before).toBeLessThan(5000 + 2000);
    expect(out).toBe(names.map((n) => `${n}\n`).join(''));
    expect(s.execute('run 100s')).toBe(0);
    expect(out).toMatch(/run: every CPU has halted, after \d+ steps\n$/);
    expect(k.cpus.every((c) => c.halted)).toBe(true);
    out = '';
    expect(s.execute('run 1ms')).toBe(0);
    expect(out).toBe('run: every CPU has halted: nothing runs any more\n');
    expect(s.execute('run soon')).toBe(1);
    expect(err).toBe('ftsim: run: soon: invalid duration (10ms, 500us, 1s at 1 GHz per CPU, or a number of steps)\n');
  });
});

describe('ftsim shell: a write that runs a live kernel call, on the bundled kernel', () => {
  it('echo function > current_tracer blocks until the live tracer switch returned while the CPUs run; run then fills the trace', () => {
    const { ctx, top } = bootShellMachine({ image: readFileSync(vmlinux), file: 'vmlinux', cpus: 2, seed: 1, modules: [] }, () => {});
    // current_tracer and trace as the control files will have them: a write runs setTracer to its end
    const d = new StaticDir();
    d.add('current_tracer', rwFile(() => `${top.current.name}\n`, (t) => {
      const r = runKernelCall(ctx, top.setTracer(t.trim()));
      return typeof r === 'number' ? r : -EINVAL;
    }));
    d.add('trace', roFile(() => top.traceText()));
    const s = new Shell({ fs: new Tracefs(d), io: { out: (t) => { out += t; }, err: (t) => { err += t; } }, run: runBuiltin(ctx, () => {}) });
    out = '';
    err = '';
    expect(s.execute('run 500us')).toBe(0);
    expect(s.execute('echo function > current_tracer')).toBe(0);
    expect(s.execute('cat current_tracer')).toBe(0);
    expect(out).toBe('function\n');
    expect(s.execute('echo nosuch > current_tracer')).toBe(1);
    expect(err).toBe('ftsim: echo: write error: Invalid argument\n');
    out = '';
    expect(s.execute('run 200us')).toBe(0);
    expect(s.execute('cat trace | grep -c " <-"')).toBe(0);
    expect(Number(out)).toBeGreaterThan(0);
    out = '';
    s.execute('cat trace | head -n 1');
    expect(out).toBe('# tracer: function\n');
  });
});

const scripts = join(root, 'test', 'shell');
const tmp = mkdtempSync(join(tmpdir(), 'ftsim-shell-'));

describe('ftsim shell scripts (test/shell/*.sh, stdout and stderr together against *.out)', () => {
  const files = readdirSync(scripts).filter((f) => f.endsWith('.sh')).sort();
  it('has scripts', () => expect(files.length).toBeGreaterThan(0));
  for (const f of files) {
    it(f, () => {
      const script = readFileSync(join(scripts, f), 'utf8');
      const want = Number(/^# exit: (\d+)$/m.exec(script)?.[1] ?? 0);
      const outFile = join(tmp, `${f}.out`);
      const fd = openSync(outFile, 'w');
      // `# args: ...` in a script adds options to `ftsim shell` (e.g. --console /dev/null, --cpus 1)
      const extra = /^# args: (.*)$/m.exec(script)?.[1].trim().split(/\s+/) ?? [];
      const r = spawnSync(process.execPath, [bin, 'shell', '--kernel', vmlinux, ...extra], { input: script, stdio: ['pipe', fd, fd], env: plainEnv(), cwd: tmp });
      closeSync(fd);
      const got = readFileSync(outFile, 'utf8');
      const expected = join(scripts, f.replace(/\.sh$/, '.out'));
      if (process.env.FTSIM_UPDATE_SHELL_OUT === '1') writeFileSync(expected, got);
      expect(got).toBe(readFileSync(expected, 'utf8'));
      expect(r.status).toBe(want);
    });
  }
});

describe('ftsim shell: bad options', () => {
  it('exits 1 with one line, no stack trace: bad --cpus, missing kernel, unknown option, a file that is not an ELF image', () => {
    for (const args of [['--cpus', '0'], ['--cpus', 'x'], ['--kernel', 'nope'], ['--seed', '-3'], ['--bogus'], ['extra'], ['--kernel', join(root, 'package.json')]]) {
      const r = ftsimIn(tmp, 'shell', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^(ftsim: |error: )/);
      expect(r.stdout).toBe('');
      noStackTrace(r.stderr);
    }
  });
});
