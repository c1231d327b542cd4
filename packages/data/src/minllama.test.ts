import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, hasSharedData, needs, sharedData } from '../test/shared-data.js';
import { parseLabelMapping, parseMinllama } from './minllama.js';

describe('parseMinllama', () => {
  it('reads label ||| text with the names of its mapping file', () => {
    const names = parseLabelMapping(
      JSON.parse(readFileSync(fixture('tiny-label-mapping.json'), 'utf8')),
      'map.json',
    );
    const dataset = parseMinllama(readFileSync(fixture('tiny-train.txt'), 'utf8'), 'tiny-train.txt', names);
    expect(dataset.labelNames).toEqual(['bad', 'ok', 'good']);
    expect(dataset.examples.map(({ label }) => label)).toEqual([2, 0, 1, 2]);
    expect(dataset.examples[2]!.text).toBe('""" Not as bad as they say , "" said nobody . "');
  });

  it('infers numeric names without a mapping, and names the line of a bad row or label', () => {
    const text = readFileSync(fixture('tiny-train.txt'), 'utf8');
    expect(parseMinllama(text, 'f').labelNames).toEqual(['0', '1', '2']);
    expect(() => parseMinllama(readFileSync(fixture('tiny-bad.txt'), 'utf8'), 'tiny-bad.txt')).toThrow(
      "tiny-bad.txt:1: expected '<label> ||| <text>'",
    );
    expect(() => parseMinllama(text, 'tiny-train.txt', ['bad', 'good'])).toThrow(
      'tiny-train.txt:1: unknown label "2"',
    );
    expect(() => parseLabelMapping({ bad: 0 }, 'map.json')).toThrow(
      'map.json: expected a non-empty JSON array of label names',
    );
  });
});

describe.skipIf(!hasSharedData('minllama-sst5-cfimdb'))(
  `minllama SST-5 / CFIMDB files${needs('minllama-sst5-cfimdb')}`,
  () => {
    const load = (name: string, mapping: string) =>
      parseMinllama(
        readFileSync(sharedData(`minllama-sst5-cfimdb/${name}`), 'utf8'),
        name,
        parseLabelMapping(
          JSON.parse(readFileSync(sharedData(`minllama-sst5-cfimdb/${mapping}`), 'utf8')),
          mapping,
        ),
      );

    it('has the split sizes and class counts of its PROVENANCE', () => {
      const dev = load('sst-dev.txt', 'sst-label-mapping.json');
      expect(dev.labelNames).toEqual(['awful', 'bad', 'average', 'good', 'excellent']);
      const counts = [0, 1, 2, 3, 4].map(
        (label) => dev.examples.filter((example) => example.label === label).length,
      );
      expect(counts).toEqual([139, 289, 229, 279, 165]);
      const cfimdb = load('cfimdb-dev.txt', 'cfimdb-label-mapping.json');
      expect(cfimdb.examples).toHaveLength(245);
      expect(cfimdb.examples.filter(({ label }) => label === 1)).toHaveLength(122);
    });
  },
);
