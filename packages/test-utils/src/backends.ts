import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The tfjs backends every layer and model test runs on. WebGPU joins when Node can reach an adapter: Dawn (the
 * `webgpu` package) on the SwiftShader Vulkan driver that Debian's chromium ships, which needs the Vulkan
 * loader (libvulkan1). CI installs both; without them the WebGPU runs are skipped with a message.
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const VULKAN_LOADERS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
];

export const WEBGPU_TESTABLE =
  process.env.MINI_LLAMA_SKIP_WEBGPU !== '1' &&
  existsSync(SWIFTSHADER_ICD) &&
  VULKAN_LOADERS.some(existsSync);

if (WEBGPU_TESTABLE) {
  // Dawn reads this when it first looks for adapters; a real GPU's driver, if the machine has one, is set by hand.
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
} else if (process.env.MINI_LLAMA_SKIP_WEBGPU !== '1') {
  console.warn(`WebGPU tests skipped: need ${SWIFTSHADER_ICD} (apt-get install chromium) and libvulkan1`);
}

export const TEST_BACKENDS = (WEBGPU_TESTABLE ? ['cpu', 'wasm', 'webgpu'] : ['cpu', 'wasm']) as readonly (
  | 'cpu'
  | 'wasm'
  | 'webgpu'
)[];

/**
 * The 'tensorflow' backend (TensorFlow's C library through @tensorflow/tfjs-node) joins the parity tests when
 * its native addon is built: its install cannot download libtensorflow here, so `scripts/tfjs-node-local.sh`
 * builds the addon against a TensorFlow pip wheel (CI runs it when pip reaches an index). Without it those
 * runs are skipped with a message.
 */
export const TENSORFLOW_TESTABLE = (() => {
  if (process.env.MINI_LLAMA_SKIP_TENSORFLOW === '1') return false;
  let addon: string;
  try {
    const tfjsNode = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json'));
    addon = join(tfjsNode, 'lib', 'napi-v8', 'tfjs_binding.node');
  } catch {
    console.warn('tensorflow backend tests skipped: @tensorflow/tfjs-node is not installed');
    return false;
  }
  if (!existsSync(addon)) {
    console.warn(`tensorflow backend tests skipped: no ${addon} (bash scripts/tfjs-node-local.sh builds it)`);
    return false;
  }
  return true;
})();

/** The backends the layer and model parity tests run on: cpu and wasm, and tensorflow where its addon is built. */
export const PARITY_BACKENDS = (
  TENSORFLOW_TESTABLE ? ['cpu', 'wasm', 'tensorflow'] : ['cpu', 'wasm']
) as readonly ('cpu' | 'wasm' | 'tensorflow')[];
