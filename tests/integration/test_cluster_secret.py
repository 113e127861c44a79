"""
test_cluster_secret.py -- the cluster secret (docs/security.md): three nodes
and a proxy sharing it serve clients as usual; proxies with a wrong secret
or none are refused by every node (their clients get "node unavailable"),
direct clients of a node get a clear error and no data, the internal
handshake commands are never forwarded by the proxy, a proof is bound to
its nonce, the secret never reaches a log, and bad settings are config
errors naming file and line.

The handshake is also done here in Python (hmac), so the wire format is
checked independently of shared/cluster_secret.c.
"""

import hashlib
import hmac
import subprocess
import time

import pytest

from harness import ProcessError, herd_binary, run_binary, wait_answering, wait_until

SECRET = "correct-horse-battery-staple-0042"
WRONG_SECRET = "wrong-horse-battery-staple-9999"
NOT_MEMBER = b"-NOAUTH this node accepts cluster members only (cluster-secret)\r\n"
PROOF_REFUSED = b"-ERR cluster secret proof refused\r\n"


def proof_for(secret, nonce, role="proxy"):
    message = b"herd-cluster-v1\0" + nonce + b"\0" + role.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def challenge(client):
    reply = client.command("HERD.CHALLENGE")
    assert reply.startswith(b"$64\r\n"), reply
    return reply[5:69]


def member(node, secret=SECRET):
    """A raw connection to a node that proved the secret."""
    client = node.raw(timeout=10)
    nonce = challenge(client)
    assert client.command("HERD.PROVE", "proxy", proof_for(secret, nonce)) == b"+OK\r\n"
    return client


def wait_ready(server, timeout=15.0):
    """Waits until the server answers PING (a member-only refusal counts)."""
    return wait_answering(server, (b"+PONG\r\n", NOT_MEMBER), timeout)


