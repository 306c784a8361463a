#!/usr/bin/env bash
# Installs the Python module built in a build folder (default: build) for the system's python3:
# `import chipshock` then works from any folder, without PYTHONPATH. The package goes to
# <prefix>/lib/python3.X/dist-packages/chipshock (prefix /usr/local unless the build was
# configured with another CMAKE_INSTALL_PREFIX), with the built-in scenarios and the sample price
# history. Uses sudo when not run as root.
# Usage: scripts/install_python.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
if [ ! -f "$build/python/chipshock/__init__.py" ]; then
  echo "install_python.sh: no Python module in $build (build the chipshock_python target; it needs" \
       "pybind11-dev and python3-dev: scripts/setup.sh)" >&2
  exit 2
fi
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" cmake --install "$build" --component python
# From a neutral folder, so that the source tree's python/ cannot shadow the installed package.
(cd / && /usr/bin/python3 -c 'import chipshock; print("installed chipshock", chipshock.__version__, "at", chipshock.__file__)')
