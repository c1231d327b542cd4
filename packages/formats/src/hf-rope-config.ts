/**
 * RoPE in HF config.json: the base and scaling read from either transformers generation's keys (every key inside
 * read or refused), and the rope_scaling object written back.
 */
import type { RopeScaling } from './config.js';
import { isRecord } from './json-record.js';

/**
 * The RoPE base and scaling of a config.json. transformers 5 writes `rope_parameters` ({rope_type, rope_theta,
 * factor, …}); transformers 4 a top-level `rope_theta` and `rope_scaling` ({type or rope_type, factor, …}), which
 * transformers 5 still reads and prefers when both are there. Every key inside is read or refused.
 */
export function ropeOf(
  json: Record<string, unknown>,
  maxSeqLen: number,
  fail: (problem: string) => Error,
): { theta: number; scaling: RopeScaling | null } {
  const show = (value: unknown) => JSON.stringify(value);
  const parameters = json.rope_parameters ?? null;
  const scaling = json.rope_scaling ?? null;
  if (parameters !== null && !isRecord(parameters))
    throw fail(`rope_parameters must be an object, got ${show(parameters)}`);
  if (scaling !== null && !isRecord(scaling))
    throw fail(`rope_scaling must be an object or null, got ${show(scaling)}`);
  const [source, name] = scaling ? [scaling, 'rope_scaling'] : [parameters ?? {}, 'rope_parameters'];

  const thetaValue = source.rope_theta ?? parameters?.rope_theta ?? json.rope_theta ?? 10000;
  if (typeof thetaValue !== 'number' || !(thetaValue > 0) || !Number.isFinite(thetaValue)) {
    throw fail(`rope_theta must be a positive number, got ${show(thetaValue)}`);
  }
  const type = source.rope_type ?? source.type ?? 'default';
  const known: Record<string, string[]> = {
    default: [],
    linear: ['factor'],
    dynamic: ['factor', 'original_max_position_embeddings'],
    llama3: ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'],
  };
  if (typeof type !== 'string' || !Object.hasOwn(known, type)) {
    throw fail(
      `${name}.rope_type ${show(type)} is not supported (supported: ${Object.keys(known).join(', ')})`,
    );
  }
  for (const key of Object.keys(source)) {
    if (['rope_type', 'type', 'rope_theta'].includes(key) || known[type]!.includes(key)) continue;
    if (key === 'partial_rotary_factor' && source[key] === 1) continue;
    throw fail(`${name}.${key} (${show(source[key])}) is not understood for rope_type "${type}"`);
  }
  const number = (key: string): number => {
    const value = source[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw fail(`${name}.${key} must be a number, got ${show(value)}`);
    }
    return value;
  };
  const theta = thetaValue;
  if (type === 'default') return { theta, scaling: null };
  if (type === 'linear') return { theta, scaling: { type, factor: number('factor') } };
  if (type === 'dynamic') {
    // Dynamic NTK scaling changes the frequencies only for sequences longer than max_position_embeddings,
    // which the model refuses: within its context it is plain RoPE, exactly as transformers computes it.
    const original = source.original_max_position_embeddings;
    if (original !== undefined && original !== maxSeqLen) {
      throw fail(
        `${name}.original_max_position_embeddings ${show(original)} differs from max_position_embeddings ${maxSeqLen}: dynamic scaling would then change positions the model uses, which is not supported`,
      );
    }
    return { theta, scaling: { type, factor: number('factor') } };
  }
  return {
    theta,
    scaling: {
      type: 'llama3',
      factor: number('factor'),
      lowFreqFactor: number('low_freq_factor'),
      highFreqFactor: number('high_freq_factor'),
      originalMaxSeqLen: (source.original_max_position_embeddings ?? maxSeqLen) as number,
    },
  };
}

/** The rope_scaling object transformers writes for `scaling` (null for plain RoPE). */
export function hfRopeScaling(scaling: RopeScaling | null): Record<string, unknown> | null {
  if (scaling === null) return null;
  if (scaling.type !== 'llama3') return { rope_type: scaling.type, factor: scaling.factor };
  return {
    rope_type: 'llama3',
    factor: scaling.factor,
    low_freq_factor: scaling.lowFreqFactor,
    high_freq_factor: scaling.highFreqFactor,
    original_max_position_embeddings: scaling.originalMaxSeqLen,
  };
}
