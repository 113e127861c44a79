"""
replication.py -- helpers for the replication, membership and fault tests
of issue 4 (test_cluster_membership.py, test_fault.py).

ReplicatedCluster: N herd-nodes that find each other through `seed` lines
(replicas, write-consistency, the fast test timings, the DEBUG command on),
plus herd-proxies in cluster mode (`seed` lines instead of `node` lines,
membership refreshed every 200 ms).  It is built from the harness classes
(HerdNode, HerdProxy) and registered in a harness.ProcessGroup, so the
`processes` fixture stops every process by PID in teardown, even when the
test fails -- after resuming any node a test left SIGSTOPped.

Status helpers parse CLUSTER MEMBERS / NODES / INFO / DIGEST; the wait_*
helpers poll them within a bound and return the seconds it took.

KeyWriter: a client thread that writes through one server (usually a
proxy) and records every operation with its outcome: acknowledged (+OK),
failed for sure (-UNAVAILABLE: nothing was applied) or indeterminate
(-NOQUORUM, another error, a connection lost or timed out after the
request was sent), with monotonic start and end times.
"""

import os
import threading
import time
from dataclasses import dataclass

from harness import (stop_processes, START_TIMEOUT, ConnectionClosed, ErrorReply, HerdNode, HerdProxy,
                     ProcessError, RespClient, _option_lines, parse_reply,
                     is_sanitized_build)

# The fast test timings of the spec (milliseconds).
FAST_NODE_TIMINGS = {
    "membership-probe-interval": 200,
    "membership-probe-timeout": 100,
    "membership-suspicion-timeout": 1000,
    "membership-push-pull-interval": 2000,
    "anti-entropy-interval": 500,
    "write-timeout": 1000,
}

# A proxy's node-timeout stays above the nodes' write-timeout, so that a
# write waiting for acks ends with the node's own -NOQUORUM reply.
FAST_PROXY_OPTIONS = {
    "membership-refresh-interval": 200,
    "node-timeout": 3000,
    "node-reconnect-interval": 100,
}

# The liveness words of CLUSTER NODES / MEMBERS (spec).
LIVENESS_VALUES = ("alive", "suspect", "dead")

# How long one status query may take (a paused node must not hang a wait).
STATUS_TIMEOUT = 2.0


def timeout_factor():
    """Same rule as conftest.py: HERD_TIMEOUT_FACTOR, else 3 for sanitizer builds."""
    factor = float(os.environ.get("HERD_TIMEOUT_FACTOR", "0") or 0)
    if factor <= 0:
        factor = 3.0 if is_sanitized_build() else 1.0
    return factor


def scaled(seconds):
    """A time bound multiplied by the timeout factor (sanitizer builds are slower)."""
    return seconds * timeout_factor()


def _text(value):
    return value.decode() if isinstance(value, (bytes, bytearray)) else value


# ---------------------------------------------------------------------------
# Status commands
# ---------------------------------------------------------------------------

def call(server, *args, timeout=STATUS_TIMEOUT):
    """One command on a fresh connection; the parsed reply (errors returned)."""
    with RespClient(server.host, server.port, timeout=timeout) as connection:
        return connection.call(*args)


def call_raw(server, *args, timeout=STATUS_TIMEOUT):
    """One command on a fresh connection; the raw reply bytes."""
    with RespClient(server.host, server.port, timeout=timeout) as connection:
        return connection.command(*args)


def _checked(reply, what):
    if isinstance(reply, ErrorReply):
        raise AssertionError(f"{what} answered -{reply.decode(errors='replace')}")
    return reply


def cluster_myid(server):
    return _text(_checked(call(server, "CLUSTER", "MYID"), "CLUSTER MYID"))


def cluster_digest(server):
    return _text(_checked(call(server, "CLUSTER", "DIGEST"), "CLUSTER DIGEST"))


def cluster_slot_digest(server, slot):
    return _text(_checked(call(server, "CLUSTER", "SLOTDIGEST", slot), "CLUSTER SLOTDIGEST"))


def cluster_members(server):
    """CLUSTER MEMBERS as {"digest", "replicas", "members": [{id, address,
    liveness, state, incarnation}]}."""
    reply = _checked(call(server, "CLUSTER", "MEMBERS"), "CLUSTER MEMBERS")
    assert isinstance(reply, list) and len(reply) == 3, f"CLUSTER MEMBERS: {reply!r}"
    digest, replicas, entries = reply
    members = []
    for entry in entries:
        assert isinstance(entry, list) and len(entry) == 5, f"member entry {entry!r}"
        members.append({"id": _text(entry[0]), "address": _text(entry[1]),
                        "liveness": _text(entry[2]), "state": _text(entry[3]),
                        "incarnation": entry[4]})
    return {"digest": _text(digest), "replicas": replicas, "members": members}


