// Allocation-free building blocks for the C emitter (emit-c.ts). The emitter writes about
// 130 bytes of C per source line; building that text from strings cost ~25x more than
// its size, because every `+` or template hole allocates a 32-byte cons string and every
// statement a few arrays and objects. These two helpers are reused across a whole module.

/**
 * Output text collected as one-byte characters in a growing byte buffer: a line is written
 * piece by piece (`put('  ', dst, ' = ', value, ';\n')`) without building a string, and the
 * text is decoded once at the end. The C is ASCII (names are C identifiers, string literals
 * are escaped); a character above U+00FF would still come out right, through a string chunk.
 */
export class TextBuffer {
  private bytes: Buffer;
  /** where the text starts: the room before it is for `prepend` */
  private start: number;
  /** where the text ends */
  private n: number;
  /** text before the bytes, flushed at a character that does not fit in a byte (never, in practice) */
  private readonly chunks: string[] = [];
  /** how many characters `chunks` hold */
  private chunkChars = 0;
  /** whether every character so far is ASCII (then the bytes are the text in any encoding) */
  private ascii = true;

  /**
   * `capacity` bytes to start with, of which `front` are kept before the text. Pages of a
   * large buffer that are never written cost nothing, while growing copies everything into
   * fresh memory (page faults are expensive): so ask for plenty.
   */
  constructor(capacity = 1 << 12, front = 0) {
    this.bytes = Buffer.allocUnsafe(Math.max(capacity, front + 64));
    this.start = this.n = front;
  }

  /** Appends the pieces in order (a fixed parameter list: rest arguments would allocate an array per call). */
  put(a: string, b?: string, c?: string, d?: string, e?: string, f?: string, g?: string, h?: string, i?: string): void {
    this.str(a);
    if (b !== undefined) this.str(b);
    if (c !== undefined) this.str(c);
    if (d !== undefined) this.str(d);
    if (e !== undefined) this.str(e);
    if (f !== undefined) this.str(f);
    if (g !== undefined) this.str(g);
    if (h !== undefined) this.str(h);
    if (i !== undefined) this.str(i);
  }

  clear(): void {
    this.n = this.start;
    this.ascii = true;
    if (this.chunks.length > 0) { this.chunks.length = 0; this.chunkChars = 0; }
  }

  /** The length of the text so far: a mark to move what follows it (`moveTail`). */
  mark(): number { return this.chunkChars + this.n - this.start; }

  /** Moves the text after `mark` to the end of `into`. */
  moveTail(mark: number, into: TextBuffer): void {
    if (this.chunks.length === 0) {
      if (!this.ascii) into.ascii = false;
      into.putBytes(this.bytes, this.start + mark, this.n);
      this.n = this.start + mark;
      return;
    }
    const all = this.text();
    this.clear();
    this.str(all.slice(0, mark));
    into.str(all.slice(mark));
  }

  /** Puts s before the text: in the room kept in front when it fits, otherwise by copying. */
  prepend(s: string): void {
    const at = this.start - s.length;
    if (this.chunks.length === 0 && at >= 0) {
      const bytes = this.bytes;
      let i = 0;
      for (; i < s.length; i++) {
        const ch = s.charCodeAt(i);
        if (ch > 0x7f) {
          if (ch > 0xff) break;
          this.ascii = false;
        }
        bytes[at + i] = ch;
      }
      if (i === s.length) { this.start = at; return; }
    }
    if (this.chunks.length === 0 && !/[^\0-\xff]/.test(s)) {
      // no room: a new buffer, s and then the text (copied natively), with the same room after it
      if (/[^\0-\x7f]/.test(s)) this.ascii = false;
      const bigger = Buffer.allocUnsafe(s.length + this.bytes.length - this.start);
      bigger.write(s, 0, 'latin1');
      this.bytes.copy(bigger, s.length, this.start, this.n);
      this.n = s.length + this.n - this.start;
      this.start = 0;
      this.bytes = bigger;
      return;
    }
    const rest = this.text();
    this.chunks.length = 0;
    this.chunkChars = 0;
    this.start = this.n = 0;
    this.str(s);
    this.str(rest);
  }

