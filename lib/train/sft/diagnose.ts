// Diagnostics of an SFT student beyond Recall/NDCG: does it condition on the conversation (completion
// NLL under its own prompt vs another record's), and how often do its lists repeat an item. Not in the paper.
import * as tf from "@tensorflow/tfjs";
import type { ConversationRecord } from "../../data/record.ts";
import type { ModelConfig } from "../../model/config.ts";
import { forward } from "../../model/decoder.ts";
import type { TextTokenizer } from "../../model/tokenizer/load.ts";
import type { DecoderWeights } from "../../model/weights.ts";
import { promptIds } from "./examples.ts";

/** Mean completion NLL (nats) per token and per item-start token (the first token of each line). */
export interface CompletionNll {
  token: number;
  itemStart: number;
}

/** What {@link promptSensitivity} returns: NLL with the record's own prompt and with another's. */
export interface PromptSensitivity {
  own: CompletionNll;
  other: CompletionNll;
  /** other − own per item-start token: ~0 means the conversation barely moves the item choice */
  itemStartGap: number;
  records: number;
}

/**
 * Per-position NLL of `completion` after `prompt` (one uncached forward), split into all tokens and
 * item-start tokens (position 0 and every token after one whose text contains "\n").
 *
 * @example
 * ```ts
 * import { parseModelConfig, presetConfig } from "../../model/config.ts";
 * import { tokenizerFromJson } from "../../model/tokenizer/load.ts";
 * import { trainChatTokenizer } from "../../model/tokenizer/world_tokenizer.ts";
 * import { initWeights } from "../../model/weights.ts";
 * const files = trainChatTokenizer(["Heat (1995)\nAlien (1979)\n"], { vocabSize: 300, seed: 0 });
 * const tok = tokenizerFromJson(files.tokenizerJson as never, files.tokenizerConfigJson as never);
 * const cfg = parseModelConfig({
 *   ...presetConfig("builtin-small"),
 *   vocab_size: tok.vocabSize,
 *   hidden_size: 16,
 *   intermediate_size: 32,
 *   num_hidden_layers: 1,
 * });
 * const w = initWeights(cfg, { seed: 0 }); // an untrained, near-uniform model
 * const nll = await completionNll(w, cfg, tok, [5, 6], [7, 8, 9]); // { token, itemStart }
 * if (Math.abs(nll.token - Math.log(tok.vocabSize)) > 0.1) throw new Error(`${nll.token} ≉ ln V`);
 * ```
 */
export async function completionNll(
  weights: DecoderWeights,
  config: ModelConfig,
  tokenizer: TextTokenizer,
  prompt: readonly number[],
  completion: readonly number[],
): Promise<CompletionNll> {
  const ids = [...prompt, ...completion];
  // logp: (C, V) log-softmax at the positions that predict the completion tokens
  const logp = tf.tidy(() => {
    const { logits } = forward(weights, config, [ids]); // (1, P + C, V)
    return tf.logSoftmax(logits.slice([0, prompt.length - 1, 0], [1, completion.length, -1]))
      .squeeze([0]) as tf.Tensor2D;
  });
  const rows = await logp.array();
  logp.dispose();
  let all = 0, starts = 0, nStarts = 0;
  completion.forEach((id, i) => {
    const nll = -rows[i][id];
    all += nll;
    if (i === 0 || tokenizer.decode([completion[i - 1]]).includes("\n")) {
      starts += nll;
      nStarts++;
    }
  });
  return { token: all / completion.length, itemStart: starts / Math.max(1, nStarts) };
}

/**
 * Completion NLL of the first `n` records with their own prompt and with the prompt of the record
 * `shift` places later (cyclic): a student that uses the conversation pays more under the wrong one.
 * Records need a `completion`.
 *
 * @example Needs a trained student and validation records (convrec sft prints it after training)
 * ```ts ignore
 * const s = await promptSensitivity(w, cfg, tok, valRecords, { n: 12 });
 * s.itemStartGap; // e.g. 0.05 nats: the prompt barely matters
 * ```
 */
export async function promptSensitivity(
  weights: DecoderWeights,
  config: ModelConfig,
  tokenizer: TextTokenizer,
  records: readonly ConversationRecord[],
  options: { n?: number; shift?: number } = {},
): Promise<PromptSensitivity> {
  const withCompletion = records.filter((r) => r.completion?.[0]?.content !== undefined);
  if (withCompletion.length < 2) {
    throw new Error("promptSensitivity: needs ≥ 2 records with a completion");
  }
  const n = Math.min(options.n ?? 12, withCompletion.length);
  const shift = options.shift ?? Math.max(1, Math.floor(withCompletion.length / 2));
  const sum = { own: { token: 0, itemStart: 0 }, other: { token: 0, itemStart: 0 } };
  for (let i = 0; i < n; i++) {
    const r = withCompletion[i];
    const completion = tokenizer.encode(r.completion![0].content, { addSpecialTokens: false });
    const own = await completionNll(
      weights,
      config,
      tokenizer,
      promptIds(tokenizer, r),
      completion,
    );
    const otherRecord = withCompletion[(i + shift) % withCompletion.length];
    const other = await completionNll(
      weights,
      config,
      tokenizer,
      promptIds(tokenizer, otherRecord),
      completion,
    );
    for (const k of ["token", "itemStart"] as const) {
      sum.own[k] += own[k] / n;
      sum.other[k] += other[k] / n;
    }
  }
  return { ...sum, itemStartGap: sum.other.itemStart - sum.own.itemStart, records: n };
}

/**
 * Mean number of lines per list that repeat an earlier line of the same list (exact text, trimmed).
 *
 * @example
 * ```ts
 * if (duplicateLines(["A (1)\nA (1)\nB (2)", "C (3)"]) !== 0.5) {
 *   throw new Error("1 of 2 lists repeats");
 * }
 * ```
 */
export function duplicateLines(texts: readonly string[]): number {
  if (texts.length === 0) return 0;
  let dups = 0;
  for (const t of texts) {
    const lines = t.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    dups += lines.length - new Set(lines).size;
  }
  return dups / texts.length;
}
