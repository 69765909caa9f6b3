import { isIP } from 'node:net';
import { BlobStoreError, messageOf } from '../errors';

/**
 * A TCP address the node listens on: `/ip4/<address>/tcp/<port>` or `/ip6/<address>/tcp/<port>` (port 0 picks a free
 * one).
 *
 * @example
 * parseListenAddress('/ip4/0.0.0.0/tcp/4001') // { family: 'ip4', host: '0.0.0.0', port: 4001, multiaddr: '/ip4/0.0.0.0/tcp/4001' }
 */
export type ListenAddress = { family: 'ip4' | 'ip6'; host: string; port: number; multiaddr: string };

/**
 * A peer of the private network: where to dial it (an IP address or a DNS name, and a TCP port) and the peer ID it
 * must prove it holds (the connection fails otherwise).
 *
 * @example
 * parsePeerAddress('/dns4/oracle-1/tcp/4001/p2p/12D3KooW…') // { family: 'dns4', host: 'oracle-1', port: 4001, peerId: '12D3KooW…', … }
 */
export type PeerAddress = {
  family: 'ip4' | 'ip6' | 'dns' | 'dns4' | 'dns6';
  host: string;
  port: number;
  peerId: string;
  multiaddr: string;
};

const LISTEN = /^\/(ip4|ip6)\/([^/]+)\/tcp\/(\d{1,5})$/;
const PEER = /^\/(ip4|ip6|dns|dns4|dns6)\/([^/]+)\/tcp\/(\d{1,5})\/p2p\/([^/]+)$/;
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

function port(text: string, where: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > 65_535) {
    throw new BlobStoreError(`${where}: TCP port ${text} is not between ${min} and 65535.`);
  }
  return value;
}

function host(family: string, value: string, where: string): void {
  const ipFamily = family === 'ip4' ? 4 : family === 'ip6' ? 6 : 0;
  if (ipFamily !== 0 && isIP(value) !== ipFamily)
    throw new BlobStoreError(`${where}: "${value}" is not an IPv${ipFamily} address.`);
  if (ipFamily === 0 && !DNS_NAME.test(value)) throw new BlobStoreError(`${where}: "${value}" is not a DNS name.`);
}

/**
 * Parses a listen address. Only TCP over IPv4 or IPv6 is accepted: the private network has no other transport.
 *
 * @throws BlobStoreError naming the address and what is wrong
 * @example
 * parseListenAddress('/ip4/127.0.0.1/tcp/4001')
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = LISTEN.exec(text.trim());
  if (!match) {
    throw new BlobStoreError(
      `Listen address "${text}" is not /ip4/<address>/tcp/<port> or /ip6/<address>/tcp/<port> (TCP is the only transport).`,
    );
  }
  const [, family, address, portText] = match as unknown as [string, 'ip4' | 'ip6', string, string];
  host(family, address, `Listen address "${text}"`);
  const value = port(portText, `Listen address "${text}"`, 0);
  return { family, host: address, port: value, multiaddr: `/${family}/${address}/tcp/${value}` };
}

/**
 * Parses a peer's address: `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/p2p/<peer ID>`. The peer ID is required: it is
 * what the connection authenticates (the remote must hold its private key).
 *
 * @throws BlobStoreError naming the address and what is wrong
 * @example
 * parsePeerAddress('/ip4/10.0.0.2/tcp/4001/p2p/12D3KooWH5SYQjrhgHB8VmdrA5weKcs2agSX3NosqkULpG3YjRyA')
 */
export function parsePeerAddress(text: string): PeerAddress {
  const match = PEER.exec(text.trim());
  if (!match) {
    throw new BlobStoreError(
      `Peer address "${text}" is not /ip4|ip6|dns4|dns6|dns/<host>/tcp/<port>/p2p/<peer ID> (the peer ID is required).`,
    );
  }
  const [, family, address, portText, peerId] = match as unknown as [
    string,
    PeerAddress['family'],
    string,
    string,
    string,
  ];
  host(family, address, `Peer address "${text}"`);
  const value = port(portText, `Peer address "${text}"`, 1);
  // Loaded only when peers are configured: a store without networking never loads libp2p.
  const { peerIdFromString } = require('@libp2p/peer-id') as typeof import('@libp2p/peer-id');
  let canonical: string;
  try {
    canonical = peerIdFromString(peerId).toString();
  } catch (error) {
    throw new BlobStoreError(`Peer address "${text}": "${peerId}" is not a peer ID.`, { details: messageOf(error) });
  }
  return {
    family,
    host: address,
    port: value,
    peerId: canonical,
    multiaddr: `/${family}/${address}/tcp/${value}/p2p/${canonical}`,
  };
}
