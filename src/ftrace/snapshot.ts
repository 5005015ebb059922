// What a machine snapshot keeps of the generic ftrace core: records, the registered ops with their hashes, the dispatch state (kernel/trace/ftrace.c's globals, saved so that a restored run goes on as the original would).
//
// Ops stay host objects: a snapshot restores into the run that took it, where they still exist. An ops
// registered after the snapshot is not known to it; after a restore the core no longer lists it, and its
// own flags still say ENABLED (register it again only after resetting it, or from a fresh object).

import type { FtraceCore } from './ftrace.js';
import type { DynFtrace, RecordGroup } from './record.js';
import type { FtraceHash, FtraceOps, TraceFunc } from './ops.js';

interface OpsState {
  ops: FtraceOps;
  flags: number;
  filterHash: FtraceHash;
  notraceHash: FtraceHash;
  trampoline: bigint;
  trampolineSize: number;
}

export interface FtraceCoreState {
  groups: RecordGroup[];
  records: { rec: DynFtrace; flags: number; failed: boolean; curAddr: bigint | null }[];
  opsList: readonly FtraceOps[];
  ops: OpsState[];
  disabled: boolean;
  disabledReason: string | null;
  ftraceEnabled: boolean;
  startUp: number;
  graphCallerEnabled: boolean;
  updateTotCnt: number;
  ftraceTraceFunction: TraceFunc;
  callerFunc: TraceFunc;
  functionTraceOp: FtraceOps;
  setFunctionTraceOp: FtraceOps;
  savedFtraceFunc: TraceFunc;
  recursionMisses: number;
  bugReports: number;
}

/** Save the core at a quiescent point (no update in flight: the ftrace lock is free). */
export function saveFtraceCore(core: FtraceCore): FtraceCoreState {
  if (core.locked || core.inPatchWindow) throw new Error('cannot snapshot: an ftrace update is in flight');
  const ops = new Set<FtraceOps>(core.opsList);
  return {
    groups: [...core.records.groups],
    records: [...core.allRecords()].map((rec) => ({ rec, flags: rec.flags, failed: rec.failed, curAddr: rec.curAddr })),
    opsList: core.opsList,
    ops: [...ops].map((o) => ({
      ops: o, flags: o.flags, filterHash: new Set(o.filterHash), notraceHash: new Set(o.notraceHash), trampoline: o.trampoline, trampolineSize: o.trampolineSize,
    })),
    disabled: core.disabled,
    disabledReason: core.disabledReason,
    ftraceEnabled: core.ftraceEnabled,
    startUp: core.startUp,
    graphCallerEnabled: core.graphCallerEnabled,
    updateTotCnt: core.updateTotCnt,
    ftraceTraceFunction: core.ftraceTraceFunction,
    callerFunc: core.callerFunc,
    functionTraceOp: core.functionTraceOp,
    setFunctionTraceOp: core.setFunctionTraceOp,
    savedFtraceFunc: core.savedFtraceFunc,
    recursionMisses: core.recursionMisses.length,
    bugReports: core.bugReports.length,
  };
}

export function restoreFtraceCore(core: FtraceCore, s: FtraceCoreState): void {
  core.records.groups.length = 0;
  core.records.groups.push(...s.groups);
  for (const r of s.records) {
    r.rec.flags = r.flags;
    r.rec.failed = r.failed;
    r.rec.curAddr = r.curAddr;
  }
  core.opsList = s.opsList;
  for (const o of s.ops) {
    o.ops.flags = o.flags;
    o.ops.filterHash = new Set(o.filterHash);
    o.ops.notraceHash = new Set(o.notraceHash);
    o.ops.trampoline = o.trampoline;
    o.ops.trampolineSize = o.trampolineSize;
  }
  core.disabled = s.disabled;
  core.disabledReason = s.disabledReason;
  core.ftraceEnabled = s.ftraceEnabled;
  core.startUp = s.startUp;
  core.inPatchWindow = false;
  core.locked = false;
  core.graphCallerEnabled = s.graphCallerEnabled;
  core.updateTotCnt = s.updateTotCnt;
  core.ftraceTraceFunction = s.ftraceTraceFunction;
  core.callerFunc = s.callerFunc;
  core.functionTraceOp = s.functionTraceOp;
  core.setFunctionTraceOp = s.setFunctionTraceOp;
  core.savedFtraceFunc = s.savedFtraceFunc;
  core.recursionMisses.length = Math.min(core.recursionMisses.length, s.recursionMisses);
  core.bugReports.length = Math.min(core.bugReports.length, s.bugReports);
}
