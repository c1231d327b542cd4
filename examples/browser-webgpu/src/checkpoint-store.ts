import type { CheckpointFiles } from './checkpoint-files.js';

// One IndexedDB record per run holds its latest checkpoint. A put is one transaction, so a reload in the middle of a
// save finds the previous checkpoint or the new one, never half of one (the role of the atomic rename in
// @mini-llama/trainer/node). IndexedDB works in workers and in the page alike.
const DATABASE = 'mini-llama-browser-webgpu';
const STORE = 'checkpoints';

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () =>
      reject(new Error(`IndexedDB: cannot open ${DATABASE}: ${request.error?.message}`));
    request.onblocked = () => reject(new Error(`IndexedDB: opening ${DATABASE} is blocked by another tab`));
  });
}

async function withStore<T>(
  mode: IDBTransactionMode,
  use: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const database = await openDatabase();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const request = use(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(new Error(`IndexedDB: ${transaction.error?.message}`));
      transaction.onabort = () =>
        reject(
          new Error(`IndexedDB: transaction aborted (${transaction.error?.message ?? 'no reason given'})`),
        );
    });
  } finally {
    // closed after every use, so that clearing from the page is never blocked by the worker's connection
    database.close();
  }
}

/** Replaces the run's checkpoint. */
export async function saveCheckpoint(run: string, files: CheckpointFiles): Promise<void> {
  await withStore('readwrite', (store) => store.put(files, run));
}

/** The run's latest checkpoint, or null when there is none. */
export async function loadCheckpoint(run: string): Promise<CheckpointFiles | null> {
  return (await withStore<CheckpointFiles | undefined>('readonly', (store) => store.get(run))) ?? null;
}

/** Deletes the checkpoints of every run. */
export async function clearCheckpoints(): Promise<void> {
  await withStore('readwrite', (store) => store.clear());
}
