import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/**
 * Small documents built byte by byte for the document suites: a one-page PDF whose text stream is
 * left uncompressed (so that a phrase in it is in the file's bytes as written), a 1×1 PNG with a
 * tEXt chunk, a JPEG's first bytes, and the DocumentReference that uploads one.
 */

/** A one-page PDF 1.4 showing `text` (uncompressed content stream), padded with a comment to `minBytes`. */
export function pdfWith(text: string, minBytes = 0): Buffer {
  const stream = `BT /F1 12 Tf 20 100 Td (${text}) Tj ET`;
  const body = [
    '%PDF-1.4',
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj',
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R >> endobj',
    `4 0 obj << /Length ${stream.length} >> stream`, stream, 'endstream endobj',
    'trailer << /Root 1 0 R >>', '%%EOF', '',
  ].join('\n');
  const pad = Math.max(0, minBytes - Buffer.byteLength(body));
  return Buffer.concat([Buffer.from(body, 'latin1'), Buffer.alloc(pad, 0x20)]);
}

function crc32(buf: Buffer): number {
  let crc = -1;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ -1) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A valid 1×1 RGB PNG carrying `comment` in a tEXt chunk (ISO/IEC 15948 §11.3.4.3). */
export function pngWith(comment: string): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from(`Comment\0${comment}`, 'latin1')),
    chunk('IDAT', deflateSync(Buffer.from([0, 0xc0, 0x40, 0x20]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The first bytes of a JPEG (SOI, then an APP0 JFIF marker) and some more. */
export function jpegStart(): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0', 'latin1'), Buffer.alloc(64, 1)]);
}

export const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('base64');

export const LOINC = 'http://loinc.org';

/** A DocumentReference that uploads `bytes` as `contentType` for the patient. */
export function documentFor(patientId: string, contentType: string, bytes: Buffer, o: { title?: string; type?: string; replaces?: string } = {}) {
  return {
    resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${patientId}` },
    ...(o.type ? { type: { coding: [{ system: LOINC, code: o.type }] } } : {}),
    ...(o.replaces ? { relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${o.replaces}` } }] } : {}),
    content: [{ attachment: { contentType, data: bytes.toString('base64'), ...(o.title ? { title: o.title } : {}) } }],
  };
}

/** A typed note for the patient. */
export function textNoteFor(patientId: string, text: string, o: { replaces?: string } = {}) {
  return documentFor(patientId, 'text/plain', Buffer.from(text, 'utf8'), o);
}
