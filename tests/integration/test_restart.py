"""
test_restart.py -- acknowledged writes survive kill -9 and restarts.

A write that got its reply must be there, with its value and TTL, after the
node is killed with SIGKILL right after the reply and restarted on the same
data directory -- with `fsync always` and with the default `everysec`
(kill -9 does not lose the OS page cache, so both must keep everything).
The same through the proxy, the same under a concurrent write load, and the
same after a clean SIGTERM shutdown.
"""

import threading
import time

import pytest

from harness import ConnectionClosed, RespClient, wait_until

FSYNC_POLICIES = ["always", "everysec"]
BIG_VALUE = bytes(range(256)) * 4096          # 1 MB


def write_workload(client, prefix):
    """Writes a mix of commands; returns (expected, gone, times).

    expected: key -> (value bytes, TTL seconds or None); gone: keys that
    must not exist; times: (time.monotonic() before the first TTL write,
    time.monotonic() when the 300 ms keys will all have expired).
    """
    expected, gone = {}, []
    started = time.monotonic()
    for index in range(100):
        key = f"{prefix}:plain:{index}"
        assert client.set(key, f"value-{index}")
        expected[key] = (f"value-{index}".encode(), None)
    for index in range(50):
        key = f"{prefix}:ttl:{index}"
        assert client.set(key, f"ttl-{index}", ex=1000)
        expected[key] = (f"ttl-{index}".encode(), 1000)
    for index in range(20):
        key = f"{prefix}:short:{index}"
        assert client.set(key, "short", px=300)
        gone.append(key)
    expired_by = time.monotonic() + 0.35
    for index in range(20):
        key = f"{prefix}:counter:{index}"
        for _ in range(5):
            client.incr(key)
        expected[key] = (b"5", None)
    for index in range(20):
        key = f"{prefix}:append:{index}"
        client.append(key, "a")
        client.append(key, "b")
        expected[key] = (b"ab", None)
    for index in range(30):
        key = f"{prefix}:deleted:{index}"
        assert client.set(key, "x")
        if index % 2:
            assert client.delete(key) == 1
            gone.append(key)
        else:
            expected[key] = (b"x", None)
    for index in range(10):
        key = f"{prefix}:expire:{index}"
        assert client.set(key, "e")
        assert client.expire(key, 500)
        expected[key] = (b"e", 500)
    for index in range(10):
        key = f"{prefix}:persist:{index}"
        assert client.set(key, "p", ex=1000)
        assert client.persist(key)
        expected[key] = (b"p", None)
    key = f"{prefix}:big"
    assert client.set(key, BIG_VALUE)
    expected[key] = (BIG_VALUE, None)
    key = f"{prefix}:bin:\x00\r\n".encode() + b"\xff"
    assert client.set(key, b"\x00\r\n\xff")
    expected[key] = (b"\x00\r\n\xff", None)
    return expected, gone, (started, expired_by)


def check_workload(client, expected, gone, times):
    """Every expected key with its value and a TTL that only counted down."""
    started, expired_by = times
    # Keys written with PX 300 must have expired by now.
    remaining = expired_by - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
    elapsed = time.monotonic() - started
    problems = []
    keys = list(expected)
    values = client.mget(keys)
    for key, value in zip(keys, values):
        want, ttl = expected[key]
        if value != want:
            shown = value if value is None or len(value) < 60 else value[:60] + b"..."
            problems.append(f"{key!r}: expected {want[:60]!r}, got {shown!r}")
            continue
        got_ttl = client.ttl(key)
        if ttl is None and got_ttl != -1:
            problems.append(f"{key!r}: expected no TTL, got {got_ttl}")
        elif ttl is not None and not ttl - elapsed - 2 <= got_ttl <= ttl:
            problems.append(f"{key!r}: expected TTL about {ttl - elapsed:.0f}, got {got_ttl}")
    present = [key for key in gone if client.exists(key)]
    if present:
        problems.append(f"{len(present)} deleted or expired keys exist: {present[:5]}")
    assert not problems, f"{len(problems)} problems after restart:\n" + "\n".join(problems[:30])


@pytest.mark.parametrize("fsync", FSYNC_POLICIES)
def test_node_kill9_right_after_replies(processes, fsync):
    node = processes.node(fsync=fsync)
    client = node.client()
    expected, gone, times = write_workload(client, "crash")
    node.kill9()
    client.close()
    node.restart()
    check_workload(node.client(), expected, gone, times)


