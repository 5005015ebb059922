// What the slice after each relevant 'cpu' decision did that another CPU can observe (its footprint), and the dependence relation between two such slices that dfs's sleep sets use.
//
// A slice runs from a 'cpu' decision to the next one. It is one of two things: one step of a host
// thread (the patching protocol, a sync, the live ftrace call driving them), or a stretch of guest code
// of the chosen CPU (with the interrupts that arrive at its start). The footprint is read off the
// machine's event counters (src/machine/events.ts) before and after.
//
// The relation: slices a and b of different CPUs are INDEPENDENT only when one is a host step h and
// the other a guest slice g, and none of these holds:
//   - either did something the recorder cannot classify (`other`: another CPU ran guest code in the
//     same slice, a CPU halted or started, host code stored to guest memory);
//   - g entered host code or took or sent an interrupt (a hypercall can set what a host thread waits
//     for, e.g. on_each_cpu's done flags; delivery changes what is due);
//   - h sent an interrupt or serialized a CPU;
//   - h wrote text and g fetched a byte in flux, serialized, or executed an instruction within 15 bytes
//     before or inside a written range (or h wrote outside every registered patch site).
// Everything else is DEPENDENT: two slices of the same CPU, two guest slices (each draws its quantum
// from the one background Rng, in order, so swapping them changes both), two host steps.
// Why it is sound here: a host step changes the machine only through text (text_poke), interrupts it
// sends, CPUs' serialization times and host-side structures (call queues, done flags, the patch
// descriptor) that guest code reaches only through hypercalls and interrupt delivery; it reads guest
// state only through those same structures. A guest slice with none of the listed events touches
// only its own registers, guest memory no host step reads, and text bytes no host step of the pair
// writes; it draws the same quanta either way (host steps draw none). So the two orders reach the same
// state, up to the global clock stamps, which order nothing here: a text write's time is compared
// only with serialization times, and g serialized in neither order.

import type { Booted } from '../runner.js';
import type { ChoiceKind } from '../machine/chooser.js';

export interface Footprint {
  /** The CPU the decision chose. */
  cpu: number;
  /** The slice was one host-thread step (no guest instruction ran). */
  host: boolean;
  /** Something the relation does not classify happened: dependent with everything. */
  other: boolean;
  /** Text written: address, length pairs. */
  writes: number[];
  /** Some write fell outside every registered patch site. */
  wildWrite: boolean;
  /** Addresses of patch-site instructions executed. */
  siteExecs: number[];
  fetchChoices: number;
  serialized: boolean;
  delivered: number;
  sent: number;
  hypercalls: number;
}

/** Can the two slices not be swapped? (see the header) */
export function dependent(a: Footprint, b: Footprint): boolean {
  if (a.cpu === b.cpu || a.other || b.other || a.host === b.host) return true;
  const [h, g] = a.host ? [a, b] : [b, a];
  if (g.hypercalls > 0 || g.delivered > 0 || g.sent > 0) return true;
  if (h.sent > 0 || h.delivered > 0 || h.hypercalls > 0 || h.serialized) return true;
  if (h.writes.length === 0) return false;
  if (h.wildWrite || g.fetchChoices > 0 || g.serialized) return true;
  for (let i = 0; i < h.writes.length; i += 2) {
    const lo = h.writes[i] - 15;
    const hi = h.writes[i] + h.writes[i + 1];
    for (const x of g.siteExecs) if (x >= lo && x < hi) return true;
  }
  return false;
}

interface Open {
  point: number;
  cpu: number;
  hostThread: boolean;
  ran: number[];
  serial: number[];
  halted: boolean[];
  delivered: number;
  sent: number;
  hypercalls: number;
  hostStores: number;
  fetchChoices: number;
}

/** Records a footprint for every relevant 'cpu' decision of a run (the engine feeds it the gate's decisions). */
export class FootprintRecorder {
  /** Indexed by relevant point; undefined for points that are not 'cpu' decisions. */
  readonly footprints: (Footprint | undefined)[] = [];
  private open: Open | null = null;

  constructor(private readonly b: Booted) {}

  begin(): void {
    this.footprints.length = 0;
    this.open = null;
    const ev = this.b.machine.events;
    ev.log = false;
    ev.textWrites.length = 0;
    ev.siteExecs.length = 0;
  }

  /** Every decision the gate is asked (relevant or not): a 'cpu' one ends the open slice. */
  onChoose(kind: ChoiceKind): void {
    if (kind === 'cpu') this.close();
  }

  /** A relevant decision was answered: a 'cpu' one opens a slice of `cpu`. */
  onPoint(index: number, kind: ChoiceKind, cpu: number): void {
    if (kind !== 'cpu') return;
    const m = this.b.machine;
    const ev = m.events;
    ev.textWrites.length = 0;
    ev.siteExecs.length = 0;
    // the address logs are kept only while a slice is open: most of a run is outside the patch window
    ev.log = true;
    this.open = {
      point: index, cpu, hostThread: this.b.kernel.scheduler.hostThreadRunning(cpu),
      ran: m.cpus.map((c) => c.cycles - c.idleCycles), serial: m.cpus.map((c) => c.serialTime),
      halted: m.cpus.map((c) => c.halted),
      delivered: ev.delivered, sent: ev.sent, hypercalls: ev.hypercalls, hostStores: ev.hostStores,
      fetchChoices: m.fetchModel?.choices ?? 0,
    };
  }

  /** The run is over: close the last slice. */
  end(): void {
    this.close();
  }

  private close(): void {
    const o = this.open;
    if (o === null) return;
    this.open = null;
    const m = this.b.machine;
    const ev = m.events;
    let other = ev.hostStores !== o.hostStores;
    let guest = false;
    let serialized = false;
    m.cpus.forEach((c, i) => {
      const ran = c.cycles - c.idleCycles !== o.ran[i];
      if (ran && i === o.cpu) guest = true;
      else if (ran) other = true;
      if (c.serialTime !== o.serial[i]) serialized = true;
      if (c.halted !== o.halted[i]) other = true;
    });
    const writes = ev.textWrites.slice();
    let wildWrite = false;
    for (let i = 0; i < writes.length; i += 2) {
      const r = m.mem.find(writes[i], 1);
      if (r === undefined || r.siteAt(writes[i] - r.start) === undefined) wildWrite = true;
    }
    this.footprints[o.point] = {
      cpu: o.cpu, host: o.hostThread && !guest, other, writes, wildWrite,
      siteExecs: ev.siteExecs.slice(), fetchChoices: (m.fetchModel?.choices ?? 0) - o.fetchChoices, serialized,
      delivered: ev.delivered - o.delivered, sent: ev.sent - o.sent, hypercalls: ev.hypercalls - o.hypercalls,
    };
    ev.textWrites.length = 0;
    ev.siteExecs.length = 0;
    ev.log = false;
  }
}
