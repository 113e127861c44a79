"""
test_crash_loop.py -- kill -9 at random moments of a mixed write load, restart
on the same data directory, check everything, repeat (issue 3, "Storage layer").

Each run starts one herd-node (`fsync always`, then `fsync everysec`) and
several client threads.  Every thread owns its keys and sends one command at
a time, so the client knows the exact state of every key it owns: a model
updated when a reply arrives.  The only uncertain write is the one in flight
when the node died; it may or may not have been applied, so its key may hold
either the state before it or the state after it -- nothing else.

Commands of the load: SET, INCR, APPEND, HSET/HDEL, RPUSH/LPOP, SADD/SREM,
ZADD/ZREM, EXPIRE/PERSIST, DEL of big collections and their rebuilding (one
command of thousands of elements).  Every thread keeps one big hash, list,
set and sorted set (2000-3000 elements, some of 10 kB, binary members), so
the collections have stored B+tree pages, and small ones that come and go.

After each kill and restart:
  - every key holds exactly its acknowledged state (or, for the key of the
    write in flight, the state after that write): nothing acknowledged lost,
    nothing invented, TTLs kept;
  - every key a full SCAN returns is readable with its type, and counts
    match: HLEN == len(HGETALL), LLEN == len(LRANGE 0 -1),
    SCARD == len(SMEMBERS), ZCARD == len(ZRANGE 0 -1), STRLEN == len(GET);
    a sorted set comes back in (score, member) order;
  - the keys of a full SCAN are exactly the model's keys, each once, and
    DBSIZE equals their number;
  - the node's log shows no corruption (no dropped record, no checksum
    failure, no fatal storage error).
Every few rounds, and at the end, the node is also stopped cleanly
(SIGTERM: exit status 0) and checked again after starting.  Finally every
key is deleted and the node killed while its background reclaimer is still
removing the deleted collections' pages; after the restart, once the
reclaimer is done, the data file must hold no record at all.

docs/durability.md promises that kill -9 loses no acknowledged write under
any fsync setting (a committed batch is in the page cache), so `everysec`
is held to the same invariants as `always`.

The kill moments come from a seeded generator: the seed is printed (and in
every failure message); HERD_CRASH_SEED=N replays the same command
sequences and kill delays (thread scheduling still varies).
HERD_CRASH_ROUNDS changes the number of rounds (default 30).
"""

import ctypes
import os
import random
import re
import threading
import time

import pytest

from harness import ConnectionClosed, ErrorReply, RespClient, parse_reply

ROUNDS = int(os.environ.get("HERD_CRASH_ROUNDS", "30"))
WORKERS = 3
CLEAN_RESTART_EVERY = 5
BIG_SIZE_RANGE = (2000, 3000)     # elements of a (re)built big collection
LONG_TTL = 100000                 # seconds: never runs out during the test
KILL_DELAY_RANGE = (0.02, 0.5)    # seconds of load before the kill

# Log lines that mean the storage found damage (checked after each restart).
CORRUPTION_PATTERNS = [
    re.compile(rb"corrupt", re.IGNORECASE),
    re.compile(rb"checksum", re.IGNORECASE),
    re.compile(rb"bad header", re.IGNORECASE),
    re.compile(rb"fatal", re.IGNORECASE),
    re.compile(rb"refusing", re.IGNORECASE),
    re.compile(rb"storage: .* failed", re.IGNORECASE),
    re.compile(rb"does not decode|failed to decode|cannot decode", re.IGNORECASE),
]
# The start-up line reports "N corrupt dropped"; only a zero is fine.
ZERO_DROPPED = re.compile(rb"\b0 corrupt dropped")

# tchdbopen() modes (tchdb.h): HDBOREADER, HDBONOLCK.
TC_OPEN_READER = 1 << 0
TC_OPEN_NO_LOCK = 1 << 4

# The type of each key, from its name: "<prefix>:<worker>:<kind>:<n>".
KIND_TYPES = {
    "str": "string", "ctr": "string", "app": "string",
    "h": "hash", "l": "list", "s": "set", "z": "zset",
    "bigh": "hash", "bigl": "list", "bigs": "set", "bigz": "zset",
}
BIG_KINDS = ("bigh", "bigl", "bigs", "bigz")


