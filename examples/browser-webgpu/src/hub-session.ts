// A checkpoint from the Hugging Face Hub, LoRA-fine-tuned in the tab: `?model=hf:ORG/NAME[@REVISION]` (and
// `?hub=URL` for another endpoint). The Hub answers browsers with CORS; its files come into memory (no cache),
// the model is built from its config.json and safetensors, its tokenizer.json tokenizes the example's texts.
import { checkpointFromHfFiles, fetchHubFiles } from '@mini-llama/formats';
import { LlamaModel, parameterCount } from '@mini-llama/model';
import { type Tokenizer, tokenizerFromBytes } from '@mini-llama/tokenizer';
import { FINE_TUNING_PROMPT } from './corpus.js';
import type { RunOptions } from './protocol.js';
import { fineTune, type SessionEnvironment, sample } from './training-session.js';

/** Fetch the checkpoint, sample from it, LoRA-fine-tune it on the recipe text, sample again, sweep α. */
export async function runHubSession(options: RunOptions, environment: SessionEnvironment): Promise<void> {
  const { post } = environment;
  const reference = options.model!;
  post({ type: 'status', text: `starting the ${options.backend} backend` });
  post({ type: 'backend', choice: await environment.startBackend(options.backend) });

  post({ type: 'status', text: `fetching ${reference} from ${options.hub}` });
  let shown = 0;
  const { files, reference: ref } = await fetchHubFiles(reference, {
    endpoint: options.hub,
    onProgress: ({ file, received, total }) => {
      if (received - shown < 4 << 20 && received !== total) return; // a line per 4 MiB
      shown = received === total ? 0 : received;
      const size = total ? ` of ${(total / 2 ** 20).toFixed(1)}` : '';
      post({ type: 'status', text: `fetching ${file}: ${(received / 2 ** 20).toFixed(1)}${size} MiB` });
    },
  });
  const source = `${ref.repoId}@${ref.revision}`;
  const { config, stateDict, dtype } = checkpointFromHfFiles(files, source);
  const tokenizer = hubTokenizer(files, source);
  const model = new LlamaModel(config, { init: 'none' });
  try {
    model.loadStateDict(stateDict, source);
    stateDict.clear(); // the weights live in the backend now
    const { dim, nLayers, nHeads, nKvHeads, hiddenDim, vocabSize } = config;
    post({
      type: 'model',
      parameters: parameterCount(config),
      config: `${source} (${dtype}): dim ${dim}, ${nLayers} layers, ${nHeads} heads (${nKvHeads} KV), hidden ${hiddenDim}, vocab ${vocabSize}`,
    });
    await sample('pretrain', model, tokenizer, FINE_TUNING_PROMPT, options, post);
    if (options.loraSteps > 0) await fineTune(model, tokenizer, options, post);
    post({ type: 'done' });
  } finally {
    model.dispose();
  }
}

/** The repository's tokenizer.json (with its tokenizer_config.json for BOS, EOS and the chat template). */
function hubTokenizer(files: Map<string, Uint8Array>, source: string): Tokenizer {
  const json = files.get('tokenizer.json');
  if (!json) throw new Error(`${source}: no tokenizer.json in the repository; this example needs one`);
  const config = files.get('tokenizer_config.json');
  return tokenizerFromBytes(
    json,
    'tokenizer.json',
    config ? { text: new TextDecoder().decode(config), file: 'tokenizer_config.json' } : undefined,
  );
}
