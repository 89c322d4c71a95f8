// Ten of the CIFAR-10-C corruptions of Hendrycks & Dietterich (2019), generated from our own test
// split with the parameters of their make_cifar_c.py (five severities each): gaussian, shot and
// impulse noise; defocus and gaussian blur; contrast, brightness, saturate, JPEG and pixelate.
// (Glass, motion and zoom blur and the weather ones other than brightness are not here; CIFAR-10-C
// itself and CIFAR-10.2 are not on this machine: nothing downloads.)
// Each takes an image in 0..1 and returns one in 0..1; like the published set, the result is
// stored as uint8 by truncation (np.uint8).
import sharp from 'sharp';
import { InvalidArgumentError } from '@prune/errors';
import { boxResize, diskKernel, filter2d, gaussianBlur, mapHsv, type Image } from './image-ops.js';

type Random = () => number;
type Corruption = (image: Image, severity: number, random: Random) => Image | Promise<Image>;

/** A standard normal draw (Box-Muller). */
function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** An exact Poisson draw: Knuth's product method, on parts of at most 20 (a sum of Poissons is one). */
function poisson(lambda: number, random: Random): number {
  const parts = Math.max(1, Math.ceil(lambda / 20));
  const limit = Math.exp(-lambda / parts);
  let k = 0;
  for (let part = 0; part < parts; part++) for (let p = random(); p > limit; p *= random()) k++;
  return k;
}

const clip01 = (v: number) => Math.min(Math.max(v, 0), 1);
const mapValues = (image: Image, f: (v: number, i: number) => number): Image => ({
  ...image,
  data: image.data.map(f),
});

/** The parameter of each severity 1..5, per corruption (make_cifar_c.py). */
export const SEVERITY_PARAMETERS = {
  gaussian_noise: [0.04, 0.06, 0.08, 0.09, 0.1],
  shot_noise: [500, 250, 100, 75, 50],
  impulse_noise: [0.01, 0.02, 0.03, 0.05, 0.07],
  defocus_blur: [
    [0.3, 0.4],
    [0.4, 0.5],
    [0.5, 0.6],
    [1, 0.2],
    [1.5, 0.1],
  ],
  gaussian_blur: [0.4, 0.6, 0.7, 0.8, 1],
  contrast: [0.75, 0.5, 0.4, 0.3, 0.15],
  brightness: [0.05, 0.1, 0.15, 0.2, 0.3],
  saturate: [
    [0.3, 0],
    [0.1, 0],
    [1.5, 0],
    [2, 0.1],
    [2.5, 0.2],
  ],
  jpeg_compression: [80, 65, 58, 50, 40],
  pixelate: [0.95, 0.9, 0.85, 0.75, 0.65],
} as const;

export type CorruptionName = keyof typeof SEVERITY_PARAMETERS;