# ---------------------------------------------------------------------------
# Key states.  A state is None (no key) or (type, value, has_ttl) with value
# bytes (string), dict (hash: field -> value; sorted set: member -> score),
# list (list) or frozenset (set).
# ---------------------------------------------------------------------------

def describe_state(state, limit=3):
    """A short description of a state for failure messages."""
    if state is None:
        return "absent"
    kind, value, has_ttl = state
    ttl = " +ttl" if has_ttl else ""
    if isinstance(value, bytes):
        return f"{kind} {value[:40]!r} ({len(value)} bytes){ttl}"
    if isinstance(value, dict):
        shown = list(value.items())[:limit]
    else:
        shown = list(value)[:limit]
    return f"{kind} of {len(value)} ({shown!r}...){ttl}"


def state_difference(want, got):
    """A description of how two states differ (for one key)."""
    if want is None or got is None or want[0] != got[0]:
        return f"expected {describe_state(want)}, got {describe_state(got)}"
    kind, want_value, want_ttl = want
    _, got_value, got_ttl = got
    if want_ttl != got_ttl:
        return f"expected has_ttl={want_ttl}, got has_ttl={got_ttl}"
    if isinstance(want_value, dict):
        missing = [k for k in want_value if k not in got_value][:3]
        extra = [k for k in got_value if k not in want_value][:3]
        changed = [k for k in want_value
                   if k in got_value and want_value[k] != got_value[k]][:3]
        return (f"{kind}: {len(want_value)} expected, {len(got_value)} found; "
                f"missing {missing!r}, extra {extra!r}, changed {changed!r}")
    if isinstance(want_value, frozenset):
        return (f"set: {len(want_value)} expected, {len(got_value)} found; "
                f"missing {sorted(want_value - got_value)[:3]!r}, "
                f"extra {sorted(got_value - want_value)[:3]!r}")
    if isinstance(want_value, list):
        first = next((i for i, (a, b) in enumerate(zip(want_value, got_value)) if a != b),
                     min(len(want_value), len(got_value)))
        return (f"list: {len(want_value)} expected, {len(got_value)} found; first "
                f"difference at {first}")
    return f"expected {describe_state(want)}, got {describe_state(got)}"


def random_bytes(rng, low, high):
    """Random bytes (including \\0 and \\xff) of a length in [low, high]."""
    return rng.randbytes(rng.randint(low, high))


def element_value(rng):
    """A collection value: mostly short, sometimes 10 kB, always binary-safe."""
    if rng.random() < 0.01:
        return random_bytes(rng, 10000, 12000)
    return random_bytes(rng, 1, 150)


def random_score(rng):
    """A score that prints and parses back exactly (quarters)."""
    return rng.randint(-4000000, 4000000) / 4


# ---------------------------------------------------------------------------
# The per-thread model and the operations it generates
# ---------------------------------------------------------------------------

class Operation:
    """One command, the state its key gets when it is applied, its reply."""

    def __init__(self, key, args, after, reply):
        self.key = key
        self.args = args
        self.after = after
        self.reply = reply


