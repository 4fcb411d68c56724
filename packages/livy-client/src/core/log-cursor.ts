// Incremental reading of a Livy log. Livy serves a batch's log as a window of lines
// (`GET /batches/{id}/log?from=&size=` → `{ from, total, log }`), but the server keeps only a
// bounded buffer (livy.cache-log.size) and real Livy lays the log out as a stdout section followed
// by a stderr section, so an index is not a stable address of a line. The cursor therefore
// re-reads a few lines it already emitted and checks they are still where it left them; if not,
// it realigns on the newest window by matching the lines it saw last.

/** What the cursor remembers between polls. */
export interface LogCursorState {
  /** Index in the server's log of the next line not yet emitted, assuming the log only grew. */
  readonly offset: number;
  /** The last lines emitted (at most {@link LOG_TAIL_KEEP}), used to verify and realign. */
  readonly tail: readonly string[];
  /**
   * Set once the server's buffer was seen rotating (full): from then on the log may change
   * without growing, so each poll verifies the whole remembered tail, not just a few lines.
   */
  readonly full?: boolean;
  /** Set while a self-repeating window cannot tell how many repeats were dropped. */
  readonly ambiguous?: boolean;
}

/** A window of log lines as the server returns it. */
export interface LogPage {
  from: number;
  total: number;
  log: readonly string[];
}

/** Lines re-read on each poll to check the log did not shift. */
export const LOG_OVERLAP = 3;
/** Lines remembered for realignment. */
export const LOG_TAIL_KEEP = 20;

/** A cursor at the start of a log. */
export const initialLogCursor: LogCursorState = { offset: 0, tail: [] };

/** The `from`/`size` of the next page to ask for. */
export function nextLogRequest(
  state: LogCursorState,
  pageSize: number,
): { from: number; size: number } {
  const overlap = Math.min(
    state.full ? LOG_TAIL_KEEP : LOG_OVERLAP,
    state.tail.length,
    state.offset,
  );
  return { from: state.offset - overlap, size: pageSize + overlap };
}

function remember(tail: readonly string[], lines: readonly string[]): string[] {
  return [...tail, ...lines].slice(-LOG_TAIL_KEEP);
}

/**
 * Applies a page fetched with {@link nextLogRequest}. Returns the new lines and whether more are
 * waiting on the server, or `undefined` when the log no longer extends what was emitted (the
 * buffer rotated or the layout changed): then fetch the newest window and call {@link realignLog}.
 */
export function applyLogPage(
  state: LogCursorState,
  page: LogPage,
): { state: LogCursorState; lines: string[]; more: boolean; gap: boolean } | undefined {
  const overlap = state.offset - page.from;
  if (overlap < 0 || overlap > state.tail.length || page.total < state.offset) return undefined;
  if (page.log.length < overlap) return undefined;
  for (let i = 0; i < overlap; i++) {
    if (page.log[i] !== state.tail[state.tail.length - overlap + i]) return undefined;
  }
  const lines = page.log.slice(overlap);
  const offset = page.from + page.log.length;
  // Lines are addressed by index, and a bounded buffer shifts indexes as it rotates: when the
  // verified window repeats one pattern (a job printing the same line again and again) and the
  // new lines only continue it, any number of repeats may have been dropped unseen. That cannot
  // be excluded, so it is reported as a gap, once per such stretch.
  const ambiguous = overlap > 1 && continuesPeriod(page.log.slice(0, overlap), lines);
  return {
    state: {
      offset,
      tail: remember(state.tail, lines),
      ...(state.full ? { full: true } : {}),
      ...(ambiguous ? { ambiguous: true } : {}),
    },
    lines,
    more: lines.length > 0 && offset < page.total,
    gap: ambiguous && !state.ambiguous,
  };
}

/**
 * Whether `window` repeats with a period shorter than itself and `next` only continues that
 * repetition.
 */
function continuesPeriod(window: readonly string[], next: readonly string[]): boolean {
  for (let period = 1; period < window.length; period++) {
    const sequence = [...window, ...next];
    let repeats = true;
    for (let i = period; i < sequence.length && repeats; i++) {
      repeats = sequence[i] === sequence[i - period];
    }
    if (repeats) return true;
  }
  return false;
}

