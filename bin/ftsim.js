#!/usr/bin/env -S node --v8-pool-size=1
// ftsim command-line entry: runs the compiled CLI. One V8 background thread (Node's default is four):
// on a machine of two cores, four threads compiling the tier-2 compiler's WebAssembly take the core
// the simulation runs on (see README, "Tiers").
import { main } from '../dist/src/cli/main.js';

process.exitCode = main(process.argv);
