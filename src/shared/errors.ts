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
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