def parse_cluster_nodes(text):
    """The lines of CLUSTER NODES as dicts {id, address, liveness, state,
    incarnation, myself}."""
    rows = []
    for line in _text(text).splitlines():
        if not line.strip():
            continue
        fields = line.split(" ")
        assert len(fields) in (5, 6), f"CLUSTER NODES line {line!r}"
        assert len(fields) == 5 or fields[5] == "myself", f"CLUSTER NODES line {line!r}"
        assert fields[2] in LIVENESS_VALUES, f"CLUSTER NODES liveness in {line!r}"
        rows.append({"id": fields[0], "address": fields[1], "liveness": fields[2],
                     "state": fields[3], "incarnation": int(fields[4]),
                     "myself": len(fields) == 6})
    return rows


def cluster_nodes(server):
    reply = _checked(call(server, "CLUSTER", "NODES"), "CLUSTER NODES")
    assert isinstance(reply, bytes), f"CLUSTER NODES: {reply!r}"
    return parse_cluster_nodes(reply)


def parse_cluster_info(text):
    """CLUSTER INFO's `name:value` lines as a dict (integers converted,
    digests kept as hex text)."""
    info = {}
    for line in _text(text).split("\r\n"):
        if not line:
            continue
        assert ":" in line, f"CLUSTER INFO line {line!r}"
        name, value = line.split(":", 1)
        numeric = value.lstrip("-").isdigit() and "digest" not in name
        info[name] = int(value) if numeric else value
    return info


def cluster_info(server):
    reply = _checked(call(server, "CLUSTER", "INFO"), "CLUSTER INFO")
    assert isinstance(reply, bytes), f"CLUSTER INFO: {reply!r}"
    return parse_cluster_info(reply)


def liveness_of(server, address):
    """What `server` believes about the member at `address` (None: unknown)."""
    for row in cluster_nodes(server):
        if row["address"] == address:
            return row["liveness"]
    return None


# ---------------------------------------------------------------------------
# Direct reads
# ---------------------------------------------------------------------------

def read_direct(node, key):
    """GET on the node's own port (no proxy): bytes or None."""
    reply = call(node, "GET", key, timeout=5.0)
    if isinstance(reply, ErrorReply):
        raise AssertionError(f"GET {key} on {node.name}: -{reply.decode(errors='replace')}")
    return reply


def read_many_direct(node, keys, chunk=500):
    """GET of every key on the node's own port, pipelined; a list of values."""
    values = []
    keys = list(keys)
    with RespClient(node.host, node.port, timeout=10.0) as connection:
        for start in range(0, len(keys), chunk):
            part = keys[start:start + chunk]
            for key, raw in zip(part, connection.pipeline([("GET", key) for key in part])):
                value = parse_reply(raw)
                if isinstance(value, ErrorReply):
                    raise AssertionError(f"GET {key} on {node.name}: {raw!r}")
                values.append(value)
    return values


def missing_on(nodes, expected):
    """[(node name, key, expected value, value found)] for every key of the
    dict `expected` that some node does not hold with that value."""
    keys = list(expected)
    problems = []
    for node in nodes:
        for key, value in zip(keys, read_many_direct(node, keys)):
            if value != expected[key]:
                problems.append((node.name, key, expected[key], value))
    return problems


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

class SeedProxy(HerdProxy):
    """A herd-proxy in cluster mode: `seed HOST:PORT` lines (one per node
    given) instead of `node` lines."""

    def __init__(self, workdir, seeds, options=None, name="proxy", port=None):
        merged = dict(FAST_PROXY_OPTIONS)
        merged.update(options or {})
        super().__init__(workdir, [], options=merged, name=name, port=port)
        self.options.pop("replicas", None)   # the cluster's replicas come from the nodes
        self.seeds = list(seeds)

    def config_text(self):
        lines = _option_lines(self.options)
        lines += [f"seed {seed.address}" for seed in self.seeds]
        return "\n".join(lines) + "\n"


