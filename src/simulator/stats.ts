import { FAULT_KINDS, FaultKind } from './faults';
import { PeakWindow } from './flow-window';

/** Counters about API traffic (control endpoints are not counted). */
export interface SimStats {
  /** API requests received. */
  requests: number;
  /** Responses by outcome: "Success", a vendor error Code, or a transport fault name ("Hang", ...). */
  byCode: Record<string, number>;
  /** SignatureDoesNotMatch answers. */
  signatureFailures: number;
  /** 429s from the real rolling-window cap (injected status429 faults are under faultsInjected). */
  throttled: number;
  faultsInjected: Record<FaultKind, number>;
  /** Most API request arrivals (accepted or not) in any rolling 1000 ms window so far. */
  maxRequestsInAnyWindow: number;
  /** Successful 200 responses written to a client. */
  served: number;
  /** TCP connections accepted (control requests included): one per socket a keep-alive client opens. */
  connections: number;
  /** Completed TLS handshakes (0 over plain HTTP); a client that reuses connections adds none per request. */
  tlsHandshakes: number;
  /** Connections that ended, by either side (a client whose idle sockets time out closes them between cycles). */
  connectionsClosed: number;
}

export class StatsRecorder {
  private requests = 0;
  private readonly byCode = new Map<string, number>();
  private signatureFailures = 0;
  private throttled = 0;
  private served = 0;
  private connections = 0;
  private tlsHandshakes = 0;
  private connectionsClosed = 0;
  private readonly faults = new Map<FaultKind, number>();
  private readonly peak = new PeakWindow(1000);

  arrival(nowMs: number): void {
    this.requests++;
    this.peak.record(nowMs);
  }

  outcome(code: string): void {
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    if (code === 'SignatureDoesNotMatch') this.signatureFailures++;
  }

  throttle(): void {
    this.throttled++;
  }

  fault(kind: FaultKind): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  delivered(): void {
    this.served++;
  }

  connection(): void {
    this.connections++;
  }

  tlsHandshake(): void {
    this.tlsHandshakes++;
  }

  connectionClosed(): void {
    this.connectionsClosed++;
  }

  snapshot(): SimStats {
    return {
      requests: this.requests,
      byCode: Object.fromEntries(this.byCode),
      signatureFailures: this.signatureFailures,
      throttled: this.throttled,
      faultsInjected: Object.fromEntries(FAULT_KINDS.map((k) => [k, this.faults.get(k) ?? 0])) as Record<
        FaultKind,
        number
      >,
      maxRequestsInAnyWindow: this.peak.max,
      served: this.served,
      connections: this.connections,
      tlsHandshakes: this.tlsHandshakes,
      connectionsClosed: this.connectionsClosed,
    };
  }
}
