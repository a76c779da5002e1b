#!/usr/bin/env bash
# Installs what Modulus needs from Debian's archive when it is missing: the system Python with
# numpy (Python modules run in the host's embedded CPython, through its shared library) and grpcio
# (the Python caller's gRPC transport); and the npm packages of the registry contracts and of the
# OpenAI client tests.
# Runs apt-get only as root; otherwise it says what to install.
set -euo pipefail

PYTHON="${MODULUS_PYTHON:-/usr/bin/python3}"
packages=()
if ! "$PYTHON" -c 'import sysconfig, os, sys; v = sysconfig.get_config_var; sys.exit(0 if os.path.exists(os.path.join(v("LIBDIR") or "", v("INSTSONAME") or "")) else 1)' 2>/dev/null; then
  packages+=(python3 libpython3-dev)
fi
# numpy: tensors in Python modules; grpcio: the Python caller's grpc:// transport (tested).
if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
  packages+=(python3-numpy)
fi
if ! "$PYTHON" -c 'import grpc' 2>/dev/null; then
  packages+=(python3-grpcio)
fi
for extra in "$@"; do
  module="${extra#python3-}"
  if ! "$PYTHON" -c "import ${module}" 2>/dev/null; then
    packages+=("$extra")
  fi
done

if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing from Debian: ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${packages[@]}" >/dev/null
  else
    echo "warning: Python modules need: apt-get install ${packages[*]} (run as root, or set MODULUS_PYTHON to an interpreter that has them)" >&2
  fi
fi

# The registry's development chain, compiler and invariant fuzzer: @foundry-rs/anvil, solc,
# @foundry-rs/forge and OpenZeppelin from npm, at the versions pinned in
# registry/contracts/package-lock.json, installed into the repository.
contracts="$(dirname "$0")/../registry/contracts"
if [ ! -x "$contracts/node_modules/.bin/anvil" ] || [ ! -x "$contracts/node_modules/.bin/forge" ] \
   || [ ! -d "$contracts/node_modules/solc" ] \
   || [ "$contracts/package-lock.json" -nt "$contracts/node_modules/.package-lock.json" ]; then
  echo "Installing the registry's npm packages (anvil, forge, solc, OpenZeppelin) into registry/contracts"
  (cd "$contracts" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# The official `openai` npm client, with which the functional tests drive the host's OpenAI-compatible
# API (tests/Modulus.FunctionalTests/OpenAi), at the version pinned in tests/openai/package-lock.json.
openai_client="$(dirname "$0")/../tests/openai"
if [ ! -d "$openai_client/node_modules/openai" ] \
   || [ "$openai_client/package-lock.json" -nt "$openai_client/node_modules/.package-lock.json" ]; then
  echo "Installing the openai npm client into tests/openai"
  (cd "$openai_client" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
