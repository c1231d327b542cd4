/**
 * A space-separated list of label words as zero-shot heads take them: each a word after a space, as it would
 * follow a prompt ("said Mr" → [" said", " Mr"]).
 */
export function labelWordList(list: string): string[] {
  return list.split(' ').map((word) => ` ${word}`);
}
