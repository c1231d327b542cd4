import { TokenizerFileError } from './tokenizer.js';

/** What tokenizer_config.json (transformers' PreTrainedTokenizer settings) says that a tokenizer.json does not. */
export interface TokenizerConfig {
  bosToken: string | null;
  eosToken: string | null;
  padToken: string | null;
  /** Whether transformers' slow-tokenizer-style settings ask for BOS / EOS on every encode. */
  addBosToken: boolean | null;
  addEosToken: boolean | null;
  /** The Jinja chat template (the default one when the file names several), or null. */
  chatTemplate: string | null;
}

/** Reads tokenizer_config.json; errors name the file and the field. */
export function parseTokenizerConfig(text: string, file = 'tokenizer_config.json'): TokenizerConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TokenizerFileError(file, `not JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TokenizerFileError(file, 'is not a JSON object');
  }
  const config = json as Record<string, unknown>;
  // transformers writes a special token as its text or as an AddedToken object {content, …}.
  const token = (key: string): string | null => {
    const value = config[key];
    if (value === undefined || value === null) return null;
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
      return (value as { content: string }).content;
    }
    throw new TokenizerFileError(file, `${key} is ${JSON.stringify(value)}, expected a token's text`);
  };
  const flag = (key: string): boolean | null => {
    const value = config[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'boolean')
      throw new TokenizerFileError(file, `${key} is ${JSON.stringify(value)}, expected true or false`);
    return value;
  };
  return {
    bosToken: token('bos_token'),
    eosToken: token('eos_token'),
    padToken: token('pad_token'),
    addBosToken: flag('add_bos_token'),
    addEosToken: flag('add_eos_token'),
    chatTemplate: chatTemplateOf(config.chat_template, file),
  };
}

function chatTemplateOf(value: unknown, file: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  // Several named templates: [{name: 'default', template}, {name: 'tool_use', template}, …]
  if (Array.isArray(value)) {
    const named = value as { name?: unknown; template?: unknown }[];
    const chosen = named.find((entry) => entry?.name === 'default') ?? named[0];
    if (typeof chosen?.template === 'string') return chosen.template;
  }
  throw new TokenizerFileError(file, 'chat_template is neither a template nor a list of {name, template}');
}
