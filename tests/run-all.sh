#!/usr/bin/env bash
# run-all.sh -- runs every herd test and prints one closing line:
#
#     N passed, N failed[, N skipped]
#
# Called by `make test` (BUILD_DIR=build or build-sanitize) and `make unit`
# (--unit-only).  Runs each C unit-test binary $BUILD_DIR/tests/test_*
# (cmocka), then the libFuzzer targets (tests/fuzz/run.sh; full runs of
# the normal build only, FUZZ_SECONDS per target, default 5), then the
# pytest integration suite against real processes.
# Exits non-zero when anything failed or when no test ran at all.
#
# Usage: BUILD_DIR=build bash tests/run-all.sh [--unit-only | --integration-only]
#                                              [extra pytest arguments...]
# (pytest.ini's testpaths picks tests/integration when no path is given)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2

build_dir=${BUILD_DIR:-build}
run_unit=1
run_integration=1
pytest_extra=()
for argument in "$@"; do
    case "$argument" in
        --unit-only) run_integration=0 ;;
        --integration-only) run_unit=0 ;;
        *) pytest_extra+=("$argument") ;;
    esac
done

python=/usr/bin/python3
work="$root/tmp/test-run-$(basename "$build_dir")"
rm -rf "$work"
mkdir -p "$work"

# Sanitizer reports go to each process's stderr, which the harness keeps in
# the process log and scans; leaks are checked at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
case "$build_dir" in
    *sanitize*) export HERD_TIMEOUT_FACTOR=${HERD_TIMEOUT_FACTOR:-3} ;;
esac

passed=0
failed=0
skipped=0
started=$(date +%s)

# ---------------------------------------------------------------------------
# Unit tests: one cmocka binary at a time, counted from its summary lines.
# ---------------------------------------------------------------------------
run_unit_binary() {
    local binary=$1 log status binary_passed binary_failed binary_skipped
    log="$work/$(basename "$binary").log"
    timeout --foreground --kill-after=10 300 "$binary" >"$log" 2>&1
    status=$?
    binary_passed=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$log" |
                    awk '{ sum += $1 } END { print sum + 0 }')
    binary_failed=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$log" |
                    awk '{ sum += $1 } END { print sum + 0 }')
    binary_skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9][0-9]*\) test(s).*/\1/p' "$log" |
                     awk '{ sum += $1 } END { print sum + 0 }')
    # A crash, a sanitizer abort, a timeout or a missing summary is a failure
    # even when the summary lines (if any) did not count one.
    if [ "$status" -ne 0 ] && [ "$binary_failed" -eq 0 ]; then
        binary_failed=1
        echo "unit: $(basename "$binary") exited with status $status (crash, sanitizer or timeout)"
    fi
    if [ "$status" -eq 0 ] && [ "$binary_passed" -eq 0 ] && [ "$binary_skipped" -eq 0 ]; then
        binary_failed=$((binary_failed + 1))
        echo "unit: $(basename "$binary") printed no cmocka summary"
    fi
    if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$log"; then
        [ "$binary_failed" -eq 0 ] && binary_failed=1
        echo "unit: $(basename "$binary") logged a sanitizer report"
    fi
    if [ "$binary_failed" -ne 0 ]; then
        echo "---- $(basename "$binary") (log: $log)"
        tail -n 60 "$log"
        echo "----"
    fi
    printf 'unit: %-40s %3d passed, %d failed\n' "$(basename "$binary")" \
        "$binary_passed" "$binary_failed"
    passed=$((passed + binary_passed))
    failed=$((failed + binary_failed))
    skipped=$((skipped + binary_skipped))
}

