export {
  backendCapacityProblem,
  type LoadedModel,
  type LoadModelOptions,
  loadModel,
  saveModel,
  WASM_HEAP_BYTES,
} from './load-model.js';
