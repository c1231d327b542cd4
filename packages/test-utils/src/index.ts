export { PARITY_BACKENDS, TENSORFLOW_TESTABLE, TEST_BACKENDS, WEBGPU_TESTABLE } from './backends.js';
export { temporaryDirectory } from './files.js';
export { expectNoLeaks } from './leaks.js';
