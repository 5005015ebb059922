// The tracefs filesystem model: directories, files with the kernel's open/read/write/release split and errnos, path lookup (fs/tracefs/inode.c, and the file_operations of kernel/trace/trace.c). `ftsim shell` and the FUSE mount both serve this one model.

import { byteStrBytes, bytesByteStr } from '../bytestr.js';

/** The errnos tracefs handlers return (negated, as the kernel's). */
export const EPERM = 1;
export const ENOENT = 2;
export const EINTR = 4;
export const EIO = 5;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const ERANGE = 34;
export const EOVERFLOW = 75;
export const ENOTEMPTY = 39;

/** strerror() of an errno (positive or negative), as bash and coreutils print it on Linux. */
export function strerror(err: number): string {
  const texts: Record<number, string> = {
    [EPERM]: 'Operation not permitted', [ENOENT]: 'No such file or directory', [EINTR]: 'Interrupted system call',
    [EIO]: 'Input/output error', [EBADF]: 'Bad file descriptor', [EAGAIN]: 'Resource temporarily unavailable',
    [ENOMEM]: 'Cannot allocate memory', [EACCES]: 'Permission denied', [EFAULT]: 'Bad address',
    [EBUSY]: 'Device or resource busy', [EEXIST]: 'File exists', [ENODEV]: 'No such device',
    [ENOTDIR]: 'Not a directory', [EISDIR]: 'Is a directory', [EINVAL]: 'Invalid argument',
    [ENOSPC]: 'No space left on device', [ESPIPE]: 'Illegal seek', [ENOTEMPTY]: 'Directory not empty',
    [ERANGE]: 'Numerical result out of range', [EOVERFLOW]: 'Value too large for defined data type',
  };
  return texts[Math.abs(err)] ?? `Unknown error ${Math.abs(err)}`;
}

/** How a file is opened (O_RDONLY / O_WRONLY / O_RDWR, O_TRUNC, O_APPEND, O_NONBLOCK). */
export interface OpenFlags {
  read: boolean;
  write: boolean;
  trunc: boolean;
  append: boolean;
  nonblock?: boolean;
  /**
   * The caller does the waiting (the FUSE mount, whose machine runs on its own): a read that would block
   * returns -EAGAIN, as under O_NONBLOCK, but only where the kernel would go to sleep; where it would
   * return end of file instead (tracing off after something was read), it does. Without it, a blocking
   * read lets the machine run itself until something comes (`ftsim shell`, whose machine is paused).
   */
  deferWait?: boolean;
}

export const O_RDONLY: OpenFlags = { read: true, write: false, trunc: false, append: false };
/** What `echo x > file` opens with. */
export const O_WRONLY_TRUNC: OpenFlags = { read: false, write: true, trunc: true, append: false };
/** What `echo x >> file` opens with. */
export const O_WRONLY_APPEND: OpenFlags = { read: false, write: true, trunc: false, append: true };

/**
 * One open file (struct file with its private data). Reads and writes return a byte count or a
 * negative errno; release returns 0 or a negative errno (close()'s result).
 */
export interface OpenFile {
  /** Read up to `len` bytes at `pos`; an empty result is end of file (or, for a pipe, nothing yet). */
  read?(pos: number, len: number): Uint8Array | number;
  /** Write `data` at the file position; returns the bytes taken or -errno. */
  write?(data: Uint8Array): number;
  release?(): number;
}

export interface FileNode {
  kind: 'file';
  /** Permission bits as ls shows them: the kernel's TRACE_MODE_READ 0o440, TRACE_MODE_WRITE 0o640, or an explicit one (trace_marker 0o220, free_buffer 0o200). */
  mode: number;
  /**
   * The kernel's .open: per-open state, or -errno. A file without .write (or .read) returns an OpenFile
   * without it: root opens it anyway and the VFS fails the write(2) (read(2)) with -EINVAL.
   */
  open(flags: OpenFlags): OpenFile | number;
}

export interface DirNode {
  kind: 'dir';
  mode: number;
  /** tracefs directories are 0o750 (__create_dir: no bits for others); eventfs's (events/) are 0o755. */
  /** The entries in the order `ls -f` shows them. */
  entries(): Iterable<[string, Node]>;
  lookup(name: string): Node | undefined;
  /** mkdir inside this directory (instances/): 0 or -errno; absent = -EPERM. */
  mkdir?(name: string): number;
  rmdir?(name: string): number;
}

export type Node = FileNode | DirNode;

