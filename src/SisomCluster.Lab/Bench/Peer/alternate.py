#!/usr/bin/python3
"""Whole processes side by side: each round runs every command once, in the order given, so a change of machine load
hits all of them alike; prints per-command medians of wall time and CPU time (user + sys of the process and its
children), the load average at each start, and the ratio of medians for each --compare pair; --json writes it all.

Example (the offline-score comparison of docs/results/core.md):
  alternate.py --rounds 5 --json peer-vs-sisom.json \\
    --run "peer=env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 sisom_peer.py ... peer.csv" \\
    --run "sisom=dotnet r2r/sisom.dll offline score ... --no-knn --out scores.csv" \\
    --compare peer/sisom
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(command):
    load = os.getloadavg()[0]
    start = time.perf_counter()
    # stderr goes to a file, read after the wait: a pipe read only then would block a child writing more than it holds.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, shell=True, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"command failed with exit code {code}: {command}\n{stderr}")
    return {"wall_s": round(wall, 4), "cpu_s": round(usage.ru_utime + usage.ru_stime, 4), "load": round(load, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, metavar="NAME=COMMAND", help="a command (shell) to time, under a name")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each runs every command once, in order")
    parser.add_argument("--compare", action="append", default=[], metavar="A/B", help="print median(A) / median(B): how many times faster B is")
    parser.add_argument("--json", help="also write the runs, medians and ratios to this file")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")

    commands = []
    for spec in args.run:
        name, sep, command = spec.partition("=")
        if not sep or not name or not command.strip():
            parser.error(f"--run takes NAME=COMMAND, got {spec!r}")
        if any(name == n for n, _ in commands):
            parser.error(f"--run name {name!r} given twice")
        commands.append((name, command))
    names = [n for n, _ in commands]
    pairs = []
    for spec in args.compare:
        a, sep, b = spec.partition("/")
        if not sep or a not in names or b not in names:
            parser.error(f"--compare takes A/B with two --run names, got {spec!r}")
        pairs.append((a, b))

    runs = {name: [] for name in names}
    for r in range(args.rounds):
        for name, command in commands:
            result = run_once(command)
            runs[name].append(result)
            print(f"round {r + 1} {name}: wall {result['wall_s']:.3f} s, cpu {result['cpu_s']:.3f} s, load {result['load']:.2f}", flush=True)

    medians = {n: {"wall_s": statistics.median(x["wall_s"] for x in runs[n]), "cpu_s": statistics.median(x["cpu_s"] for x in runs[n])} for n in names}
    print()
    print(f"{'command':<24} {'wall median (s)':>16} {'cpu median (s)':>15}")
    for n in names:
        print(f"{n:<24} {medians[n]['wall_s']:>16.3f} {medians[n]['cpu_s']:>15.3f}")
    ratios = []
    for a, b in pairs:
        ratio = {"a": a, "b": b, "wall": medians[a]["wall_s"] / medians[b]["wall_s"], "cpu": medians[a]["cpu_s"] / medians[b]["cpu_s"]}
        ratios.append(ratio)
        print(f"{a} / {b}: wall {ratio['wall']:.2f}x, cpu {ratio['cpu']:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rounds": args.rounds, "cores": os.cpu_count(), "commands": dict(commands), "runs": runs, "medians": medians, "ratios": ratios}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
