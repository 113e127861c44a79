"""
test_small_cache.py -- a node whose data is far bigger than its Tokyo Cabinet
mapping keeps working (issue 3, "Storage layer": a node holding more data
than RAM-sized caches keeps working, tested with a small configured cache).

One herd-node with `tc-mmap-size 1mb` (the part of data.tch Tokyo Cabinet
maps; the rest is read and written with pread/pwrite) is loaded with ~40 MB:
16 kB strings, big hashes, a big list, set and sorted set (thousands of
elements each, so their B+tree pages are stored records), binary data
throughout.  Then:
  - everything reads back exactly (whole values and point reads: HGET,
    LINDEX, SISMEMBER, ZSCORE, ZRANK);
  - writes keep working (overwrites, HSET/HDEL, LSET/RPUSH/LPOP, SADD/SREM,
    ZADD/ZREM, DEL of a big collection), and read back;
  - a clean restart and a kill -9 restart keep everything.
The node's resident memory is printed; outside sanitizer builds reading all
the data back must not grow it by more than 10 MB (no cache of what was
read), and it must stay below the data file's size.
"""

import random

import pytest

from harness import ErrorReply, is_sanitized_build, parse_reply

MMAP_SIZE = "1mb"
STRING_COUNT = 1500
STRING_SIZE = 16 * 1024
HASH_COUNT = 4
HASH_FIELDS = 3000
ELEMENT_SIZE = (200, 900)
LIST_LENGTH = 8000
SET_MEMBERS = 20000
ZSET_MEMBERS = 20000
CHUNK = 200
# Reading everything back may grow the node's memory by reply buffers, not by
# a cache of the data.
READ_GROWTH_LIMIT = 10 * 1024 * 1024


def chunks(items, size=CHUNK):
    return [items[start:start + size] for start in range(0, len(items), size)]


class Dataset:
    """What the node must hold: strings, hashes, a list, a set, a sorted set."""

    def __init__(self, rng):
        self.rng = rng
        self.strings = {b"string:%d" % index: rng.randbytes(STRING_SIZE)
                        for index in range(STRING_COUNT)}
        self.hashes = {b"hash:%d" % number: {b"field:%d\x00" % index: self.element()
                                             for index in range(HASH_FIELDS)}
                       for number in range(HASH_COUNT)}
        self.list_key = b"list"
        self.list = [self.element() for _ in range(LIST_LENGTH)]
        self.set_key = b"set"
        self.set = {b"member:%d:" % index + rng.randbytes(60) for index in range(SET_MEMBERS)}
        self.zset_key = b"zset"
        self.zset = {b"z:%d:" % index + rng.randbytes(60): rng.randint(-10 ** 6, 10 ** 6) / 8
                     for index in range(ZSET_MEMBERS)}

    def element(self):
        return self.rng.randbytes(self.rng.randint(*ELEMENT_SIZE))

    def size(self):
        total = sum(len(value) for value in self.strings.values())
        total += sum(len(field) + len(value) for fields in self.hashes.values()
                     for field, value in fields.items())
        total += sum(len(item) for item in self.list)
        total += sum(len(member) for member in self.set)
        total += sum(len(member) + 8 for member in self.zset)
        return total

    def key_count(self):
        return len(self.strings) + len(self.hashes) + 3

    def load_commands(self):
        commands = [("SET", key, value) for key, value in self.strings.items()]
        for key, fields in self.hashes.items():
            for chunk in chunks(list(fields.items())):
                commands.append(("HSET", key, *[part for pair in chunk for part in pair]))
        for chunk in chunks(self.list):
            commands.append(("RPUSH", self.list_key, *chunk))
        for chunk in chunks(sorted(self.set)):
            commands.append(("SADD", self.set_key, *chunk))
        for chunk in chunks(list(self.zset.items())):
            commands.append(("ZADD", self.zset_key,
                             *[part for member, score in chunk for part in (repr(score), member)]))
        return commands


def run_pipelined(connection, commands, size=50):
    """Sends commands in pipelined groups; returns the parsed replies."""
    replies = []
    for start in range(0, len(commands), size):
        replies += [parse_reply(raw) for raw in connection.pipeline(commands[start:start + size])]
    errors = [reply for reply in replies if isinstance(reply, ErrorReply)]
    assert not errors, f"error replies: {errors[:3]}"
    return replies


def check_everything(node, data, when):
    """Whole values and point reads of every key; DBSIZE."""
    rng = random.Random(len(data.strings))
    with node.raw(timeout=60) as connection:
        problems = []
        keys = list(data.strings)
        for chunk in chunks(keys):
            values = parse_reply(connection.command("MGET", *chunk))
            problems += [key for key, value in zip(chunk, values) if value != data.strings[key]]
        for key, fields in data.hashes.items():
            content = parse_reply(connection.command("HGETALL", key))
            if dict(zip(content[0::2], content[1::2])) != fields:
                problems.append(key)
            sample = rng.sample(list(fields), 50)
            if parse_reply(connection.command("HMGET", key, *sample)) != [fields[f] for f in sample]:
                problems.append(key + b" (HMGET)")
        if parse_reply(connection.command("LRANGE", data.list_key, 0, -1)) != data.list:
            problems.append(data.list_key)
        positions = rng.sample(range(len(data.list)), 50)
        got = run_pipelined(connection, [("LINDEX", data.list_key, p) for p in positions])
        if got != [data.list[p] for p in positions]:
            problems.append(data.list_key + b" (LINDEX)")
        if set(parse_reply(connection.command("SMEMBERS", data.set_key))) != data.set:
            problems.append(data.set_key)
        members = rng.sample(sorted(data.set), 50) + [b"absent"]
        if parse_reply(connection.command("SMISMEMBER", data.set_key, *members)) != [1] * 50 + [0]:
            problems.append(data.set_key + b" (SMISMEMBER)")
        problems += check_zset(connection, data, rng)
        dbsize = parse_reply(connection.command("DBSIZE"))
        if dbsize != data.key_count():
            problems.append(f"DBSIZE {dbsize}, expected {data.key_count()}".encode())
    assert not problems, f"{when}: {len(problems)} keys wrong: {problems[:10]!r}"


