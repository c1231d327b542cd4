import type { LossPoint } from './checkpoint-files.js';
import type { WorkerMessage } from './protocol.js';

/**
 * Everything the page shows, built only from the worker's messages. It is also the page's test surface:
 * `window.__miniLlama` holds it, and the end-to-end test reads it from there.
 */
export interface PageState {
  phase: 'starting' | 'pretraining' | 'sampling' | 'fine-tuning' | 'done' | 'error';
  status: string;
  backend: string | null; // the backend tfjs runs on: webgpu, wasm or cpu
  backendReason: string | null;
  backendAdapter: string | null; // for webgpu: the adapter's vendor and description
  passedOver: string[]; // backends `auto` skipped or that failed to start, with why
  model: string | null;
  parameters: number | null;
  resumedFromStep: number | null; // the checkpoint's step when this visit resumed one, else null
  firstStepThisVisit: number | null;
  step: number; // the last pretraining step
  losses: LossPoint[]; // the whole pretraining curve: the checkpoint's history, then this visit's steps
  checkpointStep: number | null; // the step of the last checkpoint saved in this visit
  sample: string; // the pretrained model's continuation of its prompt
  samplePrompt: string;
  lora: {
    trainable: number;
    total: number;
    percent: number;
    modules: number; // Linear layers that got an adapter
    losses: LossPoint[];
    sample: string;
    samplePrompt: string;
  } | null;
  /** The adapter's WiSE-FT sweep: loss per byte on each text at each α (0: pretrained, 1: fine-tuned). */
  sweep: { alpha: number; loss: Record<string, number> }[];
  /** tf.memory().numTensors after the first and the last step of each phase: equal when nothing leaks. */
  tensors: Partial<Record<'pretrain' | 'lora', { afterFirstStep: number; afterLastStep: number }>>;
  error: string | null;
}

export function initialState(): PageState {
  return {
    phase: 'starting',
    status: 'starting the worker',
    backend: null,
    backendReason: null,
    backendAdapter: null,
    passedOver: [],
    model: null,
    parameters: null,
    resumedFromStep: null,
    firstStepThisVisit: null,
    step: 0,
    losses: [],
    checkpointStep: null,
    sample: '',
    samplePrompt: '',
    lora: null,
    sweep: [],
    tensors: {},
    error: null,
  };
}

/** Applies one worker message to the state (in place: the page redraws from it). An error is final. */
export function applyMessage(state: PageState, message: WorkerMessage): void {
  if (state.phase === 'error') return;
  switch (message.type) {
    case 'status':
      state.status = message.text;
      break;
    case 'backend': {
      const { choice } = message;
      state.backend = choice.name;
      state.backendReason = choice.reason;
      state.backendAdapter = choice.adapter ?? null;
      state.passedOver = [
        ...(choice.skipped ?? []).map(({ name, reason }) => `${name}: ${reason}`),
        ...choice.failed.map(({ name, error }) => `${name}: ${error}`),
      ];
      break;
    }
    case 'model':
      state.model = message.config;
      state.parameters = message.parameters;
      break;
    case 'resume':
      state.phase = 'pretraining';
      state.resumedFromStep = message.fromStep;
      state.losses = [...message.history];
      state.step = message.fromStep ?? 0;
      break;
    case 'step':
      if (message.phase === 'pretrain') {
        state.firstStepThisVisit ??= message.step;
        state.step = message.step;
        state.losses.push({ step: message.step, loss: message.loss });
      } else {
        state.lora?.losses.push({ step: message.step, loss: message.loss });
      }
      state.status = `${message.phase === 'pretrain' ? 'pretraining' : 'fine-tuning'}: step ${message.step}, loss ${message.loss.toFixed(3)}, ${Math.round(message.tokensPerSecond)} tokens/s`;
      break;
    case 'checkpoint':
      state.checkpointStep = message.step;
      break;
    case 'sample':
      if (message.phase === 'pretrain') {
        state.phase = 'sampling';
        state.sample = message.text;
        state.samplePrompt = message.prompt;
      } else if (state.lora) {
        state.lora.sample = message.text;
        state.lora.samplePrompt = message.prompt;
      }
      break;
    case 'lora':
      state.phase = 'fine-tuning';
      state.lora = {
        trainable: message.trainable,
        total: message.total,
        percent: message.percent,
        modules: message.modules,
        losses: [],
        sample: '',
        samplePrompt: '',
      };
      break;
    case 'sweep':
      state.sweep = message.points;
      break;
    case 'tensors':
      state.tensors[message.phase] = {
        afterFirstStep: message.afterFirstStep,
        afterLastStep: message.afterLastStep,
      };
      break;
    case 'done':
      state.phase = 'done';
      state.status = 'done: reload the page to train on from the checkpoint';
      break;
    case 'error':
      state.phase = 'error';
      state.error = message.message;
      state.status = 'failed';
      break;
  }
}
