// Numeric options read as typed: yargs' own number parsing turns "abc" into NaN and "" into 0,
// and the message must name the option, not the store it would have been written to.
import { UsageError } from '../shared/errors.js';
import { parseServicePort, storedServicePort } from '../store/profiles.js';
import { isTtl, parsePortText } from '../knock/tokens.js';

/** yargs gives an option given twice as an array: the last one counts. */
const lastValue = (value: unknown): string => String(Array.isArray(value) ? value.at(-1) : value).trim();

export interface NumberRule {
  /** How the option is named in messages: `-d/--delay`. */
  option: string;
  /** What the number counts: "milliseconds", "seconds", "a port". */
  unit: string;
  integer?: boolean;
  min: number;
  /** A minimum that the value must exceed rather than reach. */
  exclusiveMin?: boolean;
  max?: number;
}

export function parseNumberOption(value: unknown, rule: NumberRule): number {
  const text = lastValue(value);
  const pattern = rule.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const n = Number(text);
  const low = rule.exclusiveMin ? n <= rule.min : n < rule.min;
  if (!pattern.test(text) || !Number.isFinite(n) || low || (rule.max !== undefined && n > rule.max)) {
    const range = rule.max !== undefined ? `${rule.min}-${rule.max}` : `${rule.exclusiveMin ? '>' : '>='} ${rule.min}`;
    throw new UsageError(`${rule.option} '${text}' is not ${rule.unit} (${range})`);
  }
  return n;
}

export const portOption = (option: string) => (value: unknown) => parsePortText(lastValue(value), option);

export const secondsOption = (option: string) => (value: unknown) =>
  parseNumberOption(value, { option, unit: 'a number of seconds', min: 0, exclusiveMin: true });

export const msOption = (option: string) => (value: unknown) => parseNumberOption(value, { option, unit: 'a number of milliseconds', min: 0 });

/** A service port as given (`22`, `22/tcp`, `1194/udp`), as the store writes it: 22, or "1194/udp". */
export const servicePortOption = (option: string) => (value: unknown): number | string => {
  const text = lastValue(value);
  // A bare number gets the port's own message; only a PORT/PROTO form names the protocols.
  if (!text.includes('/')) return parsePortText(text, option);
  const service = parseServicePort(text);
  if (service === 'bad') throw new UsageError(`${option} '${text}' is not a port number (1-65535), optionally with /tcp or /udp (1194/udp)`);
  return storedServicePort(service.port, service.protocol);
};

/** -d MS, read as typed: yargs' own number parsing turns "abc" into NaN and "" into 0. */
export const parseDelayOption = msOption('-d/--delay');

/** --ttl N, read as typed (an integer 1-255). */
export function parseTtlOption(value: unknown): number {
  const text = lastValue(value);
  if (!/^\d+$/.test(text) || !isTtl(Number(text))) throw new UsageError(`--ttl '${text}' is not a TTL (1-255)`);
  return Number(text);
}
