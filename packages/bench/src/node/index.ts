// Node: the process's peak RSS and the PyTorch yardstick (python/torch_bench.py on transformers + peft).

export { describeMachine, formatMachine, type Machine } from './machine.js';
export { PeakRss } from './peak-rss.js';
export { addRunCToRows, type RunCRowsOptions, rowThreads } from './run-c-rows.js';
export {
  buildRunC,
  measureRunC,
  type RunCBuild,
  runCTokenizer,
  writeRunCInputs,
} from './run-c-yardstick.js';
export {
  findTorchPython,
  measureTorch,
  pythonCandidates,
  TORCH_MODULES,
  type TorchRequest,
  type TorchResult,
  torchArguments,
  torchBenchScript,
} from './torch-yardstick.js';
