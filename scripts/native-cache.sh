#!/usr/bin/env bash
# better-sqlite3's compiled module, kept between clean checkouts on one machine (.ci/run,
# scripts/node24.sh). Its install script (prebuild-install) takes a "local prebuild" — a tarball named
# better-sqlite3-v<version>-node-v<ABI>-<platform>-<arch>.tar.gz holding build/Release/
# better_sqlite3.node — from the folder npm_config_better_sqlite3_local_prebuilds names, before it
# tries a download (which fails here: only the npm registry is reachable) and compiles SQLite. So the
# first run on a machine compiles, and later runs reuse what it compiled, as npm's own cache does for
# packages.
#
#   native-cache.sh dir        prints the folder (created): $ROLLCALL_NATIVE_CACHE, or
#                              ${XDG_CACHE_HOME:-~/.cache}/rollcall/prebuilds
#   native-cache.sh path NODE  prints where the module of ./node_modules/better-sqlite3 for the
#                              Node.js binary NODE is (or would be) kept
#   native-cache.sh keep NODE  checks that ./node_modules/better-sqlite3 loads on the Node.js binary
#                              NODE, then keeps its module there unless one is kept already. A module
#                              that does not load fails the script, and a kept one that did not load is
#                              deleted, so a bad binary costs one failed run, not every later one.
set -euo pipefail
dir=${ROLLCALL_NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rollcall/prebuilds}
# A home that cannot be written to costs the saving, not the run: a folder of this run's own instead.
mkdir -p "$dir" 2>/dev/null || { dir=$(mktemp -d); echo "native-cache.sh: cannot create the cache folder; nothing is kept between runs" >&2; }
# The file name prebuild-install looks for, for the better-sqlite3 in ./node_modules on Node.js $1.
name() { "$1" -p "'better-sqlite3-v' + require('./node_modules/better-sqlite3/package.json').version + '-node-v' + process.versions.modules + '-' + process.platform + '-' + process.arch + '.tar.gz'"; }
case "${1:-}" in
  dir) echo "$dir" ;;
  path) echo "$dir/$(name "${2:?native-cache.sh path NODE}")" ;;
  keep)
    node=${2:?native-cache.sh keep NODE}
    name=$(name "$node")
    if ! "$node" -e "new (require('better-sqlite3'))(':memory:').close()"; then
      rm -f "$dir/$name"
      echo "native-cache.sh: better-sqlite3 does not load on $("$node" --version); $dir/$name removed if it was kept" >&2
      exit 1
    fi
    echo "native-cache.sh: better-sqlite3 loads on Node $("$node" --version)"
    if [ ! -f "$dir/$name" ]; then
      tar -czf "$dir/$name.tmp.$$" -C node_modules/better-sqlite3 build/Release/better_sqlite3.node
      mv "$dir/$name.tmp.$$" "$dir/$name"
      echo "native-cache.sh: kept $dir/$name"
    fi ;;
  *) echo "usage: native-cache.sh dir | path NODE | keep NODE" >&2; exit 2 ;;
esac
