#!/usr/bin/env bash
# Installs the system packages qd needs, only when missing; uses sudo only when not root.
# Idempotent: a second run installs nothing. Called by `make run`, `make test` and `make bench`.
set -euo pipefail

# Debian packages the build links against: OpenBLAS for QDTensor's matrix products, zlib for
# gzipped data and PNG files, GNU readline for the REPL; tmux drives the REPL's terminal tests.
APT_PACKAGES=(libopenblas-dev pkg-config zlib1g-dev libreadline-dev tmux)

if ! command -v swift >/dev/null 2>&1; then
  echo "deps: the Swift toolchain (swift 6.x) is not on PATH; install it from swift.org first" >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
