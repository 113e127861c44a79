#!/usr/bin/python3
"""bench/report.py RAW.json OUT-PREFIX - turn bench/harness.py's raw figures
into OUT-PREFIX.md (tables: the headline is every throughput as a ratio to
redis-server direct and to nutcracker + 1 redis) and OUT-PREFIX.png (throughput
per target and workload; p50/p99 latency of the mixed run).
"""

import json
import statistics
import sys

BASELINES = (("redis", "vs redis-server"), ("nutcracker-1redis", "vs nutcracker + 1 redis"))


def samples_of(target, workload, key="rps"):
    figures = target.get("workloads", {}).get(workload)
    if not figures:
        return []
    return [sample[key] for sample in figures["samples"] if sample and key in sample]


def median_of(target, workload, key="rps"):
    values = samples_of(target, workload, key)
    return statistics.median(values) if values else None


def ratio(value, base):
    if value is None or not base:
        return None
    return value / base


def fmt_ratio(value):
    return "n/a" if value is None else "%.2f" % value


def fmt_rate(values):
    """median (min-max) in thousands of requests per second."""
    if not values:
        return "n/a"
    return "%.1fk (%.1f–%.1f)" % (statistics.median(values) / 1000, min(values) / 1000,
                                  max(values) / 1000)


def fmt_ms(value):
    return "n/a" if value is None else "%.2f" % value


def by_name(run):
    return {target["name"]: target for target in run["targets"]}


def headline(run, lines):
    targets = by_name(run)
    for base_name, title in BASELINES:
        base = targets.get(base_name)
        lines.append("### Throughput %s (median of %d rounds, same run)" % (title, run["rounds"]))
        lines.append("")
        lines.append("| target | " + " | ".join(run["workloads"]) + " |")
        lines.append("|---" * (len(run["workloads"]) + 1) + "|")
        for target in run["targets"]:
            cells = [fmt_ratio(ratio(median_of(target, w), base and median_of(base, w)))
                     for w in run["workloads"]]
            lines.append("| %s | %s |" % (target["label"], " | ".join(cells)))
        lines.append("")


def details(run, lines):
    lines.append("### Raw figures")
    lines.append("")
    lines.append("Requests per second: median (min–max) of %d rounds; latency in ms, "
                 "median over the rounds of redis-benchmark's own percentiles." % run["rounds"])
    lines.append("")
    lines.append("| target | workload | requests/s | p50 | p95 | p99 |")
    lines.append("|---|---|---|---|---|---|")
    for target in run["targets"]:
        if "error" in target:
            lines.append("| %s | all | failed to start | | | |" % target["label"])
            continue
        for workload in run["workloads"]:
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                target["label"], workload, fmt_rate(samples_of(target, workload)),
                fmt_ms(median_of(target, workload, "p50_latency_ms")),
                fmt_ms(median_of(target, workload, "p95_latency_ms")),
                fmt_ms(median_of(target, workload, "p99_latency_ms"))))
    lines.append("")


def mixed_latency(run, lines):
    workload = [w for w in run["workloads"] if w.startswith("MIXED")][0]
    lines.append("### %s: latency of reads and writes (ms, median of rounds)" % workload)
    lines.append("")
    lines.append("| target | read p50 | read p99 | write p50 | write p99 | read p99 vs redis-server |")
    lines.append("|---|---|---|---|---|---|")
    base = by_name(run).get("redis")
    for target in run["targets"]:
        read_p99 = median_of(target, workload, "read_p99_latency_ms")
        base_p99 = base and median_of(base, workload, "read_p99_latency_ms")
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            target["label"], fmt_ms(median_of(target, workload, "read_p50_latency_ms")),
            fmt_ms(read_p99), fmt_ms(median_of(target, workload, "write_p50_latency_ms")),
            fmt_ms(median_of(target, workload, "write_p99_latency_ms")),
            fmt_ratio(ratio(read_p99, base_p99))))
    lines.append("")


