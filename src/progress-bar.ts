// A one-line progress bar for a terminal, redrawn in place.
export interface ProgressBar {
  update(label: string, done: number, total: number, detail?: string): void;
  done(): void;
}

export function createProgressBar(stream: NodeJS.WriteStream, width = 30): ProgressBar {
  let drawn = false;
  return {
    update(label, done, total, detail = '') {
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const filled = Math.round(fraction * width);
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${label} ${done}/${total} ${detail}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
