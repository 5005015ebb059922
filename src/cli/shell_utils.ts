// The coreutils and grep of `ftsim shell` (cat, ls, grep, head, tail, wc, mkdir, rmdir) as they behave on Linux: output, messages and exit codes of GNU coreutils and GNU grep, over the tracefs model (fs/tracefs/inode.c).

import { bytes, EEXIST, EISDIR, ENOENT, ENOTDIR, EPERM, normalize, O_RDONLY, strerror, text, type DirNode, type Node, type Tracefs } from '../trace/tracefs/fs.js';

/** Where a command's output goes: the terminal, a pipe, a file or /dev/null. write() returns 0 or -errno. */
export interface Sink {
  write(data: string): number;
}

/** What a command runs with: its input (a pipe or a `< file`, null for the terminal), its stdout and stderr. */
export interface Exec {
  stdin: string | null;
  out: Sink;
  err: Sink;
  /** The filesystem (the tracefs tree mounted at /sys/kernel/tracing) and the working directory. */
  fs: Tracefs;
  cwd: string;
  /** stdout is a terminal (ls prints columns there, one name a line elsewhere). */
  tty: boolean;
  columns: number;
}

export type Command = (args: string[], x: Exec) => number;

/** Write `data` to stdout; a failed write prints `NAME: write error: ...` and gives status 1. */
export function print(x: Exec, data: string, name: string): number {
  if (data === '') return 0;
  const r = x.out.write(data);
  if (r < 0) {
    x.err.write(`${name}: write error: ${strerror(r)}\n`);
    return 1;
  }
  return 0;
}

/** Read a whole file the way cat does (open, read in 128 KiB calls until an empty read, close). */
/**
 * Read a whole file as cat does; with `enough`, in reads of BUFSIZ (8192) bytes as GNU head does, and stop
 * as soon as `enough` says the text so far is enough (head -n N of trace_pipe consumes only what its reads took).
 */
export function readFile(x: Exec, path: string, enough?: (data: string) => boolean): { data: string; err?: number } {
  const n = x.fs.lookup(path, x.cwd);
  if (typeof n === 'number') return { data: '', err: n };
  if (n.kind === 'dir') return { data: '', err: -EISDIR };
  const f = x.fs.open(path, O_RDONLY, x.cwd);
  if (typeof f === 'number') return { data: '', err: f };
  const parts: string[] = [];
  let pos = 0;
  try {
    if (f.read === undefined) return { data: '', err: -22 };
    for (;;) {
      const r = f.read(pos, enough ? 8192 : 131072);
      if (typeof r === 'number') return { data: parts.join(''), err: r };
      if (r.length === 0) break;
      parts.push(text(r));
      pos += r.length;
      if (enough?.(parts.join(''))) break;
    }
  } finally {
    f.release?.();
  }
  return { data: parts.join('') };
}

