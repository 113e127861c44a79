#!/usr/bin/env bash
# Installs the Debian packages herd needs to build, test and benchmark.
# Idempotent: prints nothing and changes nothing when every package is present.
# With --bench (bench/run.sh, `make bench`), installs only what the benchmark adds on
# top of the rest; `make deps` and `make test` never need those packages.
set -euo pipefail

packages=(
    build-essential pkg-config
    libevent-dev libhiredis-dev libtokyocabinet-dev libssl-dev libcmocka-dev zlib1g-dev
    redis-server redis-tools nutcracker
    python3-redis python3-pytest
    clang valgrind openssl
    # libFuzzer (libclang_rt.fuzzer*.a) for tests/fuzz: only a Recommends
    # of clang, which --no-install-recommends below would skip.
    libclang-rt-dev
)

# Bench only: matplotlib draws bench/results/<date>.png.
bench_packages=(
    python3-matplotlib
)

if [ "${1:-}" = "--bench" ]; then
    packages=("${bench_packages[@]}")
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    sudo_prefix=()
else
    sudo_prefix=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_prefix[@]}" apt-get update -qq
"${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts redis-server as a service on install; herd's tests start their own.
if command -v systemctl >/dev/null 2>&1; then
    "${sudo_prefix[@]}" systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
