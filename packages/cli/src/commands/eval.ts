import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { addEvalClassifyCommand } from './eval-classify.js';
import { addEvalPerplexityCommand } from './eval-perplexity.js';

/** `mini-llama eval perplexity|classify`: measurements of a model, from @mini-llama/eval. */
export function addEvalCommand(program: Command, io: CliIo): void {
  const command = program
    .command('eval')
    .description(
      'Evaluate a model: perplexity and bits per byte on text or prepared shards, or classification accuracy (fine-tuned head or zero-shot prompt).',
    );
  addEvalPerplexityCommand(command, io);
  addEvalClassifyCommand(command, io);
}
