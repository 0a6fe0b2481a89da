/**
 * The row keys a feed file has named so far, for its "one row per key" check: exact, but kept
 * outside the JavaScript heap. A million-row file's keys held as strings in a Map were about a
 * million long-lived objects, copied by every young-generation collection that found them and
 * marked by every full one (docs/benchmarks.md, session 7); here they are UTF-8 bytes in one
 * growing buffer, found through an open-addressing table of integers.
 */

const encoder = new TextEncoder();

/** FNV-1a over `bytes[0, length)`. */
function hashOf(bytes: Uint8Array, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h | 0;
}

export class RowKeys {
  /** The keys' bytes, one after another. */
  private bytes = new Uint8Array(1 << 16);
  private used = 0;
  /** Per key: where its bytes start, how many, its hash, and the row that named it first. */
  private starts = new Int32Array(1024);
  private lengths = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private rows = new Float64Array(1024);
  private count = 0;
  /** Open addressing: key index + 1, 0 for an empty slot; never more than half full. */
  private slots = new Int32Array(2048);
  /** The key being looked up, encoded. */
  private scratch = new Uint8Array(256);

  /** How many distinct keys have been seen. */
  get size(): number {
    return this.count;
  }

  /**
   * The row that named `key` first; if none did, `row` is recorded as that row and undefined is
   * returned.
   */
  firstRow(key: string, row: number): number | undefined {
    const length = this.encode(key);
    const hash = hashOf(this.scratch, length);
    const mask = this.slots.length - 1;
    let at = hash & mask;
    for (;;) {
      const slot = this.slots[at]!;
      if (slot === 0) break;
      const k = slot - 1;
      if (this.hashes[k] === hash && this.lengths[k] === length && this.sameBytes(k, length))
        return this.rows[k];
      at = (at + 1) & mask;
    }
    if (this.count === this.starts.length) this.growKeys();
    if (this.used + length > this.bytes.length) {
      const bytes = new Uint8Array(Math.max(this.bytes.length * 2, this.used + length));
      bytes.set(this.bytes.subarray(0, this.used));
      this.bytes = bytes;
    }
    this.bytes.set(this.scratch.subarray(0, length), this.used);
    const k = this.count++;
    this.starts[k] = this.used;
    this.lengths[k] = length;
    this.hashes[k] = hash;
    this.rows[k] = row;
    this.used += length;
    this.slots[at] = k + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
    return undefined;
  }

  /** Encodes `key` into `scratch`, growing it if the key does not fit; its length in bytes. */
  private encode(key: string): number {
    for (;;) {
      const { read, written } = encoder.encodeInto(key, this.scratch);
      if (read === key.length) return written;
      this.scratch = new Uint8Array(Math.max(this.scratch.length * 2, key.length * 3));
    }
  }

  private sameBytes(k: number, length: number): boolean {
    const start = this.starts[k]!;
    for (let i = 0; i < length; i++) if (this.bytes[start + i] !== this.scratch[i]) return false;
    return true;
  }

  private growKeys() {
    const grow = <A extends Int32Array | Float64Array>(a: A, make: (n: number) => A): A => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts, (n) => new Int32Array(n));
    this.lengths = grow(this.lengths, (n) => new Int32Array(n));
    this.hashes = grow(this.hashes, (n) => new Int32Array(n));
    this.rows = grow(this.rows, (n) => new Float64Array(n));
  }

  private rehash() {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let k = 0; k < this.count; k++) {
      let at = this.hashes[k]! & mask;
      while (slots[at] !== 0) at = (at + 1) & mask;
      slots[at] = k + 1;
    }
    this.slots = slots;
  }
}
