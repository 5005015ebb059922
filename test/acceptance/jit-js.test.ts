// jit-js.test.ts — the compiler's checks (helpers/jit-suite.ts) with the JS backend (FTSIM_JIT_BACKEND=js), which npm test leaves out to stay short.

import { jitSuite } from '../helpers/jit-suite.js';

jitSuite(['js']);
