// HF tokenizers' tokenizer.json, for Llama-style BPE: SentencePiece pieces ("▁" for spaces) with byte
// fallback, a normalizer that prepends "▁" and turns spaces into "▁" (or the newer Metaspace pre-tokenizer),
// and added tokens for <unk>, <s>, </s>. Schema: https://github.com/huggingface/tokenizers (tokenizers/src/
// models/bpe/serialization.rs, normalizers/, pre_tokenizers/metaspace.rs); the file written mirrors what
// transformers' LlamaConverter produces from a tokenizer.model.

import { modelFromMerges } from './model-from-merges.js';
import {
  IDENTITY_NORMALIZER,
  type NormalizerSpec,
  PieceType,
  type SentencePieceModel,
  SPACE_SYMBOL,
} from './sentence-piece-model.js';
import { TokenizerFileError } from './tokenizer.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** tokenizer.json text → model. Errors name the file and the JSON path of the field at fault. */
export function parseTokenizerJson(text: string, file = 'tokenizer.json'): SentencePieceModel {
  const fail = (field: string, problem: string): never => {
    throw new TokenizerFileError(file, `${field} ${problem}`);
  };
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch (error) {
    return fail('is', `not JSON: ${(error as Error).message}`);
  }
  const object = (value: Json | undefined, field: string): JsonObject =>
    isObject(value) ? value : fail(field, `is ${describe(value)}, expected an object`);
  const top = object(root, '(top level)');
  const model = object(top['model'], 'model');
  if (model['type'] !== 'BPE') {
    fail('model.type', `is ${describe(model['type'])}: only BPE models (Llama's) are supported`);
  }
  for (const field of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    const value = model[field];
    if (value !== undefined && value !== null && value !== '') {
      fail(`model.${field}`, `is ${describe(value)}: SentencePiece-style BPE has none`);
    }
  }

  const vocab = object(model['vocab'], 'model.vocab');
  const pieces: string[] = [];
  const place = (piece: string, id: Json | undefined, field: string): void => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      fail(field, `is ${describe(id)}, expected a token id (an integer ≥ 0)`);
    }
    const existing = pieces[id as number];
    if (existing !== undefined && existing !== piece) {
      fail(field, `gives id ${id} to '${piece}', which already belongs to '${existing}'`);
    }
    pieces[id as number] = piece;
  };
  for (const [piece, id] of Object.entries(vocab)) place(piece, id, `model.vocab['${piece}']`);

  const specialIds = new Set<number>();
  const userDefinedIds = new Set<number>();
  const addedTokens = top['added_tokens'] ?? [];
  if (!Array.isArray(addedTokens)) fail('added_tokens', `is ${describe(addedTokens)}, expected an array`);
  (addedTokens as Json[]).forEach((entry, index) => {
    const token = object(entry, `added_tokens[${index}]`);
    const content = token['content'];
    if (typeof content !== 'string') fail(`added_tokens[${index}].content`, `is ${describe(content)}`);
    place(content as string, token['id'], `added_tokens[${index}].id`);
    (token['special'] === true ? specialIds : userDefinedIds).add(token['id'] as number);
  });
  for (let id = 0; id < pieces.length; id++) {
    if (pieces[id] === undefined)
      fail('model.vocab', `has no token with id ${id} (ids must be 0…${pieces.length - 1})`);
  }
  const idOf = new Map(pieces.map((piece, id) => [piece, id]));

  const rawMerges = model['merges'];
  if (!Array.isArray(rawMerges)) fail('model.merges', `is ${describe(rawMerges)}, expected an array`);
  const merges = (rawMerges as Json[]).map((merge, index): [string, string] => {
    const field = `model.merges[${index}]`;
    let pair: Json[] | null = null;
    if (typeof merge === 'string') pair = merge.split(' ');
    else if (Array.isArray(merge)) pair = merge;
    if (pair?.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      return fail(field, `is ${describe(merge)}, expected "left right" or ["left", "right"]`);
    }
    const [left, right] = pair as [string, string];
    for (const piece of [left, right, left + right]) {
      if (!idOf.has(piece)) fail(field, `('${left}', '${right}'): '${piece}' is not in model.vocab`);
    }
    return [left, right];
  });

  const unkToken = model['unk_token'];
  let unkId = typeof unkToken === 'string' ? idOf.get(unkToken) : undefined;
  if (unkId === undefined) {
    if (unkToken !== undefined && unkToken !== null)
      fail('model.unk_token', `'${unkToken}' is not in model.vocab`);
    unkId = idOf.get('<unk>');
    if (unkId === undefined) fail('model.unk_token', 'is missing and there is no <unk> token');
  }
  const byteFallback = model['byte_fallback'] === true;
  return modelFromMerges({
    pieces,
    merges,
    specialIds,
    userDefinedIds,
    unkId: unkId!,
    byteFallback,
    normalizer: readNormalizer(top, fail),
  });
}

/**
 * The normalizer and pre-tokenizer as a SentencePiece NormalizerSpec. Understood: Llama's legacy
 * Sequence[Prepend("▁"), Replace(" ", "▁")] normalizer, and the Metaspace pre-tokenizer of newer files.
 */
