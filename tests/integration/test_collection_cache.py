"""
test_collection_cache.py -- herd-node keeps hot collections decoded between
commands and writes their changes once per batch (node/collection.h).  These
tests send whole pipelines in one write, so every command of a pipeline runs
in one batch, mixing collection writes with everything else that reads or
rewrites the same keys (TYPE, OBJECT, RENAME, COPY, DEL, EXPIRE, SET over a
collection, FLUSHALL, slot-crossing SCAN), and compare every reply with a
real redis-server.  Then the node is killed with -9 right after the replies:
every acknowledged change must be on disk.
"""

import pytest

BIG = 1500   # elements: enough for stored pages


def big_fill(key, kind):
    """Commands that build a big collection of one kind in one pipeline."""
    if kind == "hash":
        return [("HSET", key, f"f{i}", f"v{i}") for i in range(BIG)]
    if kind == "list":
        return [("RPUSH", key, f"e{i}") for i in range(BIG)]
    if kind == "set":
        return [("SADD", key, f"m{i}") for i in range(BIG)]
    return [("ZADD", key, str(i % 97), f"m{i}") for i in range(BIG)]


def reads(key, kind):
    """Commands that read a collection back whole (deterministic replies)."""
    if kind == "hash":
        return [("HLEN", key), ("HGET", key, "f7"), ("HSTRLEN", key, "f1000")]
    if kind == "list":
        return [("LLEN", key), ("LRANGE", key, "0", "-1"), ("LINDEX", key, "-3")]
    if kind == "set":
        return [("SCARD", key), ("SISMEMBER", key, "m5"), ("SMISMEMBER", key, "m1", "x")]
    return [("ZCARD", key), ("ZRANGE", key, "0", "-1", "WITHSCORES"), ("ZRANK", key, "m9")]


KINDS = ["hash", "list", "set", "zset"]


def mixed_pipeline(kind):
    """One pipeline that writes a collection and, in the same batch, reads
    and rewrites its key through every other path."""
    key, other, copy = "{c}src", "{c}dst", "{c}copy"
    commands = [("FLUSHALL",)]
    commands += big_fill(key, kind)
    commands += reads(key, kind)
    commands += [("TYPE", key), ("EXISTS", key), ("TTL", key)]
    commands += [("EXPIRE", key, "1000"), ("TTL", key)]
    commands += big_fill(key, kind)[:10]           # writes after EXPIRE
    commands += reads(key, kind)
    commands += [("COPY", key, copy)]
    commands += reads(copy, kind)
    commands += [("RENAME", key, other), ("EXISTS", key), ("TTL", other)]
    commands += reads(other, kind)
    commands += big_fill(other, kind)[:5]
    commands += [("DEL", other), ("EXISTS", other)]
    commands += reads(other, kind)
    commands += big_fill(other, kind)[:20]         # the same key, a new collection
    commands += reads(other, kind)
    commands += [("SET", copy, "now a string"), ("GET", copy), ("TYPE", copy)]
    commands += big_fill(copy, kind)[:1]           # WRONGTYPE now
    commands += [("DBSIZE",)]
    return commands


@pytest.fixture
def pair(processes):
    node = processes.node(index=0, name="cache-node")
    reference = processes.redis(name="cache-reference", options={"databases": 1})
    return node, reference


def canonical(reply):
    """herd answers RENAME/COPY etc. exactly as Redis; only unordered
    replies would need sorting, and these pipelines have none."""
    return reply


@pytest.mark.parametrize("kind", KINDS)
def test_one_batch_mixing_every_path_matches_redis(pair, kind):
    node, reference = pair
    commands = mixed_pipeline(kind)
    with node.raw() as herd, reference.raw() as redis:
        expected = redis.pipeline(commands)
        actual = herd.pipeline(commands)
    differences = [
        f"{' '.join(map(str, command))[:60]}: redis {want[:80]!r} herd {got[:80]!r}"
        for command, want, got in zip(commands, expected, actual)
        if canonical(want) != canonical(got)
    ]
    assert not differences, "\n".join(differences[:20])


@pytest.mark.parametrize("kind", KINDS)
def test_acknowledged_batch_survives_kill9(pair, kind):
    node, reference = pair
    commands = [("FLUSHALL",)] + big_fill("{c}k", kind) + big_fill("{c}k2", kind)[:50]
    with node.raw() as herd, reference.raw() as redis:
        herd.pipeline(commands)
        redis.pipeline(commands)
    node.kill9()
    node.start()
    checks = reads("{c}k", kind) + reads("{c}k2", kind) + [("DBSIZE",)]
    with node.raw() as herd, reference.raw() as redis:
        assert herd.pipeline(checks) == redis.pipeline(checks)


def test_flushall_in_the_middle_of_a_batch(pair):
    node, reference = pair
    commands = (big_fill("h", "hash") + [("FLUSHALL",)] + big_fill("h", "hash")[:3]
                + [("HLEN", "h"), ("DBSIZE",)])
    with node.raw() as herd, reference.raw() as redis:
        assert herd.pipeline(commands) == redis.pipeline(commands)
    node.restart()
    with node.raw() as herd:
        assert herd.call("HLEN", "h") == 3
        assert herd.call("DBSIZE") == 1
