"""
test_fault.py -- issue 4's fault tests on real processes (loopback only,
fast timings, each bounded well under a minute):

  1. kill -9 of a node during a quorum write load: every acknowledged write
     is on ALL replicas after it restarts and repair settles, and no write
     refused for sure (-UNAVAILABLE) left a trace; with the node dead, quorum
     writes from several clients keep succeeding (2 of 3 replicas are up).
  2. SIGSTOP of a node past the suspicion timeout: the others mark it dead,
     then alive after SIGCONT; writes made meanwhile reach it.
  3. Partition of a node (DEBUG NET DROP): quorum writes through the proxy
     go on (errors only in the first seconds); after DEBUG NET HEAL the
     digests converge within a bound (CONVERGENCE_SECONDS=... is printed).
  4. A delete made while a replica was down does not come back when it
     returns, after anti-entropy rounds and after tombstone GC.
  5. A proxy killed with -9 and restarted: no data lost, clients reconnect.
  6. Two proxies writing one key during a failover: the final value is one
     of the written values, the same on every replica, and not older than
     the last acknowledged write (last-writer-wins).

Run with -s (or -rA) to see the measured times.
"""

import time

import pytest

import redis

from harness import RespClient, wait_until
from replication import (ACKED, FAILED, INDETERMINATE, Operation, cluster_info,
                         missing_on, read_direct, read_many_direct, replicated_cluster,
                         scaled, start_writer)


def report(name, value):
    """A line the lead can quote (visible with -s or -rA)."""
    print(f"{name}={value:.2f}" if isinstance(value, float) else f"{name}={value}",
          flush=True)


def assert_all_acked_everywhere(nodes, writers):
    """Invariant 1: every acknowledged write reads back from every node."""
    expected = {}
    for writer in writers:
        expected.update(writer.acked())
    problems = missing_on(nodes, expected)
    assert not problems, (f"{len(problems)} acknowledged writes missing or wrong, "
                          f"e.g. {problems[:10]}; "
                          + "; ".join(writer.summary() for writer in writers))
    return len(expected)


def assert_failed_nowhere(nodes, writers):
    """A write that failed for sure (-UNAVAILABLE, or never sent) left no
    trace: its unique key is on no node."""
    failed = [operation.key for writer in writers for operation in writer.with_outcome(FAILED)]
    for node in nodes:
        present = [key for key, value in zip(failed, read_many_direct(node, failed))
                   if value is not None]
        assert not present, (f"{len(present)} writes refused for sure were applied on "
                             f"{node.name}, e.g. {present[:10]}")
    return len(failed)


def settle(cluster, bound):
    """Membership converged, hints delivered, digests equal; returns seconds."""
    started = time.monotonic()
    cluster.wait_converged(bound)
    cluster.wait_hints_delivered(bound)
    cluster.wait_digests_equal(bound)
    return time.monotonic() - started


# ---------------------------------------------------------------------------
# 1. kill -9 during a write load
# ---------------------------------------------------------------------------

@pytest.mark.timeout(90)
def test_kill9_node_during_quorum_writes_loses_no_acked_write(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3,
                                 write_consistency="quorum")
    victim = cluster.nodes[1]
    # Three writers without pauses: writes are in flight when the kill lands.
    writers = [start_writer(cluster.proxy, f"kill9-{index}", pause=0) for index in range(3)]
    try:
        time.sleep(1.5)
        victim.kill9()
        killed_at = time.monotonic()
        time.sleep(3.0)
        victim.start()
        time.sleep(1.5)
    finally:
        for writer in writers:
            writer.stop()
    for writer in writers:
        print(writer.summary())
        assert len(writer.with_outcome(ACKED)) > 100, writer.summary()
        acked_while_down = [operation for operation in writer.with_outcome(ACKED)
                            if killed_at < operation.start < killed_at + 3.0]
        assert acked_while_down, f"nothing acknowledged while a node was down: " \
                                 f"{writer.summary()}"

    seconds = settle(cluster, scaled(20))
    report("KILL9_SETTLE_SECONDS", seconds)
    count = assert_all_acked_everywhere(cluster.nodes, writers)
    report("KILL9_ACKED_KEYS", count)
    assert_failed_nowhere(cluster.nodes, writers)
    print("victim repaired", cluster_info(victim)["anti_entropy_keys_repaired"],
          "keys by anti-entropy; hints replayed:",
          [cluster_info(node).get("hints_replayed") for node in cluster.nodes])


