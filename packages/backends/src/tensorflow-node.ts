import type { ModuleImporter } from './webgpu-node.js';

/**
 * TensorFlow's C library through tfjs-node-gpu (CUDA) or tfjs-node (CPU), when the user installed one of them
 * (optional peer dependencies: their install downloads libtensorflow, which not every machine can). Importing
 * either registers the 'tensorflow' backend. Returns the package that provided it.
 */
export async function registerTensorflowBackend(load: ModuleImporter): Promise<string> {
  const tried: string[] = [];
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await load(name);
      return name;
    } catch (error) {
      if (!isNotFound(error)) tried.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    tried.length === 0
      ? 'not installed (pnpm add @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node)'
      : `tfjs-node failed to load: ${tried.join('; ')}`,
  );
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /Cannot find (package|module)/.test((error as Error).message ?? '')
  );
}