/** The lines of a text (the last one without its newline counts too). */
function lines(s: string): string[] {
  if (s === '') return [];
  const l = s.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/** Inputs of a filter command: its file operands, or stdin. Calls `each` with (name, text), '-' is stdin. */
function inputs(x: Exec, files: string[], each: (name: string, data: string, err?: number) => void, enough?: (data: string) => boolean): void {
  if (files.length === 0) files = ['-'];
  for (const f of files) {
    if (f === '-') each('(standard input)', x.stdin ?? '');
    else {
      const r = readFile(x, f, enough);
      each(f, r.data, r.err);
    }
  }
}

export const cat: Command = (args, x) => {
  let status = 0;
  const files = args.length === 0 ? ['-'] : args;
  for (const f of files) {
    if (f === '-') {
      if (print(x, x.stdin ?? '', 'cat')) return 1;
      continue;
    }
    const r = readFile(x, f);
    if (print(x, r.data, 'cat')) return 1;
    if (r.err !== undefined) {
      x.err.write(`cat: ${f}: ${strerror(r.err)}\n`);
      status = 1;
    }
  }
  return status;
};

/** `ls -l` permission string of a mode. */
function modeString(n: Node): string {
  const m = n.mode;
  let s = n.kind === 'dir' ? 'd' : '-';
  for (const shift of [6, 3, 0]) {
    const b = (m >> shift) & 7;
    s += (b & 4 ? 'r' : '-') + (b & 2 ? 'w' : '-') + (b & 1 ? 'x' : '-');
  }
  return s;
}

/** Link count ls shows: 1 for a file, 2 plus the subdirectories for a directory. */
function nlink(n: Node): number {
  if (n.kind !== 'dir') return 1;
  let k = 2;
  for (const [, c] of n.entries()) if (c.kind === 'dir') k++;
  return k;
}

/** ls's columns on a terminal: as many as fit `width`, filled top to bottom. */
function columns(names: string[], width: number): string {
  if (names.length === 0) return '';
  for (let cols = names.length; cols >= 1; cols--) {
    const rows = Math.ceil(names.length / cols);
    const widths: number[] = [];
    for (let c = 0; c < cols; c++) {
      const col = names.slice(c * rows, (c + 1) * rows);
      if (col.length === 0) break;
      widths.push(Math.max(...col.map((s) => s.length)) + 2);
    }
    const total = widths.reduce((a, b) => a + b, 0) - 2;
    if (total > width && cols > 1) continue;
    let out = '';
    for (let r = 0; r < rows; r++) {
      const row: string[] = [];
      for (let c = 0; c < widths.length; c++) {
        const s = names[c * rows + r];
        if (s !== undefined) row.push(s);
      }
      out += row.map((s, i) => (i === row.length - 1 ? s : s.padEnd(widths[i]))).join('') + '\n';
    }
    return out;
  }
  return '';
}

/** tracefs files have size 0 and the boot's time; ls prints an old date with its year. */
const LS_DATE = 'Jan  1  1970';

function longListing(items: [string, Node][]): string {
  const links = items.map(([, n]) => String(nlink(n)));
  const w = Math.max(1, ...links.map((s) => s.length));
  return items.map(([name, n], i) => `${modeString(n)} ${links[i].padStart(w)} root root 0 ${LS_DATE} ${name}\n`).join('');
}

export const ls: Command = (args, x) => {
  let long = false;
  let all = false;
  let one = false;
  let dirsAsFiles = false;
  const ops: string[] = [];
  for (const a of args) {
    if (a.startsWith('-') && a.length > 1 && !a.startsWith('--')) {
      for (const ch of a.slice(1)) {
        if (ch === 'l') long = true;
        else if (ch === 'a') all = true;
        else if (ch === '1') one = true;
        else if (ch === 'd') dirsAsFiles = true;
        else {
          x.err.write(`ls: invalid option -- '${ch}'\nTry 'ls --help' for more information.\n`);
          return 2;
        }
      }
    } else if (a.startsWith('--') && a.length > 2) {
      x.err.write(`ls: unrecognized option '${a}'\nTry 'ls --help' for more information.\n`);
      return 2;
    } else ops.push(a);
  }
  if (ops.length === 0) ops.push('.');
  let status = 0;
  const files: [string, Node][] = [];
  const dirs: [string, DirNode][] = [];
  for (const p of ops) {
    const n = x.fs.lookup(p, x.cwd);
    if (typeof n === 'number') {
      x.err.write(`ls: cannot access '${p}': ${strerror(n)}\n`);
      status = 2;
    } else if (n.kind === 'dir' && !dirsAsFiles) dirs.push([p, n]);
    else files.push([p, n]);
  }
  const names = (items: [string, Node][]): string => {
    if (long) return longListing(items);
    const ns = items.map(([s]) => s);
    return x.tty && !one ? columns(ns, x.columns) : ns.map((s) => `${s}\n`).join('');
  };
  const blocks: string[] = [];
  const byName = (a: [string, Node], b: [string, Node]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  files.sort(byName);
  dirs.sort(byName);
  if (files.length > 0) blocks.push(names(files));
  const header = files.length > 0 || dirs.length > 1 || status !== 0;
  for (const [p, d] of dirs) {
    const items: [string, Node][] = [...d.entries()].sort(byName);
    if (all) items.unshift(['.', d], ['..', d]);
    const body = (long ? `total 0\n` : '') + names(items);
    blocks.push(header ? `${p}:\n${body}` : body);
  }
  if (print(x, blocks.join('\n'), 'ls')) return 2;
  return status;
};

/** GNU grep's basic regular expression turned into a JavaScript one (`\(`, `\|`, `\+`, `\?`, `\{` special; `(`, `|`, `+`, `?`, `{` literal). */
function breToJs(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\' && i + 1 < p.length) {
      const d = p[++i];
      out += '(|)+?{}'.includes(d) ? d : `\\${d}`;
    } else if ('(|)+?{}'.includes(c)) out += `\\${c}`;
    else if (c === '[') {
      // a bracket expression is copied as is, up to its closing ]
      let j = i + 1;
      if (p[j] === '^') j++;
      if (p[j] === ']') j++;
      while (j < p.length && p[j] !== ']') j++;
      out += p.slice(i, j + 1).replace(/\\/g, '\\\\');
      i = j;
    } else out += c;
  }
  return out;
}