/**
 * Finds where the emitted lines end inside the newest window and returns what follows. When no
 * emitted line is found, the whole window is returned and `gap` is true: lines between the two
 * were dropped by the server's bounded buffer.
 */
export function realignLog(
  state: LogCursorState,
  page: LogPage,
): { state: LogCursorState; lines: string[]; gap: boolean } {
  const window = page.log;
  let best = 0;
  let bestEnd = -1;
  // Longest suffix of the tail that occurs in the window; on ties the latest occurrence wins.
  for (let end = 1; end <= window.length; end++) {
    let match = 0;
    while (
      match < state.tail.length &&
      match < end &&
      window[end - 1 - match] === state.tail[state.tail.length - 1 - match]
    ) {
      match++;
    }
    if (match > 0 && match >= best) {
      best = match;
      bestEnd = end;
    }
  }
  const lines = bestEnd >= 0 ? window.slice(bestEnd) : [...window];
  return {
    state: { offset: page.from + window.length, tail: remember(state.tail, lines), full: true },
    lines,
    gap: bestEnd < 0 && state.tail.length > 0,
  };
}

// Real Livy serves a batch log as sections: `stdout: `, the stdout lines, `\nstderr: `, the
// stderr lines (and on YARN `\nYARN Diagnostics: ` and the diagnostics). Stdout lines are inserted
// before the stderr section, so one index cursor over the whole log would miss them. A sectioned
// log is followed with one cursor per section over the whole (bounded) log instead.

const SECTION_HEADER = /^\n?(stdout|stderr|YARN Diagnostics): ?$/;
/** The section YARN replaces instead of appending to. */
const REPLACED_SECTION = "YARN Diagnostics";

/** One section of a Livy batch log. */
export interface LogSection {
  name: string;
  lines: string[];
}

/** Splits a log in Livy's section layout; `undefined` when the log is not laid out that way. */
export function splitLogSections(lines: readonly string[]): LogSection[] | undefined {
  if (lines.length === 0 || !SECTION_HEADER.test(lines[0]!)) return undefined;
  const sections: LogSection[] = [];
  for (const line of lines) {
    const header = SECTION_HEADER.exec(line);
    if (header) sections.push({ name: header[1]!, lines: [] });
    else sections.at(-1)!.lines.push(line);
  }
  return sections;
}

/** Cursor state of a sectioned log: one {@link LogCursorState} per section name. */
export type SectionedLogCursorState = Readonly<Record<string, LogCursorState>>;

/**
 * Applies a complete sectioned log (every line from 0): returns the new lines of every section,
 * in section order, and whether some section dropped lines the cursor had not seen.
 */
export function applySectionedLog(
  state: SectionedLogCursorState,
  sections: readonly LogSection[],
): { state: SectionedLogCursorState; lines: string[]; gap: boolean } {
  const next: Record<string, LogCursorState> = { ...state };
  const lines: string[] = [];
  let gap = false;
  for (const section of sections) {
    const current = state[section.name] ?? initialLogCursor;
    if (section.name === REPLACED_SECTION) {
      // YARN rewrites its diagnostics as a whole on each report: a new text is delivered whole
      // when it changes, and a replaced text is not a gap.
      const same =
        current.tail.length === section.lines.length &&
        current.tail.every((line, i) => line === section.lines[i]);
      if (!same) lines.push(...section.lines);
      next[section.name] = { offset: section.lines.length, tail: [...section.lines] };
      continue;
    }
    const { from } = nextLogRequest(current, 0);
    const page = { from, total: section.lines.length, log: section.lines.slice(from) };
    const applied = applyLogPage(current, page);
    if (applied) {
      next[section.name] = applied.state;
      gap ||= applied.gap;
      lines.push(...applied.lines);
      continue;
    }
    const realigned = realignLog(current, {
      from: 0,
      total: section.lines.length,
      log: section.lines,
    });
    next[section.name] = realigned.state;
    gap ||= realigned.gap;
    lines.push(...realigned.lines);
  }
  return { state: next, lines, gap };
}
