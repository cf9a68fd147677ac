import { spinnerWanted } from '../../../src/app/spinner.js';

const io = (stderr: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = {}) => ({ stderr: { ...stderr, write: () => true }, env });

describe('spinnerWanted', () => {
  it('wants a sized terminal', () => {
    expect(spinnerWanted(io({ isTTY: true, columns: 80 }), {})).toBe(true);
    expect(spinnerWanted(io({ isTTY: false }), {})).toBe(false);
  });

  it('refuses a terminal of width 0, where ora would loop clearing lines', () => {
    expect(spinnerWanted(io({ isTTY: true, columns: 0 }), {})).toBe(false);
  });

  it('refuses CI, TERM=dumb, proxy mode, --json and -q', () => {
    const tty = { isTTY: true, columns: 80 };
    expect(spinnerWanted(io(tty, { CI: 'true' }), {})).toBe(false);
    expect(spinnerWanted(io(tty, { CI: 'false' }), {})).toBe(true);
    expect(spinnerWanted(io(tty, { TERM: 'dumb' }), {})).toBe(false);
    expect(spinnerWanted(io(tty), { proxy: true })).toBe(false);
    expect(spinnerWanted(io(tty), { json: true })).toBe(false);
    expect(spinnerWanted(io(tty), { quiet: true })).toBe(false);
  });
});
