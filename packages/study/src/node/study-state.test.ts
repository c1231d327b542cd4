import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { STUDY_STATE_VERSION } from '../plan.js';
import { openStudyState } from './study-state.js';

describe('openStudyState', () => {
  const settings = { fresh: false, baseName: null, endpoint: 'zero-shot' as const };

  it('starts empty, and reads back what a run wrote', async () => {
    const directory = await temporaryDirectory();
    const path = join(directory, 'stages.json');
    expect(await openStudyState(path, { ...settings, directory })).toEqual({
      version: STUDY_STATE_VERSION,
      done: {},
      base: null,
      endpoint: 'zero-shot',
    });
    const written = {
      version: STUDY_STATE_VERSION,
      done: { data: { task: 't' } },
      base: null,
      endpoint: 'zero-shot',
    };
    await writeFile(path, JSON.stringify(written));
    expect(await openStudyState(path, { ...settings, directory })).toEqual(written);
    // fresh: nothing of the earlier run is left to resume (its checkpoints would be)
    await mkdir(join(directory, 'pretrain', 'checkpoint-000010'), { recursive: true });
    await writeFile(join(directory, 'notes.txt'), 'not the study’s');
    expect((await openStudyState(path, { ...settings, fresh: true, directory })).done).toEqual({});
    expect((await readdir(directory)).sort()).toEqual(['notes.txt']);
    // a directory where no study ran keeps what it holds, study-like names included
    await mkdir(join(directory, 'data'));
    await openStudyState(path, { ...settings, fresh: true, directory });
    expect((await readdir(directory)).sort()).toEqual(['data', 'notes.txt']);
  });

  it('refuses a run directory of another layout, base model or endpoint rather than mixing them', async () => {
    const directory = await temporaryDirectory();
    const path = join(directory, 'stages.json');
    await writeFile(path, JSON.stringify({ done: { data: {}, 'finetune-full': true } })); // layout 1: no version
    await expect(openStudyState(path, { ...settings, directory })).rejects.toThrow(
      new RegExp(
        `written by another version of the study \\(layout 1, this one reads ${STUDY_STATE_VERSION}\\): start it over with --fresh`,
      ),
    );
    await writeFile(
      path,
      JSON.stringify({ version: STUDY_STATE_VERSION, done: { data: {} }, base: 'hf:a/b' }),
    );
    await expect(openStudyState(path, { ...settings, directory })).rejects.toThrow(
      /holds a study of the base hf:a\/b, not of one pretrained here/,
    );
    await writeFile(
      path,
      JSON.stringify({
        version: STUDY_STATE_VERSION,
        done: { data: {} },
        base: null,
        endpoint: 'linear-probe',
      }),
    );
    await expect(openStudyState(path, { ...settings, directory })).rejects.toThrow(
      /holds a study from the linear-probe endpoint, not the zero-shot one/,
    );
  });
});
