import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/** The secrets a cluster may carry; sealed as one blob, never returned by the API. */
export interface ClusterSecrets {
  password?: string;
  token?: string;
  /** etcd TLS: the servers' CA, a client certificate and its key (PEM). */
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// A fixed, public salt: the key's strength is SECRET_KEY's (>= 32 chars); the salt only separates
// this use of the key from any other.
const SALT = 'distro-sync/cluster-credentials/v1';

/** AES-256-GCM sealing of cluster credentials at rest: version byte, IV, auth tag, ciphertext. */
export class CredentialSealer {
  private readonly key: Buffer | undefined;

  constructor(secretKey: string | undefined) {
    this.key = secretKey ? scryptSync(secretKey, SALT, 32) : undefined;
  }

  get available(): boolean {
    return this.key !== undefined;
  }

  seal(secrets: ClusterSecrets): Buffer {
    const key = this.requireKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer): ClusterSecrets {
    const key = this.requireKey();
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new Error('unknown credential format');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as ClusterSecrets;
  }

  private requireKey(): Buffer {
    if (!this.key) throw new Error('SECRET_KEY is not set: cluster credentials cannot be sealed or opened');
    return this.key;
  }
}
