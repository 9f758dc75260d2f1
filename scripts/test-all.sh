#!/usr/bin/env bash
# `make test`: every TypeScript test (vitest) and every Python test (pytest + ruff) in one run,
# then one line "N passed, N failed, N skipped". Runs all suites even when one fails.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 ONNXRUNTIME_NODE_INSTALL=skip
mkdir -p reports
rm -f reports/vitest.json reports/pytest.xml reports/checks.txt
status=0

echo "== vitest"
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json || status=1

if [ -x training/.venv/bin/python ]; then
  echo "== pytest (training/)"
  (cd training && .venv/bin/python -m pytest -q --junitxml=../reports/pytest.xml) || status=1
  echo "== ruff (training/)"
  if training/.venv/bin/ruff check training; then echo "pass ruff" >> reports/checks.txt; else echo "fail ruff" >> reports/checks.txt; status=1; fi
  junit=(--junit reports/pytest.xml)
else
  echo "training/.venv missing: run make pydeps" >&2
  echo "fail python-venv" >> reports/checks.txt
  junit=()
  status=1
fi
touch reports/checks.txt

node dist/test/summary/print-summary.js --vitest reports/vitest.json "${junit[@]}" --checks reports/checks.txt || status=1
exit $status
