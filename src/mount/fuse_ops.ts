// The FUSE operations of `ftsim mount` over the tracefs model: each FUSE request becomes the VFS call the kernel would make on tracefs (fs/tracefs/inode.c, fs/fuse/file.c's view of open/read/write/release), so the mount and `ftsim shell` serve one model.

import {
  EACCES, EAGAIN, EBADF, EINTR, EINVAL, EISDIR, ENOENT, ENOTDIR, EPERM,
  type DirNode, type Node, type OpenFile, type OpenFlags, type Tracefs,
} from '../trace/tracefs/fs.js';

/** open(2) flags as Linux x86-64 numbers them (include/uapi/asm-generic/fcntl.h). */
export const O_ACCMODE = 0o3;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** What getattr answers (fuse-native's stat object). */
export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  mtime: Date;
  atime: Date;
  ctime: Date;
}

/** The open(2) flags of a FUSE open as the model's OpenFlags. */
export function openFlags(flags: number, deferWait: boolean): OpenFlags {
  const acc = flags & O_ACCMODE;
  return {
    read: acc !== O_WRONLY,
    write: acc === O_WRONLY || acc === O_RDWR,
    trunc: (flags & O_TRUNC) !== 0,
    append: (flags & O_APPEND) !== 0,
    nonblock: (flags & O_NONBLOCK) !== 0,
    deferWait: deferWait && (flags & O_NONBLOCK) === 0,
  };
}

/** One open file: the model's struct file, and whether the reader asked to block. */
interface Handle {
  path: string;
  file: OpenFile;
  /** The model returns -EAGAIN where the kernel would sleep: park the read and try again as the machine runs. */
  deferWait: boolean;
  released: boolean;
}

/** A read waiting for data (a sleeper in tracing_wait_pipe): answered when the model has something, or end of file. */
interface ParkedRead {
  fh: number;
  buf: Buffer;
  len: number;
  pos: number;
  cb: (n: number) => void;
}

export interface FuseOpsOptions {
  /** Whether the machine runs on its own (blocking reads wait for it) or is paused (a read lets it run, as `ftsim shell`). */
  running: () => boolean;
  /** Whether the machine has stopped for good: a parked read then ends (end of file), as the model's own wait does. */
  stopped: () => boolean;
  /** The time the files show (default: the epoch, the machine's time 0). */
  time?: Date;
}

/**
 * The tracefs model behind fuse-native's callbacks. Every callback answers through `cb` with 0, a count,
 * or a negative errno. Only reads that would sleep are kept for later (retryParked, after each slice of
 * the machine); everything else answers at once, from the model.
 */
export class TracefsFuseOps {
  private readonly handles = new Map<number, Handle>();
  private nextFh = 1;
  private parked: ParkedRead[] = [];
  private readonly time: Date;

  constructor(readonly fs: Tracefs, private readonly o: FuseOpsOptions) {
    // the machine's clock starts at 0: its files were made then (`ftsim shell`'s ls -l shows the same)
    this.time = o.time ?? new Date(0);
  }

  /** Open descriptors (for tests and the stress check). */
  get openCount(): number {
    return this.handles.size;
  }

  /** Reads now waiting for data. */
  get parkedCount(): number {
    return this.parked.length;
  }

  private node(path: string): Node | number {
    return this.fs.lookup(path);
  }

  getattr(path: string, cb: (err: number, st?: FuseStat) => void): void {
    const n = this.node(path);
    if (typeof n === 'number') return cb(n);
    cb(0, this.stat(n));
  }

  /** A tracefs inode's attributes: size 0 for every file (tracefs has no i_size), root owns everything. */
  stat(n: Node): FuseStat {
    let nlink = 1;
    if (n.kind === 'dir') {
      nlink = 2;
      for (const [, c] of n.entries()) if (c.kind === 'dir') nlink++;
    }
    return {
      mode: (n.kind === 'dir' ? S_IFDIR : S_IFREG) | n.mode,
      uid: 0, gid: 0, size: 0, nlink,
      mtime: this.time, atime: this.time, ctime: this.time,
    };
  }

  readdir(path: string, cb: (err: number, names?: string[]) => void): void {
    const n = this.node(path);
    if (typeof n === 'number') return cb(n);
    if (n.kind !== 'dir') return cb(-ENOTDIR);
    const names = ['.', '..'];
    for (const [name] of n.entries()) names.push(name);
    cb(0, names);
  }

  open(path: string, flags: number, cb: (err: number, fh?: number) => void): void {
    const n = this.node(path);
    if (typeof n === 'number') return cb(n);
    if (n.kind === 'dir') return cb(-EISDIR);
    const defer = this.o.running();
    const f = n.open(openFlags(flags, defer));
    if (typeof f === 'number') return cb(f);
    const fh = this.nextFh++;
    this.handles.set(fh, { path, file: f, deferWait: defer && (flags & O_NONBLOCK) === 0, released: false });
    cb(0, fh);
  }

