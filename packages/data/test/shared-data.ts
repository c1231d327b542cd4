// Where tests find data: the hand-made fixtures beside this file, and the third-party data of the workspace
// (../shared/data from the repository root; see its README), which tests skip when it is absent.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A file under packages/data/test/fixtures. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
}

/** packages/data/test → the repository root is two levels up, and shared/ sits beside it. */
const SHARED_DATA = new URL('../../../../shared/data/', import.meta.url);

/** A path under ../shared/data, e.g. sharedData('sst2/dev.tsv'). */
export function sharedData(path: string): string {
  return fileURLToPath(new URL(path, SHARED_DATA));
}

/** Whether ../shared/data/<path> exists; tests that need it use describe.skipIf(!hasSharedData(…)). */
export function hasSharedData(path: string): boolean {
  return existsSync(sharedData(path));
}

/** The suffix for a describe title of a suite that needs shared data, so a skip says why. */
export function needs(path: string): string {
  return hasSharedData(path) ? '' : ` (skipped: ../shared/data/${path} is absent)`;
}
