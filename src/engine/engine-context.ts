// What the facade shares with its parts (decoding, gradients): the model's shape, precision, sessions and
// counters. One object per loaded model.
import { ModelConfig } from './model/config';
import type { FamilyDef } from './model/family';
import { FloatArray, RotaryTables } from './model/rope';
import { SessionSet } from './runtime/session-set';
import { EngineCounters } from './types';

export type Make = (n: number) => FloatArray;

export interface EngineContext {
  readonly config: ModelConfig;
  readonly family: FamilyDef;
  readonly dtype: 'float32' | 'float64';
  readonly make: Make;
  readonly rotary: RotaryTables;
  readonly sessions: SessionSet;
  readonly counters: EngineCounters;
  /** Throws a UserError naming the first id outside the vocabulary. */
  checkIds(ids: readonly number[]): void;
}

export function fromNumbers(make: Make, xs: readonly number[]): FloatArray {
  const a = make(xs.length);
  a.set(xs);
  return a;
}