@pytest.mark.parametrize("fsync", FSYNC_POLICIES)
def test_proxy_writes_survive_kill9_of_every_node(processes, fsync):
    cluster = processes.cluster(node_count=3, fsync=fsync)
    client = cluster.client()
    expected, gone, times = write_workload(client, "crash-proxy")
    for node in cluster.nodes:
        node.kill9()
    for node in cluster.nodes:
        node.start(wait=False)
    for node in cluster.nodes:
        node.wait_ready()
    cluster.wait_routable()
    check_workload(cluster.client(), expected, gone, times)
    client.close()


class Writer(threading.Thread):
    """Writes unique keys one at a time and records each acknowledged one."""

    def __init__(self, host, port, prefix):
        super().__init__(daemon=True)
        self.host, self.port, self.prefix = host, port, prefix
        self.acked = []
        self.error = None
        self.stop_requested = threading.Event()

    def run(self):
        try:
            connection = RespClient(self.host, self.port, timeout=10)
        except OSError as error:
            self.error = error
            return
        index = 0
        try:
            while not self.stop_requested.is_set():
                key = f"{self.prefix}:{index}"
                reply = connection.command("SET", key, f"v{index}")
                if reply != b"+OK\r\n":
                    self.error = reply
                    return
                self.acked.append(key)
                index += 1
        except (ConnectionClosed, OSError) as error:
            self.error = error      # expected: the server was killed
        finally:
            connection.close()


def run_load_then_kill(entry, kill, prefix, writers=2, duration=0.8):
    """Starts writers against entry, kills during the load, returns acked keys."""
    threads = [Writer(entry.host, entry.port, f"{prefix}:{index}") for index in range(writers)]
    for thread in threads:
        thread.start()
    time.sleep(duration)
    kill()
    for thread in threads:
        thread.stop_requested.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "a writer thread hung after the kill"
    acked = [key for thread in threads for key in thread.acked]
    assert len(acked) > 50, f"only {len(acked)} writes were acknowledged in {duration}s"
    return acked


def check_acked(client, acked):
    missing = []
    for start in range(0, len(acked), 500):
        batch = acked[start:start + 500]
        for key, value in zip(batch, client.mget(batch)):
            expected = f"v{key.rsplit(':', 1)[1]}".encode()
            if value != expected:
                missing.append((key, value))
    assert not missing, (f"{len(missing)} of {len(acked)} acknowledged writes lost or wrong "
                         f"after kill -9: {missing[:10]}")


@pytest.mark.timeout(90)
@pytest.mark.parametrize("fsync", FSYNC_POLICIES)
def test_node_kill9_during_concurrent_writes(processes, fsync):
    node = processes.node(fsync=fsync)
    acked = run_load_then_kill(node, node.kill9, f"load-{fsync}")
    node.restart()
    check_acked(node.client(), acked)


@pytest.mark.timeout(90)
def test_proxy_kill9_of_nodes_during_concurrent_writes(processes):
    cluster = processes.cluster(node_count=3)

    def kill_every_node():
        for node in cluster.nodes:
            node.kill9()

    acked = run_load_then_kill(cluster.proxy, kill_every_node, "load-proxy", writers=3)
    for node in cluster.nodes:
        node.start()
    cluster.wait_routable()
    check_acked(cluster.client(), acked)


def test_clean_shutdown_then_restart_node(processes):
    node = processes.node()
    expected, gone, times = write_workload(node.client(), "clean")
    node.stop()                 # raises unless status 0 and a clean log
    node.start()
    check_workload(node.client(), expected, gone, times)


def test_clean_shutdown_then_restart_cluster(processes):
    cluster = processes.cluster(node_count=3)
    expected, gone, times = write_workload(cluster.client(), "clean-cluster")
    cluster.stop()
    for process in cluster.nodes + [cluster.proxy]:
        process.start()
    cluster.wait_routable()
    check_workload(cluster.client(), expected, gone, times)


def test_restart_twice_keeps_data_and_accepts_writes(processes):
    node = processes.node(fsync="always")
    client = node.client()
    client.set("first", "1")
    node.kill9()
    node.restart()
    client = node.client()
    assert client.get("first") == b"1"
    client.set("second", "2")
    node.kill9()
    node.restart()
    client = node.client()
    assert client.mget(["first", "second"]) == [b"1", b"2"]
    wait_until(lambda: client.dbsize() == 2, timeout=5, message="DBSIZE 2 after restarts")