def wait_routing(proxy, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        with proxy.raw(timeout=3.0) as client:
            if client.command("SET", "routing-probe", "1") == b"+OK\r\n":
                return proxy
        if time.monotonic() > deadline:
            raise ProcessError(f"{proxy.name} cannot reach its nodes:\n{proxy.log_tail()}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def setup(module_processes, tmp_path_factory):
    procs = module_processes
    secret_file = tmp_path_factory.mktemp("secret") / "cluster.secret"
    secret_file.write_text(SECRET + "\n")
    secret_file.chmod(0o600)
    nodes = []
    for i in range(3):
        options = ({"cluster-secret-file": str(secret_file)} if i == 0
                   else {"cluster-secret": SECRET})
        nodes.append(procs.node(index=i, name=f"secret-node{i}", start=False,
                                options=options).start(wait=False))
    for node in nodes:
        wait_ready(node)
    proxy = wait_routing(wait_ready(procs.proxy(
        nodes, name="secret-proxy", start=False,
        options={"cluster-secret-file": str(secret_file)}).start(wait=False)))
    wrong = wait_ready(procs.proxy(nodes, name="wrong-secret-proxy", start=False,
                                   options={"cluster-secret": WRONG_SECRET}).start(wait=False))
    none = wait_ready(procs.proxy(nodes, name="no-secret-proxy", start=False).start(wait=False))
    plain = procs.node(index=9, name="plain-node")
    return {"nodes": nodes, "proxy": proxy, "wrong": wrong, "none": none, "plain": plain,
            "all": nodes + [proxy, wrong, none]}


def test_members_serve_clients(setup):
    client = setup["proxy"].client()
    keys = [f"key:{i}" for i in range(60)]
    for key in keys:
        assert client.set(key, key.upper())
    assert client.mget(keys) == [key.upper().encode() for key in keys]
    assert client.delete("key:0", "key:1") == 2
    # The keys really spread over the three nodes (read as a member would).
    for node in setup["nodes"]:
        with member(node) as direct:
            assert int(direct.command("DBSIZE")[1:-2]) > 0
            assert b"cluster_secret_required:1" in direct.command("INFO", "replication")


def test_pipelined_through_fresh_connection(setup, module_processes):
    """Requests queued while the proxy is still proving the secret go out after the
    proof, in order."""
    for node in setup["nodes"]:       # the nodes accept but answer nothing yet
        node.sigstop()
    try:
        proxy = module_processes.proxy(setup["nodes"], name="fresh-proxy", start=False,
                                       options={"cluster-secret": SECRET}).start(wait=False)
        wait_ready(proxy)
        with proxy.raw(timeout=10) as client:
            client.send(b"".join(f"SET fresh:{i} {i}\r\nGET fresh:{i}\r\n".encode()
                                 for i in range(20)))
            time.sleep(0.3)
            for node in setup["nodes"]:
                node.sigcont()
            got = [client.read_reply() for _ in range(40)]
    finally:
        for node in setup["nodes"]:
            node.sigcont()
    assert got == [reply for i in range(20)
                   for reply in (b"+OK\r\n", f"${len(str(i))}\r\n{i}\r\n".encode())]
    proxy.stop()


def test_secret_then_node_password(module_processes):
    """AUTH with node-password goes after the proof; both must be right."""
    node = wait_ready(module_processes.node(
        index=5, name="secret-auth-node", start=False,
        options={"cluster-secret": SECRET, "requirepass": "node-pass-123"}).start(wait=False))
    good = wait_routing(wait_ready(module_processes.proxy(
        [node], name="secret-auth-proxy", start=False,
        options={"cluster-secret": SECRET, "node-password": "node-pass-123"}).start(wait=False)))
    assert good.client().get("routing-probe") == b"1"
    bad = wait_ready(module_processes.proxy(
        [node], name="secret-badauth-proxy", start=False,
        options={"cluster-secret": SECRET, "node-password": "wrong-pass"}).start(wait=False))
    with bad.raw() as client:
        assert client.command("GET", "routing-probe").endswith(b" unavailable\r\n")
    wait_until(lambda: b"the node refused AUTH" in bad.log_path.read_bytes(),
               message="the bad proxy logged the AUTH refusal")
    with member(node) as direct:
        assert direct.command("GET", "routing-probe") == \
            b"-NOAUTH Authentication required.\r\n"
    for server in (good, bad, node):
        server.stop()


@pytest.mark.parametrize("rogue", ["wrong", "none"])
def test_rogue_proxy_refused(setup, rogue):
    proxy = setup[rogue]
    with proxy.raw(timeout=10) as client:
        for i in range(30):
            reply = client.command("GET", f"key:{i}")
            assert reply.startswith(b"-ERR node 127.0.0.1:") and \
                reply.endswith(b" unavailable\r\n"), reply
        assert client.command("SET", "rogue", "1").endswith(b" unavailable\r\n")
    with member(setup["nodes"][0]) as direct:
        assert direct.command("EXISTS", "rogue") == b":0\r\n"


def test_nodes_log_refusals(setup):
    def refused_logged():
        logs = [node.log_path.read_bytes() for node in setup["nodes"]]
        return all(b"Refused cluster member 127.0.0.1:" in log and
                   b"wrong cluster-secret proof" in log for log in logs)
    wait_until(refused_logged, message="every node logged the wrong-secret proxy")
    assert b"requires a cluster secret" in setup["none"].log_path.read_bytes()
    assert b"refused the cluster-secret proof" in setup["wrong"].log_path.read_bytes()


def test_direct_client_refused(setup):
    node = setup["nodes"][1]
    with node.raw() as client:
        assert client.command("GET", "key:5") == NOT_MEMBER
        assert client.command("KEYS", "*") == NOT_MEMBER
        assert client.command("AUTH", "x") == NOT_MEMBER
        assert client.is_closed(timeout=2.0)
    with node.raw() as client:
        assert client.command("QUIT") == b"+OK\r\n"
    result = subprocess.run(["redis-cli", "-p", str(node.port), "GET", "key:5"],
                            capture_output=True, timeout=10)
    assert b"NOAUTH this node accepts cluster members only" in result.stdout + result.stderr


def test_wrong_proofs(setup):
    node = setup["nodes"][2]
    with node.raw() as client:                      # no challenge first
        assert client.command("HERD.PROVE", "proxy", "0" * 64) == PROOF_REFUSED
        assert client.is_closed(timeout=2.0)
    with node.raw() as client:                      # wrong secret
        nonce = challenge(client)
        assert client.command("HERD.PROVE", "proxy", proof_for(WRONG_SECRET, nonce)) == \
            PROOF_REFUSED
        assert client.is_closed(timeout=2.0)
    with node.raw() as client:                      # unknown role
        nonce = challenge(client)
        assert client.command("HERD.PROVE", "admin", proof_for(SECRET, nonce, "admin")) == \
            PROOF_REFUSED
    with node.raw() as first:                       # replay against a new nonce
        old_nonce = challenge(first)
        old_proof = proof_for(SECRET, old_nonce)
        assert first.command("HERD.PROVE", "proxy", old_proof) == b"+OK\r\n"
        assert first.command("HERD.PROVE", "proxy", old_proof).startswith(b"-ERR")
        with node.raw() as second:
            assert challenge(second) != old_nonce
            assert second.command("HERD.PROVE", "proxy", old_proof) == PROOF_REFUSED
    with node.raw() as client:                      # pipelined behind a bad proof
        nonce = challenge(client)
        client.send(b"*3\r\n$10\r\nHERD.PROVE\r\n$5\r\nproxy\r\n$64\r\n" + b"0" * 64 +
                    b"\r\n*3\r\n$3\r\nSET\r\n$8\r\nsmuggled\r\n$1\r\n1\r\n")
        assert client.read_reply() == PROOF_REFUSED
        assert client.is_closed(timeout=2.0)
    with member(node) as direct:
        assert direct.command("EXISTS", "smuggled") == b":0\r\n"
        assert direct.command("HERD.CHALLENGE").startswith(b"-ERR")


def test_internal_commands_never_forwarded(setup, reference):
    for command in (("HERD.CHALLENGE",), ("HERD.PROVE", "proxy", "0" * 64)):
        expected = reference.raw().command(*command)
        assert expected.startswith(b"-ERR unknown command")
        for server in (setup["proxy"], setup["plain"]):
            with server.raw() as client:
                assert client.command(*command) == expected, server.name
    with setup["proxy"].raw() as client:
        assert b"herd.challenge" not in client.command("COMMAND", "LIST")
    with setup["plain"].raw() as client:
        assert b"cluster_secret_required:0" in client.command("INFO", "replication")


def config_error(tmp_path, program, lines):
    path = tmp_path / f"{program}.conf"
    path.write_text("\n".join(lines) + "\n")
    result = run_binary([herd_binary(program), str(path)], timeout=10)
    assert result.returncode != 0
    return path, (result.stdout + result.stderr).decode(errors="replace")


@pytest.mark.parametrize("program", ["herd-node", "herd-proxy"])
def test_config_errors(tmp_path, program):
    node_line = ["node 127.0.0.1:1"] if program == "herd-proxy" else []
    path, output = config_error(tmp_path, program,
                                node_line + ["port 1", "cluster-secret short-secret!"])
    assert f"{path}:{len(node_line) + 2}:" in output and "at least 16 bytes" in output
    assert "short-secret!" not in output
    secret_file = tmp_path / "short.secret"
    secret_file.write_text("tiny-secret\n")
    path, output = config_error(tmp_path, program,
                                node_line + [f"cluster-secret-file {secret_file}"])
    assert f"{path}:{len(node_line) + 1}:" in output and "at least 16 bytes" in output
    assert "tiny-secret" not in output
    path, output = config_error(tmp_path, program,
                                [f"cluster-secret-file {tmp_path / 'missing'}"] + node_line)
    assert f"{path}:1:" in output and "cannot read" in output


def test_secret_never_logged(setup):
    """Last: every log written by the module's processes so far."""
    for server in setup["all"]:
        log = server.log_path.read_bytes()
        assert SECRET.encode() not in log, server.name
        assert WRONG_SECRET.encode() not in log, server.name
