import sharp from 'sharp';

export type BenchFormat = 'webp' | 'png';

export interface RealisticImage {
  format: BenchFormat;
  bytes: number;
  /** The file itself: what Venice sends as the body of a binary (`return_binary`) answer. */
  data: Buffer;
  /** What Venice puts in `images[]` of a JSON answer. */
  base64: string;
}

const SIDE = 1024;

/**
 * A 1024x1024 picture that compresses like a generated photo rather than like the simulator's
 * solid colours (a few kilobytes): soft gradients everywhere, fine grain in a central "subject".
 * The figures we aim at are what Venice returns at 1024x1024: about 150-250 KB of lossy WebP,
 * about 1.5-2 MB of PNG.
 */
function renderPixels(grainAmplitude: number, subjectRadius: number): Buffer {
  const pixels = Buffer.alloc(SIDE * SIDE * 3);
  // A fixed LCG: the images, hence the figures, are the same on every run.
  let state = 12_345;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const clamp = (v: number): number => Math.max(0, Math.min(255, v));
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const i = (y * SIDE + x) * 3;
      const grain = Math.hypot(x - 512, y - 560) < subjectRadius ? (random() - 0.5) * grainAmplitude : 0;
      pixels[i] = clamp(128 + 100 * Math.sin(x / 97 + y / 211) + grain);
      pixels[i + 1] = clamp(128 + 90 * Math.sin(y / 73) * Math.cos(x / 150) + grain);
      pixels[i + 2] = clamp(128 + 80 * Math.cos((x + y) / 120) + grain);
    }
  }
  return pixels;
}

/** Renders one WebP (~185 KB) and one PNG (~1.7 MB), both 1024x1024, once per bench run. */
export async function renderRealisticImages(): Promise<Record<BenchFormat, RealisticImage>> {
  const raw = { raw: { width: SIDE, height: SIDE, channels: 3 as const } };
  const [webp, png] = await Promise.all([
    sharp(renderPixels(24, 450), raw).webp({ quality: 90 }).toBuffer(),
    sharp(renderPixels(0, 0), raw).png().toBuffer(),
  ]);
  return {
    webp: { format: 'webp', bytes: webp.length, data: webp, base64: webp.toString('base64') },
    png: { format: 'png', bytes: png.length, data: png, base64: png.toString('base64') },
  };
}
