#!/usr/bin/python3
"""bench/harness.py - the driver behind `make bench` (called by bench/run.sh).

Starts every target fresh on loopback, runs the same redis-benchmark
workloads against each, round after round (every round visits every target,
so that load from elsewhere on a shared machine is spread over all of them),
records the peak RSS of every server process, stops the processes by PID, then
measures the memory per idle client connection of herd-proxy and nutcracker.
Raw figures go to a JSON file that bench/report.py turns into the Markdown
table and the plot.

Environment: BUILD_DIR (build), BENCH_LONG (unset: short run; 1: more requests
and rounds), BENCH_ROUNDS (override the rounds), BENCH_IDLE_CLIENTS (10000),
BENCH_TARGETS (comma-separated target names; default: all).
"""

import csv
import io
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BUILD_DIR = os.environ.get("BUILD_DIR", "build")
LONG = os.environ.get("BENCH_LONG", "") not in ("", "0")
SCALE = 5 if LONG else 1
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5" if LONG else "3"))
IDLE_CLIENTS = int(os.environ.get("BENCH_IDLE_CLIENTS", "10000"))
# Seconds idle clients that sent a PING wait before RSS is read: herd-proxy
# frees an idle client's session after 2 s (proxy.h, PROXY_SESSION_IDLE_MS).
IDLE_SETTLE_SECONDS = 4.0
CLIENTS = 50
KEYSPACE = 1000000
VALUE_SIZE = 100
MGET_KEYS = 10

# Workloads, in the order they run on each target: SET first so that the GETs
# and MGETs that follow find most keys present.  "requests" is per round.
WORKLOADS = [
    {"name": "SET P1", "kind": "single", "test": "set", "pipeline": 1, "requests": 60000},
    {"name": "SET P16", "kind": "single", "test": "set", "pipeline": 16, "requests": 200000},
    {"name": "GET P1", "kind": "single", "test": "get", "pipeline": 1, "requests": 60000},
    {"name": "GET P16", "kind": "single", "test": "get", "pipeline": 16, "requests": 200000},
    {"name": "MGET10 P1", "kind": "mget", "pipeline": 1, "requests": 30000},
    {"name": "MIXED 80/20 P1", "kind": "mixed", "pipeline": 1, "requests": 60000},
]


class Bench:
    """The run's one context: scratch directory, started processes, results."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="herd-bench.")
        self.processes = []
        self.log_files = []

    def free_port(self):
        """A free loopback TCP port (the kernel's pick)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def start(self, name, port, argv):
        """Start one server process, wait until it answers on PORT, return it."""
        log = open(os.path.join(self.work, name + ".log"), "w")
        self.log_files.append(log)
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        self.processes.append(process)
        if not wait_ready(port, process):
            raise RuntimeError("%s (port %d) did not start; see its log:\n%s"
                               % (name, port, read_log(log.name)))
        return {"name": name, "pid": process.pid, "port": port}

    def stop_all(self):
        """Stop every process this run started, by PID, and wait for it."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
        for log in self.log_files:
            log.close()
        self.log_files = []

    def cleanup(self):
        self.stop_all()
        shutil.rmtree(self.work, ignore_errors=True)

    # --- the servers ------------------------------------------------------

    def redis_server(self, name):
        port = self.free_port()
        return self.start(name, port, ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no", "--daemonize", "no"])

    def herd_node(self, name, index, options=()):
        port = self.free_port()
        data_dir = tempfile.mkdtemp(prefix=name + ".", dir=self.work)
        return self.start(name, port, [os.path.join(BUILD_DIR, "herd-node"), "--port", str(port),
                                       "--dir", data_dir, "--node-index", str(index)]
                          + list(options))

    def herd_cluster(self, count, consistency):
        """COUNT herd-nodes that replicate every key to all of them (replicas
        COUNT, seed lines), and a herd-proxy in seed mode in front."""
        ports = [self.free_port() for _ in range(count)]
        seeds = []
        for port in ports:
            seeds += ["--seed", "127.0.0.1:%d" % port]
        nodes = []
        for index, port in enumerate(ports, 1):
            name = "node-%d" % index
            data_dir = tempfile.mkdtemp(prefix=name + ".", dir=self.work)
            nodes.append(self.start(name, port, [
                os.path.join(BUILD_DIR, "herd-node"), "--port", str(port), "--dir", data_dir,
                "--node-index", str(index), "--replicas", str(count),
                "--write-consistency", consistency] + seeds))
        port = self.free_port()
        proxy = self.start("herd-proxy", port, [
            os.path.join(BUILD_DIR, "herd-proxy"), "--port", str(port),
            "--maxclients", str(IDLE_CLIENTS + 100)] + seeds)
        wait_members(port, count)
        return [proxy] + nodes

    def herd_proxy(self, name, backends, replicas, pool=False):
        """herd-proxy over BACKENDS: herd's slot placement, or with POOL the
        pool mode with the settings nutcracker() is given (ketama, fnv1a_64)."""
        port = self.free_port()
        argv = [os.path.join(BUILD_DIR, "herd-proxy"), "--port", str(port),
                "--replicas", str(replicas), "--maxclients", str(IDLE_CLIENTS + 100)]
        if pool:
            argv += ["--distribution", "ketama", "--hash", "fnv1a_64"]
        for backend in backends:
            argv += ["--node", "127.0.0.1:%d" % backend["port"], backend["name"]]
        return self.start(name, port, argv)

    def nutcracker(self, name, backends):
        port = self.free_port()
        config = os.path.join(self.work, name + ".yml")
        with open(config, "w") as out:
            out.write("bench:\n  listen: 127.0.0.1:%d\n  hash: fnv1a_64\n"
                      "  distribution: ketama\n  redis: true\n  servers:\n" % port)
            for backend in backends:
                out.write("   - 127.0.0.1:%d:1 %s\n" % (backend["port"], backend["name"]))
        return self.start(name, port, ["nutcracker", "-c", config, "-a", "127.0.0.1",
                                       "-s", str(self.free_port())])


def read_log(path):
    try:
        with open(path) as log:
            return log.read()[-2000:]
    except OSError:
        return ""


def wait_ready(port, process, seconds=10.0):
    """True once the server on PORT answers PING (any reply counts)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"*1\r\n$4\r\nPING\r\n")
                if conn.recv(64):
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def wait_members(port, count, seconds=15.0):
    """Waits until the proxy on PORT routes to COUNT alive members."""
    deadline = time.time() + seconds
    wanted = ("cluster_alive_nodes:%d" % count).encode()
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"*2\r\n$7\r\nCLUSTER\r\n$4\r\nINFO\r\n")
                if wanted in conn.recv(4096):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("herd-proxy on port %d did not see %d alive members" % (port, count))


