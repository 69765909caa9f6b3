import { StoreError } from '../errors';
import { inTransaction, type Db } from '../pool/withTransaction';
import { hashKey, type Row } from '../values';
import { getBatch } from './getBatch';
import { batchFromRow, type IndexedBatch } from './types';

const TREE = {
  name: 'store.batches.tree',
  text: `UPDATE batches SET root = $2, manifest_cid = coalesce(manifest_cid, $3), leaf_count = $4
         WHERE id = $1 AND (root IS NULL OR root = $2) AND status IN ('open', 'submitted') RETURNING *`,
};
/* Leaf i is the batch's i-th member in claim order (listBatchSnapshots' order until leaves are recorded). */
const LEAVES = {
  name: 'store.batches.leaves',
  text: `WITH ordered AS (
           SELECT m.device_id, m.seq, (row_number() OVER (ORDER BY m.leaf_index NULLS LAST, s.received_at, s.device_id,
                  s.seq) - 1)::int AS leaf
           FROM batch_members m JOIN snapshots s ON s.device_id = m.device_id AND s.seq = m.seq WHERE m.batch_id = $1
         )
         UPDATE batch_members m SET leaf_index = o.leaf, proof = p.proof
         FROM ordered o JOIN unnest($2::jsonb[]) WITH ORDINALITY AS p(proof, ord) ON p.ord - 1 = o.leaf
         WHERE m.batch_id = $1 AND m.device_id = o.device_id AND m.seq = o.seq`,
};

/**
 * Records a claimed batch's Merkle tree before its root is sent: the root, the manifest's CID (a resumed batch keeps
 * the first one) and the leaf count on the batch, and each member's leaf index (its place in claim order, the order
 * {@link listBatchSnapshots} returns) and proof, in one transaction (the caller's when `db` is one). Refused when the
 * batch is final or failed, has another root, or does not hold exactly `proofs.length` members.
 *
 * @example
 * await recordBatchTree(store, batch.id, { root: tree.root, manifestCid, proofs: leaves.map((_, i) => tree.proof(i)) })
 */
export async function recordBatchTree(
  db: Db,
  id: number,
  tree: { root: string; manifestCid: string; proofs: readonly (readonly string[])[] },
): Promise<IndexedBatch> {
  const root = hashKey(tree.root, 'root');
  const proofs = tree.proofs.map((proof) => JSON.stringify(proof.map((node) => hashKey(node, 'proof node'))));
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<Row>(TREE, [id, root, tree.manifestCid, proofs.length]);
    if (rows[0] === undefined) {
      const batch = await getBatch(tx, id);
      throw new StoreError(batch === undefined ? 'Unknown batch.' : 'The batch cannot change.', {
        details:
          batch === undefined ? `no batch ${id} in the store` : `batch ${id} is ${batch.status}, root ${batch.root}`,
      });
    }
    const { rowCount } = await tx.query(LEAVES, [id, proofs]);
    const { rows: members } = await tx.query<{ n: number }>(
      { name: 'store.batches.memberCount', text: 'SELECT count(*)::int AS n FROM batch_members WHERE batch_id = $1' },
      [id],
    );
    if (rowCount !== proofs.length || members[0]!.n !== proofs.length) {
      throw new StoreError('The batch does not hold these leaves.', {
        details: `batch ${id} has ${members[0]!.n} members, ${proofs.length} proofs given`,
      });
    }
    return batchFromRow(rows[0]);
  });
}

/**
 * Keeps the signed anchoring transaction of a batch (sent again as is after a restart, never a second one).
 *
 * @example
 * await setBatchSignedTx(store, batch.id, raw)
 */
export async function setBatchSignedTx(db: Db, id: number, raw: string): Promise<void> {
  await db.query({ name: 'store.batches.setSigned', text: 'UPDATE batches SET signed_tx = $2 WHERE id = $1' }, [
    id,
    hashKey(raw, 'signed transaction'),
  ]);
}

/**
 * The signed anchoring transaction kept with a batch, or undefined.
 *
 * @example
 * const signed = await batchSignedTx(store, batch.id)
 */
export async function batchSignedTx(db: Db, id: number): Promise<string | undefined> {
  const { rows } = await db.query<{ signed_tx: string | null }>(
    { name: 'store.batches.signed', text: 'SELECT signed_tx FROM batches WHERE id = $1' },
    [id],
  );
  return rows[0]?.signed_tx ?? undefined;
}
