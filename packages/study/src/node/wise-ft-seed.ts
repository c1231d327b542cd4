import type { EvalSet } from '@mini-llama/data/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { wiseFtSweep } from '@mini-llama/wise-ft/node';
import type { WiseFtSeeds } from '../results.js';

export interface WiseFtSeedOptions {
  /** The pretrained model (θ at α = 0, with the zero-shot head). */
  base: string;
  /** One seed's fully fine-tuned classifier (θ at α = 1). */
  finetuned: string;
  tokenizer: Tokenizer;
  alphas: readonly number[];
  /** The in-domain validation split: it chooses α. */
  val: EvalSet;
  /** The in-domain test set and the OOD sets: what θ(α) is reported on. */
  id: EvalSet;
  ood: readonly EvalSet[];
  /** The sweep's files (results.jsonl, report.json, report.html). */
  out: string;
}

/**
 * One seed's WiSE-FT sweep: θ(α) on the validation split (the best accuracy chooses α, ties to the smaller) and
 * its predictions on the test and OOD sets at every α.
 */
export async function wiseFtSeed(options: WiseFtSeedOptions): Promise<WiseFtSeeds['seeds'][number]> {
  const { alphas } = options;
  const { summary, reports } = await wiseFtSweep({
    pretrained: options.base,
    finetuned: options.finetuned,
    backboneOnly: false,
    tokenizer: options.tokenizer,
    alphas,
    id: options.val, // chooses α
    ood: [options.id, ...options.ood],
    out: options.out,
  });
  const validation = reports.map(({ report }) => report.id.accuracy);
  const best = validation[alphas.indexOf(summary.chosenAlpha)]!;
  return {
    chosenAlpha: summary.chosenAlpha,
    tie: validation.filter((accuracy) => accuracy === best).length > 1,
    val: validation,
    predictions: reports.map(({ predictions }) => ({
      id: predictions.ood[0]!.predictions,
      ood: predictions.ood.slice(1).map((set) => set.predictions),
    })),
  };
}
