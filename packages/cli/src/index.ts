export { createProgram, runCli } from './cli.js';
export { CliError } from './errors.js';
export { bufferIo, type CliIo, type OutputStream, processIo } from './io.js';
