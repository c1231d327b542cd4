export { type BackendProbe, probeBackends } from './probe-backends.js';
export {
  BACKEND_REQUESTS,
  type BackendChoice,
  type BackendName,
  type BackendRequest,
  type UseBackendOptions,
  useBackend,
  type WasmBinaryName,
} from './use-backend.js';
export { type ModuleImporter, SWIFTSHADER_ICD } from './webgpu-node.js';