@pytest.mark.timeout(90)
def test_kill9_node_quorum_writes_stay_available(processes):
    """Once the majority marks the killed node dead, quorum writes (2 of 3)
    through the proxy all succeed: the two live replicas acknowledge each
    other's writes, whichever of them coordinates."""
    cluster = replicated_cluster(processes, node_count=3, replicas=3)
    victim = cluster.nodes[2]
    victim.kill9()
    cluster.wait_liveness(victim, "dead")
    time.sleep(0.5)                       # the proxy's next membership refresh
    writers = [start_writer(cluster.proxy, f"avail-{index}", pause=0) for index in range(3)]
    try:
        time.sleep(3.0)
    finally:
        for writer in writers:
            writer.stop()
    for writer in writers:
        print(writer.summary())
    for writer in writers:
        assert not writer.errors(), (
            f"quorum writes failed with 2 of 3 replicas alive: {writer.summary()}; "
            f"slowest: {max(o.end - o.start for o in writer.operations):.2f}s")
        assert len(writer.with_outcome(ACKED)) > 300, writer.summary()


@pytest.mark.timeout(90)
def test_kill9_node_during_incr_load_loses_and_doubles_no_increment(processes):
    """Six counters (some coordinated by the victim) incremented through the
    proxy while a node is killed and restarted: on every replica each
    counter ends between its acknowledged INCRs and those plus the
    indeterminate ones -- no acknowledged increment lost, none applied
    twice (e.g. by a proxy retrying a write whose outcome it did not know)."""
    cluster = replicated_cluster(processes, node_count=3, replicas=3)
    victim = cluster.nodes[1]
    writers = [start_writer(cluster.proxy, f"incr-{index}", incr_key=f"counter:{index}",
                            pause=0) for index in range(6)]
    try:
        time.sleep(1.5)
        victim.kill9()
        time.sleep(2.0)
        victim.start()
        time.sleep(1.0)
    finally:
        for writer in writers:
            writer.stop()
    settle(cluster, scaled(20))
    problems = []
    for writer in writers:
        print(writer.summary())
        low = len(writer.with_outcome(ACKED))
        high = low + len(writer.with_outcome(INDETERMINATE))
        for node in cluster.nodes:
            value = int(read_direct(node, writer.incr_key) or 0)
            if not low <= value <= high:
                problems.append((node.name, writer.incr_key, value, (low, high)))
    assert not problems, f"counters outside [acked, acked + indeterminate]: {problems}"


# ---------------------------------------------------------------------------
# 2. SIGSTOP past the suspicion timeout, then SIGCONT
# ---------------------------------------------------------------------------

@pytest.mark.timeout(90)
def test_sigstop_node_is_marked_dead_then_alive_and_catches_up(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3)
    paused = cluster.nodes[2]
    others = cluster.nodes[:2]
    writer = start_writer(cluster.proxy, "pause")
    try:
        time.sleep(0.5)
        cluster.pause(paused)
        paused_at = time.monotonic()
        dead_after = cluster.wait_liveness(paused, "dead", observers=others,
                                           timeout=scaled(10))
        report("SIGSTOP_DEAD_AFTER_SECONDS", dead_after)
        dead_seen_at = time.monotonic()
        time.sleep(2.0)                       # writes while it is dead
        cluster.resume(paused)
        resumed_at = time.monotonic()
        alive_after = cluster.wait_liveness(paused, "alive", observers=others,
                                            timeout=scaled(10))
        report("SIGCONT_ALIVE_AFTER_SECONDS", alive_after)
        time.sleep(0.5)
    finally:
        cluster.resume(paused)
        writer.stop()
    print(writer.summary())
    assert resumed_at - paused_at > 1.0        # longer than the suspicion timeout
    while_dead = {operation.key: operation.value for operation in writer.with_outcome(ACKED)
                  if dead_seen_at <= operation.start < resumed_at}
    assert len(while_dead) > 20, f"too few writes while the node was dead: {writer.summary()}"

    seconds = settle(cluster, scaled(20))
    report("SIGSTOP_CATCHUP_SECONDS", seconds)
    problems = missing_on([paused], while_dead)
    assert not problems, f"writes made while paused missing on it: {problems[:10]}"
    assert_all_acked_everywhere(cluster.nodes, [writer])


# ---------------------------------------------------------------------------
# 3. Partition of one node
# ---------------------------------------------------------------------------

