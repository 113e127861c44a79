"""
test_cluster_membership.py -- issue 4's status commands and placement on
real processes: CLUSTER MYID / NODES / MEMBERS / INFO / DIGEST / SLOTDIGEST
on seeded herd-nodes and on herd-proxies in cluster mode, a node id that
survives restarts, two proxies with equal digests routing every key alike,
a replicas-3 write held by exactly its 3 home nodes, write-consistency all
refusing (-UNAVAILABLE, nothing applied) once a replica is dead, DEBUG
refused without enable-debug-command (as Redis 7.0 words it), and a
standalone node that behaves as before.

Everything runs on loopback with the spec's fast timings (replication.py).
"""

import re
import time

import pytest

from harness import ErrorReply, RespClient, wait_until
from replication import (SeedProxy, cluster_digest, cluster_info, cluster_members, cluster_myid,
                         cluster_nodes, cluster_slot_digest, call, call_raw, missing_on,
                         read_direct, replicated_cluster, scaled, start_writer)

HEX_ID = re.compile(r"^[0-9a-f]{32}$")
HEX_DIGEST = re.compile(r"^[0-9a-f]{16}$")
INFO_FIELDS = ("cluster_state", "cluster_known_nodes", "cluster_alive_nodes",
               "cluster_replicas", "cluster_digest", "cluster_write_consistency",
               "hints_pending", "tombstones", "anti_entropy_rounds",
               "anti_entropy_keys_repaired", "replication_writes_sent", "replication_acks")
INTEGER_INFO_FIELDS = ("cluster_known_nodes", "cluster_alive_nodes", "cluster_replicas",
                       "hints_pending", "tombstones", "anti_entropy_rounds",
                       "anti_entropy_keys_repaired", "replication_writes_sent",
                       "replication_acks")
UNAVAILABLE = re.compile(rb"^-UNAVAILABLE not enough live replicas for slot \d+ "
                         rb"\((\d+) of (\d+) needed\)\r\n$")


@pytest.fixture(scope="module")
def cluster(module_processes):
    """3 nodes, replicas 3, write-consistency quorum, 2 proxies."""
    return replicated_cluster(module_processes, node_count=3, replicas=3, proxy_count=2)


# ---------------------------------------------------------------------------
# Status commands on nodes
# ---------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_myid_is_32_hex_and_distinct(cluster):
    ids = [cluster_myid(node) for node in cluster.nodes]
    for node, node_id in zip(cluster.nodes, ids):
        assert HEX_ID.match(node_id), f"{node.name}: CLUSTER MYID {node_id!r}"
    assert len(set(ids)) == len(ids), ids


@pytest.mark.timeout(60)
def test_cluster_nodes_lists_every_member_once(cluster):
    ids = {node.address: cluster_myid(node) for node in cluster.nodes}
    for node in cluster.nodes:
        raw = call_raw(node, "CLUSTER", "NODES")
        assert raw.startswith(b"$"), raw
        rows = cluster_nodes(node)
        assert {row["address"]: row["id"] for row in rows} == ids, (node.name, rows)
        assert len(rows) == len(cluster.nodes), rows
        for row in rows:
            assert row["liveness"] == "alive", (node.name, row)
            assert row["state"] == "normal", (node.name, row)
            assert row["incarnation"] >= 0
        myself = [row for row in rows if row["myself"]]
        assert len(myself) == 1, rows
        assert myself[0]["address"] == node.address
        assert myself[0]["id"] == ids[node.address]
        # Every line ends with "\n" (the text is one line per member).
        text = call(node, "CLUSTER", "NODES").decode()
        assert text.endswith("\n") and text.count("\n") == len(cluster.nodes), repr(text)


