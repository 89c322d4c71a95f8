// Runs a functional model layer by layer from any point, with tensors replaced on the way.
// This is what makes exact KL scoring fast: the activations before a structure do not change
// when it is removed, so variants resume from the cached state at that point, many at once.
import { tf, type tfl } from '@prune/compute';
import { LayerGraph } from '@prune/models';

/** How a variant run changes one layer. */
export interface Replacement {
  /** Computes the layer's output in its place, from its inputs (e.g. with attention heads masked). */
  compute?: (inputs: tf.Tensor[]) => tf.Tensor;
  /** Replaces its output (e.g. zeroes channels); `values` holds the live outputs, by layer. */
  output?: (output: tf.Tensor, values: Map<string, tf.Tensor>) => tf.Tensor;
  /** Other layers' outputs `output` reads from `values` (kept alive until then). */
  reads?: string[];
}

/** The layers a variant run changes, by name. */
export type Replacements = Map<string, Replacement>;

export class GraphRunner {
  readonly graph: LayerGraph;
  readonly order: string[];
  readonly index = new Map<string, number>();
  private readonly output: string;

  constructor(readonly model: tfl.LayersModel) {
    this.graph = LayerGraph.of(model);
    this.order = this.graph.ordered().map((n) => n.name);
    this.order.forEach((name, i) => this.index.set(name, i));
    if (this.graph.outputs.length !== 1) throw new Error(`${model.name}: scoring needs a single-output model`);
    this.output = this.graph.outputs[0]!;
  }

  /** Layer outputs computed before index `from` that layers at `from` or later still read. */
  liveBefore(from: number): string[] {
    const live = new Set<string>();
    for (let i = from; i < this.order.length; i++) {
      for (const input of this.graph.get(this.order[i]!).inputs) if (this.index.get(input)! < from) live.add(input);
    }
    return [...live];
  }

  /**
   * Runs layers `from`..end. `values` holds every live output before `from` (not disposed here).
   * `beforeLayer(i, values)` is called before layer i is computed (used to spawn variants).
   * Returns the model output; every intermediate is disposed as soon as nothing reads it.
   */
  run(
    values: Map<string, tf.Tensor>,
    from: number,
    replace?: Replacements,
    beforeLayer?: (i: number, values: Map<string, tf.Tensor>) => void,
  ): tf.Tensor {
    const readsOf = (name: string) => [...this.graph.get(name).inputs, ...(replace?.get(name)?.reads ?? [])];
    const remaining = new Map<string, number>();
    for (let i = from; i < this.order.length; i++) {
      for (const input of readsOf(this.order[i]!)) remaining.set(input, (remaining.get(input) ?? 0) + 1);
    }
    const owned = new Set<tf.Tensor>();
    const live = new Map(values);
    let result: tf.Tensor | undefined;
    for (let i = from; i < this.order.length; i++) {
      beforeLayer?.(i, live);
      const node = this.graph.get(this.order[i]!);
      let out: tf.Tensor;
      if (node.inputs.length === 0) {
        out = live.get(node.name)!; // a model input, fed by the caller
      } else {
        const inputs = node.inputs.map((name) => live.get(name)!);
        const compute = replace?.get(node.name)?.compute;
        out = compute
          ? compute(inputs)
          : (this.model.getLayer(node.name).apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor);
        owned.add(out);
      }
      const replacement = replace?.get(node.name)?.output;
      if (replacement) {
        const replaced = replacement(out, live);
        if (owned.has(out)) {
          out.dispose();
          owned.delete(out);
        }
        out = replaced;
        owned.add(out);
      }
      live.set(node.name, out);
      for (const input of readsOf(node.name)) {
        const left = remaining.get(input)! - 1;
        remaining.set(input, left);
        const tensor = live.get(input)!;
        if (left === 0 && owned.has(tensor)) {
          tensor.dispose();
          owned.delete(tensor);
        }
      }
      if (node.name === this.output) result = out;
    }
    for (const tensor of owned) if (tensor !== result) tensor.dispose();
    return result!;
  }
}
