// The formats a model leaves the system in, chosen by the target path: a folder in the TF.js
// layers format (as stored), a Keras 3 `.keras` archive or single-file `.h5`, or an ONNX `.onnx`.
import type { tfl } from '@prune/compute';
import { saveKeras3Archive, saveKeras3H5 } from './keras3-export.js';
import { saveLayersModel } from './layers-format.js';
import type { ModelMetadata } from './metadata.js';
import { saveOnnxModel, type OnnxExportOptions } from './onnx/onnx-export.js';

export const MODEL_FILE_FORMATS = ['tfjs', 'keras', 'h5', 'onnx'] as const;
export type ModelFileFormat = (typeof MODEL_FILE_FORMATS)[number];

/** Whether the format keeps the model's declared preprocessing (Keras archives have no place for it). */
export const RECORDS_PREPROCESSING: Record<ModelFileFormat, boolean> = {
  tfjs: true,
  keras: false,
  h5: false,
  onnx: true,
};

/** The format a path asks for: `.keras`, `.h5` and `.onnx` files, anything else a folder. */
export function modelFileFormatOf(out: string): ModelFileFormat {
  if (out.endsWith('.keras')) return 'keras';
  if (out.endsWith('.h5')) return 'h5';
  if (out.endsWith('.onnx')) return 'onnx';
  return 'tfjs';
}

/** Writes `model` to `out` in `format` (by default the one `out` asks for); returns the file written. */
export async function saveModelAs(
  out: string,
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  format: ModelFileFormat = modelFileFormatOf(out),
  onnx?: OnnxExportOptions,
): Promise<string> {
  if (format === 'keras' || format === 'h5') {
    await (format === 'keras' ? saveKeras3Archive : saveKeras3H5)(model, out);
    return out;
  }
  if (format === 'onnx') {
    saveOnnxModel(out, model, metadata, onnx);
    return out;
  }
  return saveLayersModel(out, model, metadata);
}