# After DROP, the majority needs probe + suspicion (~1.2 s) to mark the node
# dead, the proxy a refresh (0.2 s) to stop using it, and writes already sent
# to it the write-timeout (1 s): errors are allowed only in this window.
PARTITION_ERROR_WINDOW = 4.0
PARTITION_STEADY = 4.0          # then this long without a single error
CONVERGENCE_BOUND = 15.0        # research section 4, invariant 3


@pytest.mark.timeout(120)
def test_partitioned_node_writes_continue_and_converge_after_heal(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3)
    isolated = cluster.nodes[0]
    majority = cluster.nodes[1:]
    window = scaled(PARTITION_ERROR_WINDOW)
    writer = start_writer(cluster.proxy, "partition")
    try:
        time.sleep(1.0)
        cluster.isolate(isolated)
        dropped_at = time.monotonic()
        dead_after = cluster.wait_liveness(isolated, "dead", observers=majority,
                                           timeout=scaled(10))
        report("PARTITION_DEAD_AFTER_SECONDS", dead_after)
        remaining = dropped_at + window + PARTITION_STEADY - time.monotonic()
        time.sleep(max(remaining, PARTITION_STEADY))
    finally:
        writer.stop()
    print(writer.summary())
    late_errors = [operation for operation in writer.errors()
                   if operation.start > dropped_at + window]
    assert not late_errors, (f"{len(late_errors)} writes failed more than {window:.1f}s "
                             f"after the partition, e.g. "
                             f"{[(o.key, o.reply) for o in late_errors[:5]]}")
    steady = [operation for operation in writer.with_outcome(ACKED)
              if operation.start > dropped_at + window]
    assert len(steady) > 50, f"writes did not continue at quorum: {writer.summary()}"
    # The isolated node could not have acknowledged anything alone, so the
    # majority holds every acknowledged write (a write acknowledged just
    # before the drop may still need an anti-entropy round to reach both).
    acked = writer.acked()
    wait_until(lambda: not missing_on(majority, acked), timeout=scaled(5),
               message="every acknowledged write on both majority nodes")

    cluster.heal(isolated)
    healed_at = time.monotonic()
    bound = scaled(CONVERGENCE_BOUND)
    cluster.wait_converged(bound)
    cluster.wait_digests_equal(max(bound - (time.monotonic() - healed_at), 0.1))
    convergence = time.monotonic() - healed_at
    report("CONVERGENCE_SECONDS", convergence)
    assert convergence <= bound
    cluster.wait_hints_delivered(scaled(10))
    count = assert_all_acked_everywhere(cluster.nodes, [writer])
    report("PARTITION_ACKED_KEYS", count)
    report("PARTITION_REFUSED_KEYS", assert_failed_nowhere(cluster.nodes, [writer]))


@pytest.mark.timeout(90)
def test_partition_without_load_converges_after_heal(processes):
    """Writes made directly on the isolated node (write-consistency one)
    and through the proxy on the majority meet after HEAL."""
    cluster = replicated_cluster(processes, node_count=3, replicas=3,
                                 write_consistency="one")
    isolated = cluster.nodes[0]
    cluster.isolate(isolated)
    cluster.wait_liveness(isolated, "dead", observers=cluster.nodes[1:])
    minority = {f"minority:{index}": f"m-{index}".encode() for index in range(100)}
    majority = {f"majority:{index}": f"M-{index}".encode() for index in range(100)}
    with RespClient(isolated.host, isolated.port) as connection:
        replies = connection.pipeline([("SET", key, value) for key, value in minority.items()])
    assert set(replies) == {b"+OK\r\n"}, set(replies)
    client = cluster.nodes[1].client()
    for key, value in majority.items():
        assert client.set(key, value) is True
    cluster.heal(isolated)
    healed_at = time.monotonic()
    cluster.wait_converged(scaled(CONVERGENCE_BOUND))
    cluster.wait_digests_equal(scaled(CONVERGENCE_BOUND))
    report("CONVERGENCE_SECONDS_BOTH_SIDES", time.monotonic() - healed_at)
    assert not missing_on(cluster.nodes, {**minority, **majority})


# ---------------------------------------------------------------------------
# 4. Deletes made while a replica was down
# ---------------------------------------------------------------------------

def _load_and_settle(cluster, keys):
    client = cluster.proxy.client()
    for key, value in keys.items():
        assert client.set(key, value) is True
    settle(cluster, scaled(15))
    assert not missing_on(cluster.nodes, keys)
    return client


