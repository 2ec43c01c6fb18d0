import { readFileSync } from 'node:fs';
import { type AttributionConfig, attributionConfigSchema } from '#domain/config.ts';
import { ValidationError } from '#domain/errors.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';

export interface ConfigSource {
  /** Path of the JSON config file (on Lambda, the copy the CDK put beside the bundle). */
  readonly path: string;
}

/** Reads and validates the attribution config file (README: Configuration). */
export function loadConfig(source: ConfigSource): AttributionConfig {
  const where = source.path;
  let text: string;
  try {
    text = readFileSync(source.path, 'utf8');
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
