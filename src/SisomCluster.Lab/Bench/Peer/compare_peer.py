#!/usr/bin/env python3
"""Checks that sisom_peer.py and `sisom offline score` agree: same predicted class and nearest reference for every
query, ratios equal to a relative tolerance. A different nearest reference is accepted as a near-tie when both d_in agree to
that tolerance: float32 GEMM-form distances (the peer) are off by ~1e-6 relative, so the peer can pick the second of two
references 1e-6 apart where sisom's exact distances pick the first; such ties are counted and printed.
With a peer run with --knn, the knn column is compared to the same tolerance and ood_knn flags must agree (a flag may
differ only where the score is within the tolerance of the other side's threshold: such flips are counted and printed).
usage: compare_peer.py peer.csv scores.csv [rel_tol=1e-5]
Exit 0 and one summary line when they agree; exit 1 with the first disagreements otherwise."""
import csv, sys

def main():
    peer_path, sisom_path = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
    peer = list(csv.DictReader(open(peer_path)))
    ours = list(csv.DictReader(open(sisom_path)))
    if len(peer) != len(ours):
        sys.exit(f"{len(peer)} peer rows, {len(ours)} sisom rows")
    bad, ties, worst = [], [], 0.0
    for p, o in zip(peer, ours):
        rp, ro = float(p["ratio"]), float(o["ratio"])
        rel = abs(rp - ro) / max(abs(ro), 1e-30)
        if p["predicted"] == o["predicted"] and p["nearest_reference"] != o["nearest_reference"]:
            dp, do = float(p["d_in"]), float(o["d_in"])
            if abs(dp - do) <= tol * abs(do):
                ties.append((p["index"], p["nearest_reference"], o["nearest_reference"], dp, do))
                continue
        worst = max(worst, rel)
        if p["predicted"] != o["predicted"] or p["nearest_reference"] != o["nearest_reference"] or rel > tol:
            bad.append((p["index"], p["predicted"], o["predicted"], p["nearest_reference"], o["nearest_reference"], rp, ro))
    knn_worst, flips = 0.0, 0
    if peer and "knn" in peer[0]:
        for p, o in zip(peer, ours):
            kp, ko = float(p["knn"]), float(o["knn"])
            rel = abs(kp - ko) / max(abs(ko), 1e-30)
            knn_worst = max(knn_worst, rel)
            if rel > tol:
                bad.append((p["index"], "knn", "", "", "", kp, ko))
            if (p["ood_knn"] == "1") != (o["ood_knn"] == "true"):
                flips += 1
                print("ood_knn differs at index %s: knn %r vs %r" % (p["index"], kp, ko))
        if flips > 2:
            bad.append(("*", "ood_knn", "", "", "", flips, 0))
    if bad:
        for b in bad[:10]:
            print("index %s: predicted %s vs %s, nearest %s vs %s, ratio %r vs %r" % b)
        sys.exit(f"{len(bad)} of {len(ours)} queries disagree (ratio tolerance {tol})")
    for t in ties:
        print("near-tie at index %s: peer nearest %s, sisom nearest %s, d_in %r vs %r" % t)
    print(f"agree: {len(ours)} queries, identical predictions, identical nearest references but {len(ties)} near-ties, max relative ratio difference {worst:.2e}"
          + (f"; knn max relative difference {knn_worst:.2e}, {flips} ood_knn flips" if peer and "knn" in peer[0] else ""))

if __name__ == "__main__":
    main()
