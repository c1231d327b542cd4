import type { ModuleImporter } from './webgpu-node.js';

/**
 * TensorFlow's C library through tfjs-node-gpu (CUDA) or tfjs-node (CPU), when the user installed one of them
 * (optional peer dependencies: their install downloads libtensorflow, which not every machine can). Importing
 * either registers the 'tensorflow' backend. Returns the package that provided it.
 *
 * Where tfjs-node's install cannot download libtensorflow, `scripts/tfjs-node-local.sh` (in the repository)
 * builds its addon against the C library inside a TensorFlow pip wheel.
 */
export async function registerTensorflowBackend(load: ModuleImporter): Promise<string> {
  // TensorFlow's C++ logging: keep warnings and errors, not the start-up notes on CPU features (a user's own
  // setting wins).
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  // oneDNN's kernels, whatever the CPU. TensorFlow turns them on by default on Linux only for CPUs with
  // AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX (tensorflow/core/util/port.cc, DefaultOneDnnPolicy), so an AVX2-only
  // CPU gets its Eigen kernels: on one AVX-512 machine, training stories260K and stories15M ran at 804 and 599
  // tokens/s without oneDNN, 9,141 and 1,141 with oneDNN held to AVX2 (ONEDNN_MAX_CPU_ISA=AVX2),
  // docs/performance.md. It is read once, when TensorFlow starts; a user's own setting wins.
  process.env.TF_ENABLE_ONEDNN_OPTS ??= '1';
  const tried: string[] = [];
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await load(name);
      return name;
    } catch (error) {
      if (!isNotFound(error)) tried.push(`${name}: ${describeLoadError(error as Error)}`);
    }
  }
  throw new Error(
    tried.length === 0
      ? 'not installed (pnpm add @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node)'
      : `tfjs-node failed to load: ${tried.join('; ')}`,
  );
}

// tfjs-node installed without its addon: its install script could not download libtensorflow (or did not run:
// npm 11 and pnpm skip dependencies' install scripts unless allowed).
const ADDON_MISSING = /native addon module \(tfjs_binding\.node\) can not be found/;

function describeLoadError(error: Error): string {
  if (ADDON_MISSING.test(error.message)) {
    return "its native addon is not built (its install script downloads libtensorflow; without that network, mini-llama's scripts/tfjs-node-local.sh builds it against a TensorFlow pip wheel)";
  }
  return error.message.split('\n')[0]!;
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /Cannot find (package|module)/.test((error as Error).message ?? '')
  );
}
