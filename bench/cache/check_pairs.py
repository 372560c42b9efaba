#!/usr/bin/env python3
"""Validate bench/cache/pairs.jsonl and print counts per kind / category."""
import json, re, sys, collections, os

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "pairs.jsonl")
KIND_LABEL = {"paraphrase": "hit", "lookalike": "miss", "unrelated": "miss"}
LOOK_CATS = {"number", "negation", "entity", "comparative", "population", "timeframe"}
norm = lambda s: re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()

errors, ids, texts = [], set(), collections.Counter()
kinds, cats = collections.Counter(), collections.Counter()
for n, line in enumerate(open(path, encoding="utf-8"), 1):
    try:
        r = json.loads(line)
    except Exception as e:
        errors.append(f"line {n}: invalid JSON: {e}"); continue
    if set(r) != {"id", "a", "b", "label", "kind", "category"}:
        errors.append(f"line {n}: bad keys {sorted(r)}")
    if r["id"] in ids: errors.append(f"line {n}: duplicate id {r['id']}")
    ids.add(r["id"])
    if norm(r["a"]) == norm(r["b"]): errors.append(f"{r['id']}: a == b")
    if KIND_LABEL.get(r["kind"]) != r["label"]: errors.append(f"{r['id']}: kind/label mismatch")
    if r["kind"] == "paraphrase" and r["category"] != "paraphrase": errors.append(f"{r['id']}: bad category")
    if r["kind"] == "unrelated" and r["category"] != "unrelated": errors.append(f"{r['id']}: bad category")
    if r["kind"] == "lookalike" and r["category"] not in LOOK_CATS: errors.append(f"{r['id']}: bad category")
    texts[norm(r["a"])] += 1; texts[norm(r["b"])] += 1
    kinds[r["kind"]] += 1; cats[r["category"]] += 1

for t, c in texts.items():
    if c > 1: errors.append(f"question used {c} times: {t!r}")
for c in LOOK_CATS:
    if cats[c] < 15: errors.append(f"category {c} has only {cats[c]} pairs")

print(f"total pairs: {sum(kinds.values())}")
for k, v in sorted(kinds.items()): print(f"kind {k}: {v}")
for k, v in sorted(cats.items()): print(f"category {k}: {v}")
labels = collections.Counter("hit" if k == "paraphrase" else "miss" for k in kinds.elements())
print(f"labels: hit={labels['hit']} miss={labels['miss']}")
if errors:
    print("\n".join("ERROR " + e for e in errors)); sys.exit(1)
print("OK")
