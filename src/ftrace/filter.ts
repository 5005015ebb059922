// Filling a filter or notrace hash from the patterns written to set_ftrace_filter / set_ftrace_notrace: match_records, add_rec_by_index and the `:mod:` command (kernel/trace/ftrace.c).

import { EINVAL } from './arch.js';
import { filterParseRegex, ftraceMatch } from './glob.js';
import type { FtraceHash } from './ops.js';
import { type DynFtrace, FTRACE_FL_DISABLED } from './record.js';

/**
 * match_records for one pattern (`glob`, `!glob`, `glob:mod:M`, `:mod:M`, or an index): add (or with
 * `!` remove) every matching record. Returns how many matched, or -EINVAL for a malformed command.
 */
export function matchRecords(records: Iterable<DynFtrace>, hash: FtraceHash, word: string): number {
  let func = word;
  let modPat: string | null = null;
  const colon = word.indexOf(':');
  if (colon >= 0) {
    const rest = word.slice(colon + 1).split(':');
    if (rest.length !== 2 || rest[0] !== 'mod') return -EINVAL;
    func = word.slice(0, colon);
    modPat = rest[1]!;
  }
  const f = filterParseRegex(func);
  const clear = f.not;
  if (f.isIndex) {
    if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(f.glob.search)) return 0;
    let index = Number(f.glob.search) - 1;
    if (index < 0) return 0;
    for (const rec of records) {
      if (rec.has(FTRACE_FL_DISABLED)) continue;
      if (index-- === 0) {
        if (clear) hash.delete(rec.ip);
        else hash.add(rec.ip);
        return 1;
      }
    }
    return 0;
  }
  const m = modPat !== null ? filterParseRegex(modPat) : null;
  let found = 0;
  for (const rec of records) {
    if (rec.has(FTRACE_FL_DISABLED)) continue;
    if (m) {
      const mod = rec.func.module ?? rec.mod;
      const modMatches = mod !== null && mod !== undefined && ftraceMatch(mod, m.glob);
      if (m.glob.search.length === 0) {
        // a blank module name: every module's functions (with '!': the core kernel's)
        if (m.not === (mod !== null && mod !== undefined)) continue;
      } else if (m.not ? modMatches || !mod : !modMatches) continue;
      if (func.length > 0 && !ftraceMatch(rec.func.name, f.glob)) continue;
    } else if (!ftraceMatch(rec.func.name, f.glob)) {
      continue;
    }
    if (clear) hash.delete(rec.ip);
    else hash.add(rec.ip);
    found++;
  }
  return found;
}
