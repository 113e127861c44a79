#!/usr/bin/env bash
# bench/run.sh — `make bench`: redis-benchmark against redis-server, nutcracker in
# front of redis-server, herd-node direct and herd-proxy in front of one and of three
# herd-nodes, all started fresh here on loopback, measured in one run, stopped by PID.
#
# Writes bench/results/<date>.md and bench/results/latest.md.
# Environment: BUILD_DIR (build), BENCH_REQUESTS (200000), BENCH_ROUNDS (3).
set -euo pipefail

cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
requests=${BENCH_REQUESTS:-200000}
rounds=${BENCH_ROUNDS:-3}
work=$(mktemp -d /tmp/herd-bench.XXXXXX)
pids=()

stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap stop_all EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_ping() {
    local port=$1
    for _ in $(seq 100); do
        if [ "$(redis-cli -p "$port" PING 2>/dev/null)" = "PONG" ]; then return 0; fi
        sleep 0.1
    done
    echo "bench: server on port $port did not answer" >&2
    return 1
}

start() {  # start NAME PORT COMMAND...
    local name=$1 port=$2; shift 2
    "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
    wait_ping "$port"
}

redis_port=$(free_port)
start redis "$redis_port" redis-server --port "$redis_port" --save '' --appendonly no

nutcracker_backend=$(free_port)
start redis-backend "$nutcracker_backend" redis-server --port "$nutcracker_backend" --save '' --appendonly no
nutcracker_port=$(free_port)
cat >"$work/nutcracker.yml" <<YML
bench:
  listen: 127.0.0.1:$nutcracker_port
  hash: fnv1a_64
  distribution: ketama
  redis: true
  servers:
   - 127.0.0.1:$nutcracker_backend:1
YML
nutcracker -c "$work/nutcracker.yml" -s "$(free_port)" >"$work/nutcracker.log" 2>&1 &
pids+=($!)
sleep 0.5

node_port=$(free_port)
mkdir -p "$work/node-direct"
start node-direct "$node_port" "$build_dir/herd-node" --port "$node_port" --dir "$work/node-direct"

single_node_port=$(free_port)
mkdir -p "$work/node-single"
start node-single "$single_node_port" "$build_dir/herd-node" --port "$single_node_port" --dir "$work/node-single"
single_proxy_port=$(free_port)
start proxy-single "$single_proxy_port" "$build_dir/herd-proxy" --port "$single_proxy_port" \
    --replicas 1 --node "127.0.0.1:$single_node_port" node-single

proxy_args=()
for i in 1 2 3; do
    port=$(free_port)
    mkdir -p "$work/node-$i"
    start "node-$i" "$port" "$build_dir/herd-node" --port "$port" --dir "$work/node-$i" --node-index "$i"
    proxy_args+=(--node "127.0.0.1:$port" "node-$i")
done
proxy_port=$(free_port)
start proxy "$proxy_port" "$build_dir/herd-proxy" --port "$proxy_port" "${proxy_args[@]}"

# measure TARGET PORT PIPELINE TEST -> prints requests per second
measure() {
    local port=$1 pipeline=$2 test=$3
    redis-benchmark -p "$port" -c 50 -n "$requests" -r 1000000 -d 100 -P "$pipeline" -t "$test" --csv 2>/dev/null |
        awk -F, -v t="\"${test^^}\"" '$1 == t { gsub(/"/, "", $2); print $2 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

targets=("redis-server:$redis_port" "nutcracker+redis:$nutcracker_port" "herd-node:$node_port"
         "herd-proxy+1 node:$single_proxy_port" "herd-proxy+3 nodes:$proxy_port")
date_tag=$(date -u +%Y-%m-%d)
result="bench/results/$date_tag.md"
{
    echo "# make bench — $date_tag"
    echo
    echo "redis-benchmark -c 50 -n $requests -r 1000000 -d 100, median of $rounds rounds (requests/s)."
    echo "All processes on one 2-core machine, started fresh in this run; ratios are against"
    echo "redis-server and nutcracker (twemproxy) measured in the same run."
    echo
    echo "| target | test | pipeline | requests/s | vs redis-server | vs nutcracker |"
    echo "|---|---|---|---|---|---|"
} >"$result"

for test in set get; do
    for pipeline in 1 16; do
        declare -A figures=()
        for target in "${targets[@]}"; do
            name=${target%%:*}; port=${target##*:}
            samples=()
            for _ in $(seq "$rounds"); do samples+=("$(measure "$port" "$pipeline" "$test")"); done
            figures[$name]=$(printf '%s\n' "${samples[@]}" | median)
        done
        for target in "${targets[@]}"; do
            name=${target%%:*}
            value=${figures[$name]}
            vs_redis=$(awk -v a="$value" -v b="${figures[redis-server]}" 'BEGIN { printf "%.2f", a / b }')
            vs_nutcracker=$(awk -v a="$value" -v b="${figures[nutcracker+redis]}" 'BEGIN { printf "%.2f", a / b }')
            echo "| $name | ${test^^} | $pipeline | $value | $vs_redis | $vs_nutcracker |" >>"$result"
        done
        unset figures
    done
done
cp "$result" bench/results/latest.md
cat "$result"
