// The layer walls of ARCHITECTURE "Layers and who may import whom", checked on the sources: every relative
// import (static, `export … from`, dynamic `import()`) is resolved to a file and its layer, and must be
// allowed by the table below; `vscode` is imported in src/extension only; no two files import each other
// round a circle. The per-layer tsconfigs (src/*/tsconfig.json) enforce the coarse walls at compile time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');

/** Import-free contract files and what each may import (exact files, relative to src/). */
const CONTRACTS: Record<string, readonly string[]> = {
  // the one home of user-facing errors: every layer below the worker protocol reaches it via engine/index.ts
  'engine/errors.ts': [],
  'greater/events.ts': [],
  'worker/protocol/index.ts': ['greater/events.ts'],
  // how an engine process is started: shared by the CLI's launcher and the extension's worker launcher
  'worker/protocol/launch-env.ts': [],
};
const LAUNCH_ENV = 'worker/protocol/launch-env.ts';
const ENGINE_ENTRY = 'engine/index.ts';

/** Per layer (first folder under src/): a predicate over the imported file's path relative to src/. */
const ALLOWED: Record<string, (to: string) => boolean> = {
  engine: (to) => to.startsWith('engine/'),
  greater: (to) => to.startsWith('greater/') || to === ENGINE_ENTRY,
  demo: (to) => to.startsWith('demo/') || to.startsWith('greater/') || to === ENGINE_ENTRY,
  worker: (to) => to.startsWith('worker/') || to.startsWith('greater/') || to.startsWith('demo/') || to === ENGINE_ENTRY,
  cli: (to) => to.startsWith('cli/') || to.startsWith('greater/') || to.startsWith('demo/') || to === ENGINE_ENTRY || to === LAUNCH_ENV,
  shared: (to) => to.startsWith('shared/') || to === 'worker/protocol/index.ts',
  extension: (to) => to.startsWith('extension/') || to.startsWith('shared/') || to.startsWith('worker/protocol/'),
  webview: (to) => to.startsWith('webview/') || to.startsWith('shared/'),
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sourceFiles(p) : d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

function specifiers(file: string): string[] {
  // comments may mention paths; drop them before scanning
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...text.matchAll(SPECIFIER)].map((m) => m[1]);
}

/** The imported source file, or null for a data file (the CLI requires package.json from dist/ at run time). */
function resolveRelative(from: string, spec: string): string | null {
  if (spec.endsWith('.json')) return null;
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(c)) return c;
  throw new Error(`${path.relative(ROOT, from)}: import '${spec}' resolves to no .ts file`);
}

const rel = (f: string) => path.relative(SRC, f).split(path.sep).join('/');
const files = sourceFiles(SRC);
const edges = new Map<string, string[]>(files.map((f) => [rel(f), []]));
const packages = new Map<string, string[]>(files.map((f) => [rel(f), []]));
for (const f of files) {
  for (const spec of specifiers(f)) {
    if (spec.startsWith('.')) {
      const to = resolveRelative(f, spec);
      if (to) edges.get(rel(f))!.push(rel(to));
    } else packages.get(rel(f))!.push(spec);
  }
}

test('every import stays inside the walls of its layer', () => {
  const crossings: string[] = [];
  for (const [from, tos] of edges) {
    const contract = CONTRACTS[from];
    const layer = from.split('/')[0];
    const allowed = contract ? (to: string) => contract.includes(to) : ALLOWED[layer];
    assert.ok(allowed, `src/${from}: folder '${layer}' has no row in the wall table of test/import-walls.test.ts`);
    for (const to of tos) if (!allowed(to)) crossings.push(`src/${from} → src/${to}`);
  }
  assert.deepEqual(crossings, [], `imports that cross a wall:\n${crossings.join('\n')}`);
});

test('only src/extension imports vscode; the webview, shared modules and contracts import no package', () => {
  const bad: string[] = [];
  for (const [from, specs] of packages) {
    const layer = from.split('/')[0];
    for (const s of specs) {
      if (s === 'vscode' && layer !== 'extension') bad.push(`src/${from} imports vscode`);
      if ((layer === 'webview' || layer === 'shared' || from in CONTRACTS) && !s.startsWith('.')) bad.push(`src/${from} imports ${s}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('no circle of imports between files', () => {
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[] = [];
  const visit = (f: string, trail: string[]): void => {
    const s = state.get(f);
    if (s === 'done') return;
    if (s === 'open') {
      circles.push([...trail.slice(trail.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const to of edges.get(f) ?? []) visit(to, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of edges.keys()) visit(f, []);
  assert.deepEqual(circles, [], `import circles:\n${circles.join('\n')}`);
});

test('the wall table names every folder under src/', () => {
  const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  assert.deepEqual(folders, Object.keys(ALLOWED).sort());
});
