// Common Encryption (CENC) in MP4/MOV: the decoder turns scrambled samples into anything from no
// frame to a few garbage frames, so it is recognised from the container instead. An encrypted
// track carries a protection scheme box ('sinf', holding 'tenc') in its sample description.
import { open } from 'node:fs/promises';

const CONTAINER_BOXES = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);
const MAX_MOOV_BYTES = 64 << 20;

/** Whether an ISO BMFF file (MP4, MOV, M4V) declares an encrypted track. False for anything else. */
export async function hasCommonEncryption(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const header = Buffer.alloc(16);
    // Walk the top-level boxes to the movie box; media data in between is skipped, not read.
    for (let offset = 0; offset + 8 <= size; ) {
      await file.read(header, 0, 16, offset);
      let boxSize = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      let headerSize = 8;
      if (boxSize === 1) {
        boxSize = Number(header.readBigUInt64BE(8));
        headerSize = 16;
      } else if (boxSize === 0) {
        boxSize = size - offset;
      }
      if (boxSize < headerSize || !/^[\x20-\x7e]{4}$/.test(type)) return false; // not ISO BMFF
      if (type === 'pssh') return true;
      if (type === 'moov') {
        const length = Math.min(boxSize - headerSize, MAX_MOOV_BYTES);
        const moov = Buffer.alloc(length);
        await file.read(moov, 0, length, offset + headerSize);
        return containsProtection(moov);
      }
      offset += boxSize;
    }
    return false;
  } finally {
    await file.close();
  }
}

/** Descends moov → trak → mdia → minf → stbl → stsd and looks for a protected sample entry. */
function containsProtection(box: Buffer): boolean {
  for (let offset = 0; offset + 8 <= box.length; ) {
    const size = box.readUInt32BE(offset);
    const type = box.toString('latin1', offset + 4, offset + 8);
    if (size < 8 || offset + size > box.length) return false;
    const body = box.subarray(offset + 8, offset + size);
    if (type === 'pssh') return true;
    if (CONTAINER_BOXES.has(type) && containsProtection(body)) return true;
    // stsd: version/flags and entry count, then sample entries; 'encv'/'enca' mark protection.
    if (type === 'stsd' && body.length >= 16) {
      const entryType = body.toString('latin1', 12, 16);
      if (entryType === 'encv' || entryType === 'enca' || body.includes('sinf', 0, 'latin1')) return true;
    }
    offset += size;
  }
  return false;
}
