/** A dependency the gateway cannot start without is missing: main prints one line and exits. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
