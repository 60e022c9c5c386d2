import { crc32, inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  colorType: number;
  /** Decompressed scanlines (filter byte + pixels per row). */
  scanlines: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Reads a PNG the way a decoder must: signature, chunk lengths and CRCs (node:zlib's,
 * not the encoder's own), IHDR first, IDAT inflating to exactly one filter byte plus the
 * pixels of every row, IEND last. Throws with the reason otherwise.
 */
export function readPng(bytes: Buffer): DecodedPng {
  if (!bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
  let offset = 8;
  const chunks: { type: string; data: Buffer }[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (offset + 12 + length > bytes.length) throw new Error(`truncated ${type} chunk`);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== bytes.readUInt32BE(offset + 8 + length)) {
      throw new Error(`bad CRC in ${type}`);
    }
    chunks.push({ type, data: bytes.subarray(offset + 8, offset + 8 + length) });
    offset += length + 12;
  }
  if (chunks[0]?.type !== 'IHDR' || chunks.at(-1)?.type !== 'IEND') throw new Error('IHDR or IEND misplaced');
  const header = chunks[0].data;
  const [width, height, colorType] = [header.readUInt32BE(0), header.readUInt32BE(4), header[9]!];
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (header[8] !== 8 || channels === undefined) throw new Error(`unsupported bit depth ${header[8]} / colour type ${colorType}`);
  const scanlines = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  if (scanlines.length !== (width * channels + 1) * height) throw new Error(`IDAT holds ${scanlines.length} bytes for ${width}x${height}`);
  return { width, height, colorType, scanlines };
}
