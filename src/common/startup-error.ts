/**
 * A reason the node cannot start that the operator fixes by changing a setting: the message names
 * the variable first, so the one line printed says what to change (grpc-js alone says "No address
 * added out of total 1 resolved", Fastify "EADDRINUSE", neither names the setting).
 */
export class StartupError extends Error {
  constructor(
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}: ${message}`, options);
    this.name = 'StartupError';
  }
}

/**
 * Runs a bind and turns its failure into a StartupError naming `variable`, e.g.
 * `DISTRO_PORT: cannot listen on 0.0.0.0:42001 (HTTP_PORT + 1001 unless set): address in use`.
 */
export async function bindingPort<T>(
  variable: string,
  address: { host: string; port: number; note?: string },
  bind: () => Promise<T>,
): Promise<T> {
  try {
    return await bind();
  } catch (err) {
    // A bind nested inside this one (a gRPC server started while HTTP listens) already named its own.
    if (err instanceof StartupError) throw err;
    const where = `${address.host}:${address.port}${address.note ? ` (${address.note})` : ''}`;
    throw new StartupError(variable, `cannot listen on ${where}: ${bindFailureReason(err)}`, { cause: err });
  }
}

function bindFailureReason(err: unknown): string {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(err);
  if (code === 'EADDRINUSE' || /EADDRINUSE|address already in use|No address added/i.test(text)) {
    return 'the address is in use by another process; set the variable to a free port';
  }
  if (code === 'EACCES' || /EACCES|permission denied/i.test(text))
    return 'permission denied (ports below 1024 need privileges)';
  if (code === 'EADDRNOTAVAIL' || /EADDRNOTAVAIL/i.test(text))
    return 'the address is not one of this host (check HOST)';
  return text;
}
