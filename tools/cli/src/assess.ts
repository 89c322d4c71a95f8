// `prune assess <model> --data <dataset>` or `prune assess --run <id>`: what pruning does besides
// MACs, for any model file or for a run's parent and kept models side by side: clean, adversarial
// and corruption accuracy on the test split, latency, energy and CO2.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  assessModel,
  CORRUPTION_NAMES,
  type Assessment,
  type AssessmentOptions,
  type CorruptionName,
} from '@prune/assessment';
import { DEFAULT_ASSESSMENT_EXAMPLES } from '@prune/contracts';
import { openDatasetSample } from '@prune/data';
import { loadModel, parsePreprocessing } from '@prune/models';
import { formatAssessmentTable, type AssessedModel } from './assessment-table.js';
import { ASSESS } from './command-specs.js';
import { booleanFlag, numberFlag, parseFlags, stringFlag, type FlagValues } from './flags.js';
import { summarizeRun } from './report.js';
import { withClient } from './run-commands.js';
import { UsageError } from './usage-error.js';

const list = (text: string | undefined) =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

export async function assessCommand(argv: string[]): Promise<string> {
  const { values, positionals } = parseFlags(ASSESS, argv);
  const runId = stringFlag(values, 'run');
  if (positionals.length !== (runId ? 0 : 1))
    throw new UsageError(`usage: prune assess ${ASSESS.arguments} (see prune assess --help)`);
  const options = assessmentOptions(values);
  const examples = numberFlag(values, 'examples') ?? DEFAULT_ASSESSMENT_EXAMPLES;
  if (!Number.isInteger(examples) || examples < 1)
    throw new UsageError(`--examples: expected a positive integer, got ${examples}`);
  const json = booleanFlag(values, 'json');
  if (runId) return assessRun(values, runId, options, examples, json);
  const data = stringFlag(values, 'data');
  if (!data) throw new UsageError('--data is required, e.g. --data cifar10-jpeg (its test split is used)');
  const declared = stringFlag(values, 'preprocessing');
  const preprocessing = declared === undefined ? undefined : parsePreprocessing(declared, '--preprocessing');
  const { model, metadata } = await loadModel(positionals[0]!, { preprocessing });
  try {
    const images = await openDatasetSample(`${data}:test`, examples, 0);
    const result = await assessModel(model, metadata, images, options);
    return json ? JSON.stringify(result, null, 2) : formatAssessment(result);
  } finally {
    model.dispose();
  }
}

function assessmentOptions(values: FlagValues): AssessmentOptions {
  const epsilonText = stringFlag(values, 'epsilons');
  const epsilons =
    epsilonText === 'none' ? [] : (list(epsilonText) ?? ['1', '2', '4', '8']).map((e) => levels(e, '--epsilons'));
  const corruptionText = stringFlag(values, 'corruptions');
  const corruptions = corruptionText === 'none' ? [] : (list(corruptionText) ?? CORRUPTION_NAMES);
  for (const name of corruptions)
    if (!CORRUPTION_NAMES.includes(name as CorruptionName))
      throw new UsageError(`--corruptions: "${name}" is not one of ${CORRUPTION_NAMES.join(', ')}`);
  const severities = (list(stringFlag(values, 'severities')) ?? ['1', '2', '3', '4', '5']).map(Number);
  if (severities.some((s) => !Number.isInteger(s) || s < 1 || s > 5))
    throw new UsageError(`--severities: expected numbers 1..5, got "${stringFlag(values, 'severities')}"`);
  const pgdSteps = numberFlag(values, 'pgd-steps');
  if (pgdSteps !== undefined && !Number.isInteger(pgdSteps))
    throw new UsageError(`--pgd-steps: expected a whole number, got ${pgdSteps}`);
  return {
    epsilons,
    pgdSteps,
    corruptions: corruptions as CorruptionName[],
    severities,
    latency: !booleanFlag(values, 'no-latency'),
  };
}

/** The run's parent and each kept model, downloaded (checked against their digests) and assessed. */
async function assessRun(
  values: FlagValues,
  runId: string,
  options: AssessmentOptions,
  examples: number,
  json: boolean,
): Promise<string> {
  return withClient(values, async (client) => {
    const run = await client.get(runId);
    const summary = summarizeRun(run);
    const data = stringFlag(values, 'data') ?? summary.settings.dataset;
    const images = await openDatasetSample(`${data}:test`, examples, 0);
    if (!run.initialModel?.uri) throw new Error(`run ${runId} has no parent model recorded`);
    const models = [
      { model: 'parent', uri: run.initialModel.uri, macs: summary.initial.macs },
      ...summary.iterations.map((i) => ({
        model: `iteration ${i.index + 1} (${i.choice})`,
        uri: i.model,
        macs: i.macs,
      })),
    ];
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-assess-'));
    const assessed: (AssessedModel & { uri: string; assessment: Assessment })[] = [];
    try {
      for (const [k, entry] of models.entries()) {
        console.error(`assessing ${entry.model} (${entry.uri})`);
        await client.download(runId, path.join(temp, String(k)), { model: entry.uri });
        const { model, metadata } = await loadModel(path.join(temp, String(k), 'model.json'));
        try {
          assessed.push({ ...entry, assessment: await assessModel(model, metadata, images, options) });
        } finally {
          model.dispose();
        }
      }
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
    return json ? JSON.stringify({ run: runId, data, models: assessed }, null, 2) : formatAssessmentTable(assessed);
  });
}

/** "8" (pixel levels) as a fraction of 255. */
function levels(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 255)
    throw new UsageError(`${flag}: "${text}" is not 0..255 pixel levels`);
  return value / 255;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

export function formatAssessment(a: Assessment): string {
  const lines = [`examples:  ${a.examples} test images`, `clean:     ${percent(a.clean)}`];
  for (const attack of a.adversarial)
    lines.push(
      `${attack.attack.padEnd(5)} ${`${Math.round(attack.epsilon * 255)}/255`.padEnd(5)} ${percent(attack.accuracy)}`,
    );
  if (a.meanCorruptionAccuracy !== undefined) {
    lines.push(`corruptions: mean ${percent(a.meanCorruptionAccuracy)} over ${a.corruptions.length} (type x severity)`);
    const byType = new Map<string, number[]>();
    for (const c of a.corruptions) byType.set(c.corruption, [...(byType.get(c.corruption) ?? []), c.accuracy]);
    for (const [type, accuracies] of byType) lines.push(`  ${type.padEnd(17)} ${accuracies.map(percent).join('  ')}`);
  }
  for (const l of a.latency)
    lines.push(
      `latency ${l.engine} batch ${l.batch}: ${l.medianMs.toFixed(2)} ms (${l.imagesPerSecond.toFixed(0)} images/s)`,
    );
  for (const e of a.energy)
    lines.push(
      `energy ${e.engine}: ${(e.kilowattHoursPer1000 * 1000).toFixed(4)} Wh and ${(e.gramsCo2Per1000 * 1000).toFixed(2)} mg CO2 per 1,000 images ` +
        `(assuming ${e.assumptions.device}, PUE ${e.assumptions.pue}, ${e.assumptions.gramsCo2PerKwh} g/kWh: ${e.assumptions.grid})`,
    );
  for (const note of a.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}