@pytest.mark.timeout(60)
def test_cluster_members_shape_and_equal_digest(cluster):
    ids = {node.address: cluster_myid(node) for node in cluster.nodes}
    views = [cluster_members(node) for node in cluster.nodes]
    for node, view in zip(cluster.nodes, views):
        assert HEX_DIGEST.match(view["digest"]), (node.name, view)
        assert view["replicas"] == 3, (node.name, view)
        assert {member["address"]: member["id"] for member in view["members"]} == ids
        for member in view["members"]:
            assert member["liveness"] == "alive" and member["state"] == "normal", member
            assert isinstance(member["incarnation"], int), member
    assert len({view["digest"] for view in views}) == 1, views
    # The raw shape: *3, a 16-char bulk, an integer, an array of 5-element arrays.
    raw = call_raw(cluster.nodes[0], "CLUSTER", "MEMBERS")
    assert raw.startswith(b"*3\r\n$16\r\n"), raw
    assert b"\r\n:3\r\n*3\r\n*5\r\n" in raw, raw


@pytest.mark.timeout(60)
def test_cluster_info_fields(cluster):
    for node in cluster.nodes:
        raw = call_raw(node, "CLUSTER", "INFO")
        assert raw.startswith(b"$"), raw
        info = cluster_info(node)
        missing = [name for name in INFO_FIELDS if name not in info]
        assert not missing, (node.name, missing, info)
        for name in INTEGER_INFO_FIELDS:
            assert isinstance(info[name], int), (node.name, name, info[name])
        assert info["cluster_state"] == "ok", info
        assert info["cluster_known_nodes"] == 3, info
        assert info["cluster_alive_nodes"] == 3, info
        assert info["cluster_replicas"] == 3, info
        assert info["cluster_write_consistency"] == "quorum", info
        assert info["cluster_digest"] == cluster_members(node)["digest"], info


@pytest.mark.timeout(60)
def test_cluster_digest_and_slot_digest(cluster):
    client = cluster.proxy.client()
    for index in range(20):
        assert client.set(f"digest:{index}", f"value-{index}") is True
    cluster.wait_digests_equal(scaled(10))
    for node in cluster.nodes:
        digest = cluster_digest(node)
        assert HEX_DIGEST.match(digest), (node.name, digest)
        for slot in (0, 1, 8191, 16383):
            slot_digest = cluster_slot_digest(node, slot)
            assert HEX_DIGEST.match(slot_digest), (node.name, slot, slot_digest)
    # A slot digest is equal on every replica once converged, and changes
    # when a key of that slot is written.
    slots = [cluster_slot_digest(node, 0) for node in cluster.nodes]
    assert len(set(slots)) == 1, slots
    before = cluster_digest(cluster.nodes[0])
    assert client.set("digest:changes", "x") is True
    wait_until(lambda: cluster_digest(cluster.nodes[0]) != before, timeout=scaled(5),
               message="CLUSTER DIGEST to change after a write")
    cluster.wait_digests_equal(scaled(10))


@pytest.mark.timeout(60)
def test_slot_digest_rejects_bad_slot(cluster):
    node = cluster.nodes[0]
    for bad in ("16384", "-1", "abc"):
        reply = call(node, "CLUSTER", "SLOTDIGEST", bad)
        assert isinstance(reply, ErrorReply), (bad, reply)


# ---------------------------------------------------------------------------
# Status commands on proxies
# ---------------------------------------------------------------------------

def _node_view(cluster):
    view = cluster_members(cluster.nodes[0])
    return view, {member["address"]: member["id"] for member in view["members"]}


@pytest.mark.timeout(60)
def test_proxy_cluster_members_matches_the_nodes(cluster):
    node_view, ids = _node_view(cluster)
    for proxy in cluster.proxies:
        wait_until(lambda: cluster_members(proxy)["digest"] == node_view["digest"],
                   timeout=scaled(5), message=f"{proxy.name}'s digest to match the nodes'")
        view = cluster_members(proxy)
        assert view["replicas"] == 3, view
        assert {member["address"]: member["id"] for member in view["members"]} == ids
        assert all(member["liveness"] == "alive" for member in view["members"]), view


