/**
 * Fixed tables the virtual devices are drawn from: realistic single-board computers and their operating systems,
 * the roles (which sensors a device carries) and the processes a small Linux device runs.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** An operating system image a board runs. */
export type OsImage = { name: string; version: string; release: string; kernelVersion: string; family: string };

/** One board revision: revision, board code and installed memory. */
export type BoardVariant = { revision: string; revisionCode?: string; memoryBytes: number };

/** A board model with its variants and the images it runs. */
export type BoardModel = {
  weight: number;
  manufacturer: string;
  model: string;
  architecture: string;
  cpuModel: string;
  cpuCores: number;
  /** `pi`: 16 hex digits starting 10000000 / 00000000 as /proc/cpuinfo shows; `alnum`: a maker's label serial. */
  serialStyle: 'pi' | 'alnum';
  variants: readonly BoardVariant[];
  images: readonly OsImage[];
};

const BOOKWORM_V7L: OsImage = {
  name: 'Raspberry Pi OS',
  version: '12 (bookworm)',
  release: '6.6.51+rpt-rpi-v7l',
  kernelVersion: '#1 SMP Raspbian 1:6.6.51-1+rpt3 (2024-10-08)',
  family: 'debian',
};
const BULLSEYE_V7L: OsImage = {
  name: 'Raspberry Pi OS',
  version: '11 (bullseye)',
  release: '6.1.21-v7l+',
  kernelVersion: '#1642 SMP Mon Apr  3 17:22:30 BST 2023',
  family: 'debian',
};
const BOOKWORM_V7: OsImage = { ...BOOKWORM_V7L, release: '6.6.51+rpt-rpi-v7' };

/** The boards virtual devices are drawn from, weighted towards seed 001's Raspberry Pi 4 on 32-bit Raspberry Pi OS. */
export const BOARD_MODELS: readonly BoardModel[] = [
  {
    weight: 50,
    manufacturer: 'Raspberry Pi Ltd',
    model: 'Raspberry Pi 4 Model B',
    architecture: 'armv7l',
    cpuModel: 'ARMv7 Processor rev 3 (v7l)',
    cpuCores: 4,
    serialStyle: 'pi',
    variants: [
      { revision: '1.4', revisionCode: 'b03114', memoryBytes: 2 * GiB },
      { revision: '1.4', revisionCode: 'c03114', memoryBytes: 4 * GiB },
      { revision: '1.5', revisionCode: 'c03115', memoryBytes: 4 * GiB },
      { revision: '1.5', revisionCode: 'd03115', memoryBytes: 8 * GiB },
    ],
    images: [BOOKWORM_V7L, BOOKWORM_V7L, BULLSEYE_V7L],
  },
  {
    weight: 15,
    manufacturer: 'Raspberry Pi Ltd',
    model: 'Raspberry Pi 3 Model B Plus',
    architecture: 'armv7l',
    cpuModel: 'ARMv7 Processor rev 4 (v7l)',
    cpuCores: 4,
    serialStyle: 'pi',
    variants: [{ revision: '1.3', revisionCode: 'a020d3', memoryBytes: 1 * GiB }],
    images: [BOOKWORM_V7, { ...BULLSEYE_V7L, release: '6.1.21-v7+' }],
  },
  {
    weight: 12,
    manufacturer: 'Raspberry Pi Ltd',
    model: 'Raspberry Pi Zero 2 W',
    architecture: 'armv7l',
    cpuModel: 'ARMv7 Processor rev 4 (v7l)',
    cpuCores: 4,
    serialStyle: 'pi',
    variants: [{ revision: '1.0', revisionCode: '902120', memoryBytes: 512 * MiB }],
    images: [BOOKWORM_V7],
  },
  {
    weight: 8,
    manufacturer: 'Raspberry Pi Ltd',
    model: 'Raspberry Pi 5 Model B',
    architecture: 'aarch64',
    cpuModel: 'Cortex-A76',
    cpuCores: 4,
    serialStyle: 'pi',
    variants: [
      { revision: '1.0', revisionCode: 'c04170', memoryBytes: 4 * GiB },
      { revision: '1.0', revisionCode: 'd04170', memoryBytes: 8 * GiB },
    ],
    images: [
      {
        ...BOOKWORM_V7L,
        release: '6.6.51+rpt-rpi-2712',
        kernelVersion: '#1 SMP PREEMPT Debian 1:6.6.51-1+rpt3 (2024-10-08)',
      },
    ],
  },
  {
    weight: 8,
    manufacturer: 'BeagleBoard.org',
    model: 'BeagleBone Black',
    architecture: 'armv7l',
    cpuModel: 'ARMv7 Processor rev 2 (v7l)',
    cpuCores: 1,
    serialStyle: 'alnum',
    variants: [{ revision: 'C', memoryBytes: 512 * MiB }],
    images: [
      {
        name: 'Debian GNU/Linux',
        version: '11 (bullseye)',
        release: '5.10.168-ti-r71',
        kernelVersion: '#1bullseye SMP PREEMPT Tue Sep 26 12:06:34 UTC 2023',
        family: 'debian',
      },
    ],
  },
  {
    weight: 7,
    manufacturer: 'NVIDIA',
    model: 'Jetson Nano Developer Kit',
    architecture: 'aarch64',
    cpuModel: 'ARMv8 Processor rev 1 (v8l)',
    cpuCores: 4,
    serialStyle: 'alnum',
    variants: [{ revision: 'B01', memoryBytes: 4 * GiB }],
    images: [
      {
        name: 'Ubuntu',
        version: '18.04.6 LTS (Bionic Beaver)',
        release: '4.9.337-tegra',
        kernelVersion: '#1 SMP PREEMPT Thu Jun 8 21:19:14 PDT 2023',
        family: 'debian',
      },
    ],
  },
];

