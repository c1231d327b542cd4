import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { parseNpy, serializeNpy } from './npy.js';

const PYTHON = '/usr/bin/python3';
const hasNumpy =
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('serializeNpy', () => {
  it('writes the version 1.0 preamble with a header padded to a multiple of 64 bytes', () => {
    const bytes = serializeNpy({ shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    expect([...bytes.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]); // \x93NUMPY 1 0
    const headerLength = bytes[8]! | (bytes[9]! << 8);
    expect((10 + headerLength) % 64).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
    expect(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")).toBe(true);
    expect(header.endsWith(' \n')).toBe(true);
    expect(bytes.length).toBe(10 + headerLength + 6 * 4);
  });

  it('round-trips through parseNpy, including a 1-d shape and values float32 must round', () => {
    const data = Float32Array.from([0.1, -2.5e-8, 3e38, Number.NEGATIVE_INFINITY, 7]);
    for (const shape of [[5], [1, 5], [5, 1, 1]]) {
      const parsed = parseNpy(serializeNpy({ shape, data }));
      expect(parsed.shape).toEqual(shape);
      expect([...parsed.data]).toEqual([...data]);
    }
  });

  it('rejects a shape that does not hold the data', () => {
    expect(() => serializeNpy({ shape: [2, 2], data: new Float32Array(3) })).toThrow(
      'shape [2,2] does not hold 3 values',
    );
  });

  it.skipIf(!hasNumpy)(
    `is read by numpy.load with the same shape and values${hasNumpy ? '' : ` (skipped: ${PYTHON} cannot import numpy)`}`,
    async () => {
      const directory = await temporaryDirectory();
      const path = join(directory, 'values.npy');
      const data = Float32Array.from({ length: 12 }, (_, i) => (i - 5) / 3);
      await writeFile(path, serializeNpy({ shape: [3, 4], data }));
      const script = `import json, numpy; a = numpy.load(${JSON.stringify(path)}); print(json.dumps({"dtype": str(a.dtype), "shape": list(a.shape), "values": a.astype(float).ravel().tolist()}))`;
      const result = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      const loaded = JSON.parse(result.stdout) as { dtype: string; shape: number[]; values: number[] };
      expect(loaded.dtype).toBe('float32');
      expect(loaded.shape).toEqual([3, 4]);
      expect(loaded.values).toEqual([...data]); // float32 → float64 is exact
    },
  );
});
