// History per code location (issue 15 scope 7), the pure part: following a literal through edits, finding the
// location of a new run, grouping runs and ordering a location's lineage, and the index file on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  emptyIndex, followEdits, groupRuns, HISTORY_FILE, locationFor, NO_LOCATION, readIndex, writeIndex, type CodeLocation,
} from '../src/extension/core/history';
import type { RunSummary } from '../src/extension/core/runs';

const loc = (start: number, end: number): CodeLocation => ({ id: 'L', uri: 'file:///w/a.ts', file: 'a.ts', line: 3, start, end });

test('a location moves with edits above it, stretches with edits inside it, and ignores edits below it', () => {
  const l = loc(100, 120);
  assert.equal(followEdits(l, [{ rangeOffset: 0, rangeLength: 0, text: '// one\n// two\n' }]), true);
  assert.deepEqual([l.start, l.end], [114, 134]);
  // Apply replaces the whole literal with a longer one
  assert.equal(followEdits(l, [{ rangeOffset: 114, rangeLength: 20, text: '"a much longer prompt text"' }]), true);
  assert.deepEqual([l.start, l.end], [114, 141]);
  assert.equal(followEdits(l, [{ rangeOffset: 141, rangeLength: 0, text: ';\n// below' }]), false);
  assert.deepEqual([l.start, l.end], [114, 141]);
  // deleting the line above pulls it up again
  followEdits(l, [{ rangeOffset: 0, rangeLength: 7, text: '' }]);
  assert.deepEqual([l.start, l.end], [107, 134]);
});

test('a run at an offset inside a known literal joins that location; elsewhere it starts a new one', () => {
  const index = emptyIndex();
  const a = locationFor(index, { uri: 'file:///w/a.ts', file: 'a.ts', line: 3, start: 40, end: 60 });
  assert.equal(locationFor(index, { uri: 'file:///w/a.ts', file: 'a.ts', line: 3, start: 40, end: 62 }).id, a.id);
  assert.notEqual(locationFor(index, { uri: 'file:///w/a.ts', file: 'a.ts', line: 9, start: 80, end: 90 }).id, a.id);
  assert.notEqual(locationFor(index, { uri: 'file:///w/b.ts', file: 'b.ts', line: 3, start: 40, end: 60 }).id, a.id);
  assert.equal(Object.keys(index.locations).length, 3);
});

function run(id: string, at: number, extra: Partial<RunSummary> = {}): RunSummary {
  return { id, dir: `/runs/${id}`, status: 'done', updatedAt: at, resumable: false, ...extra };
}

test('runs are grouped by location, and a lineage reads initial → run → applied → later run, with held-out accuracy', () => {
  const index = emptyIndex();
  const l = locationFor(index, { uri: 'file:///w/a.ts', file: 'a.ts', line: 3, start: 40, end: 60 });
  index.runs.r1 = { location: l.id, at: 1000 };
  index.runs.r2 = { location: l.id, at: 3000 };
  index.applied.push({ location: l.id, prompt: 'Think step by step.', at: 2000, how: 'apply' });
  const runs = [
    run('r2', 9, { initialPrompt: 'Think step by step.', bestPrompt: 'Think carefully step by step.', initialAccuracy: 0.6, bestAccuracy: 0.7 }),
    run('cli', 5000, { initialPrompt: 'x' }),
    run('r1', 8, { initialPrompt: 'Answer.', bestPrompt: 'Think step by step.', initialAccuracy: 0.2, bestAccuracy: 0.6 }),
  ];
  const groups = groupRuns(runs, index);
  assert.deepEqual(groups.map((g) => g.id), [l.id, NO_LOCATION], 'the no-location group comes last even with the newest run');
  assert.deepEqual(groups[1].runs.map((r) => r.id), ['cli']);
  assert.deepEqual(groups[1].lineage.map((e) => e.kind), ['run'], 'no versions without a location');
  const steps = groups[0].lineage.map((e) => (e.kind === 'run' ? `run ${e.run.id}` : `${e.role} ${e.prompt} ${e.accuracy}`));
  assert.deepEqual(steps, ['initial Answer. 0.2', 'run r1', 'applied Think step by step. 0.6', 'run r2']);
  assert.deepEqual(groups[0].runs.map((r) => r.id), ['r2', 'r1'], 'runs newest first');
});

test('a run whose location is missing from the index falls into the no-location group', () => {
  const index = emptyIndex();
  index.runs.r1 = { location: 'gone', at: 1 };
  assert.deepEqual(groupRuns([run('r1', 1)], index).map((g) => g.id), [NO_LOCATION]);
});

test('the index round-trips through its file; a damaged file reads as empty', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-history-'));
  const index = emptyIndex();
  const l = locationFor(index, { uri: 'file:///w/a.ts', file: 'a.ts', line: 3, start: 40, end: 60 });
  index.runs.r1 = { location: l.id, at: 5 };
  writeIndex(dir, index);
  assert.deepEqual(readIndex(dir), index);
  fs.writeFileSync(path.join(dir, HISTORY_FILE), '{"version": 1, "locations": ');
  assert.deepEqual(readIndex(dir), emptyIndex());
  assert.deepEqual(readIndex(path.join(dir, 'missing')), emptyIndex());
});
