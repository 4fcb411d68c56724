/**
 * How a batch log is laid out. `"interleaved"`: stdout and stderr lines in arrival order (easy to
 * read). `"sections"`: like Livy's local and YARN batches, a `stdout: ` line, the stdout lines, a
 * `\nstderr: ` line and the stderr lines, each stream capped separately, so line numbers shift as
 * the job writes; use it to test a client against the real layout.
 */
export type LogLayout = "interleaved" | "sections";

/**
 * A bounded line buffer, like Livy's `livy.cache-log.size`: keeps the newest `capacity` lines (per
 * stream in the `sections` layout) and splits incoming chunks on newlines, holding back an
 * unfinished last line until it completes.
 */
export class LineBuffer {
  readonly #streams = new Map<string, string[]>([
    ["stdout", []],
    ["stderr", []],
  ]);
  readonly #interleaved: string[] = [];
  readonly #partial = new Map<string, string>();

  constructor(
    readonly capacity: number,
    readonly layout: LogLayout = "interleaved",
  ) {}

  /** Appends a chunk from the named stream (stdout and stderr keep separate partial lines). */
  write(stream: "stdout" | "stderr", chunk: string): void {
    const text = (this.#partial.get(stream) ?? "") + chunk;
    const parts = text.split(/\r?\n/);
    this.#partial.set(stream, parts.pop() ?? "");
    for (const line of parts) this.#append(stream, line);
  }

  /** Flushes unfinished lines (at process exit). */
  flush(): void {
    for (const [stream, rest] of this.#partial) {
      if (rest !== "") this.#append(stream as "stdout" | "stderr", rest);
      this.#partial.set(stream, "");
    }
  }

  /** Appends one whole line written by the server itself (to stderr in the sections layout). */
  push(line: string): void {
    this.#append("stderr", line);
  }

  #append(stream: "stdout" | "stderr", line: string): void {
    const target = this.layout === "sections" ? this.#streams.get(stream)! : this.#interleaved;
    target.push(line);
    if (target.length > this.capacity) target.splice(0, target.length - this.capacity);
  }

  /** The log as served, oldest first. */
  get lines(): readonly string[] {
    if (this.layout === "interleaved") return this.#interleaved;
    return [
      "stdout: ",
      ...this.#streams.get("stdout")!,
      "\nstderr: ",
      ...this.#streams.get("stderr")!,
    ];
  }
}