def memory(run, lines):
    lines.append("### Peak RSS (VmHWM) of each server process")
    lines.append("")
    lines.append("| target | total MB | per process (MB) | note |")
    lines.append("|---|---|---|---|")
    for target in run["targets"]:
        sizes = [p for p in target["processes"] if p["peak_rss_kb"] is not None]
        total = sum(p["peak_rss_kb"] for p in sizes) / 1024.0
        each = ", ".join("%s %.1f" % (p["name"], p["peak_rss_kb"] / 1024.0) for p in sizes)
        lines.append("| %s | %.1f | %s | %s |" % (target["label"], total, each, target["note"]))
    lines.append("")
    lines.append("### Memory per idle client connection")
    lines.append("")
    lines.append("Connections opened and left idle (never used), and opened, sent one PING "
                 "each, then left idle for %s s before RSS was read (used)."
                 % run.get("idle_settle_seconds", "?"))
    lines.append("")
    lines.append("| proxy | connections | opened | RSS before (kB) | RSS after (kB) | bytes per connection |")
    lines.append("|---|---|---|---|---|---|")
    for idle in run["idle_clients"]:
        per = idle["bytes_per_client"]
        lines.append("| %s | %s | %d of %d | %d | %d | %s |" % (
            idle["label"], "used" if idle.get("used") else "never used",
            idle["opened"], idle["requested"], idle["rss_before_kb"],
            idle["rss_after_kb"], "n/a" if per is None else "%.0f" % per))
    lines.append("")


def goal_row(goal, figure, bar):
    status = "n/a" if figure is None else ("met" if figure >= bar else "short")
    return "| %s | %s | %s |" % (goal, fmt_ratio(figure), status)


def goals(run, lines):
    """Where herd stands against the targets of issue 5."""
    targets = by_name(run)

    def vs(name, base, workload):
        return ratio(targets.get(name) and median_of(targets[name], workload),
                     targets.get(base) and median_of(targets[base], workload))

    lines.append("### Issue 5 targets")
    lines.append("")
    lines.append("| goal | ratio | status |")
    lines.append("|---|---|---|")
    for workload in ("GET P1", "GET P16", "SET P1", "SET P16"):
        lines.append(goal_row("herd-proxy + 1 herd-node ≥ 1.0× nutcracker + 1 redis, " + workload,
                              vs("herd-proxy-1node", "nutcracker-1redis", workload), 1.0))
    for count in ("1", "3"):
        for workload in ("GET P1", "GET P16", "SET P1", "SET P16"):
            lines.append(goal_row("herd-proxy + %s redis ≥ 1.2× nutcracker + %s redis, %s"
                                  % (count, count, workload),
                                  vs("herd-proxy-%sredis" % count, "nutcracker-%sredis" % count,
                                     workload), 1.2))
    for workload in ("GET P1", "GET P16", "SET P1", "SET P16"):
        lines.append(goal_row("herd-node ≥ 0.8× redis-server, " + workload,
                              vs("herd-node", "redis", workload), 0.8))
    for workload in ("SET P1", "SET P16"):
        lines.append(goal_row("replicas 3 quorum writes ≥ 0.5× replicas 1, " + workload,
                              vs("herd-proxy-3nodes-quorum", "herd-proxy-1node", workload), 0.5))
        for level in ("one", "all"):
            lines.append(goal_row("(for reference) replicas 3, write-consistency %s vs "
                                  "replicas 1, %s" % (level, workload),
                                  vs("herd-proxy-3nodes-" + level, "herd-proxy-1node",
                                     workload), 0.0))
    for used in (False, True):
        idle = {i["label"]: i["bytes_per_client"] for i in run["idle_clients"]
                if bool(i.get("used")) == used}
        herd, nut = idle.get("herd-proxy"), idle.get("nutcracker")
        if herd is not None and nut is not None:
            status = "met" if herd <= nut else "short"
            lines.append("| herd-proxy bytes per idle connection ≤ nutcracker's (%s) | "
                         "%.0f vs %.0f | %s |"
                         % ("after one PING each" if used else "never used", herd, nut,
                            status))
    lines.append("")


