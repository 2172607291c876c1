/**
 * Registration and login (RULES §3).
 *
 * Choices where RULES is silent (keep in the project docs):
 * - Who may register: anonymous (self sign-up), PARTNER (the new customer becomes the partner's
 *   own) and ADMIN (no partner). A CUSTOMER token may not register another customer: FORBIDDEN.
 * - The returned `AuthPayload.customer` is the inserted row, resolved for the CALLER of this
 *   request (not for the new token): scalar fields are all there; `nik` is masked when a PARTNER
 *   registers; `partner` is visible to the registering PARTNER and to ADMIN, null for an anonymous
 *   caller; `applications`/`loans` are empty anyway for a brand-new customer. Use the returned
 *   token for anything else.
 * - Tokens from `registerCustomer`/`login` are CUSTOMER tokens valid for CUSTOMER_TOKEN_TTL. JWT
 *   expiry is wall-clock time (checked by the token verifier against the real time), not the
 *   business clock.
 * - login: a malformed phone or PIN is BAD_USER_INPUT (field `phone`/`pin`) and is not counted as a
 *   wrong attempt (it cannot be anyone's PIN). Unknown phone and wrong PIN get the same
 *   UNAUTHENTICATED "Invalid phone or PIN" after the same hashing work, and failures are counted
 *   per phone number whether or not it is registered, so the lock-out does not reveal which
 *   numbers exist either. The 5th wrong PIN is still answered UNAUTHENTICATED; from then on the
 *   phone is FORBIDDEN for 15 minutes (right PIN or not). When the lock expires the count starts
 *   again from zero. A correct PIN while not locked clears the count. The failure counter is the
 *   one write a rejected login makes: that is its purpose.
 */
import { mintToken, tokenKey } from "../../auth/tokens.js";
import { hashPin, spendPinHashTime, verifyPin } from "../../auth/pin-hash.js";
import type { CustomerRow } from "../../db/schema.js";
import { FOREIGN_KEY_VIOLATION, pgViolation, uniqueViolation } from "../../db/pg-errors.js";
import type { Context } from "../../graphql/context.js";
import { transact } from "../../events/outbox.js";
import { badInput, conflict, DomainError, forbidden, unauthenticated } from "../../shared/errors.js";
import { jakartaDate } from "../../shared/dates.js";
import {
  clearFailedLogins,
  customerByPhone,
  customersWithIdentity,
  insertCustomer,
  loginAttemptState,
  recordFailedLogin,
} from "./customers.repo.js";
import type { LoginInput, RegisterCustomerInput } from "./customer.type.js";
import { IdentityError, normalizeEmail, normalizePhone, validateDateOfBirth, validateNik, validatePin } from "./identity.js";

/** Lifetime of the CUSTOMER tokens returned by registerCustomer and login. */
export const CUSTOMER_TOKEN_TTL = "30d";
/** Consecutive wrong PINs that lock a phone number. */
export const MAX_FAILED_LOGINS = 5;
/** How long a phone number stays locked. */
export const LOGIN_LOCK_MS = 15 * 60 * 1000;
export const MAX_FULL_NAME_LENGTH = 200;

const INVALID_CREDENTIALS = "Invalid phone or PIN";

export interface AuthPayloadResult {
  token: string;
  customer: CustomerRow;
}

/** The identity fields whose uniqueness is enforced, in the order they are reported. */
const UNIQUE_FIELDS = ["nik", "phone", "email"] as const;
type UniqueField = (typeof UNIQUE_FIELDS)[number];
const UNIQUE_CONSTRAINTS = new Map<string, UniqueField>([
  ["customers_nik_unique", "nik"],
  ["customers_phone_unique", "phone"],
  ["customers_email_unique", "email"],
]);

function duplicate(field: UniqueField) {
  return conflict(`A customer with this ${field} is already registered`, field);
}

function identityCheck<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof IdentityError) throw badInput(err.field, err.message);
    throw err;
  }
}

async function customerToken(ctx: Context, customerId: string): Promise<string> {
  // Its holder's next reads must see this login / registration (read replicas: server/read-routing.ts).
  ctx.freshFor = `customer:${customerId}`;
  return mintToken(tokenKey(ctx.app.jwtSecret), { role: "CUSTOMER", sub: customerId, expiresIn: CUSTOMER_TOKEN_TTL });
}

interface ValidRegistration {
  fullName: string;
  nik: string;
  phone: string;
  email: string;
  dateOfBirth: string;
  monthlyIncome: bigint;
  pin: string;
}

