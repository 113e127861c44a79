"""
test_config.py -- configuration errors, command-line overrides, --help and
--version of herd-node and herd-proxy.

A bad config line must stop the program with exit status 1 and an error
that names the file and the line ("bad.conf:3: ...") and the problem.
"""

import re
import socket

import pytest

from harness import free_port, herd_binary, run_binary

PROGRAMS = ["herd-node", "herd-proxy"]

NODE_OPTIONS = ["bind", "port", "dir", "node-index", "fsync", "maxclients", "timeout",
                "proto-max-bulk-len", "proto-max-multibulk-len", "proto-inline-max-size",
                "client-query-buffer-limit", "client-output-buffer-limit", "hz",
                "tc-buckets", "tc-mmap-size", "loglevel", "logfile", "pidfile"]
PROXY_OPTIONS = ["bind", "port", "node", "replicas", "node-timeout",
                 "node-reconnect-interval", "maxclients", "timeout", "proto-max-bulk-len",
                 "proto-max-multibulk-len", "proto-inline-max-size",
                 "client-query-buffer-limit", "client-output-buffer-limit", "max-pipeline",
                 "loglevel", "logfile", "pidfile", "distribution", "hash", "hash-tag",
                 "auto-eject-hosts", "server-failure-limit", "server-retry-timeout"]


def valid_lines(program, tmp_path):
    """Config lines that are fine on their own (the bad line goes after them)."""
    lines = ["# a comment line", "bind 127.0.0.1", f"port {free_port()}"]
    if program == "herd-node":
        data = tmp_path / "data"
        data.mkdir(exist_ok=True)
        lines.append(f"dir {data}")
    else:
        lines.append(f"node 127.0.0.1:{free_port()} n1")
    return lines


def run_with_config(program, tmp_path, bad_line=None, arguments=()):
    """Writes valid lines plus bad_line; runs the program; returns
    (completed process, config path, line number of the bad line)."""
    lines = valid_lines(program, tmp_path)
    if bad_line is not None:
        lines.append(bad_line)
    path = tmp_path / "bad.conf"
    path.write_text("\n".join(lines) + "\n")
    result = run_binary([herd_binary(program), str(path), *arguments], timeout=10)
    return result, path, len(lines)


def output_of(result):
    return (result.stdout + result.stderr).decode(errors="replace")


BAD_LINES = {
    "unknown-option": ("no-such-option 5", ["no-such-option"]),
    "bad-integer": ("port abc", ["port", "abc"]),
    "integer-out-of-range": ("port 70000", ["port", "70000"]),
    "negative-integer": ("maxclients -5", ["maxclients", "-5"]),
    "bad-enum": ("loglevel loud", ["loglevel", "loud"]),
    "bad-memory": ("client-query-buffer-limit lots", ["client-query-buffer-limit", "lots"]),
    "missing-value": ("timeout", ["timeout"]),
    "too-many-values": ("port 1 2", ["port"]),
}


@pytest.mark.parametrize("case", list(BAD_LINES))
@pytest.mark.parametrize("program", PROGRAMS)
def test_bad_config_line(tmp_path, program, case):
    line, words = BAD_LINES[case]
    result, path, number = run_with_config(program, tmp_path, line)
    output = output_of(result)
    assert result.returncode == 1, f"exit status {result.returncode}; output:\n{output}"
    assert f"{path.name}:{number}" in output, f"no '{path.name}:{number}' in:\n{output}"
    for word in words:
        assert word in output, f"the error does not mention {word!r}:\n{output}"


@pytest.mark.parametrize("program", PROGRAMS)
def test_bad_fsync_enum_for_node_and_replicas_for_proxy(tmp_path, program):
    line = "fsync sometimes" if program == "herd-node" else "replicas many"
    result, path, number = run_with_config(program, tmp_path, line)
    output = output_of(result)
    assert result.returncode == 1, output
    assert f"{path.name}:{number}" in output, output
    assert line.split()[1] in output, output


@pytest.mark.parametrize("program", PROGRAMS)
def test_missing_config_file(tmp_path, program):
    missing = tmp_path / "does-not-exist.conf"
    result = run_binary([herd_binary(program), str(missing)], timeout=10)
    output = output_of(result)
    assert result.returncode == 1, output
    assert "does-not-exist.conf" in output, output


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("arguments", [["--port", "abc"], ["--no-such-option", "1"],
                                       ["--loglevel", "loud"]],
                         ids=["bad-integer", "unknown", "bad-enum"])
def test_bad_override(tmp_path, program, arguments):
    result, _, _ = run_with_config(program, tmp_path, None, arguments)
    output = output_of(result)
    assert result.returncode == 1, output
    assert arguments[0].lstrip("-") in output, output
    assert arguments[1] in output or arguments[0] == "--no-such-option", output


def _listening(port):
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_override_port_node(processes):
    config_port, real_port = free_port(), free_port()
    node = processes.node(port=real_port, options={"port": config_port},
                          arguments=["--port", str(real_port)])
    assert f"port {config_port}" in node.config_path.read_text()
    assert node.client().ping()
    assert not _listening(config_port)


def test_override_port_proxy(processes):
    node = processes.node()
    config_port, real_port = free_port(), free_port()
    proxy = processes.proxy([node], port=real_port, options={"port": config_port},
                            arguments=["--port", str(real_port), "--maxclients", "50"])
    assert proxy.client().set("override", "ok")
    assert not _listening(config_port)


def test_override_applies_after_file(processes):
    """--maxclients 1 overrides the file's value: a second client is refused."""
    node = processes.node(options={"maxclients": 100}, arguments=["--maxclients", "1"])
    with node.raw() as first:
        assert first.command("PING") == b"+PONG\r\n"
        with node.raw() as second:
            received, closed = second.read_until_closed(timeout=0.5)
            if not closed:
                second.send(b"PING\r\n")
                more, closed = second.read_until_closed(timeout=5)
                received += more
            assert received == b"-ERR max number of clients reached\r\n"


@pytest.mark.parametrize("program", PROGRAMS)
def test_help(program):
    result = run_binary([herd_binary(program), "--help"], timeout=10)
    output = output_of(result)
    assert result.returncode == 0, output
    assert program in output
    names = NODE_OPTIONS if program == "herd-node" else PROXY_OPTIONS
    missing = [name for name in names
               if not re.search(rf"(?:^|[\s\"'`]|--){re.escape(name)}(?![\w-])", output, re.M)]
    assert not missing, f"--help does not list {missing}:\n{output}"


@pytest.mark.parametrize("program", PROGRAMS)
def test_version(program):
    result = run_binary([herd_binary(program), "--version"], timeout=10)
    output = output_of(result)
    assert result.returncode == 0, output
    assert "herd" in output.lower(), output
    assert re.search(r"\d+\.\d+", output), output
    assert len(output.strip().splitlines()) <= 3, output
