"""
test_type_hash.py -- the hash commands against a real redis-server.

Every group below is sent, one step at a time, to a reference redis-server
and to a target; the replies must agree.  Targets:

  node   one herd-node, directly
  proxy  herd-proxy in front of 3 herd-nodes
  redis  a second redis-server (checks the steps themselves are
         deterministic: a failure there is a bug in this file)

Plain tuples are compared byte for byte (differential.Exact).  Where
Redis leaves the order unspecified (HKEYS, HVALS, HGETALL, HSCAN) or the
answer is random (HRANDFIELD), the steps below turn both replies into a
canonical form first: the sorted elements, a full HSCAN iteration's set of
pairs, or the properties a random reply must have.

Big hashes (3000 fields, 20 kB values, binary fields) make herd's trees
spill into stored pages, so the paged layout is exercised too.  Tests at
the end check what Redis cannot be compared on: HSCAN returns every field
exactly once, and a huge negative HRANDFIELD count is refused.
"""

import hashlib
import random

import pytest

from harness import ErrorReply, parse_reply
from differential import (TARGETS, Approx, Exact, Sleep, assert_group_matches,
                          assert_keyspace_counted_as_redis, flush, show)

INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"
LONG_MAX_HALF = str((1 << 62) - 1)        # LONG_MAX / 2
LONG_MAX_HALF_PLUS = str(1 << 62)

_random = random.Random(20240603)
BINARY_FIELDS = [b"", b"\x00", b"a\x00b", b"\xff\xfe", bytes(range(256)), b"\r\n", b"*"]
BIG_VALUE = bytes(_random.getrandbits(8) for _ in range(20 * 1024))


def _pairs(items):
    """[f1, v1, f2, v2, ...] -> sorted list of (field, value)."""
    return sorted(zip(items[0::2], items[1::2]))


def _digest(values):
    """A short, stable summary of a long canonical list."""
    text = repr(values).encode()
    if len(text) <= 600:
        return text
    return b"%d items, sha1 %s" % (len(values), hashlib.sha1(text).hexdigest().encode())


# ---------------------------------------------------------------------------
# Steps whose replies are compared in a canonical form
# ---------------------------------------------------------------------------

class Pairs(Exact):
    """HGETALL-like replies compared as sets of (field, value) pairs."""

    def run(self, connection):
        raw = connection.command(*self.args)
        reply = parse_reply(raw)
        if not isinstance(reply, list):
            return raw
        return _digest(_pairs(reply))


class Sorted(Exact):
    """Array replies compared as sorted lists (summarised when long)."""

    def run(self, connection):
        raw = connection.command(*self.args)
        reply = parse_reply(raw)
        if not isinstance(reply, list):
            return raw
        return _digest(sorted(reply))


def scan_all(connection, command, key, *options, limit=100000):
    """Every element of a full *SCAN iteration, in order, and the number of
    steps; a non-scan reply (an error) is returned as (raw, None)."""
    cursor, elements, steps = b"0", [], 0
    while True:
        raw = connection.command(command, key, cursor, *options)
        reply = parse_reply(raw)
        if not (isinstance(reply, list) and len(reply) == 2):
            return raw, None
        cursor, page = reply
        elements.extend(page)
        steps += 1
        if cursor == b"0" or steps > limit:
            return elements, steps


class ScanAll(Exact):
    """A whole HSCAN/SSCAN/ZSCAN iteration (args: command, key, options...).

    Compares the set of elements returned (pairs for HSCAN and ZSCAN).
    Redis may return an element twice while its table is being resized;
    herd returns each exactly once (checked by separate tests).
    """

    def __init__(self, *args, paired=True):
        super().__init__(*args)
        self.paired = paired

    def describe(self):
        return "full " + super().describe()

    def run(self, connection):
        elements, steps = scan_all(connection, *self.args)
        if steps is None:
            return elements
        if self.paired:
            return _digest(sorted(set(zip(elements[0::2], elements[1::2]))))
        return _digest(sorted(set(elements)))


class ScanOnce(Exact):
    """One *SCAN step of a small collection: the cursor must be 0 and the
    elements (any order) all of them, as Redis answers for compact ones."""

    def __init__(self, *args, paired=True):
        super().__init__(*args)
        self.paired = paired

    def run(self, connection):
        raw = connection.command(*self.args)
        reply = parse_reply(raw)
        if not (isinstance(reply, list) and len(reply) == 2):
            return raw
        cursor, page = reply
        page = _pairs(page) if self.paired else sorted(page)
        return b"cursor %s: %s" % (cursor, _digest(page))


