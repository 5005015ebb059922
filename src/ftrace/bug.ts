// The `ftrace bug` report as ftrace_bug(), print_ip_sym() and print_ip_ins() print it (kernel/trace/ftrace.c).

import { EFAULT, EINVAL, EPERM } from './arch.js';
import { type DynFtrace, FTRACE_FL_CALL_OPS, FTRACE_FL_REGS } from './record.js';

/** The name of an errno ftrace_bug is given (-EFAULT, -EINVAL, -EPERM), else the number. */
export function errnoName(err: number): string {
  return err === -EFAULT ? '-EFAULT' : err === -EINVAL ? '-EINVAL' : err === -EPERM ? '-EPERM' : String(err);
}

/** enum ftrace_bug_type: what the core was doing when a site failed. */
export type BugType = 'unknown' | 'init' | 'nop' | 'call' | 'update';

const BUG_TYPE_TEXT: Record<BugType, string | null> = {
  unknown: null,
  init: 'Initializing ftrace call sites',
  nop: 'Setting ftrace call site to NOP',
  call: 'Setting ftrace call site to call ftrace function',
  update: 'Updating ftrace call site to call a different ftrace function',
};

/** %px: a pointer as 16 hex digits. */
function px(a: bigint): string {
  return a.toString(16).padStart(16, '0');
}

/** print_ip_ins: the bytes as colon-separated hex. */
export function insText(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * The report, line by line as the kernel's printk calls build it (a pr_info ending without a newline
 * is followed by print_ip_sym's own line). `actual` is the site's bytes (null: unreadable), `expected`
 * the arch's ftrace_expected, `tramps` the `\ttramp: ...` text for a TRAMP_EN record, `expectedTramp`
 * ftrace_get_addr_curr(rec).
 */
export function formatFtraceBug(
  failed: number, rec: DynFtrace, bugType: BugType, actual: Uint8Array | null, expected: Uint8Array | undefined,
  tramps: string | null, expectedTramp: bigint,
): string {
  const lines = ['------------[ ftrace bug ]------------'];
  const sym = `[<${px(rec.ip)}>] ${rec.symbolText()}`;
  switch (failed) {
    case -EFAULT:
      lines.push('ftrace faulted on modifying ', sym);
      break;
    case -EINVAL:
      lines.push('ftrace failed to modify ', sym);
      if (actual) lines.push(` actual:   ${insText(actual)}`);
      else lines.push(` actual:   [FAULT] ${px(rec.ip)}`, '');
      if (expected) lines.push(` expected: ${insText(expected)}`);
      break;
    case -EPERM:
      lines.push('ftrace faulted on writing ', sym);
      break;
    default:
      lines.push('ftrace faulted on unknown error ', sym);
  }
  const bt = BUG_TYPE_TEXT[bugType];
  if (bt) lines.push(bt);
  lines.push(`ftrace record flags: ${(rec.flags >>> 0).toString(16)}`);
  lines.push(` (${rec.count})${rec.has(FTRACE_FL_REGS) ? ' R' : '  '}${rec.has(FTRACE_FL_CALL_OPS) ? ' O' : '  '}${tramps ?? ''}`);
  lines.push(` expected tramp: ${expectedTramp.toString(16)}`);
  return lines.join('\n') + '\n';
}
