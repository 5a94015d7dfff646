/** Writes profiles/*.yaml (`npm run profiles`); see shipped.ts. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { profilesDir } from './profile.js';
import { shippedProfiles } from './shipped.js';

mkdirSync(profilesDir(), { recursive: true });
for (const [name, text] of shippedProfiles()) {
  writeFileSync(join(profilesDir(), name), text);
  console.log(`wrote profiles/${name}`);
}
