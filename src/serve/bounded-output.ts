// knock serve's output when nobody reads it: events are dropped and counted once the stream
// holds this much unwritten, instead of buffering without end (a flood of knocks into a pipe
// that is never read would otherwise fill the memory).
import type { OutStream } from '../shared/io.js';
import type { ServeEvent } from './session.js';

/** Unwritten bytes past which knock and reset events are dropped. */
export const OUTPUT_LIMIT_BYTES = 1 << 20;

/** Opens, closes, commands and the guard's verdicts matter more: they get four times that. */
const KEEP_LONGER = new Set<string>(['open', 'close', 'command', 'guard', 'listening']);

export interface BoundedStream extends OutStream {
  writableLength?: number;
  once?(event: 'drain', listener: () => void): unknown;
}

/**
 * Wraps `emit` (which writes one event to `stream`): over the limit the event is dropped, and
 * once the stream drains `onDropped` says how many were.
 */
export function boundedEmitter<E extends { event: string } = ServeEvent>(
  stream: BoundedStream,
  emit: (event: E) => void,
  onDropped: (count: number) => void,
  limit = OUTPUT_LIMIT_BYTES,
): (event: E) => void {
  let dropped = 0;
  return (event) => {
    const pending = stream.writableLength ?? 0;
    if (pending > (KEEP_LONGER.has(event.event) ? 4 * limit : limit)) {
      if (dropped++ === 0) {
        stream.once?.('drain', () => {
          const count = dropped;
          dropped = 0;
          onDropped(count);
        });
      }
      return;
    }
    emit(event);
  };
}
