// The setup view: the prompt (and where it came from), the dataset with its preview and column mapping, the
// answer extractor with a dry run, model / device / budget with the estimate, and Start.
import { estimateRun, formatBytes, formatDuration } from '../shared/estimate';
import { BUDGET_NAMES, DEVICE_CHOICES, PRECISION_CHOICES, QUANTIZE_CHOICES } from '../shared/panelMessages';
import { h } from './dom';
import {
  chooseBudget, currentEstimate, engineKey, engineParams, estimateKey, formProblems, freshRun, setSize, startRequest, useDemoDataset, type Form,
} from './state';
import { renderTransferSetup } from './transfer';
import { transferProblem, withTransfer } from './transferState';
import { button, field, numberInput, table, textInput, type ViewContext } from './view';

function renderSource(ui: ViewContext): HTMLElement {
  const src = ui.state.session.source;
  if (!src) return h('p', { class: 'hint' }, 'No prompt from a file: type one below. Apply needs a prompt opened from the editor (CodeLens "Optimize prompt").');
  return h('div', { class: 'source' },
    h('div', {}, h('span', { class: 'badge' }, src.label), ' ', src.placeholders.length ? h('span', { class: 'hint' }, `placeholders kept: ${src.placeholders.join(' ')}`) : null),
    src.context.prefix || src.context.suffix
      ? h('pre', { class: 'context' }, h('span', { class: 'fixed' }, src.context.prefix), h('mark', { class: 'editable' }, src.optimizable), h('span', { class: 'fixed' }, src.context.suffix))
      : null);
}

