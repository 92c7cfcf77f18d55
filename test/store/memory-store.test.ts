import { MemoryStore } from '../../src/store/memory-store';
import { storeContract } from './store-contract';

storeContract('memory', { make: async ({ now, ...retention }) => new MemoryStore(retention, now) });
