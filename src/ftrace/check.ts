// Invariant 8 as a pure check: records agree with text and with the registered ops (the checks ftrace_shutdown's FTRACE_WARN_ON and the arch's ftrace_verify_code make, kernel/trace/ftrace.c).

import type { DynFtrace } from './record.js';
import {
  FTRACE_FL_DISABLED, FTRACE_FL_ENABLED, FTRACE_FL_IPMODIFY, FTRACE_FL_REGS, FTRACE_FL_REGS_EN,
  FTRACE_FL_TRAMP, FTRACE_FL_TRAMP_EN,
} from './record.js';
import { type FtraceOps, hashContainsIp, FTRACE_OPS_FL_ENABLED, FTRACE_OPS_FL_IPMODIFY, FTRACE_OPS_FL_SAVE_REGS } from './ops.js';

export interface RecordCheckInput {
  records: Iterable<DynFtrace>;
  /** The registered ops (ftrace_ops_list). */
  ops: readonly FtraceOps[];
  /** The site's current bytes (null: unreadable). */
  readSite: (ip: bigint) => Uint8Array | null;
  /** The bytes a site holds when it calls `target`, or the nop (null). */
  siteBytes: (ip: bigint, target: bigint | null) => Uint8Array;
  ftraceCaller: bigint;
  ftraceRegsCaller: bigint;
  /** ftrace is running normally (not killed, ftrace_enabled): enabled ⇔ wanted is then required. */
  active: boolean;
}

export interface RecordViolation {
  ip: bigint;
  func: string;
  what: string;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (v) => v.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Check invariant 8 outside a patch window: each site's bytes are exactly what its record's enabled
 * flags name (the nop, or a call to the ops' trampoline / regs caller / caller), the reference count
 * equals the registered ops whose hashes match, REGS ⇔ one of them saves regs, TRAMP only with one
 * ops that has a trampoline, and at most one IPMODIFY ops per function. Failed and disabled records
 * are skipped (their text is not ftrace's to vouch for). Computed from the ops, not the core's counters.
 */
export function checkRecords(input: RecordCheckInput): RecordViolation[] {
  const out: RecordViolation[] = [];
  const enabledOps = input.ops.filter((o) => o.has(FTRACE_OPS_FL_ENABLED));
  for (const rec of input.records) {
    if (rec.failed || rec.has(FTRACE_FL_DISABLED)) continue;
    const bad = (what: string): void => {
      out.push({ ip: rec.ip, func: rec.func.name, what });
    };
    const want = enabledOps.filter((o) => hashContainsIp(o, rec.ip));
    if (rec.count !== want.length) bad(`reference count ${rec.count}, but ${want.length} registered ops match`);
    const regs = want.some((o) => o.has(FTRACE_OPS_FL_SAVE_REGS));
    if (want.length > 0 && rec.has(FTRACE_FL_REGS) !== regs) bad(`REGS is ${rec.has(FTRACE_FL_REGS)}, but an ops saving regs ${regs ? 'wants' : 'does not want'} it`);
    if (rec.has(FTRACE_FL_TRAMP) && !(want.length === 1 && want[0]!.trampoline !== 0n)) bad('TRAMP without exactly one ops that has a trampoline');
    const ipmod = want.filter((o) => o.has(FTRACE_OPS_FL_IPMODIFY)).length;
    if (ipmod > 1) bad(`${ipmod} IPMODIFY ops on one function`);
    if (ipmod === 1 && !rec.has(FTRACE_FL_IPMODIFY)) bad('an IPMODIFY ops wants it, but the record is not marked IPMODIFY');
    if (input.active && rec.has(FTRACE_FL_ENABLED) !== want.length > 0) {
      bad(rec.has(FTRACE_FL_ENABLED) ? 'enabled, but no ops wants it' : `${want.length} ops want it, but it is not enabled`);
    }
    // What the enabled flags name.
    let target: bigint | null = null;
    if (rec.has(FTRACE_FL_ENABLED)) {
      if (rec.has(FTRACE_FL_TRAMP_EN)) {
        const owner = want.length === 1 ? want[0]! : undefined;
        if (!owner || owner.trampoline === 0n) {
          bad('TRAMP_EN, but no single ops with a trampoline wants it');
          continue;
        }
        target = owner.trampoline;
      } else {
        target = rec.has(FTRACE_FL_REGS_EN) ? input.ftraceRegsCaller : input.ftraceCaller;
      }
    }
    const actual = input.readSite(rec.ip);
    const expected = input.siteBytes(rec.ip, target);
    if (!actual) bad('site unreadable');
    else if (!sameBytes(actual, expected)) {
      bad(`bytes ${hexBytes(actual)}, but the record names ${target === null ? 'the nop' : `a call to 0x${target.toString(16)}`} (${hexBytes(expected)})`);
    }
  }
  return out;
}
