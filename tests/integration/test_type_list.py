"""
test_type_list.py -- the list commands, differentially: the same commands go
to a real redis-server (the reference) and to herd, and the raw replies must
be identical byte for byte.

Targets:
  node   one herd-node, directly
  proxy  herd-proxy in front of 3 herd-nodes (two-key commands use {tag} keys
         so both keys share a slot)
  redis  a second redis-server: checks that the cases themselves are
         deterministic (a failure there is a bug in this file)

Every command is covered with its argument errors (in Redis's order of
checks), WRONGTYPE, missing keys, nil versus empty array, and index edges;
long lists (10000 elements built by RPUSH, by LPUSH and by LINSERT in the
middle, so trees have stored pages), 20 kB elements and binary elements
exercise the paged layout.  A seeded random sequence of operations closes
the comparison.  The blocking forms are herd-specific (refused with a fixed
error) and are checked against that text.
"""

import random
import time

import pytest

from differential import (TARGETS, Approx, Sleep, assert_group_matches,
                          assert_keyspace_counted_as_redis, describe_arguments, flush, show)

INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"
INT64_OVER = "9223372036854775808"
INT64_MAX_INT = int(INT64_MAX)
INT64_MIN_INT = int(INT64_MIN)

_random = random.Random(20240603)
BINARY = bytes(range(256))
BIG_20K = bytes(_random.getrandbits(8) for _ in range(20 * 1024))
BIG_20K_OTHER = BIG_20K[::-1]

A, B, C = "{t}a", "{t}b", "{t}c"    # one slot: two-key commands work anywhere

BLOCKING_ERROR = ("-ERR herd does not support blocking commands yet (%s); "
                  "use the non-blocking form and poll\r\n")


# ---------------------------------------------------------------------------
# Steps and the runner (the pattern of differential.py, pipelined)
# ---------------------------------------------------------------------------

class Direct:
    """A command sent to herd-node and redis only, not through the proxy.

    For argument errors whose junk argument the proxy, like Redis Cluster,
    takes for a key in another slot (it answers CROSSSLOT first).
    """

    def __init__(self, *args):
        self.args = args


def _batches(steps, size=500):
    """Splits steps into pipelines of plain commands, Approx and Sleep steps."""
    batch = []
    for step in steps:
        if isinstance(step, (Approx, Sleep)):
            if batch:
                yield batch
                batch = []
            yield step
            continue
        batch.append(step)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_steps(steps, expected_side, actual_side, limit=20):
    """Runs steps on both sides; returns descriptions of the differences."""
    differences, number = [], 0
    for batch in _batches(steps):
        if isinstance(batch, Sleep):
            time.sleep(batch.seconds)
            continue
        if isinstance(batch, Approx):
            number += 1
            difference = batch.compare(expected_side, actual_side)
            if difference:
                differences.append(f"step {number}: {batch.describe()} (approx)\n"
                                   f"      {difference}")
            continue
        expected_replies = expected_side.pipeline(batch)
        actual_replies = actual_side.pipeline(batch)
        for command, expected, actual in zip(batch, expected_replies, actual_replies):
            number += 1
            if expected != actual:
                differences.append(f"step {number}: {describe_arguments(command)}\n"
                                   f"      expected {show(expected)}\n"
                                   f"      actual   {show(actual)}")
        if len(differences) >= limit:
            break
    return differences


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------

def _elements(prefix, count):
    return [f"{prefix}{number}" for number in range(count)]


def group_push_pop():
    return [
        ("LPUSH", A, "a"),
        ("LPUSH", A, "b", "c", "d"),
        ("RPUSH", A, "e", "f"),
        ("LRANGE", A, 0, -1),
        ("LLEN", A),
        ("TYPE", A),
        ("LPUSHX", A, "x", "y"),
        ("RPUSHX", A, "z"),
        ("LPUSHX", "nokey", "x"),
        ("RPUSHX", "nokey", "x", "y"),
        ("EXISTS", "nokey"),
        ("LRANGE", A, 0, -1),
        ("LPOP", A),
        ("RPOP", A),
        ("LPOP", A, 2),
        ("RPOP", A, 2),
        ("LPOP", A, 0),
        ("RPOP", A, 0),
        ("LRANGE", A, 0, -1),
        ("RPOP", A, 100),
        ("EXISTS", A),
        ("LPOP", A),
        ("LPOP", A, 0),
        ("RPOP", A, 1),
        ("LPOP", "nokey"),
        ("RPOP", "nokey"),
        ("LPOP", "nokey", 0),
        ("RPOP", "nokey", 3),
        ("RPUSH", A, "1", "2", "3"),
        ("LPOP", A, -1),
        ("LPOP", A, "abc"),
        ("LPOP", A, "1.5"),
        ("LPOP", A, INT64_OVER),
        ("RPOP", A, " 1"),
        ("LPOP", A, "1", "2"),
        ("RPOP", A, "1", "2", "3"),
        ("LPOP", "nokey", -1),
        ("LPOP", A, INT64_MAX),
        ("EXISTS", A),
        ("RPUSH", A, "only"),
        ("LPOP", A, 1),
        ("EXISTS", A),
        ("LPUSH", A),
        ("RPUSH",),
        ("LPUSHX", A),
        ("RPUSHX", A),
        ("LPOP",),
        ("LLEN",),
        ("LLEN", A, B),
        ("LLEN", "nokey"),
        ("RPUSH", A, ""),
        ("LRANGE", A, 0, -1),
        ("LLEN", A),
        ("LPUSH", "lower", "v"),
        ("lpush", "lower", "w"),
        ("rPoP", "lower"),
    ]


