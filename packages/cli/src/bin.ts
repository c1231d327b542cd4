#!/usr/bin/env node
import { runCli } from './cli.js';
import { processIo } from './io.js';

// `mini-llama generate … | head` closes stdout early: stop quietly, as other Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// Warnings from the libraries (a data file that is not UTF-8, say) as one line each, without Node's
// "(node:PID)" prefix and --trace-warnings hint; deprecation warnings of dependencies are left to Node's flags.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'DeprecationWarning') return;
  process.stderr.write(`mini-llama: warning: ${warning.message}\n`);
});

process.exitCode = await runCli(process.argv.slice(2), processIo());
