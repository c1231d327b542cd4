#!/usr/bin/env bash
# Makes @tensorflow/tfjs-node usable on a machine whose network cannot reach the host its install script
# downloads libtensorflow from (storage.googleapis.com): builds its native addon against the TensorFlow C
# library inside a TensorFlow pip wheel, taken from whatever package index pip reaches (PyPI or a local mirror).
#
#   bash scripts/tfjs-node-local.sh        # then `useBackend('tensorflow')`, `pnpm bench` and `--backend tensorflow` use it
#
# The wheel's libtensorflow_cc.so.2 exports the same C and eager C APIs (TF_*, TFE_*) that tfjs-node's addon
# calls; the addon is compiled here with node-gyp against the wheel's headers and Node's own headers, so nothing
# is downloaded but the wheel. Set TENSORFLOW_WHEEL=/path/to/tensorflow_cpu-*.whl to use a wheel you have.
# Without a wheel it fails, and the project keeps working without the tensorflow backend (tests skip it).
# Linux (x86-64 and arm64 wheels); tested with tensorflow-cpu 2.21 and tfjs-node 4.22 on x86-64.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" != Linux ]; then
  # the wheel's library names and the addon's rpath below are Linux's (libtensorflow_cc.so.2)
  echo "tfjs-node-local: Linux only (this is $(uname -s)); elsewhere install @tensorflow/tfjs-node as usual" >&2
  exit 1
fi

package=$(node -e "console.log(require('path').dirname(require.resolve('@tensorflow/tfjs-node/package.json')))" 2>/dev/null) || {
  echo "tfjs-node-local: @tensorflow/tfjs-node is not installed (run pnpm install first)" >&2
  exit 1
}
loads() { TF_CPP_MIN_LOG_LEVEL=2 node -e "require('@tensorflow/tfjs-node')" >/dev/null 2>&1; }
if loads; then
  echo "tfjs-node-local: @tensorflow/tfjs-node is ready ($package)"
  exit 0
fi

wheel=${TENSORFLOW_WHEEL:-}
if [ -z "$wheel" ]; then
  cache=node_modules/.cache/tensorflow-wheel
  mkdir -p "$cache"
  wheel=$(ls "$cache"/tensorflow_cpu-*.whl "$cache"/tensorflow-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$wheel" ]; then
    python=${PYTHON:-python3}
    echo "tfjs-node-local: fetching a tensorflow-cpu wheel with $python -m pip (about 270 MB)" >&2
    "$python" -m pip download --quiet --no-deps --only-binary=:all: --retries 1 --timeout 20 \
      --dest "$cache" 'tensorflow-cpu>=2.12' >&2
    wheel=$(ls "$cache"/tensorflow_cpu-*.whl | head -1)
  fi
fi
[ -f "$wheel" ] || {
  echo "tfjs-node-local: no TensorFlow wheel at '$wheel'" >&2
  exit 1
}

# The C library and the headers tfjs-node's addon includes (tensorflow/c and what its headers pull in).
echo "tfjs-node-local: extracting libtensorflow from $(basename "$wheel")" >&2
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
unzip -q -o "$wheel" -d "$unpacked" \
  'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' \
  'tensorflow/include/tensorflow/c/*' 'tensorflow/include/tensorflow/core/platform/*' \
  'tensorflow/include/tsl/platform/*' 'tensorflow/include/xla/tsl/c/*'
rm -rf "$package/deps" "$package/build" "$package/lib"
mkdir -p "$package/deps/lib"
mv "$unpacked/tensorflow/include" "$package/deps/include"
mv "$unpacked/tensorflow/libtensorflow_cc.so.2" "$unpacked/tensorflow/libtensorflow_framework.so.2" "$package/deps/lib/"
# The addon links -ltensorflow -ltensorflow_framework; at run time it finds the libraries by their sonames
# through its rpath ($ORIGIN/../../deps/lib).
ln -s libtensorflow_cc.so.2 "$package/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$package/deps/lib/libtensorflow_framework.so"

# node-gyp: npm's own copy, or one from the registry. Node's headers: npm's nodedir (set on machines that build
# native addons offline), else the headers installed beside node.
gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
if [ -f "$gyp" ]; then gyp=(node "$gyp"); else gyp=(npx --yes node-gyp); fi
nodedir=$(npm config get nodedir 2>/dev/null || true)
if [ -z "$nodedir" ] || [ "$nodedir" = undefined ]; then
  nodedir=$(dirname "$(dirname "$(command -v node)")")
fi
[ -f "$nodedir/include/node/node_api.h" ] || {
  echo "tfjs-node-local: no Node headers under $nodedir/include/node (set npm's nodedir)" >&2
  exit 1
}
napi=8 # the highest N-API version tfjs-node 4 lists; its loader looks for lib/napi-v8 on Node ≥ 15
echo "tfjs-node-local: compiling the addon (node-gyp, N-API $napi)" >&2
(cd "$package" && "${gyp[@]}" rebuild --nodedir="$nodedir" --napi_build_version=$napi \
  --module_name=tfjs_binding --module_path="lib/napi-v$napi") >"$unpacked/node-gyp.log" 2>&1 || {
  cat "$unpacked/node-gyp.log" >&2
  echo "tfjs-node-local: node-gyp failed (log above)" >&2
  exit 1
}
mkdir -p "$package/lib/napi-v$napi"
cp "$package/build/Release/tfjs_binding.node" "$package/lib/napi-v$napi/"

if loads; then
  echo "tfjs-node-local: @tensorflow/tfjs-node is ready ($package)"
else
  TF_CPP_MIN_LOG_LEVEL=2 node -e "require('@tensorflow/tfjs-node')" >&2 || true
  echo "tfjs-node-local: the addon was built but does not load" >&2
  exit 1
fi
