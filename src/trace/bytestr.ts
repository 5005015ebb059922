// Byte strings: the trace buffers and tracefs hold bytes, and ftsim carries them as JS strings of code points 0-255, one per byte (as the kernel's char buffers are bytes, whatever their encoding).

/** The bytes of a byte string (each code point's low 8 bits). */
export function byteStrBytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** Bytes as a byte string: one code point per byte, 0-255, nothing decoded. */
export function bytesByteStr(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}
