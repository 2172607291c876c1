/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation RegisterCustomer($input: RegisterCustomerInput!) {\n    registerCustomer(input: $input) {\n      token\n      customer {\n        id\n        fullName\n        phone\n      }\n    }\n  }\n": typeof types.RegisterCustomerDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      customer {\n        id\n        fullName\n        phone\n      }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  query MyLoans($first: Int = 20, $after: String) {\n    me {\n      role\n      customer {\n        id\n        fullName\n        walletBalance\n        loans(first: $first, after: $after) {\n          totalCount\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n          nodes {\n            id\n            status\n            principal\n            tenorMonths\n            disbursedAt\n            daysPastDue\n            totalDue\n            totalPaid\n            outstandingAmount\n            product {\n              code\n              name\n            }\n            payoffQuote {\n              asOf\n              amount\n              principal\n              interest\n              interestWaived\n              lateFees\n            }\n            payments {\n              id\n              installmentNumber\n              dueDate\n              status\n              amountDue\n              paidAmount\n              outstandingAmount\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.MyLoansDocument,
    "\n  query LoanQuote($input: LoanQuoteInput!) {\n    loanQuote(input: $input) {\n      principal\n      originationFee\n      disbursedAmount\n      totalInterest\n      totalRepayment\n      installments {\n        installmentNumber\n        dueDate\n        principal\n        interest\n        total\n      }\n    }\n  }\n": typeof types.LoanQuoteDocument,
    "\n  subscription MyLoanStatus($loanId: ID, $after: String) {\n    loanStatusChanged(loanId: $loanId, after: $after) {\n      cursor\n      at\n      fromStatus\n      toStatus\n      reason\n      loan {\n        id\n        status\n      }\n    }\n  }\n": typeof types.MyLoanStatusDocument,
};
const documents: Documents = {
    "\n  mutation RegisterCustomer($input: RegisterCustomerInput!) {\n    registerCustomer(input: $input) {\n      token\n      customer {\n        id\n        fullName\n        phone\n      }\n    }\n  }\n": types.RegisterCustomerDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      customer {\n        id\n        fullName\n        phone\n      }\n    }\n  }\n": types.LoginDocument,
    "\n  query MyLoans($first: Int = 20, $after: String) {\n    me {\n      role\n      customer {\n        id\n        fullName\n        walletBalance\n        loans(first: $first, after: $after) {\n          totalCount\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n          nodes {\n            id\n            status\n            principal\n            tenorMonths\n            disbursedAt\n            daysPastDue\n            totalDue\n            totalPaid\n            outstandingAmount\n            product {\n              code\n              name\n            }\n            payoffQuote {\n              asOf\n              amount\n              principal\n              interest\n              interestWaived\n              lateFees\n            }\n            payments {\n              id\n              installmentNumber\n              dueDate\n              status\n              amountDue\n              paidAmount\n              outstandingAmount\n            }\n          }\n        }\n      }\n    }\n  }\n": types.MyLoansDocument,
    "\n  query LoanQuote($input: LoanQuoteInput!) {\n    loanQuote(input: $input) {\n      principal\n      originationFee\n      disbursedAmount\n      totalInterest\n      totalRepayment\n      installments {\n        installmentNumber\n        dueDate\n        principal\n        interest\n        total\n      }\n    }\n  }\n": types.LoanQuoteDocument,
    "\n  subscription MyLoanStatus($loanId: ID, $after: String) {\n    loanStatusChanged(loanId: $loanId, after: $after) {\n      cursor\n      at\n      fromStatus\n      toStatus\n      reason\n      loan {\n        id\n        status\n      }\n    }\n  }\n": types.MyLoanStatusDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RegisterCustomer($input: RegisterCustomerInput!) {\n    registerCustomer(input: $input) {\n      token\n      customer {\n        id\n        fullName\n        phone\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RegisterCustomer($input: RegisterCustomerInput!) {\n    registerCustomer(input: $input) {\n      token\n      customer {\n        id\n        fullName\n        phone\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      customer {\n        id\n        fullName\n        phone\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      customer {\n        id\n        fullName\n        phone\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyLoans($first: Int = 20, $after: String) {\n    me {\n      role\n      customer {\n        id\n        fullName\n        walletBalance\n        loans(first: $first, after: $after) {\n          totalCount\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n          nodes {\n            id\n            status\n            principal\n            tenorMonths\n            disbursedAt\n            daysPastDue\n            totalDue\n            totalPaid\n            outstandingAmount\n            product {\n              code\n              name\n            }\n            payoffQuote {\n              asOf\n              amount\n              principal\n              interest\n              interestWaived\n              lateFees\n            }\n            payments {\n              id\n              installmentNumber\n              dueDate\n              status\n              amountDue\n              paidAmount\n              outstandingAmount\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyLoans($first: Int = 20, $after: String) {\n    me {\n      role\n      customer {\n        id\n        fullName\n        walletBalance\n        loans(first: $first, after: $after) {\n          totalCount\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n          nodes {\n            id\n            status\n            principal\n            tenorMonths\n            disbursedAt\n            daysPastDue\n            totalDue\n            totalPaid\n            outstandingAmount\n            product {\n              code\n              name\n            }\n            payoffQuote {\n              asOf\n              amount\n              principal\n              interest\n              interestWaived\n              lateFees\n            }\n            payments {\n              id\n              installmentNumber\n              dueDate\n              status\n              amountDue\n              paidAmount\n              outstandingAmount\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LoanQuote($input: LoanQuoteInput!) {\n    loanQuote(input: $input) {\n      principal\n      originationFee\n      disbursedAmount\n      totalInterest\n      totalRepayment\n      installments {\n        installmentNumber\n        dueDate\n        principal\n        interest\n        total\n      }\n    }\n  }\n"): (typeof documents)["\n  query LoanQuote($input: LoanQuoteInput!) {\n    loanQuote(input: $input) {\n      principal\n      originationFee\n      disbursedAmount\n      totalInterest\n      totalRepayment\n      installments {\n        installmentNumber\n        dueDate\n        principal\n        interest\n        total\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MyLoanStatus($loanId: ID, $after: String) {\n    loanStatusChanged(loanId: $loanId, after: $after) {\n      cursor\n      at\n      fromStatus\n      toStatus\n      reason\n      loan {\n        id\n        status\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription MyLoanStatus($loanId: ID, $after: String) {\n    loanStatusChanged(loanId: $loanId, after: $after) {\n      cursor\n      at\n      fromStatus\n      toStatus\n      reason\n      loan {\n        id\n        status\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;