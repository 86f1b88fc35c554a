#!/usr/bin/env bash
# Behaviour check for structure-only changes: the same seed must give the same weights.
# usage: bash tests/bench/same_numbers.sh BASE_REV [NEW_REV]   (NEW_REV defaults to HEAD)
# For each tree: the smoke demo (lib path), a smoke pretraining run and three smoke RL runs (grpo, gspo,
# rank-grpo, mu 2) from data/models/builtin-sft on the default world; prints the sha256 of every
# checkpoint's model.safetensors and of the demo's results table, then diffs the two lists. Each rev runs
# in its own temporary git worktree (your runs/ is untouched), on this machine's backend (cpu-blas when
# OpenBLAS loads, else wasm), so compare on one machine. ~3 min on 2 cores.
set -euo pipefail
base_rev="$1"
new_rev="${2:-HEAD}"
root="$(git rev-parse --show-toplevel)"
work="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true
  git -C "$root" worktree remove --force "$work/new" >/dev/null 2>&1 || true
  rm -rf "$work"' EXIT

fingerprint() { # TREE → lines "sha16 path"
  cd "$1"
  rm -rf runs/demo runs/same-*
  npx -y deno@2.9.6 task demo --preset smoke --via lib >"$work/demo.out" 2>&1
  [ -f data/generated/world/train.jsonl ] || npx -y deno@2.9.6 task cli world >/dev/null 2>&1
  npx -y deno@2.9.6 task cli pretrain --preset smoke --run same-pretrain >/dev/null 2>&1
  for a in grpo gspo rank-grpo; do
    npx -y deno@2.9.6 task cli rl --algo "$a" --init data/models/builtin-sft --run "same-$a" \
      --preset smoke --mu 2 >/dev/null 2>&1
  done
  for f in $(find runs/demo/cache runs/same-* -name model.safetensors | sort); do
    echo "$(sha256sum "$f" | cut -c1-16) ${f#runs/}" | sed 's/cache\/[a-z]*-[0-9a-f]*\//cache\/RUN\//'
  done
  echo "$(sed -n '/| split/,/results:/p' "$work/demo.out" | sha256sum | cut -c1-16) demo results table"
}

git -C "$root" worktree add -q --detach "$work/base" "$base_rev"
git -C "$root" worktree add -q --detach "$work/new" "$new_rev"
(fingerprint "$work/base") >"$work/base.txt"
(fingerprint "$work/new") >"$work/new.txt"
if diff "$work/base.txt" "$work/new.txt"; then
  echo "same numbers: $(wc -l <"$work/base.txt") fingerprints identical ($base_rev vs $new_rev)"
else
  echo "DIFFERENT: see the lines above (< $base_rev, > $new_rev)"
  exit 1
fi
