"""
harness.py -- real processes for herd's integration tests.

Starts herd-node, herd-proxy, redis-server and nutcracker on free loopback
ports, each with its own config file and log in a per-test directory, waits
until each answers PING, and stops each by its PID (SIGTERM, then SIGKILL).
Stopping checks what a clean shutdown must look like: exit status 0 after
SIGTERM and no sanitizer report in the log.

Also holds RespClient, a raw-socket RESP client that returns the exact bytes
of each reply, so tests can compare herd with Redis byte for byte.

Every process started here is remembered by PID.  Three safety nets make sure
none outlives the test run: the pytest fixtures stop them in teardown, an
atexit hook kills any the fixtures missed, and each child asks the kernel to
SIGKILL it if the test process dies (PR_SET_PDEATHSIG).  Nothing is ever
killed by name.
"""

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import redis

REPO_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"

# Sanitizer builds start several times slower; both can be raised by env.
START_TIMEOUT = float(os.environ.get("HERD_START_TIMEOUT", "20"))
STOP_TIMEOUT = float(os.environ.get("HERD_STOP_TIMEOUT", "15"))

# Lines that mean a sanitizer found something.
SANITIZER_MARKERS = (
    b"AddressSanitizer",
    b"LeakSanitizer",
    b"UndefinedBehaviorSanitizer",
    b"runtime error:",
)

DEFAULT_ASAN_OPTIONS = "detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=1"
DEFAULT_UBSAN_OPTIONS = "print_stacktrace=1:halt_on_error=1"


class ProcessError(Exception):
    """A process failed to start, died, or did not shut down cleanly."""


class ConnectionClosed(Exception):
    """The peer closed the connection; `partial` holds unparsed bytes."""

    def __init__(self, partial=b""):
        super().__init__("connection closed by peer"
                         + (f" after {bytes(partial[:200])!r}" if partial else ""))
        self.partial = bytes(partial)


# ---------------------------------------------------------------------------
# Paths and environment
# ---------------------------------------------------------------------------

def build_dir():
    """The directory holding herd-node and herd-proxy ($HERD_BUILD_DIR)."""
    path = Path(os.environ.get("HERD_BUILD_DIR", "build"))
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def herd_binary(name):
    """Path of a herd binary; ProcessError when it was not built."""
    path = build_dir() / name
    if not os.access(path, os.X_OK):
        raise ProcessError(f"{path} does not exist or is not executable: run `make`"
                           " (or set HERD_BUILD_DIR)")
    return str(path)


def is_sanitized_build():
    """True when the binaries come from `make SANITIZE=1`."""
    return "sanitize" in build_dir().name


def child_environment():
    """The environment for started processes: sanitizer options default on."""
    environment = dict(os.environ)
    environment.setdefault("ASAN_OPTIONS", DEFAULT_ASAN_OPTIONS)
    environment.setdefault("UBSAN_OPTIONS", DEFAULT_UBSAN_OPTIONS)
    return environment


# ---------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------

_handed_out_ports = set()
_port_lock = threading.Lock()


def free_port():
    """A loopback TCP port nobody listens on (bind port 0, then release).

    Ports already handed out in this run are never handed out again, so two
    processes of one test cannot be given the same port.
    """
    with _port_lock:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind((LOOPBACK, 0))
                port = probe.getsockname()[1]
            if port not in _handed_out_ports:
                _handed_out_ports.add(port)
                return port
    raise ProcessError("could not find a free loopback port")


# ---------------------------------------------------------------------------
# The safety net: every PID we started
# ---------------------------------------------------------------------------

_live_processes = {}
_live_lock = threading.Lock()


def _remember(process):
    with _live_lock:
        _live_processes[process.pid] = process


def _forget(process):
    with _live_lock:
        _live_processes.pop(process.pid, None)


