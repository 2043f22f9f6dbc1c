// Seeded train / held-out split. The reference took the first 50 rows of the file as training data
// (ALGORITHM §1, no shuffling); we shuffle with a seed by default so a file sorted by answer or by
// difficulty does not skew the run, and `shuffle: false` reproduces the reference's first-N rows.
import { UserError } from '../../engine';
import { Rng } from '../rng';

export interface SplitOptions {
  seed: number;
  /** Training examples (default 50, the reference's n_train_data). */
  nTrain?: number;
  /** Cap on held-out examples; default: all the rest. 0 allows a split with no held-out set. */
  maxHeldOut?: number;
  /** false: train = the first nTrain rows in file order (the reference protocol). Default true. */
  shuffle?: boolean;
}

export interface Split<T> {
  train: T[];
  heldOut: T[];
}

export const DEFAULT_TRAIN_SIZE = 50;

/** Same examples and seed → same split. Both halves come back in file order. */
export function splitExamples<T extends { index: number }>(examples: readonly T[], opts: SplitOptions, source = 'the dataset'): Split<T> {
  const nTrain = opts.nTrain ?? DEFAULT_TRAIN_SIZE;
  const maxHeldOut = opts.maxHeldOut ?? Infinity;
  if (!Number.isSafeInteger(opts.seed)) throw new UserError(`seed must be an integer, got ${opts.seed}`);
  if (!Number.isInteger(nTrain) || nTrain < 1) throw new UserError(`training size must be a positive integer, got ${nTrain}`);
  if (maxHeldOut !== Infinity && (!Number.isInteger(maxHeldOut) || maxHeldOut < 0)) {
    throw new UserError(`held-out cap must be a non-negative integer, got ${maxHeldOut}`);
  }
  const needed = nTrain + (maxHeldOut === 0 ? 0 : 1);
  if (examples.length < needed) {
    throw new UserError(`${source} has ${examples.length} usable examples; ${nTrain} for training` +
      `${maxHeldOut === 0 ? '' : ' plus at least 1 held out'} needs ${needed} (lower the training size)`);
  }
  const order = opts.shuffle === false ? examples.slice() : new Rng(opts.seed).sample(examples, examples.length);
  const byIndex = (a: T, b: T) => a.index - b.index;
  return {
    train: order.slice(0, nTrain).sort(byIndex),
    heldOut: order.slice(nTrain, nTrain + Math.min(maxHeldOut, order.length - nTrain)).sort(byIndex),
  };
}