def _delete_while_down(cluster, down, keys):
    down.kill9()
    cluster.wait_liveness(down, "dead")
    client = cluster.proxy.client()
    deleted = list(keys)[: len(keys) // 2]
    for key in deleted:
        assert client.delete(key) == 1, key
    return client, deleted


def _assert_deleted_everywhere(cluster, client, deleted, kept):
    for node in cluster.nodes:
        values = read_many_direct(node, deleted)
        back = [key for key, value in zip(deleted, values) if value is not None]
        assert not back, f"deleted keys came back on {node.name}: {back[:10]}"
    # Reads through the proxy (round-robin over replicas) agree.
    for _ in range(3):
        assert client.exists(*deleted) == 0
    assert not missing_on(cluster.nodes, kept)


@pytest.mark.timeout(90)
def test_delete_while_replica_down_does_not_come_back(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3)
    keys = {f"zombie:{index}": f"alive-{index}".encode() for index in range(40)}
    _load_and_settle(cluster, keys)
    down = cluster.nodes[2]
    client, deleted = _delete_while_down(cluster, down, keys)
    kept = {key: value for key, value in keys.items() if key not in deleted}

    down.start()                          # still holds the old values
    settle(cluster, scaled(15))
    cluster.wait_anti_entropy_rounds(3)
    _assert_deleted_everywhere(cluster, client, deleted, kept)
    for node in cluster.nodes:
        info = cluster_info(node)
        assert info["tombstones"] >= len(deleted), (node.name, info)
    # And after a restart of every node, one at a time.
    for node in cluster.nodes:
        node.restart()
        cluster.wait_converged(scaled(15))
    cluster.wait_anti_entropy_rounds(2)
    _assert_deleted_everywhere(cluster, client, deleted, kept)


@pytest.mark.timeout(90)
def test_delete_while_replica_down_survives_tombstone_gc(processes):
    """With a short tombstone-gc-grace, a tombstone must outlive the grace
    while a replica lacks it (else the replica's old value would come back),
    and once every replica has it, GC may purge it: the key stays deleted."""
    cluster = replicated_cluster(processes, node_count=3, replicas=3,
                                 node_options={"tombstone-gc-grace": 1000})
    keys = {f"gc:{index}": f"alive-{index}".encode() for index in range(40)}
    _load_and_settle(cluster, keys)
    down = cluster.nodes[1]
    client, deleted = _delete_while_down(cluster, down, keys)
    kept = {key: value for key, value in keys.items() if key not in deleted}
    time.sleep(2.5)                       # well past the grace
    for node in cluster.nodes:
        if node is not down:
            info = cluster_info(node)
            assert info["tombstones"] >= len(deleted), \
                f"{node.name} purged tombstones a down replica lacks: {info}"

    down.start()
    settle(cluster, scaled(15))
    wait_until(lambda: all(cluster_info(node)["tombstones"] == 0 for node in cluster.nodes),
               timeout=scaled(15), message="tombstones GC'd on every node")
    cluster.wait_anti_entropy_rounds(3)
    _assert_deleted_everywhere(cluster, client, deleted, kept)


# ---------------------------------------------------------------------------
# 5. Proxy killed with -9
# ---------------------------------------------------------------------------

@pytest.mark.timeout(90)
def test_proxy_kill9_and_restart_loses_nothing_and_clients_reconnect(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3)
    proxy = cluster.proxy
    client = proxy.client(socket_timeout=5)
    before = {f"proxy9:before:{index}": f"b-{index}".encode() for index in range(100)}
    for key, value in before.items():
        assert client.set(key, value) is True
    idle = RespClient(proxy.host, proxy.port, timeout=5)
    writer = start_writer(proxy, "proxy9")
    try:
        time.sleep(1.0)
        proxy.kill9()
        # An open connection sees the close at once (no hang).
        assert idle.is_closed(timeout=2.0)
        time.sleep(0.5)
        proxy.start()
        cluster.wait_proxy_routable(proxy)
        restarted_at = time.monotonic()
        time.sleep(1.5)
    finally:
        writer.stop()
        idle.close()
    print(writer.summary())
    after_restart = [operation for operation in writer.with_outcome(ACKED)
                     if operation.start > restarted_at]
    assert after_restart, f"the writer did not continue after the restart: {writer.summary()}"
    assert not [operation for operation in writer.errors() if operation.start > restarted_at]

    # The same redis-py client goes on (redis-py reconnects; allow one error).
    errors, last = 0, None
    for _ in range(3):
        try:
            assert client.set("proxy9:after", "x") is True
            break
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
            errors += 1
            last = error
    else:
        raise AssertionError(f"client did not reconnect: {last!r}")
    assert errors <= 1
    for key, value in before.items():
        assert client.get(key) == value
    settle(cluster, scaled(15))
    assert_all_acked_everywhere(cluster.nodes, [writer])
    assert not missing_on(cluster.nodes, before)


# ---------------------------------------------------------------------------
# 6. One key, two proxies, a failover
# ---------------------------------------------------------------------------

# Versions are HLC timestamps taken on one machine, so a write that ended
# this long before another began has the lower version.
LWW_MARGIN = 0.2


def coordinator_of(cluster, key):
    """The node whose replication_writes_sent rises when `key` is written
    (the coordinator of its slot); None when no single node stands out."""
    before = {node.name: cluster_info(node)["replication_writes_sent"] for node in cluster.nodes}
    client = cluster.proxy.client()
    for index in range(10):
        assert client.set(key, f"probe-{index}") is True
    time.sleep(0.2)
    grown = {node.name: cluster_info(node)["replication_writes_sent"] - before[node.name]
             for node in cluster.nodes}
    best = max(grown, key=grown.get)
    if grown[best] < 10 or sorted(grown.values())[-2] * 2 > grown[best]:
        return None, grown
    return next(node for node in cluster.nodes if node.name == best), grown


@pytest.mark.timeout(120)
def test_concurrent_writes_to_one_key_during_failover_end_equal_lww(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3, proxy_count=2)
    key = "lww:contended"
    coordinator, grown = coordinator_of(cluster, key)
    print(f"replication_writes_sent grew by {grown}; coordinator "
          f"{coordinator.name if coordinator else 'unknown'}")
    assert coordinator is not None, f"no coordinator stands out for {key}: {grown}"
    writers = [start_writer(cluster.proxies[0], "A", same_key=key, pause=0.002),
               start_writer(cluster.proxies[1], "B", same_key=key, pause=0.002)]
    try:
        time.sleep(1.0)
        coordinator.kill9()
        time.sleep(3.0)
    finally:
        for writer in writers:
            writer.stop()
    for writer in writers:
        print(writer.summary())
        assert len(writer.with_outcome(ACKED)) > 20, writer.summary()
    survivors = [node for node in cluster.nodes if node is not coordinator]
    cluster.wait_digests_equal(scaled(15), nodes=survivors)
    finals = {node.name: read_direct(node, key) for node in survivors}
    assert len(set(finals.values())) == 1, f"replicas disagree: {finals}"
    final = next(iter(finals.values()))
    _assert_lww_final(writers, final)

    # The old coordinator returns: it converges to the same value.
    coordinator.start()
    settle(cluster, scaled(15))
    finals = {node.name: read_direct(node, key) for node in cluster.nodes}
    assert set(finals.values()) == {final}, finals
    assert cluster.proxies[1].client().get(key) == final


def _assert_lww_final(writers, final):
    operations = [operation for writer in writers for operation in writer.operations]
    issued = {operation.value: operation for operation in operations}
    assert final in issued, f"final value {final!r} was never written"
    winner = issued[final]
    assert winner.outcome in (ACKED, INDETERMINATE), \
        f"final value {final!r} comes from a write that failed for sure: {winner}"
    acked = [operation for operation in operations if operation.outcome == ACKED]
    later = [operation for operation in acked
             if operation.start > winner.end + LWW_MARGIN]
    assert not later, (f"final value {final!r} (ended at {winner.end:.3f}) is older than "
                       f"{len(later)} acknowledged writes, e.g. {later[-1]}")
    print(f"final value {final!r} ({winner.outcome}); {len(acked)} acked, "
          f"{len([o for o in operations if o.outcome == FAILED])} failed, "
          f"{len([o for o in operations if o.outcome == INDETERMINATE])} indeterminate")


def test_fault_helpers_are_consistent():
    """No processes: the LWW check accepts the newest write and refuses an old one."""
    class Fake:
        def __init__(self, operations):
            self.operations = operations

    old = Operation("k", b"A-1", 0.0, 0.1, ACKED)
    new = Operation("k", b"B-1", 1.0, 1.1, ACKED)
    lost = Operation("k", b"B-2", 1.2, 1.3, INDETERMINATE)
    writers = [Fake([old, new, lost])]
    _assert_lww_final(writers, b"B-1")
    _assert_lww_final(writers, b"B-2")
    with pytest.raises(AssertionError):
        _assert_lww_final(writers, b"A-1")
    with pytest.raises(AssertionError):
        _assert_lww_final(writers, b"never")
