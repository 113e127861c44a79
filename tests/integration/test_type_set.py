"""
test_type_set.py -- the set commands, herd against a real redis-server.

The same steps go to a reference redis-server and to a target, one step at
a time; the replies must be identical byte for byte, except where Redis
itself leaves something open:

  Unordered  a set-valued reply (SMEMBERS, SINTER ...): compared as sorted
             lists
  Pick       SPOP / SRANDMEMBER: each side's reply is checked against that
             side's set before the step (count, membership, distinctness for
             a positive count, repetitions allowed for a negative one); after
             an SPOP the reference is brought to the target's state so the
             following steps compare again

Targets: one herd-node directly, herd-proxy in front of 3 herd-nodes (every
key carries the {s} hash tag, so the multi-key commands are single-slot),
and a second redis-server (checks the steps themselves are deterministic).

Groups cover every command with its argument and type errors, missing and
expired keys, binary members (NUL, 0xff, empty), big sets (5000 members, so
the trees have stored pages) and big members (tens of kB each).
"""

import random
import time

import pytest

from differential import (TARGETS, Exact, Sleep, Unordered, assert_group_matches,
                          assert_keyspace_counted_as_redis, flush, run_group, show)
from harness import parse_reply

INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"
FUTURE = int(time.time()) + 10 * 365 * 86400


def k(name):
    """A key in the test's one hash slot."""
    return "{s}" + name


_random = random.Random(20240607)


def _binary_member(index):
    return bytes([0, 255, index % 256]) + b"\x00bin\xff" + str(index).encode()


# 5000 members each, overlapping: A = 0..4999, B = 2500..7499 (odd ones
# binary), C = multiples of 3 in 0..14999.
BIG_A = [b"member:%d" % i for i in range(5000)]
BIG_B = [(_binary_member(i) if i % 2 else b"member:%d" % i) for i in range(2500, 7500)]
BIG_C = [b"member:%d" % i for i in range(0, 15000, 3)]
# Members of 10-40 kB, random bytes (so every value of a byte occurs).
LARGE_MEMBERS = [bytes(_random.getrandbits(8) for _ in range(size))
                 for size in (10_000, 16_384, 25_000, 40_000, 12_345, 30_000)]
BINARY = [b"", b"\x00", b"\x00\x00", b"\xff", b"\xff\xfe\x00a", b"a\r\nb", b" ", b"\t"]


# ---------------------------------------------------------------------------
# Step kinds
# ---------------------------------------------------------------------------

def members_of(connection, key):
    """A key's members as a sorted list, or None when it is not a set."""
    reply = parse_reply(connection.command("SMEMBERS", key))
    return sorted(reply) if isinstance(reply, list) else None


def check_pick(command, count, before, reply):
    """None when an SPOP/SRANDMEMBER reply fits the set `before`, else why not."""
    size = len(before)
    present = set(before)
    if count is None:
        if size == 0:
            return None if reply is None else f"{reply!r} from an empty set"
        return None if reply in present else f"{reply!r} is not a member"
    if not isinstance(reply, list):
        return f"not an array: {reply!r}"
    if count >= 0:
        wanted = min(count, size)
        if len(set(reply)) != len(reply):
            return "repeated members for a positive count"
    else:
        wanted = -count if size else 0
    if len(reply) != wanted:
        return f"{len(reply)} members, expected {wanted}"
    strangers = [member for member in reply if member not in present]
    if strangers:
        return f"not members: {strangers[:3]!r}"
    return None


class Pick(Exact):
    """SPOP / SRANDMEMBER: replies checked by properties (see check_pick).

    Errors must be identical.  After the step the target's set must be the
    old one minus what it popped, and the reference is given the target's
    members (SREM/SADD, so its TTL stays).
    """

    def compare(self, reference, target):
        command = str(self.args[0]).upper()
        key = self.args[1]
        count = int(self.args[2]) if len(self.args) == 3 else None
        before = {"reference": members_of(reference, key), "target": members_of(target, key)}
        expected = reference.command(*self.args)
        actual = target.command(*self.args)
        if expected.startswith(b"-") or actual.startswith(b"-") or before["target"] is None:
            return self.differs(expected, actual)
        problems = []
        for side, raw in (("reference", expected), ("target", actual)):
            problem = check_pick(command, count, before[side], parse_reply(raw))
            if problem:
                problems.append(f"{side}: {problem} (reply {show(raw)})")
        if command == "SPOP":
            problems += self.check_pop(target, key, before["target"], parse_reply(actual))
            self.synchronize(reference, target, key)
        elif members_of(target, key) != before["target"]:
            problems.append("SRANDMEMBER changed the set")
        return "; ".join(problems) or None

    @staticmethod
    def check_pop(target, key, before, reply):
        popped = reply if isinstance(reply, list) else ([] if reply is None else [reply])
        left = sorted(set(before) - set(popped))
        after = members_of(target, key)
        if after != left:
            return [f"after the pop the target holds {len(after)} members, expected {len(left)}"]
        exists = target.command("EXISTS", key)
        if exists != (b":1\r\n" if left else b":0\r\n"):
            return [f"EXISTS after the pop answered {exists!r}"]
        return []

    @staticmethod
    def synchronize(reference, target, key):
        wanted = set(members_of(target, key))
        held = set(members_of(reference, key))
        # adding first, so the set never empties in between (and keeps its TTL)
        if wanted - held:
            reference.command("SADD", key, *sorted(wanted - held))
        if held - wanted:
            reference.command("SREM", key, *sorted(held - wanted))


