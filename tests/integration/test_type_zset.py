"""
test_type_zset.py -- the sorted set commands, differential against a real
redis-server (7.0), on one herd-node directly and through herd-proxy in
front of 3 nodes (multi-key commands use {hashtag} keys so they stay on one
node), plus a second redis-server as a check that the cases themselves are
deterministic.

Every reply is compared byte for byte, including errors: sorted sets have
a defined order (score, then member bytes), so ranges compare exactly.
ZRANDMEMBER is random and is checked by its properties instead; the
blocking commands (BZPOPMIN, BZPOPMAX, BZMPOP) are not supported by herd
yet and must answer herd's error.

The groups include big sorted sets (5000 members, so the trees have
stored pages, not only the inline root), members of 10 kB, equal scores,
+inf/-inf scores and binary members with NUL and 0xff bytes.
"""

import random

import pytest

from harness import ErrorReply, parse_reply
from differential import (TARGETS, Exact, assert_group_matches,
                          assert_keyspace_counted_as_redis, flush, run_group)

INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"

_random = random.Random(20240607)


class TtlState(Exact):
    """TTL of a key as 'ttl>0', or the raw reply (-1, -2) when not positive."""

    def describe(self):
        return "TTL " + " ".join(str(argument) for argument in self.args)

    def run(self, connection):
        raw = connection.command("TTL", *self.args)
        value = parse_reply(raw)
        if isinstance(value, int) and value > 0:
            return b"ttl>0"
        return raw


# ---------------------------------------------------------------------------
# Data for the big groups
# ---------------------------------------------------------------------------

BIG = 5000

# 5000 members with distinct scores (i / 2), interleaved in insertion order.
BIG_PAIRS = []
for _index in _random.sample(range(BIG), BIG):
    BIG_PAIRS += [str(_index / 2), f"m{_index:05d}"]

# A second big set overlapping the first on every third member.
BIG2_PAIRS = []
for _index in range(0, BIG * 2, 3):
    BIG2_PAIRS += [str(_index), f"m{_index:05d}"]

# 5000 members with the same score: lex ranges.
LEX_PAIRS = []
for _index in _random.sample(range(BIG), BIG):
    LEX_PAIRS += ["0", f"w{_index:04d}"]

# Many members sharing few scores (ties broken by member bytes).
TIE_PAIRS = []
for _index in range(3000):
    TIE_PAIRS += [str(_index % 7 - 3), f"t{_random.getrandbits(40):010x}"]

# 300 members of 10 kB each.
HUGE_MEMBERS = [bytes([65 + index % 26]) * 10000 + str(index).encode()
                for index in range(300)]
HUGE_PAIRS = []
for _index, _member in enumerate(HUGE_MEMBERS):
    HUGE_PAIRS += [str(_index % 50), _member]

BINARY_MEMBERS = [b"", b"\x00", b"\x00\x00", b"a\x00b", b"\xff", b"\xff\xff",
                  b"\xfe\xff", b"\x7f", b"\x80", b"a", b"a\x00", b"\r\n",
                  bytes(range(256))]


# ---------------------------------------------------------------------------
# The cases.  Plain tuples are Exact steps.
# ---------------------------------------------------------------------------