@pytest.mark.timeout(60)
def test_proxy_cluster_nodes_has_the_node_format(cluster):
    """Same line format as on a node (spec: `<id> <host:port> <liveness>
    normal <incarnation>[ myself]`); a proxy is no member: no `myself`."""
    _, ids = _node_view(cluster)
    for proxy in cluster.proxies:
        rows = cluster_nodes(proxy)
        assert {row["address"]: row["id"] for row in rows} == ids, rows
        assert all(row["liveness"] == "alive" for row in rows), rows
        assert not any(row["myself"] for row in rows), rows


@pytest.mark.timeout(60)
def test_proxy_cluster_info(cluster):
    node_view, _ = _node_view(cluster)
    for proxy in cluster.proxies:
        info = cluster_info(proxy)
        assert info.get("cluster_state") == "ok", info
        assert info.get("cluster_known_nodes") == 3, info
        assert info.get("cluster_alive_nodes") == 3, info
        assert info.get("cluster_replicas") == 3, info
        assert info.get("cluster_digest") == node_view["digest"], info


@pytest.mark.timeout(60)
def test_write_through_proxy_is_on_all_three_replicas(cluster):
    client = cluster.proxy.client()
    expected = {f"everywhere:{index}": f"value-{index}".encode() for index in range(50)}
    for key, value in expected.items():
        assert client.set(key, value) is True
    # At quorum two replicas have it when +OK comes back; the third soon after.
    wait_until(lambda: not missing_on(cluster.nodes, expected), timeout=scaled(5),
               message="every key on all 3 nodes")
    for key, value in expected.items():
        for node in cluster.nodes:
            assert read_direct(node, key) == value, (node.name, key)


@pytest.mark.timeout(60)
def test_two_proxies_read_each_others_writes(cluster):
    first, second = (proxy.client() for proxy in cluster.proxies)
    for index in range(100):
        assert first.set(f"cross:a:{index}", f"a-{index}") is True
        assert second.set(f"cross:b:{index}", f"b-{index}") is True
    for index in range(100):
        # read-consistency one: the replica asked may apply the quorum write
        # a moment after the acknowledgement.
        wait_until(lambda: second.get(f"cross:a:{index}") == f"a-{index}".encode(),
                   timeout=scaled(2), message=f"cross:a:{index}")
        wait_until(lambda: first.get(f"cross:b:{index}") == f"b-{index}".encode(),
                   timeout=scaled(2), message=f"cross:b:{index}")


# ---------------------------------------------------------------------------
# Placement agreement between proxies
# ---------------------------------------------------------------------------

@pytest.mark.timeout(90)
def test_proxies_with_equal_digests_route_identically(processes):
    """With replicas 1 every key lives on exactly one node, so a key written
    through proxy A is found through proxy B (read-consistency primary) only
    if both send it to the same node."""
    cluster = replicated_cluster(processes, node_count=3, replicas=1, proxy_count=2,
                                 proxy_options={"read-consistency": "primary"})
    digests = {cluster_members(server)["digest"] for server in cluster.processes()}
    assert len(digests) == 1, digests
    first, second = (proxy.client() for proxy in cluster.proxies)
    keys_a = {f"route:a:{index}": f"a-{index}".encode() for index in range(200)}
    keys_b = {f"route:b:{index}": f"b-{index}".encode() for index in range(200)}
    for key, value in keys_a.items():
        assert first.set(key, value) is True
    for key, value in keys_b.items():
        assert second.set(key, value) is True
    wrong = [key for key, value in keys_a.items() if second.get(key) != value]
    wrong += [key for key, value in keys_b.items() if first.get(key) != value]
    assert not wrong, f"{len(wrong)} keys routed differently, e.g. {wrong[:5]}"
    # Each key is on exactly one node, and the keys spread over all three.
    holders = {}
    for node in cluster.nodes:
        for key in list(keys_a) + list(keys_b):
            if read_direct(node, key) is not None:
                holders.setdefault(key, []).append(node.name)
    assert all(len(names) == 1 for names in holders.values()), \
        [item for item in holders.items() if len(item[1]) != 1][:5]
    assert len(holders) == 400
    used = {names[0] for names in holders.values()}
    assert used == {node.name for node in cluster.nodes}, used