class ReplicatedCluster:
    """N seeded herd-nodes and `proxy_count` SeedProxy in front of them.

    Every node gets a `seed` line for each other node.  pause()/resume()
    (SIGSTOP/SIGCONT) and isolate()/heal() (DEBUG NET DROP/HEAL) keep track
    of the node's state so the helpers skip paused nodes and stop() can
    resume them before stopping.
    """

    def __init__(self, workdir, node_count=3, replicas=3, write_consistency="quorum",
                 proxy_count=1, fsync="everysec", node_options=None, proxy_options=None,
                 debug=True):
        options = dict(FAST_NODE_TIMINGS)
        options["replicas"] = replicas
        options["write-consistency"] = write_consistency
        if debug:
            options["enable-debug-command"] = "yes"
        options.update(node_options or {})
        self.replicas = replicas
        self.workdir = workdir
        self.fsync = fsync
        self.node_options = options
        self.nodes = [HerdNode(workdir, index=index, fsync=fsync, options=dict(options))
                      for index in range(node_count)]
        for node in self.nodes:
            node.options["seed"] = [other.address for other in self.nodes if other is not node]
        self.proxies = [SeedProxy(workdir, self.nodes, options=proxy_options,
                                  name=f"proxy{index}")
                        for index in range(proxy_count)]
        self.paused = set()
        self.isolated = set()

    # -- lifecycle -----------------------------------------------------------

    @property
    def proxy(self):
        return self.proxies[0]

    def start(self, converge_timeout=None):
        """Starts every node (in parallel), waits until they see each other,
        then starts the proxies and waits until they route."""
        for node in self.nodes:
            node.start(wait=False)
        for node in self.nodes:
            node.wait_ready()
        self.wait_converged(converge_timeout or scaled(15))
        for proxy in self.proxies:
            proxy.start()
        for proxy in self.proxies:
            self.wait_proxy_routable(proxy)
        return self

    def stop(self, check=True):
        """Resumes paused nodes, then stops the proxies and the nodes."""
        for node in list(self.paused):
            self.resume(node)
        stop_processes(self.proxies + self.nodes, check)

    def processes(self):
        return self.proxies + self.nodes

    def add_node(self, start=True):
        """A new node seeded with every current node (a join); started and
        answering PING when `start`.  It joins self.nodes, so stop() stops it."""
        node = HerdNode(self.workdir, index=len(self.nodes), fsync=self.fsync,
                        options=dict(self.node_options))
        node.options["seed"] = [other.address for other in self.nodes]
        self.nodes.append(node)
        return node.start() if start else node

    # -- faults --------------------------------------------------------------

    def pause(self, node):
        node.sigstop()
        self.paused.add(node)

    def resume(self, node):
        if node in self.paused:
            if node.running():
                node.sigcont()
            self.paused.discard(node)

    def isolate(self, node):
        reply = call_raw(node, "DEBUG", "NET", "DROP")
        assert reply == b"+OK\r\n", f"DEBUG NET DROP on {node.name}: {reply!r}"
        self.isolated.add(node)

    def heal(self, node):
        reply = call_raw(node, "DEBUG", "NET", "HEAL")
        assert reply == b"+OK\r\n", f"DEBUG NET HEAL on {node.name}: {reply!r}"
        self.isolated.discard(node)

    def live_nodes(self):
        """Nodes running and not paused (isolated ones count: they answer)."""
        return [node for node in self.nodes if node.running() and node not in self.paused]

    # -- waits ---------------------------------------------------------------

    def wait_proxy_routable(self, proxy, timeout=None):
        """Waits until the proxy has read the membership (its CLUSTER MEMBERS
        digest is the live nodes' one) and answers GETs of keys spread over
        every slot owner.  (A proxy answers before its first membership read,
        with digest 0000000000000000: tests must not write in that window.)"""
        timeout = timeout or START_TIMEOUT
        commands = [("GET", f"replication:ready:{index}") for index in range(32)]
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                digests = {cluster_members(node)["digest"] for node in self.live_nodes()}
                proxy_digest = cluster_members(proxy)["digest"]
                with proxy.raw(timeout=5) as probe:
                    replies = probe.pipeline(commands)
                if digests != {proxy_digest}:
                    last = f"proxy digest {proxy_digest}, nodes {digests}"
                elif all(reply.startswith(b"$") for reply in replies):
                    return
                else:
                    last = next(reply for reply in replies if not reply.startswith(b"$"))
            except (OSError, ConnectionClosed, ValueError, AssertionError) as error:
                last = repr(error)
            if time.monotonic() > deadline:
                raise ProcessError(f"{proxy.name} did not route GETs within {timeout}s "
                                   f"(last: {last!r}); log {proxy.log_path}:\n"
                                   f"{proxy.log_tail()}")
            time.sleep(0.05)

    def _views(self, observers):
        return {observer.name: cluster_members(observer) for observer in observers}

    def wait_converged(self, timeout=None, observers=None):
        """Waits until every observer (default: every live node) lists all
        the cluster's nodes, all alive, with equal membership digests.
        Returns the seconds it took."""
        timeout = timeout if timeout is not None else scaled(15)
        addresses = {node.address for node in self.nodes}

        def converged():
            views = self._views(observers or self.live_nodes())
            digests = {view["digest"] for view in views.values()}
            for view in views.values():
                listed = {member["address"] for member in view["members"]}
                if listed != addresses or len(view["members"]) != len(addresses):
                    return False
                if any(member["liveness"] != "alive" for member in view["members"]):
                    return False
            return len(digests) == 1

        return self._wait(converged, timeout, "membership convergence",
                          lambda: self._views(observers or self.live_nodes()))

    def wait_liveness(self, target, liveness, observers=None, timeout=None):
        """Waits until every observer (default: every other live node) sees
        the member `target` (a node) as `liveness`; returns the seconds."""
        timeout = timeout if timeout is not None else scaled(10)
        observers = observers or [node for node in self.live_nodes() if node is not target]

        def agreed():
            return all(liveness_of(observer, target.address) == liveness
                       for observer in observers)

        return self._wait(agreed, timeout, f"{target.name} seen {liveness}",
                          lambda: {observer.name: cluster_nodes(observer)
                                   for observer in observers})

    def digests(self, nodes=None):
        return {node.name: cluster_digest(node) for node in (nodes or self.live_nodes())}

    def wait_digests_equal(self, timeout=None, nodes=None):
        """Waits until CLUSTER DIGEST is equal on the given nodes (default:
        every live node); returns the seconds it took.  Meaningful when every
        node holds every slot (node count == replicas)."""
        timeout = timeout if timeout is not None else scaled(15)

        def equal():
            return len(set(self.digests(nodes).values())) == 1

        return self._wait(equal, timeout, "equal CLUSTER DIGEST",
                          lambda: self.digests(nodes), interval=0.05)

    def wait_hints_delivered(self, timeout=None, nodes=None):
        """Waits until hints_pending is 0 on every given node; returns seconds."""
        timeout = timeout if timeout is not None else scaled(15)

        def empty():
            return all(cluster_info(node)["hints_pending"] == 0
                       for node in (nodes or self.live_nodes()))

        return self._wait(empty, timeout, "hints_pending 0",
                          lambda: {node.name: cluster_info(node).get("hints_pending")
                                   for node in (nodes or self.live_nodes())})

    def wait_anti_entropy_rounds(self, rounds, timeout=None, nodes=None):
        """Waits until every given node ran `rounds` more anti-entropy rounds
        than when called; returns seconds."""
        timeout = timeout if timeout is not None else scaled(15)
        nodes = nodes or self.live_nodes()
        start = {node.name: cluster_info(node)["anti_entropy_rounds"] for node in nodes}

        def enough():
            return all(cluster_info(node)["anti_entropy_rounds"] >= start[node.name] + rounds
                       for node in nodes)

        return self._wait(enough, timeout, f"{rounds} anti-entropy rounds",
                          lambda: {node.name: cluster_info(node)["anti_entropy_rounds"]
                                   for node in nodes})

    def _wait(self, predicate, timeout, what, describe, interval=0.05):
        """Polls predicate() until true; returns seconds; on timeout raises
        AssertionError with describe()'s last view and the node log tails."""
        started = time.monotonic()
        deadline = started + timeout
        last_error = None
        while True:
            try:
                if predicate():
                    return time.monotonic() - started
            except (OSError, ConnectionClosed, ValueError, AssertionError) as error:
                last_error = error
            if time.monotonic() > deadline:
                break
            time.sleep(interval)
        try:
            view = describe()
        except Exception as error:  # noqa: BLE001 -- only for the message
            view = f"(could not describe: {error!r})"
        logs = "\n".join(f"--- {node.name} ({node.log_path}):\n{node.log_tail(15)}"
                         for node in self.nodes)
        raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}"
                             + (f" (last error: {last_error!r})" if last_error else "")
                             + f"\nlast view: {view!r}\n{logs}")