export function renderSetup(ui: ViewContext): HTMLElement {
  const f = ui.state.form;
  const p = ui.state.preview;
  const running = ui.state.run.state === 'running' || ui.state.run.state === 'cancelling' || ui.state.run.state === 'starting';
  const est = estimateRun({ model: f.model, device: f.device, steps: f.steps, topQ: f.topQ, trainSize: f.trainSize });
  const problems = formProblems(ui.state);
  // the dropdowns list the columns of the file on screen (its preview), never an earlier file's
  const columnSelect = (id: string, value: string, set: (v: string) => void) => h('select', {
    id, onchange: (e: Event) => { ui.update(() => set((e.target as HTMLSelectElement).value)); ui.requestPreview(); },
  }, h('option', { value: '' }, p?.needsMapping ? '(choose a column)' : '(automatic)'), ...(p?.columns ?? []).map((c) => h('option', { value: c, selected: c === value }, c)));
  const presets = p?.extractorPresets.length ? p.extractorPresets : [{ name: 'auto', label: 'detected from the answers', description: 'chosen by the optimizer from the dataset', text: '' }];
  const preset = presets.find((x) => x.name === f.preset) ?? presets[0];
  return h('section', { id: 'setup' },
    h('h2', {}, 'Prompt'),
    renderSource(ui),
    field('Initial prompt (the part GReaTer edits)', h('textarea', {
      id: 'prompt', rows: 3, oninput: (e: Event) => ui.update((s) => { s.form.prompt = (e.target as HTMLTextAreaElement).value; }, false),
    }, f.prompt)),
    h('h2', {}, 'Task'),
    h('div', { class: 'row' },
      h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'ds', id: 'dataset-demo', checked: f.datasetKind === 'demo' && !ui.state.busy.pick, onchange: () => { ui.update(useDemoDataset); ui.requestPreview(); } }), 'Built-in demo task'),
      h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'ds', id: 'dataset-file', checked: f.datasetKind === 'file' || !!ui.state.busy.pick, onchange: () => pickDataset(ui) }), 'Dataset file or folder…'),
      f.datasetKind === 'file' ? h('span', { class: 'path', title: f.datasetPath }, f.datasetPath || '(none)') : null,
      f.datasetKind === 'file' ? button('pick-dataset', 'Choose…', () => pickDataset(ui), { secondary: true }) : null,
    ),
    ui.state.busy.preview ? h('p', { class: 'hint' }, 'Reading the dataset…') : null,
    ui.state.previewError ? h('p', { class: 'error', id: 'preview-error' }, ui.state.previewError) : null,
    p ? h('div', { id: 'preview' },
      h('p', { class: 'hint' }, `${p.total} examples (${p.format}); first ${p.rows.length}:`),
      table(p.needsMapping ? p.columns : Object.keys(p.rows[0] ?? {}), p.rows),
      p.needsMapping ? h('p', { class: 'error', id: 'mapping-needed' }, p.needsMapping) : null,
      h('div', { class: 'row', id: 'column-mapper' },
        field('Question column', columnSelect('question-field', f.questionField, (v) => (ui.state.form.questionField = v))),
        field('Answer column', columnSelect('answer-field', f.answerField, (v) => (ui.state.form.answerField = v)))),
    ) : null,
    h('h2', {}, 'Answer extractor'),
    h('div', { class: 'row' },
      h('select', { id: 'extractor-preset', onchange: (e: Event) => ui.update((s) => {
        const v = (e.target as HTMLSelectElement).value;
        s.form.extractorMode = v === '__text' ? 'text' : 'preset';
        if (v !== '__text') s.form.preset = v;
        // editing starts from the preset's own text
        else if (!s.form.extractorText) s.form.extractorText = preset.text;
      }) },
      ...presets.map((x) =>
        h('option', { value: x.name, selected: f.extractorMode === 'preset' && x === preset, title: x.description }, x.label)),
      h('option', { value: '__text', selected: f.extractorMode === 'text' }, 'Custom text…')),
      f.extractorMode === 'text' ? textInput(ui, 'extractor-text', f.extractorText, (v) => (ui.state.form.extractorText = v), { placeholder: 'e.g. Therefore, the final answer is' }) : null,
      button('check-extractor', ui.state.busy.check ? 'Checking…' : 'Dry run on 5 samples', () => {
        ui.update((s) => { s.busy.check = true; s.checkError = undefined; });
        ui.post({ type: 'checkExtractor', request: startRequest(ui.state.form) });
      }, { secondary: true, disabled: !!ui.state.busy.check || running })),
    f.extractorMode === 'preset' && preset.text ? h('p', { class: 'hint', id: 'extractor-text-shown' }, 'After the reasoning the model reads: ', h('code', {}, preset.text)) : null,
    ui.state.checkError ? h('p', { class: 'error' }, ui.state.checkError) : null,
    ui.state.check?.modelInput ? h('details', { id: 'model-input' },
      h('summary', {}, 'What the model reads for the first sample (templates applied)'), h('pre', { class: 'log' }, ui.state.check.modelInput)) : null,
    ui.state.check ? h('p', { class: 'hint', id: 'extractor-check-summary' }, `${ui.state.check.samples.filter((x) => x.correct).length}/${ui.state.check.samples.length} extracted correctly`) : null,
    ui.state.check ? h('table', { class: 'preview', id: 'extractor-check' },
      h('thead', {}, h('tr', {}, h('th', {}, 'question'), h('th', {}, 'extracted'), h('th', {}, 'gold'), h('th', {}, ''))),
      h('tbody', {}, ...ui.state.check.samples.map((x) => h('tr', { class: x.correct ? 'ok' : 'bad' },
        h('td', { title: x.reasoning }, x.question.slice(0, 120)), h('td', {}, x.extracted ?? '(none)'), h('td', {}, x.gold), h('td', {}, x.correct ? '✓' : '✗'))))) : null,
    h('h2', {}, 'Model and budget'),
    h('div', { class: 'grid' },
      field('Model', textInput(ui, 'model', f.model, (v) => (ui.state.form.model = v)), '"demo" = built-in model'),
      field('Budget', select('budget', [...BUDGET_NAMES, 'custom'], f.budget, (v) => ui.update((s) => chooseBudget(s.form, v as Form['budget']))), BUDGET_HINT[f.budget]),
      field('Steps', numberInput(ui, 'steps', f.steps, 1, (v) => setSize(ui.state.form, 'steps', v))),
      field('Top-k', numberInput(ui, 'top-k', f.topK, 1, (v) => setSize(ui.state.form, 'topK', v))),
      field('Top-q', numberInput(ui, 'top-q', f.topQ, 1, (v) => (ui.state.form.topQ = v))),
      field('Train size', numberInput(ui, 'train-size', f.trainSize, 1, (v) => setSize(ui.state.form, 'trainSize', v)), problems.trainSize, 'train-size-problem'),
      field('Held-out size', numberInput(ui, 'held-out-size', f.heldOutSize, 0, (v) => setSize(ui.state.form, 'heldOutSize', v)), 'examples checked before → after'),
      field('Reasoning tokens', numberInput(ui, 'max-new-tokens', f.maxNewTokens, 1, (v) => setSize(ui.state.form, 'maxNewTokens', v)),
        problems.maxNewTokens ?? 'longest reasoning per example', problems.maxNewTokens ? 'max-new-tokens-problem' : undefined),
      field('Seed', numberInput(ui, 'seed', f.seed, 0, (v) => (ui.state.form.seed = v))),
    ),
    renderEngine(ui, problems),
    renderEstimate(ui, est, running),
    renderTransferSetup(ui),
    !ui.state.trusted ? h('p', { class: 'error' }, 'This workspace is not trusted: GReaTer will not start a worker or load a model.') : null,
    ui.state.startError ? h('p', { class: 'error', id: 'start-error-inline' }, ui.state.startError) : null,
    Object.keys(problems).length ? h('p', { class: 'error', id: 'start-blocked' }, `Start needs: ${Object.values(problems).join(' ')}`) : null,
    h('div', { class: 'row' }, button('start', ui.state.busy.start ? 'Starting…' : 'Start optimisation', () => {
      ui.update((s) => { s.busy.start = true; s.startError = undefined; s.run = { ...freshRun(), state: 'starting', initialPrompt: s.form.prompt }; s.applied = false; s.applyMessage = s.applyError = undefined; });
      ui.post({ type: 'start', request: withTransfer(ui.state, startRequest(ui.state.form)) });
    }, { disabled: running || !!ui.state.busy.start || !ui.state.trusted || Object.keys(problems).length > 0 || !!transferProblem(ui.state) })),
  );
}

