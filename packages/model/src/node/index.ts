export { type LoadedModel, loadModel, saveModel } from './load-model.js';
