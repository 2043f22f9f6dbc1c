// An OpenAI-compatible chat-completions server on 127.0.0.1 running a model through our engine (greedy), to try
// `greater optimize --eval-endpoint` without installing Ollama & co. Needs `npm run build` first.
// usage: node scripts/chat-server.mjs [MODEL_DIR] [PORT]   (default: the built-in demo model, port 8089)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startChatServer } = require('../dist/test/helpers/chat-server.js');
const { builtinDemo } = require('../dist/src/demo/builtin.js');

const dir = process.argv[2] || builtinDemo().modelDir;
const name = process.argv[2] ? dir : 'greater-demo';
const server = await startChatServer({ modelDir: dir, modelName: name, port: Number(process.argv[3] ?? 8089) });
process.stdout.write(`OpenAI-compatible server for ${dir} at ${server.url} (model name: ${name}); Ctrl-C to stop\n`);
