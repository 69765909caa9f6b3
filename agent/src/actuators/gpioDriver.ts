import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ActuatorAction, ActuatorState, ActuatorType } from '../../../twin-core/src/messages/command';
import { requestedState, type ActuatorDriver } from './driver';

const run = promisify(execFile);

/** Parameters of {@link gpioDriver}. */
export type GpioDriverParameters = {
  type: ActuatorType;
  /** The GPIO chip: a name (`gpiochip0`), a path (`/dev/gpiochip0`) or a label. */
  chip: string;
  /** The line offset on the chip. */
  line: number;
  /** The line is active low (on = 0). */
  activeLow: boolean;
  /** Longest one gpioset/gpioget may run, ms. */
  timeoutMs: number;
};

type Tools = { version: 1 | 2 };

async function detectTools(): Promise<Tools> {
  const { stdout } = await run('gpioset', ['--version'], { timeout: 2_000 });
  return { version: /v2\./.test(stdout) ? 2 : 1 };
}

/**
 * A Linux GPIO line as an on/off actuator, through the kernel's character device with Debian's `gpiod` tools
 * (libgpiod v1 or v2: `gpioset` and `gpioget`). A line has no level: a light or fan on it reports level 100 when on,
 * 0 when off. The state is read back with `gpioget` (v2 `--as-is`, which leaves the line an output; v1 cannot read an
 * output without making it an input, so it reports what `gpioset` last set successfully).
 *
 * @example
 * const relay = gpioDriver({ type: 'switch', chip: 'gpiochip0', line: 17, activeLow: false, timeoutMs: 2000 })
 * await relay.apply({ action: 'turn_on' }) // { on: true, level: null }
 */
export function gpioDriver(parameters: GpioDriverParameters): ActuatorDriver {
  let tools: Promise<Tools> | undefined;
  let lastSet: boolean | undefined;
  const stateOf = (on: boolean): ActuatorState => ({
    on,
    level: parameters.type === 'switch' ? null : on ? 100 : 0,
  });
  const chipArgs = async () => ((await (tools ??= detectTools())).version === 2 ? ['-c', parameters.chip] : [parameters.chip]);

  async function read(): Promise<ActuatorState> {
    const { version } = await (tools ??= detectTools());
    if (version === 1) return stateOf(lastSet ?? false);
    const { stdout } = await run(
      'gpioget',
      [...(parameters.activeLow ? ['-l'] : []), '--as-is', '--numeric', ...(await chipArgs()), String(parameters.line)],
      { timeout: parameters.timeoutMs },
    );
    return stateOf(stdout.trim() === '1');
  }

  return {
    driver: 'gpio',
    async apply(action: ActuatorAction) {
      const on = requestedState(parameters.type, action).on;
      const { version } = await (tools ??= detectTools());
      await run(
        'gpioset',
        [
          ...(parameters.activeLow ? ['-l'] : []),
          ...(version === 2 ? ['-t0'] : []),
          ...(await chipArgs()),
          `${parameters.line}=${on ? 1 : 0}`,
        ],
        { timeout: parameters.timeoutMs },
      );
      lastSet = on;
      return read();
    },
    read,
  };
}