const BUDGET_HINT: Record<Form['budget'], string> = {
  quick: 'minutes on a laptop CPU for a small model',
  standard: 'a middle ground',
  paper: "the paper's schedule (long)",
  custom: 'sizes as set below',
};

function select(id: string, options: readonly string[], value: string, onChange: (v: string) => void): HTMLSelectElement {
  return h('select', { id, onchange: (e: Event) => onChange((e.target as HTMLSelectElement).value) },
    ...options.map((o) => h('option', { value: o, selected: o === value }, o)));
}

/** Asks the worker whether the device / quantization / precision would load (each refusal shows by its field). */
export function requestEngineCheck(ui: ViewContext): void {
  if (!ui.state.trusted) return;
  ui.update((s) => { s.busy.engine = true; }, false);
  ui.post({ type: 'checkEngine', key: engineKey(ui.state.form), params: engineParams(ui.state.form) });
}

/** Device, precision and quantization, each with the worker's refusal (if any) next to it. */
function renderEngine(ui: ViewContext, problems: ReturnType<typeof formProblems>): HTMLElement {
  const f = ui.state.form;
  const pick = <K extends 'device' | 'precision' | 'quantize'>(key: K) => (v: string) => {
    ui.update((s) => { s.form[key] = v as Form[K]; });
    requestEngineCheck(ui);
  };
  return h('div', { id: 'engine' },
    h('h3', {}, 'Engine'),
    h('div', { class: 'grid' },
      field('Device', select('device', DEVICE_CHOICES, f.device, pick('device')), problems.device, 'device-problem'),
      field('Precision', select('precision', PRECISION_CHOICES, f.precision, pick('precision')), problems.precision ?? 'fp16: WebGPU only', problems.precision ? 'precision-problem' : undefined),
      field('Quantize', select('quantize', QUANTIZE_CHOICES, f.quantize, pick('quantize')), problems.quantize ?? 'int8 / int4: CPU only', problems.quantize ? 'quantize-problem' : undefined),
    ));
}

/**
 * Time: measured on the model and device the run will use (run/estimate, a few seconds), or, before that, only the
 * memory guess from the model's name; a name-based time is never shown as if it were measured.
 */
function renderEstimate(ui: ViewContext, guess: ReturnType<typeof estimateRun>, running: boolean): HTMLElement {
  const measured = currentEstimate(ui.state);
  const memory = guess.parameters !== undefined
    ? ` Memory about ${formatBytes(guess.memoryBytes ?? 0)} (${(guess.parameters / 1e6).toFixed(guess.parameters < 1e7 ? 2 : 0)}M parameters, from the name).` : '';
  const time = measured
    ? `Estimated time${ui.state.form.budget !== 'custom' ? ` (${ui.state.form.budget} budget)` : ''}: about ${formatDuration(measured.totalSeconds)} (${formatDuration(measured.stepSeconds)} per step, held-out check ${formatDuration(measured.evaluationSeconds)}), measured on this device in ${measured.probeSeconds.toFixed(1)} s.`
    : 'Time: not measured yet.';
  return h('div', { class: 'row', id: 'estimate-row' },
    h('p', { id: 'estimate', class: 'hint' }, time + memory),
    measured ? null : button('measure', ui.state.busy.estimate ? 'Measuring…' : 'Measure time (a few seconds)', () => {
      ui.update((s) => { s.busy.estimate = true; s.estimateError = undefined; });
      ui.post({ type: 'estimate', key: estimateKey(ui.state.form), request: startRequest(ui.state.form) });
    }, { secondary: true, disabled: !!ui.state.busy.estimate || running || Object.keys(formProblems(ui.state)).length > 0 }),
    ui.state.estimateError ? h('p', { class: 'error', id: 'estimate-error' }, ui.state.estimateError) : null,
  );
}

function pickDataset(ui: ViewContext): void {
  ui.update((s) => { s.busy.pick = true; });
  ui.post({ type: 'pickDataset' });
}

