// Where FUSE comes from: the optional fuse-native binding over Debian's libfuse2, /dev/fuse, the mount options that give tracefs's semantics, and the stale mounts a killed `ftsim mount` leaves behind (/proc/self/mountinfo, fusermount -u).

import { createRequire } from 'node:module';
import { accessSync, constants as fsConstants, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** The part of fuse-native's Fuse class ftsim uses. */
export interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
  unmount(cb: (err: Error | null) => void): void;
}
export type FuseClass = new (mnt: string, ops: object, opts: object) => FuseInstance;

/** Why FUSE cannot be used here (one line), or null when it can. */
export function fuseUnavailable(device = '/dev/fuse'): string | null {
  try {
    accessSync(device, fsConstants.R_OK | fsConstants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `${device} is absent: this machine (or container) has no FUSE device`
      : `${device} cannot be opened (${code ?? 'error'}): FUSE needs root or the device's permissions`;
  }
  const r = loadFuse();
  return typeof r === 'string' ? r : null;
}

let cached: FuseClass | string | undefined;

/**
 * fuse-native, with the options tracefs needs added to the ones it knows: direct_io (a read goes to the
 * file however big stat says it is: tracefs files have size 0), atomic_o_trunc (O_TRUNC reaches open,
 * as `echo > trace` needs), big_writes (one write(2) of up to 128 KiB stays one write, which tracefs
 * parses on its own), no attribute or entry caching (instances and events come and go), and the
 * kernel's permission checks against the modes (default_permissions). A message when it cannot load.
 */
export function loadFuse(): FuseClass | string {
  if (cached !== undefined) return cached;
  try {
    const require = createRequire(import.meta.url);
    const Base = require('fuse-native') as FuseClass & { prototype: { _fuseOptions(): string } };
    class TracefsFuse extends (Base as unknown as new (...a: unknown[]) => { _fuseOptions(): string }) {
      override _fuseOptions(): string {
        const base = super._fuseOptions();
        const extra = 'direct_io,atomic_o_trunc,big_writes,entry_timeout=0,attr_timeout=0,negative_timeout=0,default_permissions';
        return base === '' ? `-o${extra}` : `${base},${extra}`;
      }
    }
    cached = TracefsFuse as unknown as FuseClass;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    cached = /libfuse/.test(msg)
      ? `the FUSE library is missing (${msg}): install Debian's libfuse2 (apt-get install libfuse2 fuse)`
      : `the FUSE binding is not installed (the optional npm package fuse-native: npm install fuse-native, with Debian's libfuse2): ${msg}`;
  }
  return cached;
}

/** Mount points (absolute paths) with their filesystem type, from /proc/self/mountinfo. */
export function mountsAt(dir: string): { fstype: string; source: string }[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'latin1');
  } catch {
    return [];
  }
  const out: { fstype: string; source: string }[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || f.length < sep + 3) continue;
    // mountinfo escapes space, tab, newline and backslash as octal
    const point = f[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point === dir) out.push({ fstype: f[sep + 1], source: f[sep + 2] });
  }
  return out;
}

/**
 * A FUSE mount at `dir` whose server is gone (stat fails with ENOTCONN) is stale: it is lazily unmounted
 * and 'stale' returned. 'live' when a live mount is there (another ftsim mount, or anything else), 'none'
 * when nothing is mounted there; a stale mount that cannot be removed is a one-line error (thrown).
 */
export function cleanStaleMount(dir: string): 'none' | 'stale' | 'live' {
  const here = mountsAt(dir);
  if (here.length === 0) return 'none';
  try {
    statSync(dir);
    return 'live';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTCONN' && code !== 'ECONNABORTED') return 'live';
  }
  try {
    execFileSync('fusermount', ['-uz', dir], { stdio: 'pipe' });
  } catch (e) {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      throw new Error(`${dir}: a stale FUSE mount is there and cannot be removed (fusermount -uz: ${(e as Error).message.split('\n')[0]})`);
    }
  }
  return 'stale';
}
