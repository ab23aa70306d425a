# Sourced by scripts/run and scripts/test: create .venv and install the pinned
# dependencies, skipping the install when the lock file has not changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

if ! command -v "$PY" >/dev/null 2>&1; then
  echo "error: $PY not found; install Python 3.11 or newer (or set PYTHON=/path/to/python3)" >&2
  exit 1
fi
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "error: Python 3.11 or newer is required, found $("$PY" --version 2>&1)" >&2
  exit 1
fi

stamp="$VENV/.installed"
want="$(cat "$ROOT/requirements.lock" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtualenv in .venv"
  "$PY" -m venv "$VENV"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing pinned dependencies (requirements.lock)"
  pip_quiet() { "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
  pip_quiet -r "$ROOT/requirements.lock"
  pip_quiet --no-deps -e "$ROOT"
  "$VENV/bin/python" -c "import hotline, dispatch, ivr_flows" || {
    echo "error: installing the project into .venv failed (see the pip output above)" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
