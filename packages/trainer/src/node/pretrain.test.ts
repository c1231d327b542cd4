// pretrain() as a caller drives it: the run directory's rules (one run per directory, a lock, resumes that are
// exact or refused, checkpoints verified on the way back in) and text files of any size.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../run-config.js';
import { LOCK_FILE, pretrain } from './index.js';
import type { RunEvents } from './training-run.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const sentence = (i: number) =>
  `Story ${i}: the fox ran to the river, met a heron and asked it the way home before the rain came. `;

/** A plain text file of about `bytes` bytes (one document: the bytes tokenizer makes one token per byte). */
async function textFile(bytes: number): Promise<string> {
  const dir = await temporaryDirectory();
  const path = join(dir, 'book.txt');
  let text = '';
  for (let i = 0; text.length < bytes; i++) text += sentence(i) + (i % 7 === 6 ? '\n\n' : '');
  writeFileSync(path, text);
  return path;
}

const configFor = (data: string, training: Partial<RunConfigInput['training']> = {}): RunConfigInput => ({
  model: { dim: 16, nLayers: 1, nHeads: 2, maxSeqLen: 16 },
  data: { train: [data], tokenizer: 'bytes', valFraction: 0.1 },
  training: { steps: 6, batchSize: 2, lr: 3e-3, checkpointEvery: 2, keepLast: 5, seed: 3, ...training },
  backend: 'cpu',
});

/** Events that collect the run's messages. */
function listen(): RunEvents & { messages: string[] } {
  const messages: string[] = [];
  return { messages, onMessage: (message) => messages.push(message) };
}

const lossesOf = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { loss: number }).loss);

let data = '';
let reference = ''; // a finished run of configFor(data), 6 steps, checkpoints at 2, 4, 6
beforeAll(async () => {
  data = await textFile(4000);
  reference = await temporaryDirectory();
  await pretrain({ config: configFor(data), out: reference });
});

/** A copy of the reference run as a crash after step 6's checkpoint but before the end would leave it. */
async function interruptedCopy(): Promise<string> {
  const copy = join(await temporaryDirectory(), 'run');
  const { cpSync } = await import('node:fs');
  cpSync(reference, copy, { recursive: true });
  rmSync(join(copy, 'model'), { recursive: true });
  return copy;
}

