// Placeholder for the DFS strategy (being written on its own branch).
import type { Strategy, PlannedRun, Shard } from './strategy.js';
export class DfsStrategy implements Strategy {
  readonly name = 'dfs';
  readonly exhausted = false;
  constructor(_k: number, _shard: Shard, _opts: { seed: number }) { throw new Error('dfs: not merged yet'); }
  next(): PlannedRun | null { return null; }
  record(): void {}
}
