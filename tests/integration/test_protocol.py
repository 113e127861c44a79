"""
test_protocol.py -- abuse of the RESP protocol over raw sockets.

The generic cases run against redis-server too (target "redis"): the
expected bytes are what Redis 7.0 sends, and herd-node ("node") and
herd-proxy ("proxy", in front of 3 nodes) must send the same.  The limit
cases run against herd only, with small limits set in the config so each
limit is tested at the limit (accepted) and just over it (rejected).

Every test runs inside a guard: before it, another client stores a key and
keeps its connection; after it, every process of the target must still
run, and both that connection and a new one must read the key back.
"""

import contextlib
import random
import time
import uuid

import pytest

from harness import ConnectionClosed, encode_command

# The limits of the "limited" node and proxy.
BULK_LIMIT = 1 << 20
MULTIBULK_LIMIT = 1024
INLINE_LIMIT = 1024
QUERY_BUFFER_LIMIT = 2 << 20
OUTPUT_BUFFER_LIMIT = 512 << 10
LIMITS = {
    "proto-max-bulk-len": BULK_LIMIT,
    "proto-max-multibulk-len": MULTIBULK_LIMIT,
    "proto-inline-max-size": INLINE_LIMIT,
    "client-query-buffer-limit": QUERY_BUFFER_LIMIT,
    "client-output-buffer-limit": OUTPUT_BUFFER_LIMIT,
}


class Target:
    """What a test talks to (`entry`) and every process that must survive."""

    def __init__(self, name, entry, processes):
        self.name = name
        self.entry = entry
        self.processes = processes

    def raw(self, **options):
        return self.entry.raw(**options)

    def dead(self):
        return [process.name for process in self.processes if not process.running()]


@contextlib.contextmanager
def guarded(target):
    """Another client's key survives whatever happens inside."""
    key = f"guard:{uuid.uuid4().hex}"
    value = uuid.uuid4().bytes * 8
    keeper = target.raw(timeout=10)
    try:
        assert keeper.command("SET", key, value) == b"+OK\r\n"
        yield target
        dead = target.dead()
        assert not dead, f"{dead} died during the test"
        assert keeper.command("GET", key) == encode_bulk(value), \
            "the other client's connection lost its data"
        with target.raw(timeout=10) as fresh:
            assert fresh.command("GET", key) == encode_bulk(value), \
                "a new client cannot read the other client's key"
    finally:
        keeper.close()


def encode_bulk(value):
    return b"$%d\r\n%s\r\n" % (len(value), value)


# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------

def _single(name, process):
    return Target(name, process, [process])


def _cluster_target(name, cluster):
    return Target(name, cluster.proxy, cluster.processes())


@pytest.fixture(scope="module")
def default_targets(module_processes):
    """redis-server, herd-node and herd-proxy with default limits (lazily)."""
    built = {}

    def get(name):
        if name not in built:
            if name == "redis":
                built[name] = _single(name, module_processes.redis(name="redis-default"))
            elif name == "node":
                built[name] = _single(name, module_processes.node(name="node-default"))
            else:
                cluster = module_processes.cluster(node_count=3)
                built[name] = _cluster_target(name, cluster)
        return built[name]
    return get


@pytest.fixture(scope="module")
def limited_targets(module_processes):
    """herd-node and herd-proxy with the small LIMITS (lazily)."""
    built = {}

    def get(name):
        if name not in built:
            if name == "node":
                node = module_processes.node(name="node-limited", options=LIMITS)
                built[name] = _single(name, node)
            else:
                cluster = module_processes.cluster(node_count=2, proxy_options=LIMITS)
                built[name] = _cluster_target(name, cluster)
        return built[name]
    return get


@pytest.fixture(params=["redis", "node", "proxy"])
def target(request, default_targets):
    with guarded(default_targets(request.param)) as chosen:
        yield chosen


@pytest.fixture(params=["node", "proxy"])
def limited(request, limited_targets):
    with guarded(limited_targets(request.param)) as chosen:
        yield chosen


def start_own_target(processes, kind, options):
    """A fresh node (or 1 node + proxy) whose config carries `options`."""
    if kind == "node":
        return _single(kind, processes.node(options=options))
    cluster = processes.cluster(node_count=1, proxy_options=options)
    return _cluster_target(kind, cluster)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def reply_then_close(target, data, timeout=5.0):
    """Sends data on a new connection; returns (bytes received, closed?)."""
    with target.raw() as connection:
        connection.send(data)
        return connection.read_until_closed(timeout)


