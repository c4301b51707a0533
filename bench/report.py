#!/usr/bin/python3
"""The end of scripts/bench: every table of the run in one place.

Reads the rows scripts/bench recorded (one per line: SECTION, a tab, then
KEY=VALUE pairs separated by spaces; an underscore in a mode or path name
stands for a space), and
- prints the tables (Markdown) to stdout;
- writes them as JSON (--json), with the machine and the command;
- with --markdown PATH, writes the same tables and the machine's details as
  a Markdown page (docs/benchmarks.md on a full run).

    report.py --results FILE --json OUT [--markdown OUT] --command CMD
    report.py --from-json bench-results.json [--markdown OUT]   (render again)
"""
import argparse
import datetime
import json
import os
import platform
import subprocess

# section -> (title, [(key, column header)], what the numbers are)
TABLES = {
    "throughput": (
        "Throughput: transport limit, kappa infer and the seed's design",
        [("mode", "mode"), ("events", "events"), ("transport_eps", "transport events/s"),
         ("eps", "events/s"), ("x_transport", "x transport"), ("x_seed", "x seed"),
         ("x_seed_1thread", "x seed (1 thread)"), ("scoring_s", "scoring s"),
         ("wall_s", "wall s"), ("peak_mb", "peak RSS MB")],
        "One pre-loaded events topic (lz4, 32 partitions) per row pair, on the embedded broker. "
        "transport: `bench/drain.cc`, a bare librdkafka consumer that only counts records "
        "(median of 3), on the same broker as the row. kappa infer: `--until-end` in a group "
        "of its own, events/s between its first and last scored batch (alerts' `scored_at`), "
        "so the ~3 s of client start and group join (in wall s) are left out; peak RSS: its "
        "VmHWM with the whole backlog to read. seed design: "
        "`bench/seed_design/consume_and_score.py`, the seed's consumer rebuilt (kafka-python, "
        "message by message, batches of 10, StandardScaler + XGBClassifier.predict, alerts via "
        "KafkaProducer), on the exactly-once row's broker and events, from its first message "
        "to its last alert acknowledged, over the events in its row (at most `seed COUNT`, default "
        "100,000, and KAPPA_BENCH_SEED_SECONDS, default 20 s); as written (XGBoost's "
        "default OpenMP threads) and with one predict thread. x seed: this row's events/s over "
        "the seed's as written; x seed (1 thread): over the seed's with one predict thread."),
    "latency": (
        "Event-to-alert latency of kappa infer at fixed rates (ms)",
        [("mode", "mode"), ("rate", "target events/s"), ("produced_eps", "produced events/s"),
         ("alerts", "alerts"), ("p50_ms", "p50"), ("p99_ms", "p99"), ("max_ms", "max"),
         ("produce_p50_ms", "produce p50"), ("produce_p99_ms", "produce p99"),
         ("scored_p50_ms", "scored p50"), ("scored_p99_ms", "scored p99"),
         ("seen_p50_ms", "seen p50"), ("seen_p99_ms", "seen p99"), ("batch", "events/batch")],
        "`kappa produce --rate R` for 11 s (the first second is warm-up) stamps each event's "
        "publish time; `bench/alert_latency.cc` takes now - `event_ts` for every alert it "
        "reads. produce: publish -> event readable; scored: publish -> the alert's "
        "`scored_at`; seen: `scored_at` -> alert readable. produced events/s is what `kappa "
        "produce` achieved (it paces on one thread)."),
    "reload": (
        "Hot-reload pause of kappa infer (ms)",
        [("mode", "mode"), ("rate", "events/s"), ("switch_gap_ms", "gap at switch"),
         ("gap_p50_ms", "gap p50"), ("gap_p99_ms", "gap p99"),
         ("switch_waited_ms", "waited at switch"), ("waited_p50_ms", "waited p50"),
         ("waited_p99_ms", "waited p99"), ("detail", "switches (vA>vB:gap:waited)")],
        "`kappa models promote` makes another version current twice during 12 s of paced "
        "load; infer verifies it and swaps it in between two batches. gap: the step between "
        "consecutive `scored_at` values (a chunk of up to 128 events shares one, so steps "
        "inside a large batch count too; at switch: the larger of the two switches); waited: `scored_at` - `event_ts` (at switch: the most any event of the "
        "first batch after a switch waited). The pause is the gap at the switch against the "
        "usual gap."),
    "rss": (
        "Resident memory of kappa infer under paced load",
        [("mode", "mode"), ("seconds", "seconds"), ("rate", "target events/s"),
         ("produced_eps", "produced events/s"), ("scored", "scored"), ("samples", "samples"),
         ("start_mb", "start MB"), ("steady_mb", "steady MB"), ("max_mb", "max MB"),
         ("end_mb", "end MB"), ("slope_mb_per_min", "slope MB/min"), ("growth", "growth")],
        "VmRSS from /proc/PID/status once a second while `kappa produce --rate` runs. start: "
        "the first sample (after the warm-up); steady: the median of the second half; slope: "
        "least squares over the second half; growth is flagged above 1 MB/min."),
    "replay": (
        "Replay into RocksDB and fit (kappa train --from-scratch)",
        [("events", "events"), ("produce_eps", "produce events/s"),
         ("replay_eps", "replay events/s"), ("replay_s", "replay s"), ("fit_s", "fit s"),
         ("rounds", "rounds")],
        "A fresh broker per count, `kappa produce --rate max` (lz4), then `kappa train "
        "--from-scratch`: replay events/s are events decoded, validated and written to "
        "RocksDB with their checkpoints."),
    "reprocess": (
        "Reprocess history with a new feature set (kappa reprocess -f titanic-v2)",
        [("events", "events"), ("replay_s", "replay s"), ("fit_s", "fit s"),
         ("rescore_s", "re-score s"), ("rescore_eps", "re-score events/s"),
         ("total_s", "total s")],
        "Every event of history scored by the new and the current model, one prediction per "
        "event written and acknowledged."),
    "hot": (
        "Hot paths, one thread, no Kafka (ns per event)",
        [("path", "path"), ("ns_per_event", "ns per event")],
        "`kappa_bench_decode` (EventDecoder over 200,000 generated events) and "
        "`kappa_bench_predict` (kappa's predictor beside XGBoost's in-place prediction, on the "
        "infer section's model)."),
}
ORDER = ["throughput", "latency", "reload", "rss", "replay", "reprocess", "hot"]
NAMES = {"mode", "path"}  # values where "_" stands for a space


