import { readFileSync } from 'node:fs';
import { type AttributionConfig, attributionConfigSchema } from '#domain/config.ts';
import { ValidationError } from '#domain/errors.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';

export interface ConfigSource {
  /** Path of the JSON config file. */
  readonly path: string;
  /** The file's content, given inline (Lambda environment); wins over `path`. */
  readonly json?: string | undefined;
}

/** Reads and validates the attribution config file (DESIGN §4). */
export function loadConfig(source: ConfigSource): AttributionConfig {
  const where = source.json === undefined ? source.path : 'ATTRIBUTION_CONFIG_JSON';
  let text: string;
  try {
    text = source.json ?? readFileSync(source.path, 'utf8');
  } catch (error) {
    throw new ValidationError(`cannot read the config file ${where}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`the config file ${where} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseOrThrow(attributionConfigSchema, raw, `config file ${where}`);
}
