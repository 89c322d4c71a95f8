// The one place a layer class is looked up. Unknown classes are refused by name, never treated
// as free or as blockers by default: loading a model with one fails before anything runs.
import { ModelFormatError } from '../metadata.js';
import { BUILTIN_LAYER_RULES } from './builtin.js';
import type { LayerRule } from './layer-rule.js';

const rules = new Map<string, LayerRule>(BUILTIN_LAYER_RULES.map((rule) => [rule.className, rule]));

/**
 * Adds support for a layer class (register its TF.js class with tf.serialization.registerClass
 * too, so models using it deserialize). A class is registered once.
 */
export function registerLayerRule(rule: LayerRule): void {
  if (rules.has(rule.className)) throw new Error(`a layer rule for ${rule.className} is already registered`);
  rules.set(rule.className, rule);
}

export function hasLayerRule(className: string): boolean {
  return rules.has(className);
}

/** The rule of `className`; `layer` names the layer in the error when the class is unsupported. */
export function layerRule(className: string, layer?: string): LayerRule {
  const rule = rules.get(className);
  if (!rule) throw new ModelFormatError(`${layer ? `layer "${layer}" has ` : ''}${unsupportedClassMessage(className)}`);
  return rule;
}

export function unsupportedClassMessage(className: string): string {
  return (
    `unsupported class ${className}` +
    (className === 'Lambda' ? ' (Lambda layers carry code and are never loaded)' : '') +
    `; supported: ${supportedLayerClasses().join(', ')} (add one with registerLayerRule)`
  );
}

export function supportedLayerClasses(): string[] {
  return [...rules.keys()];
}
