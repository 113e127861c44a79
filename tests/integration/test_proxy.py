"""
test_proxy.py -- herd-proxy in front of 3 herd-nodes (replicas 1, so each
key lives on exactly one node): multi-key split and merge, SCAN/KEYS/DBSIZE
fan-out, a node dying and coming back, pipelining, and the real redis-cli
and redis-benchmark binaries.
"""

import random
import time
import uuid

import pytest
import redis

from harness import run_binary, wait_until

CROSSSLOT = b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"


@pytest.fixture(scope="module")
def cluster(module_processes):
    return module_processes.cluster(node_count=3)


@pytest.fixture
def client(cluster):
    connection = cluster.client()
    yield connection
    connection.close()


def unique(prefix):
    return f"{prefix}:{uuid.uuid4().hex[:12]}"


def keys_on_every_node(cluster, client, prefix, count=30):
    """Sets `count` keys through the proxy; returns {node name: [keys]} and
    checks every node got some (placement spreads keys)."""
    keys = [f"{prefix}:{index}" for index in range(count)]
    client.mset({key: f"value-of-{key}" for key in keys})
    by_node = {node.name: [] for node in cluster.nodes}
    for key in keys:
        holders = cluster.nodes_holding(key)
        assert len(holders) == 1, f"{key} is held by {[h.name for h in holders]} (replicas 1)"
        by_node[holders[0].name].append(key)
    empty = [name for name, held in by_node.items() if not held]
    assert not empty, f"no key of {count} landed on {empty}: {by_node}"
    return by_node


def test_mget_keeps_request_order_across_nodes(cluster, client):
    prefix = unique("mget")
    by_node = keys_on_every_node(cluster, client, prefix)
    keys = [key for held in by_node.values() for key in held]
    random.Random(7).shuffle(keys)
    asked = []
    for index, key in enumerate(keys):
        asked.append(key)
        if index % 4 == 0:
            asked.append(f"{prefix}:missing:{index}")
    asked += keys[:3]   # repeats
    expected = [None if ":missing:" in key else f"value-of-{key}".encode() for key in asked]
    assert client.mget(asked) == expected


def test_del_exists_touch_unlink_counts_across_nodes(cluster, client):
    prefix = unique("count")
    by_node = keys_on_every_node(cluster, client, prefix, count=24)
    keys = [key for held in by_node.values() for key in held]
    missing = [f"{prefix}:none:{index}" for index in range(5)]
    assert client.exists(*keys, *missing) == len(keys)
    assert client.exists(*keys, *keys[:5]) == len(keys) + 5
    assert client.touch(*keys, *missing) == len(keys)
    assert client.delete(*keys[:10], *missing) == 10
    assert client.unlink(*keys[10:], *keys[:10]) == len(keys) - 10
    assert client.exists(*keys) == 0


def test_mset_then_mget_and_each_node_holds_its_part(cluster, client):
    prefix = unique("mset")
    pairs = {f"{prefix}:{index}": f"v{index}".encode() * (index % 7 + 1) for index in range(300)}
    assert client.mset(pairs) is True
    assert client.mget(list(pairs)) == list(pairs.values())
    on_nodes = 0
    for node in cluster.nodes:
        direct = node.client()
        found = [key for key in pairs if direct.exists(key)]
        for key in found:
            assert direct.get(key) == pairs[key]
        on_nodes += len(found)
        direct.close()
    assert on_nodes == len(pairs), "with replicas 1 every key lives on exactly one node"


def test_msetnx_across_slots_is_crossslot(cluster):
    prefix = unique("msetnx")
    first, second = f"{prefix}:a", f"{prefix}:b"
    with cluster.raw() as connection:
        assert connection.command("MSETNX", first, 1, second, 2) == CROSSSLOT
        assert connection.command("EXISTS", first, second) == b":0\r\n"
        tag = f"{{{prefix}}}"
        assert connection.command("MSETNX", f"{tag}a", 1, f"{tag}b", 2) == b":1\r\n"
        assert connection.command("MSETNX", f"{tag}a", 3, f"{tag}c", 4) == b":0\r\n"
        assert connection.command("MGET", f"{tag}a", f"{tag}b", f"{tag}c") == \
            b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"