def group_wrong_type():
    return [
        ("SET", "s", "string"),
        ("LPUSH", "s", "a"),
        ("RPUSH", "s", "a"),
        ("LPUSHX", "s", "a"),
        ("RPUSHX", "s", "a"),
        ("LPOP", "s"),
        ("RPOP", "s", 2),
        ("LPOP", "s", 0),
        ("LPOP", "s", -1),
        ("LLEN", "s"),
        ("LRANGE", "s", 0, -1),
        ("LRANGE", "s", "x", -1),
        ("LINDEX", "s", 0),
        ("LINDEX", "s", "x"),
        ("LSET", "s", 0, "v"),
        ("LSET", "s", "x", "v"),
        ("LINSERT", "s", "BEFORE", "a", "b"),
        ("LINSERT", "s", "MIDDLE", "a", "b"),
        ("LREM", "s", 0, "a"),
        ("LREM", "s", "x", "a"),
        ("LTRIM", "s", 0, 1),
        ("LTRIM", "s", "x", 1),
        ("LPOS", "s", "a"),
        ("LPOS", "s", "a", "RANK", 0),
        ("LPOS", "s", "a", "COUNT", 0),
        Direct("LMOVE", "s", "d", "LEFT", "RIGHT"),
        Direct("RPOPLPUSH", "s", "d"),
        ("SET", "{s}s", "string"),
        ("LMOVE", "{s}s", "{s}d", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "{s}s", "{s}d"),
        ("RPUSH", "{s}d", "x"),
        ("LMOVE", "{s}d", "{s}s", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "{s}d", "{s}s"),
        ("LRANGE", "{s}d", 0, -1),
        ("LMPOP", 1, "s", "LEFT"),
        ("GET", "s"),
        ("RPUSH", "l", "x"),
        ("GET", "l"),
        ("INCR", "l"),
        ("APPEND", "l", "x"),
        ("STRLEN", "l"),
        ("TYPE", "l"),
        ("SET", "l", "now a string"),
        ("TYPE", "l"),
        ("LLEN", "l"),
        ("DEL", "l"),
        ("RPUSH", "l", "back"),
        ("LRANGE", "l", 0, -1),
    ]


def group_index_set():
    return [
        ("RPUSH", A, "a", "b", "c", "d", "e"),
        ("LINDEX", A, 0),
        ("LINDEX", A, 4),
        ("LINDEX", A, 5),
        ("LINDEX", A, -1),
        ("LINDEX", A, -5),
        ("LINDEX", A, -6),
        ("LINDEX", A, INT64_MAX),
        ("LINDEX", A, INT64_MIN),
        ("LINDEX", A, INT64_OVER),
        ("LINDEX", A, "abc"),
        ("LINDEX", A, "01"),
        ("LINDEX", A, "+1"),
        ("LINDEX", A, ""),
        ("LINDEX", "nokey", 0),
        ("LINDEX", "nokey", "abc"),
        ("LINDEX", A),
        ("LINDEX", A, 0, 1),
        ("LSET", A, 0, "A"),
        ("LSET", A, -1, "E"),
        ("LSET", A, 2, ""),
        ("LSET", A, 5, "x"),
        ("LSET", A, -6, "x"),
        ("LSET", A, INT64_MIN, "x"),
        ("LSET", A, "abc", "x"),
        ("LSET", "nokey", 0, "x"),
        ("LSET", "nokey", "abc", "x"),
        ("LSET", A, 0),
        ("LRANGE", A, 0, -1),
        ("LSET", A, 1, BINARY),
        ("LINDEX", A, 1),
        ("LSET", A, 1, BIG_20K),
        ("LINDEX", A, 1),
        ("LSET", A, 1, "small again"),
        ("LRANGE", A, 0, -1),
    ]