@pytest.mark.timeout(90)
def test_proxy_routes_nothing_before_it_knows_the_membership(processes):
    """A proxy that has not read CLUSTER MEMBERS yet (digest 0) must not
    send a write to a node that is not the key's home: with replicas 1,
    every key written right after the proxy starts is on exactly one node
    (else a stray copy stays on a non-home node, out of reach of later
    updates and deletes made through any proxy)."""
    cluster = replicated_cluster(processes, node_count=3, replicas=1, proxy_count=0)
    proxy = processes._add(SeedProxy(processes.workdir, cluster.nodes, name="early"))
    proxy.start(wait=False)
    deadline = time.monotonic() + scaled(10)
    while True:
        try:
            connection = RespClient(proxy.host, proxy.port, timeout=5)
            break
        except OSError:
            assert time.monotonic() < deadline, "the proxy never listened"
            time.sleep(0.005)
    keys = {f"early:{index}": f"v-{index}".encode() for index in range(30)}
    with connection:
        replies = connection.pipeline([("SET", key, value) for key, value in keys.items()])
    cluster.wait_proxy_routable(proxy)
    client = proxy.client()
    for key, raw in zip(keys, replies):
        if raw == b"+OK\r\n":
            assert client.get(key) == keys[key], key
    strays = {}
    for key in keys:
        holders = [node.name for node in cluster.nodes if read_direct(node, key) is not None]
        if len(holders) > 1:
            strays[key] = holders
    assert not strays, f"{len(strays)} keys on more than their one home node: " \
                       f"{dict(list(strays.items())[:5])}"


@pytest.mark.timeout(90)
def test_replicas_3_of_4_nodes_write_held_by_exactly_3(processes):
    cluster = replicated_cluster(processes, node_count=4, replicas=3)
    client = cluster.proxy.client()
    keys = {f"three:{index}": f"v-{index}".encode() for index in range(60)}
    for key, value in keys.items():
        assert client.set(key, value) is True

    def holders_of(key):
        return [node.name for node in cluster.nodes if read_direct(node, key) == keys[key]]

    def all_on_three():
        return all(len(holders_of(key)) == 3 for key in keys)

    wait_until(all_on_three, timeout=scaled(8), message="each key on exactly 3 of 4 nodes")
    layouts = {tuple(holders_of(key)) for key in keys}
    assert len(layouts) > 1, f"every key on the same 3 nodes: {layouts}"


@pytest.mark.timeout(90)
def test_join_placement_agreement_within_5_seconds(processes):
    """Research section 4, invariant 4: within 5 s of a membership change
    (a fourth node joins), every node and every proxy reports the same
    membership digest and member list, and the proxies route alike."""
    cluster = replicated_cluster(processes, node_count=3, replicas=3, proxy_count=2)
    before = cluster_members(cluster.nodes[0])["digest"]
    joiner = cluster.add_node()
    started = time.monotonic()
    addresses = {node.address for node in cluster.nodes}

    def agreed():
        views = [cluster_members(server) for server in cluster.processes()]
        return (len({view["digest"] for view in views}) == 1 and
                all({member["address"] for member in view["members"]} == addresses
                    for view in views))

    wait_until(agreed, timeout=scaled(5), message="every node and proxy on the same digest")
    print(f"PLACEMENT_AGREEMENT_SECONDS={time.monotonic() - started:.2f}")
    assert cluster_members(joiner)["digest"] != before
    first, second = (proxy.client() for proxy in cluster.proxies)
    for index in range(50):
        assert first.set(f"join:{index}", index) is True
    for index in range(50):
        # read-consistency one may ask the replica that has not applied the
        # quorum write yet: allow the replication a moment.
        wait_until(lambda: second.get(f"join:{index}") == str(index).encode(),
                   timeout=scaled(2), message=f"join:{index} through the other proxy")