const CORRUPTIONS: Record<CorruptionName, Corruption> = {
  gaussian_noise: (image, severity, random) => {
    const c = SEVERITY_PARAMETERS.gaussian_noise[severity - 1]!;
    return mapValues(image, (v) => clip01(v + c * normal(random)));
  },
  shot_noise: (image, severity, random) => {
    const c = SEVERITY_PARAMETERS.shot_noise[severity - 1]!;
    return mapValues(image, (v) => clip01(poisson(v * c, random) / c));
  },
  impulse_noise: (image, severity, random) => {
    // skimage.util.random_noise(mode='s&p', amount=c): each value flipped with probability c, to 1 or 0.
    const c = SEVERITY_PARAMETERS.impulse_noise[severity - 1]!;
    return mapValues(image, (v) => (random() <= c ? (random() <= 0.5 ? 1 : 0) : v));
  },
  defocus_blur: (image, severity) => {
    const [radius, alias] = SEVERITY_PARAMETERS.defocus_blur[severity - 1]!;
    const { kernel, size } = diskKernel(radius, alias);
    return mapValues(filter2d(image, kernel, size, 'reflect101'), clip01);
  },
  gaussian_blur: (image, severity) =>
    mapValues(gaussianBlur(image, SEVERITY_PARAMETERS.gaussian_blur[severity - 1]!), clip01),
  contrast: (image, severity) => {
    const c = SEVERITY_PARAMETERS.contrast[severity - 1]!;
    const means = channelMeans(image);
    return mapValues(image, (v, i) => clip01((v - means[i % image.channels]!) * c + means[i % image.channels]!));
  },
  brightness: (image, severity) => {
    const c = SEVERITY_PARAMETERS.brightness[severity - 1]!;
    return mapValues(
      mapHsv(image, ([h, s, v]) => [h, s, clip01(v + c)]),
      clip01,
    );
  },
  saturate: (image, severity) => {
    const [scale, shift] = SEVERITY_PARAMETERS.saturate[severity - 1]!;
    return mapValues(
      mapHsv(image, ([h, s, v]) => [h, clip01(s * scale + shift), v]),
      clip01,
    );
  },
  jpeg_compression: async (image, severity) => {
    // PIL's JPEG save at this quality, then decode: libjpeg through sharp.
    const quality = SEVERITY_PARAMETERS.jpeg_compression[severity - 1]!;
    const raw = { width: image.width, height: image.height, channels: 3 as const };
    const encoded = await sharp(Buffer.from(toUint8(image)), { raw })
      .jpeg({ quality, chromaSubsampling: '4:2:0' })
      .toBuffer();
    const { data } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true });
    return { ...image, data: Float64Array.from(data, (v) => v / 255) };
  },
  pixelate: (image, severity) => {
    // PIL: resize down with BOX, then back up with BOX, each on 8-bit pixels.
    const c = SEVERITY_PARAMETERS.pixelate[severity - 1]!;
    const small = quantize(boxResize(image, Math.floor(image.height * c), Math.floor(image.width * c)));
    return quantize(boxResize(small, image.height, image.width));
  },
};

export const CORRUPTION_NAMES = Object.keys(CORRUPTIONS) as CorruptionName[];

function channelMeans(image: Image): number[] {
  const sums = new Array<number>(image.channels).fill(0);
  image.data.forEach((v, i) => (sums[i % image.channels]! += v));
  return sums.map((s) => s / (image.data.length / image.channels));
}

/** 0..1 floats to the uint8 pixels CIFAR-10-C stores: clipped, times 255, truncated. */
export function toUint8(image: Image): Uint8Array {
  return Uint8Array.from(image.data, (v) => Math.floor(clip01(v) * 255));
}

const quantize = (image: Image): Image => ({
  ...image,
  data: Float64Array.from(image.data, (v) => Math.round(clip01(v) * 255) / 255),
});

/**
 * `pixels` (uint8 H x W x C) with corruption `name` at `severity` (0: unchanged, 1..5), as uint8.
 * `random` draws the noise (a seeded generator makes the set reproducible).
 */
export async function corruptImage(
  pixels: Uint8Array,
  shape: { height: number; width: number; channels: number },
  name: CorruptionName,
  severity: number,
  random: Random,
): Promise<Uint8Array> {
  if (!Object.hasOwn(CORRUPTIONS, name))
    throw new InvalidArgumentError(`corruption: "${name}" is not one of ${CORRUPTION_NAMES.join(', ')}`);
  const corruption = CORRUPTIONS[name];
  if (shape.channels !== 3 || pixels.length !== shape.height * shape.width * 3)
    throw new InvalidArgumentError(
      `corruption: expected one ${shape.height}x${shape.width} RGB image (${shape.height * shape.width * 3} bytes), got ${pixels.length} bytes of ${shape.channels} channel(s)`,
    );
  if (!Number.isInteger(severity) || severity < 0 || severity > 5)
    throw new InvalidArgumentError(`severity: ${severity} is not 0..5`);
  if (severity === 0) return pixels.slice();
  const image: Image = { ...shape, data: Float64Array.from(pixels, (v) => v / 255) };
  return toUint8(await corruption(image, severity, random));
}
