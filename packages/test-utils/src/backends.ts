import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
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

/** Why the WebGPU tests cannot run here, or null when they can. */
export const WEBGPU_SKIP: string | null =
  process.env.MINI_LLAMA_SKIP_WEBGPU === '1'
    ? 'MINI_LLAMA_SKIP_WEBGPU=1'
    : !existsSync(SWIFTSHADER_ICD)
      ? `no ${SWIFTSHADER_ICD} (apt-get install chromium)`
      : !VULKAN_LOADERS.some(existsSync)
        ? 'no Vulkan loader (apt-get install libvulkan1)'
        : null;

export const WEBGPU_TESTABLE = WEBGPU_SKIP === null;

if (WEBGPU_TESTABLE) {
  // Dawn reads this when it first looks for adapters; a real GPU's driver, if the machine has one, is set by hand.
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
  // The Vulkan loader prints "XDG_RUNTIME_DIR is invalid or not set" for every device it opens without one.
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
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
export const TENSORFLOW_SKIP: string | null = (() => {
  if (process.env.MINI_LLAMA_SKIP_TENSORFLOW === '1') return 'MINI_LLAMA_SKIP_TENSORFLOW=1';
  let addon: string;
  try {
    const tfjsNode = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json'));
    addon = join(tfjsNode, 'lib', 'napi-v8', 'tfjs_binding.node');
  } catch {
    return '@tensorflow/tfjs-node is not installed';
  }
  return existsSync(addon) ? null : `no tfjs-node addon (bash scripts/tfjs-node-local.sh builds it)`;
})();

export const TENSORFLOW_TESTABLE = TENSORFLOW_SKIP === null;

/**
 * A test title's note on why it is skipped: ` (skipped: REASON)`, or '' when it runs. Every skipped test says
 * what it needs: `describe.skipIf(!TENSORFLOW_TESTABLE)(\`… on tensorflow${skipNote(TENSORFLOW_SKIP)}\`, …)`.
 */
export function skipNote(reason: string | null | false | undefined): string {
  return reason ? ` (skipped: ${reason})` : '';
}

/** The backends the layer and model parity tests run on: cpu and wasm, and tensorflow where its addon is built. */
export const PARITY_BACKENDS = (
  TENSORFLOW_TESTABLE ? ['cpu', 'wasm', 'tensorflow'] : ['cpu', 'wasm']
) as readonly ('cpu' | 'wasm' | 'tensorflow')[];
