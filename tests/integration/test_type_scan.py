"""
test_type_scan.py -- SSCAN and ZSCAN (HSCAN is in test_type_hash.py)
against a real redis-server, on a herd-node and through herd-proxy.

A full iteration is compared as the set of elements it returned (pairs of
member and score for ZSCAN, the score written as Redis writes a double);
one step over a small collection must return everything with cursor 0, as
Redis does for its compact encodings.  Separate tests check that herd
returns every element of a big set or sorted set exactly once, also with
MATCH and while other members are added and removed.

Needs SADD / ZADD (node/t_set.c, node/t_zset.c).
"""

import pytest

from harness import parse_reply
from differential import TARGETS, assert_group_matches, flush, show
from test_type_hash import BIG_VALUE, ScanAll, ScanOnce, scan_all

INT64_MIN = "-9223372036854775808"
INT64_MAX = "9223372036854775807"

BINARY_MEMBERS = [b"", b"\x00", b"a\x00b", b"\xff\xfe", bytes(range(256)), b"\r\n"]
SCORES = ["1", "1.5", "0", "0.1", "-2.5", "1e17", "123456789012345678",
          "3.0000000000000004", "1e-300", "inf", "-inf", "4503599627370496",
          "-4503599627370497", "2.5e+20", "7", "4611686018427387904", "4611686018427388928",
          "-4611686018427387904", "-4611686018427388928", "1e18", "-1e300"]


def _batches(command, key, arguments, per_command):
    """One command per `per_command` arguments."""
    return [(command, key, *arguments[start:start + per_command])
            for start in range(0, len(arguments), per_command)]


def _members(count, prefix="member"):
    return [f"{prefix}:{index}" for index in range(count)]


def _scored(count, prefix="member"):
    arguments = []
    for index in range(count):
        arguments += [str(index * 0.5 - 100), f"{prefix}:{index}"]
    return arguments


def _error_cases(command, key):
    """Cursor and option errors, in Redis's order of checks."""
    return [
        (command, key, "x"),
        (command, key, " 0"),
        (command, key, "0 "),
        (command, key, "1.5"),
        (command, key, "18446744073709551616"),
        (command, key, "0", "COUNT", "0"),
        (command, key, "0", "COUNT", "-1"),
        (command, key, "0", "COUNT", "x"),
        (command, key, "0", "COUNT", INT64_MIN),
        (command, key, "0", "COUNT"),
        (command, key, "0", "MATCH"),
        (command, key, "0", "TYPE", "string"),
        (command, key, "0", "NOVALUES"),
        (command, key, "0", "junk", "1"),
        (command, key, "x", "junk"),
        (command, key),
    ]


