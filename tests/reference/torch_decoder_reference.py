"""Independent PyTorch reference for lib/model/decoder.ts (Llama / Qwen2 causal decoders).

Writes two tiny HF-style checkpoint folders with seeded weights and their reference logits:

  tests/fixtures/model/tiny_llama/  LlamaForCausalLM: untied lm_head, no bias, GQA (4 heads / 2 kv heads),
                                    head_dim 8 != hidden/heads, llama3 rope scaling covering the high,
                                    medium and low frequency bands; tensors stored as BF16.
  tests/fixtures/model/tiny_qwen2/  Qwen2ForCausalLM: q/k/v bias, no o bias, tied embeddings; F32.

Each folder holds config.json, model.safetensors and reference_logits.json ({input_ids, logits}).
The math is written here from the HF modeling_llama / modeling_qwen2 definitions (RMSNorm, rotate_half
RoPE with llama3 scaling, repeat_kv GQA, SwiGLU), in float64, without `transformers`. The safetensors
file is written and then read back with the minimal struct/numpy code below, so the logits come from
exactly the bytes on disk.

Regenerate (Debian python3-torch 1.13 and numpy; deterministic for a given torch version):
    apt-get install -y --no-install-recommends python3-torch
    /usr/bin/python3 tests/reference/torch_decoder_reference.py
Check the committed fixtures without rewriting them (recomputes logits from the committed files):
    /usr/bin/python3 tests/reference/torch_decoder_reference.py --check
Print reference logits of any checkpoint folder (e.g. one written by lib/model/checkpoint.ts) as JSON:
    /usr/bin/python3 tests/reference/torch_decoder_reference.py --logits DIR
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "model")
INPUT_IDS = [[1, 7, 42, 3, 19, 0, 47], [5, 5, 33, 12, 8, 40, 2]]
# explicit position ids far from 0, so the scaled low-frequency RoPE bands turn by whole radians
POSITION_IDS = [[1000 + 37 * t for t in range(7)], [3 * t for t in range(7)]]

CONFIGS = {
    "tiny_llama": {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": 48,
        "hidden_size": 24,
        "intermediate_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 8,
        "hidden_act": "silu",
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "rope_scaling": {
            "rope_type": "llama3",
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 8.0,
            "original_max_position_embeddings": 256,
        },
        "max_position_embeddings": 2048,
        "tie_word_embeddings": False,
        "attention_bias": False,
        "mlp_bias": False,
        "initializer_range": 0.02,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "torch_dtype": "bfloat16",
        "pretraining_tp": 1,
        "use_cache": True,
    },
    "tiny_qwen2": {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "vocab_size": 48,
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "hidden_act": "silu",
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "max_position_embeddings": 1024,
        "tie_word_embeddings": True,
        "use_sliding_window": False,
        "sliding_window": 1024,
        "initializer_range": 0.02,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "torch_dtype": "float32",
        "use_cache": True,
    },
}
DTYPES = {"tiny_llama": "BF16", "tiny_qwen2": "F32"}
SEEDS = {"tiny_llama": 1234, "tiny_qwen2": 5678}


def head_dim(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def weight_shapes(cfg):
    """(name, shape, kind) in HF naming; kind picks the random init used for the fixture."""
    d, hd, ff = cfg["hidden_size"], head_dim(cfg), cfg["intermediate_size"]
    q, kv = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
    qwen = cfg["model_type"] == "qwen2"
    qkv_bias = qwen or cfg.get("attention_bias", False)
    o_bias = (not qwen) and cfg.get("attention_bias", False)
    out = [("model.embed_tokens.weight", (cfg["vocab_size"], d), "embed")]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}"
        out.append((f"{p}.input_layernorm.weight", (d,), "norm"))
        for name, o, n, bias in [("q_proj", q, d, qkv_bias), ("k_proj", kv, d, qkv_bias),
                                 ("v_proj", kv, d, qkv_bias), ("o_proj", d, q, o_bias)]:
            out.append((f"{p}.self_attn.{name}.weight", (o, n), "linear"))
            if bias:
                out.append((f"{p}.self_attn.{name}.bias", (o,), "bias"))
        out.append((f"{p}.post_attention_layernorm.weight", (d,), "norm"))
        for name, o, n in [("gate_proj", ff, d), ("up_proj", ff, d), ("down_proj", d, ff)]:
            out.append((f"{p}.mlp.{name}.weight", (o, n), "linear"))
    out.append(("model.norm.weight", (d,), "norm"))
    if not cfg.get("tie_word_embeddings", False):
        out.append(("lm_head.weight", (cfg["vocab_size"], d), "linear"))
    return out


def make_weights(cfg, seed):
    """Seeded weights, scaled so activations stay O(1) and logits differ clearly between tokens."""
    g = torch.Generator().manual_seed(seed)
    weights = {}
    for name, shape, kind in weight_shapes(cfg):
        z = torch.randn(shape, generator=g, dtype=torch.float32)
        if kind == "embed":
            w = z
        elif kind == "linear":
            w = z / math.sqrt(shape[1])
        elif kind == "bias":
            w = 0.1 * z
        else:  # norm
            w = 1.0 + 0.1 * z
        weights[name] = w.numpy()
    return weights


def to_bf16_bits(a):
    """float32 array -> bfloat16 bits (uint16), round to nearest even."""
    bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def write_safetensors(path, weights, dtype):
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, w in weights.items():
        raw = to_bf16_bits(w).tobytes() if dtype == "BF16" else w.astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(w.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    hjson = json.dumps(header).encode()
    hjson += b" " * (-len(hjson) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for c in chunks:
            f.write(c)
    os.replace(path + ".tmp", path)


def read_safetensors(path):
    """Minimal reader: F32 / BF16 / F16 -> float64 torch tensors."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = data[base + b: base + end]
        if e["dtype"] == "F32":
            a = np.frombuffer(raw, dtype="<f4")
        elif e["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif e["dtype"] == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        else:
            raise ValueError(f"{path}: {name}: unsupported dtype {e['dtype']}")
        out[name] = torch.from_numpy(a.astype(np.float64).reshape(e["shape"]))
    return out


def rope_inv_freq(cfg):
    dim = head_dim(cfg)
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    s = cfg.get("rope_scaling")
    if not s:
        return inv
    assert s.get("rope_type", s.get("type")) == "llama3"
    factor, lo, hi = s["factor"], s["low_freq_factor"], s["high_freq_factor"]
    old = s["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / lo, old / hi
    wavelen = 2 * math.pi / inv
    inv_l = torch.where(wavelen > low_wavelen, inv / factor, inv)
    smooth = (old / wavelen - lo) / (hi - lo)
    smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return torch.where(medium, smoothed, inv_l)


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def forward(cfg, w, ids, positions=None):
    ids = torch.tensor(ids)
    B, T = ids.shape
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim(cfg)
    pos = torch.tensor(positions, dtype=torch.float64) if positions else torch.arange(T, dtype=torch.float64)[None].expand(B, T)
    freqs = pos[:, :, None] * rope_inv_freq(cfg)[None, None]  # (B, T, hd/2)
    emb = torch.cat((freqs, freqs), dim=-1)  # (B, T, hd)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # (B, 1, T, hd)
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    h = w["model.embed_tokens.weight"][ids]  # (B, T, D)

    def lin(x, name):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}"
        x = rms_norm(h, w[f"{p}.input_layernorm.weight"], cfg["rms_norm_eps"])
        q = lin(x, f"{p}.self_attn.q_proj").view(B, T, nh, hd).transpose(1, 2)
        k = lin(x, f"{p}.self_attn.k_proj").view(B, T, nkv, hd).transpose(1, 2)
        v = lin(x, f"{p}.self_attn.v_proj").view(B, T, nkv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=1)  # repeat_kv
        v = v.repeat_interleave(nh // nkv, dim=1)
        att = (q @ k.transpose(2, 3)) / math.sqrt(hd) + mask
        ctx = torch.softmax(att, dim=-1) @ v  # (B, nh, T, hd)
        ctx = ctx.transpose(1, 2).reshape(B, T, nh * hd)
        h = h + lin(ctx, f"{p}.self_attn.o_proj")
        x = rms_norm(h, w[f"{p}.post_attention_layernorm.weight"], cfg["rms_norm_eps"])
        gate = lin(x, f"{p}.mlp.gate_proj")
        h = h + lin(torch.nn.functional.silu(gate) * lin(x, f"{p}.mlp.up_proj"), f"{p}.mlp.down_proj")
    h = rms_norm(h, w["model.norm.weight"], cfg["rms_norm_eps"])
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    return h @ head.T  # (B, T, V)


def reference(folder):
    """(logits with default positions 0..T-1, logits with POSITION_IDS), each (B, T, V)."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    w = read_safetensors(os.path.join(folder, "model.safetensors"))
    return forward(cfg, w, INPUT_IDS), forward(cfg, w, INPUT_IDS, POSITION_IDS)


def rounded(t):
    return [[[round(v, 10) for v in row] for row in seq] for seq in t.tolist()]


def main():
    if sys.argv[1:2] == ["--logits"]:
        logits, logits_at = reference(sys.argv[2])
        json.dump({"input_ids": INPUT_IDS, "logits": logits.tolist(), "position_ids": POSITION_IDS,
                   "logits_at_positions": logits_at.tolist()}, sys.stdout)
        return
    check = "--check" in sys.argv[1:]
    for name, cfg in CONFIGS.items():
        folder = os.path.join(ROOT, name)
        if not check:
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "config.json"), "w") as f:
                json.dump(cfg, f, indent=2)
                f.write("\n")
            write_safetensors(os.path.join(folder, "model.safetensors"), make_weights(cfg, SEEDS[name]), DTYPES[name])
        logits, logits_at = reference(folder)
        out_path = os.path.join(folder, "reference_logits.json")
        if check:
            with open(out_path) as f:
                saved = json.load(f)
            diff = max((torch.tensor(saved[k], dtype=torch.float64) - v).abs().max().item()
                       for k, v in [("logits", logits), ("logits_at_positions", logits_at)])
            print(f"{name}: max |committed - recomputed| = {diff:.3g}")
            if diff > 1e-9:
                sys.exit(1)
            continue
        with open(out_path, "w") as f:
            json.dump({
                "generator": "tests/reference/torch_decoder_reference.py",
                "torch_version": torch.__version__,
                "precision": "float64 math on the weights as stored",
                "input_ids": INPUT_IDS,
                "logits": rounded(logits),
                "position_ids": POSITION_IDS,
                "logits_at_positions": rounded(logits_at),
            }, f, indent=2)  # indent=2 is what `deno fmt` leaves unchanged
            f.write("\n")
        print(f"{name}: wrote {folder} (logits {tuple(logits.shape)}, std {logits.std().item():.3f})")


if __name__ == "__main__":
    main()
