// bench.html: runs one measurement in a worker and shows it; a driver reads window.__miniLlamaBench.
import { type BenchState, type BenchWorkerMessage, parseBenchQuery } from './bench-protocol.js';

const output = document.querySelector<HTMLPreElement>('#output')!;

function show(state: BenchState): void {
  window.__miniLlamaBench = state;
  document.body.dataset.phase = state.phase;
  const rows = state.rows.map(
    (row) =>
      `${row.preset} ${row.mode} ${row.batch} × ${row.seqLen}: ${row.tokensPerSecond.toFixed(1)} tokens/s ` +
      `(wasm ×${row.threads ?? '?'})`,
  );
  output.textContent = [
    `cross-origin isolated: ${state.crossOriginIsolated}`,
    state.status,
    ...rows,
    state.error ? `error: ${state.error}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function start(): void {
  const base = {
    status: 'starting',
    rows: [],
    threads: null,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    userAgent: navigator.userAgent,
    error: null,
  };
  let request: BenchState['request'];
  try {
    request = parseBenchQuery(location.search);
  } catch (error) {
    const placeholder = parseBenchQuery('');
    show({ ...base, phase: 'error', request: placeholder, error: (error as Error).message });
    return;
  }
  let state: BenchState = { ...base, phase: 'running', request };
  show(state);
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
  worker.addEventListener('message', (event: MessageEvent<BenchWorkerMessage>) => {
    const message = event.data;
    if (message.type === 'status') state = { ...state, status: message.text };
    else if (message.type === 'done') {
      state = { ...state, phase: 'done', status: 'done', rows: message.rows, threads: message.threads };
      worker.terminate();
    } else {
      state = { ...state, phase: 'error', error: message.message };
      worker.terminate();
    }
    show(state);
  });
  worker.addEventListener('error', (event) => {
    state = { ...state, phase: 'error', error: event.message || 'the worker failed to start' };
    show(state);
  });
  worker.postMessage(request);
}

start();
