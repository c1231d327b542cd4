#!/usr/bin/env node
import { runCli } from './cli.js';
import { processIo } from './io.js';

// `mini-llama generate … | head` closes stdout early: stop quietly, as other Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), processIo());
