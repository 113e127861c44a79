"""
test_proxy_types.py -- hashes, lists, sets, sorted sets and RENAME, RENAMENX,
COPY, OBJECT through herd-proxy in front of 3 herd-nodes (one copy per key):

  - every command reaches the node of its key: keys are spread over all
    nodes, each node is asked directly that the key lives there and only
    there, and the replies through the proxy are those of a real
    redis-server given the same commands;
  - a multi-key command the proxy does not split needs all its keys in one
    slot: CROSSSLOT otherwise (as Redis Cluster answers), the Redis reply
    with {tag} keys;
  - movable-key commands (ZUNIONSTORE dest numkeys key..., LMPOP, BZMPOP...)
    route by the keys Redis finds, and an invalid numkeys still reaches a
    node, which answers Redis's exact error;
  - COMMAND GETKEYS (node and proxy) agrees with redis-server;
  - a pipeline mixing every type in one write gets its replies in order.

Where Redis does not specify an order (HKEYS, SMEMBERS, SINTER...) replies
are compared sorted.
"""

import random
import uuid

import pytest

from harness import encode_command, parse_reply

CROSSSLOT = b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"


# ---------------------------------------------------------------------------
# Slots and keys
# ---------------------------------------------------------------------------

def crc16_xmodem(data):
    """CRC16-XMODEM (polynomial 0x1021, initial value 0), as Redis Cluster."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def key_slot(key):
    """The slot of a key, hashing only a non-empty {tag} when there is one."""
    if isinstance(key, str):
        key = key.encode()
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc16_xmodem(key) % 16384


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def holders(cluster, key):
    """Names of the nodes that hold `key` (asked directly)."""
    return [node.name for node in cluster.nodes_holding(key)]


def tag_per_node(cluster, connection, prefix, wanted=1):
    """{node name: [tags]}: `wanted` hash tags whose keys live on each node,
    found by writing a probe key per tag and asking every node."""
    found = {node.name: [] for node in cluster.nodes}
    for index in range(400):
        tag = f"{prefix}.{index}"
        probe = f"{{{tag}}}probe"
        assert connection.command("SET", probe, "x") == b"+OK\r\n"
        held = holders(cluster, probe)
        assert len(held) == 1, f"{probe} is on {held} (replicas 1)"
        assert connection.command("DEL", probe) == b":1\r\n"
        if len(found[held[0]]) < wanted:
            found[held[0]].append(tag)
        if all(len(tags) == wanted for tags in found.values()):
            return found
    raise AssertionError(f"no tags found for some node: {found}")


# ---------------------------------------------------------------------------
# Comparing with redis-server
# ---------------------------------------------------------------------------

def sorted_reply(raw):
    """A flat array reply compared as a multiset (unspecified order)."""
    value = parse_reply(raw)
    return sorted(value) if isinstance(value, list) else value


def pairs_reply(raw):
    """HGETALL-shaped reply compared as a dict."""
    value = parse_reply(raw)
    return dict(zip(value[::2], value[1::2])) if isinstance(value, list) else value


UNORDERED = {"HKEYS", "HVALS", "SMEMBERS", "SINTER", "SUNION", "SDIFF"}
PAIRS = {"HGETALL"}


def comparable(command, raw):
    name = command[0].upper() if isinstance(command[0], str) else command[0].decode().upper()
    if name in UNORDERED:
        return sorted_reply(raw)
    if name in PAIRS:
        return pairs_reply(raw)
    return raw


def run_both(reference, target, commands):
    """Sends `commands` one by one to both; returns the differences."""
    differences = []
    for command in commands:
        expected = comparable(command, reference.command(*command))
        actual = comparable(command, target.command(*command))
        if expected != actual:
            differences.append(f"{command!r}: redis {expected!r}, herd {actual!r}")
    return differences


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster(module_processes):
    return module_processes.cluster(node_count=3)


@pytest.fixture(scope="module")
def reference(module_processes):
    return module_processes.redis(name="reference")


@pytest.fixture
def proxy_side(cluster):
    with cluster.raw() as connection:
        yield connection


@pytest.fixture
def redis_side(reference):
    with reference.raw() as connection:
        yield connection


@pytest.fixture(scope="module")
def node_tags(cluster):
    """One hash tag per node (keys "{tag}..." live on that node)."""
    with cluster.raw() as connection:
        return tag_per_node(cluster, connection, unique("tag"))


# ---------------------------------------------------------------------------
# COMMAND GETKEYS
# ---------------------------------------------------------------------------

GETKEYS_CASES = [
    ("get", "k"),
    ("mset", "a", "1", "b", "2"),
    ("hset", "h", "f", "v"),
    ("smove", "a", "b", "m"),
    ("sinterstore", "d", "a", "b"),
    ("lmove", "a", "b", "left", "right"),
    ("blpop", "a", "b", "c", "0"),
    ("bzpopmin", "a", "0"),
    ("blmove", "a", "b", "left", "left", "0"),
    ("rename", "a", "b"),
    ("copy", "a", "b", "db", "1"),
    ("zrangestore", "d", "s", "0", "-1"),
    ("zunionstore", "d", "2", "a", "b"),
    ("zunionstore", "d", "2", "a", "b", "weights", "1", "2"),
    ("zinterstore", "d", "1", "a"),
    ("zdiffstore", "d", "3", "a", "b", "c"),
    ("zunion", "2", "a", "b"),
    ("zinter", "1", "a", "withscores"),
    ("zdiff", "2", "a", "b"),
    ("zintercard", "2", "a", "b", "limit", "1"),
    ("sintercard", "1", "a"),
    ("lmpop", "2", "a", "b", "left"),
    ("lmpop", "2", "a", "left"),
    ("zmpop", "1", "a", "min", "count", "2"),
    ("blmpop", "0", "2", "a", "b", "left"),
    ("bzmpop", "1.5", "1", "a", "min"),
    ("bzmpop", "x", "1", "a", "min"),
    # numkeys Redis refuses
    ("zunionstore", "d", "0", "a"),
    ("zunionstore", "d", "-1", "a", "b"),
    ("zunionstore", "d", "5", "a"),
    ("zunionstore", "d", "x", "a"),
    ("zunionstore", "d", "", "a"),
    ("zunionstore", "d", "-0", "a"),
    ("zunion", "3", "a", "b"),
    ("zunion", "0", "a"),
    ("zintercard", "0", "a"),
    ("sintercard", "2", "a"),
    ("lmpop", "0", "a", "left"),
    ("lmpop", "3", "a", "left"),
    ("zmpop", "-1", "a", "min"),
    ("blmpop", "0", "0", "a", "left"),
    ("blmpop", "0", "x", "a", "left"),
    ("bzmpop", "0", "3", "a", "min"),
    # overflow, and numkeys only atoi() reads (destination listed last)
    ("zunionstore", "d", "99999999999999999999", "a"),
    ("zunionstore", "d", "9223372036854775807", "a"),
    ("zunionstore", "d", "-9223372036854775808", "a"),
    ("zunionstore", "d", "18446744073709551617", "a"),
    ("zunionstore", "d", "4294967297", "a"),
    ("zunionstore", "d", "-4294967295", "a"),
    ("zunion", "2147483648", "a"),
    ("zunion", "4294967298", "a", "b"),
    ("zunionstore", "d", "01", "a"),
    ("zunionstore", "d", "1.0", "a"),
    ("zunionstore", "d", " 1", "a"),
    ("zunionstore", "d", "\t\n\r 1", "a"),
    ("zunionstore", "d", "+2", "a", "b"),
    ("zunionstore", "d", "1abc", "a"),
    ("zunionstore", "d", b"1\x00", "a"),
    ("zunion", "2abc", "a", "b"),
    ("lmpop", "01", "a", "left"),
    ("blmpop", "0", "01", "a", "left"),
    # OBJECT
    ("object", "encoding", "k"),
    ("object", "ENCODING", "k"),
    ("object", "refcount", "k"),
    ("object", "idletime", "k"),
    ("object", "freq", "k"),
    ("object", "help"),
    ("object", "help", "x"),
    ("object", "encoding"),
    ("object", "encoding", "k", "x"),
    ("object", "nosuch", "k"),
    # errors in general
    ("nosuch", "a"),
    ("ping", "a"),
    ("hget", "h"),
    ("zunion",),
]


@pytest.mark.parametrize("target", ["node", "proxy"])
def test_command_getkeys_agrees_with_redis(target, cluster, reference):
    server = cluster.proxy if target == "proxy" else cluster.nodes[0]
    differences = []
    with reference.raw() as expected_side, server.raw() as actual_side:
        for case in GETKEYS_CASES:
            command = ("COMMAND", "GETKEYS") + case
            expected = expected_side.command(*command)
            actual = actual_side.command(*command)
            if expected != actual:
                differences.append(f"{case!r}: redis {expected!r}, herd {actual!r}")
    assert not differences, "\n".join(differences)


# ---------------------------------------------------------------------------
# Every family reaches the key's node
# ---------------------------------------------------------------------------

def hash_commands(key):
    return [
        ("HSET", key, "f1", "v1", "f2", "v2"),
        ("HSETNX", key, "f3", "v3"),
        ("HSETNX", key, "f1", "other"),
        ("HGET", key, "f1"),
        ("HMGET", key, "f1", "nope", "f2"),
        ("HMSET", key, "f4", "v4"),
        ("HDEL", key, "f4", "nope"),
        ("HEXISTS", key, "f1"),
        ("HLEN", key),
        ("HSTRLEN", key, "f2"),
        ("HINCRBY", key, "n", "5"),
        ("HINCRBYFLOAT", key, "x", "1.5"),
        ("HKEYS", key),
        ("HVALS", key),
        ("HGETALL", key),
        ("HINCRBY", key, "f1", "1"),
        ("TYPE", key),
    ]


def list_commands(key):
    return [
        ("RPUSH", key, "a", "b", "c"),
        ("LPUSH", key, "z"),
        ("LPUSHX", key, "y"),
        ("RPUSHX", key, "d"),
        ("LLEN", key),
        ("LRANGE", key, "0", "-1"),
        ("LINDEX", key, "1"),
        ("LSET", key, "0", "Y"),
        ("LINSERT", key, "BEFORE", "b", "B"),
        ("LREM", key, "1", "B"),
        ("LPOS", key, "c"),
        ("LTRIM", key, "0", "10"),
        ("LPOP", key),
        ("RPOP", key, "2"),
        ("LRANGE", key, "0", "-1"),
        ("LSET", key, "99", "x"),
        ("TYPE", key),
    ]


def set_commands(key):
    return [
        ("SADD", key, "a", "b", "c", "d"),
        ("SADD", key, "a"),
        ("SREM", key, "d", "nope"),
        ("SISMEMBER", key, "a"),
        ("SMISMEMBER", key, "a", "zz", "c"),
        ("SCARD", key),
        ("SMEMBERS", key),
        ("SINTER", key),
        ("TYPE", key),
    ]


def zset_commands(key):
    return [
        ("ZADD", key, "1", "a", "2", "b", "3", "c", "4", "d"),
        ("ZADD", key, "XX", "CH", "5", "d"),
        ("ZSCORE", key, "b"),
        ("ZMSCORE", key, "a", "nope"),
        ("ZINCRBY", key, "2.5", "a"),
        ("ZCARD", key),
        ("ZCOUNT", key, "0", "3"),
        ("ZLEXCOUNT", key, "-", "+"),
        ("ZRANGE", key, "0", "-1", "WITHSCORES"),
        ("ZRANGE", key, "(1", "+inf", "BYSCORE", "LIMIT", "0", "2"),
        ("ZRANGEBYSCORE", key, "-inf", "3"),
        ("ZRANGEBYLEX", key, "[a", "[c"),
        ("ZREVRANGE", key, "0", "1"),
        ("ZREVRANGEBYSCORE", key, "+inf", "-inf", "WITHSCORES"),
        ("ZREVRANGEBYLEX", key, "+", "-"),
        ("ZRANK", key, "c"),
        ("ZREVRANK", key, "c"),
        ("ZPOPMIN", key),
        ("ZPOPMAX", key, "1"),
        ("ZREMRANGEBYSCORE", key, "100", "200"),
        ("ZREMRANGEBYRANK", key, "5", "6"),
        ("ZREMRANGEBYLEX", key, "[x", "[y"),
        ("ZRANGE", key, "0", "-1", "WITHSCORES"),
        ("TYPE", key),
    ]


FAMILIES = {"hash": hash_commands, "list": list_commands, "set": set_commands,
            "zset": zset_commands}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_reaches_the_node_of_each_key(family, cluster, node_tags, proxy_side,
                                             redis_side):
    """Keys of every node: the replies are Redis's, and each key lives on the
    node of its tag only."""
    keys = {name: f"{{{tags[0]}}}{family}:{unique('k')}" for name, tags in node_tags.items()}
    keys["binary"] = b"\x00\xff" + unique(family).encode() + b"\r\n"
    differences = []
    for key in keys.values():
        differences += run_both(redis_side, proxy_side, FAMILIES[family](key))
    assert not differences, "\n".join(differences)
    for name, key in keys.items():
        held = holders(cluster, key)
        assert len(held) == 1, f"{key!r} is on {held}"
        if name != "binary":
            assert held == [name], f"{key!r} is on {held}, its tag's node is {name}"


def test_random_and_scan_commands_reach_the_key(cluster, node_tags, proxy_side):
    """Replies Redis leaves to chance, checked by their properties."""
    for tags in node_tags.values():
        tag = tags[0]
        hash_key, set_key, zset_key = (f"{{{tag}}}{kind}:{unique('r')}"
                                       for kind in ("h", "s", "z"))
        fields = [f"f{index}" for index in range(20)]
        assert proxy_side.call("HSET", hash_key, *[part for field in fields
                                                    for part in (field, "v")]) == 20
        assert proxy_side.call("SADD", set_key, *fields) == 20
        assert proxy_side.call("ZADD", zset_key, *[part for index, field in enumerate(fields)
                                                    for part in (index, field)]) == 20
        assert proxy_side.call("HRANDFIELD", hash_key).decode() in fields
        assert len(set(proxy_side.call("HRANDFIELD", hash_key, "5"))) == 5
        assert len(proxy_side.call("SRANDMEMBER", set_key, "-30")) == 30
        assert proxy_side.call("ZRANDMEMBER", zset_key).decode() in fields
        popped = proxy_side.call("SPOP", set_key, "3")
        assert len(set(popped)) == 3 and proxy_side.call("SCARD", set_key) == 17
        for command, key, expected in (("HSCAN", hash_key, 40), ("SSCAN", set_key, 17),
                                       ("ZSCAN", zset_key, 40)):
            seen, cursor = [], b"0"
            for _ in range(1000):
                cursor, page = proxy_side.call(command, key, cursor, "COUNT", "3")
                seen += page
                if cursor == b"0":
                    break
            assert cursor == b"0"
            assert len(seen) >= expected, f"{command} {key}: {seen!r}"


# ---------------------------------------------------------------------------
# Multi-key commands: one slot or CROSSSLOT
# ---------------------------------------------------------------------------

# {a}, {b}, {c} name keys in three different slots (key_slot checks it).
MULTI_KEY_COMMANDS = [
    ("SMOVE", "{a}", "{b}", "m"),
    ("SINTER", "{a}", "{b}"),
    ("SUNION", "{a}", "{b}", "{a}"),
    ("SDIFF", "{a}", "{b}"),
    ("SINTERSTORE", "{a}", "{a}", "{b}"),
    ("SUNIONSTORE", "{a}", "{b}"),
    ("SDIFFSTORE", "{c}", "{a}", "{a}"),
    ("SINTERCARD", "2", "{a}", "{b}"),
    ("LMOVE", "{a}", "{b}", "LEFT", "RIGHT"),
    ("RPOPLPUSH", "{a}", "{b}"),
    ("LMPOP", "2", "{a}", "{b}", "LEFT"),
    ("RENAME", "{a}", "{b}"),
    ("RENAMENX", "{a}", "{b}"),
    ("COPY", "{a}", "{b}"),
    ("COPY", "{a}", "{b}", "REPLACE"),
    ("MSETNX", "{a}", "1", "{b}", "2"),
    ("ZUNIONSTORE", "{a}", "2", "{a}", "{b}"),
    ("ZUNIONSTORE", "{c}", "2", "{a}", "{a}"),
    ("ZINTERSTORE", "{a}", "1", "{b}"),
    ("ZDIFFSTORE", "{a}", "2", "{a}", "{b}", "WEIGHTS", "1", "2"),
    ("ZUNION", "2", "{a}", "{b}"),
    ("ZINTER", "2", "{a}", "{b}", "WITHSCORES"),
    ("ZDIFF", "2", "{a}", "{b}"),
    ("ZINTERCARD", "2", "{a}", "{b}"),
    ("ZMPOP", "2", "{a}", "{b}", "MIN"),
    ("ZRANGESTORE", "{a}", "{b}", "0", "-1"),
    ("BLPOP", "{a}", "{b}", "0"),
    ("BRPOP", "{a}", "{b}", "0"),
    ("BLMOVE", "{a}", "{b}", "LEFT", "LEFT", "0"),
    ("BRPOPLPUSH", "{a}", "{b}", "0"),
    ("BLMPOP", "0", "2", "{a}", "{b}", "LEFT"),
    ("BZPOPMIN", "{a}", "{b}", "0"),
    ("BZPOPMAX", "{a}", "{b}", "0"),
    ("BZMPOP", "0", "2", "{a}", "{b}", "MIN"),
    # numkeys only atoi() reads: keys found the older way, still checked
    ("ZUNIONSTORE", "{a}", "01", "{b}"),
]

BLOCKING = {"BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP", "BZPOPMIN", "BZPOPMAX",
            "BZMPOP"}


def fill(template, prefix, tags):
    """The command with each "{a}" ("{b}", "{c}") replaced by a key whose
    hash tag is tags["{a}"] ...; the three keys differ even when their tags
    are the same."""
    command = []
    for argument in template:
        if argument in ("{a}", "{b}", "{c}"):
            argument = f"{{{tags[argument]}}}{prefix}:{argument[1]}"
        command.append(argument)
    return tuple(command)


def test_tags_name_different_slots():
    slots = {key_slot("{x.a}k"), key_slot("{x.b}k"), key_slot("{x.c}k")}
    assert len(slots) == 3


@pytest.mark.parametrize("template", MULTI_KEY_COMMANDS, ids=lambda t: " ".join(t))
def test_keys_in_different_slots_get_crossslot(template, cluster, proxy_side):
    prefix = unique("cross")
    tags = {"{a}": "x.a", "{b}": "x.b", "{c}": "x.c"}
    command = fill(template, prefix, tags)
    assert proxy_side.command(*command) == CROSSSLOT
    assert proxy_side.command("PING") == b"+PONG\r\n"


def slots_on_one_node(cluster, connection, count=2):
    """`count` tags in different slots whose keys live on one node."""
    by_node = {}
    for index in range(400):
        tag = f"same.{uuid.uuid4().hex[:6]}.{index}"
        probe = f"{{{tag}}}probe"
        connection.command("SET", probe, "x")
        held = holders(cluster, probe)
        connection.command("DEL", probe)
        tags = by_node.setdefault(held[0], [])
        if all(key_slot(f"{{{other}}}") != key_slot(f"{{{tag}}}") for other in tags):
            tags.append(tag)
        if len(tags) == count:
            return tags
    raise AssertionError("no two slots on one node found")


def test_crossslot_is_about_slots_not_nodes(cluster, proxy_side):
    """Keys in two slots of the same node are refused too, as Redis Cluster does."""
    first, second = slots_on_one_node(cluster, proxy_side)
    for template in (("RENAME", "{a}", "{b}"), ("SMOVE", "{a}", "{b}", "m"),
                     ("ZUNIONSTORE", "{a}", "1", "{b}"), ("LMPOP", "2", "{a}", "{b}", "LEFT")):
        command = fill(template, unique("k"), {"{a}": first, "{b}": second, "{c}": first})
        assert proxy_side.command(*command) == CROSSSLOT


def same_slot_setup(key_a, key_b, key_c):
    """Values for the {tag} success runs: a and b share members."""
    return [
        ("SADD", f"{key_a}:s", "1", "2", "3"),
        ("SADD", f"{key_b}:s", "2", "3", "4"),
        ("RPUSH", f"{key_a}:l", "x", "y", "z"),
        ("RPUSH", f"{key_b}:l", "p"),
        ("ZADD", f"{key_a}:z", "1", "m1", "2", "m2", "3", "m3"),
        ("ZADD", f"{key_b}:z", "10", "m2", "20", "m4"),
        ("SET", f"{key_a}:str", "hello"),
        ("HSET", f"{key_c}:h", "f", "v"),
    ]


def same_slot_commands(a, b, c):
    """Multi-key commands whose keys share the slot of one tag."""
    return [
        ("SMOVE", f"{a}:s", f"{b}:s", "1"),
        ("SMOVE", f"{a}:s", f"{b}:s", "nope"),
        ("SINTER", f"{a}:s", f"{b}:s"),
        ("SUNION", f"{a}:s", f"{b}:s"),
        ("SDIFF", f"{b}:s", f"{a}:s"),
        ("SINTERSTORE", f"{c}:si", f"{a}:s", f"{b}:s"),
        ("SUNIONSTORE", f"{c}:su", f"{a}:s", f"{b}:s"),
        ("SDIFFSTORE", f"{c}:sd", f"{b}:s", f"{a}:s"),
        ("SMEMBERS", f"{c}:si"),
        ("SCARD", f"{c}:su"),
        ("SINTERCARD", "2", f"{a}:s", f"{b}:s"),
        ("SINTERCARD", "2", f"{a}:s", f"{b}:s", "LIMIT", "1"),
        ("LMOVE", f"{a}:l", f"{b}:l", "LEFT", "RIGHT"),
        ("RPOPLPUSH", f"{a}:l", f"{b}:l"),
        ("LRANGE", f"{b}:l", "0", "-1"),
        ("LMPOP", "2", f"{c}:none", f"{a}:l", "RIGHT", "COUNT", "5"),
        ("LMPOP", "1", f"{c}:none", "LEFT"),
        ("ZUNIONSTORE", f"{c}:zu", "2", f"{a}:z", f"{b}:z", "WEIGHTS", "1", "2"),
        ("ZINTERSTORE", f"{c}:zi", "2", f"{a}:z", f"{b}:z", "AGGREGATE", "MAX"),
        ("ZDIFFSTORE", f"{c}:zd", "2", f"{a}:z", f"{b}:z"),
        ("ZRANGE", f"{c}:zu", "0", "-1", "WITHSCORES"),
        ("ZRANGE", f"{c}:zi", "0", "-1", "WITHSCORES"),
        ("ZRANGE", f"{c}:zd", "0", "-1", "WITHSCORES"),
        ("ZUNION", "2", f"{a}:z", f"{b}:z", "WITHSCORES"),
        ("ZINTER", "2", f"{a}:z", f"{b}:z"),
        ("ZDIFF", "2", f"{a}:z", f"{b}:z", "WITHSCORES"),
        ("ZINTERCARD", "2", f"{a}:z", f"{b}:z"),
        ("ZRANGESTORE", f"{c}:zr", f"{a}:z", "0", "1"),
        ("ZMPOP", "2", f"{c}:none", f"{a}:z", "MAX", "COUNT", "2"),
        ("ZMPOP", "1", f"{c}:none", "MIN"),
        ("MSETNX", f"{c}:m1", "1", f"{c}:m2", "2"),
        ("COPY", f"{a}:str", f"{c}:copy"),
        ("COPY", f"{a}:str", f"{c}:copy"),
        ("COPY", f"{c}:h", f"{c}:hcopy"),
        ("HGETALL", f"{c}:hcopy"),
        ("RENAMENX", f"{a}:str", f"{c}:copy"),
        ("RENAME", f"{a}:str", f"{c}:renamed"),
        ("RENAMENX", f"{c}:renamed", f"{c}:renamed2"),
        ("RENAME", f"{c}:nope", f"{c}:other"),
        ("GET", f"{c}:renamed2"),
        ("RENAME", f"{a}:z", f"{c}:zmoved"),
        ("ZRANGE", f"{c}:zmoved", "0", "-1", "WITHSCORES"),
        ("TYPE", f"{a}:z"),
    ]


def test_same_slot_multi_key_commands_answer_as_redis(cluster, node_tags, proxy_side,
                                                      redis_side):
    """With {tag} keys on every node: Redis's replies, and new keys (the
    *STORE destinations, COPY, RENAME) on the tag's node only."""
    differences = []
    for name, tags in node_tags.items():
        tag = tags[0]
        base = unique("same")
        a, b, c = (f"{{{tag}}}{base}:{part}" for part in ("a", "b", "c"))
        commands = same_slot_setup(a, b, c) + same_slot_commands(a, b, c)
        differences += run_both(redis_side, proxy_side, commands)
        for created in (f"{c}:si", f"{c}:zu", f"{c}:copy", f"{c}:renamed2", f"{c}:zmoved"):
            assert holders(cluster, created) == [name], f"{created} not on {name}"
    assert not differences, "\n".join(differences)


