/**
 * The byte escaping used by transcripts and traces: printable ASCII stays as is; `\r`, `\n`, `\t`,
 * `\\` and `\xNN` for everything else. `unescapeBytes(escapeBytes(b))` is `b` for every buffer.
 * `$` is written `\x24` so that data reading `${NAME}` is not taken for a transcript variable.
 */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x24) out += '\\x24';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

export function unescapeBytes(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x5c) {
      if (c > 0xff) throw new Error(`non-byte character in ${JSON.stringify(text)}`);
      out.push(c);
      continue;
    }
    const next = text.charAt(++i);
    if (next === 'r') out.push(0x0d);
    else if (next === 'n') out.push(0x0a);
    else if (next === 't') out.push(0x09);
    else if (next === '\\') out.push(0x5c);
    else if (next === 'x') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`bad \\x escape in ${JSON.stringify(text)}`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else throw new Error(`bad escape \\${next} in ${JSON.stringify(text)}`);
  }
  return Buffer.from(out);
}
