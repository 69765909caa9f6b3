import { inspect } from 'node:util';
import { HardhatError, HardhatPluginError } from 'hardhat/internal/core/errors';

/** What Hardhat prints under a task's error when it shows no stack trace. */
export const STACK_TRACE_HINT = 'For more info run hardhat with --show-stack-traces';

/**
 * Makes a failing command print its error's message and no stack trace, whatever Hardhat believes about CI: Hardhat
 * prints the stack of every error when it thinks it runs in CI, and it thinks so on any Linux machine without a
 * display (`DISPLAY` unset). Hardhat's own errors and the tasks' errors then print as on a desktop: the message and
 * the hint to `--show-stack-traces`, which (or `HARDHAT_SHOW_STACK_TRACES=true`) still shows the stack. Unexpected
 * errors (bugs) keep their stack. Called once, from hardhat.config.ts.
 *
 * @example
 * printErrorsWithoutStackTraces(process.argv, process.env)
 */
export function printErrorsWithoutStackTraces(argv: string[], environment: NodeJS.ProcessEnv): void {
  if (argv.includes('--show-stack-traces') || environment.HARDHAT_SHOW_STACK_TRACES === 'true') return;
  for (const type of [HardhatError, HardhatPluginError]) {
    // Hardhat's CLI prints `console.error(error)` for the stack, which formats the error with util.inspect.
    Object.defineProperty(type.prototype, inspect.custom, {
      value: () => STACK_TRACE_HINT,
      configurable: true,
      writable: true,
    });
  }
}
