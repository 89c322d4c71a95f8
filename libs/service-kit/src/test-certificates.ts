// Certificates for tests of TLS and mutual TLS: a CA and server/client certificates it signs,
// valid for 127.0.0.1 and localhost for a day, made by openssl in `dir`.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestCertificates {
  /** PEM file paths. */
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
}

export function makeTestCertificates(dir: string): TestCertificates {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=prune-test-ca',
  );
  fs.writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const issue = (name: string) => {
    openssl(
      'req',
      ...newKey,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
      '-subj',
      `/CN=prune-${name}`,
    );
    openssl(
      'x509',
      ...['-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial'],
      ...['-out', file(`${name}.crt`), '-days', '1', '-extfile', file('san.ext')],
    );
    return { cert: file(`${name}.crt`), key: file(`${name}.key`) };
  };
  return { ca: file('ca.crt'), server: issue('server'), client: issue('client') };
}
