"""
test_differential.py -- the same command sequences sent to a real
redis-server (the reference) and to herd; the replies must be identical,
byte for byte.

Targets:
  node   one herd-node, directly
  proxy  herd-proxy in front of 3 herd-nodes
  redis  a second redis-server: checks the cases themselves are
         deterministic (a failure here is a bug in this file, not in herd)

Each group in GROUPS is a list of steps, run one step at a time on the
reference and on the target (interleaved, so time-dependent replies stay
close).  A step is a command tuple (exact comparison) or one of the step
objects below for replies that legitimately differ: Approx (TTLs),
Unordered (KEYS), ScanAll (a full SCAN iteration), RandomMember, Sleep.
Adding a case is adding one line.  Every group starts from an empty
database (FLUSHALL on both sides).

The reference runs with `databases 1`: herd has one database, so SELECT 1
must fail the way such a Redis fails.
"""

import random
import time

import pytest

from harness import parse_reply

# Absolute times far in the future (and one in the past), fixed for the run,
# so EXPIRETIME and friends compare exactly.
FUTURE = int(time.time()) + 10 * 365 * 86400
FUTURE_MS = FUTURE * 1000 + 123
PAST = 1000
INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"

_random = random.Random(20240601)
ONE_MB = bytes(_random.getrandbits(8) for _ in range(1 << 20))
HALF_MB = ONE_MB[: 1 << 19]
ALL_BYTES = bytes(range(256))


# ---------------------------------------------------------------------------
# Step kinds
# ---------------------------------------------------------------------------

def _show(raw, limit=300):
    text = repr(raw[:limit])
    return text + (f"... ({len(raw)} bytes)" if len(raw) > limit else "")


class Exact:
    """The raw replies must be identical."""

    def __init__(self, *args):
        self.args = args

    def describe(self):
        shown = []
        for argument in self.args:
            value = argument if isinstance(argument, (bytes, str)) else str(argument)
            if len(value) > 40:
                value = value[:40] + (b"..." if isinstance(value, bytes) else "...")
            shown.append(repr(value) if isinstance(value, bytes) else value)
        return " ".join(shown)

    def run(self, connection):
        return connection.command(*self.args)

    def differs(self, expected, actual):
        """None when the replies agree, else a description of the difference."""
        if expected == actual:
            return None
        return f"expected {_show(expected)}\n      actual   {_show(actual)}"


class Approx(Exact):
    """Integer replies equal within `tolerance` (TTL, PTTL, EXPIRETIME).

    Negative replies (-1 no TTL, -2 no key) must match exactly.
    """

    def __init__(self, *args, tolerance=1):
        super().__init__(*args)
        self.tolerance = tolerance

    def differs(self, expected, actual):
        if expected == actual:
            return None
        if expected.startswith(b":") and actual.startswith(b":"):
            want, got = parse_reply(expected), parse_reply(actual)
            if want >= 0 and got >= 0 and abs(want - got) <= self.tolerance:
                return None
        return (f"expected {_show(expected)} (+/-{self.tolerance})\n"
                f"      actual   {_show(actual)}")


class Unordered(Exact):
    """Array replies equal as multisets (KEYS through several nodes)."""

    def differs(self, expected, actual):
        if expected == actual:
            return None
        try:
            want, got = parse_reply(expected), parse_reply(actual)
        except ValueError:
            want = got = None
        if isinstance(want, list) and isinstance(got, list) and sorted(want) == sorted(got):
            return None
        return f"expected (any order) {_show(expected)}\n      actual   {_show(actual)}"


class ScanAll(Exact):
    """A whole SCAN iteration (extra args: MATCH/COUNT/TYPE); compares key sets.

    Cursors are implementation details; the set of keys returned is not.
    A reply that is not a [cursor, keys] pair is compared exactly.
    """

    def describe(self):
        return "SCAN (full iteration) " + " ".join(str(a) for a in self.args)

    def run(self, connection):
        cursor, keys, rounds = b"0", set(), 0
        while True:
            raw = connection.command("SCAN", cursor, *self.args)
            reply = parse_reply(raw)
            if not (isinstance(reply, list) and len(reply) == 2):
                return raw
            cursor, page = reply
            keys.update(page)
            rounds += 1
            if cursor == b"0" or rounds > 100000:
                break
        return repr(sorted(keys)).encode()


class RandomMember(Exact):
    """RANDOMKEY: nil on both sides, or a key that exists (checked by EXISTS)."""

    def __init__(self):
        super().__init__("RANDOMKEY")

    def run(self, connection):
        raw = connection.command("RANDOMKEY")
        key = parse_reply(raw)
        if not isinstance(key, bytes):
            return raw
        exists = connection.command("EXISTS", key)
        return b"existing key" if exists == b":1\r\n" else b"missing key " + raw


