// How many object keys a JSON text holds, counted without parsing it. V8's JSON.parse takes about
// 0.7 µs for each distinct key (a 5 MB body of 400,000 of them held the event loop for 300 ms),
// while this scan jumps from quote to quote with indexOf: some 10 ms for 5 MB. PURE.

/** The keys in `text` (a key: a string followed by a colon), counted up to `limit` + 1 and no further. */
export function countJsonKeys(text: string, limit: number): number {
  let keys = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    const close = closingQuote(text, open);
    if (close === -1) return keys;
    let next = close + 1;
    let code = text.charCodeAt(next);
    while (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) code = text.charCodeAt(++next);
    if (code === 0x3a && ++keys > limit) return keys;
    open = text.indexOf('"', next);
  }
  return keys;
}

/** The quote that closes the string opened at `open` (one not escaped by an odd run of backslashes); -1: none. */
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  while (end !== -1) {
    let backslashes = 0;
    for (let at = end - 1; text.charCodeAt(at) === 0x5c; at--) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return -1;
}
