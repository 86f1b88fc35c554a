// Renders a Hugging Face chat template (Jinja, from tokenizer_config.json) with @huggingface/jinja,
// with the variables transformers passes: messages, add_generation_prompt, bos/eos/pad tokens.

import { Template } from "@huggingface/jinja";

/** One chat message. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** Options of a compiled chat template call. */
export interface RenderChatOptions {
  /** Append the opening of an assistant turn. @default false */
  addGenerationPrompt?: boolean;
  /** Special-token strings the template may use (`bos_token`, `eos_token`, …; null = undefined). */
  specialText?: Record<string, string | null>;
}

/** A parsed chat template, ready to render. */
export type ChatRenderer = (
  messages: readonly ChatMessage[],
  options?: RenderChatOptions,
) => string;

/**
 * Parses a Jinja chat template once; the returned function renders messages with it.
 * `raise_exception(msg)` in the template throws. Errors name the template's origin.
 * @example
 * const render = compileChatTemplate("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}");
 * render([{ role: "user", content: "hi" }]); // "user: hi\n"
 */
export function compileChatTemplate(template: string, source = "chat_template"): ChatRenderer {
  let parsed: Template;
  try {
    parsed = new Template(template);
  } catch (err) {
    throw new Error(`${source}: invalid Jinja template: ${(err as Error).message}`);
  }
  return (messages, options = {}) => {
    const vars: Record<string, unknown> = {
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: options.addGenerationPrompt ?? false,
    };
    for (const [name, text] of Object.entries(options.specialText ?? {})) {
      if (text !== null) vars[name] = text;
    }
    return parsed.render(vars);
  };
}