@pytest.fixture(scope="module")
def two_thousand_keys(cluster):
    """2000 keys under one prefix, written once for the fan-out tests."""
    prefix = unique("fan")
    keys = [f"{prefix}:{index}".encode() for index in range(2000)]
    client = cluster.client()
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.set(key, b"x")
    assert all(pipe.execute())
    client.close()
    return prefix, keys


def test_scan_returns_every_key_exactly_once(cluster, two_thousand_keys):
    prefix, keys = two_thousand_keys
    client = cluster.client()
    seen, cursor, rounds = [], 0, 0
    while True:
        cursor, page = client.scan(cursor=cursor, match=f"{prefix}:*", count=10)
        seen.extend(page)
        rounds += 1
        assert rounds < 100000, "SCAN never returned cursor 0"
        if cursor == 0:
            break
    duplicates = len(seen) - len(set(seen))
    assert duplicates == 0, f"SCAN returned {duplicates} keys more than once"
    assert sorted(seen) == sorted(keys)
    # Without MATCH too: every key of the whole database once.
    everything = []
    cursor = 0
    while True:
        cursor, page = client.scan(cursor=cursor, count=10)
        everything.extend(page)
        if cursor == 0:
            break
    assert len(everything) == len(set(everything))
    assert set(keys) <= set(everything)
    assert len(everything) == client.dbsize()
    client.close()


def test_keys_and_dbsize_fan_out(cluster, two_thousand_keys):
    prefix, keys = two_thousand_keys
    client = cluster.client()
    assert sorted(client.keys(f"{prefix}:*")) == sorted(keys)
    assert sorted(client.keys(f"{prefix}:1?")) == sorted(
        f"{prefix}:{index}".encode() for index in range(10, 20))
    node_total = sum(node.client().dbsize() for node in cluster.nodes)
    assert client.dbsize() == node_total
    assert client.dbsize() >= len(keys)
    client.close()


def test_pipeline_replies_come_back_in_order(cluster, client):
    prefix = unique("pipe")
    pipe = client.pipeline(transaction=False)
    expected = []
    for index in range(200):
        key = f"{prefix}:{index}"
        pipe.set(key, index)
        expected.append(True)
        pipe.incr(key)
        expected.append(index + 1)
        pipe.get(key)
        expected.append(str(index + 1).encode())
        pipe.mget(key, f"{prefix}:{index // 2}", f"{prefix}:none")
        expected.append([str(index + 1).encode(), None, None])   # checked below
        pipe.exists(key, f"{prefix}:none")
        expected.append(1)
        if index % 50 == 0:
            pipe.set(f"{prefix}:text", "abc")
            expected.append(True)
            pipe.incr(f"{prefix}:text")
            expected.append(redis.ResponseError)
    results = pipe.execute(raise_on_error=False)
    assert len(results) == len(expected)
    for index, (got, want) in enumerate(zip(results, expected)):
        if want is redis.ResponseError:
            assert isinstance(got, redis.ResponseError), f"reply {index}: {got!r}"
            assert "not an integer" in str(got)
        elif isinstance(want, list):
            assert isinstance(got, list) and got[0] == want[0] and got[2] is None, \
                f"reply {index}: {got!r}"
        else:
            assert got == want, f"reply {index}: expected {want!r}, got {got!r}"


def test_redis_cli_works(cluster):
    port = str(cluster.proxy.port)
    prefix = unique("cli")
    base = ["redis-cli", "-h", cluster.proxy.host, "-p", port]
    result = run_binary(base + ["SET", f"{prefix}:a", "hello world"])
    assert result.returncode == 0 and result.stdout.strip() == b"OK", result
    result = run_binary(base + ["GET", f"{prefix}:a"])
    assert result.stdout.strip() == b"hello world", result
    client = cluster.client()
    keys = {f"{prefix}:{index}".encode() for index in range(50)}
    client.mset({key: b"1" for key in keys})
    keys.add(f"{prefix}:a".encode())
    result = run_binary(base + ["--scan", "--pattern", f"{prefix}:*"], timeout=30)
    assert result.returncode == 0, result
    scanned = result.stdout.split(b"\n")
    scanned = [line for line in scanned if line]
    assert sorted(scanned) == sorted(keys)
    result = run_binary(base + ["--scan"], timeout=30)
    assert result.returncode == 0
    assert keys <= set(result.stdout.split(b"\n"))
    result = run_binary(base + ["DBSIZE"])
    assert result.returncode == 0 and int(result.stdout) >= len(keys)
    client.close()