class WorkerModel:
    """The exact state of every key one client thread owns.

    `pending` is (key, before, after) while a command is in flight; it stays
    set when the node dies before the reply arrives.
    """

    def __init__(self, prefix, worker):
        self.worker = worker
        self.prefix = f"{prefix}:{worker}"
        self.states = {}
        self.pending = None
        self.acknowledged = 0
        self.in_flight = {"applied": 0, "not applied": 0}
        self.keys = ([self.key("str", n) for n in range(5)]
                     + [self.key("ctr", n) for n in range(3)]
                     + [self.key("app", n) for n in range(3)]
                     + [self.key(kind, n) for kind in ("h", "l", "s", "z") for n in range(3)]
                     + [self.key(kind, 0) for kind in BIG_KINDS])

    def key(self, kind, number):
        return f"{self.prefix}:{kind}:{number}".encode()

    @staticmethod
    def kind_of(key):
        return key.split(b":")[-2].decode()

    def state(self, key):
        return self.states.get(key)

    def acknowledge(self, operation):
        if operation.after is None:
            self.states.pop(operation.key, None)
        else:
            self.states[operation.key] = operation.after
        self.acknowledged += 1

    # -- choosing the next command ------------------------------------------

    def next_operation(self, rng):
        """The next command for this thread (None: nothing applicable)."""
        for kind in BIG_KINDS:
            if self.state(self.key(kind, 0)) is None and rng.random() < 0.3:
                return self.rebuild(rng, self.key(kind, 0))
        choice = rng.random()
        if choice < 0.08:
            return self.op_set(rng)
        if choice < 0.16:
            return self.op_incr(rng)
        if choice < 0.22:
            return self.op_append(rng)
        if choice < 0.34:
            return self.op_hash(rng)
        if choice < 0.48:
            return self.op_list(rng)
        if choice < 0.62:
            return self.op_set_type(rng)
        if choice < 0.78:
            return self.op_zset(rng)
        if choice < 0.86:
            return self.op_expire(rng)
        if choice < 0.90:
            return self.op_persist(rng)
        if choice < 0.92:
            return self.op_delete_big(rng)
        return self.op_delete_small(rng)

    def pick(self, rng, small_kind, big_kind):
        """A small key of the kind, or the big one (half the time)."""
        if rng.random() < 0.5:
            return self.key(big_kind, 0), 4000
        return self.key(small_kind, rng.randrange(3)), 12

    @staticmethod
    def ttl_of(state):
        return state[2] if state is not None else False

    def op_set(self, rng):
        key = self.key("str", rng.randrange(5))
        value = random_bytes(rng, 0, 200) if rng.random() < 0.9 else random_bytes(rng, 9000, 20000)
        return Operation(key, ("SET", key, value), ("string", value, False), b"OK")

    def op_incr(self, rng):
        key = self.key("ctr", rng.randrange(3))
        state = self.state(key)
        number = int(state[1]) + 1 if state is not None else 1
        return Operation(key, ("INCR", key),
                         ("string", b"%d" % number, self.ttl_of(state)), number)

    def op_append(self, rng):
        key = self.key("app", rng.randrange(3))
        state = self.state(key)
        chunk = random_bytes(rng, 1, 40)
        value = (state[1] if state is not None else b"") + chunk
        return Operation(key, ("APPEND", key, chunk),
                         ("string", value, self.ttl_of(state)), len(value))

    def op_hash(self, rng):
        key, space = self.pick(rng, "h", "bigh")
        state = self.state(key)
        fields = dict(state[1]) if state is not None else {}
        field = b"f%d" % rng.randrange(space)
        if rng.random() < 0.6:
            value = element_value(rng)
            reply = 0 if field in fields else 1
            fields[field] = value
            return Operation(key, ("HSET", key, field, value),
                             ("hash", fields, self.ttl_of(state)), reply)
        reply = 1 if fields.pop(field, None) is not None else 0
        after = ("hash", fields, self.ttl_of(state)) if fields else None
        return Operation(key, ("HDEL", key, field), after, reply)

    def op_list(self, rng):
        key, _ = self.pick(rng, "l", "bigl")
        state = self.state(key)
        items = list(state[1]) if state is not None else []
        if rng.random() < 0.6:
            value = element_value(rng)
            items.append(value)
            return Operation(key, ("RPUSH", key, value),
                             ("list", items, self.ttl_of(state)), len(items))
        reply = items.pop(0) if items else None
        after = ("list", items, self.ttl_of(state)) if items else None
        return Operation(key, ("LPOP", key), after, reply)

    def op_set_type(self, rng):
        key, space = self.pick(rng, "s", "bigs")
        state = self.state(key)
        members = set(state[1]) if state is not None else set()
        member = b"m%d\x00\xff" % rng.randrange(space)
        if rng.random() < 0.6:
            reply = 0 if member in members else 1
            members.add(member)
            return Operation(key, ("SADD", key, member),
                             ("set", frozenset(members), self.ttl_of(state)), reply)
        reply = 1 if member in members else 0
        members.discard(member)
        after = ("set", frozenset(members), self.ttl_of(state)) if members else None
        return Operation(key, ("SREM", key, member), after, reply)

    def op_zset(self, rng):
        key, space = self.pick(rng, "z", "bigz")
        state = self.state(key)
        scores = dict(state[1]) if state is not None else {}
        member = b"z%d" % rng.randrange(space)
        if rng.random() < 0.6:
            score = random_score(rng)
            reply = 0 if member in scores else 1
            scores[member] = score
            return Operation(key, ("ZADD", key, repr(score), member),
                             ("zset", scores, self.ttl_of(state)), reply)
        reply = 1 if scores.pop(member, None) is not None else 0
        after = ("zset", scores, self.ttl_of(state)) if scores else None
        return Operation(key, ("ZREM", key, member), after, reply)

    def op_expire(self, rng):
        key = rng.choice(self.keys)
        state = self.state(key)
        if state is None:
            return Operation(key, ("EXPIRE", key, LONG_TTL), None, 0)
        return Operation(key, ("EXPIRE", key, LONG_TTL), (state[0], state[1], True), 1)

    def op_persist(self, rng):
        key = rng.choice(self.keys)
        state = self.state(key)
        if state is None or not state[2]:
            return Operation(key, ("PERSIST", key), state, 0)
        return Operation(key, ("PERSIST", key), (state[0], state[1], False), 1)

    def op_delete_big(self, rng):
        key = self.key(rng.choice(BIG_KINDS), 0)
        reply = 1 if self.state(key) is not None else 0
        return Operation(key, ("DEL", key), None, reply)

    def op_delete_small(self, rng):
        key = rng.choice(self.keys[:-len(BIG_KINDS)])
        reply = 1 if self.state(key) is not None else 0
        return Operation(key, ("DEL", key), None, reply)

    def rebuild(self, rng, key):
        """One command that creates a big collection of 2000-3000 elements."""
        count = rng.randint(*BIG_SIZE_RANGE)
        kind = self.kind_of(key)
        if kind == "bigh":
            fields = {b"f%d" % n: element_value(rng) for n in rng.sample(range(4000), count)}
            args = ["HSET", key]
            for field, value in fields.items():
                args += [field, value]
            return Operation(key, tuple(args), ("hash", fields, False), count)
        if kind == "bigl":
            items = [element_value(rng) for _ in range(count)]
            return Operation(key, ("RPUSH", key, *items), ("list", items, False), count)
        if kind == "bigs":
            members = frozenset(b"m%d\x00\xff" % n for n in rng.sample(range(4000), count))
            return Operation(key, ("SADD", key, *sorted(members)), ("set", members, False),
                             count)
        scores = {b"z%d" % n: random_score(rng) for n in rng.sample(range(4000), count)}
        args = ["ZADD", key]
        for member, score in scores.items():
            args += [repr(score), member]
        return Operation(key, tuple(args), ("zset", scores, False), count)


