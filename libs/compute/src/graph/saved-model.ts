// A TensorFlow graph written as a SavedModel directory, the one form of graph that tfjs-node's
// binding can load into a TensorFlow session (TF_LoadSessionFromSavedModel).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

// src/graph and dist/graph are both two levels below the library's root.
const SCHEMA = fileURLToPath(new URL('../../schemas/tensorflow-graph.proto', import.meta.url));
/** TensorFlow 2.21's GraphDef version: the op semantics the graph is written against. */
const GRAPH_DEF_VERSION = 2474;
/** The tag the graph is saved and loaded under. */
export const SERVE_TAG = 'serve';

/** A TensorFlow attribute value in protobufjs's JSON form of AttrValue. */
export type AttrValue =
  | { s: Uint8Array }
  | { i: number }
  | { f: number }
  | { b: boolean }
  | { type: number }
  | { shape: ShapeProto }
  | { tensor: TensorProto }
  | { list: { s?: Uint8Array[]; i?: number[]; f?: number[]; b?: boolean[]; type?: number[]; shape?: ShapeProto[] } };

export interface ShapeProto {
  dim: { size: number }[];
}

export interface TensorProto {
  dtype: number;
  tensorShape: ShapeProto;
  tensorContent: Uint8Array;
}

export interface NodeDef {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, AttrValue>;
}

let savedModelType: protobuf.Type | undefined;

export function shapeProto(shape: readonly number[]): ShapeProto {
  return { dim: shape.map((size) => ({ size })) };
}

/** Writes `nodes` as `dir`/saved_model.pb, a SavedModel with one graph tagged "serve" and no variables. */
export function writeSavedModel(dir: string, nodes: NodeDef[]): void {
  savedModelType ??= protobuf.loadSync(SCHEMA).lookupType('tensorflow.SavedModel');
  const message = savedModelType.fromObject({
    savedModelSchemaVersion: 1,
    metaGraphs: [
      {
        metaInfoDef: { tags: [SERVE_TAG] },
        graphDef: { node: nodes, versions: { producer: GRAPH_DEF_VERSION } },
      },
    ],
  });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'saved_model.pb'), savedModelType.encode(message).finish());
}
