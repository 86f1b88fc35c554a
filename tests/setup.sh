#!/usr/bin/env bash
# Installs what the test suite needs from Debian when running as root; otherwise says what is missing.
# Idempotent and quiet when everything is present. Called by `deno task test`.
set -u
pkgs=(libopenblas0-pthread mesa-vulkan-drivers jupyter-nbconvert python3-nbclient jupyter-client jupyter-notebook chromium python3-torch python3-regex)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || echo "setup: apt-get update failed; trying the install anyway"
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    echo "setup: apt-get install failed for: ${missing[*]} (tests that need them will skip with a reason)"
  fi
else
  echo "setup: not root; missing Debian packages: ${missing[*]}"
  echo "setup: install them with: sudo apt-get install --no-install-recommends ${missing[*]}"
  echo "setup: tests that need them skip with a reason"
fi
exit 0