# ---------------------------------------------------------------------------
# Movable keys
# ---------------------------------------------------------------------------

def test_movable_keys_route_by_their_keys(cluster, node_tags, proxy_side, redis_side):
    """The node is chosen by the keys after numkeys (not by numkeys, not by
    the destination alone): the results are on the keys' node."""
    differences = []
    for name, tags in node_tags.items():
        tag = tags[0]
        base = f"{{{tag}}}{unique('mv')}"
        commands = [
            ("ZADD", f"{base}:z1", "1", "a", "2", "b"),
            ("ZADD", f"{base}:z2", "3", "b", "4", "c"),
            ("RPUSH", f"{base}:l1", "x", "y"),
            ("SADD", f"{base}:s1", "a", "b"),
            ("SADD", f"{base}:s2", "b", "c"),
            ("ZUNIONSTORE", f"{base}:out", "2", f"{base}:z1", f"{base}:z2"),
            ("ZRANGE", f"{base}:out", "0", "-1", "WITHSCORES"),
            ("ZUNION", "2", f"{base}:z1", f"{base}:z2", "WITHSCORES"),
            ("ZINTER", "2", f"{base}:z1", f"{base}:z2", "WITHSCORES"),
            ("ZDIFF", "1", f"{base}:z1"),
            ("ZINTERCARD", "2", f"{base}:z1", f"{base}:z2"),
            ("SINTERCARD", "2", f"{base}:s1", f"{base}:s2"),
            ("LMPOP", "1", f"{base}:l1", "LEFT"),
            ("ZMPOP", "2", f"{base}:none", f"{base}:z2", "MIN"),
            ("ZUNIONSTORE", f"{base}:one", "1", f"{base}:z1"),
        ]
        differences += run_both(redis_side, proxy_side, commands)
        assert holders(cluster, f"{base}:out") == [name]
        assert holders(cluster, f"{base}:one") == [name]
    assert not differences, "\n".join(differences)


