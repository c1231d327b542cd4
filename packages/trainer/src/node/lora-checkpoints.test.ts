import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { parseSafetensors } from '@mini-llama/formats';
import { LoraModel } from '@mini-llama/peft-lora';
import { describe, expect, it } from 'vitest';
import { languageModelObjective, Trainer } from '../index.js';
import { PatternSource, LORA_TINY as TINY, tinyModel } from '../test-helpers.js';
import { loadCheckpoint, resumeTraining, runTraining } from './index.js';

const shape = { ...TINY, nLayers: 1 };

function loraTrainer(steps: number, dropout = 0) {
  const model = tinyModel(1, shape);
  const lora = new LoraModel(model, { r: 2, targetModules: ['q_proj', 'v_proj', 'down_proj'], dropout });
  const trainer = new Trainer(
    lora,
    {
      steps,
      batchSize: 2,
      optimizer: { weightDecay: 0.1 },
      schedule: { name: 'cosine', learningRate: 1e-2 },
    },
    (adapted, batch) => languageModelObjective(adapted.llama, batch),
    lora.trainableParameters(),
  );
  return {
    trainer,
    dispose: () => {
      trainer.dispose();
      lora.dispose();
      model.dispose();
    },
  };
}

const metricsOf = async (run: string) =>
  (await readFile(join(run, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { step: number; loss: number });

describe('checkpoints of a LoRA run', () => {
  // With dropout, the masks of steps 3 and 4 come from the generator's position after step 2, which the
  // checkpoint must carry.
  it.each([0, 0.3])(
    'hold only the adapter (in PEFT layout) and resume exactly (dropout %s)',
    async (dropout) => {
      await useBackend('cpu');
      const straight = await mkdtemp(join(tmpdir(), 'peft-lora-run-'));
      const full = loraTrainer(4, dropout);
      await runTraining({
        runDirectory: straight,
        trainer: full.trainer,
        train: new PatternSource(6, 40),
        checkpointEvery: 2,
      });
      full.dispose();
      const complete = await metricsOf(straight);

      const checkpoint = await loadCheckpoint(join(straight, 'checkpoint-000002'));
      expect(
        [...checkpoint.weights.keys()].every((key) => /^base_model\.model\..*\.lora_[AB]\.weight$/.test(key)),
      ).toBe(true);
      expect(checkpoint.weights.size).toBe(6);
      expect(
        checkpoint.weights.get('base_model.model.model.layers.0.mlp.down_proj.lora_A.weight')!.shape,
      ).toEqual([2, 48]);
      expect([...checkpoint.optimizer.moments.keys()].every((name) => name.includes('.lora_'))).toBe(true);
      const header = parseSafetensors(
        new Uint8Array(await readFile(join(straight, 'checkpoint-000002', 'model.safetensors'))),
        'model.safetensors',
      );
      expect(header.tensors.has('model.embed_tokens.weight')).toBe(false);

      // a run stopped after step 2 and resumed from its checkpoint does steps 3 and 4 as the straight one did
      const crashed = await mkdtemp(join(tmpdir(), 'peft-lora-run-'));
      const first = loraTrainer(4, dropout);
      const stop = new AbortController();
      first.trainer.on((event) => {
        if (event.type === 'step' && event.metrics.step === 2) stop.abort();
      });
      const stopped = await runTraining({
        runDirectory: crashed,
        trainer: first.trainer,
        train: new PatternSource(6, 40),
        signal: stop.signal,
      });
      expect(stopped).toMatchObject({ step: 2, stopped: true });
      first.dispose();
      const second = loraTrainer(4, dropout);
      const source = new PatternSource(6, 40);
      await resumeTraining(second.trainer, source, join(crashed, 'checkpoint-000002'), crashed);
      await runTraining({ runDirectory: crashed, trainer: second.trainer, train: source });
      second.dispose();
      const resumed = await metricsOf(crashed);
      expect(resumed.map((line) => line.step)).toEqual([1, 2, 3, 4]);
      expect(resumed.map((line) => line.loss)).toEqual(complete.map((line) => line.loss));
    },
  );

  it('names the file when the saved dropout generator state is malformed', () => {
    const model = tinyModel(1, shape);
    const lora = new LoraModel(model, { r: 2, targetModules: ['q_proj'], dropout: 0.1 });
    expect(() =>
      lora.restoreTrainingState({ dropoutRandom: { words: [1, 2] } }, 'run/trainer-state.json'),
    ).toThrow(
      'run/trainer-state.json: model.dropoutRandom must be {"words": [four uint32], "spareNormal": number | null}, got {"words":[1,2]}',
    );
    expect(() =>
      lora.restoreTrainingState(
        { dropoutRandom: { words: [1, 2], spareNormal: null } },
        'run/trainer-state.json',
      ),
    ).toThrow(
      'run/trainer-state.json: model.dropoutRandom: Random.setState: expected four uint32 words, got [1,2]',
    );
    lora.dispose();
    model.dispose();
  });
});
