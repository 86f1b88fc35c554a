#!/usr/bin/env bash
# Runs tests/model/ and the kernel parity tests once per OpenBLAS kernel choice (auto, then
# OPENBLAS_CORETYPE forced to Haswell, SkylakeX, Zen, Sandybridge; also the environment as it is) and
# prints a pass/fail table with the kernel OpenBLAS reports and the largest share of a float tolerance
# any passing assertAllClose used (from CONVREC_TOL_LOG; checks over their bound are the injected-bug
# demos, which expect to fail, or a real failure that the result column shows). Each row's test output
# stays in $OUT_DIR (default /tmp/convrec_coretypes).
#
#   nice -n 15 bash tests/bench/openblas_coretypes.sh            # all rows
#   CORETYPES="auto Zen" bash tests/bench/openblas_coretypes.sh  # some rows
#   TEST_PATHS="tests/model/blas/" bash tests/bench/openblas_coretypes.sh
set -u
cd "$(dirname "$0")/../.."
DENO=${DENO:-"npx -y deno@2.9.6"}
CORETYPES=${CORETYPES:-"env auto Haswell SkylakeX Zen Sandybridge"}
TEST_PATHS=${TEST_PATHS:-"tests/model/ tests/gpu/ tests/kernels/ tests/train/optim/ tests/train/webgpu_smoke_test.ts \
tests/train/rl_loop/update_test.ts tests/distill/remap_test.ts"}
LIB=""
for p in /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 \
  /usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0 /usr/lib/x86_64-linux-gnu/libopenblas.so.0; do
  [ -e "$p" ] && LIB=$p && break
done
[ -n "$LIB" ] || echo "openblas_coretypes: no libopenblas found (apt-get install libopenblas0-pthread)"
tmp=${OUT_DIR:-/tmp/convrec_coretypes}
mkdir -p "$tmp"
echo "environment now: $(env | grep '^OPENBLAS' | tr '\n' ' ')"
echo "tests: $TEST_PATHS"

# run_env NAME CMD...: CMD under the OpenBLAS variables of row NAME
run_env() {
  local name=$1
  shift
  case $name in
  env) "$@" ;;
  auto) env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@" ;;
  *) env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$name" "$@" ;;
  esac
}

rows=()
for ct in $CORETYPES; do
  core="?"
  if [ -n "$LIB" ]; then
    core=$(run_env "$ct" /usr/bin/python3 -c "import ctypes; l = ctypes.CDLL('$LIB'); \
l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())" 2>/dev/null || echo "?")
  fi
  log="$tmp/$ct.jsonl" out="$tmp/$ct.txt"
  : >"$log"
  start=$(date +%s)
  # shellcheck disable=SC2086 # TEST_PATHS is a list
  run_env "$ct" env CONVREC_TOL_LOG="$log" NO_COLOR=1 $DENO test --allow-read --allow-write \
    --allow-env --allow-run --allow-ffi --allow-net=127.0.0.1,localhost $TEST_PATHS >"$out" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  summary=$(grep -E '^(ok|FAILED) \|' "$out" | tail -1 | sed 's/ | /, /g')
  worst=$(/usr/bin/python3 - "$log" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
used = lambda r: float("inf") if r["used"] is None else r["used"]
within = [r for r in rows if used(r) <= 1]
if not within:
    print(f"- | - | {len(rows)}")
else:
    worst = {}
    for r in within:
        worst[r["what"]] = max(worst.get(r["what"], 0), used(r))
    top = sorted(worst.items(), key=lambda kv: -kv[1])[:2]
    print(f"{top[0][1]:.3g} | " + "; ".join(f"{k[:50]} {v:.3g}" for k, v in top) +
          f" | {len(within)} / {len(rows) - len(within)}")
PY
)
  rows+=("| $ct | $core | $([ $rc = 0 ] && echo pass || echo FAIL) | $summary | $worst | ${secs}s |")
  if [ $rc != 0 ]; then
    echo "--- $ct: failures (full output: $out)"
    grep -E " FAILED|^error: " "$out" | grep -v XDG_RUNTIME_DIR | head -20
  fi
done
echo
echo "| OPENBLAS_CORETYPE | kernel (openblas_get_corename) | result | deno test summary | worst share of a bound (passing checks) | the two largest | checks within / over (demos) | time |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
