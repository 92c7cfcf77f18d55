import { inspect } from 'node:util';

/**
 * The access key pair. The secret lives in a closure, not a property, so JSON.stringify, util.inspect,
 * pino and error serialisers cannot reach it by walking the object.
 */
export class Credentials {
  readonly secretAccessKey: () => string;

  constructor(
    readonly accessKeyId: string,
    secret: string,
  ) {
    this.secretAccessKey = () => secret;
  }

  toJSON(): { accessKeyId: string } {
    return { accessKeyId: this.accessKeyId };
  }

  [inspect.custom](): string {
    return `Credentials { accessKeyId: '${this.accessKeyId}', secret: [redacted] }`;
  }
}

export const ENV_ACCESS_KEY = 'VOLC_ACCESSKEY';
export const ENV_SECRET_KEY = 'VOLC_SECRETKEY';

/** Read the pair from the environment; the error names the variable, never a value. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): Credentials {
  const missing = [ENV_ACCESS_KEY, ENV_SECRET_KEY].filter((k) => !env[k]?.trim());
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')}: not set (put them in the environment or in .env)`);
  }
  return new Credentials(env[ENV_ACCESS_KEY]!.trim(), env[ENV_SECRET_KEY]!.trim());
}
