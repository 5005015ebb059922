// `ftsim shell`'s interpreter: a small sh (bash's builtins, pipes, redirections, quoting) over the tracefs model mounted at /sys/kernel/tracing, with bash's messages (fs/tracefs/inode.c for what the files do).

import { parse, type ParseEntry } from 'shell-quote';
import {
  bytes, EACCES, EBADF, EINVAL, EISDIR, ENOENT, normalize, O_WRONLY_APPEND, O_WRONLY_TRUNC, StaticDir, strerror, Tracefs,
  type OpenFile,
} from '../trace/tracefs/fs.js';
import { cat, grep, head, ls, mkdir, print, readFile, rmdir, tail, wc, type Command, type Exec, type Sink } from './shell_utils.js';

export type { Command, Exec, Sink } from './shell_utils.js';

/** Where the tracefs root is mounted; the shell starts there. */
export const MOUNT = '/sys/kernel/tracing';

/** The terminal's two streams. */
export interface ShellIO {
  out(text: string): void;
  err(text: string): void;
}

export interface ShellOptions {
  /** The tracefs tree (mounted at MOUNT). */
  fs: Tracefs;
  io: ShellIO;
  /** The `run DURATION` builtin (absent: the shell has no machine). */
  run?: Command;
  /** stdout is a terminal (ls prints columns). */
  tty?: boolean;
  columns?: number;
}

/** One redirection: `N>file`, `N>>file`, `N>&M`, `<file`. */
interface Redirect {
  fd: number;
  op: '>' | '>>' | '>&' | '<';
  target: string;
  /** A glob that matched several names: bash's `ambiguous redirect`. */
  ambiguous?: boolean;
}

interface SimpleCommand {
  words: string[];
  redirects: Redirect[];
}

/** A pipeline, and how it joins the one before it (`;`, `&&`, `||`). */
interface Pipeline {
  join: ';' | '&&' | '||';
  commands: SimpleCommand[];
}

/** A syntax error, printed as bash prints it. */
class SyntaxError extends Error {}

const REDIRECT_OPS = new Set(['>', '>>', '>&', '<']);

/**
 * The file descriptor in front of each unquoted redirection operator of a line (`2>file`, `2>&1`), in
 * order: shell-quote gives `2` as a word of its own, so the raw text tells `echo 2>f` from `echo 2 >f`.
 */
function redirectFds(line: string): (number | null)[] {
  const fds: (number | null)[] = [];
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '\\') { i++; continue; }
    if (c === "'" || c === '"') { quote = c; continue; }
    if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) break;
    if (c === '<' && line[i + 1] === '(') { i++; continue; }
    if (c !== '>' && c !== '<') continue;
    let j = i;
    while (j > 0 && /\d/.test(line[j - 1])) j--;
    const atWord = j < i && (j === 0 || /[\s;|&]/.test(line[j - 1]));
    fds.push(atWord ? Number(line.slice(j, i)) : null);
    if (c === '>' && (line[i + 1] === '>' || line[i + 1] === '&')) i++;
  }
  return fds;
}

/** What keeps a line open at its end: an unclosed quote, a trailing backslash, or nothing (null). */
function continuation(line: string): "'" | '"' | '\\' | null {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') {
        if (i === line.length - 1) return '"';
        i++;
      }
      continue;
    }
    if (c === '\\') {
      if (i === line.length - 1) return '\\';
      i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return null;
  }
  return quote === "'" || quote === '"' ? quote : null;
}

/** A glob pattern (`*`, `?`, `[...]`) as a regular expression over one name. */
function globRe(p: string): RegExp {
  let s = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '*') s += '.*';
    else if (c === '?') s += '.';
    else if (c === '[') {
      const j = p.indexOf(']', i + 2);
      if (j < 0) s += '\\[';
      else {
        s += `[${p.slice(i + 1, j).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = j;
      }
    } else s += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${s}$`);
}

/** `ftsim shell`: run lines of sh, keep the working directory and the last status. */
export class Shell {
  cwd = MOUNT;
  private oldpwd = MOUNT;
  /** The exit status of the last command ($?). */
  status = 0;
  /** Set by `exit`: the status the shell ends with. */
  exited: number | null = null;
  /** The whole namespace: only the directories leading to the mount exist outside it. */
  readonly fs: Tracefs;
  private readonly commands: Record<string, Command>;
  /** The terminal's stdout and stderr as sinks (ls asks whether its stdout is this one). */
  private readonly ttyOut: Sink;
  private readonly ttyErr: Sink;