def group_insert_remove():
    return [
        ("RPUSH", A, "a", "b", "c", "b", "a"),
        ("LINSERT", A, "BEFORE", "b", "x"),
        ("LINSERT", A, "AFTER", "b", "y"),
        ("LINSERT", A, "before", "a", "first"),
        ("LINSERT", A, "after", "a", "second"),
        ("LINSERT", A, "aFtEr", "nope", "z"),
        ("LINSERT", A, "MIDDLE", "a", "z"),
        ("LINSERT", A, "BEFOREX", "a", "z"),
        ("LINSERT", A, "after\x00junk", "c", "after-nul"),
        ("LINSERT", "nokey", "BEFORE", "a", "z"),
        ("LINSERT", "nokey", "MIDDLE", "a", "z"),
        ("EXISTS", "nokey"),
        ("LINSERT", A, "BEFORE", "a"),
        ("LRANGE", A, 0, -1),
        ("LINSERT", A, "BEFORE", "", "empty-pivot"),
        ("RPUSH", A, ""),
        ("LINSERT", A, "BEFORE", "", "before-empty"),
        ("LRANGE", A, 0, -1),
        ("LREM", A, 1, "b"),
        ("LRANGE", A, 0, -1),
        ("LREM", A, -1, "a"),
        ("LRANGE", A, 0, -1),
        ("LREM", A, 0, "nope"),
        ("RPUSH", A, "r", "r", "q", "r", "q", "r"),
        ("LREM", A, 2, "r"),
        ("LRANGE", A, 0, -1),
        ("LREM", A, -2, "r"),
        ("LRANGE", A, 0, -1),
        ("LREM", A, 0, "q"),
        ("LRANGE", A, 0, -1),
        ("RPUSH", A, "m", "m", "m"),
        ("LREM", A, INT64_MIN, "m"),
        ("RPUSH", A, "m", "m", "m"),
        ("LREM", A, INT64_MAX, "m"),
        ("LREM", A, "abc", "m"),
        ("LREM", A, "1.0", "m"),
        ("LREM", "nokey", 0, "m"),
        ("LREM", "nokey", "abc", "m"),
        ("LREM", A, 0),
        ("LRANGE", A, 0, -1),
        ("DEL", B),
        ("RPUSH", B, "only", "only"),
        ("LREM", B, 0, "only"),
        ("EXISTS", B),
        ("RPUSH", B, "v"),
        ("LREM", B, -5, "v"),
        ("EXISTS", B),
        ("RPUSH", B, BINARY, b"\x00", BINARY),
        ("LREM", B, 1, BINARY),
        ("LINSERT", B, "AFTER", b"\x00", b"\xff\x00\xff"),
        ("LRANGE", B, 0, -1),
        ("LREM", B, 0, b"\x00\x00"),
        ("LLEN", B),
    ]


def group_trim():
    steps = []
    for start, end in [(0, -1), (1, -2), (2, 2), (-3, -1), (-100, 100), (5, 2),
                       (100, 200), (-1, -2), (0, 0), (-1, -1), (0, INT64_MAX),
                       (INT64_MIN, INT64_MAX), (3, 1), (INT64_MAX, INT64_MIN)]:
        steps += [
            ("DEL", A),
            ("RPUSH", A, *_elements("t", 7)),
            ("LTRIM", A, start, end),
            ("LRANGE", A, 0, -1),
            ("EXISTS", A),
        ]
    steps += [
        ("LTRIM", "nokey", 0, 1),
        ("LTRIM", "nokey", "x", 1),
        ("LTRIM", A, "x", 1),
        ("LTRIM", A, 0, "y"),
        ("LTRIM", A, 0),
        ("LTRIM", A, 0, 1, 2),
        ("EXISTS", "nokey"),
    ]
    return steps


