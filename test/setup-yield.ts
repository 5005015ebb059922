// setup-yield.ts — after each test, let the worker's event loop turn once: the tests are long synchronous simulations, and a worker that never reaches its poll phase for a minute misses vitest's own replies and fails the run with `Timeout calling "onTaskUpdate"`.

import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