  constructor(private readonly opts: ShellOptions) {
    const root = new StaticDir(0o755) // sysfs directories;
    root.dir('sys').dir('kernel').add('tracing', opts.fs.root);
    this.fs = new Tracefs(root);
    this.ttyOut = { write: (d) => { opts.io.out(d); return 0; } };
    this.ttyErr = { write: (d) => { opts.io.err(d); return 0; } };
    this.commands = {
      cat, ls, grep, head, tail, wc, mkdir, rmdir,
      cd: (a, x) => this.cd(a, x),
      pwd: (_a, x) => print(x, `${this.cwd}\n`, 'ftsim: pwd'),
      echo: (a, x) => echo(a, x),
      exit: (a, x) => this.exit(a, x),
      help: (_a, x) => print(x, HELP, 'ftsim: help'),
      true: () => 0,
      false: () => 1,
      run: (a, x) => (opts.run ? opts.run(a, x) : (x.err.write('ftsim: run: no machine\n'), 1)),
    };
  }

  /** The start of a command that goes on over the next input line (an open quote, a trailing backslash). */
  private pending: string | null = null;

  /**
   * Take one input line as sh reads it: a line that leaves a quote open or ends in a backslash goes on
   * with the next one (the prompt says `> `); returns whether a command ran.
   */
  feed(line: string): boolean {
    const text = this.pending === null ? line : this.pending.endsWith('\\') && continuation(this.pending) === '\\'
      ? this.pending.slice(0, -1) + line : `${this.pending}\n${line}`;
    if (continuation(text) !== null) {
      this.pending = text;
      return false;
    }
    this.pending = null;
    this.execute(text);
    return true;
  }

  /** True while a command waits for its next line. */
  get continuing(): boolean {
    return this.pending !== null;
  }

  /** The end of the input: a command still open is bash's `unexpected EOF` (status 2). */
  endOfInput(): void {
    if (this.pending === null) return;
    const c = continuation(this.pending);
    this.pending = null;
    if (c === "'" || c === '"') {
      this.opts.io.err(`ftsim: unexpected EOF while looking for matching \`${c}'\n`);
      this.status = 2;
    }
  }

  /** Run one line; returns its status (also kept in `status`). */
  execute(line: string): number {
    let pipelines: Pipeline[];
    try {
      pipelines = this.parseLine(line);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      this.opts.io.err(`ftsim: ${e.message}\n`);
      this.status = 2;
      return 2;
    }
    for (const p of pipelines) {
      if (this.exited !== null) break;
      if (p.join === '&&' && this.status !== 0) continue;
      if (p.join === '||' && this.status === 0) continue;
      this.status = this.runPipeline(p.commands);
    }
    return this.status;
  }

