// The engine's public surface: everything outside src/engine imports from here, never from internals.
export { UserError, isUserError } from './errors';
export { LanguageModel } from './language-model';
export { argmax } from './decoding/log-probs';
export type { LoadOptions, GenerateOptions, Generation, SuffixScore, GradItem, GradResult, GradTarget, EngineCounters } from './types';
export type { ModelConfig } from './model/config';
export type { FloatArray } from './model/rope';
export { resolveModelDir } from './hub';
export type { ResolveOptions, ResolvedModel } from './hub';
export { parseDevice, resolveDevice, DEVICES } from './runtime/session';
export type { Device, DeviceChoice } from './runtime/session';
export { parseQuantize, parsePrecision, checkFormats, AUTO_INT8_MIN_PARAMS } from './precision';
export type { QuantizeChoice, QuantizeMode, Precision, PrecisionChoice } from './precision';
export { Tokenizer } from './tokenizer';
export type { ChatMessage } from './tokenizer';
export { estimateModelMemory, checkModelFits, availableMemory } from './weights/memory';
export type { MemoryEstimate } from './weights/memory';
export { convertLlama2c } from './convert/llama2c';
export { writeSafetensorsFile } from './weights/safetensors';
