#!/usr/bin/env python3
"""Validate bench/cache/workload.jsonl and print counts.

Checks: valid JSON per line, exact key set {id, topic, questions}, ids unique
and sequential (w001, w002, ...), a non-empty topic, 3-5 unique non-empty
question strings per group, no question used twice anywhere in the file or
in pairs.jsonl, and look-alike topics of the form "lookalike:<contrast>".
Questions are compared after normalisation (lower case, punctuation and
spacing collapsed), the same rule check_pairs.py uses, so near-identical
strings such as "What is X?" / "what is x" also count as repeats.

Convention (checked): a look-alike group directly follows the group it
imitates, so its partner is the nearest preceding non-look-alike group.
Exit status 1 on any error.

Usage: python3 bench/cache/check_workload.py [workload.jsonl [pairs.jsonl]]
"""
import collections
import difflib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "workload.jsonl")
pairs_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "pairs.jsonl")

KEYS = {"id", "topic", "questions"}
CONTRASTS = {"number", "negation", "entity", "comparative", "population", "timeframe"}
MIN_Q, MAX_Q = 3, 5


def norm(s):
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


errors, warnings = [], []

# Questions of pairs.jsonl (both sides of every pair) must not be reused.
pair_texts = {}
if os.path.exists(pairs_path):
    for n, line in enumerate(open(pairs_path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except ValueError as e:
            errors.append(f"{os.path.basename(pairs_path)} line {n}: invalid JSON: {e}")
            continue
        for side in ("a", "b"):
            if isinstance(r.get(side), str):
                pair_texts.setdefault(norm(r[side]), f"{r.get('id')}.{side}")
else:
    errors.append(f"{pairs_path} not found (needed for the overlap check)")

groups = []            # (id, topic, [questions]) of well-formed lines
seen = {}              # normalised question -> id of first group using it
ids = set()
records = 0            # non-empty lines so far: record k must have id w{k:03d}
for n, line in enumerate(open(path, encoding="utf-8"), 1):
    if not line.strip():
        errors.append(f"line {n}: empty line")
        continue
    records += 1
    try:
        r = json.loads(line)
    except ValueError as e:
        errors.append(f"line {n}: invalid JSON: {e}")
        continue
    if not isinstance(r, dict) or set(r) != KEYS:
        errors.append(f"line {n}: keys must be exactly {sorted(KEYS)}, got "
                      f"{sorted(r) if isinstance(r, dict) else type(r).__name__}")
        continue
    gid, topic, qs = r["id"], r["topic"], r["questions"]
    want = f"w{records:03d}"
    if gid in ids:
        errors.append(f"line {n}: duplicate id {gid!r}")
    elif gid != want:
        errors.append(f"line {n}: id {gid!r} out of sequence, expected {want!r}")
    ids.add(gid)
    if not isinstance(topic, str) or not topic.strip():
        errors.append(f"{gid}: topic must be a non-empty string")
        topic = ""
    elif topic.startswith("lookalike"):
        contrast = topic.partition(":")[2]
        if not topic.startswith("lookalike:") or contrast not in CONTRASTS:
            errors.append(f"{gid}: look-alike topic must be lookalike:<{'|'.join(sorted(CONTRASTS))}>, got {topic!r}")
    if not isinstance(qs, list) or not (MIN_Q <= len(qs) <= MAX_Q):
        errors.append(f"{gid}: questions must be a list of {MIN_Q}-{MAX_Q} strings")
        qs = qs if isinstance(qs, list) else []
    good = []
    for q in qs:
        if not isinstance(q, str) or not q.strip() or not norm(q):
            errors.append(f"{gid}: empty or non-string question {q!r}")
            continue
        if q != q.strip():
            errors.append(f"{gid}: leading/trailing whitespace in {q!r}")
        k = norm(q)
        if k in seen:
            where = "the same group" if seen[k] == gid else f"group {seen[k]}"
            errors.append(f"{gid}: question {q!r} repeats one in {where}")
        else:
            seen[k] = gid
        if k in pair_texts:
            errors.append(f"{gid}: question {q!r} is already in pairs.jsonl ({pair_texts[k]})")
        good.append(q)
    groups.append((gid, topic, good))

# Look-alike partner convention and a similarity sanity check.
contrasts = collections.Counter()
topics = collections.Counter()
partner = None
for gid, topic, qs in groups:
    if topic.startswith("lookalike:"):
        contrasts[topic.partition(":")[2]] += 1
        if partner is None:
            errors.append(f"{gid}: look-alike group has no preceding non-look-alike partner")
            continue
        pid, pqs = partner
        best = max((difflib.SequenceMatcher(None, norm(a), norm(b)).ratio()
                    for a in qs for b in pqs), default=0.0)
        if best < 0.6:
            warnings.append(f"{gid}: wording is far from its partner {pid} (best ratio {best:.2f}); "
                            f"is it really a look-alike of {pid}?")
    else:
        topics[topic] += 1
        partner = (gid, qs)

n_groups = len(groups)
n_questions = sum(len(qs) for _, _, qs in groups)
n_look = sum(contrasts.values())
sizes = collections.Counter(len(qs) for _, _, qs in groups)

print(f"groups: {n_groups}")
print(f"questions: {n_questions} (per group: " +
      ", ".join(f"{k}={v}" for k, v in sorted(sizes.items())) + ")")
share = f"{100 * n_look / n_groups:.1f}%" if n_groups else "n/a"
print(f"look-alike groups: {n_look} ({share} of groups)")
for c in sorted(CONTRASTS):
    print(f"  lookalike:{c}: {contrasts[c]}")
print("other groups by topic: " + ", ".join(f"{t}={v}" for t, v in sorted(topics.items())))
print(f"pairs.jsonl questions checked for overlap: {len(pair_texts)}")
for w in warnings:
    print("WARNING " + w)
if errors:
    print("\n".join("ERROR " + e for e in errors))
    sys.exit(1)
print("OK")
