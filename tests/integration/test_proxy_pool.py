"""
test_proxy_pool.py -- herd-proxy's pool mode (distribution ketama, modula,
random) as a drop-in replacement for twemproxy (nutcracker).

Three real redis-servers sit behind a real nutcracker and a herd-proxy
configured alike.  Keys written through nutcracker must be found through
herd-proxy, and keys written through herd-proxy must be found through
nutcracker: a key lives on one redis-server only, so both finding it means
both route it to the same server.  Every hash function is checked with
ketama (with and without server names) and modula, plus unequal weights
and hash-tag.  Then config errors, MGET/MSET across servers, the CROSSSLOT
error of other multi-key commands, and auto-eject.
"""

import re
import socket

import pytest

import harness
from harness import LOOPBACK, ProcessError, herd_binary, run_binary

HASHES = ["one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64",
          "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"]
KEY_COUNT = 2000


class PoolNutcracker(harness.ServerProcess):
    """nutcracker with the pool settings of one comparison."""

    kind = "nutcracker"
    clean_exit_statuses = (0, -15)

    def __init__(self, workdir, servers, pool):
        super().__init__(workdir, name="nutcracker")
        self.servers = list(servers)
        self.pool = pool
        self.stats_port = harness.free_port()

    def config_text(self):
        pool = self.pool
        lines = ["pool:", f"  listen: {LOOPBACK}:{self.port}",
                 f"  hash: {pool.get('hash', 'fnv1a_64')}",
                 f"  distribution: {pool.get('distribution', 'ketama')}",
                 "  redis: true", "  timeout: 2000"]
        if pool.get("hash_tag"):
            lines.append(f"  hash_tag: \"{pool['hash_tag']}\"")
        if pool.get("auto_eject"):
            lines += ["  auto_eject_hosts: true", "  server_failure_limit: 2",
                      f"  server_retry_timeout: {pool.get('retry_ms', 2000)}"]
        lines.append("  servers:")
        for index, server in enumerate(self.servers):
            lines.append(f"   - {server_line(server, index, pool)}")
        return "\n".join(lines) + "\n"

    def command(self):
        return ["nutcracker", "-c", str(self.config_path), "-s", str(self.stats_port),
                "-a", LOOPBACK]


class PoolProxy(harness.ServerProcess):
    """herd-proxy in pool mode with the same settings."""

    kind = "herd-proxy"

    def __init__(self, workdir, servers, pool):
        super().__init__(workdir, name="proxy")
        self.servers = list(servers)
        self.pool = pool

    def config_text(self):
        pool = self.pool
        lines = [f"bind {LOOPBACK}", f"port {self.port}", "node-timeout 2000",
                 "node-reconnect-interval 100", "loglevel notice",
                 f"distribution {pool.get('distribution', 'ketama')}",
                 f"hash {pool.get('hash', 'fnv1a_64')}"]
        if pool.get("hash_tag"):
            lines.append(f"hash-tag {pool['hash_tag']}")
        if pool.get("auto_eject"):
            lines += ["auto-eject-hosts yes", "server-failure-limit 2",
                      f"server-retry-timeout {pool.get('retry_ms', 2000)}"]
        for index, server in enumerate(self.servers):
            lines.append(f"node {server_line(server, index, pool)}")
        return "\n".join(lines) + "\n"

    def command(self):
        return [herd_binary("herd-proxy"), str(self.config_path)]


def server_line(server, index, pool):
    """HOST:PORT:WEIGHT [NAME], as both nutcracker and herd-proxy take it."""
    weights = pool.get("weights", [1, 1, 1])
    line = f"{server.address}:{weights[index]}"
    if pool.get("named", True):
        line += f" server{index}"
    return line


@pytest.fixture(scope="module")
def servers(module_processes):
    return [module_processes.redis(name=f"redis{index}") for index in range(3)]


def flush(servers):
    for server in servers:
        with server.raw(timeout=5) as connection:
            assert connection.command("FLUSHALL") == b"+OK\r\n"


def make_keys(prefix, count=KEY_COUNT, tagged=False):
    """Keys of many lengths, some with bytes above 0x7f (sign matters in
    several of nutcracker's hashes); with `tagged`, hash tags of all kinds."""
    keys = []
    for index in range(count):
        kind = index % 10
        if tagged and kind < 4:
            keys.append(f"{prefix}{{user{index % 37}}}:field{index}".encode())
        elif tagged and kind == 4:
            keys.append(f"{prefix}{{}}empty{index}".encode())
        elif tagged and kind == 5:
            keys.append(f"{prefix}open{{only{index}".encode())
        elif kind == 6:
            keys.append(f"{prefix}ключ-{index}".encode())
        elif kind == 7:
            keys.append(prefix.encode() + b"\xff\x80\xfe" + str(index).encode())
        else:
            keys.append(f"{prefix}{'x' * (index % 23)}{index}".encode())
    return keys


