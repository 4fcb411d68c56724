import type { SessionRoom } from "./sessions.js";

/**
 * Livy's session garbage collection: deletes every session whose heartbeat deadline passed
 * (`heartbeatTimeoutInSecond`, armed by the first heartbeat) or that stayed idle longer than its
 * `ttl`. Returns how many were deleted.
 */
export function collectExpiredSessions(sessions: SessionRoom, now: number): number {
  const expired = sessions.expired(now);
  for (const session of expired) void sessions.delete(session);
  return expired.length;
}
