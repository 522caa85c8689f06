/**
 * A self-signed certificate for 127.0.0.1, made with openssl, for `serve --tls-cert-file`: kubectl
 * (client-go applies a kubeconfig's credentials, `--token` included, only over TLS) sends no token
 * to an `http://` server. The kubeconfig trusts the certificate as its own CA.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/stores.js';

/** A certificate and its key, as files for `serve` and as PEM text for a kubeconfig. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** The PEM certificate (its own CA). */
  readonly certificate: string;
}

/** True when openssl is on the PATH. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Makes a self-signed certificate for 127.0.0.1 in a temporary directory (removed when the test file ends). */
export function selfSigned(): TlsFiles {
  const dir = tempDir();
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, certificate: readFileSync(certFile, 'utf8') };
}
