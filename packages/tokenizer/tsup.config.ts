import { packageBuild } from '../../tsup.base';

// The main entry parses and writes tokenizer files as bytes (runs in a browser); ./node reads and writes them on disk.
export default packageBuild({ index: 'src/index.ts', 'node/index': 'src/node/index.ts' });
