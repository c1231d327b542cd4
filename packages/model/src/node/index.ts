export { type LoadedModel, loadModel, saveModel } from './load-model.js';
export {
  readWeightFile,
  type WeightFile,
  type WeightFormat,
  type WriteWeightOptions,
  writeAtomic,
  writeWeightFile,
} from './weight-files.js';
