#!/usr/bin/env bash
# Check the installed TensorFlow 2.21 itself with the conformance suite:
#
#   bash oracles/live_tf2.sh                       # every op
#   bash oracles/live_tf2.sh --op nce_loss --json tf2.json
#
# Builds .oracle-envs/tf2 on first use (as regenerate.sh does), adds array-api-compat and
# this repository (editable, without dependencies) to it, then runs
# `candidate-sampling conform --impl tensorflow` there with the arguments given.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
envs=${ORACLE_ENVS:-$root/.oracle-envs}
py=$envs/tf2/bin/python

ORACLES_BUILD_ONLY=1 bash "$root/oracles/regenerate.sh" tf2
if ! "$py" -c "import array_api_compat, candidate_sampling" 2>/dev/null; then
  "$py" -m pip install -q array-api-compat
  "$py" -m pip install -q --no-deps -e "$root"
fi
exec "$py" -m candidate_sampling.cli conform --impl tensorflow "$@"
