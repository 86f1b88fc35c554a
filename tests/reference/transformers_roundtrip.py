"""Round trips between our checkpoint format (lib/model/checkpoint.ts) and Hugging Face `transformers`.

Two directions, both run where `transformers` is installed (Debian has no package for it; the GPU machine
of this workplace has transformers 5.x with torch 2.11):

  check DIR   every sub-folder of DIR written by tests/reference/ours_for_transformers.ts is loaded with
              AutoModelForCausalLM (no missing / unexpected / mismatched tensors allowed), its float32
              logits are compared with ours (max |diff| <= 1e-4); a trained student folder also checks
              the tokenizer (AutoTokenizer: chat template text and ids) and 48 greedy tokens from
              model.generate against ours. Prints one JSON line per folder; exit 1 on any failure.
  write DIR   writes tiny checkpoints with transformers' own save_pretrained (Llama untied in bfloat16,
              Qwen2 tied in float32 and float16), each with reference_logits.json (logits of the folder
              re-loaded in float32). Committed as tests/fixtures/model/transformers/ and read by
              tests/model/transformers_fixture_test.ts. Regenerate: `python3 ... write
              tests/fixtures/model/transformers` on a machine with transformers (record its version).
"""

import json
import os
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

TOL = 1e-4
WRITE_IDS = [[1, 7, 42, 3, 19, 0, 47, 5, 11], [5, 5, 33, 12, 8, 40, 2, 9, 30]]


def load_f32(path):
    try:
        return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, output_loading_info=True)
    except TypeError:  # transformers < 4.56 names it torch_dtype
        return AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32, output_loading_info=True)


def logits_of(model, ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor(ids, dtype=torch.long)).logits.float()


def check_folder(path):
    ours = json.load(open(os.path.join(path, "our_logits.json")))
    model, info = load_f32(path)
    model.eval()
    problems = []
    for key in ("missing_keys", "unexpected_keys", "mismatched_keys"):
        if info.get(key):
            problems.append(f"{key}: {sorted(map(str, info[key]))}")
    got = logits_of(model, ours["input_ids"])
    want = torch.tensor(ours["logits"], dtype=torch.float32)
    diff = float((got - want).abs().max()) if got.shape == want.shape else float("inf")
    if got.shape != want.shape:
        problems.append(f"logits shape {tuple(got.shape)} != ours {tuple(want.shape)}")
    elif diff > TOL:
        problems.append(f"max |logit diff| {diff:.3g} > {TOL}")
    row = {"folder": os.path.basename(path), "arch": model.config.architectures,
           "max_abs_logit_diff": diff, "logit_scale": float(want.abs().max())}
    if "prompt_ids" in ours:
        tok = AutoTokenizer.from_pretrained(path)
        text = tok.apply_chat_template(ours["messages"], add_generation_prompt=True, tokenize=False)
        row["chat_template_equal"] = text == ours["prompt_text"]
        ids = tok.encode(ours["prompt_text"], add_special_tokens=False)
        row["prompt_ids_equal"] = ids == ours["prompt_ids"]
        eos = model.config.eos_token_id
        with torch.no_grad():
            gen = model.generate(torch.tensor([ours["prompt_ids"]]), do_sample=False, max_new_tokens=len(ours["greedy_ids"]),
                                 eos_token_id=eos, pad_token_id=model.config.pad_token_id or eos)
        new = gen[0, len(ours["prompt_ids"]):].tolist()
        row["greedy_equal"] = new == ours["greedy_ids"]
        row["greedy_text"] = tok.decode(new)
        for k in ("chat_template_equal", "prompt_ids_equal", "greedy_equal"):
            if not row[k]:
                problems.append(f"{k} is false")
    row["ok"] = not problems
    row["problems"] = problems
    return row


def write_fixtures(out):
    os.makedirs(out, exist_ok=True)
    common = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=256, initializer_range=0.2, bos_token_id=1,
                  eos_token_id=2, pad_token_id=0)
    specs = {
        "tf_llama_bf16": (transformers.LlamaConfig(**common, tie_word_embeddings=False, rms_norm_eps=1e-5,
                                                   head_dim=16), torch.bfloat16, 11),
        "tf_qwen2_f32": (transformers.Qwen2Config(**common, tie_word_embeddings=True, rms_norm_eps=1e-6),
                         torch.float32, 12),
        "tf_qwen2_f16": (transformers.Qwen2Config(**common, tie_word_embeddings=True, rms_norm_eps=1e-6),
                         torch.float16, 13),
    }
    for name, (cfg, dtype, seed) in specs.items():
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(cfg)
        with torch.no_grad():  # non-trivial norms and biases, so a dropped or misnamed one shows in the logits
            for n, p in model.named_parameters():
                if n.endswith("norm.weight") or n.endswith(".bias"):
                    p.copy_(torch.randn_like(p) * 0.3 + (1.0 if n.endswith("norm.weight") else 0.0))
        d = os.path.join(out, name)
        model.to(dtype).save_pretrained(d, safe_serialization=True)
        back, _ = load_f32(d)
        back.eval()
        json.dump({"input_ids": WRITE_IDS, "logits": logits_of(back, WRITE_IDS).tolist(),
                   "transformers_version": transformers.__version__, "torch_version": torch.__version__},
                  open(os.path.join(d, "reference_logits.json"), "w"))
        print(json.dumps({"wrote": d, "files": sorted(os.listdir(d))}))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "write"):
        sys.exit(__doc__)
    mode, root = sys.argv[1], sys.argv[2]
    print(json.dumps({"transformers": transformers.__version__, "torch": torch.__version__}))
    if mode == "write":
        write_fixtures(root)
        return
    rows = [check_folder(os.path.join(root, d)) for d in sorted(os.listdir(root))
            if os.path.exists(os.path.join(root, d, "our_logits.json"))]
    for r in rows:
        print(json.dumps(r))
    if not rows or not all(r["ok"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
