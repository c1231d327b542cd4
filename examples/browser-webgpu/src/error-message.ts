/** What went wrong, in words, whatever was thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  // tfjs-backend-wasm rejects with a plain { message } object when its binary cannot be fetched
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
