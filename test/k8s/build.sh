#!/usr/bin/env bash
# Builds what the Kubernetes e2e needs, only what is missing, and prints how long each step took:
#   kube-apiserver, kube-scheduler  from k8s.io/kubernetes (version pinned in test/k8s/go.mod)
#   kubectl                         the same release, unless one is already on PATH
#   etcd                            Debian's etcd-server (apt-get) when missing
# into $OVERSEER_K8S_BIN_DIR (default ~/.cache/overseer/k8s-<version>), so a fresh clone on the
# same machine (CI) reuses them. A stamp of go.mod/go.sum/cmd sources triggers a rebuild when
# the harness module changes. Needs Go (the version in go.mod or newer) and the Go module proxy.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n -E 's/^(require)?[[:space:]]*k8s\.io\/kubernetes (v[^ ]+)[[:space:]]*$/\2/p' "$here/go.mod" | head -1)"
[ -n "$version" ] || { echo "build.sh: test/k8s/go.mod does not require k8s.io/kubernetes" >&2; exit 1; }
bin="${OVERSEER_K8S_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/overseer/k8s-$version}"
mkdir -p "$bin"

minor="$(echo "$version" | cut -d. -f2)"
v=k8s.io/component-base/version
ldflags="-s -w -X $v.gitVersion=$version -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
stamp_of() { (cd "$here" && { cat go.mod go.sum cmd/*/main.go; echo "$ldflags"; } | sha256sum | cut -c1-16); }
stamp="$(stamp_of)"
if [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" != "$stamp" ]; then
  echo "build.sh: harness module changed since the last build: rebuilding"
  rm -f "$bin/kube-apiserver" "$bin/kube-scheduler" "$bin/kubectl" "$bin/.stamp"
fi

want=(kube-apiserver kube-scheduler)
command -v kubectl >/dev/null 2>&1 || [ -x "$bin/kubectl" ] || want+=(kubectl)
missing=()
for b in "${want[@]}"; do [ -x "$bin/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -gt 0 ]; then
  command -v go >/dev/null || { echo "build.sh: go is not installed (needed to build ${missing[*]})" >&2; exit 1; }
  echo "build.sh: building ${missing[*]} ($version) into $bin"
  t0=$SECONDS
  pkgs=()
  for b in "${missing[@]}"; do pkgs+=("./cmd/$b"); done
  (cd "$here" && go build -trimpath -ldflags="$ldflags" -o "$bin/" "${pkgs[@]}")
  echo "build.sh: built ${missing[*]} in $((SECONDS - t0)) s"
else
  echo "build.sh: kube-apiserver, kube-scheduler $version present in $bin"
fi
echo "$stamp" > "$bin/.stamp"

if ! command -v etcd >/dev/null 2>&1 && [ ! -x "$bin/etcd" ]; then
  t0=$SECONDS
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "build.sh: installing etcd-server from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server >/dev/null; }
    # The package enables a system service; the harness runs its own etcd on a free port.
    if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then systemctl stop etcd || true; fi
  else
    echo "build.sh: etcd missing and apt-get unavailable (not root?): install etcd-server, or put an etcd binary in $bin" >&2
    exit 1
  fi
  echo "build.sh: etcd installed in $((SECONDS - t0)) s"
fi
etcd_bin="$( [ -x "$bin/etcd" ] && echo "$bin/etcd" || command -v etcd )"
kubectl_bin="$( [ -x "$bin/kubectl" ] && echo "$bin/kubectl" || command -v kubectl )"
echo "build.sh: etcd $("$etcd_bin" --version | sed -n 's/^etcd Version: //p') ($etcd_bin), kubectl $("$kubectl_bin" version --client 2>/dev/null | sed -n 's/^Client Version: //p') ($kubectl_bin)"
