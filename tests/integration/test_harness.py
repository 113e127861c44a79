"""
test_harness.py -- the harness itself, checked against redis-server and
nutcracker (which exist today), so a broken harness is told apart from a
broken herd.
"""

import pytest

import harness
from harness import ErrorReply, ProcessError, RespClient, Status, parse_reply


def test_resp_client_returns_exact_reply_bytes(processes):
    server = processes.redis()
    with server.raw() as connection:
        assert connection.command("PING") == b"+PONG\r\n"
        assert connection.command("SET", "k", b"a\r\nb") == b"+OK\r\n"
        assert connection.command("GET", "k") == b"$4\r\na\r\nb\r\n"
        assert connection.command("GET", "missing") == b"$-1\r\n"
        assert connection.command("MGET", "k", "missing") == b"*2\r\n$4\r\na\r\nb\r\n$-1\r\n"
        assert connection.command("INCR", "k").startswith(b"-ERR value is not an integer")
        assert connection.pipeline([("PING",), ("ECHO", "x")]) == [b"+PONG\r\n", b"$1\r\nx\r\n"]


def test_parse_reply():
    assert parse_reply(b"+OK\r\n") == Status(b"OK")
    assert isinstance(parse_reply(b"-ERR x\r\n"), ErrorReply)
    assert parse_reply(b":-5\r\n") == -5
    assert parse_reply(b"$-1\r\n") is None
    assert parse_reply(b"*2\r\n$1\r\na\r\n*1\r\n:1\r\n") == [b"a", [1]]
    assert harness.reply_end(b"*2\r\n$1\r\na\r\n") is None


def test_kill9_and_restart_keep_the_port(processes):
    server = processes.redis()
    port = server.port
    server.kill9()
    assert not server.running()
    server.restart()
    assert server.port == port
    assert server.client().ping()


def test_stop_reports_a_sanitizer_line(processes):
    server = processes.redis()
    with open(server.log_path, "ab") as log:
        log.write(b"==1==ERROR: AddressSanitizer: heap-use-after-free (fake)\n")
    with pytest.raises(ProcessError, match="sanitizer report"):
        server.stop()


def test_stop_reports_an_unexpected_death(processes):
    server = processes.redis()
    server.process.kill()
    server.process.wait()
    with pytest.raises(ProcessError, match="died before the stop"):
        server.stop()


def test_nutcracker_in_front_of_redis(processes):
    backends = [processes.redis(name=f"redis{index}") for index in range(2)]
    proxy = processes.nutcracker(backends)
    client = proxy.client()
    for index in range(20):
        client.set(f"key{index}", index)
    assert client.mget([f"key{index}" for index in range(20)]) == \
        [str(index).encode() for index in range(20)]
    stored = sum(backend.client().dbsize() for backend in backends)
    assert stored == 20


def test_closed_connection_is_seen(processes):
    server = processes.redis()
    with RespClient(server.host, server.port) as connection:
        connection.send(b"QUIT\r\n")
        data, closed = connection.read_until_closed(timeout=5)
        assert data == b"+OK\r\n" and closed