def test_invalid_numkeys_gets_the_nodes_exact_error(proxy_side, redis_side):
    """No keys found: the request still goes to a node, whose error is Redis's."""
    commands = [
        ("ZUNIONSTORE", "d", "0", "a"),
        ("ZUNIONSTORE", "d", "-1", "a"),
        ("ZUNIONSTORE", "d", "5", "a"),
        ("ZUNIONSTORE", "d", "x", "a"),
        ("ZINTERSTORE", "d", "0", "a"),
        ("ZDIFFSTORE", "d", "99999999999999999999", "a"),
        ("ZUNION", "3", "a", "b"),
        ("ZUNION", "0", "a"),
        ("ZINTER", "-1", "a"),
        ("ZDIFF", "abc", "a"),
        ("ZINTERCARD", "0", "a"),
        ("ZINTERCARD", "5", "a"),
        ("SINTERCARD", "0", "a"),
        ("SINTERCARD", "2", "a"),
        ("SINTERCARD", "x", "a"),
        ("LMPOP", "0", "a", "LEFT"),
        ("LMPOP", "3", "a", "LEFT"),
        ("LMPOP", "-1", "a", "LEFT"),
        ("ZMPOP", "0", "a", "MIN"),
        ("ZMPOP", "x", "a", "MIN"),
        # keys found the older way (atoi), in one slot: the node refuses numkeys
        ("ZUNIONSTORE", "{n}d", "01", "{n}a"),
        ("ZUNION", "2abc", "{n}a", "{n}b"),
        ("LMPOP", "01", "{n}a", "LEFT"),
    ]
    differences = run_both(redis_side, proxy_side, commands)
    assert not differences, "\n".join(differences)


