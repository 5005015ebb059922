// `ftsim run --live TRACER`: switch a tracer on and off again while every CPU of the running kernel keeps executing the code being patched, as `echo function > current_tracer` does on Linux.

import type { Booted } from '../runner.js';
import type { RunOutcome } from '../kernel/kernel.js';
import { TraceArray } from '../trace/trace_functions.js';
import { FTRACE_FL_ENABLED } from '../ftrace/record.js';
import { driveLiveCall } from '../live_call.js';

export interface LiveOptions {
  /** The tracer to switch to once every CPU runs. */
  tracer: string;
  /** Steps (all CPUs together) the tracer stays on between the two switches. */
  steps: number;
  /** Trace lines shown from the live trace (after its header). */
  excerpt: number;
}

/** What one live switch did: sites written, text_poke_bp batches, int3s the #BP handler claimed, steps it took. */
export interface LiveSwitch {
  to: string;
  err: number;
  sitesPatched: number;
  batches: number;
  int3Claims: number;
  steps: number;
  /** Records whose site calls a tracer once the switch is done. */
  enabledRecords: number;
  /** Call sites (records) the switch turned from the nop into a call, or back. */
  recordsChanged: number;
}

export interface LiveReport {
  /** The switches that completed, on then off. */
  switches: LiveSwitch[];
  /** The trace text as it stood just before tracing was switched off. */
  traceText?: string;
  /** Entries written per CPU, and overwritten (overrun) per CPU, while the tracer was on. */
  entries?: number[];
  overruns?: number[];
}

/** How many steps to wait for one live switch before giving up (it needs every CPU to answer its sync IPIs). */
const SWITCH_BUDGET = 50_000_000;
/** Steps between checks while waiting for the CPUs to come up or a switch to finish. */
const CHUNK = 20_000;

/**
 * Drive a run: boot, wait until every CPU runs, switch `tracer` on live from a writer task on CPU 0,
 * let it trace for `steps`, switch back to nop live, then run to the end. `log` receives progress
 * lines. Stops early (returning the outcome) if the run ends or a monitor fires.
 */
export function liveDriver(opts: LiveOptions, report: LiveReport, log: (line: string) => void): (b: Booted, maxSteps: number) => RunOutcome {
  return (b, maxSteps) => {
    const k = b.kernel;
    const ft = b.ftrace;
    const stepTo = (limit: number): RunOutcome | null => {
      const o = k.run(Math.min(limit, maxSteps));
      return o.reason === 'max-steps' && k.steps < maxSteps ? null : o;
    };
    if (!ft) {
      log('the image has no __mcount_loc: nothing to trace live');
      return k.run(maxSteps);
    }
    // 1. every CPU up and running the workload
    while (!k.cpus.every((c) => !c.halted)) {
      const o = stepTo(k.steps + CHUNK);
      if (o) return o;
    }
    const tr = new TraceArray(k, ft.core, ft.arch);
    const enabledNow = (): number => {
      let n = 0;
      for (const rec of ft.core.allRecords()) if (rec.has(FTRACE_FL_ENABLED)) n++;
      return n;
    };
    const sw = (to: string): LiveSwitch | RunOutcome => {
      const enabledBefore = enabledNow();
      const before = { sites: ft.arch.stats.sitesPatched, batches: ft.arch.stats.batches, claims: k.poke.int3Claims, steps: k.steps };
      const r = driveLiveCall(b, tr.setTracer(to), { run: (n) => k.run(Math.min(k.steps + n, maxSteps)), budget: SWITCH_BUDGET });
      if (!r.done) {
        if (r.why === 'budget') log(`switching to ${to} did not finish within ${SWITCH_BUDGET} steps`);
        return r.outcome ?? k.run(maxSteps);
      }
      const result = r.value;
      const enabled = enabledNow();
      return {
        to, err: result, sitesPatched: ft.arch.stats.sitesPatched - before.sites, batches: ft.arch.stats.batches - before.batches,
        int3Claims: k.poke.int3Claims - before.claims, steps: k.steps - before.steps, enabledRecords: enabled,
        recordsChanged: Math.abs(enabled - enabledBefore),
      };
    };
    const cpus = k.cpus.length;
    log(`every CPU is up (step ${k.steps}); switching current_tracer to ${opts.tracer} live on ${cpus} running CPUs`);
    const on = sw(opts.tracer);
    if (!('to' in on)) return on;
    report.switches.push(on);
    if (on.err) {
      log(`current_tracer ${opts.tracer}: refused (${on.err}); running on untraced`);
      return k.run(maxSteps);
    }
    log(`${opts.tracer} on: ${on.recordsChanged} call sites patched nop -> call (${on.sitesPatched} text writes with the callers' own ` +
      `call and jmp) in ${on.batches} text_poke_bp batches; ${on.int3Claims} int3 hits emulated; ${on.steps} steps while every CPU ran`);
    const started = k.steps;
    while (k.steps - started < opts.steps) {
      const o = stepTo(k.steps + CHUNK);
      if (o) return o;
    }
    report.traceText = tr.traceText();
    report.entries = k.cpus.map((c) => tr.buffer.entries(c.id));
    report.overruns = k.cpus.map((c) => tr.buffer.overrun(c.id));
    const lines = report.traceText.split('\n');
    const body = lines.filter((l) => l !== '' && !l.startsWith('#'));
    const per = report.entries.map((n, i) => `cpu${i} ${n}${report.overruns![i] ? ` (+${report.overruns![i]} overwritten)` : ''}`).join(', ');
    log(`${body.length} trace lines after ${k.steps - started} steps (${per}); an excerpt:`);
    for (const l of lines.filter((l) => l.startsWith('#')).slice(-2)) log(l);
    for (const l of body.slice(Math.max(0, Math.floor(body.length / 2) - opts.excerpt / 2)).slice(0, opts.excerpt)) log(l);
    const off = sw('nop');
    if (!('to' in off)) return off;
    report.switches.push(off);
    log(`nop again: ${off.recordsChanged} call sites patched call -> nop (${off.sitesPatched} text writes) in ${off.batches} ` +
      `text_poke_bp batches; ${off.int3Claims} int3 hits emulated; ${off.enabledRecords} sites still call ftrace for other ops`);
    return k.run(maxSteps);
  };
}
