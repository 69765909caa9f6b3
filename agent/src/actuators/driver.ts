import type { ActuatorAction, ActuatorState, ActuatorType } from '../../../twin-core/src/messages/command';

/**
 * What drives one actuator: applies an action and reads the actuator's real state back (from the hardware when
 * there is some). Drivers: `gpio` (a Linux GPIO line through the character device), `memory` (no hardware), and the
 * simulator's own.
 */
export type ActuatorDriver = {
  /** The driver's name, as the device declares it in its capabilities. */
  readonly driver: string;
  apply(action: ActuatorAction): Promise<ActuatorState>;
  read(): Promise<ActuatorState>;
};

/** The state an action asks for, on an actuator of `type` that holds levels (a light, a fan) or not (a switch). */
export function requestedState(type: ActuatorType, action: ActuatorAction): ActuatorState {
  if (action.action === 'turn_off') return { on: false, level: type === 'switch' ? null : 0 };
  const level = 'brightness' in action ? action.brightness : 'speed' in action ? action.speed : undefined;
  return { on: true, level: type === 'switch' ? null : (level ?? 100) };
}

/**
 * The no-hardware driver: holds the state in memory (a device without actuators wired yet, tests, the simulator).
 *
 * @example
 * const fan = memoryDriver('fan')
 * await fan.apply({ action: 'turn_on', speed: 50 }) // { on: true, level: 50 }
 */
export function memoryDriver(type: ActuatorType, driver = 'memory'): ActuatorDriver & { state: ActuatorState } {
  const holder = {
    driver,
    state: requestedState(type, { action: 'turn_off' }),
    async apply(action: ActuatorAction) {
      holder.state = requestedState(type, action);
      return { ...holder.state };
    },
    async read() {
      return { ...holder.state };
    },
  };
  return holder;
}
