import type { SerializedError } from 'vitest';
import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';

/** The first line of an error's message, for a one-line listing. */
function firstLine(error: { message?: string; name?: string } | undefined): string {
  const text = error?.message ?? error?.name ?? 'unknown error';
  return text.split('\n', 1)[0]!.slice(0, 300);
}

/**
 * Prints a plain closing block for CI logs (whose viewers may show only the end of a long run):
 * every failed test, every file that failed outside a test (a hook, an import) and every unhandled
 * error, each on one line, then `N passed, N failed, N skipped`.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: readonly TestModule[],
    unhandledErrors: readonly SerializedError[],
    reason: TestRunEndReason,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const lines: string[] = [];
    for (const module of testModules) {
      for (const error of module.errors()) {
        lines.push(`FAILED FILE ${module.relativeModuleId}: ${firstLine(error)}`);
      }
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') {
          failed++;
          lines.push(`FAILED ${module.relativeModuleId} > ${test.fullName}: ${firstLine(result.errors?.[0])}`);
        } else skipped++;
      }
    }
    for (const error of unhandledErrors) lines.push(`UNHANDLED ERROR: ${firstLine(error)}`);
    if (reason === 'interrupted') lines.push('the run was interrupted');
    if (lines.length > 0) console.log(`\n${lines.join('\n')}`);
    console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
