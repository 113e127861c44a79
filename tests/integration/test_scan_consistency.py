"""
test_scan_consistency.py -- SCAN, HSCAN, SSCAN and ZSCAN while the keyspace
(or the collection) is being written (issue 3, "Storage layer").

Redis promises that a full iteration returns every element that existed from
its start to its end.  herd's cursors are positions (node/keyindex.h: the
key's (slot, hash40); node/collection.h: the member's 64-bit hash) and a
step resumes at the first position >= the cursor and never stops inside a
run of equal positions, so herd gives more: every element is returned at
most once, and one present for the whole iteration exactly once.  Both are
checked, plus: an element removed (and acknowledged) before the iteration
began is never returned, and HSCAN/ZSCAN return each stable element with its
value / score.

SCAN runs through herd-proxy in front of 3 herd-nodes over ~5000 stable keys
while one thread adds new keys and another deletes a separate set of keys;
the element scans run on a 5000-element collection (stored B+tree pages) on
one herd-node (and through the proxy), while elements are added and removed.
Each step uses a random COUNT between 10 and 100 (seed printed).
"""

import os
import random
import threading

import pytest

from harness import ConnectionClosed, ErrorReply, RespClient, parse_reply

STABLE = 5000          # present for the whole test
DOOMED = 2500          # deleted one by one during the scans
SCANS = 3              # full iterations per test
LOAD_CHUNK = 500       # commands per pipeline when loading


def scan_seed():
    """The seed of this module's COUNT choices (HERD_SCAN_SEED replays)."""
    return int(os.environ.get("HERD_SCAN_SEED") or random.SystemRandom().randrange(1 << 32))


def load(connection, commands):
    """Sends commands in pipelined chunks; fails on any error reply."""
    for start in range(0, len(commands), LOAD_CHUNK):
        for raw in connection.pipeline(commands[start:start + LOAD_CHUNK]):
            assert not raw.startswith(b"-"), f"loading: {raw!r}"


class Mutator(threading.Thread):
    """Sends a sequence of commands one at a time until stopped or done.

    `done` counts the acknowledged commands; `done_before(n)` tells whether
    command n was acknowledged.
    """

    def __init__(self, host, port, commands):
        super().__init__(daemon=True)
        self.host, self.port = host, port
        self.commands = commands
        self.done = 0
        self.errors = []
        self.stop_requested = threading.Event()

    def run(self):
        try:
            with RespClient(self.host, self.port, timeout=20) as connection:
                for command in self.commands:
                    if self.stop_requested.is_set():
                        return
                    reply = parse_reply(connection.command(*command))
                    if isinstance(reply, ErrorReply):
                        self.errors.append(f"{command[0]}: {reply!r}")
                        return
                    self.done += 1
        except (ConnectionClosed, OSError, ValueError) as error:
            self.errors.append(repr(error))


def start_mutators(target, adds, removes):
    threads = [Mutator(target.host, target.port, adds),
               Mutator(target.host, target.port, removes)]
    for thread in threads:
        thread.start()
    return threads


def stop_mutators(threads):
    for thread in threads:
        thread.stop_requested.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "a mutator thread hung"
        assert not thread.errors, f"mutator failed: {thread.errors[:5]}"


def full_scan(connection, command, rng):
    """One full iteration: (elements returned in order, steps).

    command is ("SCAN",) or ("HSCAN", key) etc.; each element is the key,
    or (member, value) for HSCAN and ZSCAN.
    """
    pairs = command[0] in ("HSCAN", "ZSCAN")
    cursor, returned, steps = b"0", [], 0
    while True:
        reply = parse_reply(connection.command(*command, cursor, "COUNT",
                                               rng.randint(10, 100)))
        assert isinstance(reply, list) and len(reply) == 2, f"{command[0]}: {reply!r}"
        cursor, page = reply
        if pairs:
            assert len(page) % 2 == 0, f"{command[0]} step of odd length"
            returned += list(zip(page[0::2], page[1::2]))
        else:
            returned += page
        steps += 1
        assert steps < 100000, f"{command[0]} did not finish"
        if cursor == b"0":
            return returned, steps


def check_iteration(name, returned, stable, removed_before, seed):
    """The guarantees of one full iteration (elements as returned)."""
    seen = {}
    for element in returned:
        seen[element] = seen.get(element, 0) + 1
    missing = [element for element in stable if element not in seen]
    twice = [element for element, times in seen.items() if times > 1]
    stale = [element for element in removed_before if element in seen]
    assert not missing, (f"{name} (seed {seed}): {len(missing)} of {len(stable)} elements "
                         f"present for the whole iteration were not returned: "
                         f"{missing[:5]!r}")
    assert not twice, (f"{name} (seed {seed}): {len(twice)} elements returned more than "
                       f"once: {twice[:5]!r}")
    assert not stale, (f"{name} (seed {seed}): {len(stale)} elements deleted before the "
                       f"iteration began were returned: {stale[:5]!r}")


