/**
 * A TCP port that was free on 127.0.0.1 a moment ago (shared with the bench harness). The OS picks it, so
 * parallel test files do not collide; the small window before the caller binds it is acceptable for tests.
 */
export { freePort } from '../../bench/wait';
