// The reproduction's methods (paper.md §7 columns): SFT, then GRPO, GSPO, Rank-GRPO(log), Rank-GRPO(exp∞)
// from the same SFT checkpoint with the same RL budget. GSPO is ours to add (the paper's table has none).
import type { RlAlgo } from "../../train/rl/algo_config.ts";

/** One RL method of the reproduction. */
export interface ReproMethod {
  /** file-safe id, e.g. "rank-grpo-log" */
  id: string;
  /** table label */
  label: string;
  algo: RlAlgo;
  reward?: string;
}

/** The RL methods, in table order. */
export const REPRO_METHODS: readonly ReproMethod[] = [
  { id: "grpo", label: "GRPO", algo: "grpo" },
  { id: "gspo", label: "GSPO", algo: "gspo" },
  { id: "rank-grpo-log", label: "Rank-GRPO (log)", algo: "rank-grpo", reward: "log" },
  { id: "rank-grpo-exp_inf", label: "Rank-GRPO (exp∞)", algo: "rank-grpo", reward: "exp_inf" },
];

/**
 * The methods whose ids are listed (all when `ids` is empty); an unknown id is an error.
 * @example
 * ```ts
 * const labels = selectMethods(["grpo"]).map((m) => m.label);
 * if (labels.join() !== "GRPO") throw new Error(labels.join());
 * if (selectMethods([]).length !== 4) throw new Error("expected all 4 methods for []");
 * ```
 */
export function selectMethods(ids: readonly string[]): ReproMethod[] {
  if (ids.length === 0) return [...REPRO_METHODS];
  return ids.map((id) => {
    const m = REPRO_METHODS.find((x) => x.id === id);
    if (m === undefined) {
      throw new Error(
        `lib/experiment/repro/methods.ts: method "${id}": expected one of ${
          REPRO_METHODS.map((x) => x.id).join(", ")
        }`,
      );
    }
    return m;
  });
}
