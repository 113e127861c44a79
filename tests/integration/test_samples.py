"""
test_samples.py -- what README promises works as written: the sample
configs in conf/ start real processes, and `make run`'s script
(scripts/run-cluster.sh) starts 1 proxy + 3 nodes that redis-cli can use and
stops all of them on SIGTERM.
"""

import os
import re
import signal
import subprocess
import time

import pytest

from harness import (REPO_ROOT, RespClient, build_dir, free_port, herd_binary, spawn,
                     wait_until)

NODE_SAMPLE = REPO_ROOT / "conf" / "herd-node.conf"
PROXY_SAMPLE = REPO_ROOT / "conf" / "herd-proxy.conf"


def answers_ping(port):
    try:
        with RespClient("127.0.0.1", port, timeout=2.0) as client:
            return client.command("PING") == b"+PONG\r\n"
    except OSError:
        return False


def stop(process, timeout=10):
    """SIGTERM by PID; returns the exit status (SIGKILL if it hangs)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def redis_cli(port, *args):
    result = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                            timeout=10, check=True)
    return result.stdout.decode().strip()


@pytest.mark.timeout(60)
def test_sample_configs_start_a_node_and_a_proxy(tmp_path):
    node_port, proxy_port = free_port(), free_port()
    node = spawn([herd_binary("herd-node"), str(NODE_SAMPLE), "--port", str(node_port),
                  "--dir", str(tmp_path / "deep" / "data")], tmp_path / "node.log")
    proxy = None
    try:
        wait_until(lambda: answers_ping(node_port), message="the sample node answers PING")
        proxy = spawn([herd_binary("herd-proxy"), str(PROXY_SAMPLE),
                       "--port", str(proxy_port), "--node", f"127.0.0.1:{node_port}", "n1"],
                      tmp_path / "proxy.log")
        wait_until(lambda: answers_ping(proxy_port), message="the sample proxy answers PING")
        assert redis_cli(proxy_port, "SET", "sample", "works") == "OK"
        assert redis_cli(node_port, "GET", "sample") == "works"
    finally:
        statuses = [stop(process) for process in (proxy, node) if process is not None]
    assert statuses == [0, 0], (tmp_path / "node.log").read_text(errors="replace")


def cluster_pids(output):
    """The PIDs run-cluster.sh printed ("  node1  pid 1234  log ...")."""
    return [int(pid) for pid in re.findall(r"pid (\d+)", output)]


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.timeout(90)
def test_make_run_starts_a_cluster_and_stops_it(tmp_path):
    node_ports = [free_port() for _ in range(3)]
    proxy_port = free_port()
    environment = {**os.environ, "BUILD_DIR": str(build_dir()),
                   "HERD_RUN_DIR": str(tmp_path / "cluster"),
                   "HERD_NODE_PORTS": " ".join(map(str, node_ports)),
                   "HERD_PROXY_PORT": str(proxy_port)}
    log_path = tmp_path / "run-cluster.log"
    with open(log_path, "wb") as log:
        script = subprocess.Popen(["bash", str(REPO_ROOT / "scripts" / "run-cluster.sh")],
                                  cwd=REPO_ROOT, env=environment, stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=subprocess.STDOUT)
    pids = []
    try:
        # "press Ctrl-C" is printed after the connect line and the four PIDs.
        wait_until(lambda: "press Ctrl-C" in log_path.read_text(errors="replace"),
                   timeout=30, message="run-cluster.sh reports the cluster running")
        output = log_path.read_text(errors="replace")
        assert f"redis-cli -p {proxy_port}" in output
        pids = cluster_pids(output)
        assert len(pids) == 4, output
        for index in range(50):
            assert redis_cli(proxy_port, "SET", f"key:{index}", str(index)) == "OK"
        assert redis_cli(proxy_port, "DBSIZE") == "50"
        # Replicas 3 on three nodes: every node holds every key.
        counts = [int(redis_cli(port, "DBSIZE")) for port in node_ports]
        assert counts == [50, 50, 50], counts
        assert redis_cli(proxy_port, "CLUSTER", "INFO").count("cluster_known_nodes:3") == 1
        assert stop(script, timeout=30) == 0
        wait_until(lambda: not any(alive(pid) for pid in pids), timeout=10,
                   message="every process of the cluster has exited")
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