if [ "$run_unit" -eq 1 ]; then
    shopt -s nullglob
    unit_binaries=("$build_dir"/tests/test_*)
    shopt -u nullglob
    if [ ${#unit_binaries[@]} -eq 0 ]; then
        echo "unit: no unit-test binaries in $build_dir/tests/"
    fi
    for binary in "${unit_binaries[@]}"; do
        [ -f "$binary" ] && [ -x "$binary" ] || continue
        run_unit_binary "$binary"
    done
fi

# ---------------------------------------------------------------------------
# Fuzzing: each libFuzzer target over its seed corpus and regression
# inputs plus FUZZ_SECONDS (default 5) seconds of fuzzing, one test per
# target (tests/fuzz/run.sh prints "fuzz: <target> ok|FAILED ...").
# Normal build only: the fuzz build (build-fuzz/) is sanitized already.
# ---------------------------------------------------------------------------
run_fuzz() {
    local log="$work/fuzz.log" status fuzz_passed fuzz_failed
    FUZZ_SECONDS=${FUZZ_SECONDS:-5} timeout --foreground --kill-after=10 600 \
        bash tests/fuzz/run.sh 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    fuzz_passed=$(grep -c -E '^fuzz: [^ ]+ +ok ' "$log")
    fuzz_failed=$(grep -c -E '^fuzz: [^ ]+ +FAILED ' "$log")
    # A build failure or timeout that named no target still fails.
    if [ "$status" -ne 0 ] && [ "$fuzz_failed" -eq 0 ]; then
        echo "fuzz: tests/fuzz/run.sh exited with status $status (log: $log)"
        fuzz_failed=1
    fi
    passed=$((passed + fuzz_passed))
    failed=$((failed + fuzz_failed))
}

if [ "$run_unit" -eq 1 ] && [ "$run_integration" -eq 1 ]; then
    case "$build_dir" in
        *sanitize*) echo "fuzz: skipped for $build_dir (the fuzz build is sanitized already)" ;;
        *) run_fuzz ;;
    esac
fi

# ---------------------------------------------------------------------------
# Integration tests: pytest, counted from its JUnit XML.
# ---------------------------------------------------------------------------
count_junit() {
    "$python" - "$1" <<'PYTHON'
import sys
import xml.etree.ElementTree as ElementTree

# One testcase element per test; pytest may add a second element for an
# error in teardown after a pass, so results are merged by test id, and a
# failure anywhere wins.
rank = {"skipped": 0, "passed": 1, "failed": 2}
outcome = {}
for case in ElementTree.parse(sys.argv[1]).iter("testcase"):
    test_id = (case.get("classname"), case.get("name"))
    tags = {child.tag for child in case}
    if tags & {"failure", "error"}:
        result = "failed"
    elif "skipped" in tags:
        result = "skipped"
    else:
        result = "passed"
    if rank[result] >= rank[outcome.get(test_id, "skipped")]:
        outcome[test_id] = result
values = list(outcome.values())
print(values.count("passed"), values.count("failed"), values.count("skipped"))
PYTHON
}

if [ "$run_integration" -eq 1 ]; then
    junit="$work/junit.xml"
    echo "integration: pytest against $build_dir (logs under $work/pytest)"
    HERD_BUILD_DIR="$build_dir" timeout --foreground --kill-after=30 1200 \
        "$python" -m pytest -q -p no:cacheprovider --durations=5 \
        --basetemp="$work/pytest" --junitxml="$junit" "${pytest_extra[@]}"
    pytest_status=$?
    if [ -s "$junit" ] && counts=$(count_junit "$junit"); then
        read -r integration_passed integration_failed integration_skipped <<<"$counts"
    else
        echo "integration: pytest produced no results (status $pytest_status)"
        integration_passed=0
        integration_failed=1
        integration_skipped=0
    fi
    # pytest failing without a failed test (collection error, crash, timeout).
    if [ "$pytest_status" -ne 0 ] && [ "$pytest_status" -ne 5 ] && [ "$integration_failed" -eq 0 ]; then
        echo "integration: pytest exited with status $pytest_status"
        integration_failed=1
    fi
    passed=$((passed + integration_passed))
    failed=$((failed + integration_failed))
    skipped=$((skipped + integration_skipped))
fi

echo "time: $(( $(date +%s) - started ))s ($build_dir)"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi

if [ "$failed" -ne 0 ] || [ $((passed + failed)) -eq 0 ]; then
    exit 1
fi
exit 0