# ---------------------------------------------------------------------------
# OBJECT
# ---------------------------------------------------------------------------

def test_object_routes_by_its_key(cluster, node_tags, proxy_side, redis_side):
    differences = []
    for tags in node_tags.values():
        base = f"{{{tags[0]}}}{unique('obj')}"
        commands = [
            ("HSET", f"{base}:h", "f", "v"),
            ("ZADD", f"{base}:z", "1", "m"),
            ("SET", f"{base}:embstr", "hello"),
            ("SET", f"{base}:int", "12345"),
            ("SET", f"{base}:raw", "x" * 100),
            ("OBJECT", "ENCODING", f"{base}:h"),
            ("OBJECT", "encoding", f"{base}:z"),
            ("OBJECT", "ENCODING", f"{base}:missing"),
            ("OBJECT", "REFCOUNT", f"{base}:h"),
            ("OBJECT", "REFCOUNT", f"{base}:missing"),
            ("OBJECT", "FREQ", f"{base}:h"),
            ("OBJECT", "ENCODING", f"{base}:h", "extra"),
        ]
        differences += run_both(redis_side, proxy_side, commands)
        # herd keeps every string as plain bytes and says so, where Redis
        # picks int / embstr / raw by content.
        for kind in ("embstr", "int", "raw"):
            assert proxy_side.call("OBJECT", "ENCODING", f"{base}:{kind}") == b"raw"
        for kind in ("l", "s"):
            key = f"{base}:{kind}"
            proxy_side.call("RPUSH" if kind == "l" else "SADD", key, "a")
            assert proxy_side.call("OBJECT", "ENCODING", key) == b"listpack"
        assert proxy_side.call("OBJECT", "IDLETIME", f"{base}:missing") is None
    differences += run_both(redis_side, proxy_side, [
        ("OBJECT", "HELP"),
        ("OBJECT", "help", "x"),
        ("OBJECT", "nosuch"),
        ("OBJECT", "nosuch", "k"),
        ("OBJECT", "ENCODING"),
        ("OBJECT",),
    ])
    assert not differences, "\n".join(differences)


