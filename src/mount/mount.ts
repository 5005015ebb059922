// `ftsim mount`: boots the machine, builds its tracefs (the model `ftsim shell` serves) and serves it through FUSE at a directory while the machine runs in the background, until SIGINT/SIGTERM unmounts it.

import { statSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { bootShellMachine, type ShellMachineOptions } from '../cli/shell_main.js';
import { buildTracefs } from '../trace/tracefs/index.js';
import { StaticDir, type Tracefs } from '../trace/tracefs/fs.js';
import { TracefsFuseOps } from './fuse_ops.js';
import { MachineLoop, runControlFile } from './machine_loop.js';
import { killedReaders } from './killed_readers.js';
import { cleanStaleMount, fuseUnavailable, loadFuse, type FuseInstance } from './fuse.js';

export interface MountOptions extends ShellMachineOptions {
  dir: string;
  /** Simulated seconds per real second: Infinity as fast as the host allows, 0 paused. */
  speed: number;
  /** Lines about the mount (mounted, stale mount cleaned, stopped, unmounted); default stderr. */
  log?: (line: string) => void;
}

/** How often the readers waiting on the mount are checked for a fatal signal. */
const KILL_WATCH_MS = 100;

/** A user-facing failure of `ftsim mount`: one line, exit 1. */
export class MountError extends Error {}

/** A mounted machine: its filesystem, its clock, and how to take it down. */
export interface Mounted {
  dir: string;
  fs: Tracefs;
  ops: TracefsFuseOps;
  loop: MachineLoop;
  unmount(): Promise<void>;
}

/**
 * Requests waiting to be served. The kernel sends FUSE_RELEASE asynchronously, and libfuse's threads hand
 * requests to the event loop in no particular order within one turn: so releases are served at once and
 * every other request once the turn's releases are in (before the machine's next slice, or in the check
 * phase), and a close followed by an open is seen in that order.
 */
class RequestQueue {
  private q: (() => void)[] = [];
  private scheduled = false;
  constructor(readonly onRequest: () => void) {}
  later<A extends unknown[]>(f: (...a: A) => void): (...a: A) => void {
    return (...a: A): void => {
      this.onRequest();
      this.q.push(() => f(...a));
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.drain());
      }
    };
  }
  drain(): void {
    this.scheduled = false;
    while (this.q.length > 0) {
      const batch = this.q;
      this.q = [];
      for (const f of batch) f();
    }
  }
}

/** The fuse-native callbacks over the model. */
function fuseCallbacks(ops: TracefsFuseOps, rq: RequestQueue): object {
  const later = rq.later.bind(rq);
  return {
    getattr: later((path: string, cb: (e: number, st?: object) => void) => ops.getattr(path, cb)),
    fgetattr: later((path: string, _fd: number, cb: (e: number, st?: object) => void) => ops.getattr(path, cb)),
    readdir: later((path: string, cb: (e: number, names?: string[]) => void) => ops.readdir(path, cb)),
    open: later((path: string, flags: number, cb: (e: number, fd?: number) => void) => ops.open(path, flags, cb)),
    read: later((_p: string, fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) => ops.read(fd, buf, len, pos, cb)),
    write: later((_p: string, fd: number, buf: Buffer, len: number, _pos: number, cb: (n: number) => void) => ops.write(fd, buf, len, cb)),
    release: (_p: string, fd: number, cb: (e: number) => void) => { rq.onRequest(); ops.release(fd, cb); },
    // a truncate(2) of a tracefs file changes nothing (simple_setattr on an inode without size); opens carry O_TRUNC
    truncate: (_p: string, _size: number, cb: (e: number) => void) => cb(0),
    create: later((path: string, _mode: number, cb: (e: number) => void) => ops.create(path, cb)),
    mkdir: later((path: string, _mode: number, cb: (e: number) => void) => ops.mkdir(path, cb)),
    rmdir: later((path: string, cb: (e: number) => void) => ops.rmdir(path, cb)),
  };
}

/**
 * Boot and mount. Throws MountError (FUSE absent, a bad mount point, a live mount already there) or the
 * boot's BootError/ElfError; the promise resolves once the kernel has the mount.
 */
