// global-setup.ts — compile src/ with tsc before the tests import it from dist/ (see vitest.config.ts).

import { spawnSync } from 'node:child_process';

export default function setup(): void {
  if (process.env.FTSIM_SKIP_BUILD === '1') return;
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
}
