// A reporter that ends the run with every test skipped for a reason (`context.skip(reason)`), so a
// test that could not run here says why in the summary instead of passing silently.
import type { Reporter, TestModule } from 'vitest/node';

export default class SkipReasons implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'skipped' && result.note) lines.push(`  ${module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}\n    skipped: ${result.note}`);
      }
    }
    if (lines.length) process.stdout.write(`\nSkipped, with the reason:\n${lines.join('\n')}\n`);
  }
}
