// Test helpers: the pixel size of a PNG (from its IHDR chunk) and the width/height of an SVG root.

/** Width and height from a PNG's IHDR; throws if the bytes are not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) {
    throw new Error("not a PNG (bad signature)");
  }
  const type = new TextDecoder().decode(bytes.subarray(12, 16));
  if (type !== "IHDR") throw new Error(`not a PNG: first chunk is ${type}, expected IHDR`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** width/height attributes of the root <svg> element; throws if there is none. */
export function svgSize(text: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(text)?.[0];
  if (root === undefined) throw new Error("no <svg> root element");
  const attr = (name: string) =>
    Number(new RegExp(`\\s${name}="([\\d.]+)(?:px)?"`).exec(root)?.[1]);
  return { width: attr("width"), height: attr("height") };
}
