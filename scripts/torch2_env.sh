#!/usr/bin/env bash
# Makes (once) a Python virtual environment with torch==2.11 from PyPI, the
# torch most users have, and prints its directory. Sourced or run:
#
#   venv="$(scripts/torch2_env.sh)"    # then "$venv/bin/python", "$venv/bin/pip"
#
# CPU-only minimum (about 1.7 GB installed): torch's wheel without its
# dependencies, the five NVIDIA runtime wheels `import torch` loads even
# without a GPU (cudart, cupti, cufile, cusparselt, nvshmem), torch's
# pure-Python dependencies, and pytest. Every wheel is downloaded once into
# ${FUZE_TORCH2_CACHE:-~/.cache/fuze/torch-2.11.0}/wheels and installed from
# there with --no-index, so a second machine state needs no network. The
# venv is ${FUZE_TORCH2_VENV:-<cache>/venv}; it is rebuilt when the wheel list
# changes. Progress goes to stderr, the directory to stdout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/torch2_paths.sh"
python="${FUZE_TORCH2_BASE_PYTHON:-/usr/bin/python3}"

# Pins: torch 2.11's own (its METADATA: cuda-toolkit 13.0.2's cudart, cupti and
# cufile; nvidia-cusparselt-cu13 0.8.0; nvidia-nvshmem-cu13 3.4.5); the
# pure-Python ones float (pip picks versions that fit them together).
wheels=(
  "torch==$version"
  nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85 nvidia-cufile==1.15.1.6
  nvidia-cusparselt-cu13==0.8.0 nvidia-nvshmem-cu13==3.4.5
  filelock "typing-extensions>=4.10" "sympy>=1.13.3" mpmath "networkx>=2.5.1" jinja2 markupsafe
  "fsspec>=0.8.5" "setuptools<82" numpy
  pytest iniconfig packaging pluggy pygments
)
stamp="$(printf '%s\n' "$python" "${wheels[@]}" | sha1sum | cut -c1-12)"

if [ -f "$venv/.fuze-$stamp" ]; then
  echo "$venv"
  exit 0
fi
log() { echo "torch2_env: $*" >&2; }

if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  log "installing Debian's python3-venv"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi
mkdir -p "$cache/wheels"
rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --quiet)
log "downloading what is not cached yet into $cache/wheels (torch $version: ~530 MB)"
"${pip[@]}" download --no-deps --only-binary=:all: -d "$cache/wheels" "${wheels[@]}" >&2
log "installing into $venv"
"${pip[@]}" install --no-index --no-deps --find-links "$cache/wheels" "${wheels[@]}" >&2
"$venv/bin/python" -c "import torch; assert torch.__version__.startswith('$version'), torch.__version__" >&2
touch "$venv/.fuze-$stamp"
echo "$venv"