def group_lpos():
    return [
        ("RPUSH", A, "a", "b", "c", "1", "2", "3", "c", "c", "a"),
        ("LPOS", A, "a"),
        ("LPOS", A, "c"),
        ("LPOS", A, "x"),
        ("LPOS", A, "c", "RANK", 2),
        ("LPOS", A, "c", "RANK", 3),
        ("LPOS", A, "c", "RANK", 4),
        ("LPOS", A, "c", "RANK", -1),
        ("LPOS", A, "c", "RANK", -3),
        ("LPOS", A, "c", "RANK", -4),
        ("LPOS", A, "c", "COUNT", 0),
        ("LPOS", A, "c", "COUNT", 2),
        ("LPOS", A, "c", "COUNT", 10),
        ("LPOS", A, "x", "COUNT", 0),
        ("LPOS", A, "c", "RANK", -1, "COUNT", 2),
        ("LPOS", A, "c", "RANK", 2, "COUNT", 0),
        ("LPOS", A, "c", "RANK", -2, "COUNT", 0),
        ("LPOS", A, "c", "MAXLEN", 3),
        ("LPOS", A, "c", "MAXLEN", 2),
        ("LPOS", A, "c", "MAXLEN", 0),
        ("LPOS", A, "c", "COUNT", 0, "MAXLEN", 7),
        ("LPOS", A, "c", "RANK", -1, "MAXLEN", 1),
        ("LPOS", A, "c", "RANK", -1, "MAXLEN", 3, "COUNT", 0),
        ("LPOS", A, "a", "RANK", -1, "MAXLEN", 1),
        ("LPOS", A, "c", "rank", 1, "count", 1, "maxlen", 100),
        ("LPOS", A, "c", "RANK", 2, "RANK", 1),
        ("LPOS", A, "c", "COUNT", 0, "COUNT", 1),
        ("LPOS", A, "c", "RANK", INT64_MAX),
        ("LPOS", A, "c", "RANK", INT64_MAX, "COUNT", 0),
        ("LPOS", A, "c", "RANK", INT64_MIN),
        ("LPOS", A, "c", "RANK", INT64_MIN, "COUNT", 1),
        ("LPOS", A, "c", "RANK", INT64_MIN, "COUNT", 2, "MAXLEN", 3),
        ("LPOS", A, "c", "RANK", -INT64_MAX_INT),
        ("LPOS", A, "c", "COUNT", INT64_MAX),
        ("LPOS", A, "c", "MAXLEN", INT64_MAX),
        ("LPOS", A, "c", "RANK", 0),
        ("LPOS", A, "c", "RANK", "abc"),
        ("LPOS", A, "c", "RANK", INT64_OVER),
        ("LPOS", A, "c", "COUNT", -1),
        ("LPOS", A, "c", "COUNT", "abc"),
        ("LPOS", A, "c", "MAXLEN", -1),
        ("LPOS", A, "c", "MAXLEN", "abc"),
        ("LPOS", A, "c", "RANK"),
        ("LPOS", A, "c", "COUNT"),
        ("LPOS", A, "c", "MAXLEN"),
        ("LPOS", A, "c", "FOO", 1),
        ("LPOS", A, "c", "COUNT", 0, "junk"),
        ("LPOS", A, "c", "rank\x00x", 2),
        ("LPOS", A, "c", "RANK", 0, "COUNT", -1),
        ("LPOS", A, "c", "COUNT", -1, "RANK", 0),
        ("LPOS", "nokey", "c"),
        ("LPOS", "nokey", "c", "COUNT", 0),
        ("LPOS", "nokey", "c", "RANK", -1),
        ("LPOS", "nokey", "c", "RANK", 0),
        ("LPOS", A),
        ("RPUSH", B, BINARY, b"\x00", b"", BINARY),
        ("LPOS", B, BINARY, "COUNT", 0),
        ("LPOS", B, b""),
        ("LPOS", B, b"\x00", "RANK", -1),
        ("LPOS", B, b"\x00\x00"),
    ]



def group_move():
    return [
        ("RPUSH", A, "a1", "a2", "a3"),
        ("RPUSH", B, "b1", "b2"),
        ("LMOVE", A, B, "LEFT", "LEFT"),
        ("LMOVE", A, B, "LEFT", "RIGHT"),
        ("LMOVE", A, B, "RIGHT", "LEFT"),
        ("LRANGE", A, 0, -1),
        ("LRANGE", B, 0, -1),
        ("EXISTS", A),
        ("LMOVE", B, A, "RIGHT", "RIGHT"),
        ("LMOVE", B, C, "right", "left"),
        ("LRANGE", A, 0, -1),
        ("LRANGE", B, 0, -1),
        ("LRANGE", C, 0, -1),
        ("LMOVE", B, B, "LEFT", "RIGHT"),
        ("LRANGE", B, 0, -1),
        ("LMOVE", B, B, "RIGHT", "LEFT"),
        ("LRANGE", B, 0, -1),
        ("LMOVE", B, B, "LEFT", "LEFT"),
        ("LMOVE", B, B, "RIGHT", "RIGHT"),
        ("LRANGE", B, 0, -1),
        ("LMOVE", "{t}none", B, "LEFT", "LEFT"),
        ("LMOVE", "{t}none", "{t}none", "LEFT", "LEFT"),
        ("EXISTS", "{t}none"),
        ("SET", "{t}s", "string"),
        ("LMOVE", "{t}none", "{t}s", "LEFT", "LEFT"),
        ("LMOVE", "{t}s", B, "LEFT", "LEFT"),
        ("LMOVE", "{t}s", "{t}none", "LEFT", "LEFT"),
        ("LMOVE", B, "{t}s", "LEFT", "LEFT"),
        ("LRANGE", B, 0, -1),
        ("LMOVE", "{t}s", "{t}s", "LEFT", "LEFT"),
        ("LMOVE", B, C, "UP", "LEFT"),
        ("LMOVE", B, C, "LEFT", "DOWN"),
        ("LMOVE", "{t}none", C, "UP", "LEFT"),
        ("LMOVE", "{t}s", C, "LEFT", "DOWN"),
        ("LMOVE", B, C, "left\x00x", "right\x00y"),
        ("LMOVE", B, C, "LEFTX", "RIGHT"),
        ("LMOVE", B, C, "LEFT"),
        ("LRANGE", C, 0, -1),
        ("RPOPLPUSH", B, C),
        ("RPOPLPUSH", C, C),
        ("LRANGE", C, 0, -1),
        ("RPOPLPUSH", "{t}none", C),
        ("RPOPLPUSH", "{t}s", C),
        ("RPOPLPUSH", C, "{t}s"),
        ("RPOPLPUSH", C),
        ("DEL", A, B, C),
        ("RPUSH", A, "solo"),
        ("RPOPLPUSH", A, A),
        ("LMOVE", A, A, "LEFT", "RIGHT"),
        ("LRANGE", A, 0, -1),
        ("RPOPLPUSH", A, B),
        ("EXISTS", A),
        ("LRANGE", B, 0, -1),
        ("RPUSH", A, BIG_20K, BINARY),
        ("LMOVE", A, B, "LEFT", "RIGHT"),
        ("LMOVE", A, B, "RIGHT", "LEFT"),
        ("LRANGE", B, 0, -1),
    ]


