export type Role = "CUSTOMER" | "PARTNER" | "ADMIN";
export const ROLES: readonly Role[] = ["CUSTOMER", "PARTNER", "ADMIN"];

/** Who is calling: anonymous, or the verified claims of a token. */
export type Viewer =
  | { role: "ANONYMOUS" }
  | { role: "CUSTOMER"; customerId: string; sub: string; exp?: number }
  | { role: "PARTNER"; partnerId: string; sub: string; exp?: number }
  | { role: "ADMIN"; sub: string; exp?: number };

export const ANONYMOUS: Viewer = { role: "ANONYMOUS" };

/** The `actor` written into status history: "customer:<id>", "partner:<id>", "admin:<sub>", "system". */
export function actorOf(viewer: Viewer): string {
  switch (viewer.role) {
    case "CUSTOMER":
      return `customer:${viewer.customerId}`;
    case "PARTNER":
      return `partner:${viewer.partnerId}`;
    case "ADMIN":
      return `admin:${viewer.sub}`;
    default:
      return "system";
  }
}