# ---------------------------------------------------------------------------
# Identity across restarts
# ---------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_node_id_persists_across_restart(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3)
    node = cluster.nodes[1]
    node_id = cluster_myid(node)
    id_file = node.data_dir / "node-id"
    assert id_file.exists(), list(node.data_dir.iterdir())
    assert id_file.read_text().strip() == node_id

    node.restart()                    # clean stop, start on the same data dir
    assert cluster_myid(node) == node_id
    cluster.wait_converged(scaled(15))

    node.kill9()                      # crash, start again
    cluster.wait_liveness(node, "dead")
    node.start()
    assert cluster_myid(node) == node_id
    cluster.wait_converged(scaled(15))
    for observer in cluster.nodes:
        rows = cluster_nodes(observer)
        assert len(rows) == 3, (observer.name, rows)   # no new member appeared
        assert {row["id"] for row in rows if row["address"] == node.address} == {node_id}
        assert cluster_info(observer)["cluster_known_nodes"] == 3
        # A probe may time out now and then on a loaded machine (ASan, two
        # cores): liveness is asked until it is settled, not sampled once.
        wait_until(lambda: cluster_info(observer)["cluster_alive_nodes"] == 3,
                   timeout=scaled(10), message=f"{observer.name} sees 3 alive")


@pytest.mark.timeout(120)
def test_node_refutes_death_with_higher_incarnation(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3)
    node, observer = cluster.nodes[2], cluster.nodes[0]

    def incarnation_seen():
        return next(row["incarnation"] for row in cluster_nodes(observer)
                    if row["address"] == node.address)

    before = incarnation_seen()
    cluster.pause(node)
    try:
        cluster.wait_liveness(node, "dead")
    finally:
        cluster.resume(node)
    cluster.wait_converged(scaled(15))
    assert incarnation_seen() > before


# ---------------------------------------------------------------------------
# write-consistency all with a dead replica
# ---------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_write_consistency_all_with_dead_node_is_unavailable(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3,
                                 write_consistency="all")
    client = cluster.proxy.client()
    assert client.set("all:before", "1") is True
    wait_until(lambda: not missing_on(cluster.nodes, {"all:before": b"1"}),
               timeout=scaled(5), message="all:before on every node")

    dead = cluster.nodes[2]
    dead.kill9()
    live = cluster.nodes[:2]
    cluster.wait_liveness(dead, "dead", observers=live)
    wait_until(lambda: any(member["liveness"] != "alive"
                           for member in cluster_members(cluster.proxy)["members"]),
               timeout=scaled(5), message="the proxy to see the dead node")

    keys = [f"all:refused:{index}" for index in range(10)]
    # Through a node directly...
    for node in live:
        for key in keys[:5]:
            raw = call_raw(node, "SET", key, "x", timeout=5)
            match = UNAVAILABLE.match(raw)
            assert match, f"SET on {node.name}: {raw!r}"
            assert match.groups() == (b"2", b"3"), raw
    # ... and through the proxy.
    for key in keys[5:]:
        raw = call_raw(cluster.proxy, "SET", key, "x", timeout=5)
        assert UNAVAILABLE.match(raw), f"SET through the proxy: {raw!r}"
    raw = call_raw(cluster.proxy, "DEL", "all:before", timeout=5)
    assert UNAVAILABLE.match(raw), f"DEL through the proxy: {raw!r}"

    # Nothing was applied: not now, not after anti-entropy rounds.
    cluster.wait_anti_entropy_rounds(2, nodes=live)
    for node in live:
        for key in keys:
            assert read_direct(node, key) is None, (node.name, key)
        assert read_direct(node, "all:before") == b"1", node.name
    # Reads still work with a replica down.
    assert client.get("all:before") == b"1"

    # Back to full strength: writes at "all" succeed again.
    dead.start()
    cluster.wait_converged(scaled(15))
    wait_until(lambda: call_raw(cluster.proxy, "SET", "all:after", "2") == b"+OK\r\n",
               timeout=scaled(5), message="SET at write-consistency all to succeed again")
    for node in cluster.nodes:
        assert read_direct(node, "all:after") == b"2", node.name
        for key in keys:
            assert read_direct(node, key) is None, (node.name, key)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("node_count,write_consistency", [(3, "all"), (2, "quorum")])