def group_lmpop():
    return [
        ("RPUSH", B, "b1", "b2", "b3", "b4"),
        ("RPUSH", C, "c1"),
        ("LMPOP", 2, A, B, "LEFT"),
        ("LMPOP", 2, A, B, "RIGHT"),
        ("LMPOP", 3, A, B, C, "LEFT", "COUNT", 2),
        ("LMPOP", 3, A, B, C, "RIGHT", "COUNT", 10),
        ("EXISTS", B),
        ("LMPOP", 3, A, B, C, "left", "count", 5),
        ("LMPOP", 3, A, B, C, "LEFT"),
        ("LMPOP", 1, A, "LEFT", "COUNT", 1),
        ("RPUSH", A, "x"),
        ("LMPOP", 0, A, "LEFT"),
        ("LMPOP", -1, A, "LEFT"),
        ("LMPOP", "abc", A, "LEFT"),
        ("LMPOP", INT64_MAX, A, "LEFT"),
        ("LMPOP", INT64_OVER, A, "LEFT"),
        Direct("LMPOP", 2, A, "LEFT"),
        ("LMPOP", 3, A, "LEFT"),
        ("LMPOP", 1, A, "MIDDLE"),
        ("LMPOP", 1, A, "LEFT", "COUNT", 0),
        ("LMPOP", 1, A, "LEFT", "COUNT", -1),
        ("LMPOP", 1, A, "LEFT", "COUNT", "abc"),
        ("LMPOP", 1, A, "LEFT", "COUNT"),
        ("LMPOP", 1, A, "LEFT", "COUNT", 1, "COUNT", 1),
        ("LMPOP", 1, A, "LEFT", "FOO"),
        ("LMPOP", 1, A, "LEFT", "COUNT", 1, "FOO"),
        ("LMPOP", 1, A, "LEFT", "FOO", "COUNT", 0),
        ("LMPOP", 1, A, "MIDDLE", "COUNT", 0),
        ("LMPOP", 1, A),
        ("LMPOP", 1),
        ("LMPOP", 1, A, "left\x00", "count\x00", 1),
        ("LMPOP", 1, A, "LEFT", "COUNT", INT64_MAX),
        ("SET", "{t}s", "v"),
        ("RPUSH", A, "y"),
        ("LMPOP", 2, "{t}s", A, "LEFT"),
        ("LMPOP", 2, A, "{t}s", "LEFT"),
        ("LMPOP", 2, "{t}none", "{t}s", "LEFT"),
        ("LMPOP", 2, "{t}none", "{t}none2", "RIGHT"),
        ("LMPOP", 1, A, "RIGHT", "COUNT", 1),
    ]


def group_blocking_through_reference():
    """Blocking forms with arguments Redis answers at once (arity errors)."""
    return [
        ("BLPOP", A),
        ("BRPOP",),
        ("BLMOVE", A, B, "LEFT", "LEFT"),
        ("BRPOPLPUSH", A, B),
        ("BLMPOP", 0, 1, A),
    ]


def group_expiry():
    return [
        ("RPUSH", A, "a", "b"),
        ("EXPIRE", A, 100),
        ("LPUSH", A, "c"),
        Approx("TTL", A),
        ("LPOP", A),
        ("RPOP", A),
        Approx("TTL", A),
        ("LSET", A, 0, "z"),
        ("LINSERT", A, "AFTER", "z", "y"),
        ("LREM", A, 0, "nothing"),
        ("LTRIM", A, 0, -1),
        Approx("TTL", A),
        ("RPUSH", B, "b"),
        ("RPOPLPUSH", B, A),
        Approx("TTL", A),
        ("TTL", B),
        ("RPUSH", C, "c1", "c2"),
        ("PEXPIRE", C, 1),
        Sleep(0.05),
        ("LLEN", C),
        ("LRANGE", C, 0, -1),
        ("LPUSHX", C, "x"),
        ("EXISTS", C),
        ("RPUSH", C, "fresh"),
        ("TTL", C),
        ("LRANGE", C, 0, -1),
        ("RPOP", A, 10),
        ("TTL", A),
    ]


def _lrange_edges(key, length):
    indexes = sorted({INT64_MIN_INT, -length - 2, -length - 1, -length, -length + 1, -2, -1,
                      0, 1, 2, length - 2, length - 1, length, length + 1, INT64_MAX_INT})
    return [("LRANGE", key, start, end) for start in indexes for end in indexes]


