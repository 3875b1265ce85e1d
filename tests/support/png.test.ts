import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countColour, cropTop, type Image, readPng, writePng } from './png.js';

describe('writePng and cropTop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opp-png-'));
  // 5×4 RGBA: a red top half and a blue bottom half, one varying channel so rows differ.
  const image: Image = {
    width: 5,
    height: 4,
    channels: 4,
    pixels: Uint8Array.from({ length: 5 * 4 * 4 }, (_, i) => {
      const [pixel, channel] = [Math.floor(i / 4), i % 4];
      const top = pixel < 10;
      return [top ? 255 : 0, pixel * 10, top ? 0 : 255, 255][channel]!;
    }),
  };

  it('writes a PNG that reads back pixel for pixel', () => {
    const file = join(dir, 'full.png');
    writePng(file, image);
    expect(readPng(file)).toEqual(image);
  });

  it('keeps the top rows only', () => {
    const file = join(dir, 'top.png');
    writePng(file, cropTop(image, 2));
    const top = readPng(file);
    expect([top.width, top.height]).toEqual([5, 2]);
    expect(countColour(top, '#ff0000', 100)).toBe(10);
    expect(countColour(top, '#0000ff', 100)).toBe(0);
  });
});
