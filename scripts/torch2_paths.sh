# Sourced by the torch 2.x scripts (torch2.sh, torch2_env.sh, torchserve_e2e.sh):
# which torch, and where its wheels and virtual environments live.
#   version  FUZE_TORCH2_VERSION, default 2.11.0
#   cache    FUZE_TORCH2_CACHE, default ~/.cache/fuze/torch-<version> (wheels, venvs)
#   venv     FUZE_TORCH2_VENV, default <cache>/venv (torch, pytest, fuze once pip-installed)
version="${FUZE_TORCH2_VERSION:-2.11.0}"
cache="${FUZE_TORCH2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fuze/torch-$version}"
venv="${FUZE_TORCH2_VENV:-$cache/venv}"
