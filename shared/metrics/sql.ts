import { readFileSync } from 'node:fs';
import type { DuckDBValue } from '@duckdb/node-api';

const cache = new Map<string, string>();

/**
 * The text of `shared/metrics/<name>.sql`. The files sit beside this module in the source tree
 * and beside the bundle in a deployed function (the CDK copies them), so one relative URL serves
 * both.
 */
export function readSql(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./${name}.sql`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** A statement ready to run: `{{fragment}}`s expanded, and the `$parameters` it names. */
export interface SqlStatement {
  readonly sql: string;
  readonly params: Record<string, DuckDBValue>;
}

/**
 * The statements of a SQL file, split at `;` line ends, with `{{name}}` replaced by SQL fragments
 * (which may hold fragments themselves)
 * and each statement given only the `$parameters` it uses (DuckDB refuses unused ones).
 */
export function statementsOf(
  name: string,
  params: Readonly<Record<string, DuckDBValue>>,
  fragments: Readonly<Record<string, string>> = {},
): SqlStatement[] {
  // A fragment may use fragments itself (user-sketches.sql uses the register expressions).
  let expanded = readSql(name);
  for (let depth = 0; /\{\{\w+\}\}/.test(expanded); depth++) {
    if (depth === 3) throw new Error(`${name}.sql: fragments nest more than 3 deep`);
    expanded = expanded.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const fragment = fragments[key];
      if (fragment === undefined) throw new Error(`${name}.sql uses {{${key}}}, which is not given`);
      return fragment;
    });
  }
  const withoutComments = expanded.replace(/--[^\n]*/g, '');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((sql) => sql.trim())
    .filter((sql) => sql.length > 0)
    .map((sql) => {
      const used: Record<string, DuckDBValue> = {};
      for (const [, key] of sql.matchAll(/\$(\w+)/g)) {
        const value = params[key as string];
        if (value === undefined) throw new Error(`${name}.sql uses $${key}, which is not given`);
        used[key as string] = value;
      }
      return { sql, params: used };
    });
}