def proc_status_kb(pid, field):
    """A kB figure (VmHWM, VmRSS) from /proc/PID/status, or None."""
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# --- the targets -----------------------------------------------------------

def target_redis(bench):
    return [bench.redis_server("redis")]


def nutcracker_over_redis(bench, count):
    backends = [bench.redis_server("redis-%d" % i) for i in range(1, count + 1)]
    return [bench.nutcracker("nutcracker", backends)] + backends


def target_herd_node(bench):
    return [bench.herd_node("herd-node", 1)]


def herd_proxy_over_nodes(bench, count):
    nodes = [bench.herd_node("node-%d" % i, i) for i in range(1, count + 1)]
    return [bench.herd_proxy("herd-proxy", nodes, count)] + nodes


def herd_proxy_over_redis(bench, count):
    backends = [bench.redis_server("redis-%d" % i) for i in range(1, count + 1)]
    return [bench.herd_proxy("herd-proxy", backends, 1, pool=True)] + backends


# name, label, starter, note.  The first process a starter returns is the one
# clients talk to.
TARGETS = [
    ("redis", "redis-server", target_redis, "direct"),
    ("nutcracker-1redis", "nutcracker + 1 redis", lambda b: nutcracker_over_redis(b, 1), ""),
    ("nutcracker-3redis", "nutcracker + 3 redis", lambda b: nutcracker_over_redis(b, 3), ""),
    ("herd-node", "herd-node", target_herd_node, "direct"),
    ("herd-proxy-1node", "herd-proxy + 1 herd-node", lambda b: herd_proxy_over_nodes(b, 1),
     "replicas 1"),
    ("herd-proxy-3nodes-one", "herd-proxy + 3 herd-nodes, one",
     lambda b: b.herd_cluster(3, "one"), "replicas 3, write-consistency one"),
    ("herd-proxy-3nodes-quorum", "herd-proxy + 3 herd-nodes, quorum",
     lambda b: b.herd_cluster(3, "quorum"), "replicas 3, write-consistency quorum"),
    ("herd-proxy-3nodes-all", "herd-proxy + 3 herd-nodes, all",
     lambda b: b.herd_cluster(3, "all"), "replicas 3, write-consistency all"),
    ("herd-proxy-1redis", "herd-proxy + 1 redis", lambda b: herd_proxy_over_redis(b, 1),
     "pool mode (distribution ketama, hash fnv1a_64, as nutcracker's config)"),
    ("herd-proxy-3redis", "herd-proxy + 3 redis", lambda b: herd_proxy_over_redis(b, 3),
     "pool mode (distribution ketama, hash fnv1a_64, as nutcracker's config)"),
]


