#!/usr/bin/env node
// ftsim command-line entry: loads the compiled CLI.
import '../dist/src/cli/main.js';
