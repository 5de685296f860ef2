import { kbStoreContract } from './kb-store.contract.js';
import { createMemoryKbStore } from './memory-kb-store.js';

kbStoreContract('memory', async () => createMemoryKbStore());
