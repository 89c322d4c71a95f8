// Energy and CO2 as the Machine Learning Impact Calculator (Lacoste et al. 2019) estimates them:
// measured compute time x device power x the data centre's PUE, times the grid's carbon
// intensity. The power, PUE and intensity are assumptions, printed next to every number and
// overridable (PRUNE_DEVICE_WATTS, PRUNE_PUE, PRUNE_CARBON_G_PER_KWH).
import * as os from 'node:os';
import { threadsSetting } from '@prune/compute';
import { InvalidArgumentError } from '@prune/errors';

export interface EnergyAssumptions {
  /** What the power figure is for. */
  device: string;
  watts: number;
  pue: number;
  gramsCo2PerKwh: number;
  /** Where the carbon intensity is from. */
  grid: string;
}

/** Thermal design power shares per backend: a CPU core of a ~190 W, 16-core server part; GPU TDPs. */
const WATTS_PER_CPU_CORE = 12;
const GPU_WATTS = 700; // an H100 SXM at its TDP

/** The documented defaults for `backend` (tfjs-tensorflow, tfjs-wasm, onnxruntime-cpu, ...) on this machine. */
export function defaultEnergyAssumptions(backend: string, env: NodeJS.ProcessEnv = process.env): EnergyAssumptions {
  const gpu = backend.includes('gpu') || backend.includes('cuda');
  const cores = threadsSetting(env) ?? os.availableParallelism();
  const assumptions: EnergyAssumptions = {
    device: gpu ? 'one GPU at 700 W TDP' : `${cores} CPU core(s) at ${WATTS_PER_CPU_CORE} W each (TDP share)`,
    watts: gpu ? GPU_WATTS : cores * WATTS_PER_CPU_CORE,
    pue: 1.1, // a large cloud data centre
    gramsCo2PerKwh: 475, // world average electricity, IEA 2019
    grid: 'world average (IEA 2019)',
  };
  const override = (name: string, key: 'watts' | 'pue' | 'gramsCo2PerKwh') => {
    const text = env[name];
    if (text === undefined) return;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0)
      throw new InvalidArgumentError(`${name}: "${text}" is not a positive number`);
    assumptions[key] = value;
    if (key === 'watts') assumptions.device = `${value} W (${name})`;
    if (key === 'gramsCo2PerKwh') assumptions.grid = `${value} g/kWh (${name})`;
  };
  override('PRUNE_DEVICE_WATTS', 'watts');
  override('PRUNE_PUE', 'pue');
  override('PRUNE_CARBON_G_PER_KWH', 'gramsCo2PerKwh');
  return assumptions;
}

export interface EnergyEstimate {
  kilowattHours: number;
  gramsCo2: number;
}

/** The energy and CO2 of `seconds` of compute under `assumptions`. */
export function estimateEnergy(seconds: number, assumptions: EnergyAssumptions): EnergyEstimate {
  const kilowattHours = (assumptions.watts * assumptions.pue * seconds) / 3600 / 1000;
  return { kilowattHours, gramsCo2: kilowattHours * assumptions.gramsCo2PerKwh };
}
