import type { AuthChecker } from "type-graphql";
import type { Context } from "../graphql/context.js";
import { forbidden, unauthenticated } from "../shared/errors.js";
import type { Role, Viewer } from "./viewer.js";

/** `@Authorized(roles)`: anonymous → UNAUTHENTICATED, signed in without the role → FORBIDDEN. */
export const authChecker: AuthChecker<Context, Role> = ({ context }, roles) => {
  requireRole(context.viewer, roles);
  return true;
};

export function requireRole(viewer: Viewer, roles: readonly Role[]): void {
  if (viewer.role === "ANONYMOUS") throw unauthenticated();
  if (roles.length > 0 && !roles.includes(viewer.role)) throw forbidden();
}
