import { packageBuild } from '../../tsup.base';

// The main entry is the plan, the stages' names and the report (browser-safe); ./node runs the study.
export default packageBuild({ index: 'src/index.ts', 'node/index': 'src/node/index.ts' });
