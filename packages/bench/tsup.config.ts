import { packageBuild } from '../../tsup.base';

// The main entry measures on whatever backend is running (browser-safe); ./node adds peak RSS and the PyTorch
// yardstick (a Python process).
export default packageBuild(
  { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  // The CJS build needs import.meta.url (to find python/torch_bench.py); tsup supplies it from __filename.
  { shims: true },
);
