import type { RoomUsersApi } from './client';
import type { ListRoomInfoApi } from './list-room-info';

/** Everything the daemon asks of one account's vendor API. */
export type AccountApi = RoomUsersApi & ListRoomInfoApi;
