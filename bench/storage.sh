#!/usr/bin/env bash
# bench/storage.sh — `make bench-storage`: runs the storage micro-benchmark
# (bench/storage_bench.c: herd-node's storage layer without the network) in a
# scratch directory under /tmp (removed afterwards) and writes
# bench/results/storage-<date>.md and bench/results/storage-latest.md, next to
# the node's network throughput from bench/results/latest.md (`make bench`).
#
# It also runs redis-benchmark against a herd-node started here (the same
# commands through the network, on one key each as redis-benchmark does), so
# each storage figure stands next to what the node serves.
#
# Environment: BUILD_DIR (build), STORAGE_BENCH_ARGS (extra arguments for
# storage_bench, e.g. "--records 200000 --rounds 5"), STORAGE_BENCH_NODE_ARGS
# (herd-node options, default "--fsync everysec"), STORAGE_BENCH_NETWORK
# (1: also measure the node through the network, the default; 0: skip),
# STORAGE_BENCH_REQUESTS (requests per redis-benchmark test, 100000).
set -euo pipefail

cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
binary="$build_dir/bench/storage_bench"
bench_args=${STORAGE_BENCH_ARGS:-}
node_args=${STORAGE_BENCH_NODE_ARGS:---fsync everysec}

if [ ! -x "$binary" ]; then
    echo "storage.sh: $binary is missing: run \`make bench-storage\`" >&2
    exit 1
fi

