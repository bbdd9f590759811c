import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { en, translator } from '../../../src/i18n/index.js';
import { checkAttachmentFacts, checkImageBytes, imageLabel } from '../../../src/jobs/input-image.js';
import { editPrice, toEditModel } from '../../../src/venice/edit-models.js';

const facts = { name: 'cat.png', size: 1_000, contentType: 'image/png', width: 512, height: 512 };

describe('input images for Venice’s editing endpoints', () => {
  it('refuses from Discord’s description alone what Venice would refuse, naming the limit and the value', () => {
    expect(() => checkAttachmentFacts(en, facts, 'The image')).not.toThrow();
    expect(() => checkAttachmentFacts(en, { ...facts, size: 25_000_000 }, 'The image')).toThrow(/The image is 25\.0 MB; Venice takes images under 25 MB/);
    expect(() => checkAttachmentFacts(en, { ...facts, contentType: 'image/gif' }, 'Image 2')).toThrow(/Image 2 \(`cat\.png`\) is `image\/gif`/);
    expect(() => checkAttachmentFacts(en, { ...facts, contentType: null }, 'The image')).toThrow(/is not an image/);
    expect(() => checkAttachmentFacts(en, { ...facts, width: 255, height: 256 }, 'The image')).toThrow(/255×256 \(65,280 pixels\); Venice needs at least 65,536/);
    expect(() => checkAttachmentFacts(en, { ...facts, width: 6000, height: 6000 }, 'The image')).toThrow(/at most 33,177,600 pixels/);
    // Discord gives no size for some files: the bytes are checked when the job runs.
    expect(() => checkAttachmentFacts(en, { ...facts, width: null, height: null }, 'The image')).not.toThrow();
  });

  it('speaks the reader’s language, numbers and the image’s name included', () => {
    const es = translator('es-ES');
    const said = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return es.render((err as UserError).said);
      }
      throw new Error('expected a refusal');
    };
    expect(imageLabel(es, 1, 2)).toBe('La imagen 2');
    expect(said(() => checkAttachmentFacts(es, { ...facts, size: 25_000_000 }, imageLabel(es, 0, 1)))).toBe('La imagen pesa 25,0 MB; Venice admite imágenes de menos de 25 MB. Usa un archivo más pequeño.');
    expect(said(() => checkAttachmentFacts(es, { ...facts, width: 255, height: 256 }, imageLabel(es, 1, 2)))).toBe(
      'La imagen 2 mide 255×256 (65.280 píxeles); Venice necesita al menos 65.536 píxeles (256×256). Usa una imagen más grande.',
    );
    const zh = translator('zh-CN');
    expect(imageLabel(zh, 0, 1)).toBe('图片');
    expect(imageLabel(en, 2, 3)).toBe('Image 3');
    expect(() => checkAttachmentFacts(zh, { ...facts, contentType: 'image/gif' }, imageLabel(zh, 1, 2))).toThrow(UserError);
  });

  it('checks the bytes themselves, whatever the attachment claimed', async () => {
    const webp = await sharp({ create: { width: 300, height: 300, channels: 3, background: 'blue' } }).webp().toBuffer();
    await expect(checkImageBytes(en, webp, 'The image')).resolves.toEqual({ format: 'webp', contentType: 'image/webp' });
    const small = await sharp({ create: { width: 100, height: 100, channels: 3, background: 'blue' } }).png().toBuffer();
    await expect(checkImageBytes(en, small, 'The image')).rejects.toThrow(/100×100/);
    await expect(checkImageBytes(en, Buffer.from('GIF89a not really'), 'The image')).rejects.toThrow(/not a PNG, JPEG or WebP/);
  });
});

describe('edit prices', () => {
  const model = toEditModel({
    id: 'gpt-image-2-edit',
    model_spec: {
      name: 'GPT Image 2',
      pricing: { inpaint: { usd: 0.34 }, resolutions: { '1K': { usd: 0.34 }, '2K': { usd: 0.52 } }, inputImages: { included: 1, additional: { usd: 0.0092 } } },
      constraints: { promptCharacterLimit: 32_000, resolutions: ['1K', '2K'], defaultResolution: '1K', combineImages: true },
    },
  })!;

  it('prices by resolution, plus each image beyond those included', () => {
    expect(editPrice(model, { inputs: 1 })).toBe(0.34);
    expect(editPrice(model, { resolution: '2K', inputs: 3 })).toBeCloseTo(0.52 + 2 * 0.0092, 9);
  });

  it('applies the spec’s default of three input images, or one when the model cannot combine', () => {
    expect(model.maxInputImages).toBe(3);
    expect(toEditModel({ id: 'solo', model_spec: { constraints: { combineImages: false } } })?.maxInputImages).toBe(1);
  });
});
