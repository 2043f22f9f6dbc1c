// Turns a training text into token ids and loss targets for LanguageModel.weightGradient: the prompt is
// rendered by the model's own chat template (as the optimizer renders it); targets cover the response
// (and the end-of-turn token) and, when the text ends in the extractor, the answer digits.
import type { ChatMessage, GradTarget } from '../engine';
import { ANSWER_END, EXTRACTOR_TEXT, REASONING_JOINER, TrainingText } from './task';

export interface TextCodec {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  chatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt: boolean }): string;
}

export interface EncodedText {
  ids: number[];
  /** Unnormalised weights: the trainer divides by the batch total so the loss is a per-token mean. */
  targets: GradTarget[];
}

export function promptText(codec: TextCodec, user: string): string {
  return codec.chatTemplate([{ role: 'user', content: user }], { addGenerationPrompt: true });
}

function startsWith(ids: readonly number[], head: readonly number[]): boolean {
  return head.length <= ids.length && head.every((t, i) => ids[i] === t);
}

export function encodeTrainingText(codec: TextCodec, t: TrainingText, eosId: number, answerWeight: number): EncodedText {
  const enc = (s: string) => codec.encode(s, { addSpecialTokens: false });
  const prompt = promptText(codec, t.user);
  const head = enc(prompt);
  const withResponse = enc(prompt + t.response);
  if (!startsWith(withResponse, head)) throw new Error(`demo: response changes the tokenization of its prompt: ${JSON.stringify(prompt)}`);
  const targets: GradTarget[] = [];
  const addTargets = (ids: readonly number[], from: number, to: number, weight: number) => {
    for (let j = from; j < to; j++) targets.push({ position: j - 1, id: ids[j], weight });
  };
  if (t.after === 'eos') {
    const ids = [...withResponse, eosId];
    if (t.responseLoss) addTargets(ids, head.length, ids.length, 1);
    return { ids, targets };
  }
  const answer = String(t.answer);
  const tail = REASONING_JOINER + EXTRACTOR_TEXT + answer + ANSWER_END;
  // With no response, the extractor is encoded on its own after the prompt, as the optimizer lays it out.
  const ids = t.response === '' ? [...head, ...enc(tail)] : enc(prompt + t.response + tail);
  if (!startsWith(ids, withResponse)) throw new Error(`demo: the extractor changes the tokenization of the response: ${JSON.stringify(t.response)}`);
  if (t.responseLoss) addTargets(ids, head.length, withResponse.length, 1);
  // One token per digit, then ANSWER_END (one token) so a generated answer stops where the number does.
  addTargets(ids, ids.length - 1 - answer.length, ids.length, answerWeight);
  return { ids, targets };
}