class RandomFields(Exact):
    """HRANDFIELD key [count [WITHVALUES]] judged by its properties.

    Errors and nil compare exactly.  Otherwise the reply is described by
    what must hold: every field belongs to the hash (with its own value for
    WITHVALUES), how many came back, and for a positive count that they are
    distinct.  The hash is read with HGETALL on the same connection.
    """

    def run(self, connection):
        raw = connection.command(*self.args)
        reply = parse_reply(raw)
        if reply is None or isinstance(reply, ErrorReply):
            return raw
        content = dict(_pairs(parse_reply(connection.command("HGETALL", self.args[1]))))
        if isinstance(reply, bytes):
            return b"one field, member: %r" % (reply in content)
        withvalues = len(self.args) > 3
        count = int(self.args[2])
        if withvalues:
            fields = reply[0::2]
            values_ok = all(content.get(field) == value
                            for field, value in zip(reply[0::2], reply[1::2]))
        else:
            fields, values_ok = reply, True
        facts = [f"{len(fields)} fields", f"members {all(f in content for f in fields)}",
                 f"values {values_ok}", f"even {len(reply) % 2 == 0 or not withvalues}"]
        if count > 0:
            facts.append(f"distinct {len(set(fields)) == len(fields)}")
        return ", ".join(facts).encode()


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------

def _fields(count, prefix="field", value_size=0):
    """HSET arguments for `count` fields: field:i -> value:i (padded)."""
    arguments = []
    for index in range(count):
        value = f"value:{index}:".encode() + b"v" * value_size
        arguments += [f"{prefix}:{index}", value]
    return arguments


def _hset_batches(key, count, batch=500, prefix="field", value_size=0):
    """HSET commands adding `count` fields in batches."""
    arguments = _fields(count, prefix, value_size)
    return [("HSET", key, *arguments[start:start + 2 * batch])
            for start in range(0, len(arguments), 2 * batch)]