def test_concurrent_writers_needing_every_replica_do_not_time_out(processes, node_count,
                                                                   write_consistency):
    """Three clients write through one proxy while every replica's ack is
    needed (all of 3; quorum of 2 = both): the keys of the three clients
    are coordinated by different nodes that must acknowledge each other's
    writes, and no write may wait out write-timeout (-NOQUORUM) when every
    node is up."""
    cluster = replicated_cluster(processes, node_count=node_count, replicas=node_count,
                                 write_consistency=write_consistency)
    writers = [start_writer(cluster.proxy, f"every-{index}", pause=0) for index in range(3)]
    try:
        time.sleep(3.0)
    finally:
        for writer in writers:
            writer.stop()
    summaries = [writer.summary() for writer in writers]
    print("\n".join(summaries))
    slowest = max(o.end - o.start for writer in writers for o in writer.operations)
    assert not any(writer.errors() for writer in writers), (summaries, slowest)
    assert all(len(writer.with_outcome("ok")) > 300 for writer in writers), \
        (summaries, f"slowest write {slowest:.2f}s")


@pytest.mark.timeout(120)
def test_quorum_write_with_one_dead_node_succeeds(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3)
    cluster.nodes[0].kill9()
    cluster.wait_liveness(cluster.nodes[0], "dead")
    client = cluster.proxy.client()
    wait_until(lambda: client.set("quorum:one-dead", "ok") is True, timeout=scaled(5),
               message="SET at quorum with one node dead")
    for node in cluster.nodes[1:]:
        assert read_direct(node, "quorum:one-dead") == b"ok"


# ---------------------------------------------------------------------------
# DEBUG and standalone nodes
# ---------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_debug_refused_without_enable_debug_command(processes):
    node = processes.node(index=0)
    reference = processes.redis(name="reference")
    for command in (("DEBUG", "NET", "DROP"), ("DEBUG", "NET", "HEAL")):
        expected = call_raw(reference, *command)
        assert expected.startswith(b"-ERR DEBUG command not allowed"), expected
        assert call_raw(node, *command) == expected


@pytest.mark.timeout(60)
def test_debug_net_drop_and_heal_answer_ok(processes):
    cluster = replicated_cluster(processes, node_count=3, replicas=3, proxy_count=0)
    node = cluster.nodes[0]
    cluster.isolate(node)
    cluster.heal(node)
    cluster.wait_converged(scaled(15))


@pytest.mark.timeout(60)
def test_standalone_node_unaffected(processes):
    node = processes.node(index=0)
    client = node.client()
    assert client.set("alone", "yes") is True
    assert client.get("alone") == b"yes"
    assert client.delete("alone") == 1
    assert client.get("alone") is None
    node_id = cluster_myid(node)
    assert HEX_ID.match(node_id), node_id
    rows = cluster_nodes(node)
    assert len(rows) == 1 and rows[0]["myself"] and rows[0]["id"] == node_id, rows
    assert rows[0]["liveness"] == "alive" and rows[0]["address"] == node.address, rows
    info = cluster_info(node)
    assert info["cluster_state"] == "ok", info
    assert info["cluster_known_nodes"] == 1, info
    # A standalone node replicates to nobody.
    assert info["replication_writes_sent"] == 0, info
    assert info["hints_pending"] == 0, info
    # Every key is home: many keys, all readable directly.
    for index in range(200):
        assert client.set(f"alone:{index}", index) is True
    assert client.dbsize() == 200
    node.restart()
    assert cluster_myid(node) == node_id
    assert node.client().get("alone:199") == b"199"


@pytest.mark.timeout(60)
def test_standalone_write_consistency_all_is_fine(processes):
    """replicas 3 and write-consistency all without peers: replicas are
    effectively 1 until peers join, so writes are not refused."""
    node = processes.node(index=0, options={"replicas": 3, "write-consistency": "all"})
    started = time.monotonic()
    assert call_raw(node, "SET", "alone:all", "1") == b"+OK\r\n"
    assert time.monotonic() - started < 0.5