def kill_leftovers():
    """SIGKILL every process this module started and nobody stopped."""
    with _live_lock:
        leftovers = list(_live_processes.values())
        _live_processes.clear()
    for process in leftovers:
        if process.poll() is None:
            try:
                os.kill(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


atexit.register(kill_leftovers)

_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:
    _libc = None


def _die_with_parent():
    """Runs in the child before exec: SIGKILL me if the test run dies."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spawn(command, log_path, cwd=None):
    """Popen with stdout+stderr appended to log_path; remembered by PID."""
    with open(log_path, "ab") as log:
        log.write(f"==== harness {time.strftime('%H:%M:%S')}: {' '.join(command)}\n"
                  .encode())
        log.flush()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, cwd=cwd,
                                   env=child_environment(),
                                   preexec_fn=_die_with_parent)
    _remember(process)
    return process


def run_binary(command, timeout=10, cwd=None):
    """Runs a short-lived command; returns CompletedProcess (text output).

    On timeout the child is killed by its PID (subprocess does that) and
    ProcessError names the command.
    """
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, cwd=cwd, env=child_environment(),
                              preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired as error:
        output = (error.stdout or b"") + (error.stderr or b"")
        raise ProcessError(f"{command} did not finish within {timeout}s; output:\n"
                           f"{output[-2000:].decode(errors='replace')}") from None


def sanitizer_report_lines(data):
    """The lines of `data` (bytes) that carry a sanitizer marker."""
    return [line for line in data.splitlines()
            if any(marker in line for marker in SANITIZER_MARKERS)]


# ---------------------------------------------------------------------------
# RESP
# ---------------------------------------------------------------------------

def encode_command(*args):
    """A RESP multibulk request; str args are UTF-8, int args decimal."""
    parts = [b"*%d\r\n" % len(args)]
    for argument in args:
        if isinstance(argument, str):
            argument = argument.encode()
        elif isinstance(argument, int):
            argument = str(argument).encode()
        parts.append(b"$%d\r\n" % len(argument))
        parts.append(argument)
        parts.append(b"\r\n")
    return b"".join(parts)


def _line_end(buffer, position):
    """Index of the '\\r\\n' ending the line at position, or -1."""
    return buffer.find(b"\r\n", position)


def reply_end(buffer, position=0):
    """End offset of the complete reply starting at position, or None.

    Knows RESP2 and the RESP3 types; raises ValueError on a malformed reply.
    """
    end = _line_end(buffer, position)
    if end < 0:
        return None
    kind = buffer[position:position + 1]
    header = bytes(buffer[position + 1:end])
    after = end + 2
    if kind in (b"+", b"-", b":", b",", b"_", b"#", b"("):
        return after
    if kind in (b"$", b"=", b"!"):
        length = int(header)
        if length < 0:
            return after
        if len(buffer) < after + length + 2:
            return None
        return after + length + 2
    if kind in (b"*", b"~", b">", b"%", b"|"):
        count = int(header)
        if count < 0:
            return after
        if kind in (b"%", b"|"):
            count *= 2
        for _ in range(count):
            after = reply_end(buffer, after)
            if after is None:
                return None
        return after
    raise ValueError(f"not a RESP reply: {bytes(buffer[position:position + 60])!r}")


class Status(bytes):
    """A +simple string reply."""


class ErrorReply(bytes):
    """A -error reply (returned, not raised)."""


def parse_reply(raw):
    """Parses one complete raw reply into Python values.

    +x -> Status(b'x'), -x -> ErrorReply(b'x'), :n -> int, $ -> bytes or
    None, * -> list or None.
    """
    value, end = _parse(bytes(raw), 0)
    if end != len(raw):
        raise ValueError(f"trailing bytes after reply: {raw[end:end + 60]!r}")
    return value


def _parse(raw, position):
    end = raw.index(b"\r\n", position)
    kind = raw[position:position + 1]
    header = raw[position + 1:end]
    after = end + 2
    if kind == b"+":
        return Status(header), after
    if kind == b"-":
        return ErrorReply(header), after
    if kind == b":":
        return int(header), after
    if kind == b"$":
        length = int(header)
        if length < 0:
            return None, after
        return raw[after:after + length], after + length + 2
    if kind == b"*":
        count = int(header)
        if count < 0:
            return None, after
        items = []
        for _ in range(count):
            item, after = _parse(raw, after)
            items.append(item)
        return items, after
    raise ValueError(f"unsupported reply type {kind!r}")


class RespClient:
    """A raw RESP connection that hands back the exact bytes of each reply.

    `rcvbuf` shrinks the socket's receive buffer (set before connecting),
    which output-buffer tests need so the server cannot park megabytes in
    the kernel.
    """

    def __init__(self, host, port, timeout=10.0, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect((host, port))
        except OSError:
            self.sock.close()
            raise
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def settimeout(self, timeout):
        self.sock.settimeout(timeout)

    def send(self, data):
        """Sends raw bytes."""
        self.sock.sendall(data)

    def send_command(self, *args):
        self.send(encode_command(*args))

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionClosed(self.buffer)
        self.buffer += data

    def read_reply(self):
        """The raw bytes of the next complete reply."""
        while True:
            end = reply_end(self.buffer) if self.buffer else None
            if end is not None:
                raw = bytes(self.buffer[:end])
                del self.buffer[:end]
                return raw
            self._fill()

    def command(self, *args):
        """Sends one command; returns its raw reply bytes."""
        self.send_command(*args)
        return self.read_reply()

    def call(self, *args):
        """Sends one command; returns its parsed reply."""
        return parse_reply(self.command(*args))

    def pipeline(self, commands):
        """Sends every command in one write; returns the raw replies in order."""
        self.send(b"".join(encode_command(*command) for command in commands))
        return [self.read_reply() for _ in commands]

    def read_until_closed(self, timeout=5.0):
        """Reads until the peer closes or `timeout` passes.

        Returns (bytes received, closed?).  A reset counts as closed.
        """
        deadline = time.monotonic() + timeout
        data = bytes(self.buffer)
        self.buffer.clear()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return data, False
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                return data, False
            except (ConnectionResetError, BrokenPipeError):
                return data, True
            if not chunk:
                return data, True
            data += chunk

    def is_closed(self, timeout=0.2):
        """True when the peer has closed (nothing else arrives in timeout)."""
        data, closed = self.read_until_closed(timeout)
        self.buffer[:0] = data
        return closed


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

_claimed_directories = set()


def _claim_directory(parent, name):
    """Creates parent/name, or parent/name-2, -3... if a process of this run
    already has it; the final directory name becomes the process's name."""
    candidate, number = parent / name, 2
    while candidate in _claimed_directories:
        candidate = parent / f"{name}-{number}"
        number += 1
    _claimed_directories.add(candidate)
    candidate.mkdir(parents=True, exist_ok=True)
    return candidate


class ServerProcess:
    """One server process: config file, log, start, wait for PING, stop.

    Subclasses give `kind`, config_text() and command().
    """

    kind = "server"
    # Exit statuses that count as a clean stop after SIGTERM.
    clean_exit_statuses = (0,)

    def __init__(self, workdir, name=None, port=None):
        self.workdir = _claim_directory(Path(workdir), name or self.kind)
        self.name = self.workdir.name
        self.host = LOOPBACK
        self.port = port or free_port()
        self.config_path = self.workdir / f"{self.kind}.conf"
        self.log_path = self.workdir / f"{self.kind}.log"
        self.process = None
        self.problems = []           # what stop() found wrong, not yet raised
        self._expect_death = False   # kill9() was called
        self._log_checked = 0        # log offset already scanned

    def __repr__(self):
        state = f"pid {self.process.pid}" if self.process else "stopped"
        return f"<{self.kind} {self.name} {self.host}:{self.port} {state}>"

    # -- what subclasses provide --------------------------------------------

    def config_text(self):
        raise NotImplementedError

    def command(self):
        raise NotImplementedError

    # -- lifecycle -----------------------------------------------------------

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def running(self):
        return self.process is not None and self.process.poll() is None

    def start(self, wait=True):
        """Writes the config and starts the process; waits for PING."""
        if self.running():
            raise ProcessError(f"{self!r} is already running")
        if self.process is not None:
            self._reap_previous()
        self.config_path.write_text(self.config_text())
        self._expect_death = False
        self.process = spawn(self.command(), self.log_path, cwd=self.workdir)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=START_TIMEOUT):
        """Waits until the process answers PING with +PONG."""
        deadline = time.monotonic() + timeout
        last_error = None
        while True:
            status = self.process.poll()
            if status is not None:
                raise ProcessError(f"{self.name} exited with status {status} while "
                                   f"starting; log {self.log_path}:\n{self.log_tail()}")
            try:
                with RespClient(self.host, self.port, timeout=1.0) as probe:
                    reply = probe.command("PING")
                if reply == b"+PONG\r\n":
                    return
                last_error = f"PING answered {reply!r}"
            except (OSError, ConnectionClosed, ValueError) as error:
                last_error = repr(error)
            if time.monotonic() > deadline:
                raise ProcessError(f"{self.name} did not answer PING on port {self.port}"
                                   f" within {timeout}s ({last_error}); log "
                                   f"{self.log_path}:\n{self.log_tail()}")
            time.sleep(0.02)

    def stop(self, check=True):
        """SIGTERM, wait, SIGKILL if needed; then checks status and log.

        Problems found (status other than 0, a hang, a sanitizer report, an
        unexpected earlier death) raise ProcessError when `check`, else they
        stay in self.problems for a later check.
        """
        process = self.process
        if process is not None:
            status = process.poll()
            if status is None:
                self._terminate(process)
            elif not self._expect_death:
                self.problems.append(f"{self.name} had died before the stop "
                                     f"(status {status})")
            _forget(process)
            self.process = None
        self.check_log()
        if check:
            self.raise_problems()

    def _reap_previous(self):
        """Forgets a process that already ended (noting it if nobody killed it)."""
        if not self._expect_death:
            self.problems.append(f"{self.name} had died by itself "
                                 f"(status {self.process.returncode})")
        _forget(self.process)
        self.process = None

    def _terminate(self, process):
        os.kill(process.pid, signal.SIGTERM)
        try:
            status = process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            self.problems.append(f"{self.name} ignored SIGTERM for {STOP_TIMEOUT}s "
                                 "and was killed")
            return
        if status not in self.clean_exit_statuses:
            self.problems.append(f"{self.name} exited with status {status} after SIGTERM")

    def kill9(self):
        """SIGKILL the process (a crash) and reap it."""
        process = self.process
        if process is None:
            return
        self._expect_death = True
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        _forget(process)

    def sigstop(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def sigcont(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def restart(self, wait=True):
        """Stops (cleanly, if it runs) and starts again: same port, same data."""
        if self.process is not None:
            self.stop()
        return self.start(wait=wait)

    def check_log(self):
        """Adds a problem for every sanitizer report in the new part of the log."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_checked)
                new = log.read()
        except FileNotFoundError:
            return
        self._log_checked += len(new)
        lines = sanitizer_report_lines(new)
        if lines:
            shown = b"\n".join(lines[:20]).decode(errors="replace")
            self.problems.append(f"{self.name} logged a sanitizer report "
                                 f"({self.log_path}):\n{shown}")

    def raise_problems(self):
        if self.problems:
            problems, self.problems = self.problems, []
            raise ProcessError("\n".join(problems))

    def log_tail(self, lines=40):
        try:
            data = self.log_path.read_bytes()
        except FileNotFoundError:
            return "(no log)"
        return b"\n".join(data.splitlines()[-lines:]).decode(errors="replace")

    # -- clients -------------------------------------------------------------

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def client(self, **options):
        """A redis-py client (decode_responses=False)."""
        options.setdefault("socket_timeout", 10)
        options.setdefault("socket_connect_timeout", 5)
        return redis.Redis(host=self.host, port=self.port, decode_responses=False,
                           **options)

    def raw(self, timeout=10.0, rcvbuf=None):
        """A RespClient connected to this process."""
        return RespClient(self.host, self.port, timeout=timeout, rcvbuf=rcvbuf)


def _option_lines(options):
    """Config lines from a dict; a list value gives one line per item."""
    lines = []
    for name, value in (options or {}).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            lines.append(f"{name} {item}")
    return lines


class HerdNode(ServerProcess):
    """A herd-node with its own data directory.

    `options` adds or overrides config lines; `arguments` are extra
    command-line arguments (`--name value`).
    """

    kind = "herd-node"

    def __init__(self, workdir, index=0, fsync="everysec", options=None,
                 arguments=(), name=None, port=None):
        super().__init__(workdir, name=name or f"node{index}", port=port)
        self.index = index
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(exist_ok=True)
        self.options = {
            "bind": LOOPBACK,
            "port": self.port,
            "dir": str(self.data_dir),
            "node-index": index,
            "fsync": fsync,
            "tc-buckets": 65536,
            "tc-mmap-size": "16mb",
            "loglevel": "notice",
        }
        self.options.update(options or {})
        self.arguments = list(arguments)

    def config_text(self):
        return "\n".join(_option_lines(self.options)) + "\n"

    def command(self):
        return [herd_binary("herd-node"), str(self.config_path)] + self.arguments


class HerdProxy(ServerProcess):
    """A herd-proxy in front of the given nodes (HerdNode objects)."""

    kind = "herd-proxy"

    def __init__(self, workdir, nodes, replicas=1, options=None, arguments=(),
                 name="proxy", port=None):
        super().__init__(workdir, name=name, port=port)
        self.nodes = list(nodes)
        self.options = {
            "bind": LOOPBACK,
            "port": self.port,
            "replicas": replicas,
            "node-timeout": 2000,
            "node-reconnect-interval": 100,
            "loglevel": "notice",
        }
        self.options.update(options or {})
        self.arguments = list(arguments)

    def config_text(self):
        lines = _option_lines(self.options)
        lines += [f"node {node.address} {node.name}" for node in self.nodes]
        return "\n".join(lines) + "\n"

    def command(self):
        return [herd_binary("herd-proxy"), str(self.config_path)] + self.arguments


class RedisServer(ServerProcess):
    """A real redis-server without persistence (the reference for replies)."""

    kind = "redis-server"

    def __init__(self, workdir, options=None, name=None, port=None):
        super().__init__(workdir, name=name or "redis", port=port)
        self.options = {
            "bind": LOOPBACK,
            "port": self.port,
            "save": '""',
            "appendonly": "no",
            "daemonize": "no",
            "dir": str(self.workdir),
            "logfile": '""',
        }
        self.options.update(options or {})

    def config_text(self):
        return "\n".join(_option_lines(self.options)) + "\n"

    def command(self):
        return ["redis-server", str(self.config_path)]


class Nutcracker(ServerProcess):
    """nutcracker (twemproxy) in front of redis-servers, for comparisons."""

    kind = "nutcracker"
    # nutcracker re-raises SIGTERM after its cleanup; that is its clean stop.
    clean_exit_statuses = (0, -signal.SIGTERM)

    def __init__(self, workdir, servers, name=None, port=None):
        super().__init__(workdir, name=name or "nutcracker", port=port)
        self.servers = list(servers)
        self.stats_port = free_port()

    def config_text(self):
        lines = ["herd:", f"  listen: {LOOPBACK}:{self.port}", "  hash: fnv1a_64",
                 "  distribution: ketama", "  redis: true", "  servers:"]
        lines += [f"   - {server.address}:1 {server.name}" for server in self.servers]
        return "\n".join(lines) + "\n"

    def command(self):
        return ["nutcracker", "-c", str(self.config_path), "-s", str(self.stats_port),
                "-a", LOOPBACK]


def stop_processes(processes, check=True):
    """Stops each process in order; raises every problem at once."""
    problems = []
    for process in processes:
        try:
            process.stop()
        except ProcessError as error:
            problems.append(str(error))
    if problems and check:
        raise ProcessError("\n".join(problems))


class Cluster:
    """N herd-nodes and one herd-proxy whose config lists them."""

    def __init__(self, workdir, node_count=3, replicas=1, fsync="everysec",
                 node_options=None, proxy_options=None):
        self.workdir = Path(workdir)
        self.nodes = [HerdNode(self.workdir, index=index, fsync=fsync,
                               options=node_options)
                      for index in range(node_count)]
        self.proxy = HerdProxy(self.workdir, self.nodes, replicas=replicas,
                               options=proxy_options)

    def start(self):
        """Starts every node (in parallel), then the proxy; waits for routing."""
        for node in self.nodes:
            node.start(wait=False)
        for node in self.nodes:
            node.wait_ready()
        self.proxy.start()
        self.wait_routable()
        return self

    def wait_routable(self, timeout=START_TIMEOUT):
        """Waits until GETs of keys spread over every node are answered."""
        deadline = time.monotonic() + timeout
        commands = [("GET", f"harness:ready:{index}") for index in range(32)]
        last = None
        while True:
            try:
                with self.proxy.raw(timeout=5) as probe:
                    replies = probe.pipeline(commands)
                if all(reply.startswith(b"$") for reply in replies):
                    return
                last = next(reply for reply in replies if not reply.startswith(b"$"))
            except (OSError, ConnectionClosed, ValueError) as error:
                last = repr(error)
            if time.monotonic() > deadline:
                raise ProcessError(f"herd-proxy did not route GETs within {timeout}s "
                                   f"(last: {last!r}); log {self.proxy.log_path}:\n"
                                   f"{self.proxy.log_tail()}")
            time.sleep(0.05)

    def processes(self):
        return [self.proxy] + self.nodes

    def stop(self, check=True):
        """Stops the proxy, then the nodes; raises every problem at once."""
        stop_processes(self.processes(), check)

    def client(self, **options):
        return self.proxy.client(**options)

    def raw(self, **options):
        return self.proxy.raw(**options)

    def nodes_holding(self, key):
        """The nodes that hold `key`, asked directly (EXISTS on each)."""
        holders = []
        for node in self.nodes:
            if not node.running():
                continue
            with node.raw(timeout=5) as connection:
                if connection.command("EXISTS", key) == b":1\r\n":
                    holders.append(node)
        return holders


class ProcessGroup:
    """Everything one test (or module) started; stop_all() stops it all.

    The fixtures in conftest.py yield one of these and call stop_all() in
    their teardown, so processes stop even when the test fails, and a bad
    shutdown (status, sanitizer report) fails the test.
    """

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.members = []

    def _add(self, member):
        self.members.append(member)
        return member

    def node(self, start=True, **options):
        node = self._add(HerdNode(self.workdir, **options))
        return node.start() if start else node

    def proxy(self, nodes, start=True, **options):
        proxy = self._add(HerdProxy(self.workdir, nodes, **options))
        return proxy.start() if start else proxy

    def redis(self, start=True, **options):
        server = self._add(RedisServer(self.workdir, **options))
        return server.start() if start else server

    def nutcracker(self, servers, start=True, **options):
        proxy = self._add(Nutcracker(self.workdir, servers, **options))
        return proxy.start() if start else proxy

    def cluster(self, start=True, **options):
        cluster = self._add(Cluster(self.workdir, **options))
        return cluster.start() if start else cluster

    def stop_all(self):
        problems = []
        for member in reversed(self.members):
            try:
                member.stop()
            except ProcessError as error:
                problems.append(str(error))
        self.members.clear()
        if problems:
            raise ProcessError("\n".join(problems))


def wait_answering(server, accepted, timeout=15.0):
    """Waits until `server` (started with start=False, then started) answers
    a raw PING with one of the `accepted` raw replies (e.g. a NOAUTH error
    counts as "up" for a server that wants a password); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise ProcessError(f"{server.name} exited:\n{server.log_tail()}")
        try:
            with server.raw(timeout=1.0) as probe:
                if probe.command("PING") in accepted:
                    return server
        except (OSError, ConnectionClosed, ValueError):
            pass
        if time.monotonic() > deadline:
            raise ProcessError(f"{server.name} not ready:\n{server.log_tail()}")
        time.sleep(0.02)


def wait_until(predicate, timeout=10.0, interval=0.05, message="condition"):
    """Polls predicate() until it returns a true value; returns that value."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 -- reported below
            last_error = error
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}"
                                 + (f" (last error: {last_error!r})" if last_error else ""))
        time.sleep(interval)
