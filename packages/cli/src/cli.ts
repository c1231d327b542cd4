import { fileErrorMessage } from '@mini-llama/formats/node';
import { Command, CommanderError } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { addBenchCommand } from './commands/bench.js';
import { addConvertCommand } from './commands/convert.js';
import { addDataCommand } from './commands/data.js';
import { addDemoCommand } from './commands/demo.js';
import { addEvalCommand } from './commands/eval.js';
import { addFinetuneCommand } from './commands/finetune.js';
import { addForwardCommand } from './commands/forward.js';
import { addGenerateCommand } from './commands/generate.js';
import { addInfoCommand } from './commands/info.js';
import { addMergeCommand } from './commands/merge.js';
import { addPretrainCommand } from './commands/pretrain.js';
import { addSoupCommand } from './commands/soup.js';
import { addTokenizerCommand } from './commands/tokenizer.js';
import { addWiseFtCommand } from './commands/wise-ft.js';
import { addZeroShotCommand } from './commands/zero-shot.js';
import { CliExit } from './errors.js';
import { type CliIo, processIo } from './io.js';

/**
 * The whole command tree, writing to `io`. Commander's own exits become exceptions (exitOverride), so a
 * test or an embedding program can run any command in-process; `runCli` turns them into exit codes.
 */
export function createProgram(io: CliIo): Command {
  const program = new Command('mini-llama')
    .description(
      'Llama 2 models on TensorFlow.js: generate, forward, convert, info, bench and a training demo.',
    )
    .version(packageJson.version)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => {}, // runCli prints every error itself, as one line
    })
    .showSuggestionAfterError(true);
  // Subcommands made with program.command() inherit the settings above.
  addDemoCommand(program, io);
  addPretrainCommand(program, io);
  addFinetuneCommand(program, io);
  addGenerateCommand(program, io);
  addForwardCommand(program, io);
  addConvertCommand(program, io);
  addMergeCommand(program, io);
  addZeroShotCommand(program, io);
  addWiseFtCommand(program, io);
  addSoupCommand(program, io);
  addEvalCommand(program, io);
  addInfoCommand(program, io);
  addBenchCommand(program, io);
  addDataCommand(program, io);
  addTokenizerCommand(program, io);
  return program;
}

/**
 * Runs the CLI on `argv` (without node and the script: `['info', 'model.bin']`) and returns the exit code.
 * Every failure is one line on stderr, `mini-llama <command>: <message>`, with the stack trace only when
 * MINI_LLAMA_DEBUG=1.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CliExit) return error.code;
    if (error instanceof CommanderError) {
      // --help, --version, or help shown because no command was given: commander already printed it.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      if (error.code === 'commander.help') return error.exitCode;
    }
    const command = commandName(program, argv);
    io.stderr.write(`${command}: ${oneLineMessage(error, command)}\n`);
    if (io.env['MINI_LLAMA_DEBUG'] === '1' && error instanceof Error && error.stack) {
      io.stderr.write(`${error.stack}\n`);
    }
    return 1;
  }
}

/** "mini-llama generate" when argv names a command, else "mini-llama". */
function commandName(program: Command, argv: readonly string[]): string {
  const first = argv.find((arg) => !arg.startsWith('-'));
  const known = program.commands.some((command) => command.name() === first);
  return known ? `mini-llama ${first}` : 'mini-llama';
}

function oneLineMessage(error: unknown, command: string): string {
  // A file error nothing below caught (a full disk while writing, say): the file first, the problem in words.
  let message = fileErrorMessage(error) ?? (error instanceof Error ? error.message : String(error));
  if (error instanceof CommanderError) message = message.replace(/^error: /, '');
  // Library errors often start with their operation's name ("generate: prompt 0 …"): said once is enough.
  const subcommand = command.split(' ')[1];
  if (subcommand && message.startsWith(`${subcommand}: `)) message = message.slice(subcommand.length + 2);
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}
