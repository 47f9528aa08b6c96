/**
 * Encoded items by key, each valid for one stamp (a number the data side changes whenever the item
 * changes). Every peer's queue sends the same bytes, so an item is encoded once per change rather
 * than once per peer. Bounded by bytes: the oldest entries go first (peers flush within moments of
 * each other, so what they still need is the newest).
 */
export class EncodedCache {
  private readonly entries = new Map<string, { stamp: number; bytes: Uint8Array }>();
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.size;
  }

  get(key: string, stamp: number): Uint8Array | undefined {
    const entry = this.entries.get(key);
    return entry?.stamp === stamp ? entry.bytes : undefined;
  }

  set(key: string, stamp: number, bytes: Uint8Array): void {
    this.delete(key);
    if (bytes.length > this.maxBytes) return;
    this.entries.set(key, { stamp, bytes });
    this.size += bytes.length;
    for (const [oldest, entry] of this.entries) {
      if (this.size <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.size -= entry.bytes.length;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.size -= entry.bytes.length;
  }

  clear(): void {
    this.entries.clear();
    this.size = 0;
  }
}