class LoadThread(threading.Thread):
    """Sends one thread's commands one at a time until the connection dies."""

    def __init__(self, host, port, model, rng):
        super().__init__(daemon=True)
        self.host, self.port = host, port
        self.model = model
        self.rng = rng
        self.errors = []
        self.stop_requested = threading.Event()

    def run(self):
        try:
            connection = RespClient(self.host, self.port, timeout=20)
        except OSError as error:
            self.errors.append(f"cannot connect: {error!r}")
            return
        try:
            while not self.stop_requested.is_set():
                if not self.send_one(connection):
                    return
        except (ConnectionClosed, OSError):
            pass                # the node was killed: `pending` stays set
        except Exception as error:  # noqa: BLE001 -- reported by the test
            self.errors.append(f"load thread failed: {error!r}")
        finally:
            connection.close()

    def send_one(self, connection):
        """Runs one operation; False when it got a wrong reply."""
        operation = self.model.next_operation(self.rng)
        before = self.model.state(operation.key)
        self.model.pending = (operation.key, before, operation.after)
        reply = parse_reply(connection.command(*operation.args))
        if isinstance(reply, ErrorReply) or reply != operation.reply:
            self.errors.append(f"{operation.args[0]} {operation.key!r}: expected reply "
                               f"{operation.reply!r}, got {reply!r}"[:400])
            return False
        self.model.acknowledge(operation)
        self.model.pending = None
        return True


# ---------------------------------------------------------------------------
# Reading the node back
# ---------------------------------------------------------------------------