def test_big_collection_through_the_proxy(cluster, node_tags, proxy_side, redis_side):
    """Thousands of members (stored pages on the node) behind the proxy."""
    tag = next(iter(node_tags.values()))[0]
    base = f"{{{tag}}}{unique('big')}"
    members = [b"m%05d" % index + b"\x00\xff" for index in range(2500)]
    arguments = []
    for index, member in enumerate(members):
        arguments += [str(index % 97), member]
    big_value = bytes(random.Random(3).getrandbits(8) for _ in range(12000))
    commands = [
        ("ZADD", f"{base}:z", *arguments),
        ("SADD", f"{base}:s", *members),
        ("HSET", f"{base}:h", "big", big_value, *[part for member in members[:1500]
                                                   for part in (member, member)]),
        ("ZCARD", f"{base}:z"),
        ("ZRANGE", f"{base}:z", "100", "120", "WITHSCORES"),
        ("ZUNIONSTORE", f"{base}:zu", "2", f"{base}:z", f"{base}:z"),
        ("ZCARD", f"{base}:zu"),
        ("ZRANGE", f"{base}:zu", "-5", "-1", "WITHSCORES"),
        ("SINTERCARD", "1", f"{base}:s"),
        ("SMOVE", f"{base}:s", f"{base}:s2", members[7]),
        ("SCARD", f"{base}:s"),
        ("HGET", f"{base}:h", "big"),
        ("HLEN", f"{base}:h"),
        ("COPY", f"{base}:z", f"{base}:zc"),
        ("ZCARD", f"{base}:zc"),
        ("RENAME", f"{base}:zc", f"{base}:zr"),
        ("ZSCORE", f"{base}:zr", members[1234]),
    ]
    differences = run_both(redis_side, proxy_side, commands)
    assert not differences, "\n".join(differences)


