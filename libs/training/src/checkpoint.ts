// Checkpoints of a training job: model weights, optimizer state and the step, written atomically.
// `latest.json` is replaced last, so it always points at a complete checkpoint; a job restarted
// with the same id resumes from it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { tf, tfl } from '@prune/compute';
import { loadLayersModel, saveLayersModel, type ModelMetadata } from '@prune/models';
import { writeFileAtomic } from '@prune/store';
import { optimizerState, setOptimizerState } from './optimizer-state.js';

export interface CheckpointState {
  step: number;
  /** Hash of the job's configuration: resuming with another configuration is refused. */
  configKey: string;
  /** Seconds the checkpointed steps computed (absent in checkpoints written before it was kept). */
  computeSeconds?: number;
}

export async function writeCheckpoint(
  dir: string,
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  optimizer: tf.Optimizer,
  state: CheckpointState,
): Promise<void> {
  const stepDir = path.join(dir, `step-${state.step}`);
  await saveLayersModel(stepDir, model, metadata);
  const { shapes, values } = await optimizerState(optimizer);
  writeFileAtomic(path.join(stepDir, 'optimizer.bin'), new Uint8Array(values.buffer));
  writeFileAtomic(path.join(stepDir, 'state.json'), JSON.stringify({ ...state, optimizerShapes: shapes }));
  const previous = readLatest(dir);
  writeFileAtomic(path.join(dir, 'latest.json'), JSON.stringify({ step: state.step, dir: `step-${state.step}` }));
  if (previous && previous.dir !== `step-${state.step}`)
    fs.rmSync(path.join(dir, previous.dir), { recursive: true, force: true });
}

function readLatest(dir: string): { step: number; dir: string } | undefined {
  const file = path.join(dir, 'latest.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { step: number; dir: string }) : undefined;
}

/** Restores the latest checkpoint into `model` and `optimizer`; returns its state, or undefined. */
export async function restoreCheckpoint(
  dir: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
): Promise<CheckpointState | undefined> {
  const latest = readLatest(dir);
  if (!latest) return undefined;
  const stepDir = path.join(dir, latest.dir);
  const state = JSON.parse(fs.readFileSync(path.join(stepDir, 'state.json'), 'utf8')) as CheckpointState & {
    optimizerShapes: number[][];
  };
  const saved = await loadLayersModel(path.join(stepDir, 'model.json'));
  model.setWeights(saved.model.getWeights());
  saved.model.dispose();
  const bytes = fs.readFileSync(path.join(stepDir, 'optimizer.bin'));
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  await setOptimizerState(optimizer, { shapes: state.optimizerShapes, values });
  return { step: state.step, configKey: state.configKey, computeSeconds: state.computeSeconds };
}
