// Splits a stream of text chunks into lines; a line longer than maxLineBytes is cut and flagged.

export interface LineSplitter {
  /** Feeds a chunk; calls onLine for every complete line. */
  push(chunk: string): void;
  /** Emits what is left without a newline (a truncated last line), if anything. */
  end(): void;
}

export function createLineSplitter(onLine: (line: string) => void, maxLineBytes = 64 * 1024): LineSplitter {
  let rest = "";
  return {
    push(chunk) {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf("\n")) >= 0) {
        onLine(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
      if (rest.length > maxLineBytes) {
        // No newline for too long: hand the garbage over (the parser counts it) and start afresh.
        onLine(rest.slice(0, maxLineBytes));
        rest = "";
      }
    },
    end() {
      if (rest.length > 0) onLine(rest);
      rest = "";
    },
  };
}
