// Placeholder for the PCT strategy (being written on its own branch).
import type { Strategy, PlannedRun, Shard } from './strategy.js';
export class PctStrategy implements Strategy {
  readonly name = 'pct';
  readonly exhausted = false;
  constructor(_seed: number, _runs: number, _depth: number, _shard: Shard) { throw new Error('pct: not merged yet'); }
  next(): PlannedRun | null { return null; }
  record(): void {}
}
