/**
 * A bounded line buffer, like Livy's `livy.cache-log.size`: keeps the newest `capacity` lines and
 * splits incoming chunks on newlines, holding back an unfinished last line until it completes.
 */
export class LineBuffer {
  readonly #lines: string[] = [];
  readonly #partial = new Map<string, string>();

  constructor(readonly capacity: number) {}

  /** Appends a chunk from the named stream (stdout and stderr keep separate partial lines). */
  write(stream: string, chunk: string): void {
    const text = (this.#partial.get(stream) ?? "") + chunk;
    const parts = text.split(/\r?\n/);
    this.#partial.set(stream, parts.pop() ?? "");
    for (const line of parts) this.push(line);
  }

  /** Flushes unfinished lines (at process exit). */
  flush(): void {
    for (const [stream, rest] of this.#partial) {
      if (rest !== "") this.push(rest);
      this.#partial.set(stream, "");
    }
  }

  /** Appends one whole line. */
  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.capacity)
      this.#lines.splice(0, this.#lines.length - this.capacity);
  }

  /** The buffered lines, oldest first. */
  get lines(): readonly string[] {
    return this.#lines;
  }
}