def assert_error_and_close(target, data, expected):
    received, closed = reply_then_close(target, data)
    assert received == expected, f"sent {data[:80]!r}: expected {expected!r}, got {received[:300]!r}"
    assert closed, f"sent {data[:80]!r}: the connection stayed open after the protocol error"


def assert_still_serving(connection):
    assert connection.command("PING") == b"+PONG\r\n"


# ---------------------------------------------------------------------------
# Generic cases: Redis, herd-node and herd-proxy answer alike
# ---------------------------------------------------------------------------

def test_request_sent_one_byte_at_a_time(target):
    key = f"bytewise:{uuid.uuid4().hex}"
    request = (encode_command("SET", key, "value\r\nwith crlf")
               + f"GET {key}\r\n".encode() + encode_command("STRLEN", key))
    with target.raw() as connection:
        for index in range(len(request)):
            connection.send(request[index:index + 1])
            time.sleep(0.001)
        assert connection.read_reply() == b"+OK\r\n"
        assert connection.read_reply() == b"$16\r\nvalue\r\nwith crlf\r\n"
        assert connection.read_reply() == b":16\r\n"


@pytest.mark.parametrize("data", [
    b"*1\r\n$1000000000000\r\n",
    b"*2\r\n$3\r\nGET\r\n$1000000000000\r\n",
    b"*1\r\n$-1\r\n",
    b"*2\r\n$3\r\nGET\r\n$-5\r\n",
    b"*1\r\n$abc\r\n",
    b"*1\r\n$ 4\r\nPING\r\n",
], ids=["huge", "huge-second-arg", "minus-one", "negative", "not-a-number", "space"])
def test_invalid_bulk_length(target, data):
    assert_error_and_close(target, data, b"-ERR Protocol error: invalid bulk length\r\n")


@pytest.mark.parametrize("data", [b"*abc\r\n", b"*2147483648\r\n", b"*+1\r\n$4\r\nPING\r\n"],
                         ids=["not-a-number", "over-int-max", "plus-sign"])
def test_invalid_multibulk_length(target, data):
    assert_error_and_close(target, data, b"-ERR Protocol error: invalid multibulk length\r\n")


@pytest.mark.parametrize("prefix", [b"*-1\r\n", b"*-5\r\n", b"*0\r\n", b"\r\n", b"\n"],
                         ids=["minus-one", "minus-five", "zero", "empty-line", "bare-lf"])
def test_empty_or_negative_multibulk_is_ignored(target, prefix):
    with target.raw() as connection:
        connection.send(prefix + b"PING\r\n")
        assert connection.read_reply() == b"+PONG\r\n"
        assert_still_serving(connection)


def test_bad_dollar(target):
    assert_error_and_close(target, b"*1\r\n+x\r\n",
                           b"-ERR Protocol error: expected '$', got '+'\r\n")


@pytest.mark.parametrize("line", [b'SET "a b\r\n', b"'a\r\n", b'ECHO "a"b\r\n'],
                         ids=["double", "single", "text-after-quote"])
def test_unbalanced_quotes_in_inline(target, line):
    assert_error_and_close(target, line,
                           b"-ERR Protocol error: unbalanced quotes in request\r\n")


def test_inline_quoting_rules(target):
    key = f"inline:{uuid.uuid4().hex}"
    with target.raw() as connection:
        connection.send(b'SET "%s" "c\\x41\\n\\t"\r\n' % key.encode())
        assert connection.read_reply() == b"+OK\r\n"
        connection.send(b"GET '%s'\r\n" % key.encode())
        assert connection.read_reply() == b"$4\r\ncA\n\t\r\n"
        connection.send(b"   ECHO   'single q'   \r\n")
        assert connection.read_reply() == b"$8\r\nsingle q\r\n"
        connection.send(b"PING\n")
        assert connection.read_reply() == b"+PONG\r\n"


def test_protocol_error_after_good_requests(target):
    """Replies to what came before, then the error, then the close."""
    received, closed = reply_then_close(target, b"PING\r\n*1\r\n$-1\r\nPING\r\n")
    assert received == b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"
    assert closed


