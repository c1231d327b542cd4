import { pretrain } from '@mini-llama/trainer/node';
import type { Command } from 'commander';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import { runTrainingCommand } from '../training-run.js';
import {
  addTrainingOptions,
  freshRunConfig,
  overridesFromFlags,
  type TrainingFlags,
} from './training-options.js';

export function addPretrainCommand(program: Command, io: CliIo): void {
  const command = program
    .command('pretrain')
    .description('Pretrain a Llama on text files or prepared shards (next-token prediction).');
  addTrainingOptions(command);
  command.action((flags: TrainingFlags) => runPretrain(flags, io));
}

async function runPretrain(flags: TrainingFlags, io: CliIo): Promise<void> {
  if (flags.init) flags.init = await modelArgument(flags.init, io, '--init');
  const fresh = flags.resume ? null : await freshRunConfig(flags, io.cwd);
  const result = await runTrainingCommand(io, 'pretrain', ({ events, signal, startBackend }) =>
    pretrain(
      {
        ...(fresh
          ? { config: fresh, out: flags.out }
          : { resume: flags.resume, overrides: overridesFromFlags(flags) }),
        cwd: io.cwd,
        configName: flags.configFile ?? 'run configuration',
        startBackend,
        signal,
      },
      events,
    ),
  );
  io.stdout.write(
    `finished at step ${result.step}${result.bestValLoss === null ? '' : `, best validation loss ${result.bestValLoss.toFixed(4)}`}\n` +
      `metrics: ${result.metrics}\nmodel: ${result.saved}\n`,
  );
}