class Decimal(float):
    """A number that prints as scripts/bench wrote it (e.g. 0.50, not 0.5)."""

    def __new__(cls, text):
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self):
        return self.text


def parse_value(key, text):
    if key in NAMES:
        return text.replace("_", " ")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return Decimal(text)
    except ValueError:
        return text


def read_results(path):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            section, _, pairs = line.rstrip("\n").partition("\t")
            row = {}
            for pair in pairs.split():
                key, _, value = pair.partition("=")
                row[key] = parse_value(key, value)
            rows.setdefault(section, []).append(row)
    return rows


def run(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine():
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    os_name = ""
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    debian = run(["cat", "/etc/debian_version"])
    packages = {}
    for p in ["librdkafka-dev", "libxgboost-dev", "librocksdb-dev", "libsimdjson-dev",
              "python3-kafka", "python3-xgboost", "python3-sklearn", "python3-numpy"]:
        packages[p] = run(["dpkg-query", "-W", "-f=${Version}", p]) or "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1048576, 1),
        "kernel": platform.release(),
        "os": os_name + (f" ({debian})" if debian else ""),
        "compiler": run(["c++", "--version"]).splitlines()[0] if run(["c++", "--version"]) else "",
        "python": platform.python_version(),
        "packages": packages,
    }


def fmt(value):
    """As scripts/bench printed it, with thousands separated in counts and rates."""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float) and abs(value) >= 10000:
        return f"{value:,.0f}"
    return str(value)


def markdown_table(section, rows):
    title, columns, note = TABLES[section]
    out = [f"### {title}", ""]
    out.append("| " + " | ".join(h for _, h in columns) + " |")
    out.append("|" + " --- |" * len(columns))
    for row in rows:
        out.append("| " + " | ".join(fmt(row.get(k, "")) for k, _ in columns) + " |")
    out += ["", note, ""]
    return out