def test_redis_benchmark_runs_clean(cluster):
    result = run_binary(["redis-benchmark", "-h", cluster.proxy.host,
                         "-p", str(cluster.proxy.port), "-n", "2000", "-c", "10",
                         "-t", "set,get", "-q"], timeout=60)
    output = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 0, output
    bad = [line for line in output.splitlines()
           if "error" in line.lower() or line.startswith(("ERR", "-ERR"))]
    assert not bad, output
    assert "SET:" in output and "GET:" in output, output


@pytest.mark.timeout(90)
def test_node_killed_then_restarted(processes):
    cluster = processes.cluster(node_count=3)
    client = cluster.client()
    prefix = unique("fail")
    by_node = keys_on_every_node(cluster, client, prefix, count=30)
    victim = cluster.nodes[1]
    victim_keys = by_node[victim.name]
    other_keys = [key for name, held in by_node.items() if name != victim.name for key in held]

    victim.kill9()
    with cluster.raw(timeout=10) as connection:
        for key in victim_keys:
            started = time.monotonic()
            reply = connection.command("GET", key)
            took = time.monotonic() - started
            assert reply.startswith(b"-ERR"), f"GET {key} with its node dead: {reply!r}"
            assert took < 5, f"GET {key} took {took:.1f}s with its node dead"
        for key in other_keys:
            assert connection.command("GET", key) == b"$%d\r\nvalue-of-%s\r\n" % (
                len(f"value-of-{key}"), key.encode())
        # Writes to live nodes go on; the connection stays usable.
        assert connection.command("SET", other_keys[0], "changed") == b"+OK\r\n"
        assert connection.command("PING") == b"+PONG\r\n"
        mixed = connection.command("MGET", other_keys[1], victim_keys[0])
        assert mixed.startswith(b"-ERR"), f"MGET touching a dead node: {mixed!r}"
    assert cluster.proxy.running()

    victim.restart()

    def served_again():
        with cluster.raw(timeout=5) as connection:
            return all(connection.command("GET", key).startswith(b"$") for key in victim_keys)
    wait_until(served_again, timeout=15, message="the proxy serving the restarted node")
    fresh = cluster.client()
    assert fresh.mget(victim_keys) == [f"value-of-{key}".encode() for key in victim_keys]
    assert fresh.get(other_keys[0]) == b"changed"
    fresh.close()
    client.close()


# ---------------------------------------------------------------------------
# Placement agreement: proxies with the same membership route identically.
# ---------------------------------------------------------------------------

def placement_digest(proxy):
    info = proxy.client().info("nodes")
    return info["placement_digest"]


@pytest.mark.timeout(60)
def test_two_proxies_with_equal_digests_route_every_key_identically(processes):
    """DESIGN.md: a digest of the membership is exposed, and two proxies
    with equal digests route every key identically -- here with the node
    lines in a different order and replicas 3."""
    nodes = [processes.node(index=index, name=f"node-{index}") for index in range(3)]
    first = processes.proxy(nodes, replicas=3, name="proxy-a")
    second = processes.proxy(list(reversed(nodes)), replicas=3, name="proxy-b")
    assert placement_digest(first) == placement_digest(second)

    writer, reader = first.client(), second.client()
    keys = [f"placement:{index}".encode() for index in range(3000)]
    pipeline = writer.pipeline(transaction=False)
    for key in keys:
        pipeline.set(key, key)
    assert all(pipeline.execute())
    # Every key read through the other proxy comes from the node that holds it.
    assert reader.mget(keys) == keys
    # And each key was written to exactly one node.
    held = [node.client().dbsize() for node in nodes]
    assert sum(held) == len(keys) and all(count > 0 for count in held), held


@pytest.mark.timeout(60)
def test_different_membership_gives_a_different_digest(processes):
    nodes = [processes.node(index=index, name=f"node-{index}") for index in range(3)]
    three = processes.proxy(nodes, replicas=3, name="proxy-three")
    two = processes.proxy(nodes[:2], replicas=3, name="proxy-two")
    assert placement_digest(three) != placement_digest(two)
