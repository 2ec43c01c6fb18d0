import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const localStateSchema = z.object({
  piiHashSecret: z.string().min(16),
  ingestKey: z.string().min(16),
  queryKey: z.string().min(16),
  /** Added after the first release: data folders from before get one on their next start. */
  adminKey: z.string().min(16).optional(),
});
export type LocalState = z.infer<typeof localStateSchema> & { adminKey: string };

/**
 * Secrets of a local installation, created on first start and kept in `<dataDir>/local.json`
 * (mode 600) so keys and e-mail hashes stay the same across restarts.
 */
export function readOrCreateLocalState(dataDir: string): LocalState {
  const path = join(dataDir, 'local.json');
  const stored = readLocalState(dataDir);
  if (stored) {
    if (stored.adminKey) return { ...stored, adminKey: stored.adminKey };
    const upgraded = { ...stored, adminKey: newAdminKey() };
    writeFileSync(path, `${JSON.stringify(upgraded, null, 2)}\n`, { mode: 0o600 });
    return upgraded;
  }
  mkdirSync(dataDir, { recursive: true });
  const state: LocalState = {
    piiHashSecret: randomBytes(32).toString('base64url'),
    ingestKey: `ik_${randomBytes(24).toString('base64url')}`,
    queryKey: `qk_${randomBytes(24).toString('base64url')}`,
    adminKey: newAdminKey(),
  };
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return state;
}

/**
 * The secrets of a data folder the local runtime has started in, without creating them (the CLI
 * reads its keys from here); `undefined` when it never started there.
 */
export function readLocalState(dataDir: string): z.infer<typeof localStateSchema> | undefined {
  const path = join(dataDir, 'local.json');
  if (!existsSync(path)) return undefined;
  return localStateSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

function newAdminKey(): string {
  return `ak_${randomBytes(24).toString('base64url')}`;
}
