// A project's own layer type, supported from this one file: a learnable per-channel scale
// (y[..., c] = x[..., c] * s[c]). The TF.js class is registered for (de)serialization and the
// layer rule tells the pruner it keeps channels in place and how to slice its [C] weight.
// Registering both is the one line a user adds: `registerChannelScale()`.
import { tf, tfl } from '@prune/compute';
import { type LayerRule, registerLayerRule } from '@prune/models';

export class ChannelScale extends tfl.layers.Layer {
  static readonly className = 'ChannelScale';
  private scale!: tfl.LayerVariable;

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    this.scale = this.addWeight('scale', [shape.at(-1)!], 'float32', tfl.initializers.ones());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.mul(x, this.scale.read());
  }
}

export const channelScaleRule: LayerRule = {
  className: 'ChannelScale',
  role: () => 'passthrough',
  cost: (node) => ({ macs: 0, flops: node.outputShape.reduce((a, b) => a * b, 1) }),
  slice: ([scale], _keepIn, keepOut) => [keepOut ? tf.gather(scale!, keepOut) : scale!.clone()],
};

export function registerChannelScale(): void {
  tf.serialization.registerClass(ChannelScale);
  registerLayerRule(channelScaleRule);
}
