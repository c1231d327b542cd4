// Threads for the wasm backend in a browser.
//
// tfjs-backend-wasm runs XNNPACK on threads only on a cross-origin-isolated page (SharedArrayBuffer), and then
// on at most half of `navigator.hardwareConcurrency` (it assumes hyper-threading): on a 2-core machine that is
// one thread whatever `setThreadsCount` asks. As in Node (./wasm-threads-node.ts), the module is shown
// `2 * threads` logical cores while it starts, so it runs the count asked for; the real value comes back after.

/**
 * Makes `navigator.hardwareConcurrency` read `cores` until the returned function is called (an own property on
 * the navigator object, shadowing its prototype's getter); a no-op where there is no navigator.
 */
export function reportLogicalCores(cores: number): () => void {
  const target = (globalThis as { navigator?: object }).navigator;
  if (!target || Object.hasOwn(target, 'hardwareConcurrency')) return () => {};
  try {
    Object.defineProperty(target, 'hardwareConcurrency', { value: cores, configurable: true });
  } catch {
    return () => {};
  }
  return () => {
    delete (target as { hardwareConcurrency?: number }).hardwareConcurrency;
  };
}
