import { FormData, Response } from 'undici';
import { describe, expect, it } from 'vitest';
import { MultipartBody, type FormPart } from '../../../src/http/multipart-body.js';

/** What undici's FormData sends for the same parts, with its boundary swapped for `boundary`. */
async function formDataBytes(parts: readonly FormPart[], boundary: string): Promise<Buffer> {
  const form = new FormData();
  for (const part of parts) {
    if ('value' in part) form.append(part.name, part.value);
    else if (part.filename === undefined) form.append(part.name, new Blob([part.data], { type: part.contentType ?? '' }));
    else form.append(part.name, new Blob([part.data], { type: part.contentType ?? '' }), part.filename);
  }
  const res = new Response(form);
  const theirs = /boundary=(.+)$/.exec(res.headers.get('content-type') ?? '')?.[1];
  if (!theirs) throw new Error('undici sent no boundary');
  return Buffer.from(Buffer.from(await res.arrayBuffer()).toString('latin1').split(theirs).join(boundary), 'latin1');
}

const boundaryOf = (body: MultipartBody): string => body.contentType.replace('multipart/form-data; boundary=', '');

describe('MultipartBody', () => {
  const image = Buffer.alloc(300_000, 0x5a);
  const parts: FormPart[] = [
    { name: 'model', value: 'qwen-image' },
    // A prompt over several lines, and names a header could trip on.
    { name: 'prompt', value: 'a red fox\nin the snow\r\nat dusk\r' },
    { name: 'image', data: image, filename: 'my "fox"\r\n.png', contentType: 'IMAGE/PNG' },
    { name: 'odd"\nname', data: Buffer.from('x'), contentType: 'tex\u00e9t' },
    { name: 'scale', value: '2' },
    // FormData leaves out an empty file name (a parser then reads the part as text).
    { name: 'unnamed', data: Buffer.from('y'), filename: '', contentType: 'image/png' },
  ];

  it('sends byte for byte what undici’s FormData sends for the same parts', async () => {
    const body = MultipartBody.of(parts);
    const ours = Buffer.concat([...body]);
    expect(ours.length).toBe(body.length);
    expect(ours.equals(await formDataBytes(parts, boundaryOf(body)))).toBe(true);
  });

  it('is read back by a multipart parser as the parts it was made of', async () => {
    const body = MultipartBody.of(parts);
    const form = await new Response(Buffer.concat([...body]), { headers: { 'content-type': body.contentType } }).formData();
    expect(form.get('model')).toBe('qwen-image');
    expect(form.get('prompt')).toBe('a red fox\r\nin the snow\r\nat dusk\r\n');
    const file = form.get('image') as File;
    expect([file.name, file.type]).toEqual(['my "fox"\r\n.png', 'image/png']);
    expect(Buffer.from(await file.arrayBuffer()).equals(image)).toBe(true);
    expect((form.get('odd"\r\nname') as File).type).toBe('application/octet-stream');
    expect(form.get('unnamed')).toBe('y');
    expect([body.fileCount, body.fileBytes]).toEqual([3, 300_002]);
  });

  it('hands over the caller’s own buffer, the same bytes on every read (one read per attempt)', () => {
    const body = MultipartBody.of(parts);
    const first = [...body];
    expect(first).toContain(image);
    expect(Buffer.concat([...body]).equals(Buffer.concat(first))).toBe(true);
    expect(MultipartBody.of(parts).contentType).not.toBe(body.contentType);
  });
});
