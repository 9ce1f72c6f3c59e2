// Panels for the samples' side-by-side pictures (make-controls-sample.js, make-moving-camera-sample.js).
import sharp from 'sharp';

/** A frame's pixels as a sharp image. */
export const raw = (f) => sharp(f.data, { raw: { width: f.width, height: f.height, channels: 3 } });

/** One panel: the frame (or a region of it, nearest neighbour), `width` wide, its label below. */
export async function panel(f, label, width, region) {
  let image = raw(f);
  if (region) image = image.extract(region).resize(width, null, { kernel: 'nearest' });
  else image = image.resize(width, null);
  const picture = await image.png().toBuffer();
  const { height } = await sharp(picture).metadata();
  const caption = Buffer.from(`<svg width="${width}" height="28"><rect width="100%" height="100%" fill="black"/><text x="8" y="20" font-family="sans-serif" font-size="17" fill="white">${label}</text></svg>`);
  return sharp({ create: { width, height: height + 28, channels: 3, background: 'black' } })
    .composite([{ input: picture, top: 0, left: 0 }, { input: caption, top: height, left: 0 }])
    .png().toBuffer();
}
