#!/usr/bin/env node
// ftsim command-line entry: runs the compiled CLI.
import { main } from '../dist/src/cli/main.js';

process.exitCode = main(process.argv);
