// The suite's one polling helper: polls a condition until it holds or the time is up, for tests
// that wait on another process (knockd's log, a file a command made, packets a capture saw, a
// door that a firewall command opens). Bounded, never a timed assertion: the answer is the
// condition's, the time only how long to keep asking.
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