def targets(rows):
    """The issue's targets, judged on this run's numbers."""
    out = []
    tp = {r["mode"]: r for r in rows.get("throughput", [])}
    alo = tp.get("kappa infer, at-least-once")
    eos = tp.get("kappa infer, exactly-once")
    for name, r in (("at-least-once", alo), ("exactly-once", eos)):
        if r and isinstance(r.get("x_transport"), float):
            x = r["x_transport"]
            out.append(f"- kappa infer {name} at least 0.5x the transport limit: {x:.2f}x, "
                       f"{'met' if x >= 0.5 else 'not met'}.")
    for name, r in (("at-least-once", alo), ("exactly-once", eos)):
        if r and isinstance(r.get("x_seed"), float):
            x, x1 = r["x_seed"], r.get("x_seed_1thread")
            one = (f"; {x1:.1f}x the seed with one predict thread, "
                   f"{'met' if x1 >= 50 else 'not met'} against that"
                   if isinstance(x1, float) else "")
            out.append(f"- kappa infer {name} at least 50x the seed's design: {x:.1f}x the seed "
                       f"as written, {'met' if x >= 50 else 'not met'}{one}.")
    for r in rows.get("rss", []):
        out.append(f"- kappa infer's RSS bounded, no growth ({fmt(r.get('mode'))}): steady "
                   f"{fmt(r.get('steady_mb'))} MB, "
                   f"max {fmt(r.get('max_mb'))} MB, slope {fmt(r.get('slope_mb_per_min'))} MB/min "
                   f"over the second half of {fmt(r.get('seconds'))} s: "
                   f"{'GROWTH flagged' if r.get('growth') == 'yes' else 'no growth'}.")
    for r in rows.get("latency", []):
        if r.get("rate") == 1000 and r.get("mode") == "at-least-once":
            p99 = r.get("p99_ms")
            if isinstance(p99, (int, float)):
                out.append(f"- p99 event-to-alert below 20 ms at 1k events/s (at-least-once): "
                           f"{fmt(p99)} ms, {'met' if p99 < 20 else 'not met'}.")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", help="the rows scripts/bench recorded")
    parser.add_argument("--json", help="where to write them as JSON")
    parser.add_argument("--from-json", help="render a bench-results.json again")
    parser.add_argument("--markdown")
    parser.add_argument("--command")
    args = parser.parse_args()

    if args.from_json:
        with open(args.from_json, encoding="utf-8") as f:
            info = json.load(f)
        rows = info.pop("results")
        for section_rows in rows.values():  # ratios print as they were written
            for r in section_rows:
                for k, v in r.items():
                    if isinstance(v, float):
                        r[k] = Decimal(str(v))
    else:
        if not (args.results and args.json and args.command):
            parser.error("--results, --json and --command are needed (or --from-json)")
        rows = read_results(args.results)
        run_info = {}
        for r in rows.pop("run", []):
            run_info.update(r)
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        commit = run(["git", "rev-parse", "--short", "HEAD"])
        if commit and run(["git", "status", "--porcelain", "--untracked-files=no"]):
            commit += " (with uncommitted changes)"
        info = {
            "date": now.isoformat(),
            "command": args.command,
            "commit": commit,
            "load_start": run_info.get("load_start"),
            "load_end": run_info.get("load_end"),
            "machine": machine(),
        }

    tables = []
    for section in ORDER:
        if section in rows:
            tables += markdown_table(section, rows[section])
    goal_lines = targets(rows)

    if not args.from_json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({**info, "results": rows}, f, indent=2)
            f.write("\n")

    print("\n".join(["## All results of this run", ""] + tables +
                     (["### Targets", ""] + goal_lines + [""] if goal_lines else [])))
    if not args.from_json:
        print(f"results: {args.json}")

    if args.markdown:
        m = info["machine"]
        page = [
            "# Benchmarks",
            "",
            "Written by `./scripts/bench` (do not edit by hand; rerun it). One run, on the",
            "embedded broker over loopback, with the real `kappa` binary. The machine is",
            "shared and its load varies from minute to minute: compare the ratios within a",
            "run, and rerun before believing a difference. How each number is taken is",
            "described in the comments of `scripts/bench` and of the probes in `bench/`.",
            "",
            "## This run",
            "",
            "| | |",
            "| --- | --- |",
            f"| command | `{info['command']}` |",
            f"| date (UTC) | {info['date']} |",
            f"| commit | {info['commit'] or 'unknown'} |",
            f"| load average (1 min) at start / end | {info['load_start']} / {info['load_end']} |",
            f"| CPU | {m['cpu']} |",
            f"| cores | {m['cores']} |",
            f"| RAM | {m['ram_gib']} GiB |",
            f"| kernel | {m['kernel']} |",
            f"| OS | {m['os']} |",
            f"| compiler | {m['compiler']} |",
            f"| Python (seed design) | {m['python']} |",
        ]
        page += [f"| {p} | {v} |" for p, v in m["packages"].items()]
        page += [""]
        loads = [x for x in (info["load_start"], info["load_end"]) if isinstance(x, (int, float))]
        if loads and max(loads) > m["cores"]:
            page += [f"The machine was busy: a load average above its {m['cores']} cores means "
                     "other work competed with this run for the CPU, which inflates latencies "
                     "and the times of CPU-bound phases (fit) most; the ratios measured "
                     "side by side within the run are the numbers to compare.", ""]
        if goal_lines:
            page += ["## Targets (issue 9)", ""] + goal_lines + [""]
        page += ["## Results", ""] + tables
        os.makedirs(os.path.dirname(os.path.abspath(args.markdown)), exist_ok=True)
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write("\n".join(page).rstrip("\n") + "\n")
        print(f"page: {args.markdown}")


if __name__ == "__main__":
    main()