  /** Names that complete the last word of `line` (readline's completer). */
  complete(line: string): [string[], string] {
    const word = /(\S*)$/.exec(line)?.[1] ?? '';
    const slash = word.lastIndexOf('/');
    const dirPart = slash >= 0 ? word.slice(0, slash + 1) : '';
    const stem = word.slice(slash + 1);
    if (slash < 0 && !/\s/.test(line.trimStart())) {
      const cmds = Object.keys(this.commands).filter((c) => c.startsWith(stem)).sort();
      return [cmds.map((c) => `${c} `), word];
    }
    const d = this.fs.lookup(dirPart === '' ? '.' : dirPart, this.cwd);
    if (typeof d === 'number' || d.kind !== 'dir') return [[], word];
    const hits = [...d.entries()].filter(([n]) => n.startsWith(stem)).sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([n, node]) => `${dirPart}${n}${node.kind === 'dir' ? '/' : ''}`);
    return [hits, word];
  }

  private parseLine(line: string): Pipeline[] {
    const fds = redirectFds(line);
    const entries: ParseEntry[] = parse(line, (k: string) => (k === '?' ? String(this.status) : k === 'PWD' ? this.cwd : ''));
    const out: Pipeline[] = [];
    let cur: SimpleCommand = { words: [], redirects: [] };
    let pipe: SimpleCommand[] = [];
    let join: Pipeline['join'] = ';';
    let redirIdx = 0;
    const endCommand = (op: string): void => {
      if (cur.words.length === 0 && cur.redirects.length === 0) throw new SyntaxError(`syntax error near unexpected token \`${op}'`);
      pipe.push(cur);
      cur = { words: [], redirects: [] };
    };
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (typeof e === 'string') { cur.words.push(e); continue; }
      if ('comment' in e) break;
      if (e.op === 'glob') { cur.words.push(...this.expandGlob(e.pattern)); continue; }
      if (REDIRECT_OPS.has(e.op)) {
        const fdPrefix = fds[redirIdx++] ?? null;
        if (fdPrefix !== null && cur.words[cur.words.length - 1] === String(fdPrefix)) cur.words.pop();
        const t = entries[i + 1];
        let target: string | undefined;
        let ambiguous = false;
        if (typeof t === 'string') target = t;
        else if (t !== undefined && 'op' in t && t.op === 'glob') {
          const m = this.expandGlob(t.pattern);
          target = m.length === 1 ? m[0] : t.pattern;
          ambiguous = m.length > 1;
        }
        if (target === undefined) {
          const next = t !== undefined && typeof t !== 'string' && 'op' in t ? t.op : 'newline';
          throw new SyntaxError(`syntax error near unexpected token \`${next}'`);
        }
        i++;
        cur.redirects.push({ fd: fdPrefix ?? (e.op === '<' ? 0 : 1), op: e.op as Redirect['op'], target, ...(ambiguous ? { ambiguous } : {}) });
        continue;
      }
      if (e.op === '|') { endCommand('|'); continue; }
      if (e.op === ';' || e.op === '&&' || e.op === '||') {
        endCommand(e.op);
        out.push({ join, commands: pipe });
        pipe = [];
        join = e.op;
        continue;
      }
      throw new SyntaxError(e.op === '&' ? "&: background jobs are not supported" : `syntax error near unexpected token \`${e.op}'`);
    }
    if (cur.words.length > 0 || cur.redirects.length > 0) pipe.push(cur);
    else if (pipe.length > 0 || (join !== ';' && out.length > 0)) throw new SyntaxError('syntax error: unexpected end of file');
    if (pipe.length > 0) out.push({ join, commands: pipe });
    return out;
  }

  /** Pathname expansion as bash does it without nullglob: the sorted matches, or the word itself. */
  private expandGlob(pattern: string): string[] {
    const slash = pattern.lastIndexOf('/');
    const dirPart = slash >= 0 ? pattern.slice(0, slash + 1) : '';
    const stem = pattern.slice(slash + 1);
    if (/[*?[]/.test(dirPart)) return [pattern];
    const d = this.fs.lookup(dirPart === '' ? '.' : dirPart, this.cwd);
    if (typeof d === 'number' || d.kind !== 'dir') return [pattern];
    const re = globRe(stem);
    const hits = [...d.entries()].map(([n]) => n).filter((n) => re.test(n) && (!n.startsWith('.') || stem.startsWith('.'))).sort();
    return hits.length > 0 ? hits.map((n) => dirPart + n) : [pattern];
  }

  private runPipeline(cmds: SimpleCommand[]): number {
    let input: string | null = null;
    let status = 0;
    for (let i = 0; i < cmds.length; i++) {
      const last = i === cmds.length - 1;
      const piped: string[] = [];
      const pipeSink: Sink = { write: (d) => { piped.push(d); return 0; } };
      status = this.runCommand(cmds[i], input, last ? this.ttyOut : pipeSink);
      input = last ? null : piped.join('');
    }
    return status;
  }

  /** Open the redirections left to right (a failed one stops the command: status 1), run it, close them. */
  private runCommand(c: SimpleCommand, stdin: string | null, out: Sink): number {
    const sinks: Record<number, Sink> = { 1: out, 2: this.ttyErr };
    const opened: OpenFile[] = [];
    let status = 0;
    try {
      for (const r of c.redirects) {
        if (r.ambiguous) {
          this.opts.io.err(`ftsim: ${r.target}: ambiguous redirect\n`);
          return 1;
        }
        if (r.op === '<') {
          if (r.target === '/dev/null') { stdin = ''; continue; }
          const f = readFile(this.exec(stdin, sinks), r.target);
          if (f.err !== undefined) return this.redirectError(r.target, f.err);
          stdin = f.data;
          continue;
        }
        if (r.fd !== 1 && r.fd !== 2) return this.redirectError(String(r.fd), -EBADF, 'ftsim: ');
        if (r.op === '>&') {
          if (r.target !== '1' && r.target !== '2') return this.redirectError(r.target, -EBADF);
          sinks[r.fd] = sinks[Number(r.target)];
          continue;
        }
        if (r.target === '/dev/null') { sinks[r.fd] = { write: () => 0 }; continue; }
        const f = this.openForWrite(r.target, r.op === '>>');
        if (typeof f === 'number') return this.redirectError(r.target, f);
        opened.push(f);
        sinks[r.fd] = fileSink(f);
      }
      if (c.words.length === 0) return 0;
      const [name, ...args] = c.words;
      const cmd = Object.hasOwn(this.commands, name) ? this.commands[name] : undefined;
      if (cmd === undefined) {
        sinks[2].write(`ftsim: ${name}: command not found\n`);
        return 127;
      }
      status = cmd(args, this.exec(stdin, sinks));
    } finally {
      // close(2) reports nothing of a release's result (the VFS ignores it), as bash sees it
      for (const f of opened) f.release?.();
    }
    return status;
  }

  private exec(stdin: string | null, sinks: Record<number, Sink>): Exec {
    return {
      stdin, out: sinks[1], err: sinks[2], fs: this.fs, cwd: this.cwd,
      tty: this.opts.tty === true && sinks[1] === this.ttyOut, columns: this.opts.columns ?? 80,
    };
  }

  private redirectError(target: string, err: number, prefix = 'ftsim: '): number {
    this.opts.io.err(`${prefix}${target}: ${strerror(err)}\n`);
    return 1;
  }

  /**
   * open(2) with O_CREAT|O_WRONLY and O_TRUNC or O_APPEND: a missing name in an existing directory is
   * -EACCES (tracefs directories have no create), a directory -EISDIR.
   */
  private openForWrite(path: string, append: boolean): OpenFile | number {
    const n = this.fs.lookup(path, this.cwd);
    if (n === -ENOENT) {
      const segs = normalize(path, this.cwd);
      segs.pop();
      const parent = this.fs.lookup(`/${segs.join('/')}`);
      return typeof parent !== 'number' && parent.kind === 'dir' ? -EACCES : -ENOENT;
    }
    if (typeof n === 'number') return n;
    if (n.kind === 'dir') return -EISDIR;
    return this.fs.open(path, append ? O_WRONLY_APPEND : O_WRONLY_TRUNC, this.cwd);
  }

  private cd(args: string[], x: Exec): number {
    if (args.length > 1) {
      x.err.write('ftsim: cd: too many arguments\n');
      return 1;
    }
    let target = args[0] ?? MOUNT;
    if (target === '-') target = this.oldpwd;
    if (target === '') return 0;
    const n = this.fs.lookup(target, this.cwd);
    if (typeof n === 'number' || n.kind !== 'dir') {
      x.err.write(`ftsim: cd: ${target}: ${strerror(typeof n === 'number' ? n : -20)}\n`);
      return 1;
    }
    this.oldpwd = this.cwd;
    this.cwd = `/${normalize(target, this.cwd).join('/')}`;
    if (args[0] === '-') return print(x, `${this.cwd}\n`, 'ftsim: cd');
    return 0;
  }

  private exit(args: string[], x: Exec): number {
    if (args.length === 0) {
      this.exited = this.status;
      return this.status;
    }
    if (!/^[+-]?\d+$/.test(args[0])) {
      x.err.write(`ftsim: exit: ${args[0]}: numeric argument required\n`);
      this.exited = 2;
      return 2;
    }
    if (args.length > 1) {
      x.err.write('ftsim: exit: too many arguments\n');
      return 1;
    }
    this.exited = ((Number(args[0]) % 256) + 256) % 256;
    return this.exited;
  }
}

