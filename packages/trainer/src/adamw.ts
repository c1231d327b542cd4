import * as tf from '@tensorflow/tfjs-core';

export interface AdamWConfig {
  learningRate: number; // the base rate; a schedule passes the current one to step()
  beta1?: number; // 0.9
  beta2?: number; // 0.999 (PyTorch's default; llama2.c trains with 0.95)
  eps?: number; // 1e-8
  weightDecay?: number; // 0.01 (PyTorch's default; llama2.c uses 0.1)
  /**
   * Which parameters decay. Default: every parameter of rank ≥ 2 (matrices and embeddings), none of the
   * 1-D ones (norm weights, biases), as GPT-2, llama2.c and nanoGPT group them.
   */
  decays?: (name: string, variable: tf.Variable) => boolean;
}

/** The optimizer's state, as plain arrays for checkpoints. */
export interface AdamWState {
  step: number;
  /** First and second moment estimates by parameter name. */
  moments: Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>;
}

/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2): Adam whose weight
 * decay shrinks the weights directly instead of being added to the gradient. Each step, for each parameter θ
 * with gradient g:
 *   θ ← θ · (1 − lr·λ)                               (decoupled decay; only for parameters that decay)
 *   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
 *   θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 * written in the same order as torch.optim.AdamW so that the two agree to float32 rounding.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  learningRate: number;
  private stepCount = 0;
  private readonly parameters: Map<string, tf.Variable>;
  private readonly decaying: Set<string>;
  private readonly firstMoments = new Map<string, tf.Variable>();
  private readonly secondMoments = new Map<string, tf.Variable>();

  constructor(parameters: Record<string, tf.Variable>, config: AdamWConfig) {
    const { learningRate, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 } = config;
    const decays = config.decays ?? ((_: string, variable: tf.Variable) => variable.rank >= 2);
    checkRange('learningRate', learningRate, 0, Infinity);
    checkRange('beta1', beta1, 0, 1);
    checkRange('beta2', beta2, 0, 1);
    checkRange('eps', eps, 0, Infinity);
    checkRange('weightDecay', weightDecay, 0, Infinity);
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.parameters = new Map(Object.entries(parameters));
    this.decaying = new Set(
      [...this.parameters].filter(([name, v]) => decays(name, v)).map(([name]) => name),
    );
    for (const [name, variable] of this.parameters) {
      this.firstMoments.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
      );
      this.secondMoments.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
      );
    }
  }

  /** Number of steps taken (t in the bias corrections). */
  get step(): number {
    return this.stepCount;
  }

  /** Names of the parameters that get weight decay. */
  decayingParameters(): string[] {
    return [...this.decaying];
  }

  /**
   * One update from gradients keyed by parameter name (every parameter must have one). `learningRate`
   * overrides the current rate (a schedule's value for this step).
   */
  applyGradients(
    gradients: Map<string, tf.Tensor> | Record<string, tf.Tensor>,
    learningRate = this.learningRate,
  ): void {
    const byName = gradients instanceof Map ? gradients : new Map(Object.entries(gradients));
    for (const name of this.parameters.keys()) {
      if (!byName.has(name)) throw new Error(`AdamW: no gradient for parameter ${name}`);
    }
    this.stepCount++;
    const t = this.stepCount;
    const stepSize = learningRate / (1 - this.beta1 ** t);
    const secondCorrectionRoot = Math.sqrt(1 - this.beta2 ** t);
    tf.tidy(() => {
      for (const [name, parameter] of this.parameters) {
        const gradient = byName.get(name)!;
        if (!sameShape(gradient.shape, parameter.shape)) {
          throw new Error(
            `AdamW: gradient of ${name} has shape [${gradient.shape}], the parameter [${parameter.shape}]`,
          );
        }
        const m = this.firstMoments.get(name)!;
        const v = this.secondMoments.get(name)!;
        let theta: tf.Tensor = parameter;
        if (this.decaying.has(name) && this.weightDecay > 0)
          theta = tf.mul(theta, 1 - learningRate * this.weightDecay);
        const nextM = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
        const nextV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
        const denominator = tf.add(tf.div(tf.sqrt(nextV), secondCorrectionRoot), this.eps);
        m.assign(nextM);
        v.assign(nextV);
        parameter.assign(tf.sub(theta, tf.mul(tf.div(nextM, denominator), stepSize)));
      }
    });
  }

  async getState(): Promise<AdamWState> {
    const moments: AdamWState['moments'] = new Map();
    for (const [name, parameter] of this.parameters) {
      const m = (await this.firstMoments.get(name)!.data()) as Float32Array;
      const v = (await this.secondMoments.get(name)!.data()) as Float32Array;
      moments.set(name, { m: Float32Array.from(m), v: Float32Array.from(v), shape: [...parameter.shape] });
    }
    return { step: this.stepCount, moments };
  }

  /** Restores a state saved by getState(); every parameter's moments must be present with its shape. */
  setState({ step, moments }: AdamWState, source = 'optimizer state'): void {
    if (!Number.isInteger(step) || step < 0)
      throw new Error(`${source}: step must be an integer ≥ 0, got ${step}`);
    for (const [name, parameter] of this.parameters) {
      const saved = moments.get(name);
      if (!saved) throw new Error(`${source}: no moments for parameter ${name}`);
      if (!sameShape(saved.shape, parameter.shape)) {
        throw new Error(
          `${source}: moments of ${name} have shape [${saved.shape}], the parameter [${parameter.shape}]`,
        );
      }
    }
    for (const [name, parameter] of this.parameters) {
      const saved = moments.get(name)!;
      tf.tidy(() => {
        this.firstMoments.get(name)!.assign(tf.tensor(saved.m, parameter.shape));
        this.secondMoments.get(name)!.assign(tf.tensor(saved.v, parameter.shape));
      });
    }
    this.stepCount = step;
  }

  dispose(): void {
    for (const moment of [...this.firstMoments.values(), ...this.secondMoments.values()]) moment.dispose();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function checkRange(name: string, value: number, low: number, high: number): void {
  if (!(value >= low && value < high) || !Number.isFinite(value)) {
    throw new Error(`AdamW: ${name} must be in [${low}, ${high}), got ${value}`);
  }
}
