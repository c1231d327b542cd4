import { resolve } from 'node:path';
import { downloadModel, HubError, hubSettings, parseHubReference } from '@mini-llama/formats/node';
import { CountProgress } from './count-progress.js';
import { CliError } from './errors.js';
import type { CliIo } from './io.js';

/**
 * A model argument as a local path: `hf:ORG/NAME[@REVISION]` is downloaded (or found) in the huggingface_hub
 * cache, with a progress bar per file, and becomes its snapshot directory; anything else is a path from the
 * working directory. The environment is huggingface_hub's: HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN,
 * HF_HUB_OFFLINE.
 */
export async function modelArgument(value: string, io: CliIo, flag = '--model'): Promise<string> {
  let reference: ReturnType<typeof parseHubReference>;
  try {
    reference = parseHubReference(value);
  } catch (error) {
    throw new CliError(`${flag}: ${(error as Error).message}`);
  }
  if (!reference) return resolve(io.cwd, value);
  const settings = await hubSettings(io.env as NodeJS.ProcessEnv);
  const bars = new Map<string, CountProgress>();
  try {
    return await downloadModel(reference, {
      settings,
      onProgress: ({ file, received, total }) => {
        let bar = bars.get(file);
        if (!bar) {
          bar = new CountProgress(io, file, 'bytes');
          bars.set(file, bar);
        }
        bar.update(received, total ?? received);
      },
      onMessage: (message) => io.stderr.write(`${message}\n`),
    });
  } catch (error) {
    if (error instanceof HubError) throw new CliError(`${flag}: ${error.message}`);
    throw error;
  } finally {
    for (const bar of bars.values()) bar.stop();
  }
}
