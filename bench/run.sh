#!/usr/bin/env bash
# bench/run.sh — `make bench`: herd against redis-server and nutcracker (twemproxy), and
# against itself, side by side in one run (issue 5).  bench/harness.py starts every
# target fresh on loopback (redis-server; nutcracker + 1 and + 3 redis-servers;
# herd-node; herd-proxy + 1 and + 3 herd-nodes; herd-proxy + 1 and + 3 plain
# redis-servers), runs redis-benchmark GET/SET at pipeline 1 and 16, MGET of 10 keys
# and an 80/20 GET/SET mix, each several rounds, records every server's peak RSS,
# stops everything by PID and measures the memory per idle client connection of
# herd-proxy and nutcracker at 10 000 connections.  bench/report.py writes the table
# and the plot.
#
# Writes bench/results/<date>.{md,json,png} and overwrites bench/results/latest.*.
# Environment: BUILD_DIR (build); BENCH_LONG=1 (5x the requests, 5 rounds);
# BENCH_ROUNDS; BENCH_IDLE_CLIENTS (10000); BENCH_TARGETS (comma-separated names).
set -euo pipefail

cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build}

# What only the benchmark needs (the plot), beside what `make deps` installs.
bash scripts/install-deps.sh --bench

# 10 000 idle clients need as many descriptors in the opener and in each proxy:
# raise the soft limit to the hard one (the harness and its children inherit it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10200 ]; then
    echo "bench: open-file limit is $(ulimit -n); fewer than 10 000 idle clients will be opened" >&2
fi

date_tag=$(date -u +%Y-%m-%d)
results=bench/results
mkdir -p "$results"
/usr/bin/python3 bench/harness.py "$results/$date_tag.json"
/usr/bin/python3 bench/report.py "$results/$date_tag.json" "$results/$date_tag"
for ext in md json png; do
    if [ -f "$results/$date_tag.$ext" ]; then
        cp "$results/$date_tag.$ext" "$results/latest.$ext"
    fi
done
cat "$results/latest.md"
