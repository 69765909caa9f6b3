import type { ClientBase, QueryResult, QueryResultRow } from 'pg';
import { wrapPgError } from '../errors';
import type { Statement } from './types';

/**
 * Runs a statement on a pg client or pool, a failure wrapped once as a StoreError naming the statement.
 *
 * @example
 * const { rows } = await runQuery(client, { name: 'store.getBatch', text: 'SELECT * FROM batches WHERE id = $1' }, [7])
 */
export async function runQuery<row extends QueryResultRow>(
  client: Pick<ClientBase, 'query'>,
  statement: Statement,
  values: readonly unknown[] = [],
  secrets: readonly string[] = [],
): Promise<QueryResult<row>> {
  const config =
    typeof statement === 'string'
      ? { text: statement, values: values as unknown[] }
      : { name: statement.name, text: statement.text, values: values as unknown[] };
  try {
    return await client.query<row>(config);
  } catch (error) {
    const what = typeof statement === 'string' ? firstWords(statement) : statement.name;
    throw wrapPgError(error, `The query ${what} failed.`, secrets);
  }
}

function firstWords(sql: string): string {
  const words = sql.trim().split(/\s+/).slice(0, 4).join(' ');
  return `"${words.length > 60 ? `${words.slice(0, 60)}…` : words}…"`;
}
