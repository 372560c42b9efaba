#!/usr/bin/env python3
"""hnswlib peer benchmark: build time, memory, and recall@k / QPS over a sweep of ef_search.

Input files are raw little-endian, row-major, no header:
  --base     float32, n x D       (the vectors to index; row number = id)
  --queries  float32, q x D
  --truth    int32,   q x K       (K >= --k; 0-based base row numbers of the exact top-K by inner product)

Prints ONE JSON object on stdout; progress goes to stderr.

Example:
  .peers/venv/bin/python scripts/peers/bench_hnswlib.py --base base.f32 --queries q.f32 \
      --truth truth.i32 --dim 384 --k 10 --m 16 --ef-construction 200 --threads 2 \
      --ef-search 10,16,24,32,48,64,96,128,192,256 --min-seconds 1.0
"""
import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse
import json
import platform
import resource
import sys
import time
from importlib import metadata

import numpy as np


def log(*a):
    print("bench_hnswlib:", *a, file=sys.stderr, flush=True)


_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_now() -> int:
    """Current resident set size in bytes (from /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def rss_peak() -> int:
    """Peak resident set size in bytes (ru_maxrss is KiB on Linux)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib if sys.platform == "darwin" else kib * 1024


def load_matrix(path: str, dtype, cols: int, what: str) -> np.ndarray:
    itemsize = np.dtype(dtype).itemsize
    size = os.path.getsize(path)
    if cols <= 0 or size % (itemsize * cols):
        raise SystemExit(f"bench_hnswlib: {what} {path}: {size} bytes is not a multiple of {cols} x {itemsize}")
    a = np.fromfile(path, dtype=np.dtype(dtype).newbyteorder("<"))
    return np.ascontiguousarray(a.reshape(-1, cols).astype(dtype, copy=False))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--truth", required=True)
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ef-search", default="10,16,24,32,48,64,96,128,192,256")
    p.add_argument("--min-seconds", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=100, help="hnswlib random_seed (default 100)")
    a = p.parse_args()

    import hnswlib

    efs = [int(x) for x in a.ef_search.split(",") if x.strip()]
    if not efs:
        p.error("--ef-search is empty")

    rss_before_load = rss_now()
    base = load_matrix(a.base, np.float32, a.dim, "base")
    queries = load_matrix(a.queries, np.float32, a.dim, "queries")
    nq = queries.shape[0]
    tsize = os.path.getsize(a.truth)
    if nq == 0 or tsize % (4 * nq):
        raise SystemExit(f"bench_hnswlib: truth {a.truth}: {tsize} bytes does not fit {nq} query rows of int32")
    truth_k = tsize // (4 * nq)
    if truth_k < a.k:
        raise SystemExit(f"bench_hnswlib: truth has {truth_k} columns, fewer than --k {a.k}")
    truth = load_matrix(a.truth, np.int32, truth_k, "truth")[:, : a.k].astype(np.int64)
    n = base.shape[0]
    if truth.min() < 0 or truth.max() >= n:
        raise SystemExit(f"bench_hnswlib: truth ids out of range [0, {n})")
    log(f"loaded base {n}x{a.dim}, queries {nq}, truth k={truth_k} (using {a.k})")

    rss_before_build = rss_now()
    peak_before_build = rss_peak()

    index = hnswlib.Index(space="ip", dim=a.dim)
    t0 = time.perf_counter()
    index.init_index(max_elements=n, M=a.m, ef_construction=a.ef_construction, random_seed=a.seed)
    index.add_items(base, np.arange(n, dtype=np.int64), num_threads=a.threads)
    build_seconds = time.perf_counter() - t0
    rss_after_build = rss_now()
    peak_after_build = rss_peak()
    log(f"built M={a.m} efC={a.ef_construction} threads={a.threads} in {build_seconds:.3f}s; "
        f"rss {rss_before_build / 2**20:.1f} -> {rss_after_build / 2**20:.1f} MiB, "
        f"peak {peak_after_build / 2**20:.1f} MiB")

    index_file_size = None
    try:
        index_file_size = int(index.index_file_size())
    except Exception:  # older bindings lack it
        pass

    runs = []
    for ef in efs:
        index.set_ef(ef)
        labels, _ = index.knn_query(queries, k=a.k, num_threads=a.threads)  # warm-up
        labels = labels.astype(np.int64)
        hits = (labels[:, :, None] == truth[:, None, :]).any(axis=2).sum(axis=1)
        recall = float((hits / a.k).mean())
        reps = 0
        t0 = time.perf_counter()
        while True:
            index.knn_query(queries, k=a.k, num_threads=a.threads)
            reps += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= a.min_seconds:
                break
        qps = nq * reps / elapsed
        log(f"ef={ef:4d} recall@{a.k}={recall:.4f} qps={qps:10.1f} ({reps} reps, {elapsed:.2f}s)")
        runs.append({"ef_search": ef, "recall": round(recall, 6), "qps": round(qps, 1),
                     "reps": reps, "seconds": round(elapsed, 4)})

    out = {
        "library": "hnswlib",
        "version": metadata.version("hnswlib"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "n": n,
        "dim": a.dim,
        "queries": nq,
        "k": a.k,
        "m": a.m,
        "ef_construction": a.ef_construction,
        "threads": a.threads,
        "random_seed": a.seed,
        "min_seconds": a.min_seconds,
        "build_seconds": round(build_seconds, 4),
        "rss_before_load_bytes": rss_before_load,
        "rss_before_build_bytes": rss_before_build,
        "rss_after_build_bytes": rss_after_build,
        "peak_rss_before_build_bytes": peak_before_build,
        "peak_rss_bytes": peak_after_build,
        # growth of the resident set across init_index + add_items = what the index holds
        "index_memory_bytes": rss_after_build - rss_before_build,
        "peak_growth_during_build_bytes": max(0, peak_after_build - max(peak_before_build, rss_before_build)),
        "index_file_size_bytes": index_file_size,
        "runs": runs,
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
