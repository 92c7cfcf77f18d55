import { ApiError } from '../../src/volc/errors';
import { parseRoomOnlineUsers } from '../../src/volc/room-online-users';

const meta = { RequestId: 'r', Action: 'GetRoomOnlineUsers', Version: '2023-08-01', Service: 'rtc', Region: 'cn-north-1' };
const ok = (result: unknown): string => JSON.stringify({ ResponseMetadata: meta, Result: result });
const err = (Code: string): string => JSON.stringify({ ResponseMetadata: { ...meta, Error: { Code, CodeN: 1, Message: 'm' } } });

function failure(status: number, body: string): ApiError {
  try {
    parseRoomOnlineUsers(status, body);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('parsed');
}

describe('parseRoomOnlineUsers', () => {
  it('parses the documented success body', () => {
    const body = ok({ RoomExists: true, TotalUser: 6, TotalInvisibleUser: 3, VisibleUserList: ['normal_user_1'], InvisibleUserList: ['silent_user_1'] });
    expect(parseRoomOnlineUsers(200, body)).toEqual({ exists: true, totalUsers: 6, totalInvisibleUsers: 3, visible: ['normal_user_1'], invisible: ['silent_user_1'] });
  });

  it('accepts the BytePlus spelling RoomExist and a room that does not exist', () => {
    expect(parseRoomOnlineUsers(200, ok({ RoomExist: false }))).toEqual({ exists: false, totalUsers: 0, totalInvisibleUsers: 0, visible: [], invisible: [] });
    expect(parseRoomOnlineUsers(200, ok({ RoomExist: true, TotalUser: 0, TotalInvisibleUser: 0 }))).toEqual({ exists: true, totalUsers: 0, totalInvisibleUsers: 0, visible: [], invisible: [] });
  });

  it.each([
    [401, 'SignatureDoesNotMatch', false, false],
    [401, 'InvalidAccessKey', false, false],
    [400, 'InvalidTimestamp', false, false],
    [403, 'AccessDenied.Foo', false, false],
    [400, 'InvalidParameter.NotExistAppId', false, false],
    [400, 'IllegalRoomID', false, false],
    [429, 'FlowLimitExceeded', true, true],
    [429, 'AccountFlowLimitExceeded', true, true],
    [500, 'InternalError.Unknown', true, false],
    [504, 'InternalServiceTimeout', true, false],
    [503, 'ServiceUnavailableTemp', true, false],
    [200, 'InternalError', true, false],
    [400, 'SomethingNew', false, false],
    [404, 'SomethingNew', false, false],
    [408, 'SomethingNew', true, false],
    [502, 'SomethingNew', true, false],
  ])('HTTP %p %p → retryable %p, throttled %p', (status, code, retryable, throttled) => {
    const e = failure(status, err(code));
    expect([e.code, e.retryable, e.throttled]).toEqual([code, retryable, throttled]);
  });

  it.each([
    ['not JSON on 200', 200, '{"ResponseMetadata":', 'MalformedResponse'],
    ['200 without Result', 200, JSON.stringify({ ResponseMetadata: meta }), 'MalformedResponse'],
    ['RoomExists missing', 200, ok({ TotalUser: 1 }), 'MalformedResponse'],
    ['list of numbers', 200, ok({ RoomExists: true, TotalUser: 2, TotalInvisibleUser: 0, VisibleUserList: [1, 2] }), 'MalformedResponse'],
    ['negative count', 200, ok({ RoomExists: true, TotalUser: -1, TotalInvisibleUser: 0 }), 'MalformedResponse'],
    ['counts missing', 200, ok({ RoomExists: true, VisibleUserList: ['a'], InvisibleUserList: [] }), 'MalformedResponse'],
    ['visible list missing while users are counted', 200, ok({ RoomExists: true, TotalUser: 3, TotalInvisibleUser: 1, InvisibleUserList: ['i'] }), 'MalformedResponse'],
    ['invisible list null while invisible users are counted', 200, ok({ RoomExists: true, TotalUser: 2, TotalInvisibleUser: 2, VisibleUserList: [], InvisibleUserList: null }), 'MalformedResponse'],
    ['502 from a proxy', 502, '<html>bad gateway</html>', 'HttpError'],
    ['500 JSON without Error', 500, ok({ RoomExists: true }), 'HttpError'],
  ])('%s → %s', (_name, status, body, code) => {
    const e = failure(status, body);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(true);
  });

  it.each([
    ['a WAF page', 403, '<html>blocked</html>', false],
    ['a wrong endpoint', 404, 'not found', false],
    ['a bad request page', 400, '<html>bad request</html>', false],
    ['JSON without an error code', 404, JSON.stringify({ message: 'no route' }), false],
    ['a request timeout page', 408, '<html>timeout</html>', true],
    ['a throttling page', 429, 'slow down', true],
  ])('%s (HTTP %p without a vendor code) → HttpError, retryable %p', (_name, status, body, retryable) => {
    const e = failure(status, body);
    expect([e.code, e.retryable]).toEqual(['HttpError', retryable]);
  });
});
