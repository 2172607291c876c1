/**
 * How a StatusChange (an entry of `statusHistory`) is read (src/graphql/read-model.ts). Only as
 * the history of an application or loan the viewer sees: the relations trust their parent.
 */
import { sql } from "drizzle-orm";
import { statusChangeScope } from "../../auth/policy.js";
import type { KeyedTable } from "../../db/queries.js";
import { statusChanges } from "../../db/schema.js";
import { column, type ListField, type ReadModel } from "../../graphql/read-model.js";

export const statusChangeRead = {
  typeName: "StatusChange",
  // Never paged (no connection), so no created_at is needed.
  table: statusChanges as unknown as KeyedTable,
  tableName: "status_changes",
  cursorKind: "statusChange",
  scope: statusChangeScope,
  // Insertion order: several changes can share one transaction's timestamp.
  listOrder: () => sql`${statusChanges.id} asc`,
  fields: {
    fromCode: column("Int", statusChanges.fromCode),
    toCode: column("Int", statusChanges.toCode),
    reason: column("String", statusChanges.reason),
    actor: column("String", statusChanges.actor),
    at: column("DateTime", statusChanges.at),
  },
} satisfies ReadModel;

/** `statusHistory` of the entity whose id is `entityId` (an application's or a loan's). */
export const statusHistoryOf = (entityId: () => ReturnType<typeof sql>): ListField => ({
  kind: "list",
  target: "StatusChange",
  on: () => sql`${statusChanges.entityId} = ${entityId()}`,
  orderBy: statusChangeRead.listOrder,
  trustsParent: true,
});