/** A sink writing to an open tracefs file: each write() is one write(2), continued if short. */
function fileSink(f: OpenFile): Sink {
  return {
    write: (d) => {
      // vfs_write on a file without a write handler
      if (f.write === undefined) return -EINVAL;
      let data = bytes(d);
      while (data.length > 0) {
        const r = f.write(data);
        if (r < 0) return r;
        if (r === 0) break;
        data = data.subarray(r);
      }
      return 0;
    },
  };
}

/** bash's echo: -n, -e and -E options (only words made of those letters), backslash escapes with -e. */
function echo(args: string[], x: Exec): number {
  let newline = true;
  let escapes = false;
  let i = 0;
  for (; i < args.length && /^-[neE]+$/.test(args[i]); i++) {
    for (const ch of args[i].slice(1)) {
      if (ch === 'n') newline = false;
      else escapes = ch === 'e';
    }
  }
  let s = args.slice(i).join(' ');
  if (escapes) {
    const cut = s.indexOf('\\c');
    if (cut >= 0) { s = s.slice(0, cut); newline = false; }
    const map: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', a: '\x07', b: '\b', e: '\x1b', f: '\f', r: '\r', v: '\v' };
    s = s.replace(/\\(0[0-7]{0,3}|x[0-9a-fA-F]{1,2}|.)/g, (m, e: string) => {
      if (e[0] === '0') return String.fromCharCode(parseInt(e.slice(1) || '0', 8));
      if (e[0] === 'x' && e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
      return map[e] ?? m;
    });
  }
  return print(x, newline ? `${s}\n` : s, 'ftsim: echo');
}

const HELP = `ftsim shell: the tracefs files of the simulated machine, mounted at ${MOUNT}.
  ls [-l] [-a] [PATH...]      list a directory
  cd [DIR], pwd               change or show the working directory
  cat FILE...                 read files
  echo [-n] [-e] WORDS        print words; with > FILE (truncate) or >> FILE (append) write a file
  mkdir DIR, rmdir DIR        make or remove a trace instance (instances/NAME)
  CMD | grep [-v] [-c] [-E] [-i] [-F] PATTERN, head [-n N], tail [-n N], wc [-l] [-w] [-c]
  run DURATION                let the machine run: 10ms, 500us, 1s (1 GHz per CPU), or a step count; ^C stops it
  exit [N]                    leave the shell
Quoting, ;, &&, ||, 2>&1, 2>/dev/null and $? work as in sh; # starts a comment.
`;

