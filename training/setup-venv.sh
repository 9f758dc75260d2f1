#!/usr/bin/env bash
# Create training/.venv with the pinned training dependencies (pyproject.toml, extras "dev").
# Idempotent and fast when already set up: a stamp keyed on pyproject.toml's hash and the Python
# version skips the install. Usage: training/setup-venv.sh   (PYTHON=python3.11 to pick an interpreter)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
venv="$here/.venv"
stamp="$venv/.overseer-setup-stamp"
want="$(sha256sum "$here/pyproject.toml" | cut -d' ' -f1) $("$python" --version 2>&1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup-venv: $python is $("$python" --version 2>&1); Python >= 3.11 is required" >&2
  exit 1
fi
if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv" || {
    echo "setup-venv: '$python -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2
    exit 1
  }
fi
echo "setup-venv: installing training dependencies into $venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$here[dev]"
echo "$want" > "$stamp"
