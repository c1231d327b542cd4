import { Template } from '@huggingface/jinja';
import { TokenizerFileError } from './tokenizer.js';

/** One turn of a conversation, as chat templates take it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {});
  content: string;
}

export interface ChatTemplateOptions {
  /** End with the opening of an assistant turn, so that generation continues as the assistant (default true). */
  addGenerationPrompt?: boolean;
}

/**
 * An instruction-tuned model's chat template (tokenizer_config.json's `chat_template`, Jinja) rendered as
 * transformers' `apply_chat_template(…, tokenize=False)` does, with @huggingface/jinja (the Jinja that
 * transformers.js uses): `messages`, `add_generation_prompt` and the special tokens are in scope.
 */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    readonly specialTokens: {
      bos_token: string | null;
      eos_token: string | null;
      pad_token?: string | null;
    },
    readonly file = 'tokenizer_config.json',
  ) {
    try {
      this.template = new Template(source);
    } catch (error) {
      throw new TokenizerFileError(file, `chat_template does not parse: ${(error as Error).message}`);
    }
  }

  render(messages: readonly ChatMessage[], { addGenerationPrompt = true }: ChatTemplateOptions = {}): string {
    try {
      // @huggingface/jinja provides the helpers transformers adds to a template's scope (raise_exception,
      // strftime_now).
      return this.template.render({
        messages: messages.map((message) => ({ ...message })),
        add_generation_prompt: addGenerationPrompt,
        ...this.specialTokens,
      });
    } catch (error) {
      throw new TokenizerFileError(
        this.file,
        `chat_template failed on these messages: ${(error as Error).message}`,
      );
    }
  }
}