/** TRACE_MODE_WRITE and TRACE_MODE_READ (kernel/trace/trace.h): the modes of most tracefs files. */
export const TRACE_MODE_WRITE = 0o640;
export const TRACE_MODE_READ = 0o440;
/** __create_dir's S_IRWXU | S_IRUSR | S_IRGRP | S_IXUSR | S_IXGRP (fs/tracefs/inode.c). */
export const TRACEFS_DIR_MODE = 0o750;
/** eventfs directories (events/ and below): S_IRWXU | S_IRUGO | S_IXUGO (fs/tracefs/event_inode.c). */
export const EVENTFS_DIR_MODE = 0o755;
/** The tracefs root (/sys/kernel/tracing): TRACEFS_DEFAULT_MODE 0o700 unless mounted with mode=. */
export const TRACEFS_ROOT_MODE = 0o700;

/** A directory whose entries are added by the code that builds the tree. */
export class StaticDir implements DirNode {
  readonly kind = 'dir';
  private readonly map = new Map<string, Node>();
  constructor(public mode = TRACEFS_DIR_MODE) {}
  add(name: string, node: Node): Node {
    if (name === '' || name.includes('/') || name === '.' || name === '..') throw new Error(`tracefs: bad entry name '${name}'`);
    if (this.map.has(name)) throw new Error(`tracefs: '${name}' already exists`);
    this.map.set(name, node);
    return node;
  }
  /** The subdirectory `name`, made if missing: 0o755 below a 0o755 directory (eventfs's events/, the shell's /sys), else tracefs's 0o750. */
  dir(name: string): StaticDir {
    const n = this.map.get(name);
    if (n instanceof StaticDir) return n;
    if (n !== undefined) throw new Error(`tracefs: '${name}' is not a directory`);
    const d = new StaticDir(this.mode === EVENTFS_DIR_MODE ? EVENTFS_DIR_MODE : TRACEFS_DIR_MODE);
    this.map.set(name, d);
    return d;
  }
  remove(name: string): boolean {
    return this.map.delete(name);
  }
  entries(): Iterable<[string, Node]> {
    return this.map.entries();
  }
  lookup(name: string): Node | undefined {
    return this.map.get(name);
  }
}

/** A file's text as the bytes it is (tracefs deals in bytes: see bytestr.ts). */
export function bytes(text: string): Uint8Array {
  return byteStrBytes(text);
}

/** Bytes read or written, as a byte string. */
export function text(data: Uint8Array): string {
  return bytesByteStr(data);
}

/** Reads of a text fixed at open time (seq_file: the kernel formats as the reader asks, the result is the same). */
export function textReader(produce: () => string): OpenFile['read'] {
  let content: Uint8Array | null = null;
  return (pos, len) => {
    content ??= bytes(produce());
    return content.subarray(Math.min(pos, content.length), Math.min(pos + len, content.length));
  };
}

/**
 * A read-only file whose text is made at open (most of tracefs: available_tracers, enabled_functions...).
 * It has no .write: root opens it for writing (CAP_DAC_OVERRIDE) and write(2) is -EINVAL (vfs_write
 * without FMODE_CAN_WRITE).
 */
export function roFile(produce: () => string, mode = TRACE_MODE_READ): FileNode {
  return {
    kind: 'file', mode,
    open: (f) => ({ read: f.read ? textReader(produce) : undefined }),
  };
}

/**
 * A read-write control file: reads give `show()`, each write() call is handed to `store` as text (the
 * kernel parses each write call on its own), and an O_TRUNC open calls `truncate` first if given.
 */
export function rwFile(show: () => string, store: (text: string) => number, opts: { mode?: number; truncate?: () => number } = {}): FileNode {
  return {
    kind: 'file', mode: opts.mode ?? TRACE_MODE_WRITE,
    open: (f) => {
      if (f.write && f.trunc && opts.truncate) {
        const e = opts.truncate();
        if (e < 0) return e;
      }
      return {
        read: f.read ? textReader(show) : undefined,
        write: f.write ? (data) => {
          const r = store(text(data));
          return r < 0 ? r : data.length;
        } : undefined,
      };
    },
  };
}

/** A write-only file (trace_marker): it has no .read, so root's read(2) is -EINVAL (vfs_read without FMODE_CAN_READ). */
export function woFile(store: (text: string) => number, mode = 0o200): FileNode {
  return {
    kind: 'file', mode,
    open: (f) => ({
      write: f.write ? (data) => {
        const r = store(text(data));
        return r < 0 ? r : data.length;
      } : undefined,
    }),
  };
}

/**
 * kstrtoull_from_user(buf, count, base): the first 66 bytes of the write (the kernel's buffer), one
 * optional trailing newline, an optional '+', then digits of `base` (base 0: 0x hex, 0 octal, else
 * decimal; base 16 also takes a 0x prefix) and nothing else. The value, or -EINVAL (no digits, junk)
 * or -ERANGE (above 2^64 - 1; found while reading the digits, so before any junk after them).
 */