const GREP_USAGE = "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n";

export const grep: Command = (args, x) => {
  let invert = false;
  let count = false;
  let extended = false;
  let fixed = false;
  let icase = false;
  let pattern: string | undefined;
  const files: string[] = [];
  let opts = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (opts && a === '--') opts = false;
    else if (opts && a === '-e' && i + 1 < args.length) pattern = args[++i];
    else if (opts && a.startsWith('-') && a.length > 1) {
      for (const ch of a.slice(1)) {
        if (ch === 'v') invert = true;
        else if (ch === 'c') count = true;
        else if (ch === 'E') extended = true;
        else if (ch === 'F') fixed = true;
        else if (ch === 'i') icase = true;
        else {
          x.err.write(`grep: invalid option -- '${ch}'\n${GREP_USAGE}`);
          return 2;
        }
      }
    } else if (pattern === undefined) pattern = a;
    else files.push(a);
  }
  if (pattern === undefined) {
    x.err.write(GREP_USAGE);
    return 2;
  }
  let re: RegExp;
  try {
    const src = fixed ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : extended ? pattern : breToJs(pattern);
    re = new RegExp(src, icase ? 'i' : '');
  } catch {
    x.err.write('grep: Invalid regular expression\n');
    return 2;
  }
  let matched = false;
  let trouble = false;
  let out = '';
  const many = files.length > 1;
  inputs(x, files, (name, data, err) => {
    if (err !== undefined) {
      x.err.write(`grep: ${name}: ${strerror(err)}\n`);
      trouble = true;
      return;
    }
    const hits = lines(data).filter((l) => re.test(l) !== invert);
    if (hits.length > 0) matched = true;
    if (count) out += `${many ? `${name}:` : ''}${hits.length}\n`;
    else out += hits.map((l) => `${many ? `${name}:` : ''}${l}\n`).join('');
  });
  if (print(x, out, 'grep')) return 2;
  return trouble ? 2 : matched ? 0 : 1;
};

/** head/tail's `-n N`, `-nN`, `-N` options; returns the count text and the files, or a status after an error. */
function lineCountArgs(name: string, args: string[], x: Exec): { n: string; files: string[] } | number {
  let n = '10';
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-n') {
      if (i + 1 >= args.length) {
        x.err.write(`${name}: option requires an argument -- 'n'\nTry '${name} --help' for more information.\n`);
        return 1;
      }
      n = args[++i];
    } else if (a.startsWith('-n')) n = a.slice(2);
    else if (/^-\d+$/.test(a)) n = a.slice(1);
    else if (a.startsWith('-') && a.length > 1) {
      x.err.write(`${name}: invalid option -- '${a[1]}'\nTry '${name} --help' for more information.\n`);
      return 1;
    } else files.push(a);
  }
  return { n, files };
}

function headTail(name: 'head' | 'tail', args: string[], x: Exec): number {
  const p = lineCountArgs(name, args, x);
  if (typeof p === 'number') return p;
  const m = /^([+-]?)(\d+)$/.exec(p.n);
  if (m === null) {
    x.err.write(`${name}: invalid number of lines: '${p.n}'\n`);
    return 1;
  }
  const k = Number(m[2]);
  let status = 0;
  let out = '';
  const many = p.files.length > 1;
  let first = true;
  inputs(x, p.files, (file, data, err) => {
    if (err !== undefined) {
      x.err.write(`${name}: cannot open '${file}' for reading: ${strerror(err)}\n`);
      status = 1;
      return;
    }
    const l = data === '' ? [] : data.split(/(?<=\n)/);
    let sel: string[];
    if (name === 'head') sel = m[1] === '-' ? l.slice(0, Math.max(0, l.length - k)) : l.slice(0, k);
    else sel = m[1] === '+' ? l.slice(Math.max(0, k - 1)) : k === 0 ? [] : l.slice(-k);
    if (many) out += `${first ? '' : '\n'}==> ${file} <==\n`;
    first = false;
    out += sel.join('');
  }, name === 'head' && m[1] !== '-' ? (d) => (d.match(/\n/g)?.length ?? 0) >= k : undefined);
  if (print(x, out, name)) return 1;
  return status;
}