READ_COMMANDS = {
    "string": ("GET", "STRLEN"),
    "hash": ("HGETALL", "HLEN"),
    "list": ("LRANGE", "LLEN"),
    "set": ("SMEMBERS", "SCARD"),
    "zset": ("ZRANGE", "ZCARD"),
}


def read_commands(key, kind):
    """TYPE, TTL, the whole value, the element count of one key."""
    content, count = READ_COMMANDS[kind]
    if content in ("LRANGE", "ZRANGE"):
        content_command = (content, key, 0, -1) + (("WITHSCORES",) if content == "ZRANGE" else ())
    else:
        content_command = (content, key)
    return [("TYPE", key), ("TTL", key), content_command, (count, key)]


def decode_state(key, kind, replies, problems):
    """The state of a key from its read_commands() replies."""
    type_name, ttl, content, count = (parse_reply(raw) for raw in replies)
    for reply in (type_name, ttl, content, count):
        if isinstance(reply, ErrorReply):
            problems.append(f"{key!r}: read error {reply!r}")
            return None
    if type_name == b"none":
        if ttl != -2 or content not in (None, []) or count != 0:
            problems.append(f"{key!r}: TYPE none but TTL {ttl}, count {count}")
        return None
    if type_name.decode() != kind:
        problems.append(f"{key!r}: TYPE {type_name!r}, expected {kind}")
        return None
    if ttl == -2:
        problems.append(f"{key!r}: TYPE {kind} but TTL -2")
    has_ttl = ttl > 0
    if kind == "string":
        value = content
        size = len(content) if content is not None else 0
    elif kind == "hash":
        value = dict(zip(content[0::2], content[1::2]))
        size = len(value)
        if len(content) != 2 * size:
            problems.append(f"{key!r}: HGETALL repeats a field")
    elif kind == "list":
        value, size = content, len(content)
    elif kind == "set":
        value = frozenset(content)
        size = len(value)
        if len(content) != size:
            problems.append(f"{key!r}: SMEMBERS repeats a member")
    else:
        pairs = [(float(score), member) for member, score in zip(content[0::2], content[1::2])]
        if pairs != sorted(pairs):
            problems.append(f"{key!r}: ZRANGE is not in (score, member) order")
        value = {member: score for score, member in pairs}
        size = len(value)
        if len(pairs) != size:
            problems.append(f"{key!r}: ZRANGE repeats a member")
    if count != size:
        problems.append(f"{key!r}: {READ_COMMANDS[kind][1]} says {count}, "
                        f"{READ_COMMANDS[kind][0]} gave {size}")
    return (kind, value, has_ttl)


def read_states(connection, keys, problems):
    """The states of the given keys (one pipeline)."""
    commands, kinds = [], []
    for key in keys:
        kind = KIND_TYPES[WorkerModel.kind_of(key)]
        kinds.append(kind)
        commands += read_commands(key, kind)
    replies = connection.pipeline(commands)
    states = {}
    for index, key in enumerate(keys):
        states[key] = decode_state(key, kinds[index], replies[4 * index:4 * index + 4],
                                   problems)
    return states


def scan_all(connection, count=100):
    """Every key of a full SCAN, in the order returned (with repeats)."""
    cursor, keys, steps = b"0", [], 0
    while True:
        cursor, page = parse_reply(connection.command("SCAN", cursor, "COUNT", count))
        keys += page
        steps += 1
        if cursor == b"0":
            return keys
        assert steps < 100000, "SCAN did not finish"


def verify(node, models, context, problems):
    """Checks every invariant; resolves each in-flight write to what the node
    holds.  Adds a description of each violation to problems."""
    all_keys = [key for model in models for key in model.keys]
    with node.raw(timeout=30) as connection:
        actual = read_states(connection, all_keys, problems)
        for model in models:
            check_model(model, actual, problems)
        scanned = scan_all(connection)
        dbsize = parse_reply(connection.command("DBSIZE"))
        present = {key for key, state in actual.items() if state is not None}
        unexpected = [key for key in set(scanned) if key not in actual]
        if unexpected:
            problems.append(f"SCAN returned keys nobody wrote: {unexpected[:5]!r}")
        if len(scanned) != len(set(scanned)):
            problems.append(f"SCAN returned {len(scanned) - len(set(scanned))} keys twice")
        if set(scanned) != present:
            problems.append(f"SCAN keys differ from the keys that exist: missing "
                            f"{sorted(present - set(scanned))[:5]!r}")
        if dbsize != len(set(scanned)):
            problems.append(f"DBSIZE {dbsize}, but SCAN returned {len(set(scanned))} keys")
    if problems:
        problems.insert(0, context)