export function kstrtoull(input: string, base = 10): bigint | number {
  let s = input.slice(0, 66);
  if (s.startsWith('+')) s = s.slice(1);
  let b = base;
  if ((b === 0 || b === 16) && /^0[xX][0-9a-fA-F]/.test(s)) { s = s.slice(2); b = 16; }
  else if (b === 0) b = s.length > 1 && s.startsWith('0') ? 8 : 10;
  const digits = '0123456789abcdef'.slice(0, b);
  let v = 0n;
  let n = 0;
  for (; n < s.length; n++) {
    const d = digits.indexOf(s[n].toLowerCase());
    if (d < 0) break;
    v = v * BigInt(b) + BigInt(d);
    if (v > 0xffffffffffffffffn) return -ERANGE;
  }
  if (n === 0) return -EINVAL;
  const rest = s.slice(n);
  if (rest !== '' && rest !== '\n') return -EINVAL;
  return v;
}

/**
 * kstrtoul_from_user as a number: kstrtoull's value (exact up to 2^53, rounded above: only sizes and
 * counts that fail anyway get there) or its -errno.
 */
export function kstrtoul(text: string, base = 10): number {
  const v = kstrtoull(text, base);
  return typeof v === 'number' ? v : Number(v);
}

/** A path resolved against a working directory: absolute segments from the root, '.' and '..' folded. */
export function normalize(path: string, cwd = '/'): string[] {
  const parts = (path.startsWith('/') ? path : `${cwd}/${path}`).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return out;
}

/** The filesystem: lookup by path, and whole-file helpers with the kernel's open/write/release order. */
export class Tracefs {
  /**
   * `asRoot` (the default, as `ftsim shell` runs): CAP_DAC_OVERRIDE, every file opens for reading and
   * writing whatever its mode. Otherwise the caller is an unprivileged user outside root's group: the
   * mode's bits for others decide (tracefs gives others none, so lookups and opens are -EACCES).
   */
  constructor(readonly root: DirNode, readonly opts: { asRoot?: boolean } = {}) {}

  private get asRoot(): boolean {
    return this.opts.asRoot ?? true;
  }

  /** The node at `path`, or -ENOENT / -ENOTDIR (-EACCES for a directory a non-root caller cannot search). */
  lookup(path: string, cwd = '/'): Node | number {
    let n: Node = this.root;
    for (const seg of normalize(path, cwd)) {
      if (n.kind !== 'dir') return -ENOTDIR;
      if (!this.asRoot && (n.mode & 0o001) === 0) return -EACCES;
      const next: Node | undefined = n.lookup(seg);
      if (next === undefined) return -ENOENT;
      n = next;
    }
    return n;
  }

  /**
   * open(2): -EISDIR for a directory. Root opens any file either way (a file without .write or .read
   * fails the write or read with -EINVAL); a non-root caller needs the mode's bits for others (-EACCES).
   */
  open(path: string, flags: OpenFlags, cwd = '/'): OpenFile | number {
    const n = this.lookup(path, cwd);
    if (typeof n === 'number') return n;
    if (n.kind === 'dir') return -EISDIR;
    if (!this.asRoot && ((flags.read && (n.mode & 0o004) === 0) || (flags.write && (n.mode & 0o002) === 0))) return -EACCES;
    return n.open(flags);
  }

  /** Read a whole file in chunks of `chunk` bytes (what cat does); -errno on failure. */
  read(path: string, cwd = '/', chunk = 4096): string | number {
    const f = this.open(path, O_RDONLY, cwd);
    if (typeof f === 'number') return f;
    if (f.read === undefined) {
      // read(2) fails; close(2) still releases (free_buffer acts on release)
      f.release?.();
      return -EINVAL;
    }
    const parts: Uint8Array[] = [];
    let pos = 0;
    try {
      for (;;) {
        const r = f.read(pos, chunk);
        if (typeof r === 'number') return r;
        if (r.length === 0) break;
        parts.push(r.slice());
        pos += r.length;
      }
    } finally {
      f.release?.();
    }
    return parts.map(text).join('');
  }

  /**
   * `echo TEXT > path` (or `>>` with append): open (O_TRUNC takes effect here), one write, release.
   * Returns 0, or the first -errno (the write's, else release's); as in the kernel, what open and
   * release did stands even when the write failed.
   */
  write(path: string, data: string, opts: { append?: boolean; cwd?: string } = {}): number {
    const f = this.open(path, opts.append ? O_WRONLY_APPEND : O_WRONLY_TRUNC, opts.cwd);
    if (typeof f === 'number') return f;
    let err = 0;
    if (f.write === undefined) err = -EINVAL;
    else {
      const r = f.write(bytes(data));
      if (r < 0) err = r;
    }
    const rel = f.release?.() ?? 0;
    return err < 0 ? err : rel;
  }
}
