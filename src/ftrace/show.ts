// The text of the ftrace introspection files: enabled_functions, touched_functions, available_filter_functions, dyn_ftrace_total_info, set_ftrace_filter/notrace (t_show and friends in kernel/trace/ftrace.c).

import type { FtraceCore } from './ftrace.js';
import type { FtraceHash } from './ops.js';
import {
  type DynFtrace,
  FTRACE_FL_CALL_OPS, FTRACE_FL_DIRECT, FTRACE_FL_DISABLED, FTRACE_FL_ENABLED, FTRACE_FL_IPMODIFY,
  FTRACE_FL_MODIFIED, FTRACE_FL_REGS, FTRACE_FL_TOUCHED, FTRACE_FL_TRAMP_EN,
} from './record.js';

/** print_rec: the function name, and ` [mod]` for a module's. */
function recName(rec: DynFtrace): string {
  const mod = rec.func.module ?? rec.mod;
  return mod ? `${rec.func.name} [${mod}]` : rec.func.name;
}

/** One line of enabled_functions / touched_functions (t_show with FTRACE_ITER_ENABLED or _TOUCHED). */
export function showRecordLine(core: FtraceCore, rec: DynFtrace): string {
  const arch = core.arch;
  let s = recName(rec);
  s += ` (${rec.count})`;
  s += rec.has(FTRACE_FL_REGS) ? ' R' : '  ';
  s += rec.has(FTRACE_FL_IPMODIFY) ? ' I' : '  ';
  s += rec.has(FTRACE_FL_DIRECT) ? ' D' : '  ';
  s += rec.has(FTRACE_FL_CALL_OPS) ? ' O' : '  ';
  s += rec.has(FTRACE_FL_MODIFIED) ? ' M ' : '   ';
  if (rec.has(FTRACE_FL_TRAMP_EN)) {
    const tramps = core.trampOpsOf(rec);
    if (tramps.length === 0) s += '\ttramp: ERROR!';
    for (const ops of tramps) {
      s += `\ttramp: ${arch.formatSym(ops.trampoline)} (${arch.formatSym(arch.funcAddr(core.opsRawFunc(ops)))})`;
      // arch_ftrace_trampoline_func: what the trampoline's call targets.
      s += ` ->${arch.formatSym(arch.funcAddr(core.ftraceOpsGetFunc(ops)))}`;
    }
  } else {
    // The shared callers' call target (ftrace_call / ftrace_regs_call).
    s += ` ->${arch.formatSym(arch.funcAddr(core.callerFunc))}`;
  }
  return s + '\n';
}

/** enabled_functions: every record whose site calls into ftrace. */
export function showEnabledFunctions(core: FtraceCore): string {
  let out = '';
  for (const rec of core.allRecords()) if (rec.has(FTRACE_FL_ENABLED)) out += showRecordLine(core, rec);
  return out;
}

/** touched_functions: every record any ops ever attached to. */
export function showTouchedFunctions(core: FtraceCore): string {
  let out = '';
  for (const rec of core.allRecords()) if (rec.has(FTRACE_FL_TOUCHED)) out += showRecordLine(core, rec);
  return out;
}

/** available_filter_functions: one traceable function per line, ` [mod]` for modules. */
export function showAvailableFilterFunctions(core: FtraceCore): string {
  let out = '';
  for (const rec of core.allRecords()) if (!rec.has(FTRACE_FL_DISABLED)) out += recName(rec) + '\n';
  return out;
}

/** dyn_ftrace_total_info: `records pages:P groups: G`. */
export function showDynFtraceTotalInfo(core: FtraceCore): string {
  let pages = 0;
  let groups = 0;
  for (const g of core.records.groups) {
    pages += g.pages;
    groups += g.pageGroups;
  }
  return `${core.updateTotCnt} pages:${pages} groups: ${groups}\n`;
}

/**
 * set_ftrace_filter / set_ftrace_notrace read back: the functions in the hash, in record order, or the
 * "all functions enabled" / "no functions disabled" line when it is empty.
 */
export function showHash(core: FtraceCore, hash: FtraceHash, notrace: boolean): string {
  if (hash.size === 0) return notrace ? '' : '#### all functions enabled ####\n';
  let out = '';
  for (const rec of core.allRecords()) if (hash.has(rec.ip)) out += recName(rec) + '\n';
  return out;
}
