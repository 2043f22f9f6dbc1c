// Where the committed demo model and its task live, and the settings `greater optimize` uses on them when
// no model or task is given. models/greater-demo/task.json carries the same facts for non-TS readers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../engine';
import { DEFAULT_INITIAL_PROMPT, EXTRACTOR_TEXT, PROMPT_TEMPLATE, REASONING_JOINER } from './task';
import { GOOD_EXAMPLE_PROMPT, TASK_FILES } from './train';

export const DEMO_FOLDER = path.join('models', 'greater-demo');

export interface BuiltinDemo {
  modelDir: string;
  /** Questions to optimise on (question/answer JSON Lines). */
  trainFile: string;
  /** Questions for the before → after accuracy; none of them is in trainFile or in the model's training data. */
  heldOutFile: string;
  /** Both files in one: what `greater optimize` splits with its own seeded split when no task is given. */
  taskFile: string;
  /** Steps of the no-argument main job (a few minutes on 2 CPU cores). */
  steps: number;
  promptTemplate: string;
  reasoningJoiner: string;
  /** The tasks layer's 'auto' extractor for these integer answers. */
  extractorText: string;
  /** Weak default wording (low accuracy): what the optimizer starts from. */
  initialPrompt: string;
  /** A wording a person would write that gets the worked answers (high accuracy). */
  goodPrompt: string;
}

/** Walks up from this file to the package root holding models/greater-demo (works from src/ and dist/). */
export function findDemoFolder(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, DEMO_FOLDER);
    if (fs.existsSync(path.join(candidate, 'config.json'))) return candidate;
    if (path.dirname(dir) === dir) {
      throw new UserError(`the built-in demo model (${DEMO_FOLDER}) was not found above ${from}; reinstall, or pass --model and a dataset`);
    }
  }
}

export function builtinDemo(from?: string): BuiltinDemo {
  const modelDir = findDemoFolder(from);
  return {
    modelDir,
    trainFile: path.join(modelDir, TASK_FILES.train),
    heldOutFile: path.join(modelDir, TASK_FILES.heldOut),
    taskFile: path.join(modelDir, TASK_FILES.all),
    steps: 40,
    promptTemplate: PROMPT_TEMPLATE,
    reasoningJoiner: REASONING_JOINER,
    extractorText: EXTRACTOR_TEXT,
    initialPrompt: DEFAULT_INITIAL_PROMPT,
    goodPrompt: GOOD_EXAMPLE_PROMPT,
  };
}
