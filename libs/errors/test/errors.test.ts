import { describe, expect, it } from 'vitest';
import { errorKind, InvalidArgumentError, NotFoundError, quoted, resolveParameters } from '@prune/errors';

describe('domain errors', () => {
  it('carry their kind, also through subclasses, and anything else has none (a bug: INTERNAL)', () => {
    class ModelFormatError extends InvalidArgumentError {}
    expect(errorKind(new ModelFormatError('x'))).toBe('invalid-argument');
    expect(errorKind(new NotFoundError('x'))).toBe('not-found');
    expect(errorKind(new TypeError('x'))).toBeUndefined();
    expect(errorKind(Object.assign(new Error('x'), { code: 'INVALID_ARGUMENT' }))).toBeUndefined();
  });
});

describe('plug-in parameters', () => {
  it('fill defaults, keep given values, refuse unknown names and non-finite values by name', () => {
    expect(resolveParameters('rbf_cka', { threshold: 1 }, {})).toEqual({ threshold: 1 });
    expect(resolveParameters('rbf_cka', { threshold: 1 }, { threshold: 0.5 })).toEqual({ threshold: 0.5 });
    expect(() => resolveParameters('rbf_cka', { threshold: 1 }, { sigma: 1 })).toThrow(
      'parameters.sigma: rbf_cka has parameters threshold',
    );
    expect(() => resolveParameters('kl', {}, { p: 1 })).toThrow('parameters.p: kl has no parameters');
    expect(() => resolveParameters('rbf_cka', { threshold: 1 }, { threshold: NaN })).toThrow(
      expect.objectContaining({
        kind: 'invalid-argument',
        message: 'parameters.threshold: must be a finite number, got NaN',
      }),
    );
  });
});

describe('quoted', () => {
  it('quotes short values as they are and cuts long ones to a prefix with their length', () => {
    expect(quoted('kl')).toBe('"kl"');
    expect(quoted('y'.repeat(81))).toBe(`"${'y'.repeat(80)}…" (81 characters)`);
  });
});