GROUPS = {
    "zadd_basic": [
        ("ZADD", "z", 1, "a"),
        ("ZADD", "z", 2, "b", 3, "c"),
        ("ZADD", "z", 1, "a"),
        ("ZADD", "z", 5, "a"),
        ("ZRANGE", "z", 0, -1, "WITHSCORES"),
        ("ZCARD", "z"),
        ("ZCARD", "missing"),
        ("ZSCORE", "z", "a"),
        ("ZSCORE", "z", "nope"),
        ("ZSCORE", "missing", "a"),
        ("ZADD", "z", 1, "dup", 2, "dup"),
        ("ZSCORE", "z", "dup"),
        ("ZADD", "z", 7, "x", 7, "x", 8, "x"),
        ("ZSCORE", "z", "x"),
        ("TYPE", "z"),
        ("ZADD", "z"),
        ("ZADD", "z", 1),
        ("ZADD", "z", 1, "a", 2),
        ("ZADD", "z", "nx"),
        ("ZADD", "z", "nx", "xx"),
        ("ZADD", "z", "nx", "xx", "ch"),
        ("zadd", "lower", 1, "a"),
        ("ZRANGE", "lower", 0, -1),
        ("ZADD", "many", *[item for index in range(200) for item in (index, f"e{index}")]),
        ("ZCARD", "many"),
        ("ZRANGE", "many", 0, -1, "WITHSCORES"),
    ],
    "zadd_options": [
        ("ZADD", "z", "NX", 1, "a"),
        ("ZADD", "z", "NX", 2, "a"),
        ("ZSCORE", "z", "a"),
        ("ZADD", "z", "XX", 3, "a"),
        ("ZADD", "z", "XX", 3, "newx"),
        ("ZSCORE", "z", "newx"),
        ("ZSCORE", "z", "a"),
        ("ZADD", "z", "XX", "CH", 4, "a", 5, "b"),
        ("ZADD", "z", "CH", 4, "a", 5, "b"),
        ("ZADD", "z", "GT", 3, "a"),
        ("ZADD", "z", "GT", "CH", 10, "a"),
        ("ZADD", "z", "LT", "CH", 20, "a"),
        ("ZADD", "z", "LT", "CH", 1, "a"),
        ("ZADD", "z", "GT", 7, "newgt"),
        ("ZADD", "z", "LT", 7, "newlt"),
        ("ZADD", "z", "XX", "GT", "CH", 100, "a", 100, "zz"),
        ("ZADD", "z", "XX", "LT", "CH", 200, "a", -5, "b"),
        ("ZADD", "z", "INCR", 5, "a"),
        ("ZADD", "z", "INCR", 5, "fresh"),
        ("ZADD", "z", "NX", "INCR", 5, "a"),
        ("ZADD", "z", "NX", "INCR", 5, "fresh2"),
        ("ZADD", "z", "XX", "INCR", 5, "nothere"),
        ("ZADD", "z", "XX", "INCR", 5, "a"),
        ("ZADD", "z", "GT", "INCR", -1, "a"),
        ("ZADD", "z", "LT", "INCR", -1, "a"),
        ("ZADD", "z", "GT", "INCR", 1, "a"),
        ("ZADD", "z", "LT", "INCR", 1, "a"),
        ("ZADD", "z", "ch", "incr", 0, "a"),
        ("ZADD", "z", "incr", 0, "a"),
        ("ZADD", "z", "GT", "INCR", 0, "a"),
        ("ZADD", "missingxx", "XX", 1, "a"),
        ("EXISTS", "missingxx"),
        ("ZADD", "missingxx", "XX", "INCR", 1, "a"),
        ("ZADD", "missingxx", "XX", "CH", 1, "a"),
        ("EXISTS", "missingxx"),
        ("ZADD", "newgt", "GT", 1, "a"),
        ("ZSCORE", "newgt", "a"),
        ("ZADD", "z", "nx", "xx", 1, "a"),
        ("ZADD", "z", "gt", "lt", 1, "a"),
        ("ZADD", "z", "nx", "gt", 1, "a"),
        ("ZADD", "z", "lt", "nx", 1, "a"),
        ("ZADD", "z", "xx", "nx", "gt", 1, "a"),
        ("ZADD", "z", "incr", 1, "a", 2, "b"),
        ("ZADD", "z", "nx", "xx", "incr", 1, "a", 2, "b"),
        ("ZADD", "z", "incr", "gt", "lt", 1, "a", 2, "b"),
        ("ZADD", "z", "incr", 1, "a", 2),
        ("ZADD", "z", "incr", "abc", "a"),
        ("ZADD", "z", "CH", "CH", 1, "a"),
        ("ZADD", "z", "nx\x00junk", 9, "a"),
        ("ZADD", "z", "Nx", "cH", 9, "new9"),
        ("ZADD", "z", "xx", "xx", 1, "a"),
        ("ZRANGE", "z", 0, -1, "WITHSCORES"),
    ],
    "zadd_scores": [
        ("ZADD", "s", "0.1", "a", "1e300", "b", "-0", "c", "inf", "d", "-inf", "e",
         "+inf", "f", "1e-310", "g", "3.0", "h", "1.5e-7", "i",
         "123456789012345678", "j", "-1.7976931348623157e308", "k", "0x10", "l",
         "infinity", "m", "-Infinity", "n", "5e-324", "o", "1.7976931348623157e308", "p",
         "-3", "q", ".5", "r", "5.", "s", "1E2", "t"),
        ("ZRANGE", "s", 0, -1, "WITHSCORES"),
        ("ZSCORE", "s", "a"),
        ("ZSCORE", "s", "c"),
        ("ZSCORE", "s", "g"),
        ("ZSCORE", "s", "d"),
        ("ZSCORE", "s", "e"),
        ("ZMSCORE", "s", "a", "b", "c", "d", "e", "i", "j"),
        ("ZADD", "s", "nan", "x"),
        ("ZADD", "s", "NaN", "x"),
        ("ZADD", "s", " 1", "x"),
        ("ZADD", "s", "1 ", "x"),
        ("ZADD", "s", "", "x"),
        ("ZADD", "s", "abc", "x"),
        ("ZADD", "s", "1e400", "x"),
        ("ZADD", "s", "-1e400", "x"),
        ("ZADD", "s", "1e-400", "x"),
        ("ZADD", "s", "1\x00", "x"),
        ("ZADD", "s", "1,5", "x"),
        ("ZADD", "s", "--1", "x"),
        ("ZADD", "s", 1, "a", "bad", "b"),
        ("ZSCORE", "s", "a"),
        ("ZSCORE", "s", "x"),
        ("ZINCRBY", "s", "-inf", "d"),
        ("ZADD", "s", "INCR", "-inf", "d"),
        ("ZADD", "s", "INCR", "inf", "e"),
        ("ZSCORE", "s", "d"),
        ("ZINCRBY", "s", "inf", "d"),
        ("ZINCRBY", "s", "-0", "new0"),
        ("ZSCORE", "s", "new0"),
        ("ZADD", "s", "INCR", "-0", "new1"),
        ("ZINCRBY", "s", "1e308", "b"),
        ("ZINCRBY", "s", "1e308", "b"),
        ("ZINCRBY", "s", "0.2", "a"),
        ("ZRANGE", "s", 0, -1, "WITHSCORES"),
        ("ZCARD", "s"),
    ],
    "zincrby": [
        ("ZINCRBY", "z", 1, "a"),
        ("ZINCRBY", "z", "2.5", "a"),
        ("ZINCRBY", "z", "-10", "a"),
        ("ZINCRBY", "z", "0.1", "b"),
        ("ZINCRBY", "z", "0.2", "b"),
        ("ZINCRBY", "z", "abc", "a"),
        ("ZINCRBY", "z", "", "a"),
        ("ZINCRBY", "z", "nx", "a"),
        ("ZINCRBY", "z", "incr", "a"),
        ("ZINCRBY", "z", "1", "nx"),
        ("ZINCRBY", "z", 1),
        ("ZINCRBY", "z", 1, "a", "b"),
        ("ZINCRBY", "fresh", "-7", "m"),
        ("ZRANGE", "fresh", 0, -1, "WITHSCORES"),
        ("ZRANGE", "z", 0, -1, "WITHSCORES"),
    ],
    "wrong_type": [
        ("SET", "{w}str", "x"),
        ("SADD", "{w}set", "x", "y"),
        ("ZADD", "{w}zs", 1, "x"),
        ("ZADD", "{w}str", 1, "a"),
        ("ZADD", "{w}str", "XX", 1, "a"),
        ("ZADD", "{w}str", "nx", "xx", 1, "a"),
        ("ZADD", "{w}str", "bad", "a"),
        ("ZINCRBY", "{w}str", 1, "a"),
        ("ZREM", "{w}str", "a"),
        ("ZSCORE", "{w}str", "a"),
        ("ZMSCORE", "{w}str", "a"),
        ("ZCARD", "{w}str"),
        ("ZCOUNT", "{w}str", 0, 1),
        ("ZCOUNT", "{w}str", "x", 1),
        ("ZLEXCOUNT", "{w}str", "-", "+"),
        ("ZLEXCOUNT", "{w}str", "x", "+"),
        ("ZRANGE", "{w}str", 0, -1),
        ("ZRANGE", "{w}str", "a", -1),
        ("ZRANGE", "{w}str", 0, -1, "foo"),
        ("ZRANGE", "{w}set", 0, -1),
        ("ZRANGESTORE", "{w}dst", "{w}str", 0, -1),
        ("ZRANGEBYSCORE", "{w}str", 0, 1),
        ("ZRANGEBYLEX", "{w}str", "-", "+"),
        ("ZREVRANGE", "{w}str", 0, 1),
        ("ZREVRANGEBYSCORE", "{w}str", 1, 0),
        ("ZREVRANGEBYLEX", "{w}str", "+", "-"),
        ("ZRANK", "{w}str", "a"),
        ("ZREVRANK", "{w}str", "a"),
        ("ZPOPMIN", "{w}str"),
        ("ZPOPMAX", "{w}str", 2),
        ("ZPOPMIN", "{w}str", 0),
        ("ZPOPMIN", "{w}str", -1),
        ("ZMPOP", 1, "{w}str", "MIN"),
        ("ZRANDMEMBER", "{w}str"),
        ("ZRANDMEMBER", "{w}str", 2),
        ("ZRANDMEMBER", "{w}str", 0),
        ("ZREMRANGEBYRANK", "{w}str", 0, 1),
        ("ZREMRANGEBYSCORE", "{w}str", 0, 1),
        ("ZREMRANGEBYLEX", "{w}str", "-", "+"),
        ("ZUNIONSTORE", "{w}dst", 2, "{w}zs", "{w}str"),
        ("ZINTERSTORE", "{w}dst", 1, "{w}str"),
        ("ZDIFFSTORE", "{w}dst", 2, "{w}zs", "{w}str"),
        ("ZUNION", 2, "{w}zs", "{w}str"),
        ("ZINTER", 2, "{w}str", "{w}zs"),
        ("ZDIFF", 1, "{w}str"),
        ("ZINTERCARD", 2, "{w}zs", "{w}str"),
        ("ZUNIONSTORE", "{w}dst", 2, "{w}str", "{w}zs", "WEIGHTS", "x"),
        ("EXISTS", "{w}dst"),
        ("GET", "{w}zs"),
        ("TYPE", "{w}zs"),
        ("GET", "{w}str"),
    ],
    "zrem_zmscore": [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c"),
        ("ZREM", "z", "a", "x"),
        ("ZREM", "z", "a"),
        ("ZREM", "missing", "a"),
        ("ZREM", "z", "b", "b", "b"),
        ("ZMSCORE", "z", "b", "x", "c"),
        ("ZMSCORE", "missing", "a", "b"),
        ("ZMSCORE", "z", "c"),
        ("ZREM", "z", "c", "d"),
        ("EXISTS", "z"),
        ("ZCARD", "z"),
        ("ZREM", "z"),
        ("ZMSCORE", "z"),
        ("ZADD", "t", 1, "a"),
        ("EXPIRE", "t", 100),
        ("ZADD", "t", 2, "b"),
        TtlState("t"),
        ("ZREM", "t", "a"),
        TtlState("t"),
        ("ZINCRBY", "t", 1, "b"),
        TtlState("t"),
        ("ZREM", "t", "b"),
        ("EXISTS", "t"),
        ("ZADD", "gone", 1, "a"),
        ("PEXPIRE", "gone", 1),
    ],
    "zrange_rank": [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e"),
        ("ZRANGE", "z", 0, -1),
        ("ZRANGE", "z", 0, 2, "WITHSCORES"),
        ("ZRANGE", "z", -2, -1),
        ("ZRANGE", "z", -100, 100),
        ("ZRANGE", "z", 3, 1),
        ("ZRANGE", "z", 5, 10),
        ("ZRANGE", "z", 4, 10),
        ("ZRANGE", "z", -1, -5),
        ("ZRANGE", "z", 0, 0),
        ("ZRANGE", "z", -6, 0),
        ("ZRANGE", "z", 0, -6),
        ("ZRANGE", "z", INT64_MIN, INT64_MAX),
        ("ZRANGE", "z", 0, -1, "REV"),
        ("ZRANGE", "z", 0, 1, "REV", "WITHSCORES"),
        ("ZRANGE", "z", -2, -1, "rev"),
        ("ZRANGE", "z", 0, -1, "withscores", "REV"),
        ("ZREVRANGE", "z", 0, -1),
        ("ZREVRANGE", "z", 1, 2, "WITHSCORES"),
        ("ZREVRANGE", "z", -1, -1),
        ("ZREVRANGE", "z", 3, 100),
        ("ZRANGE", "z", "a", 1),
        ("ZRANGE", "z", 0, "1.5"),
        ("ZRANGE", "z", "9223372036854775808", 1),
        ("ZRANGE", "z", 0, -1, "LIMIT", 0, 1),
        ("ZRANGE", "z", 0, -1, "LIMIT", 0, -1),
        ("ZRANGE", "z", 0, -1, "LIMIT", 5, -1),
        ("ZRANGE", "z", 0, -1, "LIMIT", 0),
        ("ZRANGE", "z", 0, -1, "LIMIT", "x", 1),
        ("ZRANGE", "z", 0, -1, "LIMIT", 1, "y"),
        ("ZRANGE", "z", 0, -1, "WITHSCORES", "WITHSCORES"),
        ("ZRANGE", "z", 0, -1, "REV", "REV"),
        ("ZRANGE", "z", 0, -1, "BYSCORE", "BYLEX"),
        ("ZRANGE", "z", 0, -1, "BYSCORE", "BYSCORE"),
        ("ZRANGE", "z", 0, -1, "foo"),
        ("ZRANGE", "z", "x", "y", "foo"),
        ("ZRANGE", "z", "x", -1, "LIMIT", 0, 1),
        ("ZREVRANGE", "z", 0, -1, "REV"),
        ("ZREVRANGE", "z", 0, -1, "LIMIT", 0, 1),
        ("ZREVRANGE", "z", 0, -1, "BYSCORE"),
        ("ZRANGE", "missing", 0, -1),
        ("ZRANGE", "missing", "a", "b"),
        ("ZRANGE", "z", 0),
        ("ZREVRANGE", "z", 0),
    ],
    "zrange_score": [
        ("ZADD", "z", "-inf", "ninf", -1, "neg", 0, "zero", 1, "one", 1, "one2", 2, "two",
         "2.5", "twohalf", "inf", "pinf"),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "WITHSCORES"),
        ("ZRANGE", "z", 1, 2, "BYSCORE"),
        ("ZRANGE", "z", "(1", 2, "BYSCORE"),
        ("ZRANGE", "z", 1, "(2", "BYSCORE"),
        ("ZRANGE", "z", "(1", "(2", "BYSCORE"),
        ("ZRANGE", "z", "(1", "(1", "BYSCORE"),
        ("ZRANGE", "z", "(1", 1, "BYSCORE"),
        ("ZRANGE", "z", 1, 1, "BYSCORE"),
        ("ZRANGE", "z", 2, 1, "BYSCORE"),
        ("ZRANGE", "z", "-inf", "-inf", "BYSCORE"),
        ("ZRANGE", "z", "(-inf", "(inf", "BYSCORE"),
        ("ZRANGE", "z", "inf", "inf", "BYSCORE"),
        ("ZRANGE", "z", "(inf", "inf", "BYSCORE"),
        ("ZRANGE", "z", "-0", "0", "BYSCORE"),
        ("ZRANGE", "z", "(-0", "0", "BYSCORE"),
        ("ZRANGE", "z", "(0", 1, "BYSCORE"),
        ("ZRANGE", "z", 0, "(-0", "BYSCORE"),
        ("ZRANGE", "z", "-1e-300", "1e-300", "BYSCORE"),
        ("ZRANGE", "z", "1.5", "2.4", "BYSCORE"),
        ("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "WITHSCORES"),
        ("ZRANGE", "z", 2, 1, "BYSCORE", "REV"),
        ("ZRANGE", "z", 1, 2, "BYSCORE", "REV"),
        ("ZRANGE", "z", "(2", "(1", "BYSCORE", "REV"),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 1, 3),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 0, 0),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", -1, 2),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 2, -1),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 2, -5),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 100, 1),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 7, 5),
        ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 8, 1),
        ("ZRANGE", "z", 0, 1, "BYSCORE", "LIMIT", 2, 1),
        ("ZRANGE", "z", 0, 1, "BYSCORE", "LIMIT", 1, 1, "LIMIT", 0, 2),
        ("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", 1, 2, "WITHSCORES"),
        ("ZRANGE", "z", "+inf", "-inf", "REV", "BYSCORE", "LIMIT", 0, INT64_MAX),
        ("ZRANGE", "z", "a", 1, "BYSCORE"),
        ("ZRANGE", "z", 1, "b", "BYSCORE"),
        ("ZRANGE", "z", "(", 1, "BYSCORE"),
        ("ZRANGE", "z", "((1", 2, "BYSCORE"),
        ("ZRANGE", "z", "nan", 1, "BYSCORE"),
        ("ZRANGE", "z", "(nan", 1, "BYSCORE"),
        ("ZRANGE", "z", " 1", "2", "BYSCORE"),
        ("ZRANGE", "z", "1 ", 2, "BYSCORE"),
        ("ZRANGE", "z", "", "1", "BYSCORE"),
        ("ZRANGE", "z", "1e999", "inf", "BYSCORE"),
        ("ZRANGE", "z", "-1e999", "0", "BYSCORE"),
        ("ZRANGE", "z", "0x1", "2", "BYSCORE"),
        ("ZRANGE", "z", "1\x00junk", 2, "BYSCORE"),
        ("ZRANGE", "z", "[1", 2, "BYSCORE"),
        ("ZRANGE", "z", 0, 1, "BYSCORE", "LIMIT", 0, "x"),
        ("ZRANGE", "z", "x", 1, "BYSCORE", "LIMIT", 0, "x"),
        ("ZRANGEBYSCORE", "z", 0, 2),
        ("ZRANGEBYSCORE", "z", 0, 2, "WITHSCORES"),
        ("ZRANGEBYSCORE", "z", 0, 2, "LIMIT", 1, 1),
        ("ZRANGEBYSCORE", "z", 0, 2, "WITHSCORES", "LIMIT", 0, 2),
        ("ZRANGEBYSCORE", "z", 0, 2, "LIMIT", 0, 2, "WITHSCORES"),
        ("ZRANGEBYSCORE", "z", 0, 2, "REV"),
        ("ZRANGEBYSCORE", "z", 0, 2, "BYSCORE"),
        ("ZRANGEBYSCORE", "z", 0, 2, "LIMIT", 1),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf"),
        ("ZREVRANGEBYSCORE", "z", 2, 0),
        ("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", 1, 2),
        ("ZREVRANGEBYSCORE", "z", 0, 2),
        ("ZREVRANGEBYSCORE", "z", "(2", "(0"),
        ("ZREVRANGEBYSCORE", "z", 2, 0, "REV"),
        ("ZRANGEBYSCORE", "missing", 0, 1),
        ("ZRANGEBYSCORE", "missing", "x", 1),
        ("ZRANGEBYSCORE", "z", 0),
    ],
    "zrange_lex": [
        ("ZADD", "l", 0, "a", 0, "b", 0, "c", 0, "d", 0, "e", 0, "f", 0, "g", 0, "",
         0, "aa", 0, b"a\x00", 0, b"\xff"),
        ("ZRANGE", "l", "-", "+", "BYLEX"),
        ("ZRANGE", "l", "[b", "[d", "BYLEX"),
        ("ZRANGE", "l", "(b", "(d", "BYLEX"),
        ("ZRANGE", "l", "[a", "(aa", "BYLEX"),
        ("ZRANGE", "l", "(a", "[b", "BYLEX"),
        ("ZRANGE", "l", "-", "[c", "BYLEX"),
        ("ZRANGE", "l", "[e", "+", "BYLEX"),
        ("ZRANGE", "l", "+", "-", "BYLEX"),
        ("ZRANGE", "l", "-", "-", "BYLEX"),
        ("ZRANGE", "l", "+", "+", "BYLEX"),
        ("ZRANGE", "l", "[z", "[a", "BYLEX"),
        ("ZRANGE", "l", "[", "[a", "BYLEX"),
        ("ZRANGE", "l", "(", "+", "BYLEX"),
        ("ZRANGE", "l", "[c", "[c", "BYLEX"),
        ("ZRANGE", "l", "(c", "[c", "BYLEX"),
        ("ZRANGE", "l", "[c", "(c", "BYLEX"),
        ("ZRANGE", "l", b"[a\x00", b"[a\x00", "BYLEX"),
        ("ZRANGE", "l", b"[\xff", "+", "BYLEX"),
        ("ZRANGE", "l", "+", "-", "BYLEX", "REV"),
        ("ZRANGE", "l", "[d", "[b", "BYLEX", "REV"),
        ("ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", 2, 3),
        ("ZRANGE", "l", "+", "-", "BYLEX", "REV", "LIMIT", 1, 2),
        ("ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", -1, 2),
        ("ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", 3, -1),
        ("ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", 30, 2),
        ("ZRANGE", "l", "a", "[b", "BYLEX"),
        ("ZRANGE", "l", "[a", "b", "BYLEX"),
        ("ZRANGE", "l", "", "+", "BYLEX"),
        ("ZRANGE", "l", "-x", "+", "BYLEX"),
        ("ZRANGE", "l", "+\x00x", "-", "BYLEX"),
        ("ZRANGE", "l", "-\x00", "+", "BYLEX"),
        ("ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"),
        ("ZRANGE", "l", "x", "+", "BYLEX", "WITHSCORES"),
        ("ZRANGEBYLEX", "l", "-", "+"),
        ("ZRANGEBYLEX", "l", "[b", "(e", "LIMIT", 1, 10),
        ("ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"),
        ("ZRANGEBYLEX", "l", "-", "+", "BYLEX"),
        ("ZRANGEBYLEX", "l", "-", "+", "REV"),
        ("ZREVRANGEBYLEX", "l", "+", "-"),
        ("ZREVRANGEBYLEX", "l", "[e", "(b", "LIMIT", 0, 2),
        ("ZREVRANGEBYLEX", "l", "-", "+"),
        ("ZRANGEBYLEX", "missing", "-", "+"),
        ("ZRANGEBYLEX", "missing", "x", "+"),
        ("ZLEXCOUNT", "l", "-", "+"),
        ("ZLEXCOUNT", "l", "[b", "(e"),
        ("ZLEXCOUNT", "l", "(a", b"[a\x00"),
        ("ZLEXCOUNT", "l", "+", "-"),
        ("ZLEXCOUNT", "l", "[z", "[a"),
        ("ZLEXCOUNT", "missing", "-", "+"),
        ("ZLEXCOUNT", "l", "a", "+"),
        ("ZLEXCOUNT", "l", "-", "b"),
        ("ZREMRANGEBYLEX", "l", "[b", "(d"),
        ("ZRANGE", "l", 0, -1),
        ("ZREMRANGEBYLEX", "l", "(f", "+"),
        ("ZREMRANGEBYLEX", "l", "+", "-"),
        ("ZREMRANGEBYLEX", "l", "x", "-"),
        ("ZREMRANGEBYLEX", "missing", "-", "+"),
        ("ZRANGE", "l", 0, -1),
        ("ZREMRANGEBYLEX", "l", "-", "+"),
        ("EXISTS", "l"),
        # Mixed scores: undefined in Redis's documentation, deterministic
        # for small sets (a scan), answered the same way by herd.
        ("ZADD", "mix", 1, "zz", 2, "aa", 3, "mm", 4, "bb", 5, "cc"),
        ("ZRANGEBYLEX", "mix", "-", "+"),
        ("ZRANGEBYLEX", "mix", "[a", "[z"),
        ("ZRANGEBYLEX", "mix", "[a", "+"),
        ("ZRANGEBYLEX", "mix", "-", "[bb"),
        ("ZREVRANGEBYLEX", "mix", "[z", "[a"),
        ("ZREVRANGEBYLEX", "mix", "+", "[bb"),
        ("ZREVRANGEBYLEX", "mix", "[mm", "-", "LIMIT", 1, 2),
        ("ZLEXCOUNT", "mix", "(a", "[aa"),
        ("ZLEXCOUNT", "mix", "[n", "+"),
        ("ZRANGE", "mix", "[b", "+", "BYLEX"),
        ("ZRANGE", "mix", "+", "[b", "BYLEX", "REV"),
        ("ZRANGE", "mix", "[zz", "[zz", "BYLEX"),
        ("ZREMRANGEBYLEX", "mix", "(a", "[aa"),
        ("ZRANGE", "mix", 0, -1),
        ("ZREMRANGEBYLEX", "mix", "-", "[zz"),
        ("ZRANGE", "mix", 0, -1),
    ],
    "zrangestore": [
        ("ZADD", "{z}src", 1, "a", 2, "b", 3, "c", 4, "d"),
        ("ZRANGESTORE", "{z}dst", "{z}src", 0, -1),
        ("ZRANGE", "{z}dst", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "{z}dst", "{z}src", 1, 2, "REV"),
        ("ZRANGE", "{z}dst", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "{z}dst", "{z}src", "(1", "+inf", "BYSCORE", "LIMIT", 1, 1),
        ("ZRANGE", "{z}dst", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "{z}dst", "{z}src", "+inf", "(1", "BYSCORE", "REV", "LIMIT", 0, 2),
        ("ZRANGE", "{z}dst", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "{z}dst", "{z}src", "[b", "[c", "BYLEX"),
        ("ZRANGE", "{z}dst", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "{z}dst", "{z}src", 5, 10),
        ("EXISTS", "{z}dst"),
        ("SET", "{z}dst", "string"),
        ("ZRANGESTORE", "{z}dst", "{z}src", 0, 0),
        ("TYPE", "{z}dst"),
        ("ZRANGESTORE", "{z}dst", "{z}missing", 0, -1),
        ("EXISTS", "{z}dst"),
        ("SET", "{z}str", "x"),
        ("ZADD", "{z}dst", 1, "keep"),
        ("ZRANGESTORE", "{z}dst", "{z}str", 0, -1),
        ("ZRANGE", "{z}dst", 0, -1),
        ("ZRANGESTORE", "{z}dst", "{z}src", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "{z}dst", "{z}src", 0, -1, "LIMIT", 0, 1),
        ("ZRANGESTORE", "{z}dst", "{z}src", "x", -1),
        ("ZRANGESTORE", "{z}dst", "{z}src", "x", 1, "BYSCORE"),
        ("ZRANGE", "{z}dst", 0, -1),
        ("ZRANGESTORE", "{z}src", "{z}src", 0, 1),
        ("ZRANGE", "{z}src", 0, -1, "WITHSCORES"),
        ("SET", "{z}t", "v", "EX", 100),
        ("ZRANGESTORE", "{z}t", "{z}src", 0, -1),
        TtlState("{z}t"),
        ("ZADD", "{z}neg", "-0", "m", "-inf", "n"),
        ("ZRANGESTORE", "{z}dst", "{z}neg", 0, -1),
        ("ZRANGE", "{z}dst", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "{z}dst", "{z}src"),
        ("ZRANGESTORE", "{z}dst", "{z}src", 0),
    ],
    "zcount": [
        ("ZADD", "z", "-inf", "a", 1, "b", 2, "c", 2, "d", 3, "e", "inf", "f"),
        ("ZCOUNT", "z", "-inf", "+inf"),
        ("ZCOUNT", "z", 1, 2),
        ("ZCOUNT", "z", "(1", 2),
        ("ZCOUNT", "z", 2, 2),
        ("ZCOUNT", "z", "(2", 2),
        ("ZCOUNT", "z", 2, "(2"),
        ("ZCOUNT", "z", 3, 1),
        ("ZCOUNT", "z", "-inf", "-inf"),
        ("ZCOUNT", "z", "(-inf", "(+inf"),
        ("ZCOUNT", "z", "inf", "inf"),
        ("ZCOUNT", "z", "(inf", "inf"),
        ("ZCOUNT", "z", "1.5", "2.5"),
        ("ZCOUNT", "missing", 0, 1),
        ("ZCOUNT", "z", "x", 1),
        ("ZCOUNT", "z", 1, "y"),
        ("ZCOUNT", "missing", "x", 1),
        ("ZCOUNT", "z", "", ""),
        ("ZCOUNT", "z", 1),
        ("ZCOUNT", "z", 1, 2, 3),
    ],
    "zrank": [
        ("ZADD", "z", 1, "a", 1, "b", 1, "c", 2, "d", "-inf", "n", "inf", "p"),
        ("ZRANK", "z", "n"),
        ("ZRANK", "z", "a"),
        ("ZRANK", "z", "b"),
        ("ZRANK", "z", "c"),
        ("ZRANK", "z", "d"),
        ("ZRANK", "z", "p"),
        ("ZREVRANK", "z", "n"),
        ("ZREVRANK", "z", "a"),
        ("ZREVRANK", "z", "p"),
        ("ZRANK", "z", "nope"),
        ("ZREVRANK", "z", "nope"),
        ("ZRANK", "missing", "a"),
        ("ZREVRANK", "missing", "a"),
        ("ZRANK", "z", "a", "WITHSCORE"),
        ("ZREVRANK", "z", "a", "WITHSCORE"),
        ("ZRANK", "z"),
    ],
    "zpop": [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 6, "f"),
        ("ZPOPMIN", "z"),
        ("ZPOPMAX", "z"),
        ("ZPOPMIN", "z", 2),
        ("ZPOPMAX", "z", 0),
        ("ZPOPMIN", "z", 0),
        ("ZPOPMIN", "z", -1),
        ("ZPOPMAX", "z", -1),
        ("ZPOPMIN", "z", "x"),
        ("ZPOPMIN", "z", "1.5"),
        ("ZPOPMIN", "z", 1, 2),
        ("ZPOPMAX", "z", 1, "x"),
        ("ZPOPMAX", "z", 10),
        ("EXISTS", "z"),
        ("ZPOPMIN", "z"),
        ("ZPOPMAX", "z"),
        ("ZPOPMIN", "missing", 0),
        ("ZPOPMAX", "missing", 3),
        ("ZPOPMIN", "missing", -3),
        ("ZADD", "inf", "-inf", "lo", "inf", "hi", 0, "mid"),
        ("ZPOPMAX", "inf"),
        ("ZPOPMIN", "inf", INT64_MAX),
        ("ZADD", "{m}a", 1, "x", 2, "y", 3, "z"),
        ("ZADD", "{m}b", 10, "p"),
        ("ZMPOP", 1, "{m}a", "MIN"),
        ("ZMPOP", 2, "{m}none", "{m}a", "MAX", "COUNT", 5),
        ("EXISTS", "{m}a"),
        ("ZADD", "{m}a", 1, "x", 2, "y", 3, "z"),
        ("ZMPOP", 2, "{m}a", "{m}b", "min"),
        ("ZMPOP", 2, "{m}a", "{m}b", "MAX", "COUNT", 1),
        ("ZMPOP", 2, "{m}a", "{m}b", "max", "count", 10),
        ("ZMPOP", 2, "{m}a", "{m}b", "MIN"),
        ("ZMPOP", 1, "{m}b", "MIN"),
        ("ZMPOP", 2, "{m}none", "{m}none2", "MIN", "COUNT", 1),
        ("ZMPOP", 0, "{m}a", "MIN"),
        ("ZMPOP", -1, "{m}a", "MIN"),
        ("ZMPOP", "x", "{m}a", "MIN"),
        ("ZMPOP", 3, "{m}a", "MIN"),
        ("ZMPOP", 2, "{m}a", "{m}MIN"),
        ("ZMPOP", 1, "{m}a", "LEFT"),
        ("ZMPOP", 1, "{m}a", "MIN", "COUNT"),
        ("ZMPOP", 1, "{m}a", "MIN", "COUNT", 0),
        ("ZMPOP", 1, "{m}a", "MIN", "COUNT", -1),
        ("ZMPOP", 1, "{m}a", "MIN", "COUNT", "x"),
        ("ZMPOP", 1, "{m}a", "MIN", "COUNT", 1, "COUNT", 1),
        ("ZMPOP", 1, "{m}a", "MIN", "foo"),
        ("ZMPOP", INT64_MAX, "{m}a", "MIN"),
        ("ZMPOP", 1, "{m}a"),
        ("SET", "{m}s", "v"),
        ("ZADD", "{m}a", 1, "q"),
        ("ZMPOP", 2, "{m}s", "{m}a", "MIN"),
        ("ZMPOP", 2, "{m}a", "{m}s", "MIN"),
        ("ZMPOP", 2, "{m}none", "{m}s", "MIN"),
        ("ZMPOP", 1, "{m}s", "MIN", "COUNT", 0),
    ],
    "zremrange": [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 6, "f"),
        ("ZREMRANGEBYRANK", "z", 0, 1),
        ("ZRANGE", "z", 0, -1),
        ("ZREMRANGEBYRANK", "z", -2, -1),
        ("ZRANGE", "z", 0, -1),
        ("ZREMRANGEBYRANK", "z", 5, 10),
        ("ZREMRANGEBYRANK", "z", 1, 0),
        ("ZREMRANGEBYRANK", "z", "x", 1),
        ("ZREMRANGEBYRANK", "z", 0, "1.0"),
        ("ZREMRANGEBYRANK", "missing", 0, 1),
        ("ZREMRANGEBYRANK", "missing", "x", 1),
        ("ZREMRANGEBYRANK", "z", -100, 100),
        ("EXISTS", "z"),
        ("ZADD", "z", "-inf", "a", 1, "b", 2, "c", 3, "d", "inf", "e"),
        ("ZREMRANGEBYSCORE", "z", "(1", 3),
        ("ZRANGE", "z", 0, -1),
        ("ZREMRANGEBYSCORE", "z", 5, 4),
        ("ZREMRANGEBYSCORE", "z", "inf", "inf"),
        ("ZREMRANGEBYSCORE", "z", "x", 1),
        ("ZREMRANGEBYSCORE", "z", 1, "(x"),
        ("ZREMRANGEBYSCORE", "missing", 0, 1),
        ("ZRANGE", "z", 0, -1),
        ("ZREMRANGEBYSCORE", "z", "-inf", "+inf"),
        ("EXISTS", "z"),
        ("ZADD", "t", 1, "a", 2, "b"),
        ("EXPIRE", "t", 100),
        ("ZREMRANGEBYRANK", "t", 0, 0),
        TtlState("t"),
        ("ZREMRANGEBYRANK", "t", 0),
    ],
    "setops_store": [
        ("ZADD", "{s}a", 1, "x", 2, "y", 3, "z"),
        ("ZADD", "{s}b", 10, "y", 20, "z", 30, "w"),
        ("SADD", "{s}set", "x", "w", "v"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b", "WEIGHTS", 2, "0.5"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b", "AGGREGATE", "MIN"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b", "aggregate", "max", "weights", -1, 1),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "{s}d", 3, "{s}a", "{s}b", "{s}set"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "{s}d", 3, "{s}a", "{s}b", "{s}set", "WEIGHTS", 1, 1, 5),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}a", "{s}b"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}a", "{s}b", "WEIGHTS", 3, 1, "AGGREGATE", "MAX"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}b", "{s}a", "AGGREGATE", "MIN"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}a", "{s}set"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}set", "{s}set"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}a", "{s}a"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZDIFFSTORE", "{s}d", 2, "{s}a", "{s}b"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZDIFFSTORE", "{s}d", 2, "{s}set", "{s}a"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZDIFFSTORE", "{s}d", 1, "{s}a"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZDIFFSTORE", "{s}d", 2, "{s}a", "{s}a"),
        ("EXISTS", "{s}d"),
        ("ZDIFFSTORE", "{s}d", 3, "{s}a", "{s}missing", "{s}b"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}a", "{s}missing"),
        ("EXISTS", "{s}d"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}missing", "{s}missing2"),
        ("EXISTS", "{s}d"),
        ("SET", "{s}d", "str", "EX", 100),
        ("ZUNIONSTORE", "{s}d", 1, "{s}a"),
        ("TYPE", "{s}d"),
        TtlState("{s}d"),
        ("ZADD", "{s}i1", "inf", "m", "-inf", "n", 5, "o"),
        ("ZADD", "{s}i2", "-inf", "m", "-inf", "n"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}i1", "{s}i2"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}i1", "{s}i2"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}i1", "{s}i2", "WEIGHTS", 0, 0),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}i1", "{s}i2", "WEIGHTS", 0, 1),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}i1", "{s}i2", "WEIGHTS", 0, 1, "AGGREGATE", "MAX"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 2, "{s}i1", "{s}i2", "WEIGHTS", 0, 1, "AGGREGATE", "MIN"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}i1", "{s}i2", "WEIGHTS", "inf", "-inf"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZADD", "{s}zero", 0, "m", 1, "n"),
        ("ZUNIONSTORE", "{s}d", 1, "{s}zero", "WEIGHTS", -1),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZSCORE", "{s}d", "m"),
        ("ZADD", "{s}f1", "1e16", "m", 1, "p", 2, "q"),
        ("ZADD", "{s}f2", 1, "m"),
        ("ZADD", "{s}f3", 1, "m", 5, "r"),
        ("ZUNIONSTORE", "{s}d", 3, "{s}f1", "{s}f2", "{s}f3"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{s}d", 3, "{s}f1", "{s}f2", "{s}f3"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "{s}a", 2, "{s}a", "{s}b"),
        ("ZRANGE", "{s}a", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "{s}d", 0, "{s}a"),
        ("ZUNIONSTORE", "{s}d", -1, "{s}a"),
        ("ZUNIONSTORE", "{s}d", "x", "{s}a"),
        ("ZUNIONSTORE", "{s}d", 3, "{s}a", "{s}b"),
        ("ZINTERSTORE", "{s}d", 0, "{s}a"),
        ("ZDIFFSTORE", "{s}d", 0, "{s}a"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b", "WEIGHTS", 1),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b", "WEIGHTS", 1, "x"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b", "WEIGHTS", 1, "nan"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b", "AGGREGATE", "avg"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b", "AGGREGATE"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b", "WITHSCORES"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}b", "foo"),
        ("ZDIFFSTORE", "{s}d", 2, "{s}a", "{s}b", "WEIGHTS", 1, 2),
        ("ZDIFFSTORE", "{s}d", 2, "{s}a", "{s}b", "AGGREGATE", "SUM"),
        ("ZUNIONSTORE", "{s}d", 1, "{s}a", "WEIGHTS", 2, "AGGREGATE", "max", "WEIGHTS", 3),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("SET", "{s}str", "x"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}a", "{s}str"),
        ("ZUNIONSTORE", "{s}d", 2, "{s}str", "{s}a", "WEIGHTS", "x"),
        ("ZRANGE", "{s}d", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "{s}d", 1),
        ("ZUNIONSTORE", "{s}d"),
    ],
    "setops_reply": [
        ("ZADD", "{r}a", 1, "x", 2, "y", 3, "z", 0, "zero"),
        ("ZADD", "{r}b", 10, "y", 20, "z", 30, "w", 0, "zero"),
        ("SADD", "{r}set", "x", "w", "v"),
        ("ZUNION", 2, "{r}a", "{r}b"),
        ("ZUNION", 2, "{r}a", "{r}b", "WITHSCORES"),
        ("ZUNION", 3, "{r}a", "{r}b", "{r}set", "WITHSCORES", "AGGREGATE", "MAX"),
        ("ZUNION", 2, "{r}a", "{r}b", "WEIGHTS", -1, -1, "WITHSCORES"),
        ("ZUNION", 1, "{r}a", "WEIGHTS", "-0", "WITHSCORES"),
        ("ZUNION", 1, "{r}a", "WITHSCORES", "WITHSCORES"),
        ("ZUNION", 1, "{r}missing"),
        ("ZUNION", 1, "{r}missing", "WITHSCORES"),
        ("ZINTER", 2, "{r}a", "{r}b"),
        ("ZINTER", 2, "{r}a", "{r}b", "WITHSCORES"),
        ("ZINTER", 2, "{r}a", "{r}set", "WITHSCORES"),
        ("ZINTER", 2, "{r}a", "{r}b", "WEIGHTS", "0.5", 2, "AGGREGATE", "MIN", "WITHSCORES"),
        ("ZINTER", 2, "{r}a", "{r}missing", "WITHSCORES"),
        ("ZDIFF", 2, "{r}a", "{r}b"),
        ("ZDIFF", 2, "{r}a", "{r}b", "WITHSCORES"),
        ("ZDIFF", 2, "{r}set", "{r}a", "WITHSCORES"),
        ("ZDIFF", 1, "{r}missing"),
        ("ZDIFF", 2, "{r}a", "{r}b", "WEIGHTS", 1, 1),
        ("ZDIFF", 2, "{r}a", "{r}b", "AGGREGATE", "MIN"),
        ("ZINTERCARD", 2, "{r}a", "{r}b"),
        ("ZINTERCARD", 2, "{r}a", "{r}b", "LIMIT", 0),
        ("ZINTERCARD", 2, "{r}a", "{r}b", "LIMIT", 1),
        ("ZINTERCARD", 2, "{r}a", "{r}b", "LIMIT", 100),
        ("ZINTERCARD", 2, "{r}a", "{r}b", "LIMIT", -1),
        ("ZINTERCARD", 2, "{r}a", "{r}b", "LIMIT", "x"),
        ("ZINTERCARD", 2, "{r}a", "{r}b", "LIMIT"),
        ("ZINTERCARD", 2, "{r}a", "{r}b", "WEIGHTS", 1, 1),
        ("ZINTERCARD", 2, "{r}a", "{r}b", "WITHSCORES"),
        ("ZINTERCARD", 2, "{r}a", "{r}set"),
        ("ZINTERCARD", 1, "{r}missing"),
        ("ZINTERCARD", 0, "{r}a"),
        ("ZINTERCARD", 3, "{r}a"),
        ("ZINTERCARD", "x", "{r}a"),
        ("ZUNION", 0, "{r}a"),
        ("ZINTER", -1, "{r}a"),
        ("ZDIFF", 2, "{r}a"),
        ("ZUNION", "x", "{r}a"),
        ("ZUNION", 2, "{r}a", "{r}b", "WEIGHTS", 1),
        ("ZUNION", 2, "{r}a", "{r}b", "foo"),
        ("ZUNION", 1),
        ("ZINTERCARD", 1),
    ],
    "binary_members": [
        ("ZADD", "b", *[item for index, member in enumerate(BINARY_MEMBERS)
                        for item in (index % 3, member)]),
        ("ZCARD", "b"),
        ("ZRANGE", "b", 0, -1, "WITHSCORES"),
        ("ZSCORE", "b", b""),
        ("ZSCORE", "b", b"\x00"),
        ("ZSCORE", "b", b"a\x00b"),
        ("ZSCORE", "b", bytes(range(256))),
        ("ZMSCORE", "b", *BINARY_MEMBERS),
        ("ZRANK", "b", b"\xff"),
        ("ZRANK", "b", b""),
        ("ZREVRANK", "b", b"\x00\x00"),
        ("ZADD", "b0", *[item for member in BINARY_MEMBERS for item in (0, member)]),
        ("ZRANGE", "b0", 0, -1),
        ("ZRANGE", "b0", b"[\x00", b"(\xff", "BYLEX"),
        ("ZRANGE", "b0", "(", b"[a\x00", "BYLEX"),
        ("ZLEXCOUNT", "b0", b"[\x00", "+"),
        ("ZREM", "b", b"", b"\x00", b"\xff\xff"),
        ("ZRANGE", "b", 0, -1),
        ("ZINCRBY", "b", 5, b"\r\n"),
        ("ZRANGE", "b", -2, -1, "WITHSCORES"),
        ("ZPOPMIN", "b", 3),
        ("ZPOPMAX", "b", 2),
        ("ZRANGE", "b", 0, -1, "WITHSCORES"),
    ],
    "big_distinct_scores": [
        ("ZADD", "big", *BIG_PAIRS),
        ("ZCARD", "big"),
        ("ZRANGE", "big", 0, 9, "WITHSCORES"),
        ("ZRANGE", "big", 2500, 2510, "WITHSCORES"),
        ("ZRANGE", "big", -10, -1),
        ("ZREVRANGE", "big", 0, 5, "WITHSCORES"),
        ("ZREVRANGE", "big", 4990, 5010),
        ("ZRANGE", "big", 0, -1),
        ("ZRANGE", "big", 0, -1, "REV", "WITHSCORES"),
        ("ZRANK", "big", "m02500"),
        ("ZRANK", "big", "m04999"),
        ("ZRANK", "big", "m00000"),
        ("ZREVRANK", "big", "m01234"),
        ("ZSCORE", "big", "m03333"),
        ("ZMSCORE", "big", "m00001", "m04998", "nope", "m02222"),
        ("ZCOUNT", "big", 100, "(200"),
        ("ZCOUNT", "big", "-inf", "+inf"),
        ("ZCOUNT", "big", "(1000", 2000),
        ("ZRANGEBYSCORE", "big", 1000, 1010, "WITHSCORES"),
        ("ZRANGE", "big", "(1000", "+inf", "BYSCORE", "LIMIT", 10, 5),
        ("ZRANGE", "big", "+inf", "(1000", "BYSCORE", "REV", "LIMIT", 10, 5, "WITHSCORES"),
        ("ZREVRANGEBYSCORE", "big", "(2000.5", 1990),
        ("ZRANGEBYSCORE", "big", "-inf", "+inf", "LIMIT", 4990, 100),
        ("ZREM", "big", *[f"m{index:05d}" for index in range(0, BIG, 50)]),
        ("ZCARD", "big"),
        ("ZRANK", "big", "m02501"),
        ("ZRANGE", "big", 0, 20, "WITHSCORES"),
        ("ZINCRBY", "big", 10000, "m00001"),
        ("ZRANGE", "big", -3, -1, "WITHSCORES"),
        ("ZRANK", "big", "m00001"),
        ("ZADD", "big", "GT", "CH", -5, "m00002", 4000, "m00003"),
        ("ZRANGE", "big", 0, 3, "WITHSCORES"),
        ("ZPOPMIN", "big", 50),
        ("ZPOPMAX", "big", 50),
        ("ZREMRANGEBYRANK", "big", 100, 199),
        ("ZREMRANGEBYSCORE", "big", 2000, 2100),
        ("ZREMRANGEBYRANK", "big", -10, -1),
        ("ZCARD", "big"),
        ("ZRANGE", "big", 95, 105, "WITHSCORES"),
        ("ZRANGE", "big", 0, -1, "WITHSCORES"),
        ("ZRANK", "big", "m04000"),
    ],
    "big_set_operations": [
        ("ZADD", "{big}a", *BIG_PAIRS),
        ("ZADD", "{big}b", *BIG2_PAIRS),
        ("SADD", "{big}s", *[f"m{index:05d}" for index in range(0, BIG, 7)]),
        ("ZUNIONSTORE", "{big}u", 2, "{big}a", "{big}b"),
        ("ZCARD", "{big}u"),
        ("ZRANGE", "{big}u", 0, 20, "WITHSCORES"),
        ("ZRANGE", "{big}u", 4000, 4020, "WITHSCORES"),
        ("ZRANGE", "{big}u", -20, -1, "WITHSCORES"),
        ("ZINTERSTORE", "{big}i", 3, "{big}a", "{big}b", "{big}s", "WEIGHTS", 1, 2, 3),
        ("ZCARD", "{big}i"),
        ("ZRANGE", "{big}i", 0, -1, "WITHSCORES"),
        ("ZDIFFSTORE", "{big}d", 2, "{big}a", "{big}b"),
        ("ZCARD", "{big}d"),
        ("ZRANGE", "{big}d", 1000, 1010, "WITHSCORES"),
        ("ZINTERCARD", 2, "{big}a", "{big}b"),
        ("ZINTERCARD", 2, "{big}a", "{big}b", "LIMIT", 100),
        ("ZINTER", 2, "{big}a", "{big}s", "WITHSCORES", "AGGREGATE", "MAX"),
        ("ZDIFF", 2, "{big}s", "{big}b"),
        ("ZRANGESTORE", "{big}r", "{big}a", 1000, 2999),
        ("ZCARD", "{big}r"),
        ("ZRANGE", "{big}r", 0, 5, "WITHSCORES"),
        ("ZUNION", 2, "{big}a", "{big}b", "WITHSCORES"),
        ("ZMPOP", 2, "{big}x", "{big}a", "MAX", "COUNT", 1000),
        ("ZCARD", "{big}a"),
    ],
    "big_equal_scores": [
        ("ZADD", "lex", *LEX_PAIRS),
        ("ZCARD", "lex"),
        ("ZRANGE", "lex", 0, 9),
        ("ZRANGE", "lex", "[w1000", "(w1010", "BYLEX"),
        ("ZRANGE", "lex", "(w4990", "+", "BYLEX"),
        ("ZRANGE", "lex", "-", "[w0005", "BYLEX"),
        ("ZRANGE", "lex", "[w2500", "[w2400", "BYLEX", "REV"),
        ("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", 2500, 10),
        ("ZRANGE", "lex", "+", "-", "BYLEX", "REV", "LIMIT", 100, 10),
        ("ZRANGEBYLEX", "lex", "[w3", "(w4"),
        ("ZLEXCOUNT", "lex", "-", "+"),
        ("ZLEXCOUNT", "lex", "[w1", "(w2"),
        ("ZLEXCOUNT", "lex", "(w0999", "[w2000"),
        ("ZLEXCOUNT", "lex", "[x", "+"),
        ("ZCOUNT", "lex", 0, 0),
        ("ZCOUNT", "lex", "(0", "+inf"),
        ("ZRANK", "lex", "w2500"),
        ("ZREVRANK", "lex", "w2500"),
        ("ZRANGE", "lex", 0, 0, "BYSCORE", "LIMIT", 4000, 3),
        ("ZREMRANGEBYLEX", "lex", "[w1000", "(w2000"),
        ("ZCARD", "lex"),
        ("ZRANGE", "lex", 995, 1005),
        ("ZREMRANGEBYLEX", "lex", "-", "(w0500"),
        ("ZRANGE", "lex", 0, 2),
        ("ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", 0, 5),
        ("ZADD", "ties", *TIE_PAIRS),
        ("ZCARD", "ties"),
        ("ZRANGE", "ties", 0, -1, "WITHSCORES"),
        ("ZRANGEBYSCORE", "ties", 0, 0),
        ("ZCOUNT", "ties", "(-1", "(1"),
        ("ZRANGE", "ties", "(2", "-inf", "BYSCORE", "REV", "LIMIT", 5, 10, "WITHSCORES"),
        ("ZREMRANGEBYSCORE", "ties", -1, 1),
        ("ZCARD", "ties"),
        ("ZRANGE", "ties", 1000, 1010, "WITHSCORES"),
    ],
    "big_members": [
        ("ZADD", "huge", *HUGE_PAIRS),
        ("ZCARD", "huge"),
        ("ZRANGE", "huge", 0, 5, "WITHSCORES"),
        ("ZRANGE", "huge", 150, 155),
        ("ZREVRANGE", "huge", 0, 3),
        ("ZSCORE", "huge", HUGE_MEMBERS[123]),
        ("ZRANK", "huge", HUGE_MEMBERS[200]),
        ("ZRANGEBYSCORE", "huge", 10, "(12", "WITHSCORES"),
        ("ZREM", "huge", *HUGE_MEMBERS[::3]),
        ("ZCARD", "huge"),
        ("ZRANGE", "huge", 0, -1),
        ("ZPOPMAX", "huge", 5),
        ("ZRANGE", "huge", -5, -1, "WITHSCORES"),
    ],
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("target", TARGETS)
def test_same_replies_as_redis(target, group, reference, request):
    assert_group_matches(target, group, GROUPS[group], reference, request)


