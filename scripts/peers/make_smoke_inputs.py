#!/usr/bin/env python3
"""Write small, deterministic inputs for a smoke run of the peer benchmarks (not for real numbers).

  DIR/base.f32     n x dim float32, L2-normalised Gaussian vectors
  DIR/queries.f32  q x dim float32, same distribution
  DIR/truth.i32    q x k int32, exact top-k by inner product (numpy brute force)
  DIR/texts.json   {"short": [64 questions], "passage": [32 passages of ~200 words]}

Note: isotropic Gaussian vectors in 384 dimensions are the hardest case for any graph index, so
recall at small ef is low; use real embeddings for numbers that mean something.

  .peers/venv/bin/python scripts/peers/make_smoke_inputs.py --out /tmp/peer-smoke
"""
import argparse
import json
import os

import numpy as np

WORDS = (
    "the a of to and in is for on with as by at from that this it be are was or an which "
    "document index search query answer model vector embedding chunk passage server request "
    "retrieval generation context citation source file page section paragraph sentence token "
    "memory latency throughput recall precision graph neighbour layer cache disk network user "
    "question report policy contract invoice customer product release version feature error "
    "system process data table record field value result score rank filter batch thread core "
    "quickly carefully usually often rarely always never before after during while because "
    "although however therefore large small fast slow new old important simple complex local "
    "remote private public secure stable reliable accurate relevant recent previous next final"
).split()

QUESTIONS = [
    "How do I {v} the {n}?", "What is the {n} of the {m}?", "Why does the {n} {v} so slowly?",
    "Where can I find the {m} {n}?", "When was the {n} last {p}?", "Who owns the {m} {n}?",
    "Which {n} should I use for {m} search?", "Can Spotter {v} a {n} from a {m}?",
]
NOUNS = ["index", "document", "invoice", "contract", "report", "server", "policy", "embedding",
         "query", "cache", "release", "table", "page", "model", "chunk", "citation"]
VERBS = ["reset", "rebuild", "update", "delete", "export", "import", "search", "summarise"]
MODS = ["latest", "private", "shared", "quarterly", "local", "remote", "customer", "default"]
PARTS = ["updated", "indexed", "reviewed", "exported", "signed", "released"]


def texts(rng, n_short, n_passage, words):
    short = []
    for _ in range(n_short):
        t = QUESTIONS[rng.integers(len(QUESTIONS))]
        short.append(t.format(n=rng.choice(NOUNS), v=rng.choice(VERBS), m=rng.choice(MODS), p=rng.choice(PARTS)))
    passage = []
    for _ in range(n_passage):
        ws, out = int(words + rng.integers(-15, 16)), []
        while len(out) < ws:
            sent = list(rng.choice(WORDS, size=int(rng.integers(8, 18))))
            sent[0] = sent[0].capitalize()
            out.extend(sent[:-1] + [sent[-1] + "."])
        passage.append(" ".join(out[:ws]))
    return {"short": short, "passage": passage}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--short", type=int, default=64)
    p.add_argument("--passages", type=int, default=32)
    p.add_argument("--passage-words", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)

    def unit(rows):
        x = rng.standard_normal((rows, a.dim)).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    base, queries = unit(a.n), unit(a.queries)
    truth = np.argsort(-(queries @ base.T), axis=1, kind="stable")[:, : a.k].astype("<i4")
    base.astype("<f4").tofile(os.path.join(a.out, "base.f32"))
    queries.astype("<f4").tofile(os.path.join(a.out, "queries.f32"))
    truth.tofile(os.path.join(a.out, "truth.i32"))
    with open(os.path.join(a.out, "texts.json"), "w") as f:
        json.dump(texts(rng, a.short, a.passages, a.passage_words), f, indent=1)
    print(f"wrote {a.out}/base.f32 ({a.n}x{a.dim}), queries.f32 ({a.queries}x{a.dim}), "
          f"truth.i32 ({a.queries}x{a.k}), texts.json ({a.short} short, {a.passages} passages)")


if __name__ == "__main__":
    main()
