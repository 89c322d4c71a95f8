// Typed access to an ONNX node's attributes; a missing required one is an error naming the node.
import { ModelFormatError } from '../metadata.js';
import { tensorValues, type AttributeProto, type NodeProto, type TensorValues } from './onnx-proto.js';

export class OnnxAttributes {
  private readonly byName: Map<string, AttributeProto>;

  constructor(
    node: NodeProto,
    private readonly where: string,
    private readonly modelDir: string,
  ) {
    this.byName = new Map((node.attribute ?? []).map((a) => [a.name, a]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  int(name: string, fallback?: number): number {
    const value = this.byName.get(name)?.i ?? fallback;
    if (value == null) throw this.missing(name);
    return Number(value);
  }

  float(name: string, fallback?: number): number {
    const value = this.byName.get(name)?.f ?? fallback;
    if (value == null) throw this.missing(name);
    return value;
  }

  ints(name: string, fallback?: number[]): number[] {
    const value = this.byName.get(name)?.ints ?? fallback;
    if (value == null) throw this.missing(name);
    return value.map(Number);
  }

  floats(name: string, fallback?: number[]): number[] {
    const value = this.byName.get(name)?.floats ?? fallback;
    if (value == null) throw this.missing(name);
    return value;
  }

  string(name: string, fallback?: string): string {
    const value = this.byName.get(name)?.s;
    if (value == null) {
      if (fallback == null) throw this.missing(name);
      return fallback;
    }
    return Buffer.from(value).toString('utf8');
  }

  tensor(name: string): TensorValues | undefined {
    const t = this.byName.get(name)?.t;
    return t ? tensorValues(t, this.modelDir, `${this.where} attribute ${name}`) : undefined;
  }

  private missing(name: string): ModelFormatError {
    return new ModelFormatError(`${this.where}: needs the attribute "${name}"`);
  }
}
