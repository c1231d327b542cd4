// WebGPU in Node through Dawn (the npm package `webgpu`, an optional peer dependency): it provides
// `navigator.gpu`, and tfjs-backend-webgpu runs on it unchanged. On a machine with a GPU and its Vulkan driver
// this is the GPU; without one, Vulkan can be pointed at a software driver (SwiftShader, shipped with Debian's
// chromium) for correctness tests — slow, so `auto` never picks such a fallback adapter.

/** Where Debian's chromium package puts SwiftShader's Vulkan driver manifest. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface WebGpuAdapterSummary {
  description: string;
  /** A software adapter (SwiftShader, WARP, ...): correct but very slow. */
  isFallbackAdapter: boolean;
}

interface DawnModule {
  create(flags: string[]): { requestAdapter(): Promise<GpuAdapterLike | null> };
  globals: Record<string, unknown>;
}
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/**
 * Asks a child Node process what WebGPU adapter Dawn finds, without loading Dawn here: on machines without a
 * usable GPU, Dawn prints Vulkan driver warnings straight to stderr while it looks, which `auto` should not
 * do to every command. Resolves to the adapter, or throws why there is none. One probe per process.
 */
export function probeNodeWebGpu(): Promise<WebGpuAdapterSummary> {
  probe ??= runProbe();
  return probe;
}
let probe: Promise<WebGpuAdapterSummary> | undefined;

async function runProbe(): Promise<WebGpuAdapterSummary> {
  const { createRequire } = await import('node:module');
  const { pathToFileURL } = await import('node:url');
  const { execFile } = await import('node:child_process');
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('webgpu');
  } catch {
    throw new Error('not installed (pnpm add webgpu)');
  }
  const script = `const { create } = await import(${JSON.stringify(pathToFileURL(entry).href)});
const adapter = await create([]).requestAdapter();
const info = adapter?.info ?? {};
process.stdout.write(JSON.stringify(adapter ? { vendor: info.vendor, architecture: info.architecture,
  description: info.description, isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) } : null));
process.exit(0);`;
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { timeout: 60_000, encoding: 'utf8' },
      (error, stdout) =>
        error
          ? reject(new Error(`the WebGPU probe failed: ${error.message.split('\n')[0]}`))
          : resolve(stdout),
    );
  });
  const found = JSON.parse(output) as (GpuAdapterLike['info'] & { isFallbackAdapter: boolean }) | null;
  if (!found) throw new Error(noAdapterMessage());
  return { description: describeAdapter(found), isFallbackAdapter: found.isFallbackAdapter };
}

function noAdapterMessage(): string {
  return `no WebGPU adapter (Dawn found no Vulkan GPU${process.env.VK_ICD_FILENAMES ? '' : `; for tests without one, VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`})`;
}

function describeAdapter(info: NonNullable<GpuAdapterLike['info']>): string {
  return (
    [info.vendor, info.architecture, info.description].filter((part) => part && part.length > 0).join(' ') ||
    'unnamed adapter'
  );
}

/** The module loader, replaceable in tests. */
export type ModuleImporter = (name: string) => Promise<unknown>;
export const importModule: ModuleImporter = (name) => import(/* @vite-ignore */ name);

/**
 * Installs Dawn's `navigator.gpu` (and the WebGPU globals tfjs needs) if Node has none yet, and returns what
 * the default adapter is. Throws with what to do when the package is missing or no adapter exists.
 */
export async function installNodeWebGpu(load: ModuleImporter = importModule): Promise<WebGpuAdapterSummary> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (!nav?.gpu) {
    let dawn: DawnModule;
    try {
      dawn = (await load('webgpu')) as DawnModule;
    } catch (error) {
      throw new Error(
        `the webgpu package (Dawn for Node) did not load: ${(error as Error).message.split('\n')[0]} (pnpm add webgpu)`,
      );
    }
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    if (!(globalThis as { navigator?: object }).navigator) {
      Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    }
    Object.defineProperty((globalThis as unknown as { navigator: object }).navigator, 'gpu', {
      value: gpu,
      configurable: true,
    });
  }
  const gpu = (
    globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<GpuAdapterLike | null> } } }
  ).navigator.gpu;
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error(noAdapterMessage());
  const info = adapter.info ?? {};
  return {
    description: describeAdapter(info),
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
}
