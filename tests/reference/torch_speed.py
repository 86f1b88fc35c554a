#!/usr/bin/env python3
"""PyTorch peer for tests/bench/train_step_bench.ts: training and KV-cache generation tokens/s of a
Qwen2-style decoder with the same dims as lib/model/config.ts presets (written here in plain torch, float32),
on the CPU (default) or a CUDA GPU (--device cuda: timers stop after torch.cuda.synchronize()).

Usage: /usr/bin/python3 tests/reference/torch_speed.py --preset builtin-small --threads 2 --runs 5
       python3 tests/reference/torch_speed.py --preset builtin-large --device cuda
Prints one JSON object per line: {"peer": "torch", "device", "preset", "what", "tokens_per_s", "runs_ms", ...}.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F

PRESETS = {
    # mirror of presetConfig() in lib/model/config.ts (qwen2: q/k/v bias, tied embeddings)
    "builtin-small": dict(vocab=2048, d=128, ff=384, layers=2, heads=4, kv_heads=2),
    "builtin-large": dict(vocab=4096, d=512, ff=1408, layers=8, heads=8, kv_heads=4),
}


class Decoder(torch.nn.Module):
    def __init__(self, vocab, d, ff, layers, heads, kv_heads, eps=1e-6, theta=10000.0):
        super().__init__()
        self.h, self.kv, self.hd, self.eps = heads, kv_heads, d // heads, eps
        self.embed = torch.nn.Embedding(vocab, d)
        self.layers = torch.nn.ModuleList()
        for _ in range(layers):
            m = torch.nn.Module()
            m.ln1 = torch.nn.Parameter(torch.ones(d))
            m.q = torch.nn.Linear(d, heads * self.hd)
            m.k = torch.nn.Linear(d, kv_heads * self.hd)
            m.v = torch.nn.Linear(d, kv_heads * self.hd)
            m.o = torch.nn.Linear(heads * self.hd, d, bias=False)
            m.ln2 = torch.nn.Parameter(torch.ones(d))
            m.gate = torch.nn.Linear(d, ff, bias=False)
            m.up = torch.nn.Linear(d, ff, bias=False)
            m.down = torch.nn.Linear(ff, d, bias=False)
            self.layers.append(m)
        self.norm = torch.nn.Parameter(torch.ones(d))
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, 0, 0.02)
        inv = 1.0 / theta ** (torch.arange(0, self.hd, 2, dtype=torch.float64) / self.hd)
        self.register_buffer("inv_freq", inv.float(), persistent=False)

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    def rope(self, x, pos):  # x (B, H, T, hd), pos (T,)
        f = torch.outer(pos.float(), self.inv_freq)
        emb = torch.cat([f, f], -1)
        cos, sin = emb.cos(), emb.sin()
        x1, x2 = x.chunk(2, -1)
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def forward(self, ids, cache=None):  # ids (B, T); cache: list of (k, v) or None
        B, T = ids.shape
        past = 0 if cache is None else cache[0][0].shape[2]
        pos = torch.arange(past, past + T, device=ids.device)
        x = self.embed(ids)
        new_cache = []
        for i, m in enumerate(self.layers):
            n = self.rms(x, m.ln1)
            q = self.rope(m.q(n).view(B, T, self.h, self.hd).transpose(1, 2), pos)
            k = self.rope(m.k(n).view(B, T, self.kv, self.hd).transpose(1, 2), pos)
            v = m.v(n).view(B, T, self.kv, self.hd).transpose(1, 2)
            if cache is not None:
                k = torch.cat([cache[i][0], k], 2)
                v = torch.cat([cache[i][1], v], 2)
            new_cache.append((k, v))
            rep = self.h // self.kv
            kk, vv = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
            att = (q @ kk.transpose(-1, -2)) / math.sqrt(self.hd)  # (B, H, T, S)
            S = kk.shape[2]
            mask = torch.ones(T, S, dtype=torch.bool, device=ids.device).triu(S - T + 1)
            att = att.masked_fill(mask, float("-inf")).softmax(-1)
            y = (att @ vv).transpose(1, 2).reshape(B, T, self.h * self.hd)
            x = x + m.o(y)
            n = self.rms(x, m.ln2)
            x = x + m.down(F.silu(m.gate(n)) * m.up(n))
        return self.rms(x, self.norm) @ self.embed.weight.t(), new_cache


def median_ms(fn, runs, warmup, sync=lambda: None):
    """Median wall ms of fn over `runs` after `warmup` calls; `sync` waits for queued device work
    before each timer starts and stops (torch.cuda.synchronize on cuda, a no-op on the CPU)."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts), ts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="builtin-small", choices=sorted(PRESETS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--train-batch", type=int, default=16)
    ap.add_argument("--train-seq", type=int, default=64)
    ap.add_argument("--gen-batch", type=int, default=8)
    ap.add_argument("--gen-prompt", type=int, default=16)
    ap.add_argument("--gen-tokens", type=int, default=32)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("torch_speed.py: --device cuda: torch.cuda.is_available() is False "
                         f"(torch {torch.__version__}, built for CUDA {torch.version.cuda})")
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    warmup = 3 if a.device == "cuda" else 1  # cuda: lazy init, kernel selection and caching allocator
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = PRESETS[a.preset]
    model = Decoder(**cfg).to(dev)
    V = cfg["vocab"]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    B, T = a.train_batch, a.train_seq
    ids = ((torch.arange(B)[:, None] * 131 + torch.arange(T + 1)[None, :] * 17) % V).to(dev)

    def train_step():
        logits, _ = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    ms, ts = median_ms(train_step, a.runs, warmup, sync)
    common = dict(peer="torch", torch=torch.__version__, threads=a.threads, preset=a.preset,
                  device=a.device)
    if a.device == "cuda":
        common["device_name"] = torch.cuda.get_device_name(dev)
    print(json.dumps(dict(common, what="train", batch=B, seq=T, tokens_per_s=B * T / ms * 1000,
                          median_ms=ms, runs_ms=[round(t, 1) for t in ts])), flush=True)

    G, P, N = a.gen_batch, a.gen_prompt, a.gen_tokens
    prompt = ((torch.arange(G)[:, None] * 7 + torch.arange(P)[None, :] * 13) % V).to(dev)

    @torch.no_grad()
    def generate():  # greedy: prefill the prompt, then N-1 cached steps; tokens/s counts the N new tokens
        logits, cache = model(prompt)
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        for _ in range(N - 1):
            logits, cache = model(nxt, cache)
            nxt = logits[:, -1].argmax(-1, keepdim=True)
        return nxt

    ms, ts = median_ms(generate, a.runs, warmup, sync)
    print(json.dumps(dict(common, what="generate", batch=G, prompt=P, new_tokens=N,
                          tokens_per_s=G * N / ms * 1000, median_ms=ms,
                          runs_ms=[round(t, 1) for t in ts])), flush=True)


if __name__ == "__main__":
    main()
