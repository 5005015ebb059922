// Readers killed while they wait on the mount: FUSE holds a reader whose request is already with the server until the server answers (fs/fuse/dev.c request_wait_answer), so a Ctrl-C'd `cat trace_pipe` would hang in D state; /proc shows such a task (a fatal signal pending, waiting in a read of a file under the mount), and its read is ended as the kernel's own wait would end it (-EINTR).

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** read(2) and pread64(2) on x86-64: the syscalls a waiting reader is in. */
const SYS_READ = 0;
const SYS_PREAD64 = 17;
/** A fatal signal being delivered shows as SIGKILL (signal 9) in the thread's own pending set (complete_signal). */
const SIGKILL_BIT = 1n << 8n;

/**
 * The files under `dir` that tasks with a fatal signal pending are blocked reading, one entry per task, as
 * paths inside the mount ('/trace_pipe'). Tasks that vanish or cannot be read meanwhile are skipped.
 */
export function killedReaders(dir: string, procRoot = '/proc'): string[] {
  const out: string[] = [];
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  for (const pid of pids) {
    try {
      const status = readFileSync(`${procRoot}/${pid}/status`, 'latin1');
      const pnd = /^SigPnd:\s*([0-9a-f]+)$/m.exec(status);
      if (pnd === null || (BigInt('0x' + pnd[1]) & SIGKILL_BIT) === 0n) continue;
      const sc = readFileSync(`${procRoot}/${pid}/syscall`, 'latin1').trim().split(' ');
      const nr = Number(sc[0]);
      if (nr !== SYS_READ && nr !== SYS_PREAD64) continue;
      const fd = Number(sc[1]);
      const target = readlinkSync(`${procRoot}/${pid}/fd/${fd}`);
      if (target.startsWith(prefix)) out.push('/' + target.slice(prefix.length));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