@pytest.mark.parametrize("data, expected", [
    (b"x" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
    (b"*" + b"1" * 70000, b"-ERR Protocol error: too big mbulk count string\r\n"),
    (b"*1\r\n$" + b"1" * 70000, b"-ERR Protocol error: too big bulk count string\r\n"),
], ids=["inline", "mbulk-count", "bulk-count"])
def test_default_64k_line_limits(target, data, expected):
    assert_error_and_close(target, data, expected)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_junk(target, seed):
    generator = random.Random(seed)
    junk = bytes(generator.getrandbits(8) for _ in range(8192))
    if seed == 3:
        junk = b"*3\r\n" + junk
    with target.raw() as connection:
        try:
            connection.send(junk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        connection.read_until_closed(timeout=0.5)
    # The guard checks the process lives and the other client's key is intact.


def test_ten_thousand_pipelined_pings(target):
    with target.raw(timeout=30) as connection:
        connection.send(b"PING\r\n" * 5000 + encode_command("PING") * 5000)
        for index in range(10000):
            assert connection.read_reply() == b"+PONG\r\n", f"reply {index}"
        assert_still_serving(connection)


def test_ten_thousand_pipelined_writes_in_order(target):
    prefix = f"pipe:{uuid.uuid4().hex}"
    counter = f"{prefix}:counter"
    sets = b"".join(encode_command("SET", f"{prefix}:{index}", f"value{index}")
                    for index in range(10000))
    incrs = encode_command("INCR", counter) * 10000
    gets = b"".join(encode_command("GET", f"{prefix}:{index}") for index in range(10000))
    with target.raw(timeout=30) as connection:
        connection.send(sets + incrs + gets)
        for index in range(10000):
            assert connection.read_reply() == b"+OK\r\n", f"SET reply {index}"
        for index in range(10000):
            assert connection.read_reply() == b":%d\r\n" % (index + 1), f"INCR reply {index}"
        for index in range(10000):
            value = f"value{index}".encode()
            assert connection.read_reply() == encode_bulk(value), f"GET reply {index}"


def test_unknown_command_keeps_the_connection(target):
    with target.raw() as connection:
        assert connection.command("FOO", "a") == \
            b"-ERR unknown command 'FOO', with args beginning with: 'a' \r\n"
        connection.send(b"BAR\r\n")
        assert connection.read_reply() == \
            b"-ERR unknown command 'BAR', with args beginning with: \r\n"
        assert connection.command("GET") == \
            b"-ERR wrong number of arguments for 'get' command\r\n"
        assert_still_serving(connection)


@pytest.mark.parametrize("data", [b"QUIT\r\n", encode_command("QUIT"), b"QUIT\r\nPING\r\n",
                                  encode_command("quit", "extra")],
                         ids=["inline", "multibulk", "then-ping", "with-argument"])
def test_quit(target, data):
    received, closed = reply_then_close(target, data)
    assert received == b"+OK\r\n"
    assert closed


# ---------------------------------------------------------------------------
# Limits (herd only; small values from LIMITS)
# ---------------------------------------------------------------------------

def test_bulk_length_at_the_limit(limited):
    key = f"bulk:{uuid.uuid4().hex}"
    value = b"b" * BULK_LIMIT
    with limited.raw(timeout=30) as connection:
        assert connection.command("SET", key, value) == b"+OK\r\n"
        # (GET would exceed the 512 KB output limit; read it back in parts.)
        assert connection.command("STRLEN", key) == b":%d\r\n" % BULK_LIMIT
        for start in range(0, BULK_LIMIT, 256 << 10):
            part = value[start:start + (256 << 10)]
            assert connection.command("GETRANGE", key, start, start + len(part) - 1) == \
                encode_bulk(part)
        assert connection.command("DEL", key) == b":1\r\n"


def test_bulk_length_over_the_limit(limited):
    data = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (BULK_LIMIT + 1)
    assert_error_and_close(limited, data, b"-ERR Protocol error: invalid bulk length\r\n")


def test_multibulk_count_at_the_limit(limited):
    keys = [f"multi:{index}" for index in range(MULTIBULK_LIMIT - 1)]
    with limited.raw(timeout=30) as connection:
        assert connection.command("EXISTS", *keys) == b":0\r\n"


def test_multibulk_count_over_the_limit(limited):
    assert_error_and_close(limited, b"*%d\r\n" % (MULTIBULK_LIMIT + 1),
                           b"-ERR Protocol error: invalid multibulk length\r\n")


def test_inline_line_at_the_limit(limited):
    line = b"ECHO " + b"i" * (INLINE_LIMIT - 5)
    assert len(line) == INLINE_LIMIT
    with limited.raw() as connection:
        connection.send(line + b"\r\n")
        assert connection.read_reply() == encode_bulk(b"i" * (INLINE_LIMIT - 5))


@pytest.mark.parametrize("ending", [b"\r\n", b""], ids=["with-crlf", "no-newline-yet"])
def test_inline_line_over_the_limit(limited, ending):
    line = b"ECHO " + b"i" * (INLINE_LIMIT - 4)
    assert len(line) == INLINE_LIMIT + 1
    assert_error_and_close(limited, line + ending,
                           b"-ERR Protocol error: too big inline request\r\n")


def _request_of_size(key_prefix, total):
    """An MSET request of exactly `total` bytes, every value under BULK_LIMIT.

    Returns (request bytes, the keys it sets)."""
    count = total // BULK_LIMIT + 1
    keys = [f"{key_prefix}:{index}" for index in range(count)]
    value_length = total // count
    last_length = value_length

    def build():
        values = [b"q" * value_length] * (count - 1) + [b"q" * last_length]
        return encode_command("MSET", *[item for pair in zip(keys, values) for item in pair])

    request = build()
    for _ in range(5):
        last_length -= len(request) - total
        request = build()
    assert len(request) == total and last_length <= BULK_LIMIT
    return request, keys


def _send_in_two_parts(connection, request):
    """Everything but the last 10 bytes, a pause (so the server buffers it
    all while the request is incomplete), then the rest."""
    connection.send(request[:-10])
    time.sleep(0.3)
    try:
        connection.send(request[-10:])
    except (BrokenPipeError, ConnectionResetError):
        pass


def test_query_buffer_at_the_limit(limited):
    prefix = f"qbuf:{uuid.uuid4().hex}"
    request, keys = _request_of_size(prefix, QUERY_BUFFER_LIMIT - 100)
    with limited.raw(timeout=30) as connection:
        _send_in_two_parts(connection, request)
        assert connection.read_reply() == b"+OK\r\n"
        assert connection.command("EXISTS", *keys) == b":%d\r\n" % len(keys)
        assert connection.command("DEL", *keys) == b":%d\r\n" % len(keys)


def test_query_buffer_over_the_limit(limited):
    prefix = f"qbuf:{uuid.uuid4().hex}"
    request, keys = _request_of_size(prefix, QUERY_BUFFER_LIMIT + 100)
    with limited.raw(timeout=30) as connection:
        try:
            _send_in_two_parts(connection, request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received, closed = connection.read_until_closed(timeout=5)
    assert closed, "a client over client-query-buffer-limit was not disconnected"
    assert received == b"" or received.startswith(b"-ERR"), received[:200]
    with limited.raw() as checker:
        assert checker.command("EXISTS", *keys) == b":0\r\n", "part of the request was applied"


def _store_value(target, key, size):
    """Stores `size` bytes at key in 256 KB appends (each under the bulk limit)."""
    chunk = b"o" * (256 << 10)
    with target.raw(timeout=30) as connection:
        assert connection.command("DEL", key) in (b":0\r\n", b":1\r\n")
        remaining = size
        while remaining > 0:
            part = chunk[:min(remaining, len(chunk))]
            assert connection.command("APPEND", key, part).startswith(b":")
            remaining -= len(part)
        assert connection.command("STRLEN", key) == b":%d\r\n" % size


def test_output_buffer_at_the_limit(limited):
    key = f"out:{uuid.uuid4().hex}"
    size = OUTPUT_BUFFER_LIMIT - 1024
    _store_value(limited, key, size)
    with limited.raw(timeout=30, rcvbuf=16384) as connection:
        connection.send_command("GET", key)
        time.sleep(0.5)           # the reply waits in the server's output buffer
        reply = connection.read_reply()
        assert len(reply) == size + len(b"$%d\r\n\r\n" % size)
        assert_still_serving(connection)


def test_output_buffer_over_the_limit_single_reply(limited):
    key = f"out:{uuid.uuid4().hex}"
    if limited.name == "node":
        # The node builds a whole reply before sending it: 1 KB over is over.
        size = OUTPUT_BUFFER_LIMIT + 1024
    else:
        # The proxy passes a node's reply on as it arrives, and the kernel's
        # socket buffers (several MB on loopback) absorb part of it; only what
        # they cannot take waits in the proxy.  8 MB over is over whatever
        # the kernel's buffer sizes are.
        size = OUTPUT_BUFFER_LIMIT + (8 << 20)
    _store_value(limited, key, size)
    with limited.raw(timeout=30, rcvbuf=16384) as connection:
        connection.send_command("GET", key)
        time.sleep(0.5)
        received, closed = connection.read_until_closed(timeout=5)
    assert closed, "a client over client-output-buffer-limit was not disconnected"
    assert len(received) < size, "the whole over-limit reply was delivered"


def test_output_buffer_over_the_limit_by_not_reading(limited):
    key = f"out:{uuid.uuid4().hex}"
    size = 100 << 10
    _store_value(limited, key, size)
    requests = 200            # 20 MB of replies, far beyond kernel buffers
    with limited.raw(timeout=30, rcvbuf=16384) as connection:
        try:
            connection.send(encode_command("GET", key) * requests)
        except (BrokenPipeError, ConnectionResetError):
            pass
        time.sleep(1.0)
        received, closed = connection.read_until_closed(timeout=5)
    assert closed, ("a client that pipelines 20 MB of replies and never reads was not "
                    f"disconnected ({len(received)} bytes delivered; Redis disconnects it)")
    assert len(received) < requests * size


# ---------------------------------------------------------------------------
# maxclients and timeout: each test starts its own processes
# ---------------------------------------------------------------------------

MAXCLIENTS = 4


def _open_accepted_client(target, timeout=3.0):
    """A connection that PINGs successfully (retrying while the server may
    still count a connection that was just closed)."""
    deadline = time.monotonic() + timeout
    while True:
        connection = target.raw(timeout=5)
        try:
            reply = connection.command("PING")
        except (ConnectionClosed, ConnectionResetError):
            reply = b"(closed)"
        if reply == b"+PONG\r\n":
            return connection
        connection.close()
        if time.monotonic() > deadline:
            raise AssertionError(f"a client under maxclients was refused: {reply!r}")
        time.sleep(0.1)


@pytest.mark.parametrize("kind", ["node", "proxy"])
def test_maxclients(processes, kind):
    target = start_own_target(processes, kind, {"maxclients": MAXCLIENTS})
    time.sleep(0.2)   # let the server notice the readiness probes closed
    clients = [_open_accepted_client(target) for _ in range(MAXCLIENTS)]
    try:
        with target.raw() as extra:
            received, closed = extra.read_until_closed(timeout=0.5)
            if not closed:
                extra.send(b"PING\r\n")
                more, closed = extra.read_until_closed(timeout=5)
                received += more
        assert received == b"-ERR max number of clients reached\r\n"
        assert closed
        for connection in clients:
            assert_still_serving(connection)
        clients.pop().close()
        clients.append(_open_accepted_client(target))
    finally:
        for connection in clients:
            connection.close()


@pytest.mark.parametrize("kind", ["node", "proxy"])
def test_idle_timeout(processes, kind):
    target = start_own_target(processes, kind, {"timeout": 1})
    with target.raw() as idle, target.raw() as busy, target.raw() as short_idle:
        assert_still_serving(idle)
        assert_still_serving(short_idle)
        started = time.monotonic()
        # Under the limit: 0.5 s of silence is fine.
        time.sleep(0.5)
        assert_still_serving(short_idle)
        # A client that keeps talking stays.
        closed_at = None
        while time.monotonic() - started < 4.0:
            assert_still_serving(busy)
            if closed_at is None and idle.is_closed(timeout=0.25):
                closed_at = time.monotonic() - started
        assert closed_at is not None, "an idle client outlived `timeout 1` by 3 s"
        assert closed_at >= 0.9, f"the idle client was closed after only {closed_at:.2f}s"
        assert_still_serving(busy)
    with target.raw() as fresh:
        assert_still_serving(fresh)
    assert not target.dead()
