import { join } from 'node:path';
import { cacheFiles, type VerifiedFile } from './download-dataset.js';
import {
  DEFAULT_GITHUB_RAW_URL,
  REFERENCE_SET_NAMES,
  REFERENCE_SETS,
  type ReferenceFile,
  type ReferenceSet,
  referenceFileUrl,
} from './reference-sets.js';

export interface GetReferenceDataOptions {
  /** Cache root (defaultDatasetCache()); the sets go to `<cacheDir>/reference/<set>/<file>`. */
  cacheDir: string;
  /** GitHub's raw host or a mirror with its layout (DEFAULT_GITHUB_RAW_URL). */
  baseUrl?: string;
  /** Progress messages, one line each. */
  log?: (message: string) => void;
}

export interface ReferenceData {
  /** The reference root: pass it where an experiment asks for its data folder (`DATA=…`). */
  directory: string;
  sets: Array<{ set: ReferenceSet; files: Array<ReferenceFile & VerifiedFile> }>;
}

/** `<cacheDir>/reference`: where getReferenceData puts the sets. */
export function referenceDataDirectory(cacheDir: string): string {
  return join(cacheDir, 'reference');
}

/**
 * Makes sure the named reference sets (all of them when `names` is empty) are in the cache, each file
 * verified against its pinned SHA-256 on every call; downloads only what is missing, through a temporary file
 * renamed into place once its hash is right, so other bytes never reach the cache.
 */
export async function getReferenceData(
  names: readonly string[],
  { cacheDir, baseUrl = DEFAULT_GITHUB_RAW_URL, log = () => {} }: GetReferenceDataOptions,
): Promise<ReferenceData> {
  const unknown = names.filter((name) => !(REFERENCE_SET_NAMES as string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown reference set${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `'${name}'`).join(', ')}: ` +
        `the sets are ${REFERENCE_SET_NAMES.join(', ')}`,
    );
  }
  const chosen: readonly ReferenceSet[] =
    names.length === 0 ? REFERENCE_SETS : REFERENCE_SETS.filter((set) => names.includes(set.name));
  const directory = referenceDataDirectory(cacheDir);
  const sets: ReferenceData['sets'] = [];
  for (const set of chosen) {
    const setDirectory = join(directory, set.name);
    const verified = await cacheFiles(
      setDirectory,
      { set: set.name },
      set.files.map((file) => ({
        key: file.name,
        url: referenceFileUrl(baseUrl, file),
        localPath: join(setDirectory, file.name),
        sha256: file.sha256,
      })),
      log,
    );
    sets.push({ set, files: set.files.map((file, i) => ({ ...file, ...verified[i]! })) });
  }
  return { directory, sets };
}
