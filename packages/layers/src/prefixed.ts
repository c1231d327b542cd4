/** Prefix every key of a parameter record with `prefix.`. */
export function prefixed<T>(prefix: string, record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(record)) out[`${prefix}.${key}`] = value;
  return out;
}
