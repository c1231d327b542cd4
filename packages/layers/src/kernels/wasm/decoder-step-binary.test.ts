import { describe, expect, it } from 'vitest';
import { DECODER_STEP_BINARY } from './decoder-step-binary.js';

// The committed builds run inside tfjs-backend-wasm's memory, so they must own nothing in it: the one import is
// env.memory (plain or shared, as the build says), and there is no data segment that instantiating would write
// into the backend's heap. scripts/build-wasm.sh checks this and more (no shadow stack) when it writes them.

/** The module's sections by id, and its imports (module, name, kind, shared flag for a memory). */
function readModule(base64: string) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  let at = 8; // magic and version
  const leb = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++]!;
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) return result;
    }
  };
  const name = () => {
    const length = leb();
    const text = new TextDecoder().decode(bytes.subarray(at, at + length));
    at += length;
    return text;
  };
  const sections: number[] = [];
  const imports: { module: string; name: string; kind: number; shared: boolean }[] = [];
  while (at < bytes.length) {
    const id = bytes[at++]!;
    const size = leb();
    const end = at + size;
    sections.push(id);
    if (id === 2) {
      const limits = () => {
        const flags = bytes[at++]!; // 1: has a maximum, 2: shared
        leb();
        if (flags & 1) leb();
        return flags;
      };
      for (let count = leb(); count > 0; count--) {
        const entry = { module: name(), name: name(), kind: bytes[at++]!, shared: false };
        if (entry.kind === 0) leb(); // a function: its type
        if (entry.kind === 1) {
          at++; // a table: its element type, then limits
          limits();
        }
        if (entry.kind === 2) entry.shared = (limits() & 2) !== 0;
        if (entry.kind === 3) at += 2; // a global: its type, mutability
        imports.push(entry);
      }
    }
    at = end;
  }
  return { sections, imports, magic: [...bytes.subarray(0, 4)] };
}

describe('the committed WebAssembly builds of the decoder step', () => {
  it.each(['plain', 'shared'] as const)('%s: imports only env.memory and has no data', (kind) => {
    const module = readModule(DECODER_STEP_BINARY[kind]);
    expect(module.magic).toEqual([0, 0x61, 0x73, 0x6d]);
    expect(module.imports).toEqual([{ module: 'env', name: 'memory', kind: 2, shared: kind === 'shared' }]);
    expect(module.sections).not.toContain(11); // data
    expect(module.sections).not.toContain(12); // data count
  });
});
