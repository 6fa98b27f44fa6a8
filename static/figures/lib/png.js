// Tiny PNGs as data URLs (fast-png), for what a figure paints pixel by pixel (loss maps). The
// same bytes come out in the browser and in Node, so a static picture embeds exactly the image
// the live figure shows.

import { encode } from "fast-png";

/** base64 of bytes, in chunks (String.fromCharCode takes a limited number of arguments). */
function base64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** A data: URL of an 8-bit PNG; `channels` 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). */
export function pngDataUrl(data, width, height, channels) {
  return `data:image/png;base64,${base64(encode({ width, height, data, channels, depth: 8 }))}`;
}