# ---------------------------------------------------------------------------
# ZRANDMEMBER: errors exactly, results by their properties.
# ---------------------------------------------------------------------------

RANDOM_ERRORS = [
    ("SET", "str", "x"),
    ("ZADD", "r", 1, "a", 2, "b", 3, "c"),
    ("ZRANDMEMBER", "missing"),
    ("ZRANDMEMBER", "missing", 5),
    ("ZRANDMEMBER", "missing", -5, "WITHSCORES"),
    ("ZRANDMEMBER", "missing", "x"),
    ("ZRANDMEMBER", "r", 0),
    ("ZRANDMEMBER", "r", 0, "WITHSCORES"),
    ("ZRANDMEMBER", "r", "x"),
    ("ZRANDMEMBER", "r", "1.5"),
    ("ZRANDMEMBER", "r", 1, "foo"),
    ("ZRANDMEMBER", "r", 1, "WITHSCORES", "x"),
    ("ZRANDMEMBER", "r", "x", "foo"),
    ("ZRANDMEMBER", "r", INT64_MIN),
    ("ZRANDMEMBER", "r", INT64_MIN, "foo"),
    ("ZRANDMEMBER", "r", INT64_MAX, "WITHSCORES"),
    ("ZRANDMEMBER", "r", "4611686018427387904", "WITHSCORES"),
    ("ZRANDMEMBER", "r", "-4611686018427387904", "WITHSCORES"),
    ("ZRANDMEMBER", "r", 3, "WITHSCORES"),
    ("ZRANDMEMBER", "r", 10),
    ("ZRANDMEMBER", "r", 10, "withscores"),
    ("ZRANDMEMBER", "str"),
    ("ZRANDMEMBER", "str", 1),
    ("ZRANDMEMBER", "str", "x"),
    ("ZRANDMEMBER",),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
def test_zrandmember_errors_and_whole_set(target, reference, request):
    assert_group_matches(target, "random_errors", RANDOM_ERRORS, reference, request)


def _pairs(values):
    return list(zip(values[0::2], values[1::2]))


def _check_random(client, key, members):
    """ZRANDMEMBER forms on `key` (whose ZRANGE WITHSCORES is `members`)."""
    scores = dict(members)
    size = len(members)
    one = parse_reply(client.command("ZRANDMEMBER", key))
    assert one in scores
    for count in (1, 2, 3, size // 3, size // 3 + 1, size // 2, size - 1, size, size + 5):
        if count <= 0:
            continue
        reply = parse_reply(client.command("ZRANDMEMBER", key, count))
        assert len(reply) == min(count, size), (count, len(reply))
        assert len(set(reply)) == len(reply), f"repeated members for count {count}"
        assert set(reply) <= set(scores)
        with_scores = _pairs(parse_reply(client.command("ZRANDMEMBER", key, count,
                                                        "WITHSCORES")))
        assert len(with_scores) == min(count, size)
        assert len({member for member, _ in with_scores}) == len(with_scores)
        for member, score in with_scores:
            assert scores[member] == score, (member, score)
    for count in (1, 5, size, size * 3):
        reply = parse_reply(client.command("ZRANDMEMBER", key, -count))
        assert len(reply) == count
        assert set(reply) <= set(scores)
        with_scores = _pairs(parse_reply(client.command("ZRANDMEMBER", key, -count,
                                                        "WITHSCORES")))
        assert len(with_scores) == count
        for member, score in with_scores:
            assert scores[member] == score
    whole = parse_reply(client.command("ZRANDMEMBER", key, size, "WITHSCORES"))
    assert sorted(_pairs(whole)) == sorted(members)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
def test_zrandmember_properties(target, request):
    server = request.getfixturevalue(f"{target}_target")
    with server.raw() as client:
        flush(client, target)
        client.command("ZADD", "small", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", "-inf", "n")
        client.command("ZADD", "large", *BIG_PAIRS)
        for key in ("small", "large"):
            members = _pairs(parse_reply(client.command("ZRANGE", key, 0, -1,
                                                        "WITHSCORES")))
            _check_random(client, key, members)
        # Every member of a small set turns up sooner or later.
        seen = set()
        for _ in range(200):
            seen.add(parse_reply(client.command("ZRANDMEMBER", "small")))
        assert seen == {b"a", b"b", b"c", b"d", b"e", b"n"}
        drawn = parse_reply(client.command("ZRANDMEMBER", "small", -300))
        assert set(drawn) == {b"a", b"b", b"c", b"d", b"e", b"n"}


# ---------------------------------------------------------------------------
# Blocking commands: not supported yet, herd's own error, connection kept.
# ---------------------------------------------------------------------------

BLOCKING = [
    ("BZPOPMIN", "{b}z", 0),
    ("BZPOPMAX", "{b}z", "{b}y", "0.5"),
    ("BZMPOP", 0, 1, "{b}z", "MIN"),
    ("BZMPOP", 1, 2, "{b}z", "{b}y", "MAX", "COUNT", 2),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
def test_blocking_commands_answer_an_error(target, request):
    server = request.getfixturevalue(f"{target}_target")
    with server.raw() as client:
        flush(client, target)
        client.command("ZADD", "{b}z", 1, "a")
        for command in BLOCKING:
            reply = parse_reply(client.command(*command))
            assert isinstance(reply, ErrorReply), (command, reply)
            assert reply.startswith(b"ERR herd does not support blocking commands"), reply
        assert client.command("ZCARD", "{b}z") == b":1\r\n"
        assert client.command("PING") == b"+PONG\r\n"


# ---------------------------------------------------------------------------
# Two trees in step: after many random changes, every view agrees with a
# model (and with redis).
# ---------------------------------------------------------------------------

def _random_operations(count, seed):
    chooser = random.Random(seed)
    members = [f"k{index}" for index in range(400)]
    operations = []
    for _ in range(count):
        kind = chooser.random()
        member = chooser.choice(members)
        score = chooser.choice([chooser.randint(-50, 50), repr(chooser.random() * 100 - 50),
                                "inf", "-inf", 0])
        if kind < 0.45:
            operations.append(("ZADD", "{t}m", score, member, chooser.randint(0, 9),
                               chooser.choice(members)))
        elif kind < 0.6:
            operations.append(("ZINCRBY", "{t}m", chooser.randint(-5, 5), member))
        elif kind < 0.75:
            operations.append(("ZREM", "{t}m", member, chooser.choice(members)))
        elif kind < 0.8:
            operations.append(("ZADD", "{t}m", chooser.choice(["GT", "LT", "NX", "XX"]),
                               "CH", score, member))
        elif kind < 0.85:
            operations.append(("ZPOPMIN", "{t}m", chooser.randint(1, 3)))
        elif kind < 0.9:
            operations.append(("ZREMRANGEBYSCORE", "{t}m", chooser.randint(-50, 0),
                               f"({chooser.randint(0, 50)}"))
        elif kind < 0.95:
            operations.append(("ZRANK", "{t}m", member))
        else:
            operations.append(("ZRANGE", "{t}m", chooser.randint(0, 20),
                               chooser.randint(20, 40), "WITHSCORES"))
    operations.append(("ZRANGE", "{t}m", 0, -1, "WITHSCORES"))
    operations.append(("ZCARD", "{t}m"))
    operations.append(("ZCOUNT", "{t}m", "-inf", "+inf"))
    operations.append(("ZRANGE", "{t}m", "-inf", "+inf", "BYSCORE", "REV"))
    return operations


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
def test_random_changes_keep_both_orders_in_step(target, reference, request):
    server = request.getfixturevalue(f"{target}_target")
    steps = _random_operations(1500, seed=7)
    with reference.raw() as expected_side, server.raw() as actual_side:
        flush(expected_side, "the reference redis")
        flush(actual_side, target)
        differences = run_group(steps, expected_side, actual_side)
        final = parse_reply(actual_side.command("ZRANGE", "{t}m", 0, -1))
        for rank, member in enumerate(final):
            assert actual_side.command("ZRANK", "{t}m", member) == f":{rank}\r\n".encode()
    assert not differences, "\n".join(differences[:20])


# ---------------------------------------------------------------------------
# Keyspace hits and misses: reads count one per key looked up, writes none
# (Redis's lookupKeyRead / lookupKeyWrite).
# ---------------------------------------------------------------------------

KEYSPACE_ACCOUNTING = [
    ("ZADD", "{k}z", 1, "a", 2, "b"),
    ("SADD", "{k}s", "a"),
    ("ZSCORE", "{k}z", "a"), ("ZSCORE", "{k}none", "a"),
    ("ZMSCORE", "{k}z", "a", "b"), ("ZCARD", "{k}none"),
    ("ZRANGE", "{k}z", 0, -1), ("ZRANGE", "{k}none", 0, -1),
    ("ZRANGEBYSCORE", "{k}z", 0, 1), ("ZCOUNT", "{k}z", 0, 1), ("ZLEXCOUNT", "{k}none", "-", "+"),
    ("ZRANK", "{k}z", "a"), ("ZREVRANK", "{k}none", "a"),
    ("ZRANDMEMBER", "{k}z"), ("ZRANDMEMBER", "{k}none", 2),
    ("ZRANGESTORE", "{k}d", "{k}z", 0, -1), ("ZRANGESTORE", "{k}d", "{k}none", 0, -1),
    ("ZUNIONSTORE", "{k}d", 3, "{k}z", "{k}s", "{k}none"),
    ("ZINTER", 2, "{k}z", "{k}s"), ("ZINTERCARD", 2, "{k}z", "{k}none"),
    ("ZDIFF", 2, "{k}s", "{k}z"),
    ("ZADD", "{k}z", 3, "c"), ("ZINCRBY", "{k}z", 1, "a"), ("ZREM", "{k}z", "x"),
    ("ZREMRANGEBYRANK", "{k}none", 0, 1), ("ZPOPMIN", "{k}none"),
    ("ZMPOP", 2, "{k}none", "{k}z", "MIN"), ("ZPOPMAX", "{k}z"),
]


@pytest.mark.timeout(60)
def test_keyspace_hits_and_misses_counted_as_redis(reference, node_target):
    assert_keyspace_counted_as_redis(reference, node_target, KEYSPACE_ACCOUNTING)
