"""
test_command_table.py -- COMMAND and HELLO as client libraries use them on
connect, through herd-node and herd-proxy, checked against a real
redis-server 7.0 where herd answers the same.

COMMAND INFO must agree with Redis on the fields clients route by (name,
arity, flags, key positions, ACL categories); herd knows fewer commands, so
COMMAND COUNT is herd's own number, and COMMAND INFO of a command herd does
not have is nil.
"""

import pytest
import redis

# Every command herd supports today that redis-py or a cluster-aware client
# inspects, plus keyless and multi-key shapes.
COMPARED = ["get", "set", "mset", "msetnx", "mget", "del", "exists", "scan", "keys",
            "incrbyfloat", "getex", "ping", "hello", "client", "dbsize", "flushall"]

# The data-type and keyspace commands: cluster-aware clients route by these
# fields, so they must be Redis's, including "movablekeys" and "blocking".
COMPARED += """
    hset hsetnx hget hmget hmset hdel hexists hlen hstrlen hkeys hvals hgetall
    hincrby hincrbyfloat hrandfield hscan
    lpush rpush lpushx rpushx lpop rpop llen lrange lindex lset linsert lrem ltrim
    lpos lmove rpoplpush blpop brpop blmove brpoplpush lmpop blmpop
    sadd srem smembers sismember smismember scard spop srandmember smove sinter
    sunion sdiff sintercard sinterstore sunionstore sdiffstore sscan
    zadd zrem zscore zmscore zincrby zcard zcount zlexcount zrange zrangestore
    zrangebyscore zrangebylex zrevrange zrevrangebyscore zrevrangebylex zrank
    zrevrank zpopmin zpopmax zrandmember zremrangebyscore zremrangebyrank
    zremrangebylex zunionstore zinterstore zdiffstore zunion zinter zdiff
    zintercard zmpop bzpopmin bzpopmax bzmpop zscan
    rename renamenx copy object
""".split()


@pytest.fixture(scope="module")
def reference(module_processes):
    return module_processes.redis(name="reference")


@pytest.fixture(scope="module")
def node(module_processes):
    return module_processes.node(index=0, name="command-node")


@pytest.fixture(scope="module")
def proxy(module_processes):
    return module_processes.cluster(node_count=3).proxy


def raw_command(server, *args):
    """The parsed reply of one command, without redis-py's reshaping."""
    client = server.client()
    connection = client.connection_pool.get_connection("_")
    try:
        connection.send_command(*args)
        return connection.read_response()
    finally:
        client.connection_pool.release(connection)
        client.close()


@pytest.mark.parametrize("target", ["node", "proxy"])
@pytest.mark.parametrize("name", COMPARED)
def test_command_info_agrees_with_redis(target, name, reference, request):
    server = request.getfixturevalue(target)
    expected = raw_command(reference, "COMMAND", "INFO", name)[0]
    actual = raw_command(server, "COMMAND", "INFO", name)[0]
    assert actual is not None, f"COMMAND INFO {name} is nil on {target}"
    # name, arity, flags, first key, last key, step, ACL categories
    assert actual[:7] == expected[:7]


@pytest.mark.parametrize("target", ["node", "proxy"])
def test_command_count_matches_the_listing(target, request):
    server = request.getfixturevalue(target)
    count = raw_command(server, "COMMAND", "COUNT")
    listing = raw_command(server, "COMMAND")
    assert count == len(listing) >= len(COMPARED)
    names = {entry[0] for entry in listing}
    assert {name.encode() for name in COMPARED} <= names
    assert raw_command(server, "COMMAND", "INFO", "nosuchcommand") == [None]


@pytest.mark.parametrize("target", ["node", "proxy"])
def test_command_docs_has_summary_and_group(target, reference, request):
    server = request.getfixturevalue(target)
    expected = dict(zip(*[iter(raw_command(reference, "COMMAND", "DOCS", "get")[1])] * 2))
    name, docs = raw_command(server, "COMMAND", "DOCS", "get")
    docs = dict(zip(docs[::2], docs[1::2]))
    assert name == b"get"
    assert docs[b"summary"] == expected[b"summary"]
    assert docs[b"group"] == expected[b"group"]


@pytest.mark.parametrize("target", ["node", "proxy"])
def test_redis_py_reads_the_command_table(target, request):
    """redis-py's own COMMAND parser accepts herd's reply."""
    server = request.getfixturevalue(target)
    client = server.client()
    try:
        table = client.command()
        assert table["get"]["arity"] == 2
        assert table["mset"]["step_count"] == 2
    finally:
        client.close()


@pytest.mark.parametrize("target", ["node", "proxy"])
def test_hello(target, request):
    server = request.getfixturevalue(target)
    reply = raw_command(server, "HELLO", "2")
    fields = dict(zip(reply[::2], reply[1::2]))
    assert fields[b"proto"] == 2
    assert fields[b"server"] == b"herd"
    assert isinstance(fields[b"id"], int)
    with pytest.raises(redis.ResponseError, match="NOPROTO"):
        raw_command(server, "HELLO", "3")
