export { type LoadedModel, type LoadModelOptions, loadModel, saveModel } from './load-model.js';
