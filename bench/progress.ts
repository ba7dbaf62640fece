/**
 * A one-line progress bar on stderr, redrawn in place with `\r`:
 *
 *   organizations  [#####.....]  5000/10000
 *
 * It writes only to stderr, so stdout carries nothing but the results table.
 */
export interface Progress {
  /** Sets the number of units done so far and redraws. */
  update(done: number): void;
  /** Draws the bar full and ends the line. */
  finish(): void;
}

const WIDTH = 30;

export function progressBar(label: string, total: number): Progress {
  const digits = String(total).length;
  let last = "";
  const draw = (done: number) => {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * WIDTH);
    const line =
      `${label.padEnd(14)} [${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ` +
      `${String(done).padStart(digits)}/${total}`;
    if (line !== last) process.stderr.write(`\r${line}`);
    last = line;
  };
  draw(0);
  return {
    update: draw,
    finish() {
      draw(total);
      process.stderr.write("\n");
    },
  };
}
