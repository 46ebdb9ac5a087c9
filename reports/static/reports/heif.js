/* The EXIF block of a HEIF/HEIC photo, for submit.js to read its GPS position with exifr.
 *
 * exifr (7.1.3) finds a HEIF file's Exif item but ignores the item's base_offset in the
 * 'iloc' box (ISO/IEC 14496-12 8.11.3): it reads from extent_offset alone. libheif, which
 * writes HEIC for many phones, apps and converters, puts the whole position in base_offset
 * and 0 in extent_offset, so exifr reads the file's first bytes and finds no GPS. This reads
 * the item where the standard says it is and hands back its TIFF bytes, which exifr's full
 * build parses as a TIFF file. Only the boxes needed are read (Blob.slice), never the photo.
 */
window.SegnalaHeif = (function () {
  "use strict";

  // A meta box holds item tables, not pixels: a few KB (a tiled iPhone photo's ~5 KB).
  const MAX_META_BYTES = 1024 * 1024;
  const MAX_TOP_BOXES = 64;

  async function bytesAt(blob, start, length) {
    return new DataView(await blob.slice(start, start + length).arrayBuffer());
  }

  function fourCC(view, at) {
    return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
  }

  // Unsigned big-endian integer of 0, 1, 2, 4 or 8 bytes (8: exact below 2^53, enough for a photo).
  function uint(view, at, size) {
    if (size === 0) return 0;
    if (size === 1) return view.getUint8(at);
    if (size === 2) return view.getUint16(at);
    if (size === 4) return view.getUint32(at);
    if (size === 8) return view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
    throw new Error("bad field size " + size);
  }

  // Child boxes of view[start, end): {type, start (of the payload), end}.
  function boxes(view, start, end) {
    const found = [];
    let at = start;
    while (at + 8 <= end) {
      let size = view.getUint32(at);
      let header = 8;
      if (size === 1) {
        size = uint(view, at + 8, 8);
        header = 16;
      } else if (size === 0) {
        size = end - at;
      }
      if (size < header || at + size > end) break;
      found.push({ type: fourCC(view, at + 4), start: at + header, end: at + size });
      at += size;
    }
    return found;
  }

  // The top-level 'meta' box, read whole; null if the file is not HEIF or has none.
  async function readMeta(blob) {
    const head = await bytesAt(blob, 0, 12);
    if (head.byteLength < 12 || fourCC(head, 4) !== "ftyp") return null;
    let at = 0;
    for (let count = 0; count < MAX_TOP_BOXES && at + 8 <= blob.size; count++) {
      const header = await bytesAt(blob, at, 16);
      const large = header.getUint32(0) === 1 && header.byteLength === 16;
      const size = large ? uint(header, 8, 8) : header.getUint32(0);
      if (fourCC(header, 4) === "meta") {
        if (size < 12 || size > MAX_META_BYTES) return null;
        return { view: await bytesAt(blob, at, size), offset: at };
      }
      if (size < 8) return null; // 0 ("to the end of the file") or broken: no meta after it
      at += size;
    }
    return null;
  }

  // The item id of the 'Exif' item in 'iinf' (FullBox; entries are 'infe' version 2 or 3).
  function exifItemId(view, iinf) {
    const version = view.getUint8(iinf.start);
    const entries = version === 0 ? 2 : 4;
    for (const infe of boxes(view, iinf.start + 4 + entries, iinf.end)) {
      const infeVersion = view.getUint8(infe.start);
      if (infe.type !== "infe" || infeVersion < 2) continue;
      const idSize = infeVersion === 3 ? 4 : 2;
      const id = uint(view, infe.start + 4, idSize);
      if (fourCC(view, infe.start + 4 + idSize + 2) === "Exif") return id;
    }
    return null;
  }

  // The item's extents in 'iloc' as [{method, offset, length}], offsets with base_offset added.
  function itemExtents(view, iloc, wanted) {
    const version = view.getUint8(iloc.start);
    let at = iloc.start + 4;
    const offsetSize = view.getUint8(at) >> 4;
    const lengthSize = view.getUint8(at) & 15;
    const baseOffsetSize = view.getUint8(at + 1) >> 4;
    const indexSize = version === 1 || version === 2 ? view.getUint8(at + 1) & 15 : 0;
    at += 2;
    const idSize = version === 2 ? 4 : 2;
    const itemCount = uint(view, at, idSize);
    at += idSize;
    for (let item = 0; item < itemCount; item++) {
      const id = uint(view, at, idSize);
      at += idSize;
      let method = 0;
      if (version === 1 || version === 2) {
        method = view.getUint16(at) & 15;
        at += 2;
      }
      at += 2; // data_reference_index
      const base = uint(view, at, baseOffsetSize);
      at += baseOffsetSize;
      const extentCount = view.getUint16(at);
      at += 2;
      const extents = [];
      for (let extent = 0; extent < extentCount; extent++) {
        at += indexSize;
        const offset = uint(view, at, offsetSize);
        const length = uint(view, at + offsetSize, lengthSize);
        at += offsetSize + lengthSize;
        extents.push({ method: method, offset: base + offset, length: length });
      }
      if (id === wanted) return extents;
    }
    return null;
  }

  // The TIFF bytes of a HEIF file's Exif item, or null (not HEIF, no Exif, a layout not read).
  async function exifTiff(blob) {
    try {
      const meta = await readMeta(blob);
      if (!meta) return null;
      const { view } = meta;
      const children = boxes(view, 12, view.byteLength); // after the FullBox's version/flags
      const find = (type) => children.find((box) => box.type === type);
      const iinf = find("iinf");
      const iloc = find("iloc");
      const id = iinf && iloc ? exifItemId(view, iinf) : null;
      const extents = id === null ? null : itemExtents(view, iloc, id);
      if (!extents || !extents.length) return null;
      const idat = find("idat");
      const parts = [];
      for (const extent of extents) {
        if (extent.method === 0) {
          parts.push(blob.slice(extent.offset, extent.offset + extent.length));
        } else if (extent.method === 1 && idat) {
          const start = meta.offset + idat.start + extent.offset;
          parts.push(blob.slice(start, start + extent.length));
        } else {
          return null;
        }
      }
      // The item starts with a 32-bit count of bytes before the TIFF header ("Exif\0\0").
      const item = new Uint8Array(await new Blob(parts).arrayBuffer());
      if (item.byteLength < 4) return null;
      const skip = 4 + new DataView(item.buffer).getUint32(0);
      return skip < item.byteLength ? item.subarray(skip) : null;
    } catch (error) {
      return null; // a truncated or odd file: the photo is still sent, without its position
    }
  }

  return { exifTiff: exifTiff };
})();
