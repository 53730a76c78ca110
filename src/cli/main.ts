#!/usr/bin/env node
// Entry point of the ae-wasm command.
import { main } from './program.js';

const code = await main(process.argv.slice(2));
// A command may already have set a code of its own (130 after Ctrl-C).
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
