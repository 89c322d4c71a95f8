// `prune export <model> --out <dir | x.keras | x.onnx> [--format f] [--layout nchw|nhwc]`: any model
// we load, written in the format a user deploys (a pruned model downloaded as a TF.js folder too).
import * as fs from 'node:fs';
import {
  loadModel,
  MODEL_FILE_FORMATS,
  modelFileFormatOf,
  parsePreprocessing,
  type ModelFileFormat,
} from '@prune/models';
import { EXPORT } from './command-specs.js';
import { parseFlags, stringFlag } from './flags.js';
import { saveWithNote } from './inspect.js';
import { UsageError } from './usage-error.js';

export async function exportCommand(argv: string[]): Promise<string> {
  const { values, positionals } = parseFlags(EXPORT, argv);
  if (positionals.length !== 1)
    throw new UsageError(`usage: prune export ${EXPORT.arguments} --out <path> (see prune export --help)`);
  const out = stringFlag(values, 'out');
  if (!out) throw new UsageError('--out is required: a new folder, .keras or .onnx file');
  if (fs.existsSync(out)) throw new UsageError(`--out: ${out} exists; name a new file or folder`);
  const named = stringFlag(values, 'format');
  if (named !== undefined && !(MODEL_FILE_FORMATS as readonly string[]).includes(named))
    throw new UsageError(`--format: "${named}" is not a model format; use ${MODEL_FILE_FORMATS.join(', ')}`);
  const format = (named as ModelFileFormat | undefined) ?? modelFileFormatOf(out);
  if (named !== undefined && modelFileFormatOf(out) !== 'tfjs' && modelFileFormatOf(out) !== format)
    throw new UsageError(`--format ${format} with --out ${out}: the file name says ${modelFileFormatOf(out)}`);
  const layout = stringFlag(values, 'layout') ?? 'nchw';
  if (layout !== 'nchw' && layout !== 'nhwc') throw new UsageError(`--layout: "${layout}" is not nchw or nhwc`);
  if (layout !== 'nchw' && format !== 'onnx') throw new UsageError('--layout applies to --format onnx only');
  const declared = stringFlag(values, 'preprocessing');
  const preprocessing = declared === undefined ? undefined : parsePreprocessing(declared, '--preprocessing');
  const { model, metadata } = await loadModel(positionals[0]!, { preprocessing });
  try {
    return await saveWithNote(out, model, metadata, format, { layout });
  } finally {
    model.dispose();
  }
}
