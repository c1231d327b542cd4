import { packageBuild } from '../../tsup.base';

// The main entry is plain JavaScript on state dicts (no tfjs); ./node runs sweeps and soups over models on disk.
export default packageBuild({ index: 'src/index.ts', 'node/index': 'src/node/index.ts' });
