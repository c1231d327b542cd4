import { useBackend } from '@mini-llama/backends';
import { it } from 'vitest';
import { runSession } from '../src/training-session.js';
import type { CheckpointFiles } from '../src/checkpoint-files.js';

it('runs', async () => {
  let stored: CheckpointFiles | null = null;
  const backend = process.env.BACKEND ?? 'wasm';
  for (let visit = 0; visit < 2; visit++) {
    const t0 = performance.now();
    const out: string[] = [];
    await runSession(
      { backend: backend as 'wasm', steps: 30, checkpointEvery: 10, loraSteps: 10, sampleTokens: 80 },
      {
        post: (m) => {
          if (m.type === 'step') out.push(`${m.phase}${m.step}:${m.loss.toFixed(2)}`);
          else if (m.type === 'sample') { if (m.done) console.log('SAMPLE', m.phase, JSON.stringify(m.text)); }
          else if (m.type === 'resume') console.log('resume', m.fromStep, m.history.length);
          else console.log(JSON.stringify(m));
        },
        startBackend: (r) => useBackend(r),
        loadCheckpoint: async () => stored,
        saveCheckpoint: async (f) => { stored = f; },
      },
    );
    console.log(out.join(' '));
    console.log('visit', visit, 'ms', performance.now() - t0);
  }
});
