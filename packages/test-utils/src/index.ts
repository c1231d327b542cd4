export {
  PARITY_BACKENDS,
  skipNote,
  TENSORFLOW_SKIP,
  TENSORFLOW_TESTABLE,
  TEST_BACKENDS,
  WEBGPU_SKIP,
  WEBGPU_TESTABLE,
} from './backends.js';
export { temporaryDirectory } from './files.js';
export {
  gitBlobId,
  type HubFault,
  type HubRepo,
  type HubRequest,
  type LoopbackHub,
  sha256,
  startLoopbackHub,
} from './hub-server.js';
export { expectNoLeaks } from './leaks.js';
export { findPython, pythonSkipReason } from './python.js';
export { SMOLLM2_END_OF_TEXT, SMOLLM2_VOCAB, smolLm2LikeTokenizerFiles } from './smollm2-tokenizer.js';