# --- the workloads -----------------------------------------------------------

def benchmark_argv(port, clients, requests, pipeline):
    return ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients),
            "-n", str(requests), "-r", str(KEYSPACE), "-d", str(VALUE_SIZE),
            "-P", str(pipeline), "--csv"]


def parse_csv(text):
    """The last data row of redis-benchmark --csv output as a dict of floats."""
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if len(rows) < 2 or rows[0][0] != "test":
        return None
    header, last = rows[0], rows[-1]
    try:
        return {key: float(value) for key, value in zip(header[1:], last[1:])}
    except ValueError:
        return None


def run_benchmark(argv, timeout):
    """Run one redis-benchmark; its parsed figures, or None when it failed."""
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return parse_csv(done.stdout)


def measure_single(port, workload, requests):
    argv = benchmark_argv(port, CLIENTS, requests, workload["pipeline"]) + ["-t", workload["test"]]
    return run_benchmark(argv, 300)


def measure_mget(port, workload, requests):
    argv = benchmark_argv(port, CLIENTS, requests, workload["pipeline"])
    argv += ["mget"] + ["key:__rand_int__"] * MGET_KEYS
    return run_benchmark(argv, 300)


def measure_mixed(port, workload, requests):
    """80/20 GET/SET: two redis-benchmarks at once, 40 GET and 10 SET clients,
    80% and 20% of the requests.  Throughput is all requests over the longer of
    the two runs (each as redis-benchmark timed it, so process start-up is left
    out); the wall-clock figure is kept beside it."""
    reads = int(requests * 0.8)
    writes = requests - reads
    started = time.time()
    readers = subprocess.Popen(benchmark_argv(port, CLIENTS * 4 // 5, reads, workload["pipeline"])
                               + ["-t", "get"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    writers = subprocess.Popen(benchmark_argv(port, CLIENTS // 5, writes, workload["pipeline"])
                               + ["-t", "set"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    read_out, _ = readers.communicate(timeout=300)
    write_out, _ = writers.communicate(timeout=300)
    elapsed = time.time() - started
    read_figures, write_figures = parse_csv(read_out), parse_csv(write_out)
    if read_figures is None or write_figures is None:
        return None
    busy = max(reads / read_figures["rps"], writes / write_figures["rps"])
    figures = {"rps": requests / busy, "wall_rps": requests / elapsed}
    for prefix, source in (("read_", read_figures), ("write_", write_figures)):
        for key, value in source.items():
            figures[prefix + key] = value
    for key in ("p50_latency_ms", "p95_latency_ms", "p99_latency_ms"):
        figures[key] = figures["read_" + key]
    return figures


MEASURES = {"single": measure_single, "mget": measure_mget, "mixed": measure_mixed}


def start_target(bench, target):
    """Start TARGET's processes; its result record and its processes ([] when
    it failed to start)."""
    name, label, starter, note = target
    result = {"name": name, "label": label, "note": note, "processes": [],
              "workloads": {w["name"]: {"requests": w["requests"] * SCALE,
                                        "pipeline": w["pipeline"], "samples": []}
                            for w in WORKLOADS}}
    try:
        return result, starter(bench)
    except RuntimeError as error:
        result["error"] = str(error)
        print("bench: %s: %s" % (name, error), file=sys.stderr)
        return result, []


def measure_round(result, processes):
    """One round of every workload, in order, against the target's front process."""
    port = processes[0]["port"]
    rates = []
    for workload in WORKLOADS:
        record = result["workloads"][workload["name"]]
        sample = MEASURES[workload["kind"]](port, workload, record["requests"])
        record["samples"].append(sample)
        rates.append("%s %s" % (workload["name"], round(sample["rps"]) if sample else "failed"))
    print("bench: %-18s %s" % (result["name"], ", ".join(rates)), file=sys.stderr)


def record_peak_rss(result, processes):
    for process in processes:
        result["processes"].append({"name": process["name"], "pid": process["pid"],
                                    "peak_rss_kb": proc_status_kb(process["pid"], "VmHWM")})


def bench_targets(bench, targets):
    """Start every target fresh, then run ROUNDS rounds; each round visits every
    target (in an order rotated by one each round), so that load from elsewhere
    on the machine is spread over all targets rather than landing on one.
    Returns the result records; stops everything it started."""
    started = [start_target(bench, target) for target in targets]
    running = [(result, processes) for result, processes in started if processes]
    for round_index in range(ROUNDS):
        print("bench: round %d of %d" % (round_index + 1, ROUNDS), file=sys.stderr)
        shift = round_index % max(len(running), 1)
        for result, processes in running[shift:] + running[:shift]:
            measure_round(result, processes)
    for result, processes in running:
        record_peak_rss(result, processes)
    bench.stop_all()
    return [result for result, _ in started]


# --- memory per idle client connection --------------------------------------

def count_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


def open_idle_clients(port, count):
    """Open up to COUNT idle connections to PORT; returns the open sockets."""
    sockets = []
    for _ in range(count):
        try:
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError as error:
            print("bench: idle connection %d failed: %s" % (len(sockets) + 1, error),
                  file=sys.stderr)
            break
    return sockets


def ping_each(sockets):
    """One PING (RESP multibulk: nutcracker closes on inline commands) per
    socket, waiting for each reply."""
    for conn in sockets:
        conn.sendall(b"*1\r\n$4\r\nPING\r\n")
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = conn.recv(64)
            if not chunk:
                raise RuntimeError("connection closed before PONG")
            reply += chunk


def idle_memory(bench, label, starter, count, used=False):
    """(RSS after COUNT idle clients - RSS before) / COUNT of the proxy process.
    With USED every client sends one PING first, and RSS is read after
    IDLE_SETTLE_SECONDS (idle connections of a pool that has been used)."""
    processes = starter(bench)
    proxy = processes[0]
    time.sleep(0.5)
    fds_before = count_fds(proxy["pid"])
    rss_before = proc_status_kb(proxy["pid"], "VmRSS")
    sockets = open_idle_clients(proxy["port"], count)
    if used:
        ping_each(sockets)
    deadline = time.time() + 60
    while count_fds(proxy["pid"]) < fds_before + len(sockets) and time.time() < deadline:
        time.sleep(0.2)
    accepted = count_fds(proxy["pid"]) - fds_before
    time.sleep(IDLE_SETTLE_SECONDS if used else 1.0)
    rss_after = proc_status_kb(proxy["pid"], "VmRSS")
    for conn in sockets:
        conn.close()
    bench.stop_all()
    opened = len(sockets)
    per_client = (rss_after - rss_before) * 1024.0 / opened if opened else None
    print("bench: idle clients %-12s used=%s opened %d accepted %d rss %d -> %d kB"
          % (label, used, opened, accepted, rss_before, rss_after), file=sys.stderr)
    return {"label": label, "used": used, "requested": count, "opened": opened,
            "accepted": accepted,
            "rss_before_kb": rss_before, "rss_after_kb": rss_after,
            "bytes_per_client": per_client}


def raise_fd_limit():
    """Raise the open-file limit to the hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    except (ValueError, OSError):
        pass
    return soft


def git_revision():
    """The checkout's commit (with -dirty when the tree has changes), or ""."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True).stdout.strip()
    except OSError:
        return ""


def main():
    output = sys.argv[1]
    fd_limit = raise_fd_limit()
    idle_count = min(IDLE_CLIENTS, fd_limit - 200)
    wanted = os.environ.get("BENCH_TARGETS")
    targets = [t for t in TARGETS if not wanted or t[0] in wanted.split(",")]
    bench = Bench()
    started = time.time()
    run = {"date": time.strftime("%Y-%m-%d", time.gmtime()),
           "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "long": LONG, "rounds": ROUNDS, "clients": CLIENTS, "keyspace": KEYSPACE,
           "value_size": VALUE_SIZE, "mget_keys": MGET_KEYS,
           "idle_settle_seconds": IDLE_SETTLE_SECONDS,
           "cpus": os.cpu_count(), "machine": platform.machine(),
           "load_average_start": os.getloadavg(),
           "redis_benchmark": subprocess.run(["redis-benchmark", "--version"],
                                             stdout=subprocess.PIPE, text=True).stdout.strip(),
           "commit": git_revision(),
           "workloads": [w["name"] for w in WORKLOADS], "targets": [], "idle_clients": []}
    try:
        run["targets"] = bench_targets(bench, targets)
        run["fd_limit"] = fd_limit
        for used in (False, True):
            for label, starter in (("herd-proxy", lambda b: herd_proxy_over_nodes(b, 1)),
                                   ("nutcracker", lambda b: nutcracker_over_redis(b, 1))):
                try:
                    run["idle_clients"].append(idle_memory(bench, label, starter, idle_count,
                                                           used))
                except (RuntimeError, OSError) as error:
                    bench.stop_all()
                    print("bench: idle clients %s: %s" % (label, error), file=sys.stderr)
    finally:
        bench.cleanup()
    run["load_average_end"] = os.getloadavg()
    run["seconds"] = round(time.time() - started, 1)
    with open(output, "w") as out:
        json.dump(run, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