export const head: Command = (args, x) => headTail('head', args, x);
export const tail: Command = (args, x) => headTail('tail', args, x);

export const wc: Command = (args, x) => {
  const want = { l: false, w: false, c: false };
  const files: string[] = [];
  for (const a of args) {
    if (a.startsWith('-') && a.length > 1) {
      for (const ch of a.slice(1)) {
        if (ch === 'l' || ch === 'w' || ch === 'c') want[ch] = true;
        else {
          x.err.write(`wc: invalid option -- '${ch}'\nTry 'wc --help' for more information.\n`);
          return 1;
        }
      }
    } else files.push(a);
  }
  if (!want.l && !want.w && !want.c) want.l = want.w = want.c = true;
  let status = 0;
  const rows: [number[], string | null][] = [];
  const total = [0, 0, 0];
  inputs(x, files, (name, data, err) => {
    if (err !== undefined) {
      x.err.write(`wc: ${name}: ${strerror(err)}\n`);
      status = 1;
      return;
    }
    const counts = [(data.match(/\n/g) ?? []).length, (data.match(/\S+/g) ?? []).length, bytes(data).length];
    counts.forEach((c, i) => { total[i] += c; });
    rows.push([counts, files.length === 0 ? null : name]);
  });
  if (files.length > 1) rows.push([total, 'total']);
  const keep = (c: number[]): number[] => c.filter((_, i) => [want.l, want.w, want.c][i]);
  const single = keep([0, 0, 0]).length === 1;
  // GNU wc pads to the width of the inputs' sizes: several counts of stdin (size unknown) get 7, tracefs
  // files (size 0) and a single count none
  const w = files.length === 0 && !single ? 7 : 1;
  const out = rows.map(([c, name]) => keep(c).map((v) => String(v).padStart(w)).join(' ') + (name === null ? '' : ` ${name}`) + '\n').join('');
  if (print(x, out, 'wc')) return 1;
  return status;
};

/** The parent directory of a path and the last name in it. */
function splitPath(path: string, cwd: string): { parent: string; name: string } {
  const segs = normalize(path, cwd);
  const name = segs.pop() ?? '';
  return { parent: `/${segs.join('/')}`, name };
}

/**
 * mkdir and rmdir: for each operand, find its parent directory and apply `op` there; on failure print
 * `CMD: FAILED 'operand': strerror` (coreutils' words) and exit 1 after the rest.
 */
function dirCommand(cmd: string, failed: string, op: (dir: DirNode, name: string) => number): Command {
  return (args, x) => {
    if (args.length === 0) {
      x.err.write(`${cmd}: missing operand\nTry '${cmd} --help' for more information.\n`);
      return 1;
    }
    let status = 0;
    for (const p of args) {
      const { parent, name } = splitPath(p, x.cwd);
      const d = x.fs.lookup(parent);
      const err = typeof d === 'number' ? d : d.kind !== 'dir' ? -ENOTDIR : op(d, name);
      if (err < 0) {
        x.err.write(`${cmd}: ${failed} '${p}': ${strerror(err)}\n`);
        status = 1;
      }
    }
    return status;
  };
}

export const mkdir = dirCommand('mkdir', 'cannot create directory', (d, name) => {
  if (name === '' || d.lookup(name) !== undefined) return -EEXIST;
  return d.mkdir ? d.mkdir(name) : -EPERM;
});

export const rmdir = dirCommand('rmdir', 'failed to remove', (d, name) => {
  const n = name === '' ? d : d.lookup(name);
  if (n === undefined) return -ENOENT;
  if (n.kind !== 'dir') return -ENOTDIR;
  return d.rmdir && name !== '' ? d.rmdir(name) : -EPERM;
});
