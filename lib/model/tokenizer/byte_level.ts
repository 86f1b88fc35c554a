// GPT-2 byte-level alphabet: every byte maps to one printable character, as in Hugging Face
// `tokenizers` ByteLevel (used by GPT-2, Qwen2 and Llama-3). Not in the paper; a tokenizer detail.

/**
 * The 256 bytes in the GPT-2 alphabet order: printable bytes first ("!".."~", "¡".."¬", "®".."ÿ"),
 * then the rest (0..32, 127..160, 173). Position i is the id of byte `BYTE_ORDER[i]` in GPT-2,
 * Qwen2 and Llama-3 vocabularies.
 * @example BYTE_ORDER[0]; // 33 ("!")
 */
export const BYTE_ORDER: readonly number[] = byteOrder();

/**
 * Character standing for each byte (index = byte value): printable bytes stand for themselves,
 * the others are shifted to U+0100.. (space → "Ġ", "\n" → "Ċ").
 * @example BYTE_TO_CHAR[32]; // "Ġ"
 */
export const BYTE_TO_CHAR: readonly string[] = byteToChar(BYTE_ORDER);

function byteOrder(): number[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const rest: number[] = [];
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) rest.push(b);
  return [...printable, ...rest];
}

function byteToChar(order: readonly number[]): string[] {
  const out = new Array<string>(256);
  let shifted = 0;
  for (const b of order) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    out[b] = String.fromCharCode(printable ? b : 256 + shifted++);
  }
  return out;
}

/**
 * Byte value of one byte-level character, or -1 for a character outside the alphabet.
 * @example charToByte("Ċ"); // 10
 */
export function charToByte(ch: string): number {
  const code = ch.charCodeAt(0);
  if (ch.length !== 1) return -1;
  if ((code >= 33 && code <= 126) || (code >= 161 && code <= 172) || (code >= 174 && code <= 255)) {
    return code;
  }
  const k = code - 256;
  if (k < 0 || k >= 68) return -1;
  return BYTE_ORDER[188 + k];
}

/**
 * UTF-8 bytes of `text` written in the byte-level alphabet.
 * @example toByteLevel("a b\n"); // "aĠbĊ"
 */
export function toByteLevel(text: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/**
 * The bytes a byte-level string stands for; null when it holds a character outside the alphabet
 * (e.g. an added token's literal text).
 * @example fromByteLevel("aĠbĊ"); // Uint8Array [97, 32, 98, 10]
 */
export function fromByteLevel(piece: string): Uint8Array | null {
  const out = new Uint8Array(piece.length);
  for (let i = 0; i < piece.length; i++) {
    const b = charToByte(piece[i]);
    if (b < 0) return null;
    out[i] = b;
  }
  return out;
}