def check_model(model, actual, problems):
    """Compares one thread's model with what the node holds."""
    pending_key = None
    if model.pending is not None:
        pending_key, before, after = model.pending
        got = actual[pending_key]
        if got == after and before != after:
            model.states.pop(pending_key, None)
            if after is not None:
                model.states[pending_key] = after
            model.in_flight["applied"] += 1
        elif got == before:
            model.in_flight["not applied"] += 1
        else:
            problems.append(f"{pending_key!r} (write in flight at the kill): "
                            f"before: {state_difference(before, got)}; "
                            f"after: {state_difference(after, got)}")
        model.pending = None
    for key in model.keys:
        if key == pending_key:
            continue
        want = model.state(key)
        if actual[key] != want:
            problems.append(f"{key!r}: {state_difference(want, actual[key])}")


# ---------------------------------------------------------------------------
# The node's log
# ---------------------------------------------------------------------------

class LogWatch:
    """Reads what the node logged since the last look."""

    def __init__(self, node):
        self.node = node
        self.offset = 0

    def new_problems(self):
        try:
            with open(self.node.log_path, "rb") as log:
                log.seek(self.offset)
                data = log.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        found = []
        for line in data.splitlines():
            cleaned = ZERO_DROPPED.sub(b"", line)
            if any(pattern.search(cleaned) for pattern in CORRUPTION_PATTERNS):
                found.append("log: " + line.decode(errors="replace")[:300])
        return found


# ---------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------

def build_initial_data(node, models, rng):
    """Every thread's big collections, one command each."""
    with node.raw(timeout=60) as connection:
        for model in models:
            for kind in BIG_KINDS:
                operation = model.rebuild(rng, model.key(kind, 0))
                reply = parse_reply(connection.command(*operation.args))
                assert reply == operation.reply, f"building {operation.key!r}: {reply!r}"
                model.acknowledge(operation)
        encoding = parse_reply(connection.command("OBJECT", "ENCODING",
                                                  models[0].key("bigh", 0)))
        assert encoding != b"listpack", (
            "a 2000-element hash is still one record: no stored pages to test")


def run_load(node, models, seed, round_number, delay):
    """Starts the load threads, kills the node after `delay`, joins them."""
    threads = [LoadThread(node.host, node.port, model,
                          random.Random(f"{seed}:{round_number}:{model.worker}"))
               for model in models]
    for thread in threads:
        thread.start()
    time.sleep(delay)
    node.kill9()
    errors = []
    for thread in threads:
        thread.stop_requested.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "a load thread hung after the kill"
        errors += thread.errors
    return errors


def restart_and_verify(node, models, log_watch, context):
    problems = []
    node.start()
    verify(node, models, context, problems)
    problems += log_watch.new_problems()
    assert not problems, "\n".join(problems[:40])


def info_storage(node):
    """The fields of INFO storage as a dict of strings."""
    with node.raw() as connection:
        text = parse_reply(connection.command("INFO", "storage")).decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def stored_keys(path):
    """Every key of a Tokyo Cabinet hash file (read through libtokyocabinet
    with ctypes; the node must be stopped)."""
    library = ctypes.CDLL("libtokyocabinet.so.9")
    library.tchdbnew.restype = ctypes.c_void_p
    library.tchdbopen.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    library.tchdbiterinit.argtypes = [ctypes.c_void_p]
    library.tchdbiternext.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    library.tchdbiternext.restype = ctypes.c_void_p
    library.tchdbdel.argtypes = [ctypes.c_void_p]
    library.tcfree.argtypes = [ctypes.c_void_p]
    database = library.tchdbnew()
    keys = []
    try:
        assert library.tchdbopen(database, str(path).encode(),
                                 TC_OPEN_READER | TC_OPEN_NO_LOCK), f"cannot open {path}"
        library.tchdbiterinit(database)
        size = ctypes.c_int()
        while True:
            key = library.tchdbiternext(database, ctypes.byref(size))
            if not key:
                return keys
            keys.append(ctypes.string_at(key, size.value))
            library.tcfree(key)
    finally:
        library.tchdbdel(database)