describe('pretrain on text files', () => {
  it('streams a text file of 150k tokens into passages and evaluates on its validation split', async () => {
    // A plain text file is one document: it once overflowed the call stack past ~100k tokens and went whole
    // into one split (no evaluation, or no training data).
    const big = await textFile(150_000);
    const out = await temporaryDirectory();
    const events = listen();
    const result = await pretrain(
      { config: configFor(big, { steps: 2, evalEvery: 2, evalBatches: 1, checkpointEvery: 0 }), out },
      events,
    );
    expect(result.stopped).toBe(false);
    const manifest = JSON.parse(readFileSync(join(out, 'corpus', 'manifest.json'), 'utf8'));
    expect(manifest.documents.train).toBeGreaterThan(100);
    expect(manifest.documents.val).toBeGreaterThan(0);
    const last = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!);
    expect(last.valLoss).toBeGreaterThan(0);
    expect(events.messages.join('\n')).not.toMatch(/--eval-every is ignored/);
  });

  it('refuses a training length past the limit before reading anything', async () => {
    const started = Date.now();
    await expect(
      pretrain({ config: configFor(data, { seqLen: 100_000 }), out: await temporaryDirectory() }),
    ).rejects.toThrow(/training\.seqLen: training sequences are at most 32768 tokens here/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('a run directory holds one run', () => {
  it('refuses a fresh run into a directory that holds one, pointing at --resume', async () => {
    await expect(pretrain({ config: configFor(data), out: reference })).rejects.toThrow(
      `${reference} holds a run already (checkpoint-000002, checkpoint-000004, checkpoint-000006): continue it with --resume ${reference}, or give another --out`,
    );
  });

  it('refuses a directory another live process holds, and takes over a stale lock with a message', async () => {
    const run = await interruptedCopy();
    // A live process (a sleeping child) holds the lock.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(
        join(run, LOCK_FILE),
        JSON.stringify({ pid: holder.pid, host: (await import('node:os')).hostname(), started: 'then' }),
      );
      await expect(pretrain({ resume: run })).rejects.toThrow(`${run} is in use by process ${holder.pid} on`);
      expect(existsSync(join(run, 'model'))).toBe(false); // nothing written
    } finally {
      holder.kill('SIGKILL');
      await new Promise((done) => holder.once('exit', done));
    }
    // The same lock, now of a process that is gone: removed, said, and the run continues.
    const events = listen();
    const result = await pretrain({ resume: run }, events);
    expect(events.messages[0]).toMatch(new RegExp(`removed a stale lock of process ${holder.pid}`));
    expect(result.saved).toBe(join(run, 'model'));
    expect(existsSync(join(run, LOCK_FILE))).toBe(false); // released
  });

  it('holds the lock while it runs: a second run on the directory is refused', async () => {
    const run = await interruptedCopy();
    rmSync(join(run, 'checkpoint-000006'), { recursive: true });
    let second: Promise<unknown> | null = null;
    await pretrain(
      { resume: run },
      {
        onEvent: (event) => {
          if (event.type === 'step' && !second)
            second = pretrain({ resume: run }).catch((error: Error) => error);
        },
      },
    );
    expect(String(await second)).toMatch(`${run} is in use by process ${process.pid}`);
  });
});

describe('a resumed run continues the recorded one exactly, or is refused', () => {
  it('refuses changes that would make the resumed steps differ, naming each field and both values', async () => {
    const run = await interruptedCopy();
    const before = readFileSync(join(run, 'run-config.json'), 'utf8');
    await expect(
      pretrain({ resume: run, overrides: { training: { lr: 1e-2, seed: 4 }, data: { train: [reference] } } }),
    ).rejects.toThrow(
      new RegExp(
        `--resume ${run}: the resumed run would not continue the recorded one exactly: data\\.train was \\[.*book\\.txt"\\], now \\[.*\\]; training\\.lr was 0\\.003, now 0\\.01; training\\.seed was 3, now 4\\. Resume without these changes`,
      ),
    );
    for (const training of [{ batchSize: 3 }, { seqLen: 8 }]) {
      await expect(pretrain({ resume: run, overrides: { training } })).rejects.toThrow(
        `training.${Object.keys(training)[0]} was`,
      );
    }
    expect(readFileSync(join(run, 'run-config.json'), 'utf8')).toBe(before); // untouched
  });

  it('takes more steps, says so, and trains them from the checkpoint', async () => {
    const run = await interruptedCopy();
    const events = listen();
    const result = await pretrain({ resume: run, overrides: { training: { steps: 8 } } }, events);
    expect(events.messages).toContain(
      'resume: training.steps changed from 6 to 8 (the schedule now runs over the new total)',
    );
    expect(result.step).toBe(8);
    expect(lossesOf(run).slice(0, 6)).toEqual(lossesOf(reference));
    expect(JSON.parse(readFileSync(join(run, 'run-config.json'), 'utf8')).training.steps).toBe(8);
  });
});

describe('checkpoints are verified on resume', () => {
  // The run resumed from checkpoint 4 redoes steps 5 and 6 as the uninterrupted run did them.
  async function resumeAfter(damage: (checkpoint6: string) => void) {
    const run = await interruptedCopy();
    damage(join(run, 'checkpoint-000006'));
    writeFileSync(
      join(run, 'metrics.jsonl'),
      `${readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').slice(0, 4).join('\n')}\n`,
    );
    const events = listen();
    const result = await pretrain({ resume: run }, events);
    return { run, result, messages: events.messages.join('\n') };
  }

  it('passes over a checkpoint with a flipped bit, saying which file, and resumes from the one before', async () => {
    const { run, result, messages } = await resumeAfter((checkpoint) => {
      const file = join(checkpoint, 'model.safetensors');
      const bytes = readFileSync(file);
      bytes[bytes.length - 3]! ^= 0x10; // inside a weight: the file still parses
      writeFileSync(file, bytes);
    });
    expect(messages).toMatch(
      /passing over .*checkpoint-000006: .*model\.safetensors: its SHA-256 is not the one recorded when it was written/,
    );
    expect(messages).toMatch(/resumed from .*checkpoint-000004 at step 4/);
    expect(result.step).toBe(6);
    expect(lossesOf(run)).toEqual(lossesOf(reference));
  });

  it('passes over a truncated checkpoint and one whose step was edited', async () => {
    const truncated = await resumeAfter((checkpoint) => {
      const file = join(checkpoint, 'optimizer.safetensors');
      writeFileSync(file, readFileSync(file).subarray(0, 100));
    });
    expect(truncated.messages).toMatch(/passing over .*checkpoint-000006: .*optimizer\.safetensors/);
    expect(lossesOf(truncated.run)).toEqual(lossesOf(reference));

    const edited = await resumeAfter((checkpoint) => {
      const file = join(checkpoint, 'trainer-state.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"step": 6', '"step": 5'));
    });
    expect(edited.messages).toMatch(/passing over .*checkpoint-000006: .*trainer-state\.json/);
    expect(lossesOf(edited.run)).toEqual(lossesOf(reference));

    // A step number that disagrees with the directory's name, with checksums that agree (a renamed checkpoint).
    const renamed = await resumeAfter((checkpoint) => {
      rmSync(checkpoint, { recursive: true });
      renameSync(checkpoint.replace('000006', '000004'), checkpoint);
    });
    expect(renamed.messages).toMatch(
      /trainer-state\.json: says step 4, but the checkpoint is checkpoint-000006/,
    );
    expect(renamed.messages).toMatch(/resumed from .*checkpoint-000002 at step 2/);
    expect(lossesOf(renamed.run)).toEqual(lossesOf(reference));
  });

  it('refuses to continue when no checkpoint loads, and cleans up what a killed write left', async () => {
    const run = await interruptedCopy();
    for (const name of readdirSync(run).filter((name) => name.startsWith('checkpoint-'))) {
      writeFileSync(join(run, name, 'model.safetensors'), 'x');
    }
    writeFileSync(join(run, '.checkpoint-000008.0badc0ffee00.tmp'), '');
    const events = listen();
    await expect(pretrain({ resume: run }, events)).rejects.toThrow(
      `--resume: no checkpoint in ${run} loads (see above); the run cannot continue`,
    );
    expect(events.messages[0]).toBe(
      'removed what an interrupted write left: .checkpoint-000008.0badc0ffee00.tmp',
    );
    expect(events.messages.filter((m) => m.startsWith('resume: passing over'))).toHaveLength(3);
  });

  it('starts a run killed before its first checkpoint again from step 0, exactly', async () => {
    const run = await interruptedCopy();
    for (const name of readdirSync(run).filter((name) => name.startsWith('checkpoint-'))) {
      rmSync(join(run, name), { recursive: true });
    }
    // What a kill while appending leaves at the end of metrics.jsonl: half a line.
    const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8');
    writeFileSync(join(run, 'metrics.jsonl'), metrics.slice(0, metrics.indexOf('\n', 10) + 20));
    const events = listen();
    const result = await pretrain({ resume: run }, events);
    expect(events.messages).toContain(`resume: ${run} has no checkpoint yet: starting again from step 0`);
    expect(result.step).toBe(6);
    expect(lossesOf(run)).toEqual(lossesOf(reference));
  });

  it('drops a torn last metrics line when resuming from a checkpoint, and names any other broken line', async () => {
    const run = await interruptedCopy();
    rmSync(join(run, 'checkpoint-000006'), { recursive: true });
    const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').split('\n');
    writeFileSync(join(run, 'metrics.jsonl'), `${lines.slice(0, 5).join('\n')}\n${lines[5]!.slice(0, 9)}`);
    await pretrain({ resume: run });
    expect(lossesOf(run)).toEqual(lossesOf(reference));
    writeFileSync(join(run, 'metrics.jsonl'), `${lines[0]}\n{"step": 2, "lo\n${lines[2]}\n`);
    rmSync(join(run, 'checkpoint-000006'), { recursive: true });
    await expect(pretrain({ resume: run })).rejects.toThrow(`${join(run, 'metrics.jsonl')}:2: invalid JSON`);
  });
});