def markdown(run):
    long_note = "BENCH_LONG=1" if run["long"] else "short default run; BENCH_LONG=1 for longer"
    lines = ["# make bench — %s" % run["date"], "",
             "redis-benchmark (%s) with %d clients, -r %d keys, -d %d-byte values; each "
             "figure is the median of %d rounds (%s). Every target was started fresh in this "
             "run on loopback and measured in turn, round after round (each round visits every "
             "target, so load from elsewhere is spread over all of them), on a %d-core %s machine, at commit %s; run took "
             "%.0f s, load average %.2f at the start and %.2f at the end (the machine is "
             "shared: other jobs ran alongside)."
             % (run["redis_benchmark"], run["clients"], run["keyspace"], run["value_size"],
                run["rounds"], long_note, run["cpus"], run["machine"],
                run.get("commit") or "unknown", run["seconds"],
                run["load_average_start"][0], run["load_average_end"][0]),
             "",
             "Workloads per target, in order: SET then GET at pipeline 1 and 16 (the SETs fill "
             "most of the keyspace the GETs read), MGET of %d random keys, and an 80/20 "
             "GET/SET mix (two concurrent redis-benchmarks, 40 GET and 10 SET clients; its "
             "throughput is all requests over the longer of the two runs, its p50/p99 are "
             "the reads', the writes' are in their own table)."
             % run["mget_keys"],
             "",
             "Targets: herd-proxy + 3 herd-nodes is a replicated cluster (replicas 3: every "
             "key on all three nodes, the proxy in seed mode) with write-consistency one, "
             "quorum and all. herd-proxy + redis is herd-proxy's pool mode in place of "
             "nutcracker, over the same kind of redis-servers, with nutcracker's settings "
             "(distribution ketama, hash fnv1a_64): the same key goes to the same server.",
             "",
             "## Headline: throughput ratios", ""]
    headline(run, lines)
    lines += ["## Details", ""]
    goals(run, lines)
    mixed_latency(run, lines)
    details(run, lines)
    memory(run, lines)
    lines.append("Raw figures: [%s.json](%s.json); plot: [%s.png](%s.png)."
                 % (run["basename"], run["basename"], run["basename"], run["basename"]))
    lines.append("")
    return "\n".join(lines)


def plot(run, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [t["label"] for t in run["targets"]]
    workloads = run["workloads"]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(13, 10))
    width = 0.8 / len(workloads)
    for index, workload in enumerate(workloads):
        values = [(median_of(t, workload) or 0) / 1000 for t in run["targets"]]
        top.bar([x + index * width for x in range(len(labels))], values, width, label=workload)
    top.set_xticks([x + 0.4 - width / 2 for x in range(len(labels))])
    top.set_xticklabels(labels, rotation=15, ha="right", fontsize=8)
    top.set_ylabel("thousand requests/s (median)")
    top.set_title("make bench %s: throughput per target" % run["date"])
    top.legend(fontsize=8, ncol=3)
    mixed = [w for w in workloads if w.startswith("MIXED")][0]
    series = (("read p50", "read_p50_latency_ms"), ("read p99", "read_p99_latency_ms"),
              ("write p50", "write_p50_latency_ms"), ("write p99", "write_p99_latency_ms"))
    width = 0.8 / len(series)
    for index, (name, key) in enumerate(series):
        values = [median_of(t, mixed, key) or 0 for t in run["targets"]]
        bottom.bar([x + index * width for x in range(len(labels))], values, width, label=name)
    bottom.set_xticks([x + 0.4 - width / 2 for x in range(len(labels))])
    bottom.set_xticklabels(labels, rotation=15, ha="right", fontsize=8)
    bottom.set_ylabel("ms")
    bottom.set_title("%s: p50 / p99 latency" % mixed)
    bottom.legend(fontsize=8, ncol=4)
    figure.tight_layout()
    figure.savefig(path, dpi=90)


def main():
    raw_path, prefix = sys.argv[1], sys.argv[2]
    with open(raw_path) as raw:
        run = json.load(raw)
    run["basename"] = prefix.rsplit("/", 1)[-1]
    with open(prefix + ".md", "w") as out:
        out.write(markdown(run))
    try:
        plot(run, prefix + ".png")
    except ImportError:
        print("bench: python3-matplotlib missing, no plot", file=sys.stderr)


if __name__ == "__main__":
    main()
