import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files of a throw-away test PKI: a CA, a server certificate for 127.0.0.1 and a device client certificate. */
export type TestPki = {
  directory: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A client certificate from another CA, which the broker must refuse. */
  strangerCertFile: string;
  strangerKeyFile: string;
};

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function issue(cwd: string, name: string, subject: string, caName: string, extensions: string): void {
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`],
    cwd,
  );
  writeFileSync(join(cwd, `${name}.ext`), extensions);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${caName}.crt`,
      '-CAkey',
      `${caName}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    cwd,
  );
}

/**
 * Generates a test PKI with the openssl command (Debian's openssl package), keys unencrypted in a temp directory.
 *
 * @example
 * const pki = createTestPki(); startMosquitto({ tls: { caFile: pki.caFile, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } })
 */
export function createTestPki(): TestPki {
  const directory = mkdtempSync(join(tmpdir(), 'pki-'));
  for (const ca of ['ca', 'stranger-ca']) {
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.crt`,
        '-days',
        '2',
        '-subj',
        `/CN=Twin Test ${ca}`,
      ],
      directory,
    );
  }
  issue(
    directory,
    'server',
    '/CN=127.0.0.1',
    'ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  issue(directory, 'client', '/CN=device-0001', 'ca', 'extendedKeyUsage=clientAuth\n');
  issue(directory, 'stranger', '/CN=intruder', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  const file = (name: string) => join(directory, name);
  return {
    directory,
    caFile: file('ca.crt'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.crt'),
    clientKeyFile: file('client.key'),
    strangerCertFile: file('stranger.crt'),
    strangerKeyFile: file('stranger.key'),
  };
}