# ---------------------------------------------------------------------------
# Blocking commands
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("template", [t for t in MULTI_KEY_COMMANDS if t[0] in BLOCKING],
                         ids=lambda t: t[0])
def test_blocking_commands_reach_a_node_and_get_an_error(template, node_tags, proxy_side):
    """Same-slot blocking commands are forwarded; the node answers an error
    at once (herd does not block yet) and the connection goes on."""
    tag = next(iter(node_tags.values()))[0]
    command = fill(template, unique("blk"), {"{a}": tag, "{b}": tag, "{c}": tag})
    proxy_side.settimeout(5)
    reply = proxy_side.command(*command)
    assert reply.startswith(b"-"), f"{command}: {reply!r}"
    assert reply != CROSSSLOT
    assert proxy_side.command("PING") == b"+PONG\r\n"


# ---------------------------------------------------------------------------
# Pipelines
# ---------------------------------------------------------------------------

def test_pipelined_mix_of_types_in_one_write(cluster, node_tags, proxy_side, redis_side):
    """Hundreds of commands of every type, over every node, in one write:
    the replies come back in order, and are Redis's."""
    tags = [tag for tags in node_tags.values() for tag in tags]
    rng = random.Random(11)
    base = unique("pipe")
    commands = []
    for index in range(300):
        tag = tags[index % len(tags)]
        key = f"{{{tag}}}{base}:{index % 17}"
        kind = rng.randrange(7)
        if kind == 0:
            commands += [("HSET", f"{key}:h", f"f{index}", index), ("HGET", f"{key}:h", f"f{index}"),
                         ("HLEN", f"{key}:h")]
        elif kind == 1:
            commands += [("RPUSH", f"{key}:l", index), ("LINDEX", f"{key}:l", "-1"),
                         ("LRANGE", f"{key}:l", "0", "2")]
        elif kind == 2:
            commands += [("SADD", f"{key}:s", index % 5), ("SISMEMBER", f"{key}:s", "3"),
                         ("SCARD", f"{key}:s")]
        elif kind == 3:
            commands += [("ZADD", f"{key}:z", index % 9, f"m{index % 4}"),
                         ("ZRANGE", f"{key}:z", "0", "-1", "WITHSCORES")]
        elif kind == 4:
            commands += [("ZUNIONSTORE", f"{key}:zu", "2", f"{key}:z", f"{key}:z"),
                         ("LMPOP", "2", f"{key}:none", f"{key}:l", "RIGHT"),
                         ("ZUNION", "0", f"{key}:z")]
        elif kind == 5:
            commands += [("HSET", f"{key}:l", "f", "v"), ("SADD", f"{key}:h", "x"),
                         ("TYPE", f"{key}:z"), ("OBJECT", "REFCOUNT", f"{key}:h")]
        else:
            commands += [("SET", f"{key}:str", index), ("INCR", f"{key}:str"),
                         ("COPY", f"{key}:str", f"{key}:str2", "REPLACE"),
                         ("SMOVE", f"{key}:s", f"{key}:s2", "3"),
                         ("MGET", f"{key}:str", f"{{{tags[0]}}}{base}:x", f"{key}:str2")]
    payload = b"".join(encode_command(*command) for command in commands)
    replies = {}
    for side, connection in (("redis", redis_side), ("herd", proxy_side)):
        connection.send(payload)
        replies[side] = [connection.read_reply() for _ in commands]
    differences = [f"{command!r}: redis {expected!r}, herd {actual!r}"
                   for command, expected, actual in zip(commands, replies["redis"], replies["herd"])
                   if expected != actual]
    assert not differences, f"{len(differences)} differ:\n" + "\n".join(differences[:20])