def scan_while_mutating(target, command, stable, adds, removes, removed_element, seed,
                        decode=lambda element: element):
    """SCANS full iterations while the mutators run; checks each."""
    rng = random.Random(seed)
    threads = start_mutators(target, adds, removes)
    mutated = []
    try:
        with target.raw(timeout=30) as connection:
            for number in range(SCANS):
                removed_count = threads[1].done
                additions = threads[0].done + threads[1].done
                returned, steps = full_scan(connection, command, rng)
                removed_before = [removed_element(index) for index in range(removed_count)]
                check_iteration(f"{command[0]} iteration {number + 1}",
                                [decode(element) for element in returned],
                                stable, removed_before, seed)
                mutated.append((threads[0].done + threads[1].done - additions, steps))
    finally:
        stop_mutators(threads)
    print(f"{command[0]}: seed {seed}; writes during each iteration / steps: {mutated}")
    assert all(writes > 0 for writes, _ in mutated), (
        f"{command[0]}: no write ran during an iteration ({mutated}): not a concurrent test")


# ---------------------------------------------------------------------------
# SCAN through herd-proxy + 3 herd-nodes
# ---------------------------------------------------------------------------

@pytest.mark.timeout(90)
def test_scan_through_proxy_while_keys_change(processes):
    seed = scan_seed()
    cluster = processes.cluster(node_count=3)
    stable = [b"stable:%d" % index for index in range(STABLE)]
    doomed = [b"doomed:%d" % index for index in range(DOOMED)]
    with cluster.raw(timeout=30) as connection:
        load(connection, [("SET", key, b"v") for key in stable + doomed])
    adds = [("SET", b"new:%d" % index, b"n") for index in range(100000)]
    removes = [("DEL", key) for key in doomed]
    scan_while_mutating(cluster.proxy, ("SCAN",), stable, adds, removes,
                        lambda index: doomed[index], seed)
    for node in cluster.nodes:
        with node.raw() as connection:
            assert parse_reply(connection.command("DBSIZE")) > 0, (
                f"{node.name} holds no keys: the scan did not cross nodes")


# ---------------------------------------------------------------------------
# HSCAN / SSCAN / ZSCAN of a 5000-element collection
# ---------------------------------------------------------------------------

def hash_case():
    key = b"scan:hash"
    stable = {b"field:%d\x00\xff" % index: b"value-%d" % index for index in range(STABLE)}
    doomed = [b"doomed:%d" % index for index in range(DOOMED)]
    setup = [("HSET", key, *[part for field in chunk for part in (field, stable[field])])
             for chunk in chunks(list(stable), 500)]
    setup += [("HSET", key, *[part for field in chunk for part in (field, b"d")])
              for chunk in chunks(doomed, 500)]
    adds = [("HSET", key, b"new:%d" % index, b"n") for index in range(100000)]
    removes = [("HDEL", key, field) for field in doomed]
    return dict(key=key, command=("HSCAN", key), setup=setup, adds=adds, removes=removes,
                stable=[(field, value) for field, value in stable.items()],
                removed=lambda index: (doomed[index], b"d"),
                decode=lambda element: element)


def set_case():
    key = b"scan:set"
    stable = [b"member:%d\x00\xff" % index for index in range(STABLE)]
    doomed = [b"doomed:%d" % index for index in range(DOOMED)]
    setup = [("SADD", key, *chunk) for chunk in chunks(stable + doomed, 500)]
    adds = [("SADD", key, b"new:%d" % index) for index in range(100000)]
    removes = [("SREM", key, member) for member in doomed]
    return dict(key=key, command=("SSCAN", key), setup=setup, adds=adds, removes=removes,
                stable=stable, removed=lambda index: doomed[index],
                decode=lambda element: element)


def zset_case():
    key = b"scan:zset"
    stable = {b"member:%d" % index: (index % 977) / 4 - 100 for index in range(STABLE)}
    doomed = [b"doomed:%d" % index for index in range(DOOMED)]
    setup = [("ZADD", key, *[part for member in chunk for part in (repr(stable[member]), member)])
             for chunk in chunks(list(stable), 500)]
    setup += [("ZADD", key, *[part for member in chunk for part in ("1", member)])
              for chunk in chunks(doomed, 500)]
    adds = [("ZADD", key, index, b"new:%d" % index) for index in range(100000)]
    removes = [("ZREM", key, member) for member in doomed]
    return dict(key=key, command=("ZSCAN", key), setup=setup, adds=adds, removes=removes,
                stable=[(member, score) for member, score in stable.items()],
                removed=lambda index: (doomed[index], 1.0),
                decode=lambda element: (element[0], float(element[1])))


def chunks(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


CASES = {"hash": hash_case, "set": set_case, "zset": zset_case}


@pytest.fixture(scope="module")
def scan_targets(module_processes):
    """One herd-node, and herd-proxy in front of 3 herd-nodes."""
    return {"node": module_processes.node(),
            "proxy": module_processes.cluster(node_count=3).proxy}


@pytest.mark.timeout(90)
@pytest.mark.parametrize("target_name", ["node", "proxy"])
@pytest.mark.parametrize("case_name", sorted(CASES))
def test_element_scan_while_collection_changes(scan_targets, case_name, target_name):
    seed = scan_seed()
    case = CASES[case_name]()
    target = scan_targets[target_name]
    with target.raw(timeout=60) as connection:
        connection.command("DEL", case["key"])
        load(connection, case["setup"])
        encoding = parse_reply(connection.command("OBJECT", "ENCODING", case["key"]))
        assert encoding != b"listpack", (
            f"a {STABLE + DOOMED}-element {case_name} is one record: no stored pages")
    scan_while_mutating(target, case["command"], case["stable"], case["adds"],
                        case["removes"], case["removed"], seed, decode=case["decode"])
    with target.raw(timeout=30) as connection:
        connection.command("DEL", case["key"])