# ---------------------------------------------------------------------------
# The cases.  Plain tuples are Exact steps.
# ---------------------------------------------------------------------------

GROUPS = {
    "sadd_srem_scard": [
        ("SADD", k("s"), "a", "b", "c"),
        ("SADD", k("s"), "a", "d", "d", "e"),
        ("SADD", k("s"), "a"),
        ("SCARD", k("s")),
        ("SCARD", k("missing")),
        ("TYPE", k("s")),
        Unordered("SMEMBERS", k("s")),
        ("SMEMBERS", k("missing")),
        ("SREM", k("s"), "a", "a", "zz"),
        ("SREM", k("s"), "zz"),
        ("SREM", k("missing"), "a"),
        ("EXISTS", k("missing")),
        ("SCARD", k("s")),
        ("SREM", k("s"), "b", "c", "d", "e"),
        ("EXISTS", k("s")),
        ("SCARD", k("s")),
        ("SADD", k("n"), 1, 2, 3, "-1", "1.5", "0x10", INT64_MAX, INT64_MIN),
        Unordered("SMEMBERS", k("n")),
        ("SISMEMBER", k("n"), "1"),
        ("SISMEMBER", k("n"), "01"),
        ("SREM", k("n"), "1.50"),
        ("SCARD", k("n")),
        ("sadd", k("lower"), "x"),
        ("sCaRd", k("lower")),
        ("SADD", k("s")),
        ("SADD",),
        ("SREM", k("s")),
        ("SCARD",),
        ("SCARD", k("s"), k("t")),
        ("SMEMBERS",),
        ("SMEMBERS", k("s"), k("t")),
    ],
    "sismember_smismember": [
        ("SADD", k("s"), "a", "b", "c"),
        ("SISMEMBER", k("s"), "a"),
        ("SISMEMBER", k("s"), "z"),
        ("SISMEMBER", k("s"), "A"),
        ("SISMEMBER", k("missing"), "a"),
        ("SMISMEMBER", k("s"), "a"),
        ("SMISMEMBER", k("s"), "a", "z", "b", "a", "c", ""),
        ("SMISMEMBER", k("missing"), "a", "b"),
        ("SISMEMBER", k("s")),
        ("SISMEMBER", k("s"), "a", "b"),
        ("SMISMEMBER", k("s")),
    ],
    "wrong_type": [
        ("SET", k("str"), "x"),
        ("RPUSH", k("list"), "x"),
        ("HSET", k("hash"), "f", "v"),
        ("SADD", k("s"), "a"),
        ("SADD", k("str"), "a"),
        ("SADD", k("list"), "a"),
        ("SADD", k("hash"), "a"),
        ("SREM", k("str"), "a"),
        ("SMEMBERS", k("str")),
        ("SISMEMBER", k("str"), "a"),
        ("SMISMEMBER", k("str"), "a", "b"),
        ("SCARD", k("str")),
        ("SPOP", k("str")),
        ("SPOP", k("str"), 0),
        ("SPOP", k("str"), 3),
        ("SRANDMEMBER", k("str")),
        ("SRANDMEMBER", k("str"), 0),
        ("SRANDMEMBER", k("str"), -3),
        ("SINTER", k("str")),
        ("SUNION", k("str")),
        ("SDIFF", k("str")),
        ("SINTERCARD", 1, k("str")),
        ("GET", k("str")),
        ("LLEN", k("list")),
        ("TYPE", k("s")),
        ("GET", k("s")),
        ("LPUSH", k("s"), "x"),
    ],
    "smove": [
        ("SADD", k("src"), "a", "b", "c"),
        ("SADD", k("dst"), "c", "d"),
        ("SET", k("str"), "x"),
        ("SMOVE", k("src"), k("dst"), "a"),
        Unordered("SMEMBERS", k("src")),
        Unordered("SMEMBERS", k("dst")),
        ("SMOVE", k("src"), k("dst"), "a"),
        ("SMOVE", k("src"), k("dst"), "c"),
        ("SCARD", k("src")),
        ("SCARD", k("dst")),
        ("SMOVE", k("src"), k("new"), "b"),
        ("EXISTS", k("src")),
        Unordered("SMEMBERS", k("new")),
        ("SMOVE", k("missing"), k("dst"), "a"),
        ("SMOVE", k("missing"), k("str"), "a"),
        ("SMOVE", k("missing"), k("missing"), "a"),
        ("SMOVE", k("str"), k("dst"), "a"),
        ("SMOVE", k("str"), k("missing"), "a"),
        ("SMOVE", k("str"), k("str"), "a"),
        ("SMOVE", k("dst"), k("str"), "a"),
        ("SMOVE", k("dst"), k("str"), "nothere"),
        ("SMOVE", k("dst"), k("dst"), "a"),
        ("SMOVE", k("dst"), k("dst"), "nothere"),
        Unordered("SMEMBERS", k("dst")),
        ("SMOVE", k("dst"), k("other"), "nothere"),
        ("EXISTS", k("other")),
        ("SADD", k("one"), "x"),
        ("SMOVE", k("one"), k("one"), "x"),
        ("SCARD", k("one")),
        ("SMOVE", k("one"), k("dst"), "x"),
        ("EXISTS", k("one")),
        ("SADD", k("t1"), "m"),
        ("EXPIREAT", k("t1"), FUTURE),
        ("SADD", k("t2"), "n", "o"),
        ("EXPIREAT", k("t2"), FUTURE + 1),
        ("SMOVE", k("t2"), k("t1"), "n"),
        ("EXPIRETIME", k("t1")),
        ("EXPIRETIME", k("t2")),
        ("SMOVE", k("t2"), k("t1"), "o"),
        ("EXISTS", k("t2")),
        ("EXPIRETIME", k("t1")),
        ("SMOVE", k("dst"), k("dst")),
        ("SMOVE", k("dst"), k("dst"), "a", "b"),
    ],
    "spop_errors": [
        ("SADD", k("s"), "a", "b", "c"),
        ("SPOP", k("s"), -1),
        ("SPOP", k("s"), "abc"),
        ("SPOP", k("s"), ""),
        ("SPOP", k("s"), "1.5"),
        ("SPOP", k("s"), " 1"),
        ("SPOP", k("s"), INT64_MIN),
        ("SPOP", k("s"), "9223372036854775808"),
        ("SPOP", k("missing"), -1),
        ("SPOP", k("s"), 1, 2),
        ("SPOP", k("missing"), 1, 2),
        ("SPOP", k("s"), 0),
        ("SPOP", k("missing")),
        ("SPOP", k("missing"), 0),
        ("SPOP", k("missing"), 5),
        ("EXISTS", k("missing")),
        ("SCARD", k("s")),
        Unordered("SPOP", k("s"), 3),
        ("EXISTS", k("s")),
        ("SADD", k("s"), "a", "b"),
        Unordered("SPOP", k("s"), INT64_MAX),
        ("EXISTS", k("s")),
        ("SADD", k("s"), "only"),
        ("SPOP", k("s")),
        ("EXISTS", k("s")),
        ("SPOP",),
    ],
    "srandmember_errors": [
        ("SADD", k("s"), "a", "b", "c"),
        ("SRANDMEMBER", k("s"), INT64_MIN),
        ("SRANDMEMBER", k("s"), "9223372036854775808"),
        ("SRANDMEMBER", k("s"), "abc"),
        ("SRANDMEMBER", k("s"), ""),
        ("SRANDMEMBER", k("s"), "1.5"),
        ("SRANDMEMBER", k("s"), "+1"),
        ("SRANDMEMBER", k("missing"), "abc"),
        ("SRANDMEMBER", k("missing"), INT64_MIN),
        ("SRANDMEMBER", k("s"), 1, 2),
        ("SRANDMEMBER", k("missing"), 1, 2),
        ("SRANDMEMBER", k("missing")),
        ("SRANDMEMBER", k("missing"), 5),
        ("SRANDMEMBER", k("missing"), -5),
        ("SRANDMEMBER", k("missing"), 0),
        ("SRANDMEMBER", k("missing"), INT64_MAX),
        ("SRANDMEMBER", k("missing"), "-" + INT64_MAX),
        ("SRANDMEMBER", k("s"), 0),
        Unordered("SRANDMEMBER", k("s"), 3),
        Unordered("SRANDMEMBER", k("s"), 4),
        Unordered("SRANDMEMBER", k("s"), INT64_MAX),
        ("SCARD", k("s")),
        ("SRANDMEMBER",),
    ],
    "random_picks": [
        ("SADD", k("s"), *[f"m{i}" for i in range(20)]),
        Pick("SRANDMEMBER", k("s")),
        Pick("SRANDMEMBER", k("s"), 1),
        Pick("SRANDMEMBER", k("s"), 5),
        Pick("SRANDMEMBER", k("s"), 19),
        Pick("SRANDMEMBER", k("s"), 20),
        Pick("SRANDMEMBER", k("s"), 21),
        Pick("SRANDMEMBER", k("s"), -1),
        Pick("SRANDMEMBER", k("s"), -5),
        Pick("SRANDMEMBER", k("s"), -100),
        Pick("SPOP", k("s")),
        Pick("SPOP", k("s"), 1),
        Pick("SPOP", k("s"), 3),
        Pick("SPOP", k("s"), 10),
        ("SCARD", k("s")),
        Pick("SPOP", k("s"), 5),
        ("EXISTS", k("s")),
        Pick("SPOP", k("s")),
        Pick("SRANDMEMBER", k("s"), -3),
        ("SADD", k("one"), "x"),
        Pick("SRANDMEMBER", k("one"), -4),
        Pick("SRANDMEMBER", k("one")),
        Pick("SPOP", k("one")),
        ("EXISTS", k("one")),
        ("SADD", k("bin"), *BINARY),
        Pick("SRANDMEMBER", k("bin"), 3),
        Pick("SRANDMEMBER", k("bin"), -20),
        Pick("SPOP", k("bin"), 4),
        Pick("SPOP", k("bin")),
        Unordered("SMEMBERS", k("bin")),
    ],
    "sinter_sunion_sdiff": [
        ("SADD", k("a"), 1, 2, 3, 4, 5),
        ("SADD", k("b"), 4, 5, 6, 7),
        ("SADD", k("c"), 5, 7, 9),
        ("SET", k("str"), "x"),
        Unordered("SINTER", k("a"), k("b")),
        Unordered("SINTER", k("a"), k("b"), k("c")),
        Unordered("SINTER", k("a")),
        Unordered("SINTER", k("a"), k("a")),
        Unordered("SINTER", k("c"), k("a"), k("c")),
        ("SINTER", k("a"), k("missing")),
        ("SINTER", k("missing"), k("a")),
        ("SINTER", k("missing")),
        ("SINTER", k("missing"), k("str")),
        ("SINTER", k("str"), k("missing")),
        ("SINTER", k("a"), k("missing"), k("str")),
        ("SINTER", k("a"), k("str")),
        Unordered("SUNION", k("a"), k("b")),
        Unordered("SUNION", k("a"), k("b"), k("c")),
        Unordered("SUNION", k("a"), k("missing"), k("c"), k("a")),
        Unordered("SUNION", k("a")),
        ("SUNION", k("missing")),
        ("SUNION", k("missing"), k("missing2")),
        ("SUNION", k("missing"), k("str")),
        ("SUNION", k("a"), k("str")),
        Unordered("SDIFF", k("a"), k("b")),
        Unordered("SDIFF", k("a"), k("b"), k("c")),
        Unordered("SDIFF", k("b"), k("a")),
        Unordered("SDIFF", k("a")),
        Unordered("SDIFF", k("a"), k("missing")),
        ("SDIFF", k("a"), k("a")),
        ("SDIFF", k("a"), k("b"), k("a")),
        ("SDIFF", k("missing"), k("a")),
        ("SDIFF", k("missing"), k("str")),
        ("SDIFF", k("a"), k("str")),
        ("SDIFF", k("str"), k("a")),
        ("SINTER",),
        ("SUNION",),
        ("SDIFF",),
    ],
    "sintercard": [
        ("SADD", k("a"), 1, 2, 3, 4, 5),
        ("SADD", k("b"), 3, 4, 5, 6),
        ("SET", k("str"), "x"),
        ("SINTERCARD", 1, k("a")),
        ("SINTERCARD", 2, k("a"), k("b")),
        ("SINTERCARD", 2, k("a"), k("b"), "LIMIT", 0),
        ("SINTERCARD", 2, k("a"), k("b"), "LIMIT", 1),
        ("SINTERCARD", 2, k("a"), k("b"), "LIMIT", 2),
        ("SINTERCARD", 2, k("a"), k("b"), "LIMIT", 3),
        ("SINTERCARD", 2, k("a"), k("b"), "limit", 100),
        ("SINTERCARD", 2, k("a"), k("b"), "LIMIT", 100, "LIMIT", 1),
        ("SINTERCARD", 2, k("a"), k("b"), "LIMIT", INT64_MAX),
        ("SINTERCARD", 2, k("a"), k("missing")),
        ("SINTERCARD", 1, k("missing")),
        ("SINTERCARD", 2, k("missing"), k("str")),
        ("SINTERCARD", 2, k("a"), k("str")),
        ("SINTERCARD", 0, k("a")),
        ("SINTERCARD", -1, k("a")),
        ("SINTERCARD", "abc", k("a")),
        ("SINTERCARD", "", k("a")),
        ("SINTERCARD", "1.0", k("a")),
        ("SINTERCARD", "9223372036854775808", k("a")),
        ("SINTERCARD", INT64_MAX, k("a")),
        ("SINTERCARD", 3, k("a"), k("b")),
        ("SINTERCARD", 2, k("a")),
        ("SINTERCARD", 1, k("a"), "LIMIT"),
        ("SINTERCARD", 1, k("a"), "LIMIT", -1),
        ("SINTERCARD", 1, k("a"), "LIMIT", "abc"),
        ("SINTERCARD", 1, k("a"), "LIMIT", "9223372036854775808"),
        ("SINTERCARD", 1, k("a"), "FOO"),
        ("SINTERCARD", 1, k("a"), "FOO", 1),
        ("SINTERCARD", 1, k("a"), "LIMIT", 1, "extra"),
        ("SINTERCARD", 1, k("a"), b"LIMIT\x00ignored", 1),
        ("SINTERCARD", 1, k("a"), b"LIMITx", 1),
        ("SINTERCARD", b"1\x00", k("a")),
        ("SINTERCARD", 1, k("a"), "LIMIT", b"1\x00"),
        ("SINTERCARD", 1, k("a"), k("b")),
        ("SINTERCARD", 1, k("str"), "LIMIT", -1),
        ("SINTERCARD", 1),
        ("SINTERCARD",),
    ],
    "store": [
        ("SADD", k("a"), 1, 2, 3, 4, 5),
        ("SADD", k("b"), 4, 5, 6, 7),
        ("SADD", k("c"), 5, 7, 9),
        ("SINTERSTORE", k("d"), k("a"), k("b")),
        Unordered("SMEMBERS", k("d")),
        ("SUNIONSTORE", k("d"), k("a"), k("b"), k("c")),
        Unordered("SMEMBERS", k("d")),
        ("SDIFFSTORE", k("d"), k("a"), k("b")),
        Unordered("SMEMBERS", k("d")),
        ("SINTERSTORE", k("d"), k("a"), k("missing")),
        ("EXISTS", k("d")),
        ("SINTERSTORE", k("d"), k("missing")),
        ("EXISTS", k("d")),
        ("SUNIONSTORE", k("d"), k("missing"), k("missing2")),
        ("EXISTS", k("d")),
        ("SDIFFSTORE", k("d"), k("a"), k("a")),
        ("EXISTS", k("d")),
        ("SDIFFSTORE", k("d"), k("missing"), k("a")),
        ("EXISTS", k("d")),
        # the destination is replaced whatever it held, and loses its TTL
        ("SET", k("d"), "string"),
        ("SINTERSTORE", k("d"), k("a"), k("b")),
        ("TYPE", k("d")),
        ("RPUSH", k("l"), "x"),
        ("SUNIONSTORE", k("l"), k("c")),
        ("TYPE", k("l")),
        ("SET", k("e"), "string", "EX", 1000),
        ("SDIFFSTORE", k("e"), k("a"), k("c")),
        ("TTL", k("e")),
        ("SADD", k("f"), "x"),
        ("EXPIREAT", k("f"), FUTURE),
        ("SUNIONSTORE", k("f"), k("f"), k("c")),
        ("TTL", k("f")),
        Unordered("SMEMBERS", k("f")),
        ("SET", k("g"), "string"),
        ("SINTERSTORE", k("g"), k("a"), k("missing")),
        ("EXISTS", k("g")),
        ("SET", k("g"), "string"),
        ("SDIFFSTORE", k("g"), k("missing")),
        ("EXISTS", k("g")),
        # the destination among the sources
        ("SADD", k("x"), 1, 2, 3),
        ("SINTERSTORE", k("x"), k("x"), k("b")),
        Unordered("SMEMBERS", k("x")),
        ("SADD", k("x"), 1, 2, 3),
        ("SUNIONSTORE", k("x"), k("c"), k("x")),
        Unordered("SMEMBERS", k("x")),
        ("SDIFFSTORE", k("x"), k("x"), k("c")),
        Unordered("SMEMBERS", k("x")),
        ("SDIFFSTORE", k("x"), k("c"), k("x")),
        Unordered("SMEMBERS", k("x")),
        ("SINTERSTORE", k("x"), k("x")),
        Unordered("SMEMBERS", k("x")),
        ("SDIFFSTORE", k("x"), k("x")),
        Unordered("SMEMBERS", k("x")),
        ("SDIFFSTORE", k("x"), k("x"), k("x")),
        ("EXISTS", k("x")),
        # type errors leave the destination alone
        ("SET", k("str"), "x"),
        ("SADD", k("keep"), "k"),
        ("SINTERSTORE", k("keep"), k("missing"), k("str")),
        ("SUNIONSTORE", k("keep"), k("a"), k("str")),
        ("SDIFFSTORE", k("keep"), k("str"), k("a")),
        ("SDIFFSTORE", k("keep"), k("missing"), k("str")),
        Unordered("SMEMBERS", k("keep")),
        ("SINTERSTORE", k("str"), k("a"), k("b")),
        ("TYPE", k("str")),
        ("SINTERSTORE", k("d")),
        ("SUNIONSTORE", k("d")),
        ("SDIFFSTORE", k("d")),
        ("SINTERSTORE",),
    ],
    "binary_members": [
        ("SADD", k("bin"), *BINARY),
        ("SCARD", k("bin")),
        Unordered("SMEMBERS", k("bin")),
        ("SISMEMBER", k("bin"), b""),
        ("SISMEMBER", k("bin"), b"\x00"),
        ("SISMEMBER", k("bin"), b"\x00\x00\x00"),
        ("SMISMEMBER", k("bin"), *BINARY, b"\xfe", b"\x00\x01"),
        ("SADD", k("bin2"), b"\x00", b"\xff", b"zzz"),
        Unordered("SINTER", k("bin"), k("bin2")),
        Unordered("SUNION", k("bin"), k("bin2")),
        Unordered("SDIFF", k("bin"), k("bin2")),
        ("SMOVE", k("bin"), k("bin2"), b""),
        ("SREM", k("bin"), b"\x00", b"\xff", b"\x00\x00"),
        Unordered("SMEMBERS", k("bin")),
        Unordered("SMEMBERS", k("bin2")),
        (b"SADD", b"{s}\x00key\xff", b"v\x00"),
        (b"SMEMBERS", b"{s}\x00key\xff"),
        (b"SINTERSTORE", b"{s}\xffdest\x00", b"{s}\x00key\xff", k("bin2")),
        (b"SMEMBERS", b"{s}\xffdest\x00"),
    ],
    "big_sets": [
        ("SADD", k("A"), *BIG_A),
        ("SADD", k("B"), *BIG_B),
        ("SADD", k("C"), *BIG_C),
        ("SADD", k("A"), *BIG_A[:100], b"extra"),
        ("SCARD", k("A")),
        ("SCARD", k("B")),
        ("SCARD", k("C")),
        Unordered("SMEMBERS", k("A")),
        Unordered("SMEMBERS", k("B")),
        ("SISMEMBER", k("A"), b"member:4999"),
        ("SISMEMBER", k("A"), b"member:5000"),
        ("SISMEMBER", k("B"), _binary_member(2501)),
        ("SMISMEMBER", k("B"), *BIG_B[::97], b"member:1", _binary_member(2500)),
        Unordered("SINTER", k("A"), k("B")),
        Unordered("SINTER", k("B"), k("A"), k("C")),
        Unordered("SINTER", k("C"), k("A")),
        Unordered("SUNION", k("A"), k("B"), k("C")),
        Unordered("SUNION", k("B"), k("B")),
        Unordered("SDIFF", k("A"), k("B")),
        Unordered("SDIFF", k("C"), k("A"), k("B")),
        Unordered("SDIFF", k("B"), k("C")),
        ("SINTERCARD", 2, k("A"), k("B")),
        ("SINTERCARD", 3, k("A"), k("B"), k("C")),
        ("SINTERCARD", 2, k("A"), k("C"), "LIMIT", 1000),
        ("SINTERSTORE", k("AB"), k("A"), k("B")),
        ("SUNIONSTORE", k("ABC"), k("A"), k("B"), k("C")),
        ("SDIFFSTORE", k("A-B"), k("A"), k("B")),
        ("SCARD", k("AB")),
        ("SCARD", k("ABC")),
        Unordered("SMEMBERS", k("AB")),
        Unordered("SMEMBERS", k("ABC")),
        Unordered("SMEMBERS", k("A-B")),
        ("SDIFFSTORE", k("ABC"), k("ABC"), k("A")),
        ("SCARD", k("ABC")),
        ("SUNIONSTORE", k("A"), k("A"), k("C")),
        ("SCARD", k("A")),
        ("SREM", k("A"), *BIG_A[::2]),
        ("SCARD", k("A")),
        ("SISMEMBER", k("A"), b"member:0"),
        ("SISMEMBER", k("A"), b"member:1"),
        ("SMOVE", k("A"), k("B"), b"member:1"),
        ("SMOVE", k("B"), k("A"), _binary_member(2501)),
        ("SCARD", k("A")),
        ("SCARD", k("B")),
        Unordered("SMEMBERS", k("A")),
        Pick("SRANDMEMBER", k("B"), 10),
        Pick("SRANDMEMBER", k("B"), 3000),
        Pick("SRANDMEMBER", k("B"), -3000),
        Pick("SPOP", k("B"), 7),
        Pick("SPOP", k("B"), 2000),
        Pick("SPOP", k("B")),
        ("SCARD", k("B")),
        Unordered("SPOP", k("B"), 5000),
        ("EXISTS", k("B")),
        ("SREM", k("C"), *BIG_C),
        ("EXISTS", k("C")),
        ("SDIFFSTORE", k("AB"), k("AB"), k("AB")),
        ("EXISTS", k("AB")),
    ],
    "large_members": [
        ("SADD", k("L"), *LARGE_MEMBERS),
        ("SADD", k("L"), LARGE_MEMBERS[0]),
        ("SCARD", k("L")),
        Unordered("SMEMBERS", k("L")),
        ("SISMEMBER", k("L"), LARGE_MEMBERS[3]),
        ("SISMEMBER", k("L"), LARGE_MEMBERS[3][:-1]),
        ("SMISMEMBER", k("L"), LARGE_MEMBERS[1], LARGE_MEMBERS[5] + b"x"),
        ("SADD", k("M"), LARGE_MEMBERS[2], LARGE_MEMBERS[4], b"small"),
        Unordered("SINTER", k("L"), k("M")),
        Unordered("SUNION", k("L"), k("M")),
        Unordered("SDIFF", k("L"), k("M")),
        ("SUNIONSTORE", k("LM"), k("L"), k("M")),
        Unordered("SMEMBERS", k("LM")),
        ("SMOVE", k("L"), k("M"), LARGE_MEMBERS[0]),
        ("SREM", k("L"), LARGE_MEMBERS[1], LARGE_MEMBERS[2]),
        Unordered("SMEMBERS", k("L")),
        Unordered("SMEMBERS", k("M")),
        Pick("SRANDMEMBER", k("LM"), 3),
        Pick("SRANDMEMBER", k("LM"), -5),
        Pick("SPOP", k("LM"), 2),
        Pick("SPOP", k("LM")),
        ("SCARD", k("LM")),
    ],
    "expired_sets": [
        ("SADD", k("gone"), "a", "b"),
        ("SADD", k("kept"), "b", "c"),
        ("PEXPIRE", k("gone"), 50),
        Sleep(0.15),
        ("SCARD", k("gone")),
        ("SISMEMBER", k("gone"), "a"),
        ("SINTER", k("kept"), k("gone")),
        Unordered("SUNION", k("kept"), k("gone")),
        ("SADD", k("gone"), "z"),
        ("SMEMBERS", k("gone")),
        ("TTL", k("gone")),
        ("PEXPIRE", k("gone"), 50),
        Sleep(0.15),
        ("SMOVE", k("gone"), k("kept"), "z"),
        ("SREM", k("gone"), "z"),
        ("SPOP", k("gone")),
        ("SRANDMEMBER", k("gone"), 3),
        ("EXISTS", k("gone")),
        ("SADD", k("t"), "a"),
        ("EXPIREAT", k("t"), FUTURE),
        ("SADD", k("t"), "b"),
        ("SREM", k("t"), "a"),
        ("EXPIRETIME", k("t")),
        ("SADD", k("t"), "c", "d", "e"),
        Pick("SPOP", k("t")),
        ("EXPIRETIME", k("t")),
        Pick("SPOP", k("t"), 2),
        ("EXPIRETIME", k("t")),
        ("SMOVE", k("t"), k("u"), "b"),
        ("EXPIRETIME", k("u")),
        ("EXPIRETIME", k("t")),
    ],
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("target", TARGETS)
def test_same_replies_as_redis(target, group, reference, request):
    assert_group_matches(target, group, GROUPS[group], reference, request, timeout=30)


# ---------------------------------------------------------------------------
# Random operation sequences (seeded): set algebra and membership changes
# over a few keys, big enough for trees of several levels, compared with
# Redis after every step.
# ---------------------------------------------------------------------------

RANDOM_KEYS = [k(f"r{index}") for index in range(5)]
RANDOM_POOL = [b"p%d" % i for i in range(4000)] + [_binary_member(i) for i in range(200)]


def random_operation(generator):
    """One deterministic set command on RANDOM_KEYS (a Step)."""
    key = generator.choice(RANDOM_KEYS)
    others = generator.sample(RANDOM_KEYS, generator.randint(1, 3))
    batch = generator.sample(RANDOM_POOL, generator.choice([1, 5, 50, 400]))
    kind = generator.choice(["SADD"] * 4 + ["SREM"] * 3 + ["SMOVE", "SISMEMBER",
                             "SMISMEMBER", "SCARD", "SINTERSTORE", "SUNIONSTORE",
                             "SDIFFSTORE", "SINTERCARD", "SINTER", "SDIFF"])
    if kind in ("SADD", "SREM", "SMISMEMBER"):
        return Exact(kind, key, *batch)
    if kind == "SMOVE":
        return Exact(kind, key, others[0], batch[0])
    if kind == "SISMEMBER":
        return Exact(kind, key, batch[0])
    if kind == "SCARD":
        return Exact(kind, key)
    if kind.endswith("STORE"):
        return Exact(kind, key, *others)
    if kind == "SINTERCARD":
        return Exact(kind, len(others), *others, "LIMIT", generator.choice([0, 10, 1000]))
    return Unordered(kind, *others)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("target", ["node", "proxy"])
def test_random_operations_match_redis(target, reference, request):
    server = request.getfixturevalue(f"{target}_target")
    generator = random.Random(4242)
    steps = [random_operation(generator) for _ in range(1500)]
    checks = [Unordered("SMEMBERS", key) for key in RANDOM_KEYS]
    with reference.raw(timeout=30) as expected_side, server.raw(timeout=30) as actual_side:
        flush(expected_side, "the reference redis")
        flush(actual_side, target)
        differences = []
        for start in range(0, len(steps), 100):
            differences += run_group(steps[start:start + 100] + checks,
                                     expected_side, actual_side)
            if differences:
                break
    assert not differences, "\n".join(differences[:10])


# ---------------------------------------------------------------------------
# Randomness: every member comes up, positive counts never repeat.
# ---------------------------------------------------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
def test_random_picks_cover_the_set(target, request):
    server = request.getfixturevalue(f"{target}_target")
    key = k("spread")
    members = [b"m%d" % i for i in range(8)]
    with server.raw() as connection:
        connection.command("DEL", key)
        connection.command("SADD", key, *members)
        seen = set()
        for reply in connection.pipeline([("SRANDMEMBER", key)] * 400):
            seen.add(parse_reply(reply))
        assert seen == set(members)
        repeated = parse_reply(connection.command("SRANDMEMBER", key, -2000))
        assert set(repeated) == set(members) and len(repeated) == 2000
        firsts = set()
        for reply in connection.pipeline([("SRANDMEMBER", key, 3)] * 200):
            picked = parse_reply(reply)
            assert len(set(picked)) == 3
            firsts.update(picked)
        assert firsts == set(members)
        popped = parse_reply(connection.command("SPOP", key, 3))
        popped += [parse_reply(connection.command("SPOP", key)) for _ in range(5)]
        assert sorted(popped) == sorted(members)
        assert connection.command("EXISTS", key) == b":0\r\n"


# ---------------------------------------------------------------------------
# A negative SRANDMEMBER count beyond any reply size: Redis would build the
# reply until it runs out of memory; herd-node stops at the client's output
# limit and disconnects that client, like any client over the limit.
# ---------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_huge_negative_count_hits_the_output_limit(processes):
    node = processes.node(index=0, options={"client-output-buffer-limit": "4mb"})
    key = k("huge")
    with node.raw() as connection:
        assert connection.command("SADD", key, "a", "b", "c") == b":3\r\n"
        connection.send_command("SRANDMEMBER", key, "-" + INT64_MAX)
        data, closed = connection.read_until_closed(timeout=20)
        assert closed, "the client should have been disconnected"
    with node.raw() as connection:
        assert connection.command("SCARD", key) == b":3\r\n"
        reply = parse_reply(connection.command("SRANDMEMBER", key, -100000))
        assert len(reply) == 100000 and set(reply) == {b"a", b"b", b"c"}


# ---------------------------------------------------------------------------
# Keyspace hit/miss accounting: reads count a hit or miss per key looked
# up; writes (SADD, SPOP, SMOVE, the STORE sources ...) count nothing.
# ---------------------------------------------------------------------------

KEYSPACE_ACCOUNTING = [
    ("SADD", k("present"), "a", "b"),
    ("SADD", k("other"), "b", "c"),
    ("SET", k("str"), "x"),
    ("SMEMBERS", k("present")), ("SMEMBERS", k("absent")),
    ("SISMEMBER", k("present"), "a"), ("SISMEMBER", k("absent"), "a"),
    ("SMISMEMBER", k("present"), "a", "z"), ("SCARD", k("absent")),
    ("SRANDMEMBER", k("present")), ("SRANDMEMBER", k("absent"), 3),
    ("SINTER", k("present"), k("absent"), k("other")),
    ("SINTER", k("present"), k("str"), k("other")),
    ("SUNION", k("present"), k("absent")), ("SDIFF", k("absent"), k("present")),
    ("SINTERCARD", 2, k("present"), k("other")),
    ("SINTERSTORE", k("dest"), k("present"), k("other")),
    ("SUNIONSTORE", k("dest"), k("present"), k("absent")),
    ("SDIFFSTORE", k("dest"), k("present"), k("other")),
    ("SMOVE", k("present"), k("other"), "a"), ("SMOVE", k("absent"), k("other"), "a"),
    ("SREM", k("present"), "zz"), ("SPOP", k("absent")), ("SPOP", k("other"), 0),
    ("SADD", k("present"), "q"),
]


@pytest.mark.timeout(60)
def test_keyspace_hits_and_misses_counted_as_redis(reference, node_target):
    assert_keyspace_counted_as_redis(reference, node_target, KEYSPACE_ACCOUNTING)
