import type { ActuatorAction, ActuatorType, Capabilities } from '../../../twin-core/src/messages/command';
import type { ActuatorConfig } from '../configSchema';
import { memoryDriver, type ActuatorDriver } from './driver';
import { gpioDriver } from './gpioDriver';

/** A device's actuators by name, each with its type and driver. */
export type Actuators = {
  /** The capabilities' `actuators`: each with the state last read from its driver. */
  describe(): Capabilities['actuators'];
  /** Applies an action to the named actuator and answers its state read back. */
  actuate(name: string, action: ActuatorAction): Promise<Record<string, unknown>>;
};

/**
 * Builds a device's actuators from its configuration (`gpio` or `memory` drivers), or from drivers given directly
 * (the simulator's).
 *
 * @example
 * const actuators = createActuators([{ name: 'fan', type: 'fan', driver: 'memory' }])
 * await actuators.actuate('fan', { action: 'turn_on', speed: 60 })
 */
export function createActuators(
  configs: readonly (ActuatorConfig | { name: string; type: ActuatorType; use: ActuatorDriver })[],
  timeoutMs = 2_000,
): Actuators {
  const entries = configs.map((config) => {
    const driver =
      'use' in config
        ? config.use
        : config.driver === 'gpio'
          ? gpioDriver({ type: config.type, chip: config.chip, line: config.line, activeLow: config.activeLow, timeoutMs })
          : memoryDriver(config.type);
    return { name: config.name, type: config.type, driver, state: { on: false, level: config.type === 'switch' ? null : 0 } };
  });
  return {
    describe: () => entries.map(({ name, type, driver, state }) => ({ name, type, driver: driver.driver, state: { ...state } })),
    async actuate(name, action) {
      const entry = entries.find((item) => item.name === name);
      if (entry === undefined) throw new Error(`no actuator "${name}"`);
      entry.state = await entry.driver.apply(action);
      return { actuator: name, state: { ...entry.state } };
    },
  };
}