work=$(mktemp -d /tmp/herd-storage-bench.XXXXXX)
node_pid=""
cleanup() {
    if [ -n "$node_pid" ]; then
        kill "$node_pid" 2>/dev/null || true
        wait "$node_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/storage"
# shellcheck disable=SC2086  # the argument strings are meant to split
"$binary" $bench_args --dir "$work/storage" $node_args >"$work/table.md"

# The same operations through a herd-node's network (redis-benchmark -P 16,
# as `make bench`): one key per test, grown by the test itself.
network_rows=""
if [ "${STORAGE_BENCH_NETWORK:-1}" = 1 ] && command -v redis-benchmark >/dev/null &&
   [ -x "$build_dir/herd-node" ]; then
    requests=${STORAGE_BENCH_REQUESTS:-100000}
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p "$work/node"
    # shellcheck disable=SC2086
    "$build_dir/herd-node" --port "$port" --dir "$work/node" $node_args >"$work/node.log" 2>&1 &
    node_pid=$!
    for _ in $(seq 100); do
        if [ "$(redis-cli -p "$port" PING 2>/dev/null)" = "PONG" ]; then break; fi
        sleep 0.1
    done
    run_benchmark() {  # run_benchmark ARGS...: the "name","rps" CSV lines
        timeout 300 redis-benchmark -p "$port" -c 50 -P 16 -n "$requests" -r 1000000 \
            -d 100 --csv "$@" 2>/dev/null | grep -v '^"test"' | cut -d, -f1,2 | tr -d '"' || true
    }
    {
        run_benchmark -t set,get,hset,rpush,zadd
        run_benchmark HGET myhash element:__rand_int__ | sed 's/^[^,]*,/HGET,/'
        run_benchmark ZRANK myzset element:__rand_int__ | sed 's/^[^,]*,/ZRANK,/'
        echo "HLEN,$(redis-cli -p "$port" HLEN myhash)"
        echo "LLEN,$(redis-cli -p "$port" LLEN mylist)"
        echo "ZCARD,$(redis-cli -p "$port" ZCARD myzset)"
    } >"$work/network.csv"
    kill "$node_pid"
    wait "$node_pid" 2>/dev/null || true
    node_pid=""
    network_rows=$work/network.csv
fi

network_rate() {  # network_rate NAME: requests/s of a redis-benchmark test
    [ -n "$network_rows" ] && awk -F, -v name="$1" '$1 == name { print $2; exit }' "$network_rows"
}

# The node's SET rate at pipeline 16 from the last `make bench`, if any.
if [ -f bench/results/latest.md ]; then
    node_set=$(awk -F'|' '$2 ~ /^ *herd-node *$/ && $3 ~ /^ *SET *$/ && $4 ~ /^ *16 *$/ {
                   gsub(/ /, "", $5); print $5; exit }' bench/results/latest.md)
    node_get=$(awk -F'|' '$2 ~ /^ *herd-node *$/ && $3 ~ /^ *GET *$/ && $4 ~ /^ *16 *$/ {
                   gsub(/ /, "", $5); print $5; exit }' bench/results/latest.md)
    bench_date=$(sed -n 's/^# make bench — \(.*\)$/\1/p' bench/results/latest.md | head -n 1)
fi

# The median column of a row of the table.
median_of() {
    awk -F'|' -v name="$1" '$2 ~ name { gsub(/ /, "", $3); print $3; exit }' "$work/table.md"
}

ratio() {  # ratio A B: A / B with one decimal, or "n/a"
    if [ -n "$1" ] && [ -n "$2" ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
    else
        echo "n/a"
    fi
}

date_stamp=$(date +%Y-%m-%d)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
result="bench/results/storage-$date_stamp.md"
{
    echo "# make bench-storage — $date_stamp"
    echo
    echo "herd-node's storage layer without the network (bench/storage_bench.c): one"
    echo "thread, fresh data directories under /tmp each round, node defaults unless"
    echo "given. Machine: $(nproc) cores ($cpu), shared with other work."
    echo
    sed -n '1p' "$work/table.md"
    echo
    tail -n +3 "$work/table.md"
    echo
    echo "## Against the node's network throughput"
    echo
    if [ -n "${node_set:-}" ]; then
        string_put=$(median_of "string put")
        string_get=$(median_of "string get")
        echo "herd-node over the network (bench/results/latest.md, make bench of"
        echo "${bench_date:-unknown date}, redis-benchmark -c 50 -P 16 -d 100):"
        echo "SET $node_set requests/s, GET $node_get requests/s."
        echo
        echo "| storage operation | ops/s | × node SET/s (P16) | × node GET/s (P16) |"
        echo "|---|---|---|---|"
        echo "| string put | $string_put | $(ratio "$string_put" "$node_set") | |"
        echo "| string get | $string_get | | $(ratio "$string_get" "$node_get") |"
        for name in "hash put" "list push" "zset add"; do
            value=$(median_of "$name")
            echo "| $name | $value | $(ratio "$value" "$node_set") | |"
        done
        for name in "hash get" "list index" "zset rank"; do
            value=$(median_of "$name")
            echo "| $name | $value | | $(ratio "$value" "$node_get") |"
        done
    else
        echo "bench/results/latest.md has no herd-node SET row: run \`make bench\`."
    fi
    if [ -n "$network_rows" ]; then
        echo
        echo "## The same operations through the node's network, this run"
        echo
        echo "redis-benchmark -c 50 -P 16 -n ${requests} -r 1000000 -d 100 against one"
        echo "herd-node ($node_args) started by this script: one key per test, as"
        echo "redis-benchmark does (at the end: HLEN myhash $(network_rate HLEN), LLEN mylist"
        echo "$(network_rate LLEN), ZCARD myzset $(network_rate ZCARD)); HGET and ZRANK ask for"
        echo "random fields/members of those keys (mostly absent ones: -r 1000000)."
        echo
        echo "| command | node requests/s | storage operation | storage ops/s | storage / node |"
        echo "|---|---|---|---|---|"
        for pair in "SET:string put" "GET:string get" "HSET:hash put" "HGET:hash get" \
                    "RPUSH:list push" "ZADD:zset add" "ZRANK:zset rank"; do
            command=${pair%%:*}
            operation=${pair#*:}
            node_rate=$(network_rate "$command")
            storage_rate=$(median_of "$operation")
            echo "| $command | ${node_rate:-n/a} | $operation | $storage_rate |" \
                 "$(ratio "$storage_rate" "$node_rate") |"
        done
    fi
} >"$result"
cp "$result" bench/results/storage-latest.md
cat "$result"
echo "storage.sh: wrote $result and bench/results/storage-latest.md" >&2
