// The capacity check lives in the main entry (it reads no file); re-exported where loadModel uses it.
export { backendCapacityProblem, WASM_HEAP_BYTES } from '../backend-capacity.js';
export {
  type LoadedModel,
  type LoadModelOptions,
  loadModel,
  saveModel,
} from './load-model.js';
