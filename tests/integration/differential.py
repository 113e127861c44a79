"""
differential.py -- the machinery of the differential tests: the same
command sequences sent to a reference redis-server and to a target (herd-node,
herd-proxy in front of 3 herd-nodes, or a second redis-server), replies
compared byte for byte.

A step is a command tuple (exact comparison) or a step object: Exact and
its subclasses decide how the two replies are compared (Approx for TTLs,
Unordered for set-valued replies, Sleep to let time pass).  run_group() runs
a list of steps and returns the differences; assert_group_matches() is the
body of a test_same_replies_as_redis.  The fixtures reference, redis_target,
node_target and proxy_target live in conftest.py.
"""

import time

from harness import parse_reply

TARGETS = ["node", "proxy", "redis"]


def show(raw, limit=300):
    """A reply for a failure message, cut after `limit` bytes."""
    text = repr(raw[:limit])
    return text + (f"... ({len(raw)} bytes)" if len(raw) > limit else "")


def describe_arguments(args, most=8, width=40):
    """A command for a failure message: long arguments and long lists cut."""
    shown = []
    for argument in args[:most]:
        value = argument if isinstance(argument, (bytes, str)) else str(argument)
        if len(value) > width:
            value = value[:width] + (b"..." if isinstance(value, bytes) else "...")
        shown.append(repr(value) if isinstance(value, bytes) else value)
    if len(args) > most:
        shown.append(f"... ({len(args)} arguments)")
    return " ".join(shown)


class Exact:
    """The raw replies must be identical.

    Subclasses change run() (what a side answers, e.g. a canonical form),
    differs() (when two answers agree) or compare() (the whole step).
    """

    def __init__(self, *args):
        self.args = args

    def describe(self):
        return describe_arguments(self.args)

    def run(self, connection):
        return connection.command(*self.args)

    def compare(self, reference, target):
        """None when both sides agree, else a description of the difference."""
        return self.differs(self.run(reference), self.run(target))

    def differs(self, expected, actual):
        """None when the replies agree, else a description of the difference."""
        if expected == actual:
            return None
        return f"expected {show(expected)}\n      actual   {show(actual)}"


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
        return (f"expected {show(expected)} (+/-{self.tolerance})\n"
                f"      actual   {show(actual)}")


class Unordered(Exact):
    """Array replies equal as multisets; anything else exactly."""

    def differs(self, expected, actual):
        if expected == actual:
            return None
        try:
            want, got = parse_reply(expected), parse_reply(actual)
        except ValueError:
            want = got = None
        if isinstance(want, list) and isinstance(got, list) and sorted(want) == sorted(got):
            return None
        return f"expected (any order) {show(expected)}\n      actual   {show(actual)}"


class Sleep(Exact):
    """Waits (once, for both sides); no reply to compare."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def describe(self):
        return f"(sleep {self.seconds}s)"

    def compare(self, reference, target):
        time.sleep(self.seconds)
        return None


def run_group(steps, reference_connection, target_connection):
    """Runs steps one at a time on both sides (interleaved, so time-dependent
    replies stay close); returns a list of difference descriptions."""
    differences = []
    for number, step in enumerate(steps, 1):
        if not isinstance(step, Exact):
            step = Exact(*step)
        try:
            difference = step.compare(reference_connection, target_connection)
        except Exception as error:  # noqa: BLE001 -- reported as a difference
            differences.append(f"step {number}: {step.describe()}\n      raised {error!r}")
            break
        if difference:
            differences.append(f"step {number}: {step.describe()}\n      {difference}")
    return differences


def flush(connection, who):
    """FLUSHALL, which must answer +OK."""
    reply = connection.command("FLUSHALL")
    assert reply == b"+OK\r\n", f"FLUSHALL on {who} answered {reply!r}"


def assert_group_matches(target, group, steps, reference, request,
                         runner=run_group, timeout=None):
    """Runs `steps` on an emptied reference and an emptied `target` (the
    name of a *_target fixture) with `runner`; fails on any difference."""
    server = request.getfixturevalue(f"{target}_target")
    options = {} if timeout is None else {"timeout": timeout}
    with reference.raw(**options) as expected_side, server.raw(**options) as actual_side:
        flush(expected_side, "the reference redis")
        flush(actual_side, target)
        differences = runner(steps, expected_side, actual_side)
    assert not differences, (f"{len(differences)} replies of {target} differ from "
                             f"redis-server in group {group}:\n" + "\n".join(differences))


def keyspace_counters(connection):
    """(keyspace_hits, keyspace_misses) from INFO stats."""
    text = connection.command("INFO", "stats").decode()
    values = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return int(values["keyspace_hits"]), int(values["keyspace_misses"])


def _counted_by(connection, command):
    """How many (hits, misses) running `command` adds on `connection`."""
    before = keyspace_counters(connection)
    connection.command(*command)
    after = keyspace_counters(connection)
    return tuple(later - earlier for later, earlier in zip(after, before))


def assert_keyspace_counted_as_redis(reference, node_target, commands):
    """Runs each command on an emptied reference and node: the keyspace
    hits and misses each one adds must be the same on both."""
    differences = []
    with reference.raw() as expected_side, node_target.raw() as actual_side:
        flush(expected_side, "the reference redis")
        flush(actual_side, "node")
        for command in commands:
            expected = _counted_by(expected_side, command)
            actual = _counted_by(actual_side, command)
            if actual != expected:
                differences.append(f"{' '.join(map(str, command))}: redis counted "
                                   f"(hits, misses) {expected}, herd-node {actual}")
    assert not differences, "\n".join(differences)
