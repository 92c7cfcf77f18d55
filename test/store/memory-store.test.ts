import { MemoryStore } from '../../src/store/memory-store';
import type { StateStore } from '../../src/store/store';
import { storeContract, TestLease } from './store-contract';

const leases = new WeakMap<StateStore, TestLease>();
storeContract('memory', {
  make: async ({ now, ...retention }) => {
    const lease = new TestLease();
    const store = new MemoryStore(retention, now, lease);
    leases.set(store, lease);
    return store;
  },
  lead: async (store, token) => void (leases.get(store)!.current = token),
});