def cluster_info(node):
    """CLUSTER INFO as a dict."""
    with node.raw() as connection:
        text = parse_reply(connection.command("CLUSTER", "INFO")).decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


def check_nothing_leaks(node, models, log_watch, context):
    """Deletes every key, kills the node while the background reclaimer is
    still removing the released pages, restarts it, lets the reclaimer
    finish (and the tombstones of the deletes be collected) and stops the
    node: the data file must then hold no record at all (no page of a
    deleted collection left behind, no stale bookkeeping record).  The file is read directly: INFO's storage_records is Tokyo
    Cabinet's record counter, which drifts after kill -9 recoveries."""
    with node.raw(timeout=30) as connection:
        keys = [key for model in models for key in model.keys]
        deleted = parse_reply(connection.command("DEL", *keys))
        assert deleted == sum(len(model.states) for model in models), (
            f"{context}: DEL of every key removed {deleted}")
    node.kill9()
    node.start()
    problems = log_watch.new_problems()
    assert not problems, "\n".join(problems)
    with node.raw() as connection:
        assert parse_reply(connection.command("DBSIZE")) == 0
    deadline = time.monotonic() + 30
    while (info_storage(node).get("reclaim_pending_collections") != "0" or
           cluster_info(node).get("tombstones") != "0"):
        assert time.monotonic() < deadline, (
            f"{context}: the reclaimer / tombstone collection did not finish within 30 s")
        time.sleep(0.1)
    node.stop()
    left = stored_keys(node.data_dir / "data.tch")
    assert not left, (f"{context}: every key was deleted and the reclaimer is done, but "
                      f"the data file still holds {len(left)} records: {left[:5]!r}")
    node.start()


def crash_loop(processes, fsync, rounds):
    seed = int(os.environ.get("HERD_CRASH_SEED") or random.SystemRandom().randrange(1 << 32))
    print(f"crash loop (fsync {fsync}): seed {seed}, {rounds} rounds "
          f"(replay with HERD_CRASH_SEED={seed})")
    rng = random.Random(seed)
    # Deletes leave tombstones (for replicas); a standalone node may drop
    # them at once, so the final check can still ask for an empty file.
    node = processes.node(fsync=fsync, options={"tombstone-gc-grace": 0,
                                                "anti-entropy-interval": 50})
    log_watch = LogWatch(node)
    models = [WorkerModel(f"crash-{fsync}", worker) for worker in range(WORKERS)]
    build_initial_data(node, models, rng)
    started = time.monotonic()
    for round_number in range(1, rounds + 1):
        delay = rng.uniform(*KILL_DELAY_RANGE)
        context = (f"fsync {fsync}, seed {seed}, round {round_number}/{rounds}, "
                   f"kill after {delay:.3f}s of load")
        errors = run_load(node, models, seed, round_number, delay)
        assert not errors, context + ": wrong replies during the load:\n" + "\n".join(errors)
        restart_and_verify(node, models, log_watch, context + " (after kill -9)")
        if round_number % CLEAN_RESTART_EVERY == 0 or round_number == rounds:
            node.stop()           # raises unless exit status 0 and a clean log
            restart_and_verify(node, models, log_watch,
                               context + " (after a clean restart)")
    check_nothing_leaks(node, models, log_watch, f"fsync {fsync}, seed {seed}")
    acknowledged = sum(model.acknowledged for model in models)
    applied = sum(model.in_flight["applied"] for model in models)
    not_applied = sum(model.in_flight["not applied"] for model in models)
    print(f"crash loop (fsync {fsync}): {rounds} kills, {acknowledged} acknowledged "
          f"writes; writes in flight at a kill: {applied} applied, {not_applied} not "
          f"(or no change); {time.monotonic() - started:.1f}s")
    assert acknowledged > rounds * 10, (
        f"only {acknowledged} writes were acknowledged in {rounds} rounds: no load")


@pytest.mark.timeout(75)
@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_kill9_loop_loses_nothing_acknowledged(processes, fsync):
    crash_loop(processes, fsync, ROUNDS)
