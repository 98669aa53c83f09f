#!/usr/bin/env bash
# Install tracegrad the way users do: build a wheel and an sdist from this checkout, check
# what they contain, install the wheel (not editable) into a fresh venv, and run the seed
# example and a jit/grad smoke test from a folder of the user's that holds its own
# compiler.py and compiler/ (which must never be imported).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

$PY -m pip install -q build
$PY -m build -q --wheel --sdist --outdir "$work/dist" . >/dev/null
$PY .ci/check_dist.py "$work"/dist/*.whl "$work"/dist/*.tar.gz

python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$work"/dist/*.whl

user="$work/user"
mkdir -p "$user/compiler"
for f in "$user/compiler.py" "$user/compiler/__init__.py"; do
  echo 'raise SystemExit("the user'"'"'s own compiler module was imported by tracegrad")' > "$f"
done
cp examples/seed_autograd.py "$user/"
cp .ci/smoke.py "$user/"
cd "$user"
export TRACEGRAD_CACHE_DIR="$work/cache"
"$work/venv/bin/python" seed_autograd.py
"$work/venv/bin/python" smoke.py
TRACEGRAD_TIERS=on TRACEGRAD_CACHE_DIR="$work/cache-tiers" "$work/venv/bin/python" smoke.py
echo "wheel check: OK"
