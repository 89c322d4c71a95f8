// What Keras writes that TF.js reads under another name, shared by the Keras loaders.

/**
 * Keras 2.x writes L2/L1 regularizers as classes TF.js does not register; TF.js knows the same
 * penalties as L1L2. (Regularizers only matter to model.fit; our training applies weight decay
 * itself, but configs must still deserialize.)
 */
export function translateRegularizers(value: unknown): void {
  if (Array.isArray(value)) return value.forEach(translateRegularizers);
  if (value === null || typeof value !== 'object') return;
  const node = value as Record<string, unknown>;
  const cls = node['class_name'];
  if ((cls === 'L2' || cls === 'L1') && typeof node['config'] === 'object') {
    const config = node['config'] as Record<string, number>;
    node['class_name'] = 'L1L2';
    node['config'] = { l1: config['l1'] ?? 0, l2: config['l2'] ?? 0 };
    return;
  }
  Object.values(node).forEach(translateRegularizers);
}
