"""
test_auth.py -- AUTH, HELLO AUTH and ACL users on herd-node and herd-proxy,
with the error texts checked against a real redis-server 7.0 configured
the same way; the password thread (the event loop keeps serving other
clients), the brute-force delay, passwords kept out of the logs, and a
proxy that logs in to nodes which require a password.
"""

import subprocess
import time

import pytest
import redis

from harness import ProcessError, wait_answering

DEFAULT_PASSWORD = "s3cret-default"
USERS = [
    "reader on >reader-pw ~* +@read",
    "writer on >writer-pw ~* +@read +@write",
    "admin on >admin-pw ~* +@all",
    "keyed on >keyed-pw ~app:* +@all",
    "disabled off >disabled-pw ~* +@all",
    "free on nopass ~* +@all",
    "proxy on >proxy-pw ~* +@all",
]
AUTH_OPTIONS = {"requirepass": DEFAULT_PASSWORD, "user": USERS}
# Wrong passwords sent by the tests: none may reach a log.
WRONG = "guess-that-must-not-be-logged"

NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


def wait_ready(server, timeout=15.0):
    """Waits until the server answers PING (NOAUTH counts: it is up)."""
    return wait_answering(server, (b"+PONG\r\n", NOAUTH), timeout)


def wait_routing(proxy, timeout=15.0):
    """Waits until the proxy reaches its nodes (a logged-in SET works)."""
    deadline = time.monotonic() + timeout
    while True:
        with proxy.raw(timeout=2.0) as client:
            client.command("AUTH", "admin", "admin-pw")
            if client.command("SET", "routing-probe", "1") == b"+OK\r\n":
                return proxy
        if time.monotonic() > deadline:
            raise ProcessError(f"{proxy.name} cannot reach its nodes:\n{proxy.log_tail()}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def setup(module_processes):
    """A node and a Redis with users, two nodes behind a proxy that logs in
    to them, and a proxy whose node password is wrong."""
    procs = module_processes
    redis_ref = wait_ready(procs.redis(name="auth-redis", start=False,
                                       options=dict(AUTH_OPTIONS)).start(wait=False))
    node = wait_ready(procs.node(index=0, name="auth-node", start=False,
                                 options=dict(AUTH_OPTIONS)).start(wait=False))
    backends = [procs.node(index=i + 1, name=f"auth-backend{i}", start=False,
                           options=dict(AUTH_OPTIONS)).start(wait=False)
                for i in range(2)]
    for backend in backends:
        wait_ready(backend)
    proxy_options = dict(AUTH_OPTIONS)
    proxy_options.update({"node-user": "proxy", "node-password": "proxy-pw"})
    proxy = wait_routing(wait_ready(procs.proxy(backends, name="auth-proxy", start=False,
                                                options=proxy_options).start(wait=False)))
    bad_options = {"node-user": "proxy", "node-password": "not-the-password"}
    bad_proxy = wait_ready(procs.proxy(backends, name="auth-bad-proxy", start=False,
                                       options=bad_options).start(wait=False))
    return {"redis": redis_ref, "node": node, "proxy": proxy, "bad_proxy": bad_proxy,
            "backends": backends}


def herd_targets(setup):
    return [setup["node"], setup["proxy"]]


def replies(server, commands):
    """The raw reply of each command, on one new connection."""
    with server.raw(timeout=10) as client:
        return [client.command(*command) for command in commands]


def same_as_redis(setup, commands):
    """Runs the commands on Redis, the node and the proxy; all must agree."""
    expected = replies(setup["redis"], commands)
    for server in herd_targets(setup):
        assert replies(server, commands) == expected, server.name
    return expected


def test_commands_before_auth(setup):
    got = same_as_redis(setup, [("GET", "x"), ("PING",), ("NOSUCH", "a"), ("GET",),
                                ("HELLO", "2"), ("ECHO", "x"), ("QUIT",)])
    assert got[0] == NOAUTH and got[1] == NOAUTH   # Redis 7.0 refuses PING too
    assert got[2].startswith(b"-ERR unknown command")
    assert got[4].startswith(b"-NOAUTH HELLO must be called")
    assert got[6] == b"+OK\r\n"


def test_wrong_unknown_and_disabled(setup):
    got = same_as_redis(setup, [("AUTH", WRONG), ("AUTH", "nobody", WRONG),
                                ("AUTH", "disabled", "disabled-pw"), ("AUTH", "a", "b", "c"),
                                ("GET", "x")])
    assert got[:3] == [WRONGPASS] * 3
    assert got[3] == b"-ERR syntax error\r\n" and got[4] == NOAUTH


def test_auth_then_pipelined_commands(setup):
    """Requests sent behind AUTH wait for its check, then run logged in."""
    for server in herd_targets(setup):
        with server.raw() as client:
            client.send(b"AUTH s3cret-default\r\nSET pipelined 1\r\nGET pipelined\r\n"
                        b"ACL WHOAMI\r\n")
            got = [client.read_reply() for _ in range(4)]
        assert got == [b"+OK\r\n", b"+OK\r\n", b"$1\r\n1\r\n", b"$7\r\ndefault\r\n"]


def test_auth_without_password_configured(module_processes, reference):
    plain = module_processes.node(index=9, name="plain-node")
    expected = replies(reference, [("AUTH", "x"), ("AUTH", "default", "x"), ("ACL", "WHOAMI")])
    assert replies(plain, [("AUTH", "x"), ("AUTH", "default", "x"),
                           ("ACL", "WHOAMI")]) == expected
    assert expected[0].startswith(b"-ERR AUTH <password> called without any password")


def test_read_only_user(setup):
    got = same_as_redis(setup, [("AUTH", "reader", "reader-pw"), ("SET", "k", "v"),
                                ("GET", "k"), ("DEL", "k")])
    assert got[1] == b"-NOPERM this user has no permissions to run the 'set' command\r\n"


def test_key_pattern(setup):
    got = same_as_redis(setup, [("AUTH", "keyed", "keyed-pw"), ("SET", "app:1", "v"),
                                ("GET", "app:1"), ("GET", "other"), ("MGET", "app:1", "x")])
    denied = b"-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
    assert got[1] == b"+OK\r\n" and got[3] == denied and got[4] == denied


def test_admin_category(setup):
    """FLUSHALL needs +@admin in herd (Redis lets +@write run it)."""
    for server in herd_targets(setup):
        got = replies(server, [("AUTH", "writer", "writer-pw"), ("SET", "w", "1"),
                               ("FLUSHALL",)])
        assert got[:2] == [b"+OK\r\n", b"+OK\r\n"]
        assert got[2] == b"-NOPERM this user has no permissions to run the 'flushall' command\r\n"
        assert replies(server, [("AUTH", "admin", "admin-pw"), ("FLUSHALL",)]) == \
            [b"+OK\r\n", b"+OK\r\n"]


def test_hello_auth_whoami_client_list(setup):
    for server in herd_targets(setup):
        with server.raw() as client:
            hello = client.command("HELLO", "2", "AUTH", "admin", "admin-pw",
                                   "SETNAME", "app1")
            assert hello.startswith(b"*14\r\n$6\r\nserver\r\n")
            assert client.command("ACL", "WHOAMI") == b"$5\r\nadmin\r\n"
            assert client.command("CLIENT", "GETNAME") == b"$4\r\napp1\r\n"
            listing = client.command("CLIENT", "LIST")
            assert b"name=app1 " in listing and b" user=admin " in listing
            assert client.command("HELLO", "2", "AUTH", "admin", WRONG) == WRONGPASS
            assert client.command("ACL", "WHOAMI") == b"$5\r\nadmin\r\n"
    expected = replies(setup["redis"], [("HELLO", "2", "AUTH", "reader", WRONG),
                                        ("AUTH", "free", "anything"), ("ACL", "WHOAMI")])
    for server in herd_targets(setup):
        assert replies(server, [("HELLO", "2", "AUTH", "reader", WRONG),
                                ("AUTH", "free", "anything"), ("ACL", "WHOAMI")]) == expected


def test_reset_logs_out(setup):
    got = same_as_redis(setup, [("AUTH", DEFAULT_PASSWORD), ("GET", "x"), ("RESET",),
                                ("GET", "x")])
    assert got[2] == b"+RESET\r\n" and got[3] == NOAUTH


def test_brute_force_delay(setup):
    proxy = setup["proxy"]
    started = time.monotonic()
    with proxy.raw(timeout=15) as client:
        for _ in range(5):
            assert client.command("AUTH", "admin", WRONG) == WRONGPASS
    slow = time.monotonic() - started
    started = time.monotonic()
    assert replies(proxy, [("AUTH", "admin", "admin-pw")]) == [b"+OK\r\n"]
    fast = time.monotonic() - started
    assert slow >= 1.45, slow       # 0 + 100 + 200 + 400 + 800 ms of delay
    assert fast < 0.5, fast


def test_event_loop_not_blocked(setup):
    """While one client's passwords are being checked, others are served."""
    for server in herd_targets(setup):
        with server.raw(timeout=10) as slow, server.raw(timeout=10) as other:
            assert other.command("AUTH", "free", "x") == b"+OK\r\n"
            slow.send(b"AUTH admin " + WRONG.encode() + b"\r\n" +
                      b"AUTH admin " + WRONG.encode() + b"\r\n" +
                      b"AUTH admin " + WRONG.encode() + b"\r\n")
            started = time.monotonic()
            worst = 0.0
            while time.monotonic() - started < 0.3:
                before = time.monotonic()
                assert other.command("PING") == b"+PONG\r\n"
                worst = max(worst, time.monotonic() - before)
            assert [slow.read_reply() for _ in range(3)] == [WRONGPASS] * 3
            assert worst < 0.05, (server.name, worst)


def test_disconnect_while_pending(setup):
    for server in herd_targets(setup):
        for _ in range(5):
            client = server.raw()
            client.send(b"AUTH admin admin-pw\r\nGET x\r\n")
            client.close()
        assert replies(server, [("AUTH", "free", "x"), ("PING",)]) == \
            [b"+OK\r\n", b"+PONG\r\n"]


def test_redis_cli(setup):
    for server in herd_targets(setup):
        base = ["redis-cli", "-h", server.host, "-p", str(server.port)]
        run = subprocess.run(base + ["-a", DEFAULT_PASSWORD, "--no-auth-warning",
                                     "SET", "cli-key", "cli-value"],
                             capture_output=True, timeout=10)
        assert run.stdout.strip() == b"OK" and run.stderr == b""
        run = subprocess.run(base + ["--user", "reader", "--pass", "reader-pw",
                                     "--no-auth-warning", "GET", "cli-key"],
                             capture_output=True, timeout=10)
        assert run.stdout.strip() == b"cli-value"
        run = subprocess.run(base + ["--user", "reader", "--pass", "reader-pw",
                                     "--no-auth-warning", "SET", "cli-key", "x"],
                             capture_output=True, timeout=10)
        assert b"NOPERM" in run.stdout


def test_redis_py(setup):
    for server in herd_targets(setup):
        client = server.client(username="writer", password="writer-pw")
        assert client.set("py-key", "v") is True
        assert client.get("py-key") == b"v"
        assert server.client(password=DEFAULT_PASSWORD).get("py-key") == b"v"
        # This redis-py maps WRONGPASS to ResponseError (its parent class).
        with pytest.raises(redis.exceptions.ResponseError, match="WRONGPASS"):
            server.client(username="writer", password=WRONG).ping()
        with pytest.raises(redis.exceptions.AuthenticationError):
            server.client().get("py-key")


def test_proxy_logs_in_to_nodes(setup):
    """The proxy's node-user/node-password reach nodes that require AUTH."""
    proxy = setup["proxy"]
    assert replies(proxy, [("AUTH", "admin", "admin-pw"), ("SET", "via-proxy", "1")]) == \
        [b"+OK\r\n", b"+OK\r\n"]
    holders = [node for node in setup["backends"]
               if replies(node, [("AUTH", "proxy", "proxy-pw"),
                                 ("EXISTS", "via-proxy")])[1] == b":1\r\n"]
    assert len(holders) == 1


def test_proxy_with_wrong_node_password(setup):
    bad = setup["bad_proxy"]
    got = replies(bad, [("GET", "anything")])[0]
    assert got.startswith(b"-ERR node ") and got.endswith(b" unavailable\r\n"), got
    time.sleep(0.2)
    assert b"refused AUTH" in bad.log_path.read_bytes()


def test_passwords_not_logged(setup):
    for server in [setup["node"], setup["proxy"]] + setup["backends"]:
        log = server.log_path.read_bytes()
        assert WRONG.encode() not in log
        assert b"not-the-password" not in log
        assert b"admin-pw" not in log
    assert b"AUTH failed for user 'admin' from 127.0.0.1:" in setup["proxy"].log_path.read_bytes()
