#!/usr/bin/env bash
# Regenerate spec/vectors/ from the real oracles.
#
#   bash oracles/regenerate.sh            # every oracle
#   bash oracles/regenerate.sh tf2 paddle # some of them (tf2, tf1, paddle)
#   ORACLES_BUILD_ONLY=1 bash oracles/regenerate.sh tf2   # build the environment only
#
# Each oracle gets its own virtual environment under $ORACLE_ENVS (default
# .oracle-envs/ in the repository, ignored by git), built on first use with the
# pins of oracles/README.md.  Every script oracles/<oracle>_*.py (but *_common.py)
# then runs in it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
envs=${ORACLE_ENVS:-$root/.oracle-envs}
pyroot=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")

interpreter() {  # newest installed CPython X.Y
  local v
  v=$(ls -d "$pyroot"/versions/"$1".* 2>/dev/null | sort -V | tail -n 1)
  [ -n "$v" ] || { echo "oracles: Python $1 is not installed (pyenv install $1)" >&2; exit 1; }
  echo "$v/bin/python"
}

build() {  # build <name> <python X.Y> <pip install args...> [-- <second pip install args...>]
  local name=$1 py=$2; shift 2
  local env=$envs/$name
  [ -x "$env/bin/python" ] && [ -f "$env/.complete" ] && return 0
  rm -rf "$env"
  "$(interpreter "$py")" -m venv "$env"
  "$env/bin/python" -m pip install -q --upgrade "pip<24.1"
  local first=() second=() target=first
  for a in "$@"; do
    if [ "$a" = "--" ]; then target=second; continue; fi
    if [ $target = first ]; then first+=("$a"); else second+=("$a"); fi
  done
  "$env/bin/python" -m pip install -q "${first[@]}"
  [ ${#second[@]} -eq 0 ] || "$env/bin/python" -m pip install -q "${second[@]}"
  touch "$env/.complete"
}

run() {  # run <name>: every oracles/<name>_*.py in that environment
  local name=$1 script
  for script in "$root"/oracles/"$name"_*.py; do
    [ -e "$script" ] || continue
    case $script in *_common.py) continue ;; esac  # shared helpers, not generators
    echo "== $name: ${script#$root/}"
    (cd "$root" && "$envs/$name/bin/python" "oracles/$(basename "$script")")
  done
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tf2 tf1 paddle)
for t in "${targets[@]}"; do
  case $t in
    tf2) build tf2 3.11 tensorflow-cpu==2.21.0 ;;
    tf1) build tf1 3.7 tensorflow-cpu==1.15.0 "protobuf<3.21" -- numpy==1.16.6 ;;
    paddle) build paddle 3.8 paddlepaddle==1.8.5 "protobuf<3.21" "numpy<1.20" ;;
    *) echo "oracles: unknown oracle '$t' (tf2, tf1, paddle)" >&2; exit 2 ;;
  esac
  [ -n "${ORACLES_BUILD_ONLY:-}" ] || run "$t"
done
[ -n "${ORACLES_BUILD_ONLY:-}" ] && exit 0
echo "== spec/vectors:"
ls -l "$root/spec/vectors"
