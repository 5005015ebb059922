// JIT prototype: what test/jit-proto.test.ts needs, from one place (vitest loads dist/bench natively, so the machine modules come with it).

export { Memory, PERM_R, PERM_W, PERM_X } from '../../src/machine/memory.js';
export { Cpu } from '../../src/machine/x86/cpu.js';
export { formatInsn } from '../../src/machine/x86/format.js';
export { formUnit } from './unit.js';
export { compileJs } from './js.js';
export { compileWasm, runWasm, WasmRuntime } from './wasm.js';
export { encodeModule, Code, uleb, sleb } from '../../src/machine/x86/wasm-enc.js';