def replicated_cluster(group, start=True, **options):
    """A ReplicatedCluster registered in a harness.ProcessGroup (the
    `processes` / `module_processes` fixture), so teardown stops it."""
    cluster = group._add(ReplicatedCluster(group.workdir, **options))
    return cluster.start() if start else cluster


# ---------------------------------------------------------------------------
# Client load
# ---------------------------------------------------------------------------

ACKED = "ok"
FAILED = "failed"                 # definitely not applied (-UNAVAILABLE, refused)
INDETERMINATE = "indeterminate"   # may or may not have been applied


@dataclass
class Operation:
    """One write a KeyWriter issued."""
    key: str
    value: bytes
    start: float                  # time.monotonic() before sending
    end: float = 0.0              # after the reply (or the failure)
    outcome: str = ""
    reply: str = ""


def classify(raw):
    """The outcome of a write from its raw reply."""
    if raw == b"+OK\r\n" or raw.startswith(b":"):
        return ACKED
    if raw.startswith(b"-UNAVAILABLE"):
        return FAILED
    return INDETERMINATE


class KeyWriter(threading.Thread):
    """Writes through `server` until stop(): SET prefix:N value (unique
    keys); with `same_key`, SET same_key prefix-N (one key, unique values);
    with `incr_key`, INCR incr_key (value None).  Every operation is kept
    in `operations`."""

    def __init__(self, server, prefix, same_key=None, incr_key=None, pause=0.001,
                 socket_timeout=5.0):
        super().__init__(daemon=True, name=f"writer-{prefix}")
        self.server = server
        self.prefix = prefix
        self.same_key = same_key
        self.incr_key = incr_key
        self.pause = pause
        self.socket_timeout = socket_timeout
        self.operations = []
        self._stopping = threading.Event()
        self._connection = None

    def run(self):
        number = 0
        try:
            while not self._stopping.is_set():
                number += 1
                self._write(number)
                if self.pause:
                    time.sleep(self.pause)
        finally:
            self._disconnect()

    def _write(self, number):
        if self.incr_key is not None:
            key, value = self.incr_key, None
        elif self.same_key is not None:
            key, value = self.same_key, f"{self.prefix}-{number}".encode()
        else:
            key, value = f"{self.prefix}:{number}", f"{self.prefix}-value-{number}".encode()
        operation = Operation(key, value, time.monotonic())
        self.operations.append(operation)
        try:
            connection = self._connect()
        except OSError as error:
            operation.outcome, operation.reply = FAILED, f"connect: {error!r}"
            operation.end = time.monotonic()
            time.sleep(0.05)
            return
        try:
            if value is None:
                raw = connection.command("INCR", key)
            else:
                raw = connection.command("SET", key, value)
            operation.outcome, operation.reply = classify(raw), raw.decode(errors="replace")
        except (OSError, ConnectionClosed, ValueError) as error:
            operation.outcome, operation.reply = INDETERMINATE, repr(error)
            self._disconnect()
        operation.end = time.monotonic()

    def _connect(self):
        if self._connection is None:
            self._connection = RespClient(self.server.host, self.server.port,
                                          timeout=self.socket_timeout)
        return self._connection

    def _disconnect(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self):
        self._stopping.set()
        self.join(timeout=self.socket_timeout + 5)
        assert not self.is_alive(), f"{self.name} did not stop"
        return self

    # -- results -------------------------------------------------------------

    def with_outcome(self, outcome):
        return [operation for operation in self.operations if operation.outcome == outcome]

    def acked(self):
        """{key: value} of every acknowledged write (the last one per key)."""
        return {operation.key: operation.value for operation in self.with_outcome(ACKED)}

    def errors(self):
        return [operation for operation in self.operations
                if operation.outcome in (FAILED, INDETERMINATE)]

    def summary(self):
        counts = {outcome: len(self.with_outcome(outcome))
                  for outcome in (ACKED, FAILED, INDETERMINATE)}
        replies = {}
        for operation in self.errors():
            text = operation.reply[:60]
            replies[text] = replies.get(text, 0) + 1
        top = sorted(replies.items(), key=lambda item: -item[1])[:5]
        return f"{self.name}: {counts}, errors: {top}"


def start_writer(server, prefix, **options):
    writer = KeyWriter(server, prefix, **options)
    writer.start()
    return writer
