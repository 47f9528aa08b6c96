/**
 * The one redaction step every error text passes through before it reaches a log line, a task's
 * `lastError`, an event or a check result. Field-based redaction (pino paths) hides a secret held
 * in a known field; this hides a secret *quoted inside a message* — grpc-js quoting a rejected
 * `Bearer …` header, a driver echoing a connection string — which field paths cannot see.
 *
 * Two layers: every secret the process holds is registered here when it is loaded (env tokens at
 * boot, a cluster's credentials when they are unsealed) and replaced wherever it appears, with or
 * without surrounding blanks; and text shaped like a credential (`Bearer x`, `password=x`,
 * `accessToken: x`, a URL's `user:pass@`) is masked even when the secret was never registered.
 */

const MASK = '***';
/**
 * Registered secrets shorter than this are not searched for everywhere: a password such as `nacos`
 * (Nacos's default, and a word in every Nacos path) would mask that word in every line. The
 * credential shapes below still mask them where they travel as credentials.
 */
const MIN_SECRET_LENGTH = 8;

const known = new Set<string>();

/** Registers a secret this process holds, so any text quoting it is scrubbed from now on. */
export function registerSecret(secret: string | null | undefined): void {
  if (!secret) return;
  // As written, trimmed, and as JSON writes it (a log line or a response body escapes `\n`, `"`).
  for (const plain of [secret, secret.trim()]) {
    for (const variant of [plain, JSON.stringify(plain).slice(1, -1)]) {
      if (variant.length >= MIN_SECRET_LENGTH) known.add(variant);
    }
  }
}

const SHAPES: ReadonlyArray<[RegExp, string]> = [
  // Authorization schemes: the whole rest of the header value, up to a quote or line end.
  [/\b(Bearer|Basic|Digest)\s+[^\s"',;]+/gi, `$1 ${MASK}`],
  // key=value / key: value / "key":"value" for the names secrets travel under.
  [
    /\b(password|passwd|pwd|secret|token|accessToken|access_token|apiKey|api_key|authorization|credentials?)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi,
    `$1$2${MASK}`,
  ],
  // URL userinfo: scheme://user:pass@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^/\s@]+@/gi, `$1:${MASK}@`],
];

/** `text` with every registered secret and every credential-shaped fragment masked. */
export function scrubSecrets(text: string): string {
  let out = text;
  if (known.size > 0) {
    // Longest first, so a secret containing another is masked whole.
    for (const secret of [...known].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
    }
  }
  for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
  return out;
}

/** The message of any thrown value, scrubbed: the form every stored or logged error text takes. */
export function scrubbedMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return scrubSecrets(message);
}

/** For tests: forget every registered secret. */
export function forgetSecretsForTest(): void {
  known.clear();
}