def write_keys(endpoint, keys):
    with endpoint.raw(timeout=10) as connection:
        replies = connection.pipeline([("SET", key, b"v" + key) for key in keys])
    assert all(reply == b"+OK\r\n" for reply in replies), \
        next(reply for reply in replies if reply != b"+OK\r\n")


def missing_keys(endpoint, keys):
    """The keys a GET through `endpoint` does not find."""
    with endpoint.raw(timeout=10) as connection:
        replies = connection.pipeline([("GET", key) for key in keys])
    return [key for key, reply in zip(keys, replies)
            if reply != b"$%d\r\n%s\r\n" % (len(key) + 1, b"v" + key)]


def keys_per_server(servers):
    counts = []
    for server in servers:
        with server.raw(timeout=5) as connection:
            counts.append(int(connection.command("DBSIZE")[1:-2]))
    return counts


def start_pair(processes, servers, pool):
    nutcracker = processes._add(PoolNutcracker(processes.workdir, servers, pool)).start()
    proxy = processes._add(PoolProxy(processes.workdir, servers, pool)).start()
    return nutcracker, proxy


def compare(processes, servers, pool):
    """Writes through each proxy, reads through the other."""
    flush(servers)
    nutcracker, proxy = start_pair(processes, servers, pool)
    tagged = bool(pool.get("hash_tag"))
    through_nutcracker = make_keys("nc:", tagged=tagged)
    through_herd = make_keys("herd:", tagged=tagged)
    write_keys(nutcracker, through_nutcracker)
    write_keys(proxy, through_herd)
    counts = keys_per_server(servers)
    assert sum(counts) == 2 * KEY_COUNT
    # crc32 keeps 15 bits: under ketama every key hashes below the first
    # point of the continuum, so one server takes them all (in nutcracker
    # too).  Every other case spreads the keys over all three.
    if not (pool.get("hash") == "crc32" and pool.get("distribution") == "ketama"):
        assert all(count > 0 for count in counts), counts
    lost = missing_keys(proxy, through_nutcracker)
    assert not lost, f"{len(lost)} keys nutcracker wrote not found by herd-proxy: {lost[:5]}"
    lost = missing_keys(nutcracker, through_herd)
    assert not lost, f"{len(lost)} keys herd-proxy wrote not found by nutcracker: {lost[:5]}"


@pytest.mark.parametrize("hash_name", HASHES)
@pytest.mark.parametrize("distribution,named", [("ketama", True), ("ketama", False),
                                                ("modula", True)])
def test_same_server_as_nutcracker(processes, servers, hash_name, distribution, named):
    compare(processes, servers, {"hash": hash_name, "distribution": distribution,
                                 "named": named})


@pytest.mark.parametrize("hash_name", ["fnv1a_64", "md5", "murmur", "crc32a"])
@pytest.mark.parametrize("distribution", ["ketama", "modula"])
@pytest.mark.parametrize("named", [True, False])
def test_unequal_weights(processes, servers, hash_name, distribution, named):
    compare(processes, servers, {"hash": hash_name, "distribution": distribution,
                                 "named": named, "weights": [1, 3, 2]})


@pytest.mark.parametrize("hash_name", ["fnv1a_64", "jenkins"])
@pytest.mark.parametrize("names", [["b", "aa", "c"], ["zz", "a", "m"]])
def test_modula_server_order(processes, servers, hash_name, names):
    """nutcracker sorts its servers by name (shorter first): modula follows."""
    flush(servers)
    pool = {"hash": hash_name, "distribution": "modula", "named": False,
            "weights": [2, 1, 1]}
    nutcracker = PoolNutcracker(processes.workdir, servers, pool)
    proxy = PoolProxy(processes.workdir, servers, pool)
    for process in (nutcracker, proxy):
        original = process.config_text
        process.config_text = lambda original=original: rename_servers(original(), names)
        processes._add(process).start()
    keys = make_keys("order:", count=600)
    write_keys(nutcracker, keys)
    assert not missing_keys(proxy, keys)


def rename_servers(text, names):
    """Gives the three server lines the NAMEs `names`."""
    lines, index = [], 0
    for line in text.splitlines():
        if line.lstrip().startswith(("- ", "node ")):
            line = f"{line} {names[index]}"
            index += 1
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("hash_name", ["fnv1a_64", "crc32a", "md5"])
@pytest.mark.parametrize("distribution", ["ketama", "modula"])
def test_hash_tag(processes, servers, hash_name, distribution):
    compare(processes, servers, {"hash": hash_name, "distribution": distribution,
                                 "hash_tag": "{}"})


