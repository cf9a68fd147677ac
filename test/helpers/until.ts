// Polls a condition until it holds or the time is up: for tests that wait on another process
// (knockd's log, a file a command made, packets a capture saw). Bounded, never a timed assertion.
export async function until(check: () => boolean, timeoutMs = 5000, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, everyMs));
  return check();
}