def group_lrange_edges():
    steps = [("RPUSH", A, "only"), ("RPUSH", B, *_elements("e", 7)),
             ("RPUSH", C, *_elements("p", 700))]
    steps += _lrange_edges("nokey", 0)
    steps += _lrange_edges(A, 1)
    steps += _lrange_edges(B, 7)
    steps += _lrange_edges(C, 700)
    steps += [("LRANGE", C, 10, 9), ("LRANGE", C, 120, 140), ("LRANGE", C, 127, 128),
              ("LRANGE", C, 255, 257), ("LRANGE", C, -129, -127),
              ("LRANGE", A, "x", 0), ("LRANGE", A, 0, "y"), ("LRANGE", A, "", 0),
              ("LRANGE", A, INT64_OVER, 0), ("LRANGE", A, 0, "-" + INT64_OVER),
              ("LRANGE", A, "1e2", 0), ("LRANGE", "nokey", "x", 0),
              ("LRANGE", A, 0), ("LRANGE", A, 0, 1, 2)]
    return steps


def _probe_long(key, length):
    """Reads of a long list at many positions (all against Redis)."""
    positions = [0, 1, 2, 63, 64, 127, 128, 129, 255, 256, 1000, length // 2,
                 length - 129, length - 128, length - 2, length - 1, length]
    steps = [("LLEN", key), ("LRANGE", key, 0, -1)]
    for position in positions:
        steps += [("LINDEX", key, position), ("LINDEX", key, -position - 1),
                  ("LRANGE", key, position, position + 300),
                  ("LRANGE", key, -position - 300, -position)]
    return steps


def group_long_rpush():
    elements = _elements("r", 10000)
    steps = [("RPUSH", A, *elements[:5000])]
    steps += [("RPUSH", A, element) for element in elements[5000:]]
    steps += _probe_long(A, 10000)
    steps += [
        ("LPOS", A, "r9999"), ("LPOS", A, "r0", "RANK", -1),
        ("LPOS", A, "r5000", "MAXLEN", 5000), ("LPOS", A, "r5000", "MAXLEN", 5001),
        ("LPOS", A, "r5000", "RANK", -1, "MAXLEN", 5000),
        ("LPOS", A, "missing", "COUNT", 0),
        ("LSET", A, 0, "first"), ("LSET", A, 5000, "middle"), ("LSET", A, -1, "last"),
        ("LINDEX", A, 0), ("LINDEX", A, 5000), ("LINDEX", A, -1),
        ("LINSERT", A, "AFTER", "middle", "after-middle"),
        ("LINSERT", A, "BEFORE", "last", "before-last"),
        ("LREM", A, 1, "after-middle"), ("LREM", A, -1, "r1234"),
        ("LPOP", A, 300), ("RPOP", A, 300), ("LPOP", A), ("RPOP", A),
        ("LLEN", A), ("LRANGE", A, 4000, 4400),
        ("LTRIM", A, 1000, -1000), ("LLEN", A), ("LRANGE", A, 0, -1),
        ("LTRIM", A, 500, 7000), ("LRANGE", A, 0, -1),
        ("RPUSH", A, *(["dup"] * 50)), ("LPUSH", A, *(["dup"] * 50)),
        ("LPOS", A, "dup", "COUNT", 0), ("LPOS", A, "dup", "RANK", -10, "COUNT", 5),
        ("LREM", A, 0, "dup"), ("LLEN", A), ("LRANGE", A, 0, -1),
        ("LTRIM", A, 10, 5), ("EXISTS", A),
    ]
    return steps


def group_long_lpush():
    elements = _elements("l", 10000)
    steps = [("LPUSH", A, element) for element in elements[:5000]]
    steps += [("LPUSH", A, *elements[5000:])]
    steps += _probe_long(A, 10000)
    steps += [
        ("LMOVE", A, B, "LEFT", "RIGHT"), ("LMOVE", A, B, "RIGHT", "LEFT"),
        ("LMOVE", A, A, "LEFT", "RIGHT"), ("LMOVE", A, A, "RIGHT", "LEFT"),
        ("RPOPLPUSH", A, A), ("LINDEX", A, 0), ("LINDEX", A, -1),
        ("LRANGE", B, 0, -1),
        ("LMPOP", 2, C, A, "RIGHT", "COUNT", 1000), ("LLEN", A),
        ("LMPOP", 2, C, A, "LEFT", "COUNT", 2500), ("LLEN", A),
        ("LRANGE", A, 0, -1),
        ("RPOP", A, 6000), ("EXISTS", A),
    ]
    return steps


def group_long_linsert():
    """10000 elements each inserted next to a pivot in the middle."""
    steps = [("RPUSH", A, "head", "mid", "tail")]
    for number in range(10000):
        where = "BEFORE" if number % 2 == 0 else "AFTER"
        steps.append(("LINSERT", A, where, "mid", f"i{number}"))
    steps += _probe_long(A, 10003)
    steps += [("LPOS", A, "mid"), ("LPOS", A, "i0", "RANK", -1),
              ("LREM", A, 0, "mid"), ("LPOS", A, "mid"),
              ("LINSERT", A, "AFTER", "i9999", "x"), ("LRANGE", A, 0, -1)]
    return steps


