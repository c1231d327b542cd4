import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The Python of the cross-checks against PyTorch, transformers, peft, tokenizers and huggingface_hub: the one
// MINI_LLAMA_PEFT_PYTHON names, else the repository's .venv-peft (scripts/peft-venv.sh makes it), else the
// system's python3, whichever first imports every module a test needs.
const REPO_VENV = fileURLToPath(new URL('../../../.venv-peft/bin/python', import.meta.url));
const found = new Map<string, string | null>();

/** A Python that imports all of `modules`, or null. */
export function findPython(modules: readonly string[]): string | null {
  const key = modules.join(',');
  if (!found.has(key)) {
    const candidates = [process.env.MINI_LLAMA_PEFT_PYTHON, REPO_VENV, '/usr/bin/python3'].filter(
      (python): python is string => Boolean(python),
    );
    const imports = `import ${modules.join(', ')}`;
    found.set(
      key,
      candidates.find(
        (python) =>
          existsSync(python) && spawnSync(python, ['-c', imports], { stdio: 'ignore' }).status === 0,
      ) ?? null,
    );
  }
  return found.get(key)!;
}

/** Why a test that needs these modules is skipped, or null when a Python has them. */
export function pythonSkipReason(modules: readonly string[]): string | null {
  return findPython(modules)
    ? null
    : `no Python that imports ${modules.join(', ')}; run scripts/peft-venv.sh or set MINI_LLAMA_PEFT_PYTHON`;
}