/** A sensor a role carries: its reading's name, unit, source and the range it moves in over a day. */
export type SensorSpec = { name: string; unit: string; source: string; low: number; high: number; noise: number };

/** What a device does in the field: which sensors it reads and how chatty it is on the network. */
export type Role = {
  weight: number;
  name: string;
  sensors: readonly SensorSpec[];
  /** Range of the mean packet rate (in + out) the device's baseline is drawn from, packets/s. */
  packetRate: readonly [number, number];
  /** The role's own program, as the process table shows it. */
  program: { name: string; command: string; user: string };
};

/** The roles virtual devices are drawn from. */
export const ROLES: readonly Role[] = [
  {
    weight: 35,
    name: 'weather',
    sensors: [
      { name: 'air_temperature', unit: '°C', source: 'plugin:bme280', low: 6, high: 24, noise: 0.2 },
      { name: 'wind_speed', unit: 'm/s', source: 'plugin:anemometer', low: 0.5, high: 9, noise: 1.2 },
    ],
    packetRate: [6, 40],
    program: { name: 'python3', command: 'python3 /opt/weather/station.py --interval 1', user: 'pi' },
  },
  {
    weight: 30,
    name: 'soil',
    sensors: [
      { name: 'soil_moisture', unit: '%', source: 'plugin:soil-moisture', low: 22, high: 41, noise: 0.4 },
      { name: 'soil_temperature', unit: '°C', source: 'plugin:ds18b20', low: 9, high: 17, noise: 0.1 },
    ],
    packetRate: [3, 20],
    program: { name: 'soil-logger', command: '/usr/local/bin/soil-logger -c /etc/soil-logger.toml', user: 'pi' },
  },
  {
    weight: 25,
    name: 'environment',
    sensors: [
      { name: 'humidity', unit: '%', source: 'plugin:bme280', low: 38, high: 72, noise: 0.8 },
      { name: 'pressure', unit: 'hPa', source: 'plugin:bme280', low: 1004, high: 1019, noise: 0.3 },
    ],
    packetRate: [5, 30],
    program: { name: 'node-red', command: 'node-red --max-old-space-size=256', user: 'nodered' },
  },
  {
    weight: 10,
    name: 'gateway',
    sensors: [{ name: 'enclosure_temperature', unit: '°C', source: 'plugin:sht31', low: 18, high: 34, noise: 0.2 }],
    packetRate: [40, 160],
    program: { name: 'mosquitto', command: '/usr/sbin/mosquitto -c /etc/mosquitto/mosquitto.conf', user: 'mosquitto' },
  },
];

/**
 * Every `manufacturer` the virtual devices' identities name: the brands a manufacturer must hold in the entity
 * registry to mint their twins.
 */
export const SIMULATED_MANUFACTURERS: readonly string[] = [...new Set(BOARD_MODELS.map((board) => board.manufacturer))];
