import "reflect-metadata";
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { buildSchemaSync } from "type-graphql";
import { authChecker } from "../auth/auth-checker.js";
import { ApplicationStatusEventResolver, LoanStatusEventResolver } from "../events/subscription.resolver.js";
import { ApplicationResolver } from "../features/applications/application.resolver.js";
import { CustomerResolver, ViewerResolver } from "../features/customers/customer.resolver.js";
import { LoanResolver } from "../features/loans/loan.resolver.js";
import { PartnerResolver } from "../features/partners/partner.resolver.js";
import {
  PaymentAllocationResolver,
  PaymentResolver,
  PaymentReversalResolver,
  PaymentTransactionResolver,
  PayoffQuoteResolver,
  RecordPaymentPayloadResolver,
} from "../features/payments/payment.resolver.js";
import { ProductResolver } from "../features/products/product.resolver.js";

let cached: GraphQLSchema | undefined;

/** The executable schema, built once per process from the decorated classes. */
export function buildGatewaySchema(): GraphQLSchema {
  cached ??= buildSchemaSync({
    resolvers: [
      PartnerResolver,
      ProductResolver,
      CustomerResolver,
      ViewerResolver,
      ApplicationResolver,
      LoanResolver,
      PaymentResolver,
      PaymentTransactionResolver,
      PaymentAllocationResolver,
      RecordPaymentPayloadResolver,
      PaymentReversalResolver,
      PayoffQuoteResolver,
      LoanStatusEventResolver,
      ApplicationStatusEventResolver,
    ],
    authChecker,
    authMode: "error",
    // Subscriptions use their own `subscribe` functions (the status-event outbox), never this.
    pubSub: {
      publish() {},
      subscribe() {
        throw new Error("topic subscriptions are not used");
      },
    },
    validate: false,
    emitSchemaFile: false,
  });
  return cached;
}

/** The SDL written to schema.graphql (sorted, so the file is stable). */
export function printGatewaySchema(): string {
  return printSchema(lexicographicSortSchema(buildGatewaySchema())) + "\n";
}