/** Every input rule of §3, before anything touches the database. */
function validateRegistration(input: RegisterCustomerInput, today: string): ValidRegistration {
  const fullName = typeof input.fullName === "string" ? input.fullName.trim() : "";
  if (fullName.length === 0) throw badInput("fullName", "fullName must not be empty");
  if ([...fullName].length > MAX_FULL_NAME_LENGTH) {
    throw badInput("fullName", `fullName must be at most ${MAX_FULL_NAME_LENGTH} characters`);
  }
  return identityCheck(() => {
    const dateOfBirth = validateDateOfBirth(input.dateOfBirth, today);
    validateNik(input.nik, dateOfBirth);
    const phone = normalizePhone(input.phone);
    const email = normalizeEmail(input.email);
    validatePin(input.pin);
    if (typeof input.monthlyIncome !== "bigint" || input.monthlyIncome < 0n) {
      throw badInput("monthlyIncome", "monthlyIncome must be a non-negative whole number of rupiah");
    }
    return { fullName, nik: input.nik, phone, email, dateOfBirth, monthlyIncome: input.monthlyIncome, pin: input.pin };
  });
}

/**
 * registerCustomer: anonymous, PARTNER (customer becomes its own) or ADMIN; CUSTOMER is FORBIDDEN.
 * One INSERT is the only write; every rejection happens before it or is that INSERT failing.
 */
export async function registerCustomer(ctx: Context, input: RegisterCustomerInput): Promise<AuthPayloadResult> {
  const viewer = ctx.viewer;
  if (viewer.role === "CUSTOMER") throw forbidden("A customer cannot register another customer");
  const partnerId = viewer.role === "PARTNER" ? viewer.partnerId : null;

  const v = validateRegistration(input, jakartaDate(ctx.clock.now()));

  // A clear answer for the common case; the unique constraints below settle races.
  const clashes = await customersWithIdentity(ctx.db, v);
  for (const field of UNIQUE_FIELDS) {
    if (clashes.some((c) => c[field] === v[field])) throw duplicate(field);
  }

  // The app may override hashing (the demo seed reuses one hash); normally scrypt (auth/pin-hash).
  const pinHash = await (ctx.app.hashPin ?? hashPin)(v.pin);
  let row: CustomerRow;
  try {
    // In a transaction of its own so that a connection lost before COMMIT is tried again
    // (`transact`): an INSERT sent on its own cannot tell a lost answer from a lost statement.
    row = await transact(ctx.app, (tx) => insertCustomer(tx, {
      partnerId,
      fullName: v.fullName,
      nik: v.nik,
      phone: v.phone,
      email: v.email,
      dateOfBirth: v.dateOfBirth,
      monthlyIncome: v.monthlyIncome,
      pinHash,
      createdAt: ctx.clock.now(),
      updatedAt: ctx.clock.now(),
    }));
  } catch (err) {
    const unique = uniqueViolation(err);
    if (unique) {
      const field = (unique.constraint ? UNIQUE_CONSTRAINTS.get(unique.constraint) : undefined) ?? fieldFromDetail(unique.detail);
      if (field) throw duplicate(field);
    }
    // A PARTNER token whose partner does not exist (deleted, or another deployment's token).
    if (partnerId && pgViolation(err, FOREIGN_KEY_VIOLATION)) throw forbidden("Unknown partner");
    throw err;
  }
  return { token: await customerToken(ctx, row.id), customer: row };
}

function fieldFromDetail(detail: string | undefined): UniqueField | undefined {
  const m = detail ? /^Key \((\w+)\)=/.exec(detail) : null;
  return m && (UNIQUE_FIELDS as readonly string[]).includes(m[1]!) ? (m[1] as UniqueField) : undefined;
}

/** login(phone, pin) with the 5-strikes / 15-minute lock of §3. */
export async function login(ctx: Context, input: LoginInput): Promise<AuthPayloadResult> {
  const phone = identityCheck(() => normalizePhone(input.phone));
  identityCheck(() => validatePin(input.pin));

  const now = ctx.clock.now();
  const state = await loginAttemptState(ctx.db, phone);
  if (state?.lockedUntil && state.lockedUntil > now) throw locked(state.lockedUntil);

  const customer = await customerByPhone(ctx.db, phone);
  let ok = false;
  if (customer) ok = await verifyPin(input.pin, customer.pinHash);
  else await spendPinHashTime(input.pin);

  if (!ok) {
    const after = await recordFailedLogin(ctx.db, phone, now, MAX_FAILED_LOGINS, new Date(now.getTime() + LOGIN_LOCK_MS));
    // Past the limit: concurrent attempts locked the phone before this one was counted.
    if (after.failedCount > MAX_FAILED_LOGINS && after.lockedUntil) throw locked(after.lockedUntil);
    throw unauthenticated(INVALID_CREDENTIALS);
  }

  // Refused if concurrent wrong attempts locked the phone meanwhile.
  const lockedUntil = await clearFailedLogins(ctx.db, phone, now);
  if (lockedUntil) throw locked(lockedUntil);
  return { token: await customerToken(ctx, customer!.id), customer: customer! };
}

function locked(until: Date): DomainError {
  return forbidden(`Too many wrong PINs: this phone number is locked until ${until.toISOString()}`);
}