  read(fh: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void): void {
    const h = this.handles.get(fh);
    if (h === undefined) return cb(-EBADF);
    if (h.file.read === undefined) return cb(-EINVAL);
    // reads of one file answer in order: a new one waits behind a parked one
    if (this.parked.some((p) => p.fh === fh)) {
      this.parked.push({ fh, buf, len, pos, cb });
      return;
    }
    if (!this.tryRead(h, { fh, buf, len, pos, cb })) this.parked.push({ fh, buf, len, pos, cb });
  }

  /** Answer the read if the model has an answer; false when it would sleep. */
  private tryRead(h: Handle, r: ParkedRead): boolean {
    const got = h.file.read!(r.pos, r.len);
    if (typeof got === 'number') {
      if (got === -EAGAIN && h.deferWait && !h.released) {
        if (!this.o.stopped()) return false;
        r.cb(0); // the machine is gone: nothing will come
        return true;
      }
      r.cb(got);
      return true;
    }
    const n = Math.min(got.length, r.len, r.buf.length);
    r.buf.set(got.subarray(0, n));
    r.cb(n);
    return true;
  }

  /** Try every parked read again (after the machine ran): the ones with data, or at their end, answer. */
  retryParked(): void {
    if (this.parked.length === 0) return;
    const waiting = this.parked;
    this.parked = [];
    const blocked = new Set<number>();
    for (const r of waiting) {
      const h = this.handles.get(r.fh);
      if (h === undefined) {
        r.cb(0);
        continue;
      }
      if (blocked.has(r.fh) || !this.tryRead(h, r)) {
        blocked.add(r.fh);
        this.parked.push(r);
      }
    }
  }

  /** Answer every parked read of `fh` (or all) with end of file: the reader is gone or the mount ends. */
  endParked(fh?: number): void {
    const keep: ParkedRead[] = [];
    for (const r of this.parked) {
      if (fh === undefined || r.fh === fh) r.cb(0);
      else keep.push(r);
    }
    this.parked = keep;
  }

  /** The paths (inside the mount) that parked reads wait on, one per read. */
  parkedPaths(): string[] {
    return this.parked.map((r) => this.handles.get(r.fh)?.path ?? '');
  }

  /**
   * Readers of these paths were killed while they waited (one path per reader): end one parked read of
   * each with -EINTR, as a fatal signal ends the kernel's wait in tracing_wait_pipe.
   */
  interruptReaders(paths: string[]): number {
    let ended = 0;
    for (const path of paths) {
      const i = this.parked.findIndex((r) => this.handles.get(r.fh)?.path === path);
      if (i < 0) continue;
      const [r] = this.parked.splice(i, 1);
      r.cb(-EINTR);
      ended++;
    }
    return ended;
  }

  write(fh: number, buf: Buffer, len: number, cb: (n: number) => void): void {
    const h = this.handles.get(fh);
    if (h === undefined) return cb(-EBADF);
    if (h.file.write === undefined) return cb(-EINVAL);
    // the model keeps what it is given: hand it a copy, the buffer goes back to FUSE
    const r = h.file.write(Uint8Array.prototype.slice.call(buf, 0, len));
    cb(r);
  }

  release(fh: number, cb: (err: number) => void): void {
    const h = this.handles.get(fh);
    if (h === undefined) return cb(-EBADF);
    h.released = true;
    this.endParked(fh);
    this.handles.delete(fh);
    cb(h.file.release?.() ?? 0);
  }

  /** Release every open file (the mount ends). */
  releaseAll(): void {
    this.endParked();
    for (const fh of [...this.handles.keys()]) this.release(fh, () => {});
  }

  /** open(O_CREAT) of a name that does not exist: tracefs directories have no ->create (-EACCES from the VFS). */
  create(path: string, cb: (err: number) => void): void {
    const at = this.parent(path);
    cb(typeof at === 'number' ? at : -EACCES);
  }

  mkdir(path: string, cb: (err: number) => void): void {
    const at = this.parent(path);
    if (typeof at === 'number') return cb(at);
    const [dir, name] = at;
    if (dir.lookup(name) !== undefined) return cb(-17);
    cb(dir.mkdir === undefined ? -EPERM : dir.mkdir(name));
  }

  rmdir(path: string, cb: (err: number) => void): void {
    const at = this.parent(path);
    if (typeof at === 'number') return cb(at);
    const [dir, name] = at;
    const n = dir.lookup(name);
    if (n === undefined) return cb(-ENOENT);
    if (n.kind !== 'dir') return cb(-ENOTDIR);
    cb(dir.rmdir === undefined ? -EPERM : dir.rmdir(name));
  }

  /** The directory holding `path`'s last component, and that name. */
  private parent(path: string): [DirNode, string] | number {
    const parts = path.split('/').filter((p) => p !== '');
    const name = parts.pop();
    if (name === undefined) return -EACCES;
    const d = this.node('/' + parts.join('/'));
    if (typeof d === 'number') return d;
    if (d.kind !== 'dir') return -ENOTDIR;
    return [d, name];
  }
}
