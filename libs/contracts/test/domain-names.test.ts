// The names the CLI parses and shows, the coordinator translates with, and coordinator.proto's
// comments list are one table per enum, covering every value the contract can send.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Choice,
  CHOICE_NAMES,
  LR_SCHEDULE_NAMES,
  LrSchedule,
  Phase,
  PHASE_NAMES,
  PROTO_ROOT,
  RUN_STATE_NAMES,
  RunState,
  SELECTION_POLICY_NAMES,
  SelectionPolicy,
  type EnumNames,
} from '@prune/contracts';

const tables: [string, Record<string, string | number>, EnumNames<string, number>][] = [
  ['SelectionPolicy', SelectionPolicy, SELECTION_POLICY_NAMES],
  ['RunState', RunState, RUN_STATE_NAMES],
  ['Phase', Phase, PHASE_NAMES],
  ['LrSchedule', LrSchedule, LR_SCHEDULE_NAMES],
  ['Choice', Choice, CHOICE_NAMES],
];

/** The quoted names in the comment right above `enum <name> {` in a .proto file. */
function namesInComment(file: string, enumName: string): string[] {
  const lines = fs.readFileSync(path.join(PROTO_ROOT, file), 'utf8').split('\n');
  const at = lines.indexOf(`enum ${enumName} {`);
  const comment: string[] = [];
  for (let i = at - 1; i >= 0 && lines[i]!.startsWith('//'); i--) comment.unshift(lines[i]!.replace(/^\/\/ ?/, ''));
  return [...comment.join(' ').matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

describe('the domain names of the contract enums', () => {
  it.each(tables)('name every %s value but UNSPECIFIED once, and read back to it', (_, values, names) => {
    const known = Object.values(values).filter((v): v is number => typeof v === 'number' && v !== 0);
    expect(known.map((v) => names.name(v)).every((n) => n !== undefined)).toBe(true);
    expect(new Set(known.map((v) => names.name(v))).size).toBe(known.length);
    for (const v of known) expect(names.value(names.name(v)!)).toBe(v);
    expect(names.name(0)).toBeUndefined();
  });

  it('parse what a user types, and nothing else', () => {
    expect(SELECTION_POLICY_NAMES.parse('layers-only')).toBe(SelectionPolicy.SELECTION_POLICY_LAYERS_ONLY);
    expect(SELECTION_POLICY_NAMES.parse('SELECTION_POLICY_RANDOM')).toBeUndefined();
    expect(SELECTION_POLICY_NAMES.parse('toString')).toBeUndefined();
    expect(SELECTION_POLICY_NAMES.names).toEqual(['similarity', 'random', 'layers-only', 'filters-only']);
  });

  it('are the names coordinator.proto documents', () => {
    expect(namesInComment('prune/v1/coordinator.proto', 'SelectionPolicy')).toEqual(SELECTION_POLICY_NAMES.names);
    expect(namesInComment('prune/v1/coordinator.proto', 'RunState')).toEqual(RUN_STATE_NAMES.names);
    expect(namesInComment('prune/v1/coordinator.proto', 'Phase')).toEqual(PHASE_NAMES.names);
  });
});
