// The hidden command the close watchdog runs as (`knock __close-watchdog`), apart from the
// watchdog itself so that the command list can name it without loading it.
export const WATCHDOG_COMMAND = '__close-watchdog';
