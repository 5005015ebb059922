// Whole-machine snapshots at a quiescent point: memory regions with their write histories, CPU state, the clock — plain data, restored in place many times.

import type { Machine } from './machine.js';
import { Region, copyHistory, type ByteHistory, type PatchSite } from './memory.js';
import type { CpuState } from './x86/cpu.js';
import type { TextLifetimesState } from './lifetimes.js';

interface RegionState {
  region: Region;
  name: string;
  start: number;
  size: number;
  perm: number;
  bytes: Uint8Array;
  lastWrite: Float64Array | null;
  dirtyTime: number;
  history: [number, ByteHistory][];
  sites: PatchSite[];
}

export interface MachineState {
  now: number;
  regions: RegionState[];
  cpus: CpuState[];
  fetchChoices: number;
  lifetimes: TextLifetimesState;
}

export function saveMachine(m: Machine): MachineState {
  return {
    now: m.clock.now,
    regions: m.mem.regions.map((r) => ({
      region: r, name: r.name, start: r.start, size: r.size, perm: r.perm,
      bytes: r.bytes.slice(), lastWrite: r.lastWrite?.slice() ?? null, dirtyTime: r.dirtyTime,
      history: [...r.history].map(([o, h]) => [o, copyHistory(h)]),
      sites: [...r.sites.values()].map(copySite),
    })),
    cpus: m.cpus.map((c) => c.save()),
    fetchChoices: m.fetchModel?.choices ?? 0,
    lifetimes: m.lifetimes.save(),
  };
}

function copySite(s: PatchSite): PatchSite {
  return { off: s.off, len: s.len, versions: s.versions.map((v) => ({ bytes: v.bytes.slice(), bounds: v.bounds.slice() })) };
}

/** The runs [offset, length] where two byte arrays of one length differ. */
function changedRuns(a: Uint8Array, b: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    let j = i + 1;
    while (j < a.length && a[j] !== b[j]) j++;
    runs.push([i, j - i]);
    i = j;
  }
  return runs;
}

function sameSites(r: Region, sites: readonly PatchSite[]): boolean {
  if (r.sites.size !== sites.length) return false;
  for (const s of sites) if (r.sites.get(s.off)?.len !== s.len) return false;
  return true;
}

/**
 * Put the machine back as it was at `s`. Regions mapped since are unmapped, regions unmapped since
 * come back (the same objects), contents and histories are copied back; decoded instructions are
 * kept for text whose bytes did not change.
 */
export function restoreMachine(m: Machine, s: MachineState): void {
  m.clock.now = s.now;
  const keep = new Set(s.regions.map((r) => r.region));
  for (const r of [...m.mem.regions]) if (!keep.has(r)) m.mem.unmap(r);
  m.mem.regions.length = 0;
  for (const rs of s.regions) {
    const r = rs.region;
    r.setSize(rs.size);
    // a decode depends on the bytes and on the patch sites (an instruction that ends inside one ends a
    // slice): with other sites, forget every decode; else forget only what the changed bytes could
    // reach, as a text write does (with the compiled units over them: the explorer's restores after a
    // run that patched a few sites keep the rest of the text decoded and compiled)
    if (r.icache !== null) {
      if (r.bytes.length !== rs.bytes.length || !sameSites(r, rs.sites)) r.forgetDecoded();
      else for (const [off, len] of changedRuns(r.bytes, rs.bytes)) r.invalidate(off, len);
    }
    r.bytes.set(rs.bytes);
    if (r.lastWrite !== null && rs.lastWrite !== null) r.lastWrite.set(rs.lastWrite);
    r.dirtyTime = rs.dirtyTime;
    r.activeWrites = 0; // a snapshot is taken with no text_poke in flight
    r.history.clear();
    for (const [o, h] of rs.history) r.history.set(o, copyHistory(h));
    r.sites.clear();
    r.siteInterior.clear();
    for (const site of rs.sites) {
      const t = r.addSite(site.off, site.len);
      t.versions.push(...copySite(site).versions);
    }
    m.mem.regions.push(r);
  }
  m.cpus.forEach((c, i) => c.restore(s.cpus[i]));
  if (m.fetchModel !== null) m.fetchModel.choices = s.fetchChoices;
  m.lifetimes.restore(s.lifetimes);
}
