export { OptionAShortcut } from './option-a-shortcut.js';
export type { OptionAShortcutConfig } from './option-a-shortcut.js';
export { blocksPerStage, buildCifarResNet } from './cifar-resnet.js';
export type { CifarResNetOptions } from './cifar-resnet.js';
export { CIFAR_RESNET_PREPROCESSING, preprocessImages } from './preprocessing.js';
export type { Preprocessing } from './preprocessing.js';
