#!/usr/bin/env bash
# Fails when gen/ differs from what `buf generate` makes from proto/ now.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node_modules/.bin/buf generate -o "$tmp"
if ! diff -r "$tmp/gen" gen; then
  echo "gen/ is out of date: run 'make gen' and commit the result" >&2
  exit 1
fi
echo "gen/ is up to date"