def group_big_and_binary_elements():
    big = [BIG_20K[index:] + bytes([index]) for index in range(60)]
    steps = [("RPUSH", A, *big[:30])]
    steps += [("LPUSH", A, element) for element in big[30:]]
    steps += [
        ("LLEN", A), ("LRANGE", A, 0, -1), ("LRANGE", A, 25, 35),
        ("LINDEX", A, 0), ("LINDEX", A, 45), ("LINDEX", A, -1),
        ("LPOS", A, big[5]), ("LPOS", A, big[40], "RANK", -1),
        ("LINSERT", A, "BEFORE", big[10], BIG_20K_OTHER),
        ("LINSERT", A, "AFTER", big[50], BINARY),
        ("LSET", A, 20, BIG_20K_OTHER),
        ("LREM", A, 0, BIG_20K_OTHER),
        ("LRANGE", A, 0, -1),
        ("LMOVE", A, B, "LEFT", "LEFT"), ("LMOVE", A, B, "RIGHT", "LEFT"),
        ("LRANGE", B, 0, -1),
        ("LPOP", A, 7), ("RPOP", A, 7), ("LTRIM", A, 3, -3), ("LRANGE", A, 0, -1),
        ("RPUSH", C, BINARY, b"\x00", b"\xff", b"\r\n", b"", b"\x00\xff\x00",
         "π-элемент", BINARY * 40),
        ("LRANGE", C, 0, -1),
        ("LPOS", C, b"\x00", "COUNT", 0), ("LPOS", C, b"", "COUNT", 0),
        ("LREM", C, 0, b"\xff"), ("LINSERT", C, "BEFORE", b"\r\n", b"\n\r"),
        ("LSET", C, 0, BINARY[::-1]), ("LRANGE", C, 0, -1),
        ("RPUSH", b"\x00key\xff", b"v\x00"), ("LRANGE", b"\x00key\xff", 0, -1),
        ("RPOP", b"\x00key\xff"), ("EXISTS", b"\x00key\xff"),
    ]
    return steps


