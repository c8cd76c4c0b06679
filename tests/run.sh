#!/bin/bash
# run.sh: the whole test suite, from a fresh Debian 12 machine, as root.
#
#   1. gcc, warnings as errors: unit tests, corpus replays, integration tests
#   2. clang, warnings as errors: unit tests
#   3. clang with ASan+UBSan: unit tests, corpus replays, integration tests
#   4. clang with libFuzzer: every fuzz target for FUZZ_SECONDS (default 6)
#
# Every meson test counts once per configuration; a skipped test, a build that
# fails, or a configuration that cannot run counts as failed. The last line is
# "N passed, N failed"; the exit status is 0 only when nothing failed.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
OUT=${VH_TEST_DIR:-$TOP/build-test}
FUZZ_SECONDS=${FUZZ_SECONDS:-6}
PASSED=0
FAILED=0

bash tools/install-deps.sh || { echo "run.sh: could not install dependencies"; echo "0 passed, 1 failed"; exit 1; }

# count DIR: add the results of a meson test run from its JSON log
count() {
  local r
  r=$(python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = 0
try:
    for line in open(sys.argv[1]):
        t = json.loads(line)
        if t.get("result") == "OK":
            ok += 1
        else:
            bad += 1
            print("  not ok: %s (%s)" % (t.get("name"), t.get("result")), file=sys.stderr)
except FileNotFoundError:
    pass
print(ok, bad)
PY
  )
  PASSED=$((PASSED + ${r% *}))
  FAILED=$((FAILED + ${r#* }))
}

# config NAME SUITES MESON-ARGS... : build one configuration and run the given suites
config() {
  local name=$1 suites=$2 dir=$OUT/$1
  shift 2
  echo "=== $name: meson setup $*"
  rm -rf "$dir"
  if ! meson setup "$dir" "$@" >"$OUT/$name-setup.log" 2>&1 || ! ninja -C "$dir" >"$OUT/$name-build.log" 2>&1; then
    echo "  build failed: see $OUT/$name-*.log"
    tail -n 20 "$OUT/$name-build.log" "$OUT/$name-setup.log" 2>/dev/null
    FAILED=$((FAILED + 1))
    return
  fi
  local args=()
  for s in $suites; do args+=(--suite "$s"); done
  meson test -C "$dir" --print-errorlogs "${args[@]}" >"$OUT/$name-test.log" 2>&1
  count "$dir"
  grep -E "^ *[0-9]+/[0-9]+ " "$OUT/$name-test.log" | sed 's/^/  /'
}

mkdir -p "$OUT"
ns_before=$(ip netns list 2>/dev/null | awk '{print $1}' | sort)
config gcc "unit fuzz netns" -Dwerror=true --buildtype=debugoptimized
CC=clang config clang "unit" -Dwerror=true
CC=clang config asan "unit fuzz netns" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
CC=clang config fuzz "fuzz" -Dwerror=true -Dfuzzing=true -Dfuzz_seconds="$FUZZ_SECONDS" \
  -Db_sanitize=address,undefined -Db_lundef=false -Dnetns_tests=false

# Nothing may be left behind by the integration tests.
left=$(comm -13 <(echo "$ns_before") <(ip netns list 2>/dev/null | awk '{print $1}' | sort) | tr '\n' ' ')
if [ -n "${left// /}" ]; then
  echo "namespaces left behind by the tests: $left"
  FAILED=$((FAILED + 1))
else
  PASSED=$((PASSED + 1))
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
