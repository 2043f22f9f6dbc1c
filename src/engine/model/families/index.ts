// Registers every supported family (import for its side effect).
import './llama';
import './qwen2';
import './gemma2';
