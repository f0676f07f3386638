#!/usr/bin/env python3
"""Checks that sisom_peer.py and `sisom offline score` agree: same predicted class and nearest reference for every
query, ratios equal to a relative tolerance. usage: compare_peer.py peer.csv scores.csv [rel_tol=1e-5]
Exit 0 and one summary line when they agree; exit 1 with the first disagreements otherwise."""
import csv, sys

def main():
    peer_path, sisom_path = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
    peer = list(csv.DictReader(open(peer_path)))
    ours = list(csv.DictReader(open(sisom_path)))
    if len(peer) != len(ours):
        sys.exit(f"{len(peer)} peer rows, {len(ours)} sisom rows")
    bad, worst = [], 0.0
    for p, o in zip(peer, ours):
        rp, ro = float(p["ratio"]), float(o["ratio"])
        rel = abs(rp - ro) / max(abs(ro), 1e-30)
        worst = max(worst, rel)
        if p["predicted"] != o["predicted"] or p["nearest_reference"] != o["nearest_reference"] or rel > tol:
            bad.append((p["index"], p["predicted"], o["predicted"], p["nearest_reference"], o["nearest_reference"], rp, ro))
    if bad:
        for b in bad[:10]:
            print("index %s: predicted %s vs %s, nearest %s vs %s, ratio %r vs %r" % b)
        sys.exit(f"{len(bad)} of {len(ours)} queries disagree (ratio tolerance {tol})")
    print(f"agree: {len(ours)} queries, identical predictions and nearest references, max relative ratio difference {worst:.2e}")

if __name__ == "__main__":
    main()
