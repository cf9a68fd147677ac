// The error hierarchy: every error a user can cause carries its exit code and a one-line reason.

export class KnockError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command line: exit 2. */
export class UsageError extends KnockError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Bad or missing configuration (profile store, knockd.conf, ssh config): exit 2. */
export class ConfigError extends KnockError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Something failed at run time (resolve, send, connect): exit 1. */
export class RuntimeError extends KnockError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** The message of anything thrown, for wrapping Node errors with context. */
export function reasonOf(error: unknown): string {
  // Duck-typed: an error from another realm (a vm context) is no `instanceof Error` here.
  const plain = typeof error === 'object' && error !== null && typeof (error as Error).message === 'string' ? systemReason(error as NodeJS.ErrnoException) : undefined;
  if (plain) return plain;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/** Syscalls that name a file: the caller names the file, so the reason is the system's words only. */
const FILE_SYSCALLS = new Set(['open', 'stat', 'lstat', 'fstat', 'read', 'opendir', 'scandir', 'access', 'readlink', 'realpath', 'mkdir', 'rename', 'unlink']);

/** getaddrinfo's failures in gai_strerror's words (Node gives only the code and the name). */
const RESOLVER_REASONS: Record<string, string> = {
  EAI_AGAIN: 'temporary failure in name resolution (no answer from the name server)',
  EAI_FAIL: 'non-recoverable failure in name resolution',
  EAI_NODATA: 'no address associated with the name',
  EAI_NONAME: 'name or service not known',
  ENOTFOUND: 'name or service not known',
  EAI_MEMORY: 'out of memory',
  EAI_SYSTEM: 'system error in name resolution',
};

/**
 * A raw system error as one plain line: `ENOENT: no such file or directory, open '/x'` becomes
 * `no such file or directory`, `getaddrinfo EAI_AGAIN db.example.com` becomes gai_strerror's
 * words. Other errors (a send's EPERM) keep their code, which is what they are known by.
 */
function systemReason(error: NodeJS.ErrnoException): string | undefined {
  const { code, syscall } = error;
  if (typeof code !== 'string' || typeof syscall !== 'string') return undefined;
  if (syscall === 'getaddrinfo' || syscall === 'getnameinfo') return RESOLVER_REASONS[code] ?? `name resolution failed (${code})`;
  if (!FILE_SYSCALLS.has(syscall)) return undefined;
  const words = new RegExp(`^${code}: ([^,]+)`).exec(error.message)?.[1];
  return words ?? undefined;
}
