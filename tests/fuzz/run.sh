#!/usr/bin/env bash
# run.sh -- builds herd's libFuzzer targets with clang and runs each one:
# first every input in tests/fuzz/regressions/<target>/ (bugs found
# before), then libFuzzer over the committed seeds in
# tests/fuzz/corpus/<target>/ plus FUZZ_SECONDS seconds of fuzzing.
#
# Usage: bash tests/fuzz/run.sh [target...]      (default: every target)
#   FUZZ_SECONDS   fuzzing time per target (default 10; 0 runs the
#                  regressions and the corpus only)
#
# Prints one line per target, "fuzz: <target> ok ..." or
# "fuzz: <target> FAILED ...", and exits non-zero when any target failed.
# A crashing input is left in tmp/fuzz/<target>/ (crash-*, leak-*,
# timeout-*, oom-*); reproduce it with  build-fuzz/<target> <file>.
# Inputs libFuzzer finds are kept in tmp/fuzz/corpus/<target>/ and
# reused by the next run; the committed corpus is never written.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2

seconds=${FUZZ_SECONDS:-10}
all_targets=(fuzz_resp fuzz_arguments fuzz_config fuzz_framer fuzz_glob)
if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=("${all_targets[@]}")
fi
build=build-fuzz
work=tmp/fuzz

case "$seconds" in
    ''|*[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a whole number of seconds, got '$seconds'"
                 exit 2 ;;
esac

# The longest input each target is given (glob_match is O(pattern *
# string), so its inputs are kept shorter to keep the runs fast).
max_length() {
    case "$1" in
        fuzz_glob|fuzz_arguments) echo 1024 ;;
        *) echo 4096 ;;
    esac
}

# Reports every target as failed with one reason (build problems).
fail_all() {
    local target
    for target in "${targets[@]}"; do
        printf 'fuzz: %-16s FAILED  %s\n' "$target" "$1"
    done
    exit 1
}

mkdir -p "$work"
# Two runs at once (two make test in the same checkout) would rebuild
# and write the same files: the second waits for the first.
exec 9>"$work/.lock"
flock 9

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang not found (bash scripts/install-deps.sh installs it)"
    fail_all "no clang"
fi
for target in "${targets[@]}"; do
    if [ ! -f "tests/fuzz/$target.c" ]; then
        echo "fuzz: unknown target '$target' (known: ${all_targets[*]})"
        exit 2
    fi
done
if ! make --no-print-directory -f tests/fuzz/fuzz.mk -j2 "${targets[@]/#/$build/}" \
        >"$work/build.log" 2>&1; then
    echo "fuzz: build failed (log: $work/build.log)"
    tail -n 30 "$work/build.log"
    fail_all "build failed"
fi

# fuzz_config writes its files under TMPDIR; a crash leaves them behind.
export TMPDIR="$root/$work/tmp"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0

# The lines of a log that say what went wrong.
show_failure() {
    awk '/fuzz check failed/ { print; getline; print; next }
         /ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:|^Running: |^ +#[0-9] .* in [a-z_]+ .*\/(shared|proxy|tests)\// { print }' "$1" |
        head -n 12 | sed 's/^/    /'
}

# Shows the first bytes of an input in hex.
show_input() {
    echo "    input ($(stat -c %s "$1") bytes): $1"
    od -A d -t x1 -v "$1" | head -n 8 | sed 's/^/      /'
}

# Runs each regression input once.  Returns non-zero when one fails.
run_regressions() {
    local target=$1 log=$2 inputs
    shopt -s nullglob
    inputs=("tests/fuzz/regressions/$target"/*)
    shopt -u nullglob
    [ ${#inputs[@]} -eq 0 ] && return 0
    timeout --kill-after=10 120 "$build/$target" -timeout=10 -artifact_prefix="$work/$target/" \
        "${inputs[@]}" >"$log" 2>&1
}

# The value of a "stat::name: value" line of libFuzzer's final stats.
stat_value() {
    sed -n "s/^stat::$2: *\([0-9]*\).*/\1/p" "$1" | tail -n 1
}

run_target() {
    local target=$1 binary=$build/$1 seeds=tests/fuzz/corpus/$1
    local found=$work/corpus/$1 artifacts=$work/$1
    local log=$work/$1.log regression_log=$work/$1-regressions.log
    local before after new_artifacts limit options status
    local seed_count found_count runs rate coverage features

    mkdir -p "$seeds" "$found" "$artifacts"
    if ! run_regressions "$target" "$regression_log"; then
        printf 'fuzz: %-16s FAILED  a regression input still fails (log: %s)\n' \
            "$target" "$regression_log"
        show_failure "$regression_log"
        failed=$((failed + 1))
        return
    fi

    before=$(ls "$artifacts")
    limit=$(max_length "$target")
    options=(-timeout=10 -rss_limit_mb=2048 -max_len="$limit" -print_final_stats=1
             -artifact_prefix="$artifacts/")
    if [ -f "tests/fuzz/$target.dict" ]; then
        options+=(-dict="tests/fuzz/$target.dict")
    fi
    if [ "$seconds" -eq 0 ]; then
        options+=(-runs=0)
    else
        options+=(-max_total_time="$seconds")
    fi
    timeout --kill-after=10 $((seconds + 120)) "$binary" "${options[@]}" "$found" "$seeds" \
        >"$log" 2>&1
    status=$?

    after=$(ls "$artifacts")
    new_artifacts=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)
    seed_count=$(find "$seeds" -type f | wc -l)
    found_count=$(find "$found" -type f | wc -l)
    runs=$(stat_value "$log" number_of_executed_units)
    rate=$(stat_value "$log" average_exec_per_sec)
    coverage=$(grep -E -o 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
    features=${coverage#*ft: }
    coverage=${coverage%% ft:*}
    coverage=${coverage#cov: }

    if [ "$status" -ne 0 ] || [ -n "$new_artifacts" ]; then
        printf 'fuzz: %-16s FAILED  status %d after %s runs (log: %s)\n' \
            "$target" "$status" "${runs:-?}" "$log"
        show_failure "$log"
        for artifact in $new_artifacts; do
            show_input "$artifacts/$artifact"
        done
        failed=$((failed + 1))
        return
    fi
    printf 'fuzz: %-16s ok      %ss, %s runs (%s/s), cov %s ft %s, corpus %d seeds + %d found\n' \
        "$target" "$seconds" "${runs:-0}" "${rate:-0}" "${coverage:-?}" "${features:-?}" \
        "$seed_count" "$found_count"
}

for target in "${targets[@]}"; do
    run_target "$target"
done
rm -rf "$TMPDIR"

if [ "$failed" -ne 0 ]; then
    echo "fuzz: $failed of ${#targets[@]} targets failed"
    exit 1
fi
exit 0