class Sleep(Exact):
    """Waits (once, for both sides); no reply to compare."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def describe(self):
        return f"(sleep {self.seconds}s)"

    def run(self, connection):
        return b""


# ---------------------------------------------------------------------------
# The cases.  Plain tuples are Exact steps.
# ---------------------------------------------------------------------------

GROUPS = {
    "get_set_basic": [
        ("GET", "k"),
        ("SET", "k", "v"),
        ("GET", "k"),
        ("SET", "k", "v2"),
        ("GET", "k"),
        ("set", "k", "lower"),
        ("gEt", "k"),
        ("SET", "k", ""),
        ("GET", "k"),
        ("STRLEN", "k"),
        ("TYPE", "k"),
        ("TYPE", "missing"),
        ("SET", "n", 42),
        ("GET", "n"),
        ("SET", "k"),
        ("GET",),
        ("GET", "a", "b"),
    ],
    "set_expire_options": [
        ("SET", "k", "v", "EX", 100),
        Approx("TTL", "k"),
        Approx("PTTL", "k", tolerance=1500),
        ("SET", "k", "v", "PX", 100000),
        Approx("PTTL", "k", tolerance=1500),
        ("SET", "k", "v", "EXAT", FUTURE),
        ("EXPIRETIME", "k"),
        ("PEXPIRETIME", "k"),
        Approx("TTL", "k"),
        ("SET", "k", "v", "PXAT", FUTURE_MS),
        ("PEXPIRETIME", "k"),
        ("EXPIRETIME", "k"),
        ("SET", "k", "v"),
        ("TTL", "k"),
        ("SET", "k", "v", "EX", 100),
        ("SET", "k", "v2", "KEEPTTL"),
        Approx("TTL", "k"),
        ("GET", "k"),
        ("set", "k", "v", "ex", 50),
        Approx("TTL", "k"),
        ("SET", "k", "v", "EX", 10, "EX", 100),
        Approx("TTL", "k"),
        ("SET", "k", "v", "KEEPTTL", "KEEPTTL"),
        Approx("TTL", "k"),
        ("SET", "gone", "v", "EXAT", PAST),
        ("EXISTS", "gone"),
        ("GET", "gone"),
        ("SET", "gone", "v", "PXAT", 1),
        ("EXISTS", "gone"),
    ],
    "set_nx_xx_get": [
        ("SET", "k", "v", "NX"),
        ("SET", "k", "v", "NX"),
        ("SET", "k2", "v", "XX"),
        ("EXISTS", "k2"),
        ("SET", "k", "v2", "XX"),
        ("GET", "k"),
        ("SET", "k", "v3", "GET"),
        ("SET", "new", "v", "GET"),
        ("GET", "new"),
        ("SET", "k", "v4", "NX", "GET"),
        ("GET", "k"),
        ("SET", "k", "v5", "XX", "GET"),
        ("GET", "k"),
        ("SET", "missing", "v", "XX", "GET"),
        ("EXISTS", "missing"),
        ("SET", "k", "v6", "GET", "EX", 100),
        Approx("TTL", "k"),
        ("SET", "k", "v7", "get", "keepttl"),
        Approx("TTL", "k"),
        ("SET", "k", "v8", "nx", "px", 5000),
        ("SET", "fresh", "v", "NX", "EX", 100),
        Approx("TTL", "fresh"),
    ],
    "set_errors": [
        ("SET", "k", "v", "EX", 10, "PX", 100),
        ("SET", "k", "v", "PX", 10, "EX", 100),
        ("SET", "k", "v", "EX", 10, "EXAT", FUTURE),
        ("SET", "k", "v", "PXAT", FUTURE_MS, "EXAT", FUTURE),
        ("SET", "k", "v", "NX", "XX"),
        ("SET", "k", "v", "XX", "NX"),
        ("SET", "k", "v", "EX", 0),
        ("SET", "k", "v", "EX", -1),
        ("SET", "k", "v", "PX", 0),
        ("SET", "k", "v", "PX", -100),
        ("SET", "k", "v", "EXAT", 0),
        ("SET", "k", "v", "PXAT", -5),
        ("SET", "k", "v", "EX", "abc"),
        ("SET", "k", "v", "PX", "1.5"),
        ("SET", "k", "v", "EX", ""),
        ("SET", "k", "v", "EX"),
        ("SET", "k", "v", "PX"),
        ("SET", "k", "v", "EX", INT64_MAX),
        ("SET", "k", "v", "EX", "9223372036854775"),
        ("SET", "k", "v", "PX", INT64_MAX),
        ("SET", "k", "v", "EXAT", INT64_MAX),
        ("SET", "k", "v", "EX", "99999999999999999999"),
        ("SET", "k", "v", "KEEPTTL", "EX", 10),
        ("SET", "k", "v", "EX", 10, "KEEPTTL"),
        ("SET", "k", "v", "PERSIST"),
        ("SET", "k", "v", "FOO"),
        ("SET", "k", "v", "GET", "GET"),
        ("SET", "k", "v", "NX", "NX"),
        ("SET", "k", "v", "EX", 10, "junk"),
        ("EXISTS", "k"),
        ("DBSIZE",),
    ],
    "setnx_setex_psetex": [
        ("SETNX", "k", "v"),
        ("SETNX", "k", "v2"),
        ("GET", "k"),
        ("SETEX", "k", 100, "v3"),
        Approx("TTL", "k"),
        ("GET", "k"),
        ("SETEX", "k", 0, "v"),
        ("SETEX", "k", -1, "v"),
        ("SETEX", "k", "abc", "v"),
        ("SETEX", "k", INT64_MAX, "v"),
        ("PSETEX", "k", 100000, "v4"),
        Approx("PTTL", "k", tolerance=1500),
        ("PSETEX", "k", 0, "v"),
        ("PSETEX", "k", -5, "v"),
        ("PSETEX", "k", INT64_MAX, "v"),
        ("GET", "k"),
        ("SETNX", "k"),
        ("SETEX", "k", 10),
        ("PSETEX", "k", 10),
        ("SETNX", "k", "v", "extra"),
    ],
    "getset_getdel_getex": [
        ("GETSET", "k", "v"),
        ("GETSET", "k", "v2"),
        ("GETDEL", "k"),
        ("GETDEL", "k"),
        ("EXISTS", "k"),
        ("SET", "k", "v", "EX", 100),
        ("GETSET", "k", "x"),
        ("TTL", "k"),
        ("GETEX", "k"),
        ("GETEX", "missing"),
        ("GETEX", "missing", "EX", 100),
        ("EXISTS", "missing"),
        ("GETEX", "k", "EX", 100),
        Approx("TTL", "k"),
        ("GETEX", "k", "PERSIST"),
        ("TTL", "k"),
        ("GETEX", "k", "PX", 100000),
        Approx("PTTL", "k", tolerance=1500),
        ("GETEX", "k", "EXAT", FUTURE),
        ("EXPIRETIME", "k"),
        ("GETEX", "k", "PXAT", FUTURE_MS),
        ("PEXPIRETIME", "k"),
        ("GETEX", "k", "ex", 100),
        ("GETEX", "k", "EX", 0),
        ("GETEX", "k", "PX", -1),
        ("GETEX", "k", "EXAT", 0),
        ("GETEX", "k", "EX", 10, "PX", 10),
        ("GETEX", "k", "PERSIST", "EX", 10),
        ("GETEX", "k", "EX", 10, "PERSIST"),
        ("GETEX", "k", "KEEPTTL"),
        ("GETEX", "k", "FOO"),
        ("GETEX", "k", "EX"),
        ("GETEX", "k", "EX", "abc"),
        ("GETEX", "k", "EX", INT64_MAX),
        ("GET", "k"),
        ("GETEX", "k", "EXAT", PAST),
        ("EXISTS", "k"),
        ("GETEX",),
        ("GETDEL",),
        ("GETDEL", "a", "b"),
        ("GETSET", "k"),
    ],
    "mget_mset": [
        ("MSET", "a", 1, "b", 2, "c", 3),
        ("MGET", "a", "b", "c", "missing"),
        ("MGET", "missing"),
        ("MGET", "a", "a", "missing", "a"),
        ("MSET", "a", "x", "a", "y"),
        ("GET", "a"),
        ("MSET", "a"),
        ("MSET", "a", 1, "b"),
        ("MGET",),
        ("MSET", *[item for index in range(60) for item in (f"key:{index}", f"value:{index}")]),
        ("MGET", *[f"key:{index}" if index % 3 else f"nokey:{index}" for index in range(60)]),
        ("DBSIZE",),
        ("SET", "t", "v", "EX", 100),
        ("MSET", "t", "w"),
        ("TTL", "t"),
    ],
    "msetnx": [
        ("MSETNX", "{t}a", 1, "{t}b", 2),
        ("MSETNX", "{t}a", 9, "{t}c", 3),
        ("MGET", "{t}a", "{t}b", "{t}c"),
        ("MSETNX", "{t}c", 3, "{t}d", 4),
        ("MGET", "{t}a", "{t}b", "{t}c", "{t}d"),
        ("MSETNX", "{t}e", 5, "{t}e", 6),
        ("GET", "{t}e"),
        ("MSETNX", "{t}x"),
        ("MSETNX", "{t}x", 1, "{t}y"),
        ("MSETNX", "single", "v"),
        ("GET", "single"),
    ],
    "append_strlen": [
        ("APPEND", "k", "abc"),
        ("APPEND", "k", "def"),
        ("GET", "k"),
        ("STRLEN", "k"),
        ("STRLEN", "missing"),
        ("APPEND", "k", ""),
        ("APPEND", "empty", ""),
        ("EXISTS", "empty"),
        ("STRLEN", "empty"),
        ("SET", "n", 10),
        ("APPEND", "n", 5),
        ("GET", "n"),
        ("INCR", "n"),
        ("APPEND", "n", "x"),
        ("INCR", "n"),
        ("SET", "t", "v", "EX", 100),
        ("APPEND", "t", "w"),
        Approx("TTL", "t"),
        ("APPEND", "k"),
        ("STRLEN",),
    ],
    "getrange_setrange": [
        ("SET", "k", "Hello World"),
        ("GETRANGE", "k", 0, 4),
        ("GETRANGE", "k", -5, -1),
        ("GETRANGE", "k", 0, -1),
        ("GETRANGE", "k", 5, 2),
        ("GETRANGE", "k", -100, 100),
        ("GETRANGE", "k", 100, 200),
        ("GETRANGE", "k", -1, -5),
        ("GETRANGE", "k", 0, INT64_MAX),
        ("GETRANGE", "k", INT64_MIN, 0),
        ("GETRANGE", "missing", 0, 10),
        ("GETRANGE", "k", "a", 1),
        ("GETRANGE", "k", 0, "1.5"),
        ("SUBSTR", "k", 0, 3),
        ("SETRANGE", "k", 6, "Redis"),
        ("GET", "k"),
        ("SETRANGE", "k", 20, "x"),
        ("GET", "k"),
        ("SETRANGE", "new", 5, "ab"),
        ("GET", "new"),
        ("SETRANGE", "k", -1, "x"),
        ("SETRANGE", "k", 536870912, "x"),
        ("SETRANGE", "k", 536870911, ""),
        ("SETRANGE", "nothing", 0, ""),
        ("SETRANGE", "nothing", 10, ""),
        ("EXISTS", "nothing"),
        ("SETRANGE", "k", "abc", "x"),
        ("SETRANGE", "k", 0, ""),
        ("SETRANGE", "k", 0, "J"),
        ("GET", "k"),
        ("SET", "e", ""),
        ("GETRANGE", "e", 0, -1),
        ("GETRANGE", "e", 0, 0),
        ("SETRANGE", "e", 0, ""),
        ("GETRANGE", "k", 0),
        ("SETRANGE", "k", 0),
    ],
    "incr_decr": [
        ("INCR", "k"),
        ("INCRBY", "k", 10),
        ("DECR", "k"),
        ("DECRBY", "k", 5),
        ("INCRBY", "k", -10),
        ("DECRBY", "k", -5),
        ("GET", "k"),
        ("SET", "k", INT64_MAX),
        ("INCR", "k"),
        ("INCRBY", "k", 1),
        ("DECRBY", "k", -1),
        ("GET", "k"),
        ("SET", "k", INT64_MIN),
        ("DECR", "k"),
        ("INCRBY", "k", -1),
        ("DECRBY", "k", INT64_MIN),
        ("SET", "k", 5),
        ("DECRBY", "k", INT64_MIN),
        ("INCRBY", "k", INT64_MIN),
        ("INCRBY", "k", "9223372036854775808"),
        ("INCRBY", "k", "abc"),
        ("INCRBY", "k", "1.0"),
        ("INCRBY", "k", ""),
        ("INCRBY", "k", " 1"),
        ("SET", "k", "abc"),
        ("INCR", "k"),
        ("SET", "k", " 1"),
        ("INCR", "k"),
        ("SET", "k", "1 "),
        ("INCR", "k"),
        ("SET", "k", "01"),
        ("INCR", "k"),
        ("SET", "k", "+1"),
        ("INCR", "k"),
        ("SET", "k", "-0"),
        ("INCR", "k"),
        ("SET", "k", "1.5"),
        ("INCR", "k"),
        ("SET", "k", ""),
        ("INCR", "k"),
        ("SET", "k", "12345678901234567890"),
        ("INCR", "k"),
        ("SET", "k", "-12"),
        ("DECR", "k"),
        ("SET", "t", 5, "EX", 100),
        ("INCR", "t"),
        Approx("TTL", "t"),
        ("INCR",),
        ("INCRBY", "k"),
        ("DECRBY", "k", 1, 2),
    ],
    "incrbyfloat": [
        ("INCRBYFLOAT", "k", "10.5"),
        ("INCRBYFLOAT", "k", "0.1"),
        ("GET", "k"),
        ("SET", "k", "5.0e3"),
        ("INCRBYFLOAT", "k", "2.0e2"),
        ("INCRBYFLOAT", "k", "-5200"),
        ("SET", "k", "0.1"),
        ("INCRBYFLOAT", "k", "0.2"),
        ("INCRBYFLOAT", "k", "1.23e-5"),
        ("INCRBYFLOAT", "k", "-0.30001230"),
        ("SET", "k", 3),
        ("INCRBYFLOAT", "k", "1.5"),
        ("INCRBYFLOAT", "k", "1e17"),
        ("INCRBYFLOAT", "k", "1.5e308"),
        ("INCRBYFLOAT", "k", "1.5e308"),
        ("SET", "k", 1),
        ("INCRBYFLOAT", "k", "abc"),
        ("INCRBYFLOAT", "k", ""),
        ("INCRBYFLOAT", "k", "inf"),
        ("INCRBYFLOAT", "k", "-inf"),
        ("INCRBYFLOAT", "k", "nan"),
        ("INCRBYFLOAT", "k", "1.0 "),
        ("INCRBYFLOAT", "k", " 1.0"),
        ("INCRBYFLOAT", "k", "1e"),
        ("GET", "k"),
        ("SET", "k", "abc"),
        ("INCRBYFLOAT", "k", 1),
        ("SET", "k", "1.5 "),
        ("INCRBYFLOAT", "k", 1),
        ("SET", "k", "10"),
        ("INCRBYFLOAT", "k", "-10"),
        ("INCRBYFLOAT", "k", "-0.5"),
        ("INCRBYFLOAT", "k", "3"),
        ("SET", "k", INT64_MAX),
        ("INCRBYFLOAT", "k", 1),
        ("SET", "t", "1.5", "EX", 100),
        ("INCRBYFLOAT", "t", "1"),
        Approx("TTL", "t"),
        ("INCRBYFLOAT", "k"),
    ],
    "del_unlink_exists_touch": [
        ("MSET", "a", 1, "b", 2, "c", 3),
        ("EXISTS", "a", "b", "c", "d"),
        ("EXISTS", "a", "a", "a"),
        ("EXISTS", "missing"),
        ("DEL", "a", "d"),
        ("UNLINK", "b", "c", "d"),
        ("EXISTS", "a", "b", "c"),
        ("DEL", "missing"),
        ("UNLINK", "missing"),
        ("MSET", "a", 1, "b", 2),
        ("DEL", "a", "a", "b"),
        ("SET", "a", 1),
        ("TOUCH", "a", "b"),
        ("TOUCH", "a", "a"),
        ("TOUCH", "missing"),
        ("MSET", *[item for index in range(40) for item in (f"k{index}", index)]),
        ("EXISTS", *[f"k{index}" for index in range(45)]),
        ("DEL", *[f"k{index}" for index in range(0, 45, 2)]),
        ("EXISTS", *[f"k{index}" for index in range(45)]),
        ("DEL",),
        ("UNLINK",),
        ("EXISTS",),
        ("TOUCH",),
        ("TYPE", "a"),
        ("TYPE", "missing"),
        ("TYPE",),
        ("TYPE", "a", "b"),
    ],
    "expire_basic": [
        ("SET", "k", "v"),
        ("EXPIRE", "k", 100),
        Approx("TTL", "k"),
        Approx("PTTL", "k", tolerance=1500),
        Approx("EXPIRETIME", "k"),
        Approx("PEXPIRETIME", "k", tolerance=1500),
        ("EXPIRE", "missing", 100),
        ("PEXPIRE", "k", 100000),
        Approx("PTTL", "k", tolerance=1500),
        ("EXPIREAT", "k", FUTURE),
        ("EXPIRETIME", "k"),
        ("PEXPIRETIME", "k"),
        ("PEXPIREAT", "k", FUTURE_MS),
        ("PEXPIRETIME", "k"),
        ("EXPIRETIME", "k"),
        ("PERSIST", "k"),
        ("PERSIST", "k"),
        ("PERSIST", "missing"),
        ("TTL", "k"),
        ("PTTL", "k"),
        ("TTL", "missing"),
        ("PTTL", "missing"),
        ("EXPIRETIME", "missing"),
        ("PEXPIRETIME", "missing"),
        ("EXPIRETIME", "k"),
        ("PEXPIRETIME", "k"),
        ("EXPIRE", "k", 0),
        ("EXISTS", "k"),
        ("SET", "k", "v"),
        ("EXPIRE", "k", -5),
        ("EXISTS", "k"),
        ("SET", "k", "v"),
        ("EXPIREAT", "k", PAST),
        ("EXISTS", "k"),
        ("SET", "k", "v"),
        ("PEXPIREAT", "k", 1),
        ("GET", "k"),
        ("SET", "k", "v"),
        ("PEXPIRE", "k", -1),
        ("EXISTS", "k"),
        ("SET", "k", "v"),
        ("EXPIRE", "k", "abc"),
        ("EXPIRE", "k", "1.5"),
        ("EXPIRE", "k", ""),
        ("EXPIRE", "k", INT64_MAX),
        ("EXPIRE", "k", INT64_MIN),
        ("EXPIRE", "k", "9223372036854775"),
        ("PEXPIRE", "k", INT64_MAX),
        ("EXPIREAT", "k", INT64_MAX),
        ("PEXPIREAT", "k", INT64_MIN),
        ("TTL", "k"),
        ("EXPIRE", "k", 100, "FOO"),
        ("EXPIRE", "k", 100, "NX", "FOO"),
        ("EXPIRE", "k"),
        ("PEXPIRE", "k"),
        ("EXPIREAT", "k"),
        ("PEXPIREAT", "k"),
        ("TTL",),
        ("PTTL", "a", "b"),
        ("EXPIRETIME",),
        ("PEXPIRETIME", "a", "b"),
        ("PERSIST",),
    ],
    "expire_nx_xx_gt_lt": [
        ("SET", "k", "v"),
        ("EXPIRE", "k", 100, "XX"),
        ("EXPIRE", "k", 100, "GT"),
        ("TTL", "k"),
        ("EXPIRE", "k", 100, "LT"),
        Approx("TTL", "k"),
        ("EXPIRE", "k", 200, "NX"),
        ("EXPIRE", "k", 200, "XX"),
        Approx("TTL", "k"),
        ("EXPIRE", "k", 100, "GT"),
        ("EXPIRE", "k", 300, "GT"),
        ("EXPIRE", "k", 400, "LT"),
        ("EXPIRE", "k", 50, "LT"),
        Approx("TTL", "k"),
        ("EXPIRE", "k", 10, "NX", "XX"),
        ("EXPIRE", "k", 10, "GT", "LT"),
        ("EXPIRE", "k", 10, "NX", "GT"),
        ("EXPIRE", "k", 10, "NX", "LT"),
        ("EXPIRE", "k", 10, "XX", "GT", "LT"),
        ("EXPIRE", "k", 500, "xx", "gt"),
        Approx("TTL", "k"),
        ("EXPIRE", "k", 500, "XX", "XX"),
        ("PEXPIRE", "k", 1000, "GT"),
        ("PEXPIRE", "k", 1000000, "GT"),
        Approx("PTTL", "k", tolerance=1500),
        ("EXPIREAT", "k", FUTURE, "LT"),
        ("EXPIREAT", "k", FUTURE, "GT"),
        ("EXPIRETIME", "k"),
        ("PEXPIREAT", "k", FUTURE_MS + 1000, "XX"),
        ("PEXPIRETIME", "k"),
        ("PEXPIREAT", "k", FUTURE_MS, "NX"),
        ("PERSIST", "k"),
        ("EXPIRE", "k", 100, "NX"),
        Approx("TTL", "k"),
        ("EXPIRE", "missing", 100, "NX"),
        ("EXPIRE", "missing", 100, "XX"),
        ("PERSIST", "k"),
        ("EXPIRE", "k", -1, "GT"),
        ("EXISTS", "k"),
        ("EXPIRE", "k", -1, "LT"),
        ("EXISTS", "k"),
    ],
    "expired_keys": [
        ("SET", "k", "v", "PX", 50),
        ("SET", "k2", "v", "PX", 50),
        ("SET", "k3", "abc", "PX", 50),
        ("SET", "k4", 7, "PX", 50),
        ("SET", "stays", "v"),
        Sleep(0.15),
        ("GET", "k"),
        ("EXISTS", "k"),
        ("TTL", "k"),
        ("PTTL", "k"),
        ("TYPE", "k2"),
        ("APPEND", "k3", "x"),
        ("GET", "k3"),
        ("INCR", "k4"),
        ("SET", "k2", "v", "XX"),
        ("SETNX", "k2", "v"),
        Unordered("KEYS", "*"),
    ],
    "keys_dbsize": [
        ("DBSIZE",),
        ("KEYS", "*"),
        ("MSET", "foo", 1, "foobar", 2, "bar", 3, "h?llo", 4, "hello", 5, "hallo", 6,
         "a*b", 7, "x[y]z", 8, "hxllo", 9, "heeeello", 10),
        ("DBSIZE",),
        Unordered("KEYS", "*"),
        Unordered("KEYS", "foo*"),
        Unordered("KEYS", "h?llo"),
        Unordered("KEYS", "h[ae]llo"),
        Unordered("KEYS", "h[^e]llo"),
        Unordered("KEYS", "h[a-f]llo"),
        Unordered("KEYS", "h*llo"),
        Unordered("KEYS", "*o"),
        Unordered("KEYS", "a\\*b"),
        Unordered("KEYS", "x\\[y\\]z"),
        Unordered("KEYS", "h\\?llo"),
        ("KEYS", "nomatch*"),
        ("KEYS", "hello"),
        ("KEYS",),
        ("KEYS", "a", "b"),
        ("DBSIZE", "x"),
        ("DEL", "foo"),
        ("DBSIZE",),
    ],
    "scan": [
        ScanAll(),
        ("MSET", *[item for index in range(120) for item in (f"scan:{index}", index)]),
        ("MSET", "other:1", 1, "other:2", 2, "hello", 3),
        ScanAll(),
        ScanAll("COUNT", 1),
        ScanAll("COUNT", 7),
        ScanAll("COUNT", 1000),
        ScanAll("MATCH", "other:*"),
        ScanAll("MATCH", "scan:1?"),
        ScanAll("MATCH", "h*llo", "COUNT", 2),
        ScanAll("match", "nomatch*", "count", 3),
        ScanAll("TYPE", "string"),
        ScanAll("TYPE", "list"),
        ScanAll("MATCH", "other:*", "TYPE", "string", "COUNT", 5),
        ("SCAN", "abc"),
        ("SCAN", "0", "COUNT", 0),
        ("SCAN", "0", "COUNT", -1),
        ("SCAN", "0", "COUNT", "abc"),
        ("SCAN", "0", "FOO"),
        ("SCAN", "0", "MATCH"),
        ("SCAN", "0", "COUNT"),
        ("SCAN", "0", "TYPE"),
        ("SCAN",),
    ],
    "randomkey": [
        ("RANDOMKEY",),
        ("SET", "a", 1),
        ("RANDOMKEY",),
        ("MSET", "b", 2, "c", 3, "d", 4),
        RandomMember(),
        RandomMember(),
        RandomMember(),
        ("DEL", "a", "b", "c", "d"),
        ("RANDOMKEY",),
        ("RANDOMKEY", "x"),
    ],
    "flush": [
        ("MSET", "a", 1, "b", 2),
        ("FLUSHDB",),
        ("DBSIZE",),
        ("EXISTS", "a", "b"),
        ("MSET", "a", 1, "b", 2),
        ("FLUSHALL",),
        ("DBSIZE",),
        ("SET", "a", 1),
        ("FLUSHALL", "ASYNC"),
        ("GET", "a"),
        ("SET", "a", 1),
        ("FLUSHDB", "SYNC"),
        ("GET", "a"),
        ("FLUSHALL", "sync"),
        ("FLUSHDB", "async"),
        ("FLUSHALL", "FOO"),
        ("FLUSHDB", "ASYNC", "SYNC"),
        ("FLUSHALL", "SYNC", "x"),
    ],
    "connection": [
        ("PING",),
        ("PING", "hello"),
        ("PING", ""),
        ("PING", "a", "b"),
        ("ping",),
        ("ECHO", "hello"),
        ("ECHO", ""),
        ("ECHO", b"\x00\r\n\xff"),
        ("ECHO",),
        ("ECHO", "a", "b"),
        ("SELECT", 0),
        ("SELECT", 1),
        ("SELECT", 16),
        ("SELECT", -1),
        ("SELECT", "abc"),
        ("SELECT", ""),
        ("SELECT",),
        ("SELECT", 0, 1),
        ("SET", "k", "v"),
        ("SELECT", "0"),
        ("GET", "k"),
    ],
    "connection_state": [
        ("CLIENT", "GETNAME"),
        ("CLIENT", "SETNAME", "myname"),
        ("CLIENT", "GETNAME"),
        ("CLIENT", "SETNAME", "bad name"),
        ("CLIENT", "SETNAME", "bad\nname"),
        ("CLIENT", "SETNAME", ""),
        ("CLIENT", "GETNAME"),
        ("CLIENT", "SETNAME"),
        ("CLIENT", "NOSUCH"),
        ("CLIENT",),
        ("AUTH", "secret"),
        ("AUTH", "user", "secret"),
        ("AUTH",),
        ("AUTH", "a", "b", "c"),
        ("CLIENT", "SETNAME", "again"),
        ("RESET",),
        ("CLIENT", "GETNAME"),
        ("TIME", "x"),
        ("SELECT", 0),
        ("ECHO", "after reset"),
    ],
    "arity_and_unknown": [
        ("SET", "k"),
        ("SETNX", "k"),
        ("SETEX", "k", 1),
        ("PSETEX", "k", 1),
        ("GETSET", "k"),
        ("GETDEL",),
        ("GETEX",),
        ("MGET",),
        ("MSET",),
        ("MSETNX",),
        ("APPEND", "k"),
        ("STRLEN",),
        ("GETRANGE", "k", 0),
        ("SETRANGE", "k", 0),
        ("INCR",),
        ("DECR", "a", "b"),
        ("INCRBY", "k"),
        ("DECRBY", "k"),
        ("INCRBYFLOAT", "k"),
        ("DEL",),
        ("UNLINK",),
        ("EXISTS",),
        ("TYPE",),
        ("EXPIRE", "k"),
        ("TTL",),
        ("PERSIST",),
        ("TOUCH",),
        ("KEYS",),
        ("DBSIZE", "x"),
        ("RANDOMKEY", "x"),
        ("ECHO",),
        ("SELECT",),
        ("FOO",),
        ("FOO", "a", "b"),
        ("foo", "a b", ""),
        ("NOSUCH", "x" * 200),
        ("NOSUCH", "a" * 100, "b" * 100, "c"),
        ("Z" * 200,),
        ("NOSUCH", "a\r\nb", "c\nd"),
        ("",),
        ("", "x"),
        ("GET\x00", "x"),
        ("PING",),
    ],
    "binary_safe": [
        ("SET", b"\x00", b"\x00\x01"),
        ("GET", b"\x00"),
        ("SET", b"k\r\nx", b"v\r\n\r\n"),
        ("GET", b"k\r\nx"),
        ("SET", b"\xff\xfe", b"\xff"),
        ("GET", b"\xff\xfe"),
        ("SET", b"all", ALL_BYTES),
        ("GET", b"all"),
        ("STRLEN", b"all"),
        ("GETRANGE", b"all", 250, -1),
        ("APPEND", b"all", b"\x00\r\n"),
        ("GET", b"all"),
        ("MGET", b"\x00", b"k\r\nx", b"\xff\xfe", b"nope"),
        ("EXISTS", b"\x00", b"k\r\nx", b"\xff\xfe"),
        Unordered("KEYS", "*"),
        ScanAll(),
        ("SET", "", ""),
        ("GET", ""),
        ("EXISTS", ""),
        ("STRLEN", ""),
        ("SET", "e", ""),
        ("GET", "e"),
        ("STRLEN", "e"),
        ("APPEND", "", "x"),
        ("GET", ""),
        ("DEL", ""),
        ("EXISTS", ""),
        ("SET", "{}", "braces"),
        ("SET", "{", "open"),
        ("SET", "}{", "swapped"),
        ("MGET", "{}", "{", "}{"),
        ("SET", "π-ключ", "значение"),
        ("GET", "π-ключ"),
        ("DEL", b"\x00", b"k\r\nx", b"\xff\xfe", b"all"),
    ],
    "big_values": [
        ("SET", "big", ONE_MB),
        ("GET", "big"),
        ("STRLEN", "big"),
        ("APPEND", "big", ONE_MB),
        ("STRLEN", "big"),
        ("GETRANGE", "big", 1048570, 1048580),
        ("SETRANGE", "big", 2097152, "x"),
        ("STRLEN", "big"),
        ("GETDEL", "big"),
        ("EXISTS", "big"),
        ("MSET", "h1", HALF_MB, "h2", HALF_MB[::-1]),
        ("MGET", "h1", "h2", "none"),
        ("SETRANGE", "sparse", 1 << 20, "end"),
        ("GET", "sparse"),
        ("ECHO", ONE_MB),
        ("GETSET", "h1", ONE_MB),
        ("GET", "h1"),
    ],
    "ttl_kept_or_cleared": [
        ("SET", "k", "v", "EX", 100),
        ("SETRANGE", "k", 0, "w"),
        Approx("TTL", "k"),
        ("SET", "k", "v2"),
        ("TTL", "k"),
        ("SET", "k", 1, "EX", 100),
        ("INCRBY", "k", 5),
        ("DECR", "k"),
        Approx("TTL", "k"),
        ("SETNX", "k", "x"),
        Approx("TTL", "k"),
        ("MSETNX", "k", "x"),
        Approx("TTL", "k"),
        ("GETEX", "k"),
        Approx("TTL", "k"),
        ("GETDEL", "k"),
        ("TTL", "k"),
        ("SETEX", "k", 100, "v"),
        ("SET", "k", "v", "KEEPTTL"),
        Approx("TTL", "k"),
        ("PSETEX", "k", 500000, "v"),
        ("SETEX", "k", 100, "v"),
        Approx("TTL", "k"),
    ],
}

TARGETS = ["node", "proxy", "redis"]


# ---------------------------------------------------------------------------
# Fixtures: one reference redis and one of each target per module.
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reference(module_processes):
    return module_processes.redis(name="reference", options={"databases": 1})


@pytest.fixture(scope="module")
def redis_target(module_processes):
    return module_processes.redis(name="redis-target", options={"databases": 1})


@pytest.fixture(scope="module")
def node_target(module_processes):
    return module_processes.node(index=0, name="diff-node")


@pytest.fixture(scope="module")
def proxy_target(module_processes):
    return module_processes.cluster(node_count=3).proxy


def run_group(steps, reference_connection, target_connection):
    """Runs steps interleaved; returns a list of difference descriptions."""
    differences = []
    for number, step in enumerate(steps, 1):
        if not isinstance(step, Exact):
            step = Exact(*step)
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            continue
        expected = step.run(reference_connection)
        try:
            actual = step.run(target_connection)
        except Exception as error:  # noqa: BLE001 -- reported as a difference
            differences.append(f"step {number}: {step.describe()}\n"
                               f"      expected {_show(expected)}\n"
                               f"      actual   raised {error!r}")
            break
        difference = step.differs(expected, actual)
        if difference:
            differences.append(f"step {number}: {step.describe()}\n      {difference}")
    return differences


def flush(connection, who):
    reply = connection.command("FLUSHALL")
    assert reply == b"+OK\r\n", f"FLUSHALL on {who} answered {reply!r}"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("target", TARGETS)
def test_same_replies_as_redis(target, group, reference, request):
    server = request.getfixturevalue(f"{target}_target")
    with reference.raw() as expected_side, server.raw() as actual_side:
        flush(expected_side, "the reference redis")
        flush(actual_side, target)
        differences = run_group(GROUPS[group], expected_side, actual_side)
    assert not differences, (f"{len(differences)} replies of {target} differ from "
                             f"redis-server in group {group}:\n" + "\n".join(differences))


# ---------------------------------------------------------------------------
# Keyspace hit/miss accounting: read commands count a hit or a miss per key
# looked up, write commands count nothing (Redis's lookupKeyRead/Write).
# ---------------------------------------------------------------------------

KEYSPACE_ACCOUNTING = [
    ("SET", "present", "1"),
    ("GET", "present"), ("GET", "absent"),
    ("EXISTS", "present", "absent", "present"),
    ("TOUCH", "present", "absent"),
    ("TYPE", "present"), ("TYPE", "absent"),
    ("TTL", "present"), ("PTTL", "absent"),
    ("EXPIRETIME", "present"), ("PEXPIRETIME", "absent"),
    ("STRLEN", "present"), ("GETRANGE", "absent", "0", "1"),
    ("MGET", "present", "absent"),
    ("INCR", "present"), ("APPEND", "present", "x"), ("SETRANGE", "absent", "0", "y"),
    ("PERSIST", "present"), ("EXPIRE", "present", "100"), ("DEL", "absent"),
]


def keyspace_counters(connection):
    """(keyspace_hits, keyspace_misses) from INFO stats."""
    text = connection.command("INFO", "stats").decode()
    values = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return int(values["keyspace_hits"]), int(values["keyspace_misses"])


@pytest.mark.timeout(60)
def test_keyspace_hits_and_misses_counted_as_redis(reference, node_target):
    with reference.raw() as expected_side, node_target.raw() as actual_side:
        flush(expected_side, "the reference redis")
        flush(actual_side, "node")
        for command in KEYSPACE_ACCOUNTING:
            before_expected = keyspace_counters(expected_side)
            before_actual = keyspace_counters(actual_side)
            expected_side.command(*command)
            actual_side.command(*command)
            after_expected = keyspace_counters(expected_side)
            after_actual = keyspace_counters(actual_side)
            expected = tuple(a - b for a, b in zip(after_expected, before_expected))
            actual = tuple(a - b for a, b in zip(after_actual, before_actual))
            assert actual == expected, (f"{' '.join(command)}: redis counted "
                                        f"(hits, misses) {expected}, herd-node {actual}")