def group_random_operations():
    """A seeded random mix of every command over three small lists."""
    chooser = random.Random(7)
    keys = [A, B, C]
    values = ["a", "b", "c", "", BINARY[:3].decode("latin-1"), "dd"]
    steps = []

    def index():
        return chooser.choice([chooser.randint(-8, 8), chooser.randint(-40, 40)])

    for _ in range(3000):
        key, other = chooser.choice(keys), chooser.choice(keys)
        value = chooser.choice(values)
        side = chooser.choice(["LEFT", "RIGHT"])
        side2 = chooser.choice(["LEFT", "RIGHT"])
        kind = chooser.randrange(16)
        if kind <= 3:
            count = chooser.randint(1, 4)
            command = chooser.choice(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"])
            steps.append((command, key, *[chooser.choice(values) for _ in range(count)]))
        elif kind == 4:
            steps.append((chooser.choice(["LPOP", "RPOP"]), key))
        elif kind == 5:
            steps.append((chooser.choice(["LPOP", "RPOP"]), key, chooser.randint(0, 4)))
        elif kind == 6:
            steps.append(("LRANGE", key, index(), index()))
        elif kind == 7:
            steps.append(("LINDEX", key, index()))
        elif kind == 8:
            steps.append(("LSET", key, index(), value))
        elif kind == 9:
            steps.append(("LINSERT", key, chooser.choice(["BEFORE", "AFTER"]),
                          chooser.choice(values), value))
        elif kind == 10:
            steps.append(("LREM", key, chooser.randint(-3, 3), value))
        elif kind == 11:
            steps.append(("LTRIM", key, index(), index()))
        elif kind == 12:
            options = []
            if chooser.random() < 0.5:
                options += ["RANK", chooser.choice([-3, -2, -1, 1, 2, 3])]
            if chooser.random() < 0.5:
                options += ["COUNT", chooser.randint(0, 3)]
            if chooser.random() < 0.3:
                options += ["MAXLEN", chooser.randint(0, 10)]
            steps.append(("LPOS", key, value, *options))
        elif kind == 13:
            steps.append(("LMOVE", key, other, side, side2))
        elif kind == 14:
            steps.append(("RPOPLPUSH", key, other))
        else:
            chosen = chooser.sample(keys, chooser.randint(1, 3))
            steps.append(("LMPOP", len(chosen), *chosen, side, "COUNT",
                          chooser.randint(1, 3)))
        if chooser.random() < 0.05:
            steps.append(("LRANGE", key, 0, -1))
    steps += [("LRANGE", key, 0, -1) for key in keys]
    return steps


GROUPS = {
    "push_pop": group_push_pop,
    "wrong_type": group_wrong_type,
    "index_set": group_index_set,
    "insert_remove": group_insert_remove,
    "trim": group_trim,
    "lpos": group_lpos,
    "move": group_move,
    "lmpop": group_lmpop,
    "blocking_arity": group_blocking_through_reference,
    "expiry": group_expiry,
    "lrange_edges": group_lrange_edges,
    "long_rpush": group_long_rpush,
    "long_lpush": group_long_lpush,
    "long_linsert": group_long_linsert,
    "big_and_binary": group_big_and_binary_elements,
    "random_operations": group_random_operations,
}


def for_target(steps, target):
    """The steps a target runs: Direct steps are dropped for the proxy."""
    chosen = []
    for step in steps:
        if isinstance(step, Direct):
            if target == "proxy":
                continue
            step = step.args
        chosen.append(step)
    return chosen


@pytest.mark.timeout(60)
@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("target", TARGETS)
def test_list_replies_as_redis(target, group, reference, request):
    steps = for_target(GROUPS[group](), target)
    assert_group_matches(target, group, steps, reference, request,
                         runner=run_steps, timeout=30)


# ---------------------------------------------------------------------------
# Blocking forms: refused by herd with one fixed error, connection kept
# ---------------------------------------------------------------------------

BLOCKING_COMMANDS = [
    ("BLPOP", (A, 0)),
    ("BRPOP", (A, B, "1.5")),
    ("BLMOVE", (A, B, "LEFT", "RIGHT", 0)),
    ("BRPOPLPUSH", (A, B, 0)),
    ("BLMPOP", (0, 2, A, B, "LEFT", "COUNT", 2)),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("target", ["node", "proxy"])
def test_blocking_commands_refused(target, request):
    server = request.getfixturevalue(f"{target}_target")
    with server.raw(timeout=5) as connection:
        flush(connection, target)
        assert connection.command("RPUSH", A, "kept") == b":1\r\n"
        for name, arguments in BLOCKING_COMMANDS:
            for spelling in (name, name.lower()):
                reply = connection.command(spelling, *arguments)
                assert reply == (BLOCKING_ERROR % name).encode(), (spelling, reply)
        assert connection.command("LRANGE", A, 0, -1) == b"*1\r\n$4\r\nkept\r\n"
        assert connection.command("PING") == b"+PONG\r\n"


# ---------------------------------------------------------------------------
# Keyspace hits and misses: read commands count, write commands do not
# ---------------------------------------------------------------------------

KEYSPACE_ACCOUNTING = [
    ("RPUSH", "l", "a", "b"),
    ("LLEN", "l"), ("LLEN", "nokey"),
    ("LRANGE", "l", 0, -1), ("LRANGE", "nokey", 0, -1),
    ("LINDEX", "l", 0), ("LINDEX", "nokey", 0),
    ("LPOS", "l", "a"), ("LPOS", "nokey", "a"),
    ("LPUSH", "l", "x"), ("LPUSHX", "nokey", "x"), ("LPOP", "nokey"),
    ("RPOP", "l"), ("LSET", "l", 0, "y"), ("LINSERT", "nokey", "BEFORE", "a", "b"),
    ("LREM", "l", 0, "q"), ("LTRIM", "l", 0, -1), ("LMOVE", "l", "l", "LEFT", "LEFT"),
    ("RPOPLPUSH", "nokey", "l"), ("LMPOP", 2, "nokey", "l", "LEFT"),
]


@pytest.mark.timeout(30)
def test_list_keyspace_hits_and_misses(reference, node_target):
    assert_keyspace_counted_as_redis(reference, node_target, KEYSPACE_ACCOUNTING)


# ---------------------------------------------------------------------------
# Long lists have stored pages, and a restart keeps them exactly
# ---------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_long_lists_survive_restart(processes):
    reference = processes.redis(name="restart-reference", options={"databases": 1})
    node = processes.node(index=0, name="restart-node")
    build = [("RPUSH", "long", *_elements("v", 5000)),
             ("LPUSH", "long", *_elements("w", 3000)),
             ("LINSERT", "long", "AFTER", "v2500", BIG_20K),
             ("LTRIM", "long", 100, -100),
             ("RPUSH", "big", *[BIG_20K[index:] for index in range(40)]),
             ("LREM", "big", 1, BIG_20K[7:])]
    checks = [("LLEN", "long"), ("LRANGE", "long", 0, -1), ("LINDEX", "long", 4000),
              ("LRANGE", "big", 0, -1), ("LPOS", "long", BIG_20K)]
    with reference.raw(timeout=30) as expected_side, node.raw(timeout=30) as actual_side:
        assert not run_steps(build + checks, expected_side, actual_side)
        # herd's OBJECT ENCODING tells whether a collection has stored pages.
        actual_side.command("RPUSH", "small", "a", "b")
        assert actual_side.command("OBJECT", "ENCODING", "small") == b"$8\r\nlistpack\r\n"
        for key in ("long", "big"):
            encoding = actual_side.command("OBJECT", "ENCODING", key)
            assert encoding == b"$5\r\nbtree\r\n", (key, encoding)
    node.stop()
    node.start()
    with reference.raw(timeout=30) as expected_side, node.raw(timeout=30) as actual_side:
        differences = run_steps(checks, expected_side, actual_side)
    assert not differences, "after a restart:\n" + "\n".join(differences)
