#!/usr/bin/env bash
# install_test.sh BUILD_DIR CONSUMER_SRC MODEL: `cmake --install` into a staging
# prefix, then configure, build and run the consumers using find_package(fuze)
# (fuze::fuze and the torch-free fuze::core).
set -euo pipefail
build="$1"; src="$2"; model="$3"
work="$build/install_consumer_test"
rm -rf "$work/prefix"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
  "${launcher[@]}" >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer" "$model"
"$work/build/core_consumer"