def check_zset(connection, data, rng):
    content = parse_reply(connection.command("ZRANGE", data.zset_key, 0, -1, "WITHSCORES"))
    got = [(float(score), member) for member, score in zip(content[0::2], content[1::2])]
    ordered = sorted((score, member) for member, score in data.zset.items())
    if got != ordered:
        return [data.zset_key]
    sample = rng.sample(range(len(ordered)), 30)
    commands = []
    for rank in sample:
        commands += [("ZRANK", data.zset_key, ordered[rank][1]),
                     ("ZSCORE", data.zset_key, ordered[rank][1])]
    replies = run_pipelined(connection, commands)
    for index, rank in enumerate(sample):
        if replies[2 * index] != rank or float(replies[2 * index + 1]) != ordered[rank][0]:
            return [data.zset_key + b" (ZRANK/ZSCORE)"]
    return []


def modify(node, data, rng):
    """Writes of every kind on the loaded data; updates the dataset."""
    commands = []
    for key in rng.sample(list(data.strings), 300):
        data.strings[key] = rng.randbytes(STRING_SIZE)
        commands.append(("SET", key, data.strings[key]))
    fields = data.hashes[b"hash:0"]
    for field in rng.sample(list(fields), 500):
        del fields[field]
        commands.append(("HDEL", b"hash:0", field))
    for index in range(500):
        field = b"new-field:%d" % index
        fields[field] = data.element()
        commands.append(("HSET", b"hash:0", field, fields[field]))
    for position in rng.sample(range(len(data.list)), 200):
        data.list[position] = data.element()
        commands.append(("LSET", data.list_key, position, data.list[position]))
    for _ in range(300):
        data.list.append(data.element())
        commands.append(("RPUSH", data.list_key, data.list[-1]))
    for _ in range(200):
        data.list.pop(0)
        commands.append(("LPOP", data.list_key))
    for member in rng.sample(sorted(data.set), 1000):
        data.set.discard(member)
        commands.append(("SREM", data.set_key, member))
    for index in range(1000):
        member = b"new-member:%d" % index
        data.set.add(member)
        commands.append(("SADD", data.set_key, member))
    for member in rng.sample(sorted(data.zset), 1000):
        del data.zset[member]
        commands.append(("ZREM", data.zset_key, member))
    for member in rng.sample(sorted(data.zset), 1000):
        data.zset[member] = rng.randint(-10 ** 6, 10 ** 6) / 8
        commands.append(("ZADD", data.zset_key, repr(data.zset[member]), member))
    doomed = max(data.hashes)          # a whole big hash goes (DEL is O(1))
    del data.hashes[doomed]
    commands.append(("DEL", doomed))
    with node.raw(timeout=60) as connection:
        run_pipelined(connection, commands)


def resident_kilobytes(node):
    with open(f"/proc/{node.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@pytest.mark.timeout(120)
def test_node_with_tiny_mapping_keeps_working(processes):
    rng = random.Random(20261121)
    data = Dataset(rng)
    node = processes.node(fsync="everysec", options={"tc-mmap-size": MMAP_SIZE})
    with node.raw(timeout=60) as connection:
        run_pipelined(connection, data.load_commands(), size=20)
    file_size = (node.data_dir / "data.tch").stat().st_size
    print(f"data {data.size() / 1e6:.1f} MB, data.tch {file_size / 1e6:.1f} MB, "
          f"tc-mmap-size {MMAP_SIZE}")
    assert data.size() > 35e6 and file_size > 35e6, "not enough data for the test"
    loaded = resident_kilobytes(node)
    check_everything(node, data, "after loading")
    after_reading = resident_kilobytes(node)
    print(f"herd-node VmRSS: {loaded / 1024:.1f} MB after loading, "
          f"{after_reading / 1024:.1f} MB after reading all {data.size() / 1e6:.0f} MB back")
    if not is_sanitized_build():
        assert (after_reading - loaded) * 1024 < READ_GROWTH_LIMIT, (
            f"reading the data back grew herd-node from {loaded} kB to {after_reading} kB: "
            f"is it caching what it reads?")
        assert after_reading * 1024 < file_size, (
            f"herd-node uses {after_reading} kB of memory for a {file_size}-byte file")
    modify(node, data, rng)
    check_everything(node, data, "after writes")
    node.stop()
    node.start()
    check_everything(node, data, "after a clean restart")
    modify(node, data, rng)
    node.kill9()
    node.start()
    check_everything(node, data, "after writes and kill -9")
