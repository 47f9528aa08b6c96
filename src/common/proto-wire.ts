/**
 * A minimal protobuf wire writer and reader for the hot messages (Distro Sync and Snapshot, the
 * Nacos Payload). The generic proto-loader path converts every message to and from plain objects
 * through reflection, which cost more than the transport itself; these write and read the same
 * bytes directly, so the `.proto` stays the contract and either side may still use a generic
 * protobuf library.
 */

export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

/** Bytes that are not the message they claim to be (Distro answers INVALID_ARGUMENT, Nacos a ParseError). */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

export function varintSize(value: number): number {
  if (value < 128) return 1;
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

const TWO_POW_32 = 0x100000000;

/** Appends fields to a growing buffer; proto3 defaults (0, '', false) are omitted like any encoder does. */
export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Starts over, keeping the buffer (a writer reused per message allocates only the result). */
  reset(): this {
    this.pos = 0;
    return this;
  }

  /** How many bytes are written so far. */
  get length(): number {
    return this.pos;
  }

  /** Copies the bytes written into `target` at `offset` (for a caller that sizes the result itself). */
  copyTo(target: Buffer, offset = 0): void {
    this.buf.copy(target, offset, 0, this.pos);
  }

  /** The bytes written, copied out so the writer's buffer can be reused. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /**
   * The bytes written, without a copy: for a writer used once (a Sync request of hundreds of KiB is
   * otherwise copied whole once more on the send path). The writer must not be written to again.
   */
  detach(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    return out;
  }

  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    if (value < TWO_POW_32) {
      // Tags, lengths, ports: 32-bit integer arithmetic.
      let v = value >>> 0;
      while (v >= 128) {
        buf[pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[pos++] = v;
    } else if (value <= Number.MAX_SAFE_INTEGER) {
      // Versions (about 2^51): the low 28 bits, then the rest, each in 32-bit arithmetic rather than
      // eight double divisions.
      let low = value >>> 0;
      for (let i = 0; i < 4; i++) {
        buf[pos++] = (low & 127) | 128;
        low >>>= 7;
      }
      let v = (low | (Math.floor(value / TWO_POW_32) << 4)) >>> 0;
      while (v >= 128) {
        buf[pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[pos++] = v;
    } else {
      while (value >= 128) {
        buf[pos++] = (value % 128) | 128;
        value = Math.floor(value / 128);
      }
      buf[pos++] = value;
    }
    this.pos = pos;
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A non-negative integer field (uint32, int64 within 2^53). */
  uint(field: number, value: number): void {
    if (value === 0) return;
    this.tag(field, VARINT);
    this.varint(value);
  }

  bool(field: number, value: boolean): void {
    if (!value) return;
    this.tag(field, VARINT);
    this.varint(1);
  }

  double(field: number, value: number): void {
    if (value === 0) return;
    this.tag(field, FIXED64);
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  string(field: number, value: string): void {
    if (value.length === 0) return;
    this.tag(field, LENGTH_DELIMITED);
    this.rawString(value);
  }

  /** A string even when empty (map entries and repeated strings keep every element). */
  rawString(value: string): void {
    const length = value.length;
    this.ensure(length * 3 + 5);
    const buf = this.buf;
    if (length < 128) {
      // Short ASCII (names, addresses, metadata) is copied by hand: cheaper than a native call per field.
      let pos = this.pos + 1;
      let ascii = true;
      for (let i = 0; i < length && ascii; i++) {
        const code = value.charCodeAt(i);
        if (code > 127) ascii = false;
        else buf[pos++] = code;
      }
      if (ascii) {
        buf[this.pos] = length;
        this.pos = pos;
        return;
      }
    }
    // Write the text where a one-byte length fits; move it in the rare case the length needs more.
    const start = this.pos + 1;
    const written = buf.write(value, start, 'utf8');
    this.lengthBefore(start, written);
  }

  /** Bytes written elsewhere, as they are (a nested message's fields encoded before). */
  raw(value: Uint8Array): void {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.raw(value);
  }

  /** Opens a nested message; write its fields, then `end` it with what this returned. */
  begin(field: number): number {
    this.tag(field, LENGTH_DELIMITED);
    this.ensure(1);
    this.pos += 1;
    return this.pos;
  }

  /** Closes a nested message: fills in its length prefix. */
  end(start: number): void {
    this.lengthBefore(start, this.pos - start);
  }

  /** Puts the varint `length` right before `start`, where one byte was reserved, and ends after the content. */
  private lengthBefore(start: number, length: number): void {
    const size = varintSize(length);
    if (size > 1) {
      this.ensure(size);
      this.buf.copyWithin(start + size - 1, start, start + length);
    }
    this.pos = start - 1;
    this.varint(length);
    this.pos += length;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

const INTERNED_SLOTS = 4096;
const INTERNED_MAX_BYTES = 48;
/**
 * Recently read short ASCII strings by a hash of their bytes. Peer messages repeat the same few
 * namespaces, groups, service and cluster names and metadata thousands of times; answering those
 * from here compares bytes instead of allocating a string per field (less work and less GC).
 */
const interned: Array<string | undefined> = new Array<string | undefined>(INTERNED_SLOTS).fill(undefined);

function readText(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length > INTERNED_MAX_BYTES) return buf.toString('utf8', start, end);
  let hash = length;
  for (let i = start; i < end; i++) {
    const byte = buf[i];
    if (byte > 127) return buf.toString('utf8', start, end);
    hash = Math.imul(hash ^ byte, 16777619);
  }
  const slot = (hash >>> 0) & (INTERNED_SLOTS - 1);
  const known = interned[slot];
  if (known !== undefined && known.length === length) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = known.charCodeAt(i) === buf[start + i];
    if (same) return known;
  }
  const text = buf.toString('latin1', start, end);
  interned[slot] = text;
  return text;
}

/**
 * Reads fields of one message, checking every bound. A nested message is read by narrowing `end`
 * to it (see `enter`/`leave`) rather than by a new reader per field.
 */
export class ProtoReader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    public end = buf.length,
  ) {}

  /** Continues inside the length-delimited field that starts here; returns the end to `leave` with. */
  enter(): number {
    const inner = this.delimited();
    const outer = this.end;
    this.end = inner;
    return outer;
  }

  /** Skips whatever is left of the nested message and restores the enclosing one's end. */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's tag as `field * 8 + wireType`. */
  tag(): number {
    const tag = this.varint();
    if (tag < 8 || tag > 0xffffffff) throw new WireFormatError('invalid field tag');
    return tag;
  }

  /** An unsigned varint; values beyond 2^53 (negative int64s among them) are rejected, not rounded. */
  varint(): number {
    const buf = this.buf;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint');
      const byte = buf[this.pos++];
      result += (byte & 127) * scale;
      if (byte < 128) {
        if (result > Number.MAX_SAFE_INTEGER) throw new WireFormatError('integer out of range');
        return result;
      }
      scale *= 128;
    }
    throw new WireFormatError('malformed varint');
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new WireFormatError('truncated double');
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Reads a length prefix and returns where that field ends. */
  delimited(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) throw new WireFormatError('length beyond the message');
    return end;
  }

  string(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    return readText(this.buf, start, end);
  }

  /** A string expected to be new (an address, an id): read directly, without the interning table. */
  uniqueString(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    return this.buf.toString('utf8', start, end);
  }

  /** One `map<string, string>` entry (its field's tag just read): key and value, '' when absent. */
  stringEntry(): [key: string, value: string] {
    const outer = this.enter();
    let key = '';
    let value = '';
    while (!this.done) {
      const tag = this.tag();
      if (tag >>> 3 === 1 && (tag & 7) === LENGTH_DELIMITED) key = this.string();
      else if (tag >>> 3 === 2 && (tag & 7) === LENGTH_DELIMITED) value = this.string();
      else this.skip(tag & 7);
    }
    this.leave(outer);
    return [key, value];
  }

  /** Skips a field of an unknown number (a newer sender's addition), as protobuf requires. */
  skip(wireType: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === FIXED64) this.advance(8);
    else if (wireType === LENGTH_DELIMITED) this.pos = this.delimited();
    else if (wireType === FIXED32) this.advance(4);
    else throw new WireFormatError(`unsupported wire type ${wireType}`);
  }

  /** Fails when a known field arrives with another wire type than the schema gives it. */
  expect(tag: number, wireType: number): void {
    if ((tag & 7) !== wireType) throw new WireFormatError(`field ${tag >>> 3} has wire type ${tag & 7}`);
  }

  private advance(bytes: number): void {
    if (this.pos + bytes > this.end) throw new WireFormatError('truncated field');
    this.pos += bytes;
  }
}
