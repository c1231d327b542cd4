// The page: starts the training worker, draws what it reports, and exposes the state for tests as
// `window.__miniLlama` and as data-* attributes of <body>. tfjs runs only in the worker.
import { clearCheckpoints } from './checkpoint-store.js';
import { drawLossChart } from './loss-chart.js';
import { applyMessage, initialState, type PageState } from './page-state.js';
import { type PageMessage, parseRunOptions, type WorkerMessage } from './protocol.js';

declare global {
  interface Window {
    __miniLlama: PageState;
  }
}

const state = initialState();
window.__miniLlama = state;

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no #${id}`);
  return found as T;
}

function fail(message: string): void {
  applyMessage(state, { type: 'error', message });
  console.error(`mini-llama: ${message}`);
  render();
}

let chartsPending = false;

function render(): void {
  const { dataset } = document.body;
  dataset.phase = state.phase;
  dataset.backend = state.backend ?? '';
  dataset.step = String(state.step);
  dataset.resumedFromStep = state.resumedFromStep === null ? '' : String(state.resumedFromStep);

  element('status').textContent = state.status;
  element('error').textContent = state.error ?? '';
  if (state.backend) {
    const adapter = state.backendAdapter ? ` on ${state.backendAdapter}` : '';
    const passedOver = state.passedOver.length > 0 ? `; passed over ${state.passedOver.join('; ')}` : '';
    element('backend').textContent = `${state.backend}${adapter} (${state.backendReason}${passedOver})`;
  }
  if (state.model) {
    element('model').textContent = `${state.parameters?.toLocaleString('en-US')} parameters: ${state.model}`;
  }
  const resumed =
    state.resumedFromStep === null
      ? 'none found: training from step 0'
      : `resumed from step ${state.resumedFromStep}`;
  const saved = state.checkpointStep === null ? '' : `; saved at step ${state.checkpointStep}`;
  element('checkpoint').textContent = `${resumed}${saved}`;
  showSample(element('sample'), state.samplePrompt, state.sample);
  if (state.lora) {
    const { trainable, total, percent, modules } = state.lora;
    element('lora').textContent =
      `rank-4 adapters on the ${modules} query and value projections: ${trainable.toLocaleString('en-US')} trainable of ` +
      `${total.toLocaleString('en-US')} parameters (${percent.toFixed(2)}%), trained on a recipe text`;
    showSample(element('lora-sample'), state.lora.samplePrompt, state.lora.sample);
  }
  if (state.sweep.length > 0) showSweep(element<HTMLTableElement>('sweep'), state.sweep);
  if (!chartsPending) {
    chartsPending = true;
    requestAnimationFrame(() => {
      chartsPending = false;
      drawLossChart(element<HTMLCanvasElement>('loss-chart'), state.losses, {
        color: '#2563eb',
        minSteps: 30,
        marker:
          state.resumedFromStep === null
            ? null
            : { step: state.resumedFromStep, label: `resumed from step ${state.resumedFromStep}` },
      });
      drawLossChart(element<HTMLCanvasElement>('lora-chart'), state.lora?.losses ?? [], {
        color: '#ea580c',
        minSteps: 10,
      });
    });
  }
}

/** The WiSE-FT sweep as a table: one row per α, one column per text (built from text nodes, never HTML). */
function showSweep(table: HTMLTableElement, points: PageState['sweep']): void {
  const names = Object.keys(points[0]!.loss);
  const row = (cells: string[], header = false) => {
    const tr = document.createElement('tr');
    for (const text of cells) {
      const cell = document.createElement(header ? 'th' : 'td');
      cell.textContent = text;
      tr.append(cell);
    }
    return tr;
  };
  table.replaceChildren(
    row(['α', ...names], true),
    ...points.map((point) =>
      row([String(point.alpha), ...names.map((name) => point.loss[name]!.toFixed(3))]),
    ),
  );
}

/** A sample: its prompt in bold, then the generated text (as text nodes, never parsed as HTML). */
function showSample(target: HTMLElement, prompt: string, text: string): void {
  const bold = document.createElement('span');
  bold.className = 'prompt';
  bold.textContent = prompt;
  target.replaceChildren(...(prompt ? [bold, document.createTextNode(text)] : []));
}

// The page thread's heartbeat: it keeps ticking while the worker trains, which is the point of the worker.
let beats = 0;
let longestGap = 0;
let lastBeat = performance.now();
setInterval(() => {
  const now = performance.now();
  longestGap = Math.max(longestGap, now - lastBeat);
  lastBeat = now;
  beats++;
  element('heartbeat').textContent = `responsive: ${beats} ticks, longest gap ${Math.round(longestGap)} ms`;
}, 250);

window.addEventListener('error', (event) => fail(`page: ${event.message}`));
window.addEventListener('unhandledrejection', (event) => fail(`page: ${String(event.reason)}`));

function start(): void {
  let options: ReturnType<typeof parseRunOptions>;
  try {
    options = parseRunOptions(location.search);
  } catch (error) {
    fail((error as Error).message);
    return;
  }
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => {
    applyMessage(state, event.data);
    if (event.data.type === 'error') console.error(`mini-llama worker: ${event.data.message}`);
    render();
  });
  // A worker that cannot even load (a missing chunk, a syntax error) reports here, not through a message.
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    const where = event.filename ? ` (${event.filename}:${event.lineno}:${event.colno})` : '';
    fail(`the training worker failed: ${event.message || 'it could not be loaded'}${where}`);
  });
  worker.addEventListener('messageerror', () => fail('a message from the worker could not be read'));
  element<HTMLButtonElement>('forget').addEventListener('click', async () => {
    worker.terminate();
    try {
      await clearCheckpoints();
      location.reload();
    } catch (error) {
      fail(`could not forget the checkpoint: ${(error as Error).message}`);
    }
  });
  worker.postMessage({ type: 'start', options } satisfies PageMessage);
  render();
}

start();
