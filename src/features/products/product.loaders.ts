import type { Db } from "../../db/client.js";
import { byIdLoader } from "../../graphql/loader-utils.js";
import { productsByIds } from "./products.repo.js";

export function productLoaders(db: Db) {
  return { productById: byIdLoader((ids) => productsByIds(db, ids)) };
}
