// jit.test.ts — the compiler for hot code against the interpreter, with its default backend (WebAssembly): the checks are in helpers/jit-suite.ts; the JS backend runs them in the acceptance suite (test/acceptance/jit-js.test.ts).

import { jitSuite } from './helpers/jit-suite.js';

jitSuite(['wasm']);