GROUPS = {
    "hset_hget_basic": [
        ("HSET", "h", "a", "1"),
        ("HSET", "h", "a", "2"),
        ("HSET", "h", "b", "3", "c", "4"),
        ("HSET", "h", "a", "x", "d", "5", "d", "6"),
        ("HGET", "h", "a"),
        ("HGET", "h", "d"),
        ("HGET", "h", "missing"),
        ("HGET", "nokey", "a"),
        ("HLEN", "h"),
        ("HLEN", "nokey"),
        ("TYPE", "h"),
        ("EXISTS", "h"),
        ("HMSET", "h", "e", "7", "f", "8"),
        ("HMSET", "new", "a", "1"),
        ("HGET", "new", "a"),
        ("HMGET", "h", "a", "missing", "e", "a"),
        ("HMGET", "nokey", "a", "b"),
        ("HEXISTS", "h", "a"),
        ("HEXISTS", "h", "zz"),
        ("HEXISTS", "nokey", "a"),
        ("HSTRLEN", "h", "a"),
        ("HSTRLEN", "h", "zz"),
        ("HSTRLEN", "nokey", "a"),
        ("HSET", "h", "empty", ""),
        ("HGET", "h", "empty"),
        ("HSTRLEN", "h", "empty"),
        ("HEXISTS", "h", "empty"),
        ("HSET", "h", "num", "12345"),
        ("HSTRLEN", "h", "num"),
        ("HGET", "h", "num"),
        ("HLEN", "h"),
        ("hset", "h", "lower", "case"),
        ("hGeT", "h", "lower"),
    ],
    "hsetnx": [
        ("HSETNX", "h", "a", "1"),
        ("HSETNX", "h", "a", "2"),
        ("HGET", "h", "a"),
        ("HSETNX", "h", "b", "3"),
        ("HLEN", "h"),
        ("HSETNX", "fresh", "f", "v"),
        ("TYPE", "fresh"),
        ("HSETNX", "h", "a"),
        ("HSETNX", "h", "a", "b", "c"),
    ],
    "hdel": [
        ("HSET", "h", "a", "1", "b", "2", "c", "3"),
        ("HDEL", "h", "a"),
        ("HDEL", "h", "a"),
        ("HDEL", "h", "missing", "b", "b"),
        ("HLEN", "h"),
        ("HDEL", "nokey", "a"),
        ("HDEL", "h", "c", "c", "x"),
        ("EXISTS", "h"),
        ("TYPE", "h"),
        ("HLEN", "h"),
        ("HGETALL", "h"),
        ("HSET", "h", "again", "1"),
        ("HGETALL", "h"),
        ("HDEL", "h"),
    ],
    "listings": [
        ("HKEYS", "nokey"),
        ("HVALS", "nokey"),
        ("HGETALL", "nokey"),
        ("HSET", "h", "one", "1"),
        ("HKEYS", "h"),
        ("HVALS", "h"),
        ("HGETALL", "h"),
        ("HSET", "h", "two", "2", "three", "3", "four", "4"),
        Sorted("HKEYS", "h"),
        Sorted("HVALS", "h"),
        Pairs("HGETALL", "h"),
        ("HKEYS", "h", "x"),
        ("HVALS",),
        ("HGETALL", "h", "h"),
    ],
    "arity": [
        ("HSET", "h"),
        ("HSET", "h", "a"),
        ("HSET", "h", "a", "b", "c"),
        ("HSET", "h", "a", "b", "c", "d", "e"),
        ("HMSET", "h", "a"),
        ("HMSET", "h", "a", "b", "c"),
        ("HGET", "h"),
        ("HGET", "h", "a", "b"),
        ("HMGET", "h"),
        ("HDEL", "h"),
        ("HEXISTS", "h"),
        ("HLEN",),
        ("HLEN", "a", "b"),
        ("HSTRLEN", "h"),
        ("HINCRBY", "h", "f"),
        ("HINCRBY", "h", "f", "1", "2"),
        ("HINCRBYFLOAT", "h", "f"),
        ("HRANDFIELD",),
        ("HKEYS",),
        ("EXISTS", "h"),
    ],
    "wrongtype_string_key": [
        ("SET", "s", "value"),
        ("HSET", "s", "a", "1"),
        ("HMSET", "s", "a", "1"),
        ("HSETNX", "s", "a", "1"),
        ("HGET", "s", "a"),
        ("HMGET", "s", "a"),
        ("HDEL", "s", "a"),
        ("HEXISTS", "s", "a"),
        ("HLEN", "s"),
        ("HSTRLEN", "s", "a"),
        ("HKEYS", "s"),
        ("HVALS", "s"),
        ("HGETALL", "s"),
        ("HINCRBY", "s", "a", "1"),
        ("HINCRBYFLOAT", "s", "a", "1"),
        ("HRANDFIELD", "s"),
        ("HRANDFIELD", "s", "3"),
        ("HRANDFIELD", "s", "-3", "WITHVALUES"),
        ("HSCAN", "s", "0"),
        ("HSET", "s", "a"),
        ("HINCRBY", "s", "a", "x"),
        ("HINCRBYFLOAT", "s", "a", "x"),
        ("HRANDFIELD", "s", "x"),
        ("HSCAN", "s", "x"),
        ("GET", "s"),
    ],
    "wrongtype_hash_key": [
        ("HSET", "h", "a", "1"),
        ("GET", "h"),
        ("GETSET", "h", "x"),
        ("GETDEL", "h"),
        ("GETEX", "h"),
        ("APPEND", "h", "x"),
        ("STRLEN", "h"),
        ("GETRANGE", "h", "0", "1"),
        ("SETRANGE", "h", "0", "x"),
        ("INCR", "h"),
        ("INCRBY", "h", "2"),
        ("DECR", "h"),
        ("INCRBYFLOAT", "h", "1.5"),
        ("MGET", "h", "nokey"),
        ("SET", "h", "v", "GET"),
        ("SETNX", "h", "v"),
        ("MSETNX", "h", "v"),
        ("HGET", "h", "a"),
        ("TYPE", "h"),
        ("SET", "h", "now a string"),
        ("TYPE", "h"),
        ("GET", "h"),
        ("HGET", "h", "a"),
        ("HLEN", "h"),
        ("DEL", "h"),
        ("HSET", "h", "b", "2"),
        ("HGETALL", "h"),
    ],
    "hincrby": [
        ("HINCRBY", "h", "n", "5"),
        ("HINCRBY", "h", "n", "-12"),
        ("HGET", "h", "n"),
        ("HINCRBY", "h", "n", "0"),
        ("HINCRBY", "h", "n", "x"),
        ("HINCRBY", "h", "n", "1.5"),
        ("HINCRBY", "h", "n", ""),
        ("HINCRBY", "h", "n", " 1"),
        ("HINCRBY", "h", "n", "+1"),
        ("HINCRBY", "h", "n", "01"),
        ("HINCRBY", "h", "n", INT64_MAX),
        ("HINCRBY", "h", "n", "99999999999999999999"),
        ("HINCRBY", "nokey", "n", "x"),
        ("EXISTS", "nokey"),
        ("HSET", "h", "big", INT64_MAX),
        ("HINCRBY", "h", "big", "1"),
        ("HINCRBY", "h", "big", "0"),
        ("HINCRBY", "h", "big", "-1"),
        ("HSET", "h", "small", INT64_MIN),
        ("HINCRBY", "h", "small", "-1"),
        ("HINCRBY", "h", "small", "1"),
        ("HINCRBY", "h", "small", INT64_MAX),
        ("HSET", "h", "text", "abc"),
        ("HINCRBY", "h", "text", "1"),
        ("HSET", "h", "float", "1.5"),
        ("HINCRBY", "h", "float", "1"),
        ("HSET", "h", "spaced", " 1"),
        ("HINCRBY", "h", "spaced", "1"),
        ("HSET", "h", "zero", "01"),
        ("HINCRBY", "h", "zero", "1"),
        ("HSET", "h", "negzero", "-0"),
        ("HINCRBY", "h", "negzero", "1"),
        ("HSET", "h", "empty", ""),
        ("HINCRBY", "h", "empty", "1"),
        ("HINCRBY", "h", "fresh", INT64_MIN),
        ("HGET", "h", "fresh"),
        ("HLEN", "h"),
    ],
    "hincrbyfloat": [
        ("HINCRBYFLOAT", "h", "f", "10.5"),
        ("HINCRBYFLOAT", "h", "f", "0.1"),
        ("HINCRBYFLOAT", "h", "f", "-5"),
        ("HGET", "h", "f"),
        ("HINCRBYFLOAT", "h", "g", "0.1"),
        ("HINCRBYFLOAT", "h", "g", "0.2"),
        ("HINCRBYFLOAT", "h", "e", "1e3"),
        ("HINCRBYFLOAT", "h", "e", "5.0e-3"),
        ("HINCRBYFLOAT", "h", "z", "-0"),
        ("HINCRBYFLOAT", "h", "z", "-0.0"),
        ("HINCRBYFLOAT", "h", "hex", "0x10"),
        ("HINCRBYFLOAT", "h", "f", "abc"),
        ("HINCRBYFLOAT", "h", "f", ""),
        ("HINCRBYFLOAT", "h", "f", " 1"),
        ("HINCRBYFLOAT", "h", "f", "1 "),
        ("HINCRBYFLOAT", "h", "f", "nan"),
        ("HINCRBYFLOAT", "h", "f", "inf"),
        ("HINCRBYFLOAT", "h", "f", "-inf"),
        ("HINCRBYFLOAT", "h", "f", "+inf"),
        ("HINCRBYFLOAT", "h", "f", "1e999"),
        ("HINCRBYFLOAT", "nokey", "f", "inf"),
        ("HINCRBYFLOAT", "nokey", "f", "x"),
        ("EXISTS", "nokey"),
        ("HSET", "h", "text", "abc"),
        ("HINCRBYFLOAT", "h", "text", "1"),
        ("HSET", "h", "inf", "inf"),
        ("HINCRBYFLOAT", "h", "inf", "1"),
        ("HSET", "h", "int", "41"),
        ("HINCRBYFLOAT", "h", "int", "1"),
        ("HINCRBY", "h", "int", "1"),
        ("HINCRBYFLOAT", "h", "int", "0.5"),
        ("HINCRBY", "h", "int", "1"),
        ("HSET", "h", "max", INT64_MAX),
        ("HINCRBYFLOAT", "h", "max", "1.5"),
        ("HINCRBYFLOAT", "h", "huge", "1e308"),
        ("HINCRBYFLOAT", "h", "huge", "1e308"),
        ("HGET", "h", "huge"),
        ("HSET", "h", "spaced", " 2"),
        ("HINCRBYFLOAT", "h", "spaced", "1"),
        ("HSET", "h", "empty", ""),
        ("HINCRBYFLOAT", "h", "empty", "1"),
        ("HINCRBYFLOAT", "h", "tiny", "1e-300"),
        ("HINCRBYFLOAT", "h", "neg", "-1.25"),
        ("HLEN", "h"),
    ],
    "hrandfield": [
        ("HRANDFIELD", "nokey"),
        ("HRANDFIELD", "nokey", "5"),
        ("HRANDFIELD", "nokey", "-5"),
        ("HRANDFIELD", "nokey", "0"),
        ("HRANDFIELD", "nokey", "5", "WITHVALUES"),
        ("HRANDFIELD", "nokey", INT64_MIN),
        ("HRANDFIELD", "nokey", INT64_MAX, "WITHVALUES"),
        ("HRANDFIELD", "nokey", LONG_MAX_HALF_PLUS, "WITHVALUES"),
        ("HRANDFIELD", "nokey", "-" + LONG_MAX_HALF_PLUS, "WITHVALUES"),
        ("HRANDFIELD", "nokey", LONG_MAX_HALF, "WITHVALUES"),
        ("HRANDFIELD", "nokey", "-" + LONG_MAX_HALF, "WITHVALUES"),
        ("HRANDFIELD", "nokey", "5", "WITHVALUE"),
        ("HRANDFIELD", "nokey", "5", "withvalues", "x"),
        ("HRANDFIELD", "nokey", "x"),
        ("HRANDFIELD", "nokey", "1.5"),
        ("HRANDFIELD", "nokey", "x", "WITHVALUES"),
        ("HRANDFIELD", "nokey", INT64_MIN, "junk"),
        ("HSET", "one", "only", "value"),
        ("HRANDFIELD", "one"),
        ("HRANDFIELD", "one", "1"),
        ("HRANDFIELD", "one", "1", "WITHVALUES"),
        ("HRANDFIELD", "one", "-1", "withvalues"),
        ("HRANDFIELD", "one", "-4"),
        ("HRANDFIELD", "one", "-3", "WITHVALUES"),
        ("HRANDFIELD", "one", "3"),
        ("HRANDFIELD", "one", "3", "WITHVALUES"),
        ("HRANDFIELD", "one", "0"),
        ("HRANDFIELD", "one", "0", "WITHVALUES"),
        ("HSET", "h", *_fields(10)),
        RandomFields("HRANDFIELD", "h"),
        RandomFields("HRANDFIELD", "h", "1"),
        RandomFields("HRANDFIELD", "h", "3"),
        RandomFields("HRANDFIELD", "h", "9", "WITHVALUES"),
        RandomFields("HRANDFIELD", "h", "10"),
        RandomFields("HRANDFIELD", "h", "11", "WITHVALUES"),
        RandomFields("HRANDFIELD", "h", "1000"),
        RandomFields("HRANDFIELD", "h", "-1"),
        RandomFields("HRANDFIELD", "h", "-25"),
        RandomFields("HRANDFIELD", "h", "-25", "WITHVALUES"),
        ("HRANDFIELD", "h", "5", "WITHVALUES", "WITHVALUES"),
    ],
    "hrandfield_big": [
        *_hset_batches("big", 3000),
        RandomFields("HRANDFIELD", "big"),
        RandomFields("HRANDFIELD", "big", "10"),
        RandomFields("HRANDFIELD", "big", "10", "WITHVALUES"),
        RandomFields("HRANDFIELD", "big", "999"),
        RandomFields("HRANDFIELD", "big", "1001", "WITHVALUES"),
        RandomFields("HRANDFIELD", "big", "2999"),
        RandomFields("HRANDFIELD", "big", "3000", "WITHVALUES"),
        RandomFields("HRANDFIELD", "big", "5000"),
        RandomFields("HRANDFIELD", "big", "-5000", "WITHVALUES"),
    ],
    "binary_fields": [
        ("HSET", "bin", *[item for field in BINARY_FIELDS for item in (field, field + b"!")]),
        ("HLEN", "bin"),
        *[("HGET", "bin", field) for field in BINARY_FIELDS],
        *[("HSTRLEN", "bin", field) for field in BINARY_FIELDS],
        ("HMGET", "bin", *BINARY_FIELDS, b"\x00\x00"),
        ("HEXISTS", "bin", b"a\x00"),
        ("HEXISTS", "bin", b"a\x00b"),
        ("HSET", "bin", b"\x00", bytes(range(256)) * 4),
        ("HGET", "bin", b"\x00"),
        ("HSET", b"key\x00\xff", b"f\x00", b"v\x00"),
        ("HGETALL", b"key\x00\xff"),
        Pairs("HGETALL", "bin"),
        Sorted("HKEYS", "bin"),
        Sorted("HVALS", "bin"),
        ScanOnce("HSCAN", "bin", "0"),
        ("HDEL", "bin", b"", b"\xff\xfe", b"nope"),
        Pairs("HGETALL", "bin"),
        ("HINCRBY", "bin", b"\x00n", "7"),
        ("HGET", "bin", b"\x00n"),
    ],
    "big_hash": [
        *_hset_batches("big", 3000),
        ("HLEN", "big"),
        ("HGET", "big", "field:0"),
        ("HGET", "big", "field:1500"),
        ("HGET", "big", "field:2999"),
        ("HGET", "big", "field:3000"),
        ("HMGET", "big", "field:7", "nope", "field:2222"),
        ("HSTRLEN", "big", "field:1234"),
        ("HEXISTS", "big", "field:42"),
        ("HSET", "big", "field:10", "changed", "extra", "1"),
        ("HGET", "big", "field:10"),
        ("HLEN", "big"),
        Pairs("HGETALL", "big"),
        Sorted("HKEYS", "big"),
        Sorted("HVALS", "big"),
        ("HDEL", "big", *[f"field:{index}" for index in range(0, 3000, 2)]),
        ("HLEN", "big"),
        ("HGET", "big", "field:2"),
        ("HGET", "big", "field:3"),
        ("HINCRBY", "big", "counter", "5"),
        ("HINCRBYFLOAT", "big", "counter", "0.5"),
        Pairs("HGETALL", "big"),
        ("HDEL", "big", *[f"field:{index}" for index in range(1, 3000, 2)]),
        ("HLEN", "big"),
        Pairs("HGETALL", "big"),
        ("HDEL", "big", "extra", "counter"),
        ("EXISTS", "big"),
        ("HLEN", "big"),
    ],
    "big_values": [
        *[("HSET", "wide", f"f{index}", BIG_VALUE[index:] + b"%d" % index) for index in range(40)],
        ("HSET", "wide", b"\x00\xff", BIG_VALUE),
        ("HLEN", "wide"),
        ("HGET", "wide", "f0"),
        ("HGET", "wide", "f39"),
        ("HSTRLEN", "wide", "f17"),
        ("HGET", "wide", b"\x00\xff"),
        Pairs("HGETALL", "wide"),
        ("HSET", "wide", "f5", "short now"),
        ("HGET", "wide", "f5"),
        ("HDEL", "wide", *[f"f{index}" for index in range(0, 40, 3)]),
        ("HLEN", "wide"),
        Pairs("HGETALL", "wide"),
        ScanAll("HSCAN", "wide"),
        ScanAll("HSCAN", "wide", "COUNT", "3"),
        ("HSET", "mixed", *_fields(2000)),
        *[("HSET", "mixed", f"bigfield:{index}", BIG_VALUE) for index in range(5)],
        ("HLEN", "mixed"),
        ("HGET", "mixed", "bigfield:3"),
        ("HGET", "mixed", "field:1999"),
        Pairs("HGETALL", "mixed"),
    ],
    "del_big_hash": [
        *_hset_batches("big", 3000),
        ("HSET", "big", "wide", BIG_VALUE),
        ("HLEN", "big"),
        ("DEL", "big"),
        ("EXISTS", "big"),
        ("TYPE", "big"),
        ("HLEN", "big"),
        ("HGET", "big", "field:5"),
        ("HGETALL", "big"),
        ("HSCAN", "big", "0"),
        ("HSET", "big", "fresh", "1"),
        ("HLEN", "big"),
        ("HGETALL", "big"),
        ("HGET", "big", "field:5"),
        ("HSCAN", "big", "0"),
        *_hset_batches("big2", 3000),
        ("UNLINK", "big2"),
        ("HLEN", "big2"),
        ("HSETNX", "big2", "field:1", "x"),
        ("HGETALL", "big2"),
        *_hset_batches("big3", 3000),
        ("SET", "big3", "string now"),
        ("GET", "big3"),
        ("DEL", "big3"),
        ("HINCRBY", "big3", "field:1", "1"),
        ("HGETALL", "big3"),
    ],
    "expiry": [
        ("HSET", "h", "a", "1"),
        ("EXPIRE", "h", "100"),
        ("HSET", "h", "b", "2"),
        Approx("TTL", "h"),
        ("HDEL", "h", "a"),
        Approx("TTL", "h"),
        ("HINCRBY", "h", "c", "1"),
        Approx("TTL", "h"),
        ("HINCRBYFLOAT", "h", "c", "1.5"),
        Approx("TTL", "h"),
        ("HSETNX", "h", "d", "4"),
        Approx("TTL", "h"),
        ("HDEL", "h", "b", "c", "d"),
        ("TTL", "h"),
        ("EXISTS", "h"),
        ("HSET", "h", "a", "1"),
        ("TTL", "h"),
        ("PEXPIRE", "h", "50"),
        Sleep(0.15),
        ("HLEN", "h"),
        ("HGETALL", "h"),
        ("HGET", "h", "a"),
        ("EXISTS", "h"),
        ("HSET", "h", "b", "2"),
        ("HGETALL", "h"),
        ("TTL", "h"),
        ("HSET", "g", *_fields(300)),
        ("PEXPIRE", "g", "50"),
        Sleep(0.15),
        ("HSCAN", "g", "0"),
        ("HLEN", "g"),
        ("HSET", "g", "x", "y"),
        ("HGETALL", "g"),
    ],
    "hscan": [
        ("HSCAN", "nokey", "0"),
        ("HSCAN", "nokey", "0", "junk"),
        ("HSCAN", "nokey", "0", "COUNT", "0"),
        ("HSCAN", "nokey", "x"),
        ("HSCAN", "nokey", "-1"),
        ("HSET", "small", *_fields(5)),
        ScanOnce("HSCAN", "small", "0"),
        ScanOnce("HSCAN", "small", "0", "COUNT", "1"),
        ScanOnce("HSCAN", "small", "0", "MATCH", "field:[12]"),
        ScanOnce("HSCAN", "small", "0", "MATCH", "*"),
        ScanOnce("HSCAN", "small", "0", "MATCH", "nothing*"),
        ScanOnce("HSCAN", "small", "0", "match", "*:3", "count", "100"),
        ScanOnce("HSCAN", "small", "0", "COUNT", "1", "MATCH", "x", "MATCH", "*4"),
        ScanOnce("HSCAN", "small", "+0"),
        ScanOnce("HSCAN", "small", "123456", "COUNT", "1"),
        ScanOnce("HSCAN", "small", ""),
        ("HSCAN", "small", "x"),
        ("HSCAN", "small", " 0"),
        ("HSCAN", "small", "0 "),
        ("HSCAN", "small", "1.5"),
        ("HSCAN", "small", "18446744073709551616"),
        ("HSCAN", "small", "99999999999999999999999"),
        ("HSCAN", "small", "0", "COUNT", "0"),
        ("HSCAN", "small", "0", "COUNT", "-1"),
        ("HSCAN", "small", "0", "COUNT", "x"),
        ("HSCAN", "small", "0", "COUNT", INT64_MIN),
        ("HSCAN", "small", "0", "COUNT"),
        ("HSCAN", "small", "0", "MATCH"),
        ("HSCAN", "small", "0", "TYPE", "string"),
        ("HSCAN", "small", "0", "NOVALUES"),
        ("HSCAN", "small", "0", "junk", "1"),
        ("HSCAN", "small", "x", "junk"),
        ("HSCAN", "small"),
        ("SET", "str", "v"),
        ("HSCAN", "str", "0"),
        ("HSCAN", "str", "0", "junk"),
        ("HSCAN", "str", "x"),
        *_hset_batches("big", 3000),
        ScanAll("HSCAN", "big"),
        ScanAll("HSCAN", "big", "COUNT", "1"),
        ScanAll("HSCAN", "big", "COUNT", "1000"),
        ScanAll("HSCAN", "big", "COUNT", INT64_MAX),
        ScanAll("HSCAN", "big", "MATCH", "field:1*"),
        ScanAll("HSCAN", "big", "MATCH", "field:?7", "COUNT", "50"),
        ScanAll("HSCAN", "big", "MATCH", "nothing"),
        ScanAll("HSCAN", "big", "MATCH", "*"),
        ("HSCAN", "big", "0", "COUNT", "0"),
        ("HSCAN", "big", "0", "MATCH"),
        ("HSCAN", "big", "0", "TYPE", "hash"),
        # The most a listpack holds: 128 fields, 64-byte fields and values.
        ("HSET", "full", *[b"%064d" % index for index in range(256)]),
        ScanOnce("HSCAN", "full", "0"),
        ScanOnce("HSCAN", "full", "7", "COUNT", "1", "MATCH", "*1*"),
        ("HSET", "full", "one", "more"),
        ScanAll("HSCAN", "full", "COUNT", "5"),
        ("HSET", "wide", "a", b"v" * 65, "b", "1"),
        ScanAll("HSCAN", "wide", "COUNT", "1"),
    ],
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("target", TARGETS)
def test_same_replies_as_redis(target, group, reference, request):
    assert_group_matches(target, group, GROUPS[group], reference, request)


# ---------------------------------------------------------------------------
# What Redis cannot be compared on
# ---------------------------------------------------------------------------

def _load_big_hash(connection, key, count):
    """Adds `count` fields (some binary, some 20 kB) and returns the content."""
    content = {}
    commands = []
    for index in range(count):
        field = b"field:%d" % index
        if index % 500 == 7:
            field += b"\x00\xff"
        value = BIG_VALUE if index % 1000 == 3 else b"v%d" % index
        content[field] = value
        commands.append(("HSET", key, field, value))
    for start in range(0, len(commands), 500):
        replies = connection.pipeline(commands[start:start + 500])
        assert all(reply == b":1\r\n" for reply in replies), show(replies[0])
    return content


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
@pytest.mark.parametrize("count_option", [[], ["COUNT", "1"], ["COUNT", "97"], ["COUNT", "5000"]])
def test_hscan_returns_every_field_exactly_once(target, count_option, request):
    server = request.getfixturevalue(f"{target}_target")
    with server.raw() as connection:
        flush(connection, target)
        content = _load_big_hash(connection, "scanned", 3000)
        elements, steps = scan_all(connection, "HSCAN", "scanned", *count_option)
        assert steps is not None, show(elements)
        fields = elements[0::2]
        assert len(fields) == len(set(fields)) == len(content)
        assert dict(zip(elements[0::2], elements[1::2])) == content
        if count_option != ["COUNT", "5000"]:
            assert steps > 1, "a 3000-field hash should take several HSCAN steps"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
def test_hscan_match_over_big_hash(target, request):
    server = request.getfixturevalue(f"{target}_target")
    with server.raw() as connection:
        flush(connection, target)
        content = _load_big_hash(connection, "scanned", 3000)
        elements, steps = scan_all(connection, "HSCAN", "scanned", "MATCH", "field:2?3*",
                                   "COUNT", "20")
        expected = {field: value for field, value in content.items()
                    if field.startswith(b"field:2") and len(field) >= 9 and field[8:9] == b"3"}
        fields = elements[0::2]
        assert len(fields) == len(set(fields))
        assert dict(zip(elements[0::2], elements[1::2])) == expected


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
def test_hscan_sees_fields_present_for_the_whole_iteration(target, request):
    """Fields added and removed during an iteration do not hide the others."""
    server = request.getfixturevalue(f"{target}_target")
    with server.raw() as connection:
        flush(connection, target)
        content = _load_big_hash(connection, "moving", 2000)
        cursor, seen, step = b"0", [], 0
        while True:
            cursor, page = parse_reply(connection.command("HSCAN", "moving", cursor,
                                                          "COUNT", "50"))
            seen.extend(page[0::2])
            connection.command("HSET", "moving", b"extra:%d" % step, b"x")
            connection.command("HDEL", "moving", b"extra:%d" % (step - 1))
            step += 1
            if cursor == b"0":
                break
        missing = set(content) - set(seen)
        assert not missing, f"{len(missing)} stable fields never returned"
        stable_seen = [field for field in seen if field in content]
        assert len(stable_seen) == len(set(stable_seen))


@pytest.mark.timeout(60)
def test_delete_big_hash_then_new_hash_at_same_key(node_target):
    with node_target.raw() as connection:
        flush(connection, "node")
        _load_big_hash(connection, "reused", 3000)
        assert connection.call("HLEN", "reused") == 3000
        assert connection.call("DEL", "reused") == 1
        assert connection.call("EXISTS", "reused") == 0
        assert connection.call("HLEN", "reused") == 0
        assert connection.call("HSET", "reused", "only", "1") == 1
        assert connection.call("HLEN", "reused") == 1
        assert connection.call("HGETALL", "reused") == [b"only", b"1"]
        assert connection.call("HGET", "reused", "field:10") is None
        elements, _ = scan_all(connection, "HSCAN", "reused")
        assert elements == [b"only", b"1"]


@pytest.mark.timeout(60)
def test_hash_survives_restart(processes):
    node = processes.node(index=0, fsync="always")
    with node.raw() as connection:
        content = _load_big_hash(connection, "kept", 3000)
        assert connection.call("HINCRBYFLOAT", "kept", "counter", "2.5") == b"2.5"
    node.restart()
    with node.raw() as connection:
        assert connection.call("HLEN", "kept") == 3001
        content[b"counter"] = b"2.5"
        assert _pairs(connection.call("HGETALL", "kept")) == sorted(content.items())


@pytest.mark.timeout(60)
def test_hrandfield_huge_negative_count_is_refused(processes):
    """Redis would try to build the whole reply (and hang or run out of
    memory); herd answers an error and keeps the connection."""
    node = processes.node(index=0, options={"client-output-buffer-limit": "1mb"})
    with node.raw() as connection:
        connection.command("HSET", "h", "field", "x" * 100)
        for count in ("-9223372036854775807", "-1000000"):
            reply = connection.call("HRANDFIELD", "h", count)
            assert isinstance(reply, ErrorReply) and b"HRANDFIELD count too large" in reply
        reply = connection.call("HRANDFIELD", "h", "-100000", "WITHVALUES")
        assert isinstance(reply, ErrorReply) and b"client-output-buffer-limit" in reply
        reply = connection.call("HRANDFIELD", "h", "-1000", "WITHVALUES")
        assert reply == [b"field", b"x" * 100] * 1000
        assert connection.command("PING") == b"+PONG\r\n"


# ---------------------------------------------------------------------------
# Keyspace hits and misses: the read commands count one per lookup, the
# write commands none (Redis's lookupKeyRead / lookupKeyWrite).
# ---------------------------------------------------------------------------

KEYSPACE_ACCOUNTING = [
    ("HSET", "present", "f", "1"),
    ("HGET", "present", "f"), ("HGET", "absent", "f"),
    ("HMGET", "present", "f", "g"), ("HMGET", "absent", "f"),
    ("HEXISTS", "present", "f"), ("HLEN", "absent"), ("HSTRLEN", "present", "f"),
    ("HKEYS", "present"), ("HVALS", "absent"), ("HGETALL", "present"),
    ("HRANDFIELD", "present"), ("HRANDFIELD", "absent", "3"),
    ("HSCAN", "present", "0"), ("HSCAN", "absent", "0"), ("HSCAN", "present", "x"),
    ("HSETNX", "present", "g", "2"), ("HSETNX", "absent2", "g", "2"),
    ("HINCRBY", "present", "n", "1"), ("HINCRBYFLOAT", "absent3", "n", "1.5"),
    ("HDEL", "present", "g"), ("HDEL", "absent", "g"), ("HMSET", "present", "x", "y"),
]


@pytest.mark.timeout(60)
def test_keyspace_hits_and_misses_counted_as_redis(reference, node_target):
    assert_keyspace_counted_as_redis(reference, node_target, KEYSPACE_ACCOUNTING)
