// Fixture for the prompt finder (unit tests and the in-host VS Code suite). Not compiled.
import { readFileSync } from 'node:fs';

const systemPrompt = 'You are a careful assistant. Answer the question and explain your reasoning.';

export function buildPrompt(question: string): string {
  return `Solve the following problem step by step.
Question: ${question}
Give the final answer after "Answer:".`;
}

const path = "src/data/questions.json";
const shortLabel = "OK";

// greater-prompt
const tiny = "Be brief.";

const mustache = "Classify the sentiment of the review {{review}} as positive or negative, then explain why.";

const re = /"not a string"/g;
const ratio = 10 / 2; const other = "it's a \"quoted\" word and a backslash \\ in a prompt-like sentence here";
export { systemPrompt, path, shortLabel, tiny, mustache, re, ratio, other, readFileSync };
