import { readFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';

/** The machine a measurement ran on: what a speed ratio depends on beside the code. */
export interface Machine {
  cpu: string;
  cores: number;
  arch: string;
  memoryBytes: number;
  /** The CPU's vector and matrix extensions that kernels choose between (from /proc/cpuinfo; [] elsewhere). */
  features: string[];
}

/** The extensions that decide which kernels oneDNN, XNNPACK and PyTorch run (x86 and Arm). */
const KERNEL_FEATURES = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512bw',
  'avx512_vnni',
  'avx512_bf16',
  'amx_tile',
  'amx_bf16',
  'asimd',
  'asimdhp',
  'sve',
  'sve2',
  'bf16',
  'i8mm',
];

export function describeMachine(cpuinfo: string | null = readCpuinfo()): Machine {
  const line = cpuinfo?.split('\n').find((text) => /^(flags|Features)\s*:/.test(text));
  const flags = new Set(
    line
      ? line
          .slice(line.indexOf(':') + 1)
          .trim()
          .split(/\s+/)
      : [],
  );
  const processors = cpus();
  return {
    cpu: processors[0]?.model.trim() || 'unknown CPU',
    cores: processors.length,
    arch: arch(),
    memoryBytes: totalmem(),
    features: KERNEL_FEATURES.filter((feature) => flags.has(feature)),
  };
}

/** "AMD EPYC, 2 cores (x64), 23.5 GiB; avx2 fma …" */
export function formatMachine(machine: Machine): string {
  const memory = `${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB`;
  const features = machine.features.length > 0 ? machine.features.join(' ') : 'not known';
  return `${machine.cpu}, ${machine.cores} cores (${machine.arch}), ${memory}; CPU features: ${features}`;
}

function readCpuinfo(): string | null {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null; // not Linux
  }
}
