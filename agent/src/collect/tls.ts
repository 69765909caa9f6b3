import { isIP } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { z } from 'zod';
import type { tlsServerSchema } from '../../../twin-core/src/messages/snapshot';
import type { CollectOptions, TlsServer } from './context';
import { errorMessage } from './read';

/** What the TLS probe reports for one server. */
export type TlsServerReport = z.output<typeof tlsServerSchema>;

/** A certificate name (`{ CN: 'example.com', O: ['A', 'B'] }`) as one line: `CN=example.com, O=A, O=B`. */
export function formatDistinguishedName(name: Record<string, string | string[] | undefined> | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .flatMap(([key, value]) =>
      (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((part) => `${key}=${part}`),
    )
    .join(', ')
    .slice(0, 512);
}

/** The certificate part of a report from node's peer certificate (null when the server sent none). */
export function certificateReport(certificate: PeerCertificate | undefined): TlsServerReport['certificate'] {
  if (!certificate || Object.keys(certificate).length === 0) return null;
  const bits = (certificate as PeerCertificate & { bits?: number }).bits;
  return {
    subject: formatDistinguishedName(certificate.subject as unknown as Record<string, string | string[]>),
    issuer: formatDistinguishedName(certificate.issuer as unknown as Record<string, string | string[]>),
    validFrom: String(certificate.valid_from ?? '').slice(0, 64),
    validTo: String(certificate.valid_to ?? '').slice(0, 64),
    serialNumber: String(certificate.serialNumber ?? '').slice(0, 128),
    fingerprint256: String(certificate.fingerprint256 ?? '').slice(0, 128),
    publicKeyBits: typeof bits === 'number' && Number.isInteger(bits) && bits >= 0 ? bits : null,
  };
}

/** A report for a server the agent could not reach or handshake with. */
function failed(server: TlsServer, error: string): TlsServerReport {
  return {
    host: server.host.slice(0, 253),
    port: server.port,
    peerAddress: null,
    protocol: null,
    cipher: null,
    certificate: null,
    authorized: false,
    error: error.slice(0, 256),
  };
}

/**
 * Connects to one TLS server and reports what the handshake agreed (seed 001 IV.17–18): protocol, cipher, the
 * server's certificate (subject, issuer, validity, serial, SHA-256 fingerprint, key size) and whether it chains
 * to a trusted CA. The certificate is read even when untrusted (the reason is in `error`); a connection failure or
 * a handshake that takes longer than `timeoutMs` is reported in `error`, never thrown.
 */
export function probeTlsServer(server: TlsServer, timeoutMs: number): Promise<TlsServerReport> {
  return new Promise((resolve) => {
    let settled = false;
    let socket: TLSSocket | undefined;
    const finish = (report: TlsServerReport) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(report);
    };
    const timer = setTimeout(() => finish(failed(server, `TLS handshake timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref?.();
    const servername = server.servername ?? (isIP(server.host) === 0 ? server.host : undefined);
    try {
      // node:tls only when a server is configured: it costs a device 3 MiB (issue 17).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { connect } = require('node:tls') as typeof import('node:tls');
      socket = connect({ host: server.host, port: server.port, servername, rejectUnauthorized: false });
    } catch (error) {
      finish(failed(server, errorMessage(error)));
      return;
    }
    socket.once('secureConnect', () => {
      const tls = socket!;
      const cipher = tls.getCipher();
      const authorizationError = tls.authorizationError ? String(tls.authorizationError) : null;
      finish({
        host: server.host.slice(0, 253),
        port: server.port,
        peerAddress: tls.remoteAddress?.slice(0, 64) ?? null,
        protocol: tls.getProtocol()?.slice(0, 16) ?? null,
        cipher: cipher
          ? {
              name: cipher.name.slice(0, 128),
              standardName: (cipher as { standardName?: string }).standardName?.slice(0, 128) ?? null,
              version: cipher.version.slice(0, 32),
            }
          : null,
        certificate: certificateReport(tls.getPeerCertificate()),
        authorized: tls.authorized,
        error: authorizationError === null ? null : `certificate not trusted: ${authorizationError}`.slice(0, 256),
      });
    });
    socket.once('error', (error) => finish(failed(server, errorMessage(error))));
  });
}

/**
 * TLS probe: every configured server concurrently, each with 80% of the probe timeout so a slow server is an
 * entry with an `error`, not an unavailable probe.
 */
export async function readTlsServers(options: CollectOptions): Promise<TlsServerReport[]> {
  const timeoutMs = Math.max(1, Math.floor(options.probeTimeoutMs * 0.8));
  return Promise.all(options.tlsServers.map((server) => probeTlsServer(server, timeoutMs)));
}
