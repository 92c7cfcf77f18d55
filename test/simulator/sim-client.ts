import axios, { AxiosResponse } from 'axios';
import { sign } from '../../src/volc/signer';

/** A minimal signed client for simulator tests (the real client lives in src/volc and is tested there). */

export const TEST_CREDENTIALS = { accessKeyId: 'AKLTtest', secretAccessKey: 'dGVzdC1zZWNyZXQ=' };

export interface CallOptions {
  query?: Record<string, string>;
  date?: Date;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  region?: string;
  /** Changes the request after signing, e.g. to tamper with the query. */
  mutate?: (req: { query: Record<string, string>; headers: Record<string, string> }) => void;
  timeoutMs?: number;
}

export function roomQuery(appId: string, roomId: string): Record<string, string> {
  return { Action: 'GetRoomOnlineUsers', Version: '2023-08-01', AppId: appId, RoomId: roomId };
}

export async function call(baseUrl: string, opts: CallOptions = {}): Promise<AxiosResponse> {
  const query = { ...(opts.query ?? roomQuery('app', 'room')) };
  const creds = opts.credentials ?? TEST_CREDENTIALS;
  const signed = sign({
    method: 'GET',
    host: new URL(baseUrl).host,
    query,
    ...creds,
    region: opts.region ?? 'cn-north-1',
    service: 'rtc',
    date: opts.date ?? new Date(),
  });
  const req = { query, headers: { ...signed.headers } };
  opts.mutate?.(req);
  const qs = new URLSearchParams(req.query).toString().replace(/\+/g, '%20');
  return axios.get(`${baseUrl}/?${qs}`, {
    headers: req.headers,
    timeout: opts.timeoutMs ?? 5000,
    validateStatus: () => true,
    transformResponse: (data: unknown) => data, // keep the raw text so malformed JSON is visible
    responseType: 'text',
  });
}

export function json(res: AxiosResponse): {
  ResponseMetadata: { RequestId: string; Action: string; Version: string; Error?: { Code: string; CodeN: number } };
  Result?: Record<string, unknown>;
} {
  return JSON.parse(res.data as string);
}
