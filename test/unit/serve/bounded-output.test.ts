import { EventEmitter } from 'node:events';
import { boundedEmitter } from '../../../src/serve/bounded-output.js';
import type { ServeEvent } from '../../../src/serve/session.js';

class SlowStream extends EventEmitter {
  writableLength = 0;
  write(): boolean {
    return true;
  }
}

const knock: ServeEvent = { event: 'knock', src: '198.18.0.1', proto: 'udp', port: 1, door: null, stage: 0, of: 0, time: 't' };
const open: ServeEvent = { event: 'open', src: '198.18.0.1', door: 'open', time: 't' };

test('over the limit knocks are dropped, opens are kept longer, and the drops are counted at drain', () => {
  const stream = new SlowStream();
  const written: string[] = [];
  const drops: number[] = [];
  const emit = boundedEmitter(stream, (e) => written.push(e.event), (n) => drops.push(n), 100);
  emit(knock);
  stream.writableLength = 101;
  emit(knock);
  emit(knock);
  emit(open);
  stream.writableLength = 401;
  emit(open);
  expect(written).toEqual(['knock', 'open']);
  expect(drops).toEqual([]);
  stream.writableLength = 0;
  stream.emit('drain');
  expect(drops).toEqual([3]);
  emit(knock);
  expect(written).toEqual(['knock', 'open', 'knock']);
  // A second episode is counted on its own.
  stream.writableLength = 101;
  emit(knock);
  stream.emit('drain');
  expect(drops).toEqual([3, 1]);
});