function readNormalizer(top: JsonObject, fail: (field: string, problem: string) => never): NormalizerSpec {
  const spec: NormalizerSpec = { ...IDENTITY_NORMALIZER, addDummyPrefix: false, escapeWhitespaces: false };
  const steps = (value: Json | undefined, field: string): [JsonObject, string][] => {
    if (value === undefined || value === null) return [];
    if (!isObject(value)) return fail(field, `is ${describe(value)}, expected an object or null`);
    if (value['type'] !== 'Sequence') return [[value, field]];
    const key = 'normalizers' in value ? 'normalizers' : 'pretokenizers';
    const list = value[key];
    if (!Array.isArray(list)) return fail(`${field}.${key}`, `is ${describe(list)}, expected an array`);
    return list.flatMap((step, index) => steps(step, `${field}.${key}[${index}]`));
  };
  for (const [step, field] of steps(top['normalizer'], 'normalizer')) {
    const pattern = isObject(step['pattern']) ? step['pattern']['String'] : undefined;
    if (step['type'] === 'Prepend' && step['prepend'] === SPACE_SYMBOL) spec.addDummyPrefix = true;
    else if (step['type'] === 'Replace' && pattern === ' ' && step['content'] === SPACE_SYMBOL) {
      spec.escapeWhitespaces = true;
    } else {
      fail(field, `is ${describe(step['type'])}: only Prepend("▁") and Replace(" ", "▁") are supported`);
    }
  }
  for (const [step, field] of steps(top['pre_tokenizer'], 'pre_tokenizer')) {
    if (step['type'] !== 'Metaspace' || (step['replacement'] ?? SPACE_SYMBOL) !== SPACE_SYMBOL) {
      fail(field, `is ${describe(step['type'])}: only Metaspace with replacement "▁" is supported`);
    }
    spec.escapeWhitespaces = true;
    const scheme = step['prepend_scheme'];
    spec.addDummyPrefix = scheme === undefined ? step['add_prefix_space'] !== false : scheme !== 'never';
  }
  return spec;
}

/** Model → tokenizer.json text in the shape transformers' LlamaConverter writes (legacy normalizer). */
export function writeTokenizerJson(model: SentencePieceModel): string {
  const { pieces, trainerSpec, normalizerSpec } = model;
  const idOf = new Map(pieces.map(({ piece }, id) => [piece, id]));
  const isMergeable = (type: PieceType): boolean =>
    type === PieceType.normal || type === PieceType.userDefined || type === PieceType.unused;
  // transformers' SentencePieceExtractor: every split of a piece into two pieces, the pieces by score, the
  // splits of one piece by the ids of their halves.
  const byScore = pieces
    .map((piece, id) => ({ ...piece, id }))
    .filter(({ type, piece }) => isMergeable(type) && [...piece].length > 1)
    .sort((a, b) => b.score - a.score || a.id - b.id);
  const merges: [string, string][] = [];
  for (const { piece } of byScore) {
    const splits: [number, number][] = [];
    for (let cut = 1; cut < piece.length; cut++) {
      const code = piece.charCodeAt(cut);
      if (code >= 0xdc00 && code <= 0xdfff) continue;
      const left = idOf.get(piece.slice(0, cut));
      const right = idOf.get(piece.slice(cut));
      if (left !== undefined && right !== undefined) splits.push([left, right]);
    }
    splits.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [left, right] of splits) merges.push([pieces[left]!.piece, pieces[right]!.piece]);
  }
  const canJoin = merges.every(([left, right]) => !left.includes(' ') && !right.includes(' '));
  const added = pieces
    .map((piece, id) => ({ ...piece, id }))
    .filter(
      ({ type }) =>
        type === PieceType.control || type === PieceType.unknown || type === PieceType.userDefined,
    )
    .map(({ piece, id, type }) => ({
      id,
      content: piece,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: type !== PieceType.userDefined,
    }));
  const normalizers = [
    ...(normalizerSpec.addDummyPrefix ? [{ type: 'Prepend', prepend: SPACE_SYMBOL }] : []),
    ...(normalizerSpec.escapeWhitespaces
      ? [{ type: 'Replace', pattern: { String: ' ' }, content: SPACE_SYMBOL }]
      : []),
  ];
  const bos = trainerSpec.bosId >= 0 ? pieces[trainerSpec.bosId]?.piece : undefined;
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: normalizers.length > 0 ? { type: 'Sequence', normalizers } : null,
    pre_tokenizer: null,
    // HF's Llama tokenizers add BOS themselves; this package's encode adds it only when asked.
    post_processor:
      bos === undefined
        ? null
        : {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
            pair: [
              { SpecialToken: { id: bos, type_id: 0 } },
              { Sequence: { id: 'A', type_id: 0 } },
              { SpecialToken: { id: bos, type_id: 1 } },
              { Sequence: { id: 'B', type_id: 1 } },
            ],
            special_tokens: { [bos]: { id: bos, ids: [trainerSpec.bosId], tokens: [bos] } },
          },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE_SYMBOL }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(normalizerSpec.addDummyPrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: pieces[trainerSpec.unkId]?.piece ?? null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: trainerSpec.byteFallback,
      ignore_merges: false,
      vocab: Object.fromEntries(pieces.map(({ piece }, id) => [piece, id])),
      merges: canJoin ? merges.map(([left, right]) => `${left} ${right}`) : merges,
    },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: Json | undefined): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}