GROUPS = {
    "sscan_small": [
        ("SSCAN", "nokey", "0"),
        ("SSCAN", "nokey", "0", "junk"),
        ("SSCAN", "nokey", "x"),
        ("SADD", "s", "a", "b", "c", "d"),
        ScanOnce("SSCAN", "s", "0", paired=False),
        ScanAll("SSCAN", "s", "COUNT", "1", paired=False),
        ScanOnce("SSCAN", "s", "0", "MATCH", "[ab]", paired=False),
        ScanOnce("SSCAN", "s", "0", "MATCH", "*", paired=False),
        ScanOnce("SSCAN", "s", "0", "MATCH", "zz*", paired=False),
        ScanOnce("SSCAN", "s", "", paired=False),
        ScanOnce("SSCAN", "s", "+0", paired=False),
        *_error_cases("SSCAN", "s"),
        ("SADD", "ints", *range(100)),
        ScanOnce("SSCAN", "ints", "0", paired=False),
        ScanOnce("SSCAN", "ints", "0", "MATCH", "1*", "COUNT", "2", paired=False),
        ("SADD", "bin", *BINARY_MEMBERS),
        ScanOnce("SSCAN", "bin", "0", paired=False),
        ScanOnce("SSCAN", "bin", "0", "MATCH", "a*", paired=False),
        # The most an intset holds: 512 integers, in one step.
        ("SADD", "intset", *range(-256, 256)),
        ScanOnce("SSCAN", "intset", "0", paired=False),
        ScanOnce("SSCAN", "intset", "999", "COUNT", "1", paired=False),
        ("SADD", "intset", "1000"),
        ScanAll("SSCAN", "intset", "COUNT", "7", paired=False),
    ],
    "sscan_big": [
        *_batches("SADD", "big", _members(3000), 500),
        ScanAll("SSCAN", "big", paired=False),
        ScanAll("SSCAN", "big", "COUNT", "1", paired=False),
        ScanAll("SSCAN", "big", "COUNT", "1000", paired=False),
        ScanAll("SSCAN", "big", "COUNT", INT64_MAX, paired=False),
        ScanAll("SSCAN", "big", "MATCH", "member:2*", paired=False),
        ScanAll("SSCAN", "big", "MATCH", "*9", "COUNT", "30", paired=False),
        ScanAll("SSCAN", "big", "MATCH", "none", paired=False),
        *_error_cases("SSCAN", "big"),
        ("SADD", "wide", *[BIG_VALUE[index:] for index in range(30)], *BINARY_MEMBERS),
        ScanAll("SSCAN", "wide", paired=False),
        ScanAll("SSCAN", "wide", "COUNT", "2", paired=False),
        ("SADD", "ints", *range(600)),
        ScanAll("SSCAN", "ints", paired=False),
        ("DEL", "big"),
        ("SSCAN", "big", "0"),
    ],
    "zscan_small": [
        ("ZSCAN", "nokey", "0"),
        ("ZSCAN", "nokey", "0", "junk"),
        ("ZSCAN", "nokey", "x"),
        ("ZADD", "z", *[item for index, score in enumerate(SCORES)
                        for item in (score, f"m{index}")]),
        ScanOnce("ZSCAN", "z", "0"),
        ScanOnce("ZSCAN", "z", "0", "COUNT", "1"),
        ScanOnce("ZSCAN", "z", "0", "MATCH", "m1*"),
        ScanOnce("ZSCAN", "z", "0", "MATCH", "*"),
        ScanOnce("ZSCAN", "z", "0", "MATCH", "nothing"),
        *_error_cases("ZSCAN", "z"),
        ("ZADD", "bin", *[item for index, member in enumerate(BINARY_MEMBERS)
                          for item in (index, member)]),
        ScanOnce("ZSCAN", "bin", "0"),
        # The most a listpack holds: 128 members of 64 bytes, in one step.
        ("ZADD", "full", *[item for index in range(128)
                           for item in (SCORES[index % len(SCORES)],
                                        b"%064d" % index)]),
        ScanOnce("ZSCAN", "full", "0"),
        ScanOnce("ZSCAN", "full", "12345", "COUNT", "1"),
        ("ZADD", "full", "1e17", "one more"),
        ScanAll("ZSCAN", "full"),
        ("ZADD", "long", *[item for index in range(20)
                           for item in (SCORES[index % len(SCORES)],
                                        b"%065d" % index)]),
        ScanAll("ZSCAN", "long", "COUNT", "3"),
    ],
    "zscan_big": [
        *_batches("ZADD", "big", _scored(3000), 1000),
        ScanAll("ZSCAN", "big"),
        ScanAll("ZSCAN", "big", "COUNT", "1"),
        ScanAll("ZSCAN", "big", "COUNT", "700"),
        ScanAll("ZSCAN", "big", "MATCH", "member:1?", "COUNT", "25"),
        ScanAll("ZSCAN", "big", "MATCH", "none"),
        *_error_cases("ZSCAN", "big"),
        ("ZADD", "scores", *[item for index in range(300)
                             for item in (SCORES[index % len(SCORES)], f"s{index}")]),
        ScanAll("ZSCAN", "scores"),
        ("ZADD", "wide", *[item for index in range(30)
                           for item in (str(index / 3), BIG_VALUE[index:])]),
        ScanAll("ZSCAN", "wide"),
        ("DEL", "big"),
        ("ZSCAN", "big", "0"),
    ],
    # A -0 score: Redis's listpack stores it as "0".  (Redis keeps -0 in a
    # sorted set it holds as a skiplist, where ZSCAN and ZSCORE say "-0";
    # herd's ZADD stores -0 as 0 always -- see node/t_zset.c.)
    "zscan_negative_zero": [
        ("ZADD", "small", "-0", "a", "1", "b"),
        ScanOnce("ZSCAN", "small", "0"),
        ("ZADD", "small", "-0.0", "c"),
        ScanOnce("ZSCAN", "small", "0", "MATCH", "c"),
    ],
    "wrongtype": [
        ("SET", "str", "v"),
        ("HSET", "hash", "f", "v"),
        ("SADD", "set", "m"),
        ("ZADD", "zset", "1", "m"),
        ("SSCAN", "str", "0"),
        ("SSCAN", "hash", "0"),
        ("SSCAN", "zset", "0"),
        ("ZSCAN", "str", "0"),
        ("ZSCAN", "hash", "0"),
        ("ZSCAN", "set", "0"),
        ("HSCAN", "set", "0"),
        ("HSCAN", "zset", "0"),
        ("SSCAN", "str", "0", "junk"),
        ("ZSCAN", "set", "x"),
        ("GET", "set"),
        ("GET", "zset"),
        ("SSCAN", "set", "0"),
        ("ZSCAN", "zset", "0"),
    ],
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("target", TARGETS)
def test_same_replies_as_redis(target, group, reference, request):
    assert_group_matches(target, group, GROUPS[group], reference, request)


# ---------------------------------------------------------------------------
# herd only: every element exactly once
# ---------------------------------------------------------------------------

def _load(connection, command, key, arguments, per_command=1000):
    replies = connection.pipeline(_batches(command, key, arguments, per_command))
    assert all(reply.startswith(b":") for reply in replies), show(replies[0])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
@pytest.mark.parametrize("options", [[], ["COUNT", "1"], ["COUNT", "333"],
                                     ["MATCH", "member:1*", "COUNT", "40"]])
def test_sscan_returns_every_member_exactly_once(target, options, request):
    server = request.getfixturevalue(f"{target}_target")
    members = [member.encode() for member in _members(3000)] + [b"bin\x00\xff"]
    with server.raw() as connection:
        flush(connection, target)
        _load(connection, "SADD", "s", members)
        elements, steps = scan_all(connection, "SSCAN", "s", *options)
        assert steps is not None, show(elements)
        expected = set(members)
        if "MATCH" in options:
            expected = {member for member in members if member.startswith(b"member:1")}
        assert len(elements) == len(set(elements))
        assert set(elements) == expected
        assert steps > 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
@pytest.mark.parametrize("options", [[], ["COUNT", "1"], ["COUNT", "333"],
                                     ["MATCH", "member:2*", "COUNT", "40"]])
def test_zscan_returns_every_member_exactly_once(target, options, request):
    server = request.getfixturevalue(f"{target}_target")
    arguments = _scored(3000)
    with server.raw() as connection:
        flush(connection, target)
        _load(connection, "ZADD", "z", arguments)
        elements, steps = scan_all(connection, "ZSCAN", "z", *options)
        assert steps is not None, show(elements)
        members = elements[0::2]
        assert len(members) == len(set(members))
        expected = {}
        for score, member in zip(arguments[0::2], arguments[1::2]):
            if "MATCH" not in options or member.startswith("member:2"):
                expected[member.encode()] = score
        got = dict(zip(members, elements[1::2]))
        assert set(got) == set(expected)
        for member, score in got.items():
            assert float(score) == float(expected[member]), member
            assert connection.command("ZSCORE", "z", member) == \
                b"$%d\r\n%s\r\n" % (len(score), score)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", ["node", "proxy"])
def test_sscan_sees_members_present_for_the_whole_iteration(target, request):
    server = request.getfixturevalue(f"{target}_target")
    members = [member.encode() for member in _members(2000)]
    with server.raw() as connection:
        flush(connection, target)
        _load(connection, "SADD", "moving", members)
        cursor, seen, step = b"0", [], 0
        while True:
            cursor, page = parse_reply(connection.command("SSCAN", "moving", cursor,
                                                          "COUNT", "40"))
            seen.extend(page)
            connection.command("SADD", "moving", b"extra:%d" % step)
            connection.command("SREM", "moving", b"extra:%d" % (step - 1))
            step += 1
            if cursor == b"0":
                break
        wanted = set(members)
        stable = [member for member in seen if member in wanted]
        assert set(stable) == wanted
        assert len(stable) == len(set(stable))