export async function mountTracefs(o: MountOptions): Promise<Mounted> {
  const log = o.log ?? ((l: string) => { process.stderr.write(l + '\n'); });
  const why = fuseUnavailable();
  if (why !== null) throw new MountError(why);
  const Fuse = loadFuse();
  if (typeof Fuse === 'string') throw new MountError(Fuse);
  const dir = resolve(o.dir);
  let state: ReturnType<typeof cleanStaleMount>;
  try {
    state = cleanStaleMount(dir);
  } catch (e) {
    throw new MountError((e as Error).message);
  }
  if (state === 'live') throw new MountError(`${dir}: something is already mounted there (unmount it first: fusermount -u ${dir})`);
  if (state === 'stale') log(`ftsim mount: ${dir}: removed a stale mount left by a server that died`);
  try {
    if (!statSync(dir).isDirectory()) throw new MountError(`${dir}: not a directory`);
  } catch (e) {
    if (e instanceof MountError) throw e;
    throw new MountError(`${dir}: no such directory`);
  }

  const pending: number[] = [];
  const flushConsole = (): void => {
    if (pending.length === 0) return;
    const b = Buffer.from(pending);
    pending.length = 0;
    try {
      writeSync(o.consoleFd ?? 1, b);
    } catch { /* a console reader gone away ends nothing */ }
  };
  const { ctx, top } = bootShellMachine(o, (byte) => {
    pending.push(byte);
    if (byte === 10 || pending.length >= 4096) flushConsole();
  });
  let ops: TracefsFuseOps | null = null;
  let loopRef: MachineLoop | null = null;
  const rq = new RequestQueue(() => loopRef?.poke());
  const loop = new MachineLoop(ctx.b.kernel, {
    speed: o.speed,
    onSlice: () => { flushConsole(); ops?.retryParked(); },
    beforeSlice: () => rq.drain(),
    onStop: (r) => {
      flushConsole();
      log(`ftsim mount: the machine stopped (${r.reason}${r.error ? `: ${r.error}` : r.violation ? `: ${r.violation.summary}` : ''}); its tracefs stays mounted`);
      ops?.retryParked();
    },
  });
  loopRef = loop;
  // every run of the machine, by the clock, a blocking read (paused machine) or a kernel call, goes through the loop
  ctx.run = (steps) => loop.run(steps);
  const fs = buildTracefs(ctx, top);
  (fs.root as StaticDir).dir('ftsim').add('run', runControlFile(loop));
  ops = new TracefsFuseOps(fs, { running: () => loop.speed !== 0, stopped: () => loop.stopped });
  const fuse: FuseInstance = new Fuse(dir, fuseCallbacks(ops, rq), { fsname: 'tracefs', subtype: 'tracefs', timeout: false });
  await new Promise<void>((res, rej) => fuse.mount((err) => (err ? rej(new MountError(`${dir}: cannot mount: ${err.message}`)) : res())));
  loop.start();
  // a reader killed while it waits would stay in D state until answered: look for such readers while any wait
  const killWatch = setInterval(() => {
    if (ops!.parkedCount > 0) ops!.interruptReaders(killedReaders(dir));
  }, KILL_WATCH_MS);
  killWatch.unref();
  let down: Promise<void> | null = null;
  const unmount = (): Promise<void> => {
    down ??= new Promise<void>((res) => {
      loop.stop();
      clearInterval(killWatch);
      ops!.releaseAll();
      flushConsole();
      fuse.unmount(() => res());
    });
    return down;
  };
  return { dir, fs, ops, loop, unmount };
}

/** Describe a speed for the banner. */
export function speedText(speed: number): string {
  if (speed === 0) return 'paused (write a duration to ftsim/run to advance it)';
  if (!Number.isFinite(speed)) return 'running as fast as the host allows';
  return `running at ${speed} simulated s per real s`;
}

/** `ftsim mount` in the foreground: mount, say so, and unmount on SIGINT, SIGTERM or SIGHUP; the exit status. */
export async function mountMain(o: MountOptions): Promise<number> {
  const m = await mountTracefs(o);
  process.stderr.write(`ftsim mount: tracefs of ${o.file} (${o.cpus} CPU${o.cpus === 1 ? '' : 's'}) mounted at ${m.dir}, ${speedText(o.speed)}; Ctrl-C unmounts\n`);
  return new Promise<number>((res) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      process.stderr.write(`ftsim mount: ${sig}: unmounting ${m.dir}\n`);
      void m.unmount().then(() => res(0));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
  });
}
