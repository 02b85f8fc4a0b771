/**
 * Guess a media type from the first bytes of a body, following the WHATWG
 * MIME Sniffing rules for the types browsers care about (the same table Go's
 * http.DetectContentType uses, which is what Traefik's contentType applies).
 * Needs at most SNIFF_BYTES bytes.
 */
export const SNIFF_BYTES = 512;

type Signature = { mask?: number[]; pattern: number[]; type: string; skipWhitespace?: boolean };

const bytes = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** HTML tags that start a document: each must be followed by a space or `>`. */
const HTML_TAGS = [
  '<!DOCTYPE HTML',
  '<HTML',
  '<HEAD',
  '<SCRIPT',
  '<IFRAME',
  '<H1',
  '<DIV',
  '<FONT',
  '<TABLE',
  '<A',
  '<STYLE',
  '<TITLE',
  '<B',
  '<BODY',
  '<BR',
  '<P',
  '<!--',
];

const SIGNATURES: Signature[] = [
  { pattern: bytes('<?xml'), type: 'text/xml; charset=utf-8', skipWhitespace: true },
  { pattern: bytes('%PDF-'), type: 'application/pdf' },
  { pattern: bytes('%!PS-Adobe-'), type: 'application/postscript' },
  { pattern: [0xfe, 0xff], type: 'text/plain; charset=utf-16be' },
  { pattern: [0xff, 0xfe], type: 'text/plain; charset=utf-16le' },
  { pattern: [0xef, 0xbb, 0xbf], type: 'text/plain; charset=utf-8' },
  { pattern: [0x00, 0x00, 0x01, 0x00], type: 'image/x-icon' },
  { pattern: [0x00, 0x00, 0x02, 0x00], type: 'image/x-icon' },
  { pattern: bytes('BM'), type: 'image/bmp' },
  { pattern: bytes('GIF87a'), type: 'image/gif' },
  { pattern: bytes('GIF89a'), type: 'image/gif' },
  {
    mask: [0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    pattern: [...bytes('RIFF'), 0, 0, 0, 0, ...bytes('WEBPVP')],
    type: 'image/webp',
  },
  { pattern: [0x89, ...bytes('PNG'), 0x0d, 0x0a, 0x1a, 0x0a], type: 'image/png' },
  { pattern: [0xff, 0xd8, 0xff], type: 'image/jpeg' },
  {
    mask: [0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff],
    pattern: [...bytes('FORM'), 0, 0, 0, 0, ...bytes('AIFF')],
    type: 'audio/aiff',
  },
  { pattern: bytes('ID3'), type: 'audio/mpeg' },
  { pattern: [...bytes('OggS'), 0], type: 'application/ogg' },
  { pattern: [...bytes('MThd'), 0, 0, 0, 6], type: 'audio/midi' },
  {
    mask: [0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff],
    pattern: [...bytes('RIFF'), 0, 0, 0, 0, ...bytes('AVI ')],
    type: 'video/avi',
  },
  {
    mask: [0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff],
    pattern: [...bytes('RIFF'), 0, 0, 0, 0, ...bytes('WAVE')],
    type: 'audio/wave',
  },
  { pattern: [0x1a, 0x45, 0xdf, 0xa3], type: 'video/webm' },
  { pattern: bytes('wOFF'), type: 'font/woff' },
  { pattern: bytes('wOF2'), type: 'font/woff2' },
  { pattern: [0x1f, 0x8b, 0x08], type: 'application/x-gzip' },
  { pattern: [...bytes('PK'), 0x03, 0x04], type: 'application/zip' },
  { pattern: [...bytes('Rar!'), 0x1a, 0x07, 0x00], type: 'application/x-rar-compressed' },
  { pattern: [...bytes('Rar!'), 0x1a, 0x07, 0x01, 0x00], type: 'application/x-rar-compressed' },
  { pattern: [0x00, 0x61, 0x73, 0x6d], type: 'application/wasm' },
];

const isWhitespace = (b: number) => b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20;

function firstNonWhitespace(data: Uint8Array): number {
  let i = 0;
  while (i < data.length && isWhitespace(data[i]!)) i++;
  return i;
}

function matches(data: Uint8Array, sig: Signature): boolean {
  const start = sig.skipWhitespace ? firstNonWhitespace(data) : 0;
  if (data.length - start < sig.pattern.length) return false;
  for (let i = 0; i < sig.pattern.length; i++) {
    const mask = sig.mask ? sig.mask[i]! : 0xff;
    if ((data[start + i]! & mask) !== sig.pattern[i]) return false;
  }
  return true;
}

function isHtml(data: Uint8Array): boolean {
  const start = firstNonWhitespace(data);
  for (const tag of HTML_TAGS) {
    const end = start + tag.length;
    if (data.length <= end) continue;
    let ok = true;
    for (let i = 0; i < tag.length && ok; i++) {
      let b = data[start + i]!;
      if (b >= 0x61 && b <= 0x7a) b -= 0x20; // case-insensitive for letters
      ok = b === tag.charCodeAt(i);
    }
    const after = data[end]!;
    if (ok && (after === 0x20 || after === 0x3e)) return true;
  }
  return false;
}

function isMp4(data: Uint8Array): boolean {
  if (data.length < 12) return false;
  const boxSize = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
  if (boxSize % 4 !== 0 || data.length < boxSize) return false;
  if (data[4] !== 0x66 || data[5] !== 0x74 || data[6] !== 0x79 || data[7] !== 0x70) return false; // "ftyp"
  for (let i = 8; i + 3 <= boxSize && i + 3 <= data.length; i += 4) {
    if (i === 12) continue; // the minor version, not a brand
    if (data[i] === 0x6d && data[i + 1] === 0x70 && data[i + 2] === 0x34) return true; // "mp4"
  }
  return false;
}

/** Bytes that never appear in text (WHATWG "binary data byte"). */
function hasBinaryByte(data: Uint8Array): boolean {
  for (const b of data) if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return true;
  return false;
}

export function sniffContentType(body: Uint8Array): string {
  const data = body.length > SNIFF_BYTES ? body.subarray(0, SNIFF_BYTES) : body;
  if (isHtml(data)) return 'text/html; charset=utf-8';
  for (const sig of SIGNATURES) if (matches(data, sig)) return sig.type;
  if (isMp4(data)) return 'video/mp4';
  return hasBinaryByte(data) ? 'application/octet-stream' : 'text/plain; charset=utf-8';
}
