#!/usr/bin/env bash
# Installs the external tools the integration tests and the local stack use, each only when missing:
#   perf (Debian linux-perf), prometheus + promtool (Debian), grpcurl (go install) and Jaeger v2
#   (built from its Go module) into .tools/bin.
# Usage: scripts/install-tools.sh [perf] [prometheus] [grpcurl] [jaeger]   (no argument: all of them)
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS_BIN="$PWD/.tools/bin"
mkdir -p "$TOOLS_BIN"
GRPCURL_VERSION=v1.9.3
JAEGER_VERSION=v1.76.0

wanted=("$@")
is_wanted() { [ ${#wanted[@]} -eq 0 ] && return 0; local w; for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if is_wanted perf && ! command -v perf >/dev/null; then
  echo "install-tools: installing perf (Debian linux-perf)"
  apt_install linux-perf
fi

if is_wanted prometheus; then
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    echo "install-tools: installing prometheus (Debian)"
    apt_install prometheus
  fi
fi

go_tool() { # name module version
  local name=$1 module=$2 version=$3
  if [ -x "$TOOLS_BIN/$name" ] && [ -f "$TOOLS_BIN/.$name-$version" ]; then return 0; fi
  echo "install-tools: go install $module@$version (first build takes minutes; later ones reuse Go's cache)"
  local start=$SECONDS
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "$module@$version"
  touch "$TOOLS_BIN/.$name-$version"
  echo "install-tools: $name built in $((SECONDS - start)) s"
}

is_wanted grpcurl && go_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION"
# Jaeger's go.mod carries replace directives, so `go install module@version` refuses it: download the
# module and build its cmd/jaeger as the main module (its own go.mod and go.sum apply).
build_jaeger() {
  if [ -x "$TOOLS_BIN/jaeger" ] && [ -f "$TOOLS_BIN/.jaeger-$JAEGER_VERSION" ]; then return 0; fi
  echo "install-tools: building jaeger $JAEGER_VERSION from its Go module (first build takes minutes)"
  local start=$SECONDS dir src
  dir=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "install-tools: cannot download jaeger $JAEGER_VERSION" >&2; return 1; }
  src=$(mktemp -d)
  cp -r "$dir/." "$src/"
  chmod -R u+w "$src"
  (cd "$src" && go build -o "$TOOLS_BIN/jaeger" ./cmd/jaeger)
  rm -rf "$src"
  touch "$TOOLS_BIN/.jaeger-$JAEGER_VERSION"
  echo "install-tools: jaeger built in $((SECONDS - start)) s"
}
is_wanted jaeger && build_jaeger
exit 0
