/**
 * Lease timings derived from cluster.failoverSeconds (pure). A standby must take over within the failover
 * time after the leader dies: the lease expires at most `ttlMs` after the leader's last renewal and a
 * standby tries again every `retryMs`, so ttl + retry <= failover time. The leader renews three times per
 * TTL, so one lost renewal does not cost the lease, and considers itself deposed `marginMs` before the
 * server would expire it (clock-rate differences, a command that took long to arrive).
 */
export interface LeaseTimings {
  ttlMs: number;
  renewMs: number;
  retryMs: number;
  marginMs: number;
}

export function leaseTimings(failoverSeconds: number): LeaseTimings {
  const failoverMs = failoverSeconds * 1000;
  const ttlMs = Math.round(failoverMs * 0.7);
  return {
    ttlMs,
    renewMs: Math.round(ttlMs / 3),
    retryMs: Math.round(failoverMs * 0.25),
    marginMs: Math.round(ttlMs * 0.1),
  };
}
