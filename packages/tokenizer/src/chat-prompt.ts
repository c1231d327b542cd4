import type { ChatMessage, ChatTemplate } from './chat-template.js';
import { HfTokenizer } from './hf-tokenizer.js';
import type { Tokenizer } from './tokenizer.js';

/**
 * The token ids of a conversation as an instruction-tuned model expects it: the chat template rendered (ending
 * with the assistant's turn opened), then encoded with the special tokens it writes as their ids, as
 * transformers' `apply_chat_template(messages, add_generation_prompt=True)` gives them. No BOS is added: the
 * templates that want one write it. A byte-level tokenizer recognises every special token in the text; for a
 * SentencePiece one, BOS and EOS written by the template become their ids and the text between is encoded.
 */
export function chatPromptIds(
  tokenizer: Tokenizer,
  template: ChatTemplate,
  messages: readonly ChatMessage[],
): number[] {
  const text = template.render(messages, { addGenerationPrompt: true });
  if (tokenizer instanceof HfTokenizer) return tokenizer.encode(text);
  const specials = new Map<string, number>();
  const { bos_token: bos, eos_token: eos } = template.specialTokens;
  if (bos && tokenizer.bosId >= 0) specials.set(bos, tokenizer.bosId);
  if (eos && tokenizer.eosId >= 0) specials.set(eos, tokenizer.eosId);
  if (specials.size === 0) return tokenizer.encode(text);
  const pattern = new RegExp(`(${[...specials.keys()].map(escapeRegExp).join('|')})`);
  const ids: number[] = [];
  for (const part of text.split(pattern)) {
    if (part === '') continue;
    const special = specials.get(part);
    if (special !== undefined) ids.push(special);
    else ids.push(...tokenizer.encode(part));
  }
  return ids;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