def test_hash_tag_keeps_a_tag_on_one_server(processes, servers):
    flush(servers)
    proxy = processes._add(PoolProxy(processes.workdir, servers,
                                     {"hash_tag": "{}"})).start()
    keys = [f"{{account42}}:{index}" for index in range(60)]
    with proxy.raw() as connection:
        connection.pipeline([("SET", key, "1") for key in keys])
        assert connection.command("SUNIONSTORE", "{account42}:u", "{account42}:1x",
                                  "{account42}:2x") == b":0\r\n"
    # SUNIONSTORE of two empty sets stores nothing (as in Redis).
    assert sorted(keys_per_server(servers)) == [0, 0, 60]


def test_mget_mset_del_across_servers(processes, servers):
    flush(servers)
    proxy = processes._add(PoolProxy(processes.workdir, servers, {"hash": "murmur"})).start()
    keys = [f"multi:{index}" for index in range(40)]
    with proxy.raw() as connection:
        arguments = []
        for key in keys:
            arguments += [key, f"value-{key}"]
        assert connection.command("MSET", *arguments) == b"+OK\r\n"
        counts = keys_per_server(servers)
        assert all(count > 0 for count in counts), counts
        reply = harness.parse_reply(connection.command("MGET", *keys, "multi:absent"))
        assert reply == [f"value-{key}".encode() for key in keys] + [None]
        assert connection.command("EXISTS", *keys) == b":40\r\n"
        assert connection.command("DEL", *keys[:25]) == b":25\r\n"
        assert connection.command("DBSIZE") == b":15\r\n"


def test_multi_key_command_across_servers_is_crossslot(processes, servers):
    flush(servers)
    proxy = processes._add(PoolProxy(processes.workdir, servers, {"hash": "murmur"})).start()
    with proxy.raw() as connection:
        # Find two keys on different servers and two on the same one.
        homes = {}
        for index in range(100):
            key = f"cross:{index}"
            connection.command("SET", key, "1")
            home = keys_per_server(servers)
            homes[key] = tuple(home)
            connection.command("DEL", key)
        keys = list(homes)
        different = next((a, b) for a in keys for b in keys if homes[a] != homes[b])
        same = next((a, b) for a in keys for b in keys if a != b and homes[a] == homes[b])
        assert connection.command("RENAME", *different) == \
            b"-CROSSSLOT Keys in request don't hash to the same server\r\n"
        connection.command("SET", same[0], "moved")
        assert connection.command("RENAME", *same) == b"+OK\r\n"
        assert connection.command("GET", same[1]) == b"$5\r\nmoved\r\n"


@pytest.mark.parametrize("lines,expected", [
    (["distribution ketama", "hash sha1"], "'hash' wants one of one_at_a_time"),
    (["hash-tag {"], "'hash-tag' wants two characters"),
    (["hash-tag {}}"], "'hash-tag' wants two characters"),
    (["distribution consistent"], "'distribution' wants one of slots, ketama"),
    (["distribution ketama", "seed 127.0.0.1:7001"], "works with 'node' lines only"),
    (["distribution modula", "node 127.0.0.1:7001:0 a"], "weight must be an integer"),
    (["distribution modula", "node 127.0.0.1:7001:x a"], "weight must be an integer"),
    (["auto-eject-hosts maybe", "node 127.0.0.1:7001"], "auto-eject-hosts"),
    (["server-failure-limit 0", "node 127.0.0.1:7001"], "server-failure-limit"),
])
def test_config_errors(tmp_path, lines, expected):
    path = tmp_path / "bad.conf"
    body = [f"port {harness.free_port()}"] + lines
    if not any(line.startswith(("node", "seed")) for line in lines):
        body.append("node 127.0.0.1:7001 a")
    path.write_text("\n".join(body) + "\n")
    result = run_binary([herd_binary("herd-proxy"), str(path)], timeout=10)
    output = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode != 0, output
    assert expected in output, output


def test_command_line_options(processes, servers):
    """The options also work as --name value arguments."""
    flush(servers)
    pool = {"hash": "murmur", "distribution": "modula"}
    nutcracker = processes._add(PoolNutcracker(processes.workdir, servers, pool)).start()
    proxy = PoolProxy(processes.workdir, servers, {})
    proxy.command = lambda: [herd_binary("herd-proxy"), str(proxy.config_path),
                             "--distribution", "modula", "--hash", "murmur"]
    processes._add(proxy).start()
    keys = make_keys("cli:", count=300)
    write_keys(nutcracker, keys)
    assert not missing_keys(proxy, keys)


def test_random_distribution_serves_requests(processes, servers):
    flush(servers)
    proxy = processes._add(PoolProxy(processes.workdir, servers,
                                     {"distribution": "random"})).start()
    with proxy.raw() as connection:
        replies = connection.pipeline([("SET", f"random:{index}", "1")
                                       for index in range(300)])
    assert all(reply == b"+OK\r\n" for reply in replies)
    assert all(count > 0 for count in keys_per_server(servers))


