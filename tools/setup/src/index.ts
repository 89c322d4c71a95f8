export {
  DEFAULT_TENSORFLOW_WHEEL,
  SetupError,
  cacheDir,
  libtensorflowFromDir,
  libtensorflowFromWheel,
} from './libtensorflow.js';
export type { Libtensorflow } from './libtensorflow.js';
export { TFJS_NODE_PACKAGES, ensureNativeTensorflow, verifyBinding } from './native-binding.js';
export type { NativeSetupOptions, NativeSetupResult, TfjsNodePackage } from './native-binding.js';
export { SYSTEM_PACKAGES, ensureSystemPackages, installCommand, missingSystemPackages } from './system-packages.js';
export type { SystemPackage } from './system-packages.js';
