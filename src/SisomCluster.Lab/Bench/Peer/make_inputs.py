#!/usr/bin/env python3
"""Synthetic inputs for `sisom offline score` and sisom_peer.py: class-clustered, non-negative penultimate
features (ReLU-like), a linear head fitted to nothing in particular, labels 0..K-1.
usage: make_inputs.py OUT_DIR [--reference N] [--queries M] [--classes K] [--dim D] [--seed S]
Writes ref.npy (N x D float32), labels.txt, W.npy (K x D), b.npy (K), q.npy (M x D float32)."""
import argparse, os, numpy as np

def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--reference", type=int, default=10000)
    p.add_argument("--queries", type=int, default=20000)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--seed", type=int, default=15)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    k, d = a.classes, a.dim
    centres = rng.normal(0.0, 1.0, (k, d)).astype(np.float32)
    def sample(n, spread):
        y = np.arange(n) % k
        rng.shuffle(y)
        h = np.maximum(centres[y] + rng.normal(0.0, spread, (n, d)).astype(np.float32), 0.0)
        return h.astype(np.float32), y
    ref, y = sample(a.reference, 1.0)
    q, _ = sample(a.queries, 1.3)  # queries a little wider than T: some near, some far
    w = (centres / np.linalg.norm(centres, axis=1, keepdims=True)).astype(np.float32)
    b = np.zeros(k, np.float32)
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "ref.npy"), ref)
    np.save(os.path.join(a.out, "q.npy"), q)
    np.save(os.path.join(a.out, "W.npy"), w)
    np.save(os.path.join(a.out, "b.npy"), b)
    np.savetxt(os.path.join(a.out, "labels.txt"), y, fmt="%d")
    print(f"wrote {a.out}: |T| = {a.reference} in {k} classes, D = {d}, {a.queries} queries")

if __name__ == "__main__":
    main()
