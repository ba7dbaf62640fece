/**
 * Cleanup steps of a benchmark run (the scratch database, the servers, the
 * connections, the embedded server), run last-in first-out, once, whatever
 * happened: at the end, on failure and on Ctrl-C.
 */
export class Cleanup {
  private readonly steps: Array<{ label: string; fn: () => Promise<void> }> = [];
  private running?: Promise<void>;
  private readonly log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.log = log;
  }

  /** Registers a step; the returned function runs it now (and only once). */
  add(label: string, fn: () => Promise<void>): () => Promise<void> {
    const step = { label, fn };
    if (this.running) {
      void this.runStep(step);
      return () => Promise.resolve();
    }
    this.steps.push(step);
    return async () => {
      const index = this.steps.indexOf(step);
      if (index < 0) return;
      this.steps.splice(index, 1);
      await this.runStep(step);
    };
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) await this.runStep(step);
    })();
    return this.running;
  }

  private async runStep(step: { label: string; fn: () => Promise<void> }): Promise<void> {
    try {
      await step.fn();
    } catch (e) {
      this.log(`could not ${step.label}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
