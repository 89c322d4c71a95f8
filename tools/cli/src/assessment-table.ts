// A run's models side by side: MACs, accuracy clean / attacked / corrupted, latency, inference CO2
// against the parent and, where known, the energy of the fine-tunes that made each model. What
// `prune report` shows for an assessed run and `prune assess --run` for any run.
import { estimateEnergy, type EnergyAssumptions } from '@prune/assessment';
import type { AssessmentResult } from '@prune/contracts';
import { textTable } from './text-table.js';

export interface AssessedModel {
  /** "parent", "iteration 1 (L)". */
  model: string;
  macs: number;
  assessment: AssessmentResult & { training?: EnergyAssumptions };
  /** Seconds the fine-tunes of the iteration that made the model computed (undefined or NaN: not known). */
  fineTuneSeconds?: number;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

const onnx = (m: AssessedModel) => m.assessment.energy.find((e) => e.engine.startsWith('onnxruntime'));

/** What the fine-tunes behind a model drew, under the assessing trainer's assumptions. */
function fineTuneEnergy(m: AssessedModel) {
  const { fineTuneSeconds: seconds, assessment } = m;
  if (seconds === undefined || !Number.isFinite(seconds) || !assessment.training) return undefined;
  return estimateEnergy(seconds, assessment.training);
}

/** One row per model, the parent first; the assumptions and notes under the table. */
export function formatAssessmentTable(models: AssessedModel[]): string {
  const parent = models[0];
  if (!parent) return '';
  const withFineTunes = models.some((m) => fineTuneEnergy(m));
  const latency = (m: AssessedModel) =>
    m.assessment.latency.find((l) => l.engine.startsWith('onnxruntime') && l.batch === 64)?.medianMs;
  const attacks = parent.assessment.adversarial.map((a) => `${a.attack} ${Math.round(a.epsilon * 255)}`);
  const header = [
    'model',
    'MACs',
    'clean',
    ...attacks,
    'corrupt',
    'ms b64',
    'mg CO2/1k',
    'CO2 vs parent',
    ...(withFineTunes ? ['fine-tune Wh', 'fine-tune g CO2'] : []),
  ];
  const rows = models.map((m) => {
    const [ours, theirs] = [onnx(m)?.gramsCo2Per1000, onnx(parent)?.gramsCo2Per1000];
    const tuned = fineTuneEnergy(m);
    return [
      m.model,
      `${(m.macs / 1e6).toFixed(2)}M`,
      percent(m.assessment.clean),
      ...m.assessment.adversarial.map((a) => percent(a.accuracy)),
      m.assessment.meanCorruptionAccuracy === undefined ? '-' : percent(m.assessment.meanCorruptionAccuracy),
      latency(m)?.toFixed(2) ?? '-',
      ours === undefined ? '-' : (ours * 1000).toFixed(2),
      ours === undefined || theirs === undefined ? '-' : `${(100 * (ours / theirs - 1)).toFixed(1)}%`,
      ...(withFineTunes
        ? [tuned ? (tuned.kilowattHours * 1000).toFixed(3) : '-', tuned ? tuned.gramsCo2.toFixed(3) : '-']
        : []),
    ];
  });
  const inference = onnx(parent)?.assumptions;
  const training = parent.assessment.training;
  const assumed = (a: EnergyAssumptions) => `${a.device}, PUE ${a.pue}, ${a.gramsCo2PerKwh} g/kWh (${a.grid})`;
  return [
    ...textTable(header, rows),
    '',
    `${parent.assessment.examples} test images; attacks in pixel levels of 255; corrupt: mean accuracy over the ` +
      'corruptions assessed; ms b64 and CO2: ONNX Runtime, batch 64',
    ...(inference ? [`inference CO2 assumes ${assumed(inference)}`] : []),
    ...(withFineTunes && training
      ? [
          `fine-tune energy: the seconds the iteration's fine-tunes computed (candidates and kept model) at ${assumed(training)}`,
        ]
      : []),
    ...parent.assessment.notes.map((n) => `note: ${n}`),
  ].join('\n');
}
