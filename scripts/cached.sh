# Sourced by scripts/vault-binary.sh and scripts/hydra-binary.sh: the part of
# building a server once and caching it outside the repository that both
# share.
#
# cached_start CACHE_DIR BINARY: when BINARY already runs (BINARY version),
# print its path and exit 0. Otherwise take CACHE_DIR/.build.lock (so that a
# second caller waits for the first build and then uses its binary), look
# once more, and set $work to a throwaway build directory, removed on exit.
cached_start() {
  local cache=$1 bin=$2
  if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
    echo "$bin"
    exit 0
  fi
  mkdir -p "$cache"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.build.lock"
    flock 9
    if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
      echo "$bin"
      exit 0
    fi
  fi
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
}