  /** Appends a non-negative integer in decimal (block numbers: no string for them). */
  num(v: number): void {
    if (v >= 10) this.num(Math.floor(v / 10));
    if (this.n === this.bytes.length) this.grow(1);
    this.bytes[this.n++] = 48 + (v % 10);
  }

  /** Appends what another buffer holds. */
  putBuffer(o: TextBuffer): void {
    if (o.chunks.length > 0) { this.str(o.text()); return; }
    if (!o.ascii) this.ascii = false;
    this.putBytes(o.bytes, o.start, o.n);
  }

  /** Appends ASCII bytes (text another buffer gave as asciiBytes). */
  putBytesOf(bytes: Buffer): void {
    this.putBytes(bytes, 0, bytes.length);
  }

  /** Appends bytes [start, end) of `from`. */
  private putBytes(from: Buffer, start: number, end: number): void {
    const len = end - start;
    if (this.n + len > this.bytes.length) this.grow(len);
    if (len > 64) { from.copy(this.bytes, this.n, start, end); this.n += len; return; }
    // short copies (an expression into its line) are cheaper in a loop than through a native call
    const to = this.bytes;
    let n = this.n;
    for (let i = start; i < end; i++) to[n++] = from[i];
    this.n = n;
  }

  /**
   * The text as bytes when it is all ASCII (the same bytes in every encoding a file or `cc`
   * may assume), without decoding it into a string; otherwise null (use `text`).
   */
  asciiBytes(): Buffer | null {
    return this.chunks.length === 0 && this.ascii ? this.bytes.subarray(this.start, this.n) : null;
  }

  text(): string {
    const tail = this.bytes.toString('latin1', this.start, this.n);
    return this.chunks.length > 0 ? this.chunks.join('') + tail : tail;
  }

  private str(s: string): void {
    const len = s.length;
    if (this.n + len > this.bytes.length) this.grow(len);
    const bytes = this.bytes;
    let n = this.n;
    for (let i = 0; i < len; i++) {
      const ch = s.charCodeAt(i);
      if (ch > 0x7f) {
        this.ascii = false;
        if (ch > 0xff) {
          const head = bytes.toString('latin1', this.start, n), rest = s.slice(i);
          this.chunks.push(head, rest);
          this.chunkChars += head.length + rest.length;
          this.n = this.start;
          return;
        }
      }
      bytes[n++] = ch;
    }
    this.n = n;
  }

  private grow(need: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.n + need));
    this.bytes.copy(bigger, this.start, this.start, this.n);
    this.bytes = bigger;
  }
}

/**
 * Local id -> C name for the function being emitted: an open-addressing table reused for
 * every function of a module (`reset` is O(1) by a generation stamp), where a Map per
 * function allocated its growing hash tables for every local.
 */
export class LocalNames {
  private ids = new Float64Array(64);
  private stamps = new Uint32Array(64);
  private names: string[] = new Array<string>(64).fill('');
  private stamp = 0;

  /** Forgets every entry; `count` locals are to come. */
  reset(count: number): void {
    if (count * 2 > this.ids.length) {
      let cap = this.ids.length;
      while (count * 2 > cap) cap *= 2;
      this.ids = new Float64Array(cap);
      this.stamps = new Uint32Array(cap);
      this.names = new Array<string>(cap).fill('');
      this.stamp = 0;
    }
    this.stamp++;
  }

  set(id: number, name: string): void {
    const mask = this.ids.length - 1;
    let i = Math.imul(id, 0x9e3779b1) >>> 0 & mask;
    while (this.stamps[i] === this.stamp && this.ids[i] !== id) i = (i + 1) & mask;
    this.stamps[i] = this.stamp;
    this.ids[i] = id;
    this.names[i] = name;
  }

  get(id: number): string | undefined {
    const mask = this.ids.length - 1;
    for (let i = Math.imul(id, 0x9e3779b1) >>> 0 & mask; this.stamps[i] === this.stamp; i = (i + 1) & mask) {
      if (this.ids[i] === id) return this.names[i];
    }
    return undefined;
  }
}
