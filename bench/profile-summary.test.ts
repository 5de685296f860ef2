import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeProfile, type CpuProfile } from './profile-summary.js';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

// (root) → handle → [parse, write]; plus idle
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5] },
    { id: 2, callFrame: frame('handle', 'file:///app/dist/ws.js'), children: [3, 4] },
    { id: 3, callFrame: frame('parse', 'file:///app/dist/parse.js') },
    { id: 4, callFrame: frame('writev') },
    { id: 5, callFrame: frame('(idle)') },
  ],
  samples: [3, 3, 4, 2, 5, 5],
  timeDeltas: [100, 100, 300, 50, 1000, 1000],
};

test('self and total time per function, idle left out', () => {
  const { busyUs, lines } = summarizeProfile(profile);
  assert.equal(busyUs, 550);
  const get = (prefix: string) => lines.find((l) => l.name.startsWith(prefix))!;
  assert.deepEqual([get('parse').self, get('parse').total], [200, 200]);
  assert.deepEqual([get('handle').self, get('handle').total], [50, 550]);
  assert.equal(get('writev').self, 300);
  assert.equal(get('handle').name, 'handle dist/ws.js:1');
  assert.equal(lines.some((l) => l.name.startsWith('(idle)')), false);
});

test('--under keeps the samples whose stack holds that function', () => {
  assert.equal(summarizeProfile(profile, 'parse').busyUs, 200);
  assert.equal(summarizeProfile(profile, 'handle').busyUs, 550);
  assert.equal(summarizeProfile(profile, 'nothing').busyUs, 0);
});
