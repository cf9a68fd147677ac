// The error of an ssh config file knock may not read, in a module of its own: the knock path
// tests for it without loading the config reader.
import { ConfigError } from '../shared/errors.js';

/** A config file we may not read (EACCES): ssh skips such a file; knock does where nothing depends on it. */
export class UnreadableSshConfig extends ConfigError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: cannot read: ${reason}`);
  }
}