@pytest.mark.timeout(40)
def test_auto_eject_and_retry(processes):
    servers = [processes.redis(name=f"eject{index}") for index in range(3)]
    pool = {"auto_eject": True, "retry_ms": 1500, "hash": "murmur"}
    proxy = processes._add(PoolProxy(processes.workdir, servers, pool)).start()
    victim = servers[1]
    with victim.raw() as connection:
        connection.command("SET", "probe", "1")
    # Keys that live on the victim while it is up.
    victim_keys = []
    with proxy.raw() as connection:
        for index in range(300):
            key = f"eject:{index}"
            connection.command("SET", key, "1")
            with victim.raw() as direct:
                if direct.command("EXISTS", key) == b":1\r\n":
                    victim_keys.append(key)
    assert victim_keys
    victim.stop()
    key = victim_keys[0]

    def served_by_others():
        with proxy.raw(timeout=5) as connection:
            return connection.command("SET", key, "2") == b"+OK\r\n"

    harness.wait_until(served_by_others, timeout=10, message="victim ejected")
    assert any(server.raw().command("GET", key) == b"$1\r\n2\r\n"
               for server in (servers[0], servers[2]))
    victim.start()

    def served_by_victim_again():
        with proxy.raw(timeout=5) as connection:
            connection.command("SET", key, "3")
        with victim.raw() as direct:
            return direct.command("GET", key) == b"$1\r\n3\r\n"

    harness.wait_until(served_by_victim_again, timeout=15, message="victim back")


@pytest.mark.timeout(40)
@pytest.mark.parametrize("distribution", ["ketama", "modula"])
def test_ejected_server_keys_go_where_nutcracker_sends_them(processes, distribution):
    """With one server ejected, both proxies spread its keys alike."""
    servers = [processes.redis(name=f"spread{index}") for index in range(3)]
    pool = {"auto_eject": True, "retry_ms": 20000, "hash": "md5",
            "distribution": distribution}
    nutcracker, proxy = start_pair(processes, servers, pool)
    victim = servers[2]
    victim.stop()
    probe_keys = [f"probe:{index}" for index in range(40)]

    def every_key_served(endpoint):
        def check():
            with endpoint.raw(timeout=5) as connection:
                replies = connection.pipeline([("SET", key, "1") for key in probe_keys])
            return all(reply == b"+OK\r\n" for reply in replies)
        return check

    harness.wait_until(every_key_served(nutcracker), timeout=15,
                       message="nutcracker ejected the server")
    harness.wait_until(every_key_served(proxy), timeout=15,
                       message="herd-proxy ejected the server")
    keys = make_keys("ejected:", count=1000)
    write_keys(nutcracker, keys)
    assert not missing_keys(proxy, keys)


def test_sample_config_matches_its_nutcracker_pool(processes, servers):
    """conf/herd-proxy-pool.conf, with the three servers as its node lines,
    places keys as the nutcracker pool its comments show."""
    flush(servers)
    pool = {"hash": "fnv1a_64", "distribution": "ketama", "hash_tag": "{}",
            "auto_eject": True, "weights": [1, 1, 2]}
    nutcracker = PoolNutcracker(processes.workdir, servers, pool)
    nutcracker.config_text = lambda: re.sub(r" server(\d)$", r" redis-\1",
                                            PoolNutcracker.config_text(nutcracker),
                                            flags=re.MULTILINE)
    processes._add(nutcracker).start()
    proxy = PoolProxy(processes.workdir, servers, {})
    arguments = ["--port", str(proxy.port)]
    for index, (server, weight) in enumerate(zip(servers, [1, 1, 2])):
        arguments += ["--node", f"{server.address}:{weight}", f"redis-{index}"]
    proxy.command = lambda: [herd_binary("herd-proxy"),
                             str(harness.REPO_ROOT / "conf" / "herd-proxy-pool.conf"),
                             *arguments]
    processes._add(proxy).start()
    keys = make_keys("sample:", count=600, tagged=True)
    write_keys(nutcracker, keys)
    assert not missing_keys(proxy, keys)


def port_is_free(port):
    probe = socket.socket()
    try:
        probe.bind((LOOPBACK, port))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def test_unnamed_server_on_port_11211_is_named_by_host(processes):
    """nutcracker names an unnamed port-11211 server by its host alone."""
    if not port_is_free(11211):
        pytest.skip("port 11211 is taken")
    servers = [processes.redis(name="memcache-port", port=11211),
               processes.redis(name="other0"), processes.redis(name="other1")]
    pool = {"hash": "md5", "distribution": "ketama", "named": False}
    nutcracker, proxy = start_pair(processes, servers, pool)
    keys = make_keys("p11211:", count=1000)
    write_keys(nutcracker, keys)
    assert all(count > 0 for count in keys_per_server(servers))
    assert not missing_keys(proxy, keys)
